/**
 * StyleGAN2 speed on the available TF.js backends (`cpu`, `wasm`, and `project` = the project's
 * backend setup, `@gan-control/backend`'s `setupBackend('wasm')`: fast/native gradient kernels
 * registered over wasm, what the trainer uses): generator forward ms/image
 * and training-step ms/image (G main + D main steps, and the lazy R1 / path-length steps), for a
 * 32 px and a 64 px config. Prints a table and a JSON line (`--json <file>` also writes it).
 *
 *   npm run bench -w @gan-control/stylegan2 [-- --backends cpu,wasm,project --batch 8 --iters 3 --json out.json]
 *
 * `project` must come last: it registers kernels over the stock wasm ones.
 */
import { writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import {
  createDiscriminator,
  createGenerator,
  discriminatorLogistic,
  generatorLogisticNS,
  lazyRegularizationAdam,
  PathLengthRegularizer,
  r1Penalty,
  type DiscriminatorConfigInput,
  type GeneratorConfigInput,
} from '../src/index.js';

const args = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const backends = opt('backends', 'cpu,wasm,project').split(',');
const batch = Number(opt('batch', '8'));
const iters = Number(opt('iters', '3'));
const jsonPath = args.includes('--json') ? opt('json', '') : '';

// GAN-Control-style partitioned mapping (3 groups, 2 layers) and a small synthesis network.
const groups = [
  { name: 'id', size: 32 },
  { name: 'pose', size: 16 },
  { name: 'other', size: 16 },
];
const CONFIGS: { name: string; G: GeneratorConfigInput; D: DiscriminatorConfigInput }[] = [32, 64].map((res) => ({
  name: `${res}px`,
  G: { zDim: 64, wDim: 64, resolution: res, mapping: { numLayers: 2, groups }, synthesis: { channelBase: 1024, channelMax: 64 } },
  D: { resolution: res, channelBase: 1024, channelMax: 64, mbstdGroupSize: 4 },
}));

function time(fn: () => void): number {
  fn(); // warm-up (kernels, caches, optimiser slots)
  const t0 = performance.now();
  for (let i = 0; i < iters; i++) fn();
  return (performance.now() - t0) / iters;
}

interface Row {
  backend: string;
  config: string;
  batch: number;
  gForwardMsPerImage: number;
  trainStepMsPerImage: number;
  r1StepMsPerImage: number;
  plStepMsPerImage: number;
}

const rows: Row[] = [];
for (const backend of backends) {
  let ok = false;
  try {
    if (backend === 'project') {
      // Bench-only (devDependency): the library itself never imports the backend package.
      const { setupBackend } = await import('@gan-control/backend');
      const info = await setupBackend('wasm');
      console.error(`project backend: ${info.name} (${info.reason})`);
      ok = true;
    } else {
      ok = await tf.setBackend(backend);
      await tf.ready();
    }
  } catch (e) {
    console.error(`backend ${backend}: unavailable (${(e as Error).message})`);
  }
  if (!ok) continue;
  for (const c of CONFIGS) {
    const G = createGenerator(c.G, { seed: 1 });
    const D = createDiscriminator(c.D, { seed: 2 });
    const g = lazyRegularizationAdam({ learningRate: 0.0025, beta1: 0, beta2: 0.99, interval: 4 });
    const d = lazyRegularizationAdam({ learningRate: 0.0025, beta1: 0, beta2: 0.99, interval: 16 });
    const optG = tf.train.adam(g.learningRate, g.beta1, g.beta2, 1e-8);
    const optD = tf.train.adam(d.learningRate, d.beta1, d.beta2, 1e-8);
    const pl = new PathLengthRegularizer();
    const z = tf.randomNormal([batch, 64], 0, 1, 'float32', 1) as tf.Tensor2D;
    const reals = tf.randomUniform([batch, c.D.resolution, c.D.resolution, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
    const half = tf.slice(z, [0, 0], [batch / 2, 64]) as tf.Tensor2D;

    const forward = time(() => tf.dispose(G.generate(z, { noiseMode: 'random' })));
    const train = time(() => {
      optG.minimize(
        () => generatorLogisticNS(D.logits(G.generate(z, { noiseMode: 'random' }))) as tf.Scalar,
        false,
        G.trainableVariables(),
      );
      const fakes = tf.tidy(() => G.generate(z, { noiseMode: 'random' }));
      optD.minimize(() => discriminatorLogistic(D.logits(reals), D.logits(fakes)), false, D.trainableVariables());
      fakes.dispose();
    });
    const r1 = time(() =>
      optD.minimize(
        () => tf.mul(tf.mean(r1Penalty((x) => D.logits(x), reals).penalty), 0.5 * 16) as tf.Scalar,
        false,
        D.trainableVariables(),
      ),
    );
    const plStep = time(() =>
      optG.minimize(
        () => tf.mul(pl.loss(G, G.mapping(half), { synthesis: { noiseMode: 'random' } }).loss, 4) as tf.Scalar,
        false,
        G.trainableVariables(),
      ),
    );
    rows.push({
      backend,
      config: c.name,
      batch,
      gForwardMsPerImage: forward / batch,
      trainStepMsPerImage: train / batch,
      r1StepMsPerImage: r1 / batch,
      plStepMsPerImage: plStep / (batch / 2),
    });
    tf.dispose([z, reals, half]);
    optG.dispose();
    optD.dispose();
    G.dispose();
    D.dispose();
    console.error(`done ${backend} ${c.name}`);
  }
}

const f = (v: number) => v.toFixed(1).padStart(10);
console.log(`\nStyleGAN2 bench (batch ${batch}, ${iters} timed iterations after 1 warm-up; ms per image)`);
console.log('backend  config  G forward  G+D step  R1 step  PL step (per PL image)');
for (const r of rows)
  console.log(
    `${r.backend.padEnd(8)} ${r.config.padEnd(6)}${f(r.gForwardMsPerImage)}${f(r.trainStepMsPerImage)}${f(r.r1StepMsPerImage)}${f(r.plStepMsPerImage)}`,
  );
const json = JSON.stringify({ bench: 'stylegan2', batch, iters, node: process.version, rows });
console.log(json);
if (jsonPath) writeFileSync(jsonPath, json + '\n');
