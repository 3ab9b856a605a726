// Speed of a face plugin: ms per image for embed (forward) and for the gradient of a
// contrastive-style loss with respect to the pixels (forward + backward), batch 16, on every
// backend that loads here (cpu, wasm, and tensorflow when @tensorflow/tfjs-node is installed).
// Run from a plugin package (its default export in src/index.ts is benchmarked), e.g.
//   cd packages/attribute-age && npm run bench -- [--batch 16] [--reps 2] [--backends cpu,wasm,tensorflow] [--json]
// or name the module: tsx packages/face-common/scripts/bench-plugin.ts --plugin packages/attribute-pose/src/index.ts
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { AttributePlugin } from '@gan-control/contrastive-loss';

const args = process.argv.slice(2);
const flag = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const batch = Number(flag('batch', '16'));
const reps = Number(flag('reps', '2'));
const backends = flag('backends', 'cpu,wasm,tensorflow').split(',');
const json = args.includes('--json');
const pluginFile = resolve(flag('plugin', 'src/index.ts'));
const plugin = (await import(pathToFileURL(pluginFile).href)).default as AttributePlugin | undefined;
if (!plugin?.setup || !plugin.options) throw new Error(`${pluginFile}: its default export is not an attribute plugin`);

// The application normally selects the backend through @gan-control/backend (which also adds the
// wasm convolution-gradient kernels tfjs lacks); use it when the monorepo has it, else tfjs directly.
let via = 'tfjs setBackend';
async function useBackend(name: string): Promise<boolean> {
  try {
    const spec = '@gan-control/backend';
    const mod = (await import(spec).catch(() => null)) as { setupBackend?: (p: string) => Promise<{ name: string }> } | null;
    if (mod?.setupBackend) {
      via = '@gan-control/backend setupBackend';
      return (await mod.setupBackend(name)).name === name;
    }
    if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
    // @ts-ignore optional dependency, absent on most machines
    if (name === 'tensorflow') await import('@tensorflow/tfjs-node');
    return await tf.setBackend(name);
  } catch {
    return false;
  }
}

const results: Record<string, unknown>[] = [];
for (const backend of backends) {
  if (!(await useBackend(backend))) {
    if (!json) console.log(`${backend}: not available here, skipped`);
    continue;
  }
  await tf.ready();
  const attr = await plugin.setup(plugin.options.parse({ checkRange: false }));
  const images = tf.randomUniform([batch, 160, 160, 3], -1, 1, 'float32', 7) as tf.Tensor4D;
  const pairs = tf.tidy(() =>
    tf.cast(
      tf.equal(
        tf.expandDims(tf.floorDiv(tf.range(0, batch, 1, 'int32'), 2), 1),
        tf.expandDims(tf.floorDiv(tf.range(0, batch, 1, 'int32'), 2), 0),
      ),
      'float32',
    ),
  );
  const loss = (x: tf.Tensor4D) =>
    tf.tidy(() => {
      const e = attr.embed(x) as tf.Tensor2D;
      const d = tf.mean(tf.abs(tf.sub(tf.expandDims(e, 1), tf.expandDims(e, 0))), 2);
      return tf.mean(
        tf.add(
          tf.mul(pairs, tf.relu(tf.sub(d, attr.thresholds.tauPlus))),
          tf.mul(tf.sub(1, pairs), tf.relu(tf.sub(attr.thresholds.tauMinus, d))),
        ),
      ) as tf.Scalar;
    });
  const time = async (fn: () => tf.Tensor): Promise<number> => {
    let best = Number.POSITIVE_INFINITY;
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      const out = fn();
      await out.data();
      best = Math.min(best, performance.now() - t0);
      out.dispose();
    }
    return best / batch;
  };
  const row: Record<string, unknown> = { plugin: plugin.name, backend, via, batch };
  try {
    row.forwardMsPerImage = Math.round(await time(() => attr.embed(images) as tf.Tensor));
  } catch (e) {
    row.forwardError = (e as Error).message;
  }
  try {
    row.forwardBackwardMsPerImage = Math.round(await time(() => tf.grad(loss)(images)));
  } catch (e) {
    row.forwardBackwardError = (e as Error).message;
  }
  tf.dispose([images, pairs]);
  attr.dispose();
  results.push(row);
  if (!json)
    console.log(
      `${plugin.name} ${backend} (${via}) batch ${batch}: forward ${row.forwardMsPerImage ?? row.forwardError} ms/image, forward+backward ${row.forwardBackwardMsPerImage ?? row.forwardBackwardError} ms/image`,
    );
}
if (json) console.log(JSON.stringify(results));
