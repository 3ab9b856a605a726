// Benchmark of the encoders at the official size (y → 512 → 512 → 512 → d_k): one training step
// (batch 128, L1 + Adam) and `encode` latency (batch 1 and 128), so a 100k-sample training run
// can be estimated before starting it (steps per epoch = 0.9 · N / 128).
//
//   npx tsx packages/encoders/bench/encoders.bench.ts            # cpu backend
//   npx tsx packages/encoders/bench/encoders.bench.ts --backend wasm --json
//   npx tsx packages/encoders/bench/encoders.bench.ts --hidden 128,128,128
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { trainEncoder, createEncoder } from '../src/index.js';
import type { AttributeRows } from '../src/index.js';

const args = process.argv.slice(2);
const backend = args.includes('--backend') ? args[args.indexOf('--backend') + 1] : 'cpu';
const jsonOnly = args.includes('--json');
const hidden = args.includes('--hidden') ? args[args.indexOf('--hidden') + 1].split(',').map(Number) : [512, 512, 512];
const log = (s: string) => {
  if (!jsonOnly) console.log(s);
};
if (backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
await tf.setBackend(backend);
await tf.ready();

const V = 3;
const d = 64;
const rows = 128 * 20;
// Synthetic rows: w^k a smooth function of y, enough to time the steps.
const y = new Float32Array(rows * V).map((_, i) => Math.sin(i * 0.37) * 30);
const w = new Float32Array(rows * d).map((_, i) => Math.cos(i * 0.11));
const data: AttributeRows = {
  group: 'pose',
  attribute: 'pose',
  values: [
    { name: 'yaw', unit: 'deg' },
    { name: 'pitch', unit: 'deg' },
    { name: 'roll', unit: 'deg' },
  ],
  wSlice: { offset: 0, size: d },
  rows,
  y,
  w,
};
const results: Record<string, number> = {};

// Training: 2 epochs of (0.9 · rows / 128) = 18 steps each; the first epoch warms up.
const epochTimes: number[] = [];
let last = performance.now();
const { encoder } = await trainEncoder({
  data,
  epochs: 2,
  patience: 5,
  architecture: { hidden },
  onProgress: () => {
    const now = performance.now();
    epochTimes.push(now - last);
    last = now;
  },
});
const steps = Math.ceil((rows - Math.round(rows * 0.1)) / 128);
results.trainStepMs = epochTimes[1] / steps;
log(`train step (batch 128, ${[V, ...hidden, d].join('→')}, L1 + Adam): ${results.trainStepMs.toFixed(1)} ms`);
log(`  → 100k samples, one epoch ≈ ${((results.trainStepMs * Math.ceil(90_000 / 128)) / 1000).toFixed(1)} s`);
encoder.dispose();

const enc = createEncoder({
  attribute: 'pose',
  group: 'pose',
  wSlice: { offset: 0, size: d },
  values: data.values.map((v) => ({
    kind: 'linear' as const,
    name: v.name,
    unit: v.unit,
    mean: 0,
    std: 30,
    range: [-90, 90] as [number, number],
  })),
  architecture: { hidden },
});
for (const b of [1, 128]) {
  const input = tf.randomNormal([b, V]) as tf.Tensor2D;
  tf.dispose(enc.encode(input)); // warm-up
  const reps = 20;
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) {
    const out = enc.encode(input);
    await out.data();
    out.dispose();
  }
  results[`encodeMs_b${b}`] = (performance.now() - t0) / reps;
  log(`encode batch ${b}: ${results[`encodeMs_b${b}`].toFixed(2)} ms`);
  input.dispose();
}
enc.dispose();
if (jsonOnly) console.log(JSON.stringify({ backend, hidden, ...results }));
else log(`backend ${backend}, tensors left ${tf.memory().numTensors}`);
