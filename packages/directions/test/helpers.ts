// Deterministic toy data for the tests: a mulberry32 stream with Box–Muller normals.
export function rng(seed: number) {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

export function gaussian(n: number, d: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n * d }, () => r.normal());
}

export function unit(d: number, seed: number): number[] {
  const r = rng(seed);
  const v = Array.from({ length: d }, () => r.normal());
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

export function rowDot(w: ArrayLike<number>, i: number, v: readonly number[]): number {
  let s = 0;
  for (let a = 0; a < v.length; a++) s += w[i * v.length + a] * v[a];
  return s;
}

export function cosine(a: readonly number[], b: readonly number[]): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}

/** Signed difference of two angles in degrees, in (−180, 180]. */
export function angleDiff(a: number, b: number): number {
  const d = ((((a - b) % 360) + 540) % 360) - 180;
  return d === -180 ? 180 : d;
}
