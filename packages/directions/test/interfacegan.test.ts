import { describe, expect, it } from 'vitest';
import { conditionalNormal, fitDirection, fitDirections, matrix, predict, setTo, shift } from '@gan-control/directions';
import type { CircularDirection, LinearDirection, ThresholdDirection } from '@gan-control/directions';
import { angleDiff, cosine, gaussian, rng, rowDot, unit } from './helpers.js';

const D = 16;
const N = 2000;

// A toy "generator + measure": the value is linear in w along a known normal, plus noise.
function toy(seed: number) {
  const w = gaussian(N, D, seed);
  const n1 = unit(D, seed + 1);
  const noise = rng(seed + 2);
  const y = Float32Array.from({ length: N }, (_, i) => 3 + 2.5 * rowDot(w, i, n1) + 0.05 * noise.normal());
  return { w, n1, y };
}

describe('fitDirection (linear)', () => {
  it('recovers the normal, slope and intercept of a known linear attribute', () => {
    const { w, n1, y } = toy(1);
    const d = fitDirection(matrix(w, D), y, { kind: 'linear', attribute: 'age', value: 'age', unit: 'years' }) as LinearDirection;
    expect(d.kind).toBe('linear');
    expect(cosine(d.model.normal, n1)).toBeGreaterThan(0.99);
    expect(d.model.slope).toBeCloseTo(2.5, 1);
    expect(d.model.intercept).toBeCloseTo(3, 1);
    expect(d.r2).toBeGreaterThan(0.99);
    expect(d.samples).toBe(N);
  });

  it('shift moves the fitted and the true value by delta; setTo reaches the value', () => {
    const { w, n1 } = toy(1);
    const y = Float32Array.from({ length: N }, (_, i) => 3 + 2.5 * rowDot(w, i, n1));
    const d = fitDirection(matrix(w, D), y, { kind: 'linear', attribute: 'age', value: 'age' });
    const w0 = w.slice(0, 5 * D);
    const before = predict(w0, d);
    const moved = shift(w0, d, 1.5);
    const after = predict(moved, d);
    for (let i = 0; i < 5; i++) {
      expect(after[i] - before[i]).toBeCloseTo(1.5, 3);
      expect(2.5 * (rowDot(moved, i, n1) - rowDot(w0, i, n1))).toBeCloseTo(1.5, 2);
    }
    const set = predict(setTo(w0, d, 10), d);
    for (const v of set) expect(v).toBeCloseTo(10, 3);
  });

  it('is deterministic: the same input gives identical output', () => {
    const { w, y } = toy(3);
    const spec = { kind: 'linear', attribute: 'a', value: 'b' } as const;
    expect(fitDirection(matrix(w, D), y, spec)).toEqual(fitDirection(matrix(w, D), y, spec));
  });

  it('names the shape problem', () => {
    const { w } = toy(1);
    expect(() => fitDirection(matrix(w, D), new Float32Array(3), { kind: 'linear', attribute: 'a', value: 'b' })).toThrow(
      /3 values for 2000 rows/,
    );
    const d = fitDirection(matrix(w, D), toy(1).y, { kind: 'linear', attribute: 'a', value: 'b' });
    expect(() => shift(new Float32Array(D + 1), d, 1)).toThrow(expect.objectContaining({ code: 'DIRECTIONS_SHAPE_MISMATCH' }));
  });
});

describe('circular directions', () => {
  // hue = the angle of w's projection on a known 2-D plane (u, v), in degrees.
  const w = gaussian(N, D, 11);
  const u = unit(D, 12);
  const v0 = unit(D, 13);
  const uv = u.reduce((s, x, a) => s + x * v0[a], 0);
  const v = v0.map((x, a) => x - uv * u[a]);
  const vn = Math.hypot(...v);
  for (let a = 0; a < D; a++) v[a] /= vn;
  const hueOf = (ws: ArrayLike<number>, i: number) => {
    const deg = (Math.atan2(rowDot(ws, i, v), rowDot(ws, i, u)) * 180) / Math.PI;
    return deg < 0 ? deg + 360 : deg;
  };
  const hue = Float32Array.from({ length: N }, (_, i) => hueOf(w, i));
  const d = fitDirection(matrix(w, D), hue, { kind: 'circular', attribute: 'color', value: 'hue', period: 360 }) as CircularDirection;

  it('fits (cos, sin) and predicts the angle', () => {
    expect(d.kind).toBe('circular');
    expect(d.error).toBeLessThan(3);
    const p = predict(w.slice(0, 20 * D), d);
    for (let i = 0; i < 20; i++) expect(Math.abs(angleDiff(p[i], hue[i]))).toBeLessThan(10);
  });

  it('a relative edit of +40° hits the requested angle (exactly in the model, closely in truth), wrapping', () => {
    const w0 = w.slice(0, 50 * D);
    const before = predict(w0, d);
    const moved = shift(w0, d, 40);
    const after = predict(moved, d);
    let trueError = 0;
    for (let i = 0; i < 50; i++) {
      expect(angleDiff(after[i], before[i])).toBeCloseTo(40, 3);
      trueError += Math.abs(angleDiff(hueOf(moved, i), hueOf(w0, i)) - 40) / 50;
    }
    // The fitted (cos, sin) model is not exact (ridge on 2000 samples, noise in the other 14
    // dims), so the true hue moves by 40° ± about the fit's held-out angular error.
    expect(trueError).toBeLessThan(Math.max(2, d.error));
    const at350 = setTo(w0, d, 350);
    const wrapped = predict(shift(at350, d, 40), d);
    for (const h of wrapped) expect(Math.abs(angleDiff(h, 30))).toBeLessThan(1e-3);
  });
});

describe('a circular direction with parallel cos and sin normals (fitted on one component)', () => {
  // One coordinate: the hue is 0° or 180° by the sign of w (with a little spread), so its cos and
  // sin models share their only normal and the angle can move along one line of the (cos, sin) plane.
  const n = 400;
  const w1 = gaussian(n, 1, 41);
  const noise = gaussian(n, 1, 42);
  const hue = Float32Array.from(w1, (x, i) => ((x > 0 ? 0 : 180) + 20 * noise[i] + 360) % 360);
  const d = fitDirection(matrix(w1, 1), hue, { kind: 'circular', attribute: 'color', value: 'hue', period: 360 }) as CircularDirection;

  it('moves to the reachable point nearest the requested angle (least squares) instead of refusing', () => {
    expect(d.cos.normal.length).toBe(1);
    const w0 = w1.slice(0, 20);
    const k = Math.PI / 180;
    for (const target of [0, 180, 90]) {
      const moved = setTo(w0, d, target);
      for (let i = 0; i < w0.length; i++) {
        // The prediction after the move is p + B Δw, with Δw chosen to minimise |t − (p + B Δw)|:
        // the derivative of that squared distance in Δw vanishes.
        const pc = (x: number) => d.cos.intercept + d.cos.slope * d.cos.normal[0] * x;
        const ps = (x: number) => d.sin.intercept + d.sin.slope * d.sin.normal[0] * x;
        const r = Math.max(Math.hypot(pc(w0[i]), ps(w0[i])), 0.25 * d.meanRadius);
        const [tc, ts] = [r * Math.cos(k * target), r * Math.sin(k * target)];
        const x = moved[i];
        const grad = (pc(x) - tc) * d.cos.slope * d.cos.normal[0] + (ps(x) - ts) * d.sin.slope * d.sin.normal[0];
        expect(Math.abs(grad)).toBeLessThan(1e-4);
        // And it is the best point of the line: no nearby step along w comes closer to the target.
        const dist = (y: number) => (pc(y) - tc) ** 2 + (ps(y) - ts) ** 2;
        for (const step of [-0.1, -0.01, 0.01, 0.1]) expect(dist(x)).toBeLessThanOrEqual(dist(x + step));
      }
      const worst = Math.max(...Array.from(predict(moved, d), (h) => Math.abs(angleDiff(h, target))));
      if (target === 90) expect(worst).toBeGreaterThan(45); // 90° is far from the reachable line
    }
  });

  it('still refuses a move that its kept directions forbid, naming them', () => {
    const size = fitDirection(matrix(w1, 1), w1, { kind: 'linear', attribute: 'size', value: 'size' });
    expect(() => setTo(w1.slice(0, 2), d, 90, { keep: [size] })).toThrow(/keeping size\.size fixed/);
  });
});

describe('threshold directions (logistic)', () => {
  it('recovers the boundary normal; setTo takes a probability', () => {
    const { w, n1, y } = toy(21);
    const d = fitDirection(matrix(w, D), y, { kind: 'threshold', attribute: 'smile', value: 'smile', threshold: 3 }) as ThresholdDirection;
    expect(cosine(d.model.normal, n1)).toBeGreaterThan(0.98);
    expect(d.accuracy).toBeGreaterThan(0.95);
    const p = predict(setTo(w.slice(0, 4 * D), d, 0.9), d);
    for (const v of p) expect(v).toBeCloseTo(0.9, 4);
    expect(() => setTo(w.slice(0, D), d, 5)).toThrow(expect.objectContaining({ code: 'DIRECTIONS_UNSUPPORTED_EDIT' }));
  });

  it('refuses a threshold outside the values', () => {
    const { w, y } = toy(21);
    expect(() => fitDirection(matrix(w, D), y, { kind: 'threshold', attribute: 's', value: 's', threshold: 1e9 })).toThrow(
      /at or below the threshold/,
    );
  });
});

describe('conditional edit', () => {
  it('projects the kept normals out, so the other fitted attribute does not change', () => {
    const w = gaussian(N, D, 31);
    const a = unit(D, 32);
    const b0 = unit(D, 33);
    // b correlated with a (cos ≈ 0.6), as age and glasses are in InterFaceGAN.
    const b = b0.map((x, i) => 0.6 * a[i] + 0.8 * x);
    const bn = Math.hypot(...b);
    const values = new Float32Array(N * 2);
    for (let i = 0; i < N; i++) {
      values[2 * i] = 2 * rowDot(w, i, a);
      values[2 * i + 1] = -1 + (0.5 * rowDot(w, i, b)) / bn;
    }
    const [da, db] = fitDirections(matrix(w, D), matrix(values, 2), {
      values: [
        { kind: 'linear', attribute: 'age', value: 'age' },
        { kind: 'linear', attribute: 'glasses', value: 'glasses' },
      ],
    });
    const w0 = w.slice(0, 10 * D);
    const beforeB = predict(w0, db);
    const plain = shift(w0, da, 3);
    const cond = shift(w0, da, 3, { keep: [db] });
    const afterA = predict(cond, da);
    const afterB = predict(cond, db);
    const plainB = predict(plain, db);
    const beforeA = predict(w0, da);
    for (let i = 0; i < 10; i++) {
      expect(afterA[i] - beforeA[i]).toBeCloseTo(3, 3);
      expect(afterB[i] - beforeB[i]).toBeCloseTo(0, 4);
      expect(Math.abs(plainB[i] - beforeB[i])).toBeGreaterThan(0.1);
    }
    const n = conditionalNormal(da, [db]);
    expect(Math.abs(n.reduce((s, x, i) => s + x * (db as LinearDirection).model.normal[i], 0))).toBeLessThan(1e-9);
    expect(() => shift(w0, da, 1, { keep: [db, { ...da, attribute: 'copy' }] })).toThrow(
      expect.objectContaining({ code: 'DIRECTIONS_DEGENERATE' }),
    );
  });
});

describe('conditional edit with an angle kept', () => {
  it('a size edit keeping the hue leaves the fitted hue unchanged', () => {
    const w = gaussian(N, D, 61);
    const [u, v, sz] = [unit(D, 62), unit(D, 63), unit(D, 64)];
    const values = new Float32Array(N * 2);
    for (let i = 0; i < N; i++) {
      const h = (Math.atan2(rowDot(w, i, v), rowDot(w, i, u)) * 180) / Math.PI;
      values[2 * i] = h < 0 ? h + 360 : h;
      values[2 * i + 1] = rowDot(w, i, sz) + 0.5 * rowDot(w, i, u);
    }
    const [hue, size] = fitDirections(matrix(w, D), matrix(values, 2), {
      values: [
        { kind: 'circular', attribute: 'color', value: 'hue' },
        { kind: 'linear', attribute: 'size', value: 'size' },
      ],
    });
    const w0 = w.slice(0, 10 * D);
    const moved = shift(w0, size, 1, { keep: [hue] });
    const h0 = predict(w0, hue);
    const h1 = predict(moved, hue);
    const s0 = predict(w0, size);
    const s1 = predict(moved, size);
    for (let i = 0; i < 10; i++) {
      expect(Math.abs(angleDiff(h1[i], h0[i]))).toBeLessThan(1e-3);
      expect(s1[i] - s0[i]).toBeCloseTo(1, 3);
    }
  });

  it('refuses a value listed twice', () => {
    const { w, y } = toy(1);
    const values = new Float32Array(N * 2);
    for (let i = 0; i < N; i++) values[2 * i] = values[2 * i + 1] = y[i];
    const spec = { kind: 'linear', attribute: 'a', value: 'b' } as const;
    expect(() => fitDirections(matrix(w, D), matrix(values, 2), { values: [spec, spec] })).toThrow(/'a.b' is listed twice/);
  });
});
