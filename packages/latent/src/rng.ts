import { LatentError } from './errors.js';

/**
 * Serialisable state of an {@link Rng}: four 32-bit words of xoshiro128** plus the algorithm
 * name. `JSON.stringify` / `JSON.parse` round-trip it exactly.
 */
export interface RngState {
  readonly algorithm: 'xoshiro128**';
  readonly s: readonly [number, number, number, number];
}

/**
 * A deterministic pseudo-random generator that does not depend on the tfjs backend: the same
 * seed gives bit-identical numbers on `cpu`, `wasm`, `tensorflow` and WebGL/WebGPU, because
 * nothing is drawn by the backend — values are generated in JavaScript and uploaded.
 */
export interface Rng {
  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number;
  /** A uniform double in [0, 1) with 53 random bits. */
  nextFloat(): number;
  /** A standard normal double (Box–Muller). */
  nextNormal(): number;
  /** Fills `out` with standard normal values (pairs of Box–Muller draws) and returns it. */
  fillNormal(out: Float32Array): Float32Array;
  /** A uniform integer in [0, n). */
  nextInt(n: number): number;
  /** A snapshot of the state; `restoreRng(state)` continues bit-exactly from here. */
  state(): RngState;
  /** A new generator seeded from this one (advances this one by two draws). */
  fork(): Rng;
}

const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** splitmix32: expands a seed into well-mixed 32-bit words (used only for seeding). */
function splitmix32(state: { x: number }): number {
  state.x = (state.x + 0x9e3779b9) | 0;
  let z = state.x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

class Xoshiro128 implements Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(s: readonly [number, number, number, number]) {
    [this.a, this.b, this.c, this.d] = s.map((v) => v >>> 0) as [number, number, number, number];
  }

  nextUint32(): number {
    // xoshiro128** (Blackman & Vigna, 2018), all arithmetic in 32-bit integers.
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    this.a >>>= 0;
    this.b >>>= 0;
    this.c >>>= 0;
    this.d >>>= 0;
    return result;
  }

  nextFloat(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / TWO_POW_53;
  }

  nextInt(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > TWO_POW_32) {
      throw new LatentError('LATENT_RNG_INVALID_ARGUMENT', `rng.nextInt(n): n must be an integer in [1, 2^32], got ${n}.`);
    }
    // Rejection sampling keeps the result exactly uniform.
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** Two independent normals from one Box–Muller step; u1 ∈ (0, 1] so the log is finite. */
  private boxMuller(): [number, number] {
    const u1 = 1 - this.nextFloat();
    const u2 = this.nextFloat();
    const r = Math.sqrt(-2 * Math.log(u1));
    const theta = 2 * Math.PI * u2;
    return [r * Math.cos(theta), r * Math.sin(theta)];
  }

  nextNormal(): number {
    // No cached spare: the state stays four integers, so a snapshot is always exact.
    return this.boxMuller()[0];
  }

  fillNormal(out: Float32Array): Float32Array {
    const n = out.length;
    let i = 0;
    for (; i + 1 < n; i += 2) {
      const [x, y] = this.boxMuller();
      out[i] = x;
      out[i + 1] = y;
    }
    if (i < n) out[i] = this.boxMuller()[0];
    return out;
  }

  state(): RngState {
    return { algorithm: 'xoshiro128**', s: [this.a, this.b, this.c, this.d] };
  }

  fork(): Rng {
    const lo = this.nextUint32();
    return new Xoshiro128(seedWords(lo ^ Math.imul(this.nextUint32(), 0x632be5ab), []));
  }
}

/**
 * Creates a deterministic generator from a seed (any safe integer ≥ 0, or a negative one).
 * Same seed → same stream, independent of the tfjs backend and of the platform
 * (integer-only generator; Box–Muller uses `Math.log/sqrt/cos/sin`, which V8 computes with
 * its own portable fdlibm port).
 *
 * Further arguments name a sub-stream: `createRng(seed, i)` is a generator of its own for item
 * `i` of the stream `seed` (a dataset's image `i`, say), reachable directly, in any order,
 * without drawing items 0 … i − 1. Sub-streams of one seed never share their starting state
 * (for indices below 2^32); `createRng(seed)` with no path is the plain stream.
 *
 * Throws `GanControlError` `LATENT_RNG_INVALID_SEED` for a non-integer or unsafe seed or path element.
 *
 * @example
 * ```ts
 * const rng = createRng(42);
 * const a = rng.nextNormal();
 * const saved = JSON.stringify(rng.state());
 * const b = restoreRng(JSON.parse(saved)).nextNormal(); // continues exactly where `rng` is
 * const image7 = createRng(42, 7); // image 7's own generator
 * ```
 */
export function createRng(seed: number, ...path: number[]): Rng {
  for (const [i, v] of [seed, ...path].entries()) {
    if (!Number.isSafeInteger(v)) {
      throw new LatentError(
        'LATENT_RNG_INVALID_SEED',
        i === 0
          ? `createRng(seed): the seed must be a safe integer (for example 0, 42 or Date.now()), got ${String(v)}.`
          : `createRng(seed, ...path): path element ${i - 1} must be a safe integer (an index such as 0 or 7), got ${String(v)}.`,
      );
    }
  }
  return new Xoshiro128(seedWords(fold(seed), path.map(fold)));
}

/** The low and high 32 bits of a safe integer, folded into one word. */
function fold(v: number): number {
  return (v >>> 0) ^ Math.imul(Math.floor(v / TWO_POW_32) >>> 0, 0x632be5ab);
}

/**
 * Four state words from a folded seed and a folded sub-stream path: splitmix32's state starts at
 * the seed; each path element replaces it by (a hash of the state so far) XOR (the element), a
 * bijection in the element, so distinct indices under one prefix start apart.
 */
function seedWords(seed: number, path: readonly number[]): [number, number, number, number] {
  const sm = { x: seed };
  for (const p of path) sm.x = splitmix32(sm) ^ p;
  const s: [number, number, number, number] = [splitmix32(sm), splitmix32(sm), splitmix32(sm), splitmix32(sm)];
  // xoshiro must not start from the all-zero state (splitmix32 makes that practically impossible).
  if ((s[0] | s[1] | s[2] | s[3]) === 0) s[0] = 1;
  return s;
}

/**
 * Rebuilds a generator from `rng.state()` (for example after `JSON.parse` of a checkpoint) so
 * that it continues bit-exactly. Throws `GanControlError` `LATENT_RNG_INVALID_STATE` when the object is
 * not such a state.
 *
 * @example
 * ```ts
 * const resumed = restoreRng(checkpoint.rng);
 * ```
 */
export function restoreRng(state: RngState): Rng {
  const s = (state as { s?: unknown } | null)?.s;
  const ok =
    state !== null &&
    typeof state === 'object' &&
    state.algorithm === 'xoshiro128**' &&
    Array.isArray(s) &&
    s.length === 4 &&
    s.every((v) => Number.isInteger(v) && v >= 0 && v < TWO_POW_32) &&
    s.some((v) => v !== 0);
  if (!ok) {
    throw new LatentError(
      'LATENT_RNG_INVALID_STATE',
      `restoreRng(state): expected { algorithm: 'xoshiro128**', s: [four uint32, not all zero] } as returned by rng.state(), got ${JSON.stringify(state)}.`,
    );
  }
  return new Xoshiro128(s as unknown as [number, number, number, number]);
}

/** Accepts an Rng or a seed. */
export function toRng(rng: Rng | number): Rng {
  return typeof rng === 'number' ? createRng(rng) : rng;
}
