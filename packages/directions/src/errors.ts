import { formatZodIssues, GanControlError, type GanControlErrorConstructor } from '@gan-control/errors';
import type { z } from 'zod';

/** Stable codes of the errors this package throws (match on `code`, not `instanceof`). */
export type DirectionsErrorCode =
  | 'DIRECTIONS_INVALID_OPTIONS'
  | 'DIRECTIONS_SHAPE_MISMATCH'
  | 'DIRECTIONS_DEGENERATE'
  | 'DIRECTIONS_UNSUPPORTED_EDIT'
  | 'DIRECTIONS_BAD_FILE';

/**
 * The project's error class (`@gan-control/errors`) with this package's codes;
 * `isGanControlError(e, 'DIRECTIONS_SHAPE_MISMATCH')` recognises it. `@gan-control/errors` has no
 * dependencies, so this package stays pure math (no TensorFlow.js).
 *
 * @example
 * ```ts
 * try { parseDirections(text); }
 * catch (e) { if (isGanControlError(e, 'DIRECTIONS_BAD_FILE')) console.error(e.message); }
 * ```
 */
export const DirectionsError: GanControlErrorConstructor<DirectionsErrorCode> = GanControlError;
export type DirectionsError = GanControlError<DirectionsErrorCode>;

/** Parses `input` with `schema`, throwing `DIRECTIONS_INVALID_OPTIONS` that lists field paths. */
export function parseOptions<S extends z.ZodType>(schema: S, input: unknown, where: string): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success)
    throw new DirectionsError('DIRECTIONS_INVALID_OPTIONS', `invalid options for ${where}: ${formatZodIssues(result.error)}`);
  return result.data;
}
