/**
 * Stable error codes of `@gan-control/tensor-io`. Callers branch on `error.code`, never on
 * `instanceof` (two installed copies of this package would break `instanceof`).
 */
export type TensorIoErrorCode =
  | 'SAFETENSORS_TRUNCATED'
  | 'SAFETENSORS_CORRUPT'
  | 'SAFETENSORS_INVALID_INPUT'
  | 'PNG_INVALID_INPUT'
  | 'IMAGE_DECODE_FAILED'
  | 'IMAGE_INVALID_INPUT'
  | 'TORCH_LEGACY_FORMAT'
  | 'TORCH_NOT_A_CHECKPOINT'
  | 'ZIP_CORRUPT'
  | 'ZIP_UNSUPPORTED'
  | 'PICKLE_FORBIDDEN_GLOBAL'
  | 'PICKLE_UNSUPPORTED_OPCODE'
  | 'PICKLE_CORRUPT'
  | 'TORCH_STORAGE_MISSING'
  | 'TORCH_UNSUPPORTED_STORAGE'
  | 'LOCATION_NOT_FOUND'
  | 'LOCATION_READ_FAILED'
  | 'LOCATION_UNSUPPORTED';

/** An error raised by `@gan-control/tensor-io`; `code` is stable across versions. */
export class TensorIoError extends Error {
  readonly code: TensorIoErrorCode;
  constructor(code: TensorIoErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TensorIoError';
    this.code = code;
  }
}
