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
  | 'LOCATION_UNSUPPORTED'
  /** A resource limit (`error.limit` names the option, the value and the maximum). */
  | 'LIMIT_EXCEEDED'
  /** An option passed to a reader is invalid (an unknown limit, a non-positive value). */
  | 'INVALID_OPTION'
  /** A pickled dict key that cannot become a distinct string key (e.g. `1` beside `"1"`, a list). */
  | 'PICKLE_UNSUPPORTED_KEY';

/** Which limit an error with code `LIMIT_EXCEEDED` hit. */
export interface TensorIoLimitInfo {
  /** The option that raises the limit, e.g. `maxTensorElements`. */
  readonly option: string;
  /** What the file asked for. */
  readonly value: number;
  /** The limit in force. */
  readonly max: number;
}

/** An error raised by `@gan-control/tensor-io`; `code` is stable across versions. */
export class TensorIoError extends Error {
  readonly code: TensorIoErrorCode;
  /** Set when `code` is `LIMIT_EXCEEDED`. */
  readonly limit?: TensorIoLimitInfo;
  constructor(code: TensorIoErrorCode, message: string, options?: { cause?: unknown; limit?: TensorIoLimitInfo }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TensorIoError';
    this.code = code;
    if (options?.limit) this.limit = options.limit;
  }
}
