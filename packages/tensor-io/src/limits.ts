// Resource limits of the readers. Files are things people download and share, so every amount a
// file can ask the reader to allocate or compute is capped by a named option with a safe default;
// a file over a limit is refused with `LIMIT_EXCEEDED` naming the option that raises it.
import { TensorIoError, type TensorIoErrorCode } from './errors.js';

/**
 * Limits of `readSafetensors`, `readTorchCheckpoint`, `ZipArchive` and `restrictedUnpickle`
 * (each reader reads the ones that apply to it). Every field is optional; `DEFAULT_LIMITS` gives
 * the defaults. Raise a limit only for files you trust.
 */
export interface TensorIoLimits {
  /** Elements of one tensor (the product of its shape). safetensors, torch. Default 2^28. */
  readonly maxTensorElements?: number;
  /** Tensors in a safetensors header; tensor views (`_rebuild_tensor_v2` calls) in a checkpoint. Default 1,000,000. */
  readonly maxTensors?: number;
  /** Bytes of a safetensors JSON header. Default 100,000,000 (the reference implementation's cap). */
  readonly maxHeaderBytes?: number;
  /**
   * Bytes a file may expand to beyond its own bytes, absolute: zip records inflated from deflate
   * plus the copies made for strided (non-contiguous) tensor views. torch, zip. Default 1 GiB.
   */
  readonly maxExpandedBytes?: number;
  /** The same expansion relative to the file's size: at most this many times its bytes. torch, zip. Default 32. */
  readonly maxExpansionRatio?: number;
  /** Nesting depth of pickled containers (lists, tuples, dicts). pickle. Default 200. */
  readonly maxPickleDepth?: number;
  /** Memo entries of a pickle (PUT/BINPUT/MEMOIZE). pickle. Default 1,048,576. */
  readonly maxMemoEntries?: number;
  /** Bytes of one pickled integer (LONG1/LONG4). pickle. Default 1,024 (an 8,192-bit integer). */
  readonly maxIntBytes?: number;
  /** Characters of a dict key that is not a string once written as one (a tuple key). pickle. Default 65,536. */
  readonly maxKeyLength?: number;
}

/** The default limits: generous for every real checkpoint the project reads, small against bombs. */
export const DEFAULT_LIMITS: Readonly<Required<TensorIoLimits>> = Object.freeze({
  maxTensorElements: 2 ** 28,
  maxTensors: 1_000_000,
  maxHeaderBytes: 100_000_000,
  maxExpandedBytes: 2 ** 30,
  maxExpansionRatio: 32,
  maxPickleDepth: 200,
  maxMemoEntries: 1_048_576,
  maxIntBytes: 1024,
  maxKeyLength: 65_536,
});

/**
 * The user's limits over the defaults. Unknown or non-positive values are refused with
 * `invalidCode` (a typo must not silently keep the default).
 */
export function resolveLimits(user: TensorIoLimits | undefined, fn: string, invalidCode: TensorIoErrorCode): Required<TensorIoLimits> {
  const out: Record<string, number> = { ...DEFAULT_LIMITS };
  if (user === undefined) return out as Required<TensorIoLimits>;
  if (user === null || typeof user !== 'object') {
    throw new TensorIoError(
      invalidCode,
      `${fn}: limits must be an object of numbers (options: ${Object.keys(DEFAULT_LIMITS).join(', ')}).`,
    );
  }
  for (const [k, v] of Object.entries(user)) {
    if (v === undefined) continue;
    if (!Object.hasOwn(DEFAULT_LIMITS, k)) {
      throw new TensorIoError(invalidCode, `${fn}: unknown limit "${k}"; valid: ${Object.keys(DEFAULT_LIMITS).join(', ')}.`);
    }
    if (typeof v !== 'number' || !(v > 0)) {
      throw new TensorIoError(invalidCode, `${fn}: limit ${k} must be a positive number (Infinity for none), got ${String(v)}.`);
    }
    out[k] = v;
  }
  return out as Required<TensorIoLimits>;
}

/**
 * The `LIMIT_EXCEEDED` error: what asked for how much, the limit in force, and how to raise it.
 *
 * @example
 * ```ts
 * throw limitError('readSafetensors', 'maxTensorElements', 1e9, 2 ** 28, 'tensor "w" has 1000000000 elements');
 * ```
 */
export function limitError(fn: string, option: string, value: number, max: number, what: string, raise?: string): TensorIoError {
  const needed = Number.isFinite(value) ? value : 'Infinity';
  return new TensorIoError(
    'LIMIT_EXCEEDED',
    `${fn}: ${what}, over the limit ${option} = ${max}. The file may be corrupt or built to exhaust memory or time; ` +
      `if you trust it, raise the limit: ${raise ?? `${fn}(bytes, { limits: { ${option}: ${needed} } })`}.`,
    { details: { limit: { option, value, max } } },
  );
}

/** Bytes a file may still expand to: `min(maxExpandedBytes, maxExpansionRatio × file size)`, charged as they are made. */
export class ExpansionBudget {
  private used = 0;
  constructor(
    private readonly fileBytes: number,
    private readonly limits: Required<TensorIoLimits>,
    private readonly fn: string,
  ) {}

  /** Records `bytes` more; throws `LIMIT_EXCEEDED` before anything is allocated when they do not fit. */
  charge(bytes: number, what: string): void {
    const total = this.used + bytes;
    const { maxExpandedBytes, maxExpansionRatio } = this.limits;
    if (total > maxExpandedBytes) {
      throw limitError(this.fn, 'maxExpandedBytes', total, maxExpandedBytes, `${what} would make the file expand to ${total} bytes in all`);
    }
    const ratio = total / Math.max(1, this.fileBytes);
    if (ratio > maxExpansionRatio) {
      throw limitError(
        this.fn,
        'maxExpansionRatio',
        Math.ceil(ratio),
        maxExpansionRatio,
        `${what} would make the ${this.fileBytes}-byte file expand to ${total} bytes in all, ${ratio.toFixed(1)} times its size`,
      );
    }
    this.used = total;
  }
}

/**
 * A short, bounded description of any value from a file for an error message: at most `maxChars`
 * characters, iterative (no recursion on deep values), and bounded by `maxChars` whatever the value:
 * a cycle or a "billion laughs" tuple (one tuple shared 2^30 times) stops at the character limit.
 */
export function describeValue(value: unknown, maxChars = 200): string {
  let out = '';
  const work: unknown[] = [value];
  const TEXT = Symbol('text');
  while (work.length > 0 && out.length <= maxChars) {
    const v = work.pop();
    if (typeof v === 'object' && v !== null && (v as { [TEXT]?: string })[TEXT] !== undefined) {
      out += (v as { [TEXT]: string })[TEXT];
      continue;
    }
    if (typeof v === 'string') out += JSON.stringify(v.length > maxChars ? `${v.slice(0, maxChars)}…` : v);
    else if (typeof v === 'bigint') out += `${v}n`;
    else if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) out += String(v);
    else if (typeof v === 'function' || typeof v === 'symbol') out += typeof v;
    else if (ArrayBuffer.isView(v))
      out += `${v.constructor.name}(${(v as unknown as ArrayLike<unknown>).length ?? (v as ArrayBufferView).byteLength})`;
    else if (typeof v === 'object') {
      const named = (v as { qualifiedName?: unknown }).qualifiedName;
      if (typeof named === 'string') {
        out += named;
        continue;
      }
      const isArr = Array.isArray(v);
      const parts: unknown[] = [];
      const keys = isArr ? [] : Object.keys(v);
      const n = isArr ? (v as unknown[]).length : keys.length;
      // Queue at most as many children as could still be printed; the rest is "…".
      const shown = Math.min(n, maxChars);
      parts.push({ [TEXT]: isArr ? '[' : '{' });
      for (let i = 0; i < shown; i++) {
        if (i > 0) parts.push({ [TEXT]: ',' });
        if (isArr) parts.push((v as unknown[])[i]);
        else {
          parts.push({ [TEXT]: `${JSON.stringify(keys[i].slice(0, maxChars))}:` });
          parts.push((v as Record<string, unknown>)[keys[i]]);
        }
      }
      if (shown < n) parts.push({ [TEXT]: ',…' });
      parts.push({ [TEXT]: isArr ? ']' : '}' });
      for (let i = parts.length - 1; i >= 0; i--) work.push(parts[i]);
    } else out += String(v);
  }
  return out.length > maxChars || work.length > 0 ? `${out.slice(0, maxChars)}…` : out;
}
