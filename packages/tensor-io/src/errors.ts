import { GanControlError, isGanControlError, type GanControlErrorConstructor } from '@gan-control/errors';

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
  /** A resource limit (`details.limit`, read with `exceededLimit(error)`, names the option, the value and the maximum). */
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

/** The project's error class (`@gan-control/errors`) with tensor-io's codes. */
export const TensorIoError: GanControlErrorConstructor<TensorIoErrorCode> = GanControlError;
export type TensorIoError = GanControlError<TensorIoErrorCode>;

/**
 * The limit a `LIMIT_EXCEEDED` error hit (its `details.limit`: the option that raises it, the value
 * the file asked for, the limit in force), or `undefined` for any other error.
 *
 * @example
 * ```ts
 * catch (e) { const limit = exceededLimit(e); if (limit) console.error(`raise ${limit.option} to ${limit.value}`); }
 * ```
 */
export function exceededLimit(error: unknown): TensorIoLimitInfo | undefined {
  if (!isGanControlError(error, 'LIMIT_EXCEEDED')) return undefined;
  const limit = error.details?.limit as TensorIoLimitInfo | undefined;
  return limit && typeof limit.option === 'string' ? limit : undefined;
}
