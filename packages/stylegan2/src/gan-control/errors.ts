import { GanControlError, type GanControlErrorConstructor } from '@gan-control/errors';

/** Stable codes of errors raised by the GAN-Control (rosinality-layout) networks. */
export type GanControlErrorCode =
  'GAN_CONTROL_ARGS_INVALID' | 'GAN_CONTROL_WEIGHTS_INVALID' | 'GAN_CONTROL_UNSUPPORTED' | 'GAN_CONTROL_INPUT_INVALID';

/** The project's error class (`@gan-control/errors`) narrowed to the GAN-Control port's codes. */
export const GanControlModelError: GanControlErrorConstructor<GanControlErrorCode> = GanControlError;
export type GanControlModelError = GanControlError<GanControlErrorCode>;
