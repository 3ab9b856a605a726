/**
 * The dataset's own PRNG: sfc32 (Chris Doty-Humphrey's "small fast counter", 128-bit state),
 * seeded through splitmix32. Independent of tfjs and of every other package, so a seed gives the
 * same shapes on every machine and backend.
 */
import { ShapesError } from './errors.js';

/** Serializable PRNG state (four uint32 words). */
export type ShapesRngState = readonly [number, number, number, number];

/** A deterministic generator of uniform numbers in [0, 1). */
export interface ShapesRng {
  /** Uniform in [0, 1), 32 bits of resolution. */
  next(): number;
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** Integer in [0, n). */
  int(n: number): number;
  /** The current state, for exact resume. */
  state(): ShapesRngState;
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/**
 * Mixes several integers (seed, index, …) into one 32-bit seed.
 *
 * @example
 * const rng = createShapesRng(mixSeed(42, 7)); // the 8th image of seed 42
 */
export function mixSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    const sm = splitmix32((p >>> 0) ^ h);
    h = (sm() ^ Math.imul(h, 0x01000193)) >>> 0;
    // High 32 bits of indices above 2^32 also count.
    const hi = Math.floor(p / 4294967296) >>> 0;
    if (hi) h = (splitmix32(hi ^ h)() ^ h) >>> 0;
  }
  return h >>> 0;
}

/**
 * Creates the PRNG from a seed, or restores it from a saved state.
 *
 * @example
 * const rng = createShapesRng(1);
 * const a = rng.next();
 * const again = createShapesRng(rng.state()); // continues exactly where `rng` is
 */
export function createShapesRng(seedOrState: number | ShapesRngState): ShapesRng {
  let a: number, b: number, c: number, d: number;
  if (typeof seedOrState === 'number') {
    if (!Number.isFinite(seedOrState))
      throw new ShapesError('SHAPES_INVALID_STATE', `domain-shapes: seed must be a finite number, got ${seedOrState}`);
    const sm = splitmix32(Math.floor(seedOrState) >>> 0);
    a = sm();
    b = sm();
    c = sm();
    d = sm();
    for (let i = 0; i < 12; i++) step();
  } else {
    [a, b, c, d] = seedOrState.map((v) => v >>> 0) as unknown as [number, number, number, number];
  }
  function step(): number {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  }
  return {
    next: () => step() / 4294967296,
    uniform: (lo, hi) => lo + (hi - lo) * (step() / 4294967296),
    int: (n) => Math.floor((step() / 4294967296) * n),
    state: () => [a, b, c, d],
  };
}
