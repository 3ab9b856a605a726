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

/** An error of `@gan-control/encoders`; `code` is stable across versions and installed copies. */
export class EncodersError extends Error {
  readonly code: EncodersErrorCode;
  constructor(code: EncodersErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EncodersError';
    this.code = code;
  }
}

/** Formats zod issues by field path: `where: field.path: message; other.path: message`. */
export function formatZodIssues(where: string, error: z.ZodError): string {
  const parts = error.issues.map((issue) => {
    const path = issue.path.length ? issue.path.map(String).join('.') : '(root)';
    return `${path}: ${issue.message}`;
  });
  return `${where}: ${parts.join('; ')}`;
}

/** Parses `input` with `schema`, throwing an `ENCODERS_INVALID_OPTIONS` error listing field paths. */
export function parseOptions<S extends z.ZodType>(schema: S, input: unknown, where: string): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new EncodersError('ENCODERS_INVALID_OPTIONS', formatZodIssues(`invalid options for ${where}`, result.error));
  }
  return result.data;
}
