/** Stable codes of errors raised by the GAN-Control (rosinality-layout) networks. */
export type GanControlErrorCode =
  | 'GAN_CONTROL_ARGS_INVALID'
  | 'GAN_CONTROL_WEIGHTS_INVALID'
  | 'GAN_CONTROL_UNSUPPORTED'
  | 'GAN_CONTROL_INPUT_INVALID';

/** An error of the official GAN-Control model port; branch on `code`. */
export class GanControlModelError extends Error {
  readonly code: GanControlErrorCode;
  constructor(code: GanControlErrorCode, message: string) {
    super(message);
    this.name = 'GanControlModelError';
    this.code = code;
  }
}
