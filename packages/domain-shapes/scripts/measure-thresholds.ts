// Measures the distributions behind the plugins' defaults (README "Thresholds") and the
// measurement error against ground truth. Run: npx tsx --tsconfig packages/domain-shapes/tsconfig.json packages/domain-shapes/scripts/measure-thresholds.ts
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {
  generateShapes,
  renderFactors,
  parseShapesOptions,
  hueDegrees,
  centroidPixels,
  sizeFraction,
  shapeFactorsAt,
  color,
  position,
  size,
  POSITION_SCALE,
  SIZE_SCALE,
  type ShapeFactors,
} from '../src/index.js';

await tf.setBackend('cpu');
console.warn = () => {};
const N = 2000;
const resolution = Number(process.argv[2] ?? 32);
const opts = parseShapesOptions({ resolution });
const b = generateShapes({ seed: 77, count: N, resolution });
const images = tf.tensor4d(b.images, b.shape);
const hue = hueDegrees(images).dataSync();
const xy = centroidPixels(images).dataSync();
const sz = sizeFraction(images).dataSync();
images.dispose();
const circ = (a: number, c: number) => {
  const d = Math.abs(a - c) % 360;
  return Math.min(d, 360 - d);
};
const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, c) => a - c);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};
const errH: number[] = [],
  errP: number[] = [],
  errS: number[] = [];
b.factors.forEach((f, i) => {
  errH.push(circ(hue[i], f.hue));
  errP.push(Math.hypot(xy[2 * i] - f.x, xy[2 * i + 1] - f.y));
  errS.push(Math.abs(sz[i] - f.size) / f.size);
});
console.log(`measurement error vs ground truth at ${resolution}px, N=${N}:`);
console.log(`  hue deg   p50 ${q(errH, 0.5).toFixed(4)} p99 ${q(errH, 0.99).toFixed(4)} max ${Math.max(...errH).toFixed(4)}`);
console.log(`  pos px    p50 ${q(errP, 0.5).toFixed(4)} p99 ${q(errP, 0.99).toFixed(4)} max ${Math.max(...errP).toFixed(4)}`);
console.log(`  size rel  p50 ${q(errS, 0.5).toFixed(4)} p99 ${q(errS, 0.99).toFixed(4)} max ${Math.max(...errS).toFixed(4)}`);

// Distances in the plugins' own units (their embed + distance): independent pairs (negatives) and
// pairs that share the factor while every other factor is redrawn (positives).
const plugins = [color, position, size];
const attrs = await Promise.all(plugins.map((p) => p.setup(p.options.parse({}))));
function pairDistances(
  imgs: Float32Array,
  shape: [number, number, number, number],
  idx: (a: number) => number,
  attr: (typeof attrs)[number],
  pairs: number,
): number[] {
  const t = tf.tensor4d(imgs, shape);
  const d = tf.tidy(() => (attr.distance as (f: tf.Tensor) => tf.Tensor2D)(attr.embed(t) as tf.Tensor));
  const m = d.arraySync();
  t.dispose();
  d.dispose();
  return Array.from({ length: pairs }, (_, i) => m[idx(i)][idx(i) + 1]);
}
const M = 1000;
const posFactors: Record<string, ShapeFactors[]> = { color: [], position: [], size: [] };
for (let i = 0; i < M; i++) {
  const a = shapeFactorsAt(1000, i, opts);
  const o = shapeFactorsAt(2000, i, opts);
  posFactors.color.push(a, { ...o, hue: a.hue });
  posFactors.position.push(a, { ...o, x: a.x, y: a.y, size: Math.min(o.size, a.size) });
  posFactors.size.push(a, { ...o, size: a.size, x: a.x, y: a.y });
}
const sub = generateShapes({ seed: 77, count: 2 * M, resolution });
const targets: Record<string, number> = {
  color: 1 - Math.cos((5 * Math.PI) / 180),
  position: (1 / 32 / POSITION_SCALE) ** 2,
  size: ((0.05 * 0.25) / SIZE_SCALE) ** 2,
};
console.log('distance distributions (plugin units) and the thresholds they give:');
attrs.forEach((a, k) => {
  const neg = pairDistances(sub.images, sub.shape, (i) => 2 * i, a, M);
  const pb = renderFactors(posFactors[a.name], opts);
  const pos = pairDistances(pb.images, pb.shape, (i) => 2 * i, a, M);
  const tauMinus = q(neg, 0.1);
  const tauPlus = Math.min(targets[a.name], tauMinus / 4);
  console.log(
    `  ${a.name.padEnd(9)} positives p50 ${q(pos, 0.5).toExponential(2)} p99 ${q(pos, 0.99).toExponential(2)} | negatives p05 ${q(neg, 0.05).toExponential(2)} p10 ${q(neg, 0.1).toExponential(2)} p25 ${q(neg, 0.25).toExponential(2)} p50 ${q(neg, 0.5).toExponential(2)} | target ${targets[a.name].toExponential(2)} -> tauPlus ${tauPlus.toPrecision(3)} tauMinus ${tauMinus.toPrecision(3)} (plugin default ${a.thresholds.tauPlus} / ${a.thresholds.tauMinus}) [${plugins[k].name}]`,
  );
});
