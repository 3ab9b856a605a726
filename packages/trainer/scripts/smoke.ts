// Smoke run: a few steps of a preset on the chosen backend, printing per-step time and losses.
// npx tsx --tsconfig packages/trainer/tsconfig.json packages/trainer/scripts/smoke.ts [preset] [steps] [backend]
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@gan-control/backend';
import { shapesDatasets, shapesPlugins } from '@gan-control/domain-shapes';
import { GanControlTrainer, preset } from '../src/index.js';

const [name = 'tiny-8', stepsArg = '4', backend = 'cpu'] = process.argv.slice(2);
const info = await setupBackend(backend as 'auto');
console.log(`backend ${info.name}: ${info.reason}`);
const t = await GanControlTrainer.create(preset(name), { plugins: shapesPlugins, datasets: shapesDatasets });
for (let i = 0; i < Number(stepsArg); i++) {
  const t0 = Date.now();
  const m = await t.step();
  console.log(`step ${m.step} ${Date.now() - t0} ms tensors ${tf.memory().numTensors}`, JSON.stringify(m));
}
t.dispose();
