import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectNoLeaks } from '@gan-control/test-utils';
import { createRng } from '@gan-control/latent';
import {
  SHAPE_KIND_BANDS,
  ShapesDataset,
  centroidPixels,
  compactness,
  color,
  generateShapes,
  hueDegrees,
  parseShapesOptions,
  position,
  renderFactors,
  sampleShapeFactors,
  shape,
  shapeFactorsAt,
  shapesPlugins,
  size,
  sizeFraction,
} from '../src/index.js';

function circDiff(a: number, b: number): number {
  const d = Math.abs(a - b) % 360;
  return Math.min(d, 360 - d);
}

describe('dataset', () => {
  it('is deterministic per seed and index, and seeds differ', () => {
    const a = generateShapes({ seed: 3, count: 6 });
    const b = generateShapes({ seed: 3, count: 6 });
    const c = generateShapes({ seed: 4, count: 6 });
    expect(a.images).toEqual(b.images);
    expect(a.factors).toEqual(b.factors);
    expect(a.images).not.toEqual(c.images);
    // Image 4 rendered on its own equals image 4 of the batch.
    const one = generateShapes({ seed: 3, count: 1, start: 4 });
    expect(one.images).toEqual(a.images.subarray(4 * 32 * 32 * 3, 5 * 32 * 32 * 3));
  });

  it('streams resume exactly from state()', () => {
    const ds = new ShapesDataset({ seed: 11, resolution: 16 });
    ds.next(5);
    const saved = ds.state();
    const expected = ds.next(3);
    const ds2 = new ShapesDataset({ seed: 11, resolution: 16 });
    ds2.restore(saved);
    expect(ds2.next(3).images).toEqual(expected.images);
    expect(() => new ShapesDataset({ seed: 12 }).restore(saved)).toThrow(/seed 11/);
  });

  it('renders in [-1, 1], NHWC, at 32 and 64 px, with factors in range', () => {
    for (const resolution of [32, 64]) {
      const b = generateShapes({ seed: 1, count: 20, resolution });
      expect(b.shape).toEqual([20, resolution, resolution, 3]);
      let lo = Infinity,
        hi = -Infinity;
      for (const v of b.images) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      expect(lo).toBe(-1);
      expect(hi).toBeLessThanOrEqual(1);
      expect(hi).toBeGreaterThan(0.4);
      for (const f of b.factors) {
        expect(f.hue).toBeGreaterThanOrEqual(0);
        expect(f.hue).toBeLessThan(360);
        expect(f.size).toBeGreaterThanOrEqual(0.15);
        expect(f.size).toBeLessThanOrEqual(0.35);
      }
      expect(new Set(b.factors.map((f) => f.shape)).size).toBe(3);
    }
  });

  it('reports invalid options by field path', () => {
    expect(() => parseShapesOptions({ sizeRange: [0.4, 0.2] })).toThrow(/sizeRange/);
    expect(() => parseShapesOptions({ resolution: 3 })).toThrow(/resolution/);
  });

  it("draws image i from the project PRNG's sub-stream (seed, i), in any order", () => {
    const options = parseShapesOptions({ resolution: 32 });
    for (const i of [0, 1, 17, 2 ** 33]) expect(shapeFactorsAt(7, i, options)).toEqual(sampleShapeFactors(createRng(7, i), options));
    const forward = Array.from({ length: 6 }, (_, i) => shapeFactorsAt(3, i, options));
    const backward = Array.from({ length: 6 }, (_, i) => shapeFactorsAt(3, 5 - i, options)).reverse();
    expect(backward).toEqual(forward);
    expect(new Set(forward.map((f) => f.hue)).size).toBe(6);
  });
});

describe('measurements agree with ground truth', () => {
  it('hue within 3°, position within 0.5 px, size within 3% at 32 px (and 64 px)', () => {
    for (const resolution of [32, 64]) {
      const b = generateShapes({ seed: 2024, count: 200, resolution });
      const images = tf.tensor4d(b.images, b.shape);
      const hue = hueDegrees(images).arraySync() as number[][];
      const xy = centroidPixels(images).arraySync() as number[][];
      const s = sizeFraction(images).arraySync() as number[][];
      images.dispose();
      let worstHue = 0,
        worstPos = 0,
        worstSize = 0;
      b.factors.forEach((f, i) => {
        worstHue = Math.max(worstHue, circDiff(hue[i][0], f.hue));
        worstPos = Math.max(worstPos, Math.hypot(xy[i][0] - f.x, xy[i][1] - f.y));
        worstSize = Math.max(worstSize, Math.abs(s[i][0] - f.size) / f.size);
      });
      expect(worstHue).toBeLessThan(3);
      expect(worstPos).toBeLessThan(0.5);
      expect(worstSize).toBeLessThan(0.03);
    }
  });

  it('handles hue wrap-around in measure and distance', async () => {
    const opts = parseShapesOptions();
    const b = renderFactors(
      [359, 1, 180].map((hue) => ({ shape: 'circle' as const, hue, size: 0.3, x: 16, y: 16, rotation: 0 })),
      opts,
    );
    const images = tf.tensor4d(b.images, b.shape);
    const attr = await color.setup(color.options.parse({}));
    const h = attr.measure!(images).arraySync() as number[][];
    expect(circDiff(h[0][0], 359)).toBeLessThan(0.5);
    expect(h[1][0]).toBeLessThan(1.5);
    const dist = tf.tidy(() => (attr.distance as (f: tf.Tensor) => tf.Tensor2D)(attr.embed(images) as tf.Tensor)).arraySync();
    // 359° vs 1° is a 2° difference: 1 − cos 2° ≈ 6.1e-4; 359° vs 180° ≈ 2.
    expect(dist[0][1]).toBeCloseTo(1 - Math.cos((2 * Math.PI) / 180), 3);
    expect(dist[0][2]).toBeGreaterThan(1.99);
    expect(dist[0][0]).toBe(0);
    images.dispose();
  });
});

describe('shape kind (compactness)', () => {
  it('≈ 1 for a disc, 3/π for a square, 3√3/(2π) for a triangle; the bands tell the kind of dataset images', async () => {
    const opts = parseShapesOptions();
    const known = renderFactors(
      (['circle', 'square', 'triangle'] as const).map((kind) => ({ shape: kind, hue: 120, size: 0.35, x: 16, y: 16, rotation: 10 })),
      opts,
    );
    const images = tf.tensor4d(known.images, known.shape);
    const [disc, square, triangle] = expectNoLeaks(() => {
      const c = compactness(images);
      const rows = (c.arraySync() as number[][]).map((r) => r[0]);
      c.dispose();
      return rows;
    });
    expect(disc).toBeCloseTo(1, 1);
    expect(square).toBeCloseTo(3 / Math.PI, 1);
    expect(triangle).toBeCloseTo((3 * Math.sqrt(3)) / (2 * Math.PI), 1);
    images.dispose();
    const b = generateShapes({ seed: 2024, count: 200, resolution: 32 });
    const all = tf.tensor4d(b.images, b.shape);
    const attr = await shape.setup(shape.options.parse({}));
    const m = attr.measure!(all).arraySync() as number[][];
    all.dispose();
    const kindOf = (v: number) => (v < SHAPE_KIND_BANDS.square ? 'triangle' : v < SHAPE_KIND_BANDS.disc ? 'square' : 'circle');
    const right = b.factors.filter((f, i) => kindOf(m[i][0]) === f.shape).length;
    console.log(
      `shape kind from compactness: ${right}/200 right (disc ${disc.toFixed(3)}, square ${square.toFixed(3)}, triangle ${triangle.toFixed(3)})`,
    );
    expect(right / 200).toBeGreaterThan(0.9);
    expect(attr.values).toEqual([{ name: 'compactness', unit: 'ratio', range: [0.7, 1.05] }]);
    expect(attr.thresholds.tauPlus).toBeLessThan(attr.thresholds.tauMinus);
  });
});

describe('plugins', () => {
  it('follow the contract: names, apiVersion, defaults, values', async () => {
    expect(shapesPlugins.map((p) => p.name)).toEqual(['color', 'position', 'size']);
    for (const p of shapesPlugins) {
      expect(p.apiVersion).toBe(1);
      const opts = p.options.parse({});
      const a = await p.setup(opts);
      expect(a.name).toBe(p.name);
      expect(a.thresholds.tauPlus).toBeLessThan(a.thresholds.tauMinus);
      expect(a.weight).toBe(1);
      expect(a.values!.length).toBeGreaterThan(0);
      a.dispose();
    }
    expect(color.options.safeParse({ tauPlus: 1, tauMinus: 0.5 }).success).toBe(false);
  });

  it('embed and distance are differentiable w.r.t. the image, and leak nothing', async () => {
    const b = generateShapes({ seed: 9, count: 4, resolution: 16 });
    const images = tf.tensor4d(b.images, b.shape);
    for (const p of [color, position, size]) {
      const a = await p.setup(p.options.parse({}));
      const dist = a.distance as (f: tf.Tensor) => tf.Tensor2D;
      expectNoLeaks(
        () => {
          const g = tf.grad((x: tf.Tensor) => tf.sum(dist(a.embed(x as tf.Tensor4D) as tf.Tensor)))(images);
          const data = g.dataSync();
          let norm = 0,
            finite = true;
          for (const v of data) {
            norm += v * v;
            if (!Number.isFinite(v)) finite = false;
          }
          expect(finite, p.name).toBe(true);
          expect(norm, p.name).toBeGreaterThan(0);
          g.dispose();
          const m = a.measure!(images);
          const e = tf.tidy(() => dist(a.embed(images) as tf.Tensor));
          m.dispose();
          e.dispose();
        },
        { label: p.name },
      );
      a.dispose();
    }
    images.dispose();
  });

  it('the size and position embeddings move with the factor they measure', async () => {
    const opts = parseShapesOptions();
    const b = renderFactors(
      [
        { shape: 'square', hue: 40, size: 0.2, x: 12, y: 16, rotation: 10 },
        { shape: 'square', hue: 200, size: 0.3, x: 20, y: 16, rotation: 10 },
      ],
      opts,
    );
    const images = tf.tensor4d(b.images, b.shape);
    const p = await position.setup(position.options.parse({}));
    const s = await size.setup(size.options.parse({}));
    const xy = p.measure!(images).arraySync() as number[][];
    expect(xy[1][0] - xy[0][0]).toBeCloseTo(8, 1);
    const sz = s.measure!(images).arraySync() as number[][];
    expect(sz[1][0] - sz[0][0]).toBeCloseTo(0.1, 2);
    images.dispose();
  });
});
