import type { z } from 'zod';

/** Stable codes of the errors this package throws (match on `code`, not `instanceof`). */
export type DirectionsErrorCode =
  | 'DIRECTIONS_INVALID_OPTIONS'
  | 'DIRECTIONS_SHAPE_MISMATCH'
  | 'DIRECTIONS_DEGENERATE'
  | 'DIRECTIONS_UNSUPPORTED_EDIT'
  | 'DIRECTIONS_BAD_FILE';

/**
 * An error of `@gan-control/directions`. Like every gan-control error it carries a stable
 * `code`, so `isGanControlError(e, 'DIRECTIONS_SHAPE_MISMATCH')` from `@gan-control/latent`
 * recognises it. The class is local (as `EncodersError` is) because this package is pure
 * math: importing `@gan-control/latent` would pull TensorFlow.js into it for one class.
 *
 * @example
 * ```ts
 * try { parseDirections(text); }
 * catch (e) { if ((e as DirectionsError).code === 'DIRECTIONS_BAD_FILE') console.error(e.message); }
 * ```
 */
export class DirectionsError extends Error {
  readonly code: DirectionsErrorCode;
  constructor(code: DirectionsErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DirectionsError';
    this.code = code;
  }
}

/** Formats zod issues by field path: `where:\n  - a.b[0]: message`. */
export function formatIssues(where: string, error: z.ZodError): string {
  const lines = error.issues.map((issue) => {
    const path = issue.path.length ? issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[') : '(root)';
    return `  - ${path}: ${issue.message}`;
  });
  return `${where}:\n${lines.join('\n')}`;
}

/** Parses `input` with `schema`, throwing `DIRECTIONS_INVALID_OPTIONS` that lists field paths. */
export function parseOptions<S extends z.ZodType>(schema: S, input: unknown, where: string): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new DirectionsError('DIRECTIONS_INVALID_OPTIONS', formatIssues(`invalid options for ${where}`, result.error));
  return result.data;
}
