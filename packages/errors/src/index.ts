/**
 * The one error class of gan-control.
 *
 * Every package throws `GanControlError` for a problem a user can act on. Each package owns a
 * typed union of its codes (`TENSOR_IO_…`, `STYLEGAN2_…`, `ENCODERS_…`, `CLI_…`) and exports a typed
 * constructor under a readable name (`EncodersError`, `TensorIoError`…) that *is* this class, so
 * `new EncodersError('ENCODERS_BAD_FILE', …)` type-checks its code and still builds a
 * `GanControlError`. Callers branch on `code` (stable across versions and across installed copies
 * of a package, where `instanceof` is not) and read structured facts from `details` (the
 * attribute, the value, the allowed range, the limit that was exceeded…) instead of parsing the
 * message.
 *
 * This package is the floor of the dependency graph: no dependencies, no Node built-ins.
 */

/** Options of a {@link GanControlError}: structured `details` and the underlying `cause`. */
export interface GanControlErrorOptions {
  /** Structured facts about the problem (field paths, names, values, limits…), for programs. */
  details?: Record<string, unknown>;
  /** The error this one wraps. */
  cause?: unknown;
}

/**
 * The error every gan-control package throws for problems a user can act on.
 *
 * @example
 * ```ts
 * try { layout.group('hue'); }
 * catch (e) { if (isGanControlError(e, 'LATENT_UNKNOWN_GROUP')) console.error(e.message, e.details); }
 * ```
 */
export class GanControlError<Code extends string = string> extends Error {
  /** Stable machine-readable code; each package documents the codes it throws. */
  readonly code: Code;
  /** Structured details (field paths, known names, values, limits…). */
  readonly details?: Readonly<Record<string, unknown>>;

  constructor(code: Code, message: string, options?: GanControlErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GanControlError';
    this.code = code;
    if (options?.details) this.details = Object.freeze({ ...options.details });
  }
}

/**
 * The constructor of {@link GanControlError} narrowed to one package's codes. A package exports
 * it under its own name, so its code union is checked where it throws:
 *
 * @example
 * ```ts
 * export type EncodersErrorCode = 'ENCODERS_BAD_FILE' | 'ENCODERS_UNKNOWN_ATTRIBUTE';
 * export const EncodersError: GanControlErrorConstructor<EncodersErrorCode> = GanControlError;
 * export type EncodersError = GanControlError<EncodersErrorCode>;
 * ```
 */
export type GanControlErrorConstructor<Code extends string> = new (
  code: Code,
  message: string,
  options?: GanControlErrorOptions,
) => GanControlError<Code>;

/**
 * True when `error` is a gan-control error (recognised by its string `code`, not by `instanceof`,
 * so a second installed copy of a package still matches), optionally with the given code.
 *
 * @example
 * ```ts
 * if (isGanControlError(err, 'ATTRIBUTE_NOT_FOUND')) listPlugins();
 * ```
 */
export function isGanControlError<Code extends string = string>(error: unknown, code?: Code): error is GanControlError<Code> {
  if (!(error instanceof Error)) return false;
  const c = (error as { code?: unknown }).code;
  if (typeof c !== 'string') return false;
  return code === undefined || c === code;
}

/** The part of a zod issue the formatter reads (zod 3 and 4 both have it). */
export interface ZodLikeIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/**
 * Formats zod issues as `field.path: message` entries joined by `; `, field paths first
 * (`groups[0].size`), `(root)` for the value itself — never a raw dump. Takes the issues or the
 * zod error that holds them.
 *
 * @example
 * ```ts
 * formatZodIssues([{ path: ['groups', 0, 'size'], message: 'Expected number' }]);
 * // 'groups[0].size: Expected number'
 * ```
 */
export function formatZodIssues(issues: readonly ZodLikeIssue[] | { readonly issues: readonly ZodLikeIssue[] }): string {
  const list = 'issues' in issues ? issues.issues : issues;
  return list.map((issue) => `${formatPath(issue.path)}: ${issue.message}`).join('; ');
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(root)';
}
