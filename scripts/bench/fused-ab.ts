// `npx tsx --tsconfig tsconfig.base.json scripts/bench/fused-ab.ts [reps] [kernel,…]` (workspace
// packages from src/): interleaved A/B in one process — the shapes preset's generator (32 and 64 px,
// batch 16) with the fused kernels (default: MODCONV_DEMOD(+_GRAD), SCALE_CHANNELS, CHANNEL_DOT,
// EMA_UPDATE) registered vs unregistered (the composed ops), alternating call by call so that the
// machine's load drifts equally into both; median ms per call. (The whole step: `npm run bench`
// with and without GAN_CONTROL_EXCLUDE_KERNELS.)
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@gan-control/backend';
import { createGenerator, updateEma } from '@gan-control/stylegan2';
import { GanControlTrainer, preset } from '@gan-control/trainer';
import { color, position, shapesDatasets, size } from '@gan-control/domain-shapes';
const info = await setupBackend('wasm');
console.log(info.reason);
const NAMES = (
  process.argv[3] ?? 'GanControlModconvDemod,GanControlModconvDemodGrad,GanControlScaleChannels,GanControlChannelDot,GanControlEmaUpdate'
).split(',');
const saved = NAMES.map((n) => tf.getKernel(n, 'wasm')!);
const off = () => NAMES.forEach((n) => tf.unregisterKernel(n, 'wasm'));
const on = () => saved.forEach((c) => tf.registerKernel(c));
const med = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const reps = Number(process.argv[2] ?? 15);
for (const res of [32, 64]) {
  const G = createGenerator(
    {
      zDim: 40,
      wDim: 40,
      resolution: res,
      mapping: { numLayers: 2, layerFeatures: 64, lrMultiplier: 0.01 },
      synthesis: { channelBase: 1024, channelMax: 64, useNoise: false },
    },
    { seed: 1 },
  );
  const E = G.clone();
  const z = tf.randomNormal([16, 40], 0, 1, 'float32', 2) as tf.Tensor2D;
  const probe = tf.randomNormal([16, res, res, 3], 0, 1, 'float32', 3);
  const vars = G.trainableVariables();
  const fwd = () => tf.tidy(() => G.generate(z)).dataSync();
  const fb = () => {
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(G.generate(z), probe)) as tf.Scalar, vars);
    value.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
  };
  const ema = () => {
    updateEma(E, G, 0.999);
    E.wAvg.dataSync();
  };
  for (const [name, fn] of [
    ['G forward', fwd],
    ['G forward+backward', fb],
    ['EMA of G', ema],
  ] as const) {
    const t: Record<string, number[]> = { fused: [], composed: [] };
    for (let i = 0; i < reps + 2; i++) {
      for (const v of i % 2 ? ['fused', 'composed'] : ['composed', 'fused']) {
        if (v === 'composed') off();
        const s = performance.now();
        fn();
        const e = performance.now() - s;
        if (v === 'composed') on();
        if (i >= 2) t[v]!.push(e);
      }
    }
    console.log(
      `${res} px ${name}: fused ${med(t.fused!).toFixed(2)} ms, composed ${med(t.composed!).toFixed(2)} ms (median of ${reps}, interleaved)`,
    );
  }
  tf.dispose([z, probe]);
  G.dispose();
  E.dispose();
}
// The whole training step (the shapes preset; R1 on every step or on none, so that alternating
// steps do the same work), fused and composed steps alternating on one trainer.
for (const res of [32, 64]) {
  for (const dRegInterval of [null, 1]) {
    const t = await GanControlTrainer.create(preset('shapes-32', { resolution: res, dRegInterval }), {
      plugins: [color, position, size],
      datasets: shapesDatasets,
    });
    await t.step();
    const times: Record<string, number[]> = { fused: [], composed: [] };
    for (let i = 0; i < Math.ceil(reps / 2) + 1; i++) {
      for (const v of i % 2 ? ['fused', 'composed'] : ['composed', 'fused']) {
        if (v === 'composed') off();
        const s = performance.now();
        await t.step();
        const e = performance.now() - s;
        if (v === 'composed') on();
        if (i >= 1) times[v]!.push(e);
      }
    }
    t.dispose();
    const what = dRegInterval ? 'training step with R1' : 'training step, no R1';
    console.log(
      `${res} px ${what}: fused ${med(times.fused!).toFixed(1)} ms, composed ${med(times.composed!).toFixed(1)} ms (median of ${times.fused!.length}, interleaved)`,
    );
  }
}
