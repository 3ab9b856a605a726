/**
 * The error every gan-control package throws for problems a user can act on.
 *
 * It carries a stable `code` (for example `LATENT_LAYOUT_INVALID`) so callers can branch on
 * the kind of problem without `instanceof`, which breaks when two copies of a package are
 * installed. It lives in the lowest package (`@gan-control/latent`) so every package shares one
 * class; `@gan-control/contrastive-loss` re-exports it.
 *
 * @example
 * ```ts
 * try { layout.group('hue'); }
 * catch (e) { if (isGanControlError(e, 'LATENT_UNKNOWN_GROUP')) console.error(e.message); }
 * ```
 */
export class GanControlError extends Error {
  /** Stable machine-readable code; see each function's docs for the codes it throws. */
  readonly code: string;
  /** Optional structured details (field paths, known names…). */
  readonly details?: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, options?: { details?: Record<string, unknown>; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GanControlError';
    this.code = code;
    if (options?.details) this.details = options.details;
  }
}

/**
 * True when `error` is a gan-control error (by its `code`, not by `instanceof`), optionally
 * with the given code.
 *
 * @example
 * ```ts
 * if (isGanControlError(err, 'ATTRIBUTE_NOT_FOUND')) listPlugins();
 * ```
 */
export function isGanControlError(error: unknown, code?: string): error is GanControlError {
  if (typeof error !== 'object' || error === null) return false;
  const c = (error as { code?: unknown }).code;
  if (typeof c !== 'string' || !(error instanceof Error)) return false;
  return code === undefined || c === code;
}

/** Formats zod issues as `path: message` lines (the field path first, never a raw dump). */
export function formatZodIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues
    .map((issue) => {
      const path = issue.path.length ? issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[') : '(root)';
      return `  - ${path}: ${issue.message}`;
    })
    .join('\n');
}
