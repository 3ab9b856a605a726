// Diagnostic: can the shapes-32 generator fit 16 dataset images by MSE from fixed latents (no D)?
// If it can (it does: MSE 3.06 → 0.016 in 300 Adam steps, bright colourful blobs at the right
// places), G's forward and backward are sound and a failing GAN run points at D or the dynamics.
//   npx tsx --tsconfig packages/trainer/tsconfig.json packages/trainer/scripts/diagnose-fit.ts [lr]  → /tmp/fit.png (top: G, bottom: targets)
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@gan-control/backend';
import { generateShapes } from '@gan-control/domain-shapes';
import { createGenerator } from '@gan-control/stylegan2';
import { sampleLatents } from '@gan-control/latent';
import { Adam, networkConfigs, preset } from '../src/index.js';
import { tensorToPng } from '@gan-control/tensor-io/node';
import { writeFile } from 'node:fs/promises';
await setupBackend('wasm');
const cfg = preset('shapes-32');
const G = createGenerator(networkConfigs(cfg).generator, { seed: 1 });
const b = generateShapes({ seed: 3, count: 16 });
const target = tf.tensor4d(b.images, b.shape);
const z = sampleLatents(G.zDim, 16, 1);
const vars = Object.entries(G.variables()).filter(([, v]) => v.trainable);
const byTf = new Map(vars.map(([n, v]) => [v.name, n]));
const opt = new Adam({ lr: Number(process.argv[2] ?? 0.0025), betas: [0, 0.99], eps: 1e-8 });
for (let i = 0; i <= 300; i++) {
  const { value, grads } = tf.variableGrads(
    () => tf.mean(tf.square(tf.sub(G.synthesis(G.mapping(z)), target))) as tf.Scalar,
    vars.map(([, v]) => v),
  );
  const named: Record<string, tf.Tensor> = {};
  for (const [k, g] of Object.entries(grads)) named[byTf.get(k)!] = g;
  opt.apply(Object.fromEntries(vars), named);
  if (i % 50 === 0) console.log(i, value.dataSync()[0].toFixed(4));
  tf.dispose([value, ...Object.values(grads)]);
}
const out = G.synthesis(G.mapping(z));
await writeFile('/tmp/fit.png', await tensorToPng(tf.concat([out, target]), { grid: { rows: 4, cols: 8 } }));
