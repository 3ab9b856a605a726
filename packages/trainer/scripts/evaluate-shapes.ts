// Realism of a shapes model: the factor distributions measured on generated images against the
// dataset's, as a two-sample Kolmogorov–Smirnov statistic per factor, plus a sample grid.
// Also the background haze (faint light on pixels outside the shape: the compactness weighs a pixel
// by its squared distance from the centroid, so a haze too faint to see moves it), the KS of the
// kind label itself (shares of the three bands), and the same statistics on images whose pixels
// under `HAZE_COVERAGE` are set to the background on both sides: how much of each gap is the haze.
//
//   npx tsx --tsconfig packages/trainer/tsconfig.json packages/trainer/scripts/evaluate-shapes.ts \
//     [--model packages/domain-shapes/model] [--count 2000] [--seed 2024] [--data-seed 99] [--grid out.png] [--json out.json]
//   --null-seed S: a second dataset sample (seed S) in place of the model — the statistics' own spread at this count.
//   --shift δ: the model's images shifted down by δ and clamped to [-1, 1] before they are measured.
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@gan-control/backend';
import { sampleLatents } from '@gan-control/latent';
import {
  SHAPE_KIND_BANDS,
  coverage,
  generateShapes,
  hueDegrees,
  centroidPixels,
  compactness,
  sizeFraction,
} from '@gan-control/domain-shapes';
import { tensorToPng } from '@gan-control/tensor-io/node';
import { loadTrainedModel } from '../src/index.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'packages/domain-shapes/model' },
    count: { type: 'string', default: '2000' },
    seed: { type: 'string', default: '2024' },
    // Seed of the dataset images compared with (another seed: an independent sample of the dataset).
    'data-seed': { type: 'string', default: '99' },
    // Instead of a model's images, a second dataset sample of this seed: the statistics two samples
    // of one distribution give at this count (what a generator that draws the dataset exactly would show).
    'null-seed': { type: 'string' },
    // Measure the model's images shifted down by this much and clamped to [-1, 1]: what the same
    // generator would show with its background that much below black (the halo clamped away).
    shift: { type: 'string', default: '0' },
    grid: { type: 'string' },
    json: { type: 'string' },
    backend: { type: 'string', default: 'auto' },
  },
});
await setupBackend(values.backend as 'auto');
const N = Number(values.count);
const nullSeed = values['null-seed'] === undefined ? undefined : Number(values['null-seed']);
const model = nullSeed === undefined ? await loadTrainedModel(values.model!) : undefined;
const res = model?.generator.resolution ?? 32;
/** Dataset images `k … k + n − 1` of a seed. */
function datasetImages(seed: number, k: number, n: number): tf.Tensor4D {
  const d = generateShapes({ seed, start: k, count: n, resolution: res });
  return tf.tensor4d(d.images, d.shape);
}
/** `n` images from index `k` on: the model's (latents of seed `--seed` + k), or the null sample's. */
function sampleImages(k: number, n: number): tf.Tensor4D {
  if (!model) return datasetImages(nullSeed!, k, n);
  const shift = Number(values.shift);
  return tf.tidy(() => {
    const img = model.generator.generate(sampleLatents(model.layout.dim, n, Number(values.seed) + k), { noiseMode: 'const' });
    return shift === 0 ? img : (tf.clipByValue(tf.sub(img, shift), -1, 1) as tf.Tensor4D);
  });
}

type Factors = {
  hue: number[];
  x: number[];
  y: number[];
  size: number[];
  coverage: number[];
  compactness: number[];
  /** Coverage summed over the pixels under `HAZE_COVERAGE` (≈ 0 for a rendered image but its edges). */
  haze: number[];
  /** Size and compactness of the image with those pixels set to the background. */
  sizeDehazed: number[];
  compactnessDehazed: number[];
};
const factors = (): Factors => ({
  hue: [],
  x: [],
  y: [],
  size: [],
  coverage: [],
  compactness: [],
  haze: [],
  sizeDehazed: [],
  compactnessDehazed: [],
});

/** Pixels whose coverage is below this count as haze: 1/10 of a shape's light, well below visible edges. */
const HAZE_COVERAGE = 0.1;

function measure(images: tf.Tensor4D, into: Factors): void {
  const h = hueDegrees(images).dataSync();
  const xy = centroidPixels(images).dataSync();
  const s = sizeFraction(images).dataSync();
  const c = tf.tidy(() => compactness(images)).dataSync(); // the kind: 1 disc, 0.955 square, 0.827 triangle
  // Fraction of pixels that are neither background nor fully inside a shape: 0 ≈ a clean shape.
  const frac = tf
    .tidy(() => {
      const a = tf.clipByValue(tf.div(tf.sum(tf.add(tf.mul(images, 0.5), 0.5), 3), 1.5), 0, 1);
      return tf.mean(tf.cast(tf.logicalAnd(tf.greater(a, 0.1), tf.less(a, 0.9)), 'float32'), [1, 2]);
    })
    .dataSync();
  const [haze, dehazed] = tf.tidy(() => {
    const cov = coverage(images);
    const faint = tf.cast(tf.less(cov, HAZE_COVERAGE), 'float32');
    const keep = tf.expandDims(tf.sub(1, faint), 3);
    // Background is −1: scale the offset from it, so kept pixels are unchanged and the rest become −1.
    return [tf.sum(tf.mul(cov, faint), [1, 2]), tf.sub(tf.mul(tf.add(images, 1), keep), 1) as tf.Tensor4D] as const;
  });
  const hz = haze.dataSync();
  const sd = tf.tidy(() => sizeFraction(dehazed)).dataSync();
  const cd = tf.tidy(() => compactness(dehazed)).dataSync();
  tf.dispose([haze, dehazed]);
  for (let i = 0; i < images.shape[0]; i++) {
    into.haze.push(hz[i]);
    into.sizeDehazed.push(sd[i]);
    into.compactnessDehazed.push(cd[i]);
    into.hue.push(h[i]);
    into.x.push(xy[2 * i]);
    into.y.push(xy[2 * i + 1]);
    into.size.push(s[i]);
    into.coverage.push(frac[i]);
    into.compactness.push(c[i]);
  }
}

const gen = factors();
const data = factors();
const B = 100;
const t0 = Date.now();
for (let k = 0; k < N; k += B) {
  const n = Math.min(B, N - k);
  const img = sampleImages(k, n);
  measure(img, gen);
  img.dispose();
  const dt = datasetImages(Number(values['data-seed']), k, n);
  measure(dt, data);
  dt.dispose();
}

/** Two-sample KS statistic: max |F1 − F2|. */
function ks(a: number[], b: number[]): number {
  const x = [...a].sort((p, q) => p - q),
    y = [...b].sort((p, q) => p - q);
  let i = 0,
    j = 0,
    d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i], y[j]);
    while (i < x.length && x[i] <= v) i++;
    while (j < y.length && y[j] <= v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  return d;
}
const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
/** Kind band of a compactness value: triangle < 0.89 ≤ square < 0.975 ≤ disc. */
const kindOf = (c: number) => (c < SHAPE_KIND_BANDS.square ? 'triangle' : c < SHAPE_KIND_BANDS.disc ? 'square' : 'disc');
function kindShares(c: number[]) {
  const n = c.length;
  const share = (k: string) => c.filter((v) => kindOf(v) === k).length / n;
  return { triangle: share('triangle'), square: share('square'), disc: share('disc') };
}
/** KS of the kind label, the bands in compactness order: the largest gap of the cumulative shares. */
function kindKs(a: number[], b: number[]): number {
  const p = kindShares(a),
    q = kindShares(b);
  return Math.max(Math.abs(p.triangle - q.triangle), Math.abs(p.triangle + p.square - q.triangle - q.square));
}
/** Counts per size bin (edges `SIZE_BINS`, open at both ends) and kind band: where each kind's sizes lie. */
const SIZE_BINS = [0.15, 0.2, 0.25, 0.3, 0.35];
function sizeByKind(f: Factors) {
  const out = {
    triangle: new Array(SIZE_BINS.length + 1).fill(0),
    square: new Array(SIZE_BINS.length + 1).fill(0),
    disc: new Array(SIZE_BINS.length + 1).fill(0),
  };
  f.size.forEach((s, i) => {
    out[kindOf(f.compactness[i])][SIZE_BINS.filter((e) => s >= e).length]++;
  });
  return out;
}
const report = {
  model: nullSeed === undefined ? values.model : `dataset (seed ${nullSeed})`,
  images: N,
  seeds: { latents: Number(values.seed), dataset: Number(values['data-seed']) },
  shift: Number(values.shift),
  seconds: (Date.now() - t0) / 1000,
  ks: { hue: ks(gen.hue, data.hue), x: ks(gen.x, data.x), y: ks(gen.y, data.y), size: ks(gen.size, data.size) },
  // Critical value of the two-sample KS test at α = 0.05 for these sample sizes.
  ksCritical05: 1.358 * Math.sqrt((2 * N) / (N * N)),
  edgePixelFraction: { generated: mean(gen.coverage), dataset: mean(data.coverage) },
  // Shape kind: KS of the compactness, and the share of each kind's band (triangle < 0.89 ≤ square < 0.975 ≤ disc).
  compactness: {
    ks: ks(gen.compactness, data.compactness),
    kindKs: kindKs(gen.compactness, data.compactness),
    kinds: { generated: kindShares(gen.compactness), dataset: kindShares(data.compactness) },
    sizeBins: SIZE_BINS,
    sizeByKind: { generated: sizeByKind(gen), dataset: sizeByKind(data) },
  },
  haze: {
    coverageBelow: HAZE_COVERAGE,
    perImage: { generated: mean(gen.haze), dataset: mean(data.haze) },
    // The same statistics with the haze set to background on both sides (hue and position barely move).
    dehazed: {
      sizeKs: ks(gen.sizeDehazed, data.sizeDehazed),
      compactnessKs: ks(gen.compactnessDehazed, data.compactnessDehazed),
      kindKs: kindKs(gen.compactnessDehazed, data.compactnessDehazed),
      kinds: { generated: kindShares(gen.compactnessDehazed), dataset: kindShares(data.compactnessDehazed) },
    },
  },
  ranges: {
    generated: { size: [Math.min(...gen.size), Math.max(...gen.size)], x: [Math.min(...gen.x), Math.max(...gen.x)] },
    dataset: { size: [Math.min(...data.size), Math.max(...data.size)], x: [Math.min(...data.x), Math.max(...data.x)] },
  },
};
console.log(JSON.stringify(report, null, 2));
if (values.json) await writeFile(values.json, JSON.stringify(report, null, 2));
if (values.grid && model) {
  const z = sampleLatents(model.layout.dim, 64, 7);
  const img = tf.tidy(() => model.generator.generate(z, { noiseMode: 'const' }));
  await writeFile(values.grid, await tensorToPng(img, { grid: { rows: 8, cols: 8 } }));
  tf.dispose([z, img]);
}
model?.dispose();
