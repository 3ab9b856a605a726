import { formatZodIssues, GanControlError, type GanControlErrorConstructor } from '@gan-control/errors';
import type { z } from 'zod';

/** Stable codes of the errors this package throws (match on `code`, not `instanceof`). */
export type EncodersErrorCode =
  | 'ENCODERS_INVALID_OPTIONS'
  | 'ENCODERS_UNKNOWN_ATTRIBUTE'
  | 'ENCODERS_UNKNOWN_VALUE'
  | 'ENCODERS_VALUE_OUT_OF_RANGE'
  | 'ENCODERS_SHAPE_MISMATCH'
  | 'ENCODERS_NO_MEASURE'
  | 'ENCODERS_DATASET_MISMATCH'
  | 'ENCODERS_DATASET_INCOMPLETE'
  | 'ENCODERS_BAD_FILE'
  | 'ENCODERS_ABORTED'
  | 'ENCODERS_BAD_IMAGE';

/** The project's error class (`@gan-control/errors`) with this package's codes. */
export const EncodersError: GanControlErrorConstructor<EncodersErrorCode> = GanControlError;
export type EncodersError = GanControlError<EncodersErrorCode>;

/** Parses `input` with `schema`, throwing an `ENCODERS_INVALID_OPTIONS` error listing field paths. */
export function parseOptions<S extends z.ZodType>(schema: S, input: unknown, where: string): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new EncodersError('ENCODERS_INVALID_OPTIONS', `invalid options for ${where}: ${formatZodIssues(result.error)}`);
  }
  return result.data;
}
