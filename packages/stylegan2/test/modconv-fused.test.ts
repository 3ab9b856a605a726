// The generator with `@gan-control/backend`'s fused kernels (MODCONV_DEMOD for the demodulation
// coefficients, SCALE_CHANNELS / CHANNEL_DOT for the modulation and demodulation scalings,
// EMA_UPDATE for G_ema and w_avg) against the same generator on the composed ops:
// images, first derivatives of a loss w.r.t. every parameter and w, the path-length gradient's
// gradient, and the EMA / w_avg updates, at odd batch sizes and channel counts, 1 and 3 threads.
import * as tf from '@tensorflow/tfjs-core';
import { setNativeThreads, setupBackend, type BackendInfo } from '@gan-control/backend';
import { CHANNEL_DOT, EMA_UPDATE, MODCONV_DEMOD, MODCONV_DEMOD_GRAD, SCALE_CHANNELS } from '@gan-control/gradients';
import { expectNoLeaks } from '@gan-control/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGenerator, updateEma, type Generator } from '../src/index.js';

let info: BackendInfo;
beforeAll(async () => {
  info = await setupBackend('wasm');
});
afterAll(async () => {
  await setNativeThreads();
  await tf.setBackend('cpu');
});

/** Runs `fn` with `kernelNames` unregistered on the active backend (the callers' composed ops), then restores them. */
function without<T>(kernelNames: string | string[], fn: () => T): T {
  const configs = [kernelNames].flat().flatMap((name) => {
    const config = tf.getKernel(name, tf.getBackend());
    return config ? [config] : [];
  });
  for (const c of configs) tf.unregisterKernel(c.kernelName, c.backendName);
  try {
    return fn();
  } finally {
    for (const c of configs) tf.registerKernel(c);
  }
}

/** The modulated convolution's fused kernels. */
const MODCONV = [MODCONV_DEMOD, MODCONV_DEMOD_GRAD, SCALE_CHANNELS, CHANNEL_DOT];

function maxRel(a: Float32Array, b: Float32Array): number {
  let scale = 1e-12;
  let worst = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst / scale;
}

const CONFIGS = [
  // The shapes preset's channels (64; 32 at 32 px): the demodulation's matMuls run on the addon.
  {
    label: 'channels 64, batch 16',
    batch: 16,
    config: { zDim: 24, wDim: 32, resolution: 32, mapping: { numLayers: 2 }, synthesis: { channelBase: 1024, channelMax: 64 } },
  },
  {
    label: 'channels 24 / 12, batch 3',
    batch: 3,
    config: { zDim: 7, wDim: 9, resolution: 16, mapping: { numLayers: 2 }, synthesis: { channelBase: 96, channelMax: 24 } },
  },
];

describe('generator with the fused modulated-convolution kernels', () => {
  it('renders the composed ops’ images, to the bit', () => {
    if (!info.native.enabled) return;
    for (const { label, batch, config } of CONFIGS) {
      const G = createGenerator(config, { seed: 3 });
      const z = tf.randomNormal([batch, G.zDim], 0, 1, 'float32', 5) as tf.Tensor2D;
      const fused = tf.tidy(() => G.generate(z));
      const ref = without(MODCONV, () => tf.tidy(() => G.generate(z)));
      const a = fused.dataSync() as Float32Array;
      const b = ref.dataSync() as Float32Array;
      expect(Array.from(a), label).toEqual(Array.from(b));
      tf.dispose([fused, ref, z]);
      G.dispose();
    }
  });

  it('has the composed ops’ gradients w.r.t. every parameter and w (1 and 3 threads)', async () => {
    if (!info.native.enabled) return;
    for (const threads of [1, 3]) {
      await setNativeThreads(threads);
      for (const { label, batch, config } of CONFIGS) {
        const G = createGenerator(config, { seed: 4 });
        const z = tf.randomNormal([batch, G.zDim], 0, 1, 'float32', 6) as tf.Tensor2D;
        const probe = tf.randomNormal([batch, G.resolution, G.resolution, G.imgChannels], 0, 1, 'float32', 7);
        const vars = G.trainableVariables();
        const grads = () =>
          tf.tidy(() => {
            const ws = G.mapping(z);
            const { grads: g } = tf.variableGrads(() => tf.sum(tf.mul(G.synthesis(ws), probe)) as tf.Scalar, vars);
            const dws = tf.grad((w: tf.Tensor) => tf.sum(tf.mul(G.synthesis(w as tf.Tensor3D), probe)))(ws);
            // The mapping's parameters are outside this loss (ws is computed before it).
            return [...synth.flatMap((v) => (g[v.name] ? [g[v.name]!] : [])), dws];
          });
        const synth = vars.filter((v) => !v.name.includes('mapping'));
        expectNoLeaks(() => tf.dispose(grads()), { label: 'fused gradients' });
        const got = grads();
        const ref = without(MODCONV, grads);
        expect(got.length).toBe(ref.length);
        expect(got.length).toBeGreaterThan(synth.length / 2);
        for (let i = 0; i < got.length; i++) {
          const name = i < got.length - 1 ? `parameter ${i}` : 'ws';
          expect(
            maxRel(got[i]!.dataSync() as Float32Array, ref[i]!.dataSync() as Float32Array),
            `${label}: ${name}, ${threads} threads`,
          ).toBeLessThanOrEqual(5e-5);
        }
        tf.dispose([...got, ...ref, z, probe]);
        G.dispose();
      }
    }
    await setNativeThreads();
  });

  it('has the composed ops’ path-length gradient (a second derivative through the generator)', () => {
    if (!info.native.enabled) return;
    const { batch, config } = CONFIGS[1]!;
    const G = createGenerator(config, { seed: 8 });
    const z = tf.randomNormal([batch, G.zDim], 0, 1, 'float32', 9) as tf.Tensor2D;
    const noise = tf.randomNormal([batch, G.resolution, G.resolution, G.imgChannels], 0, 1, 'float32', 10);
    const vars = G.trainableVariables();
    const plGrads = () =>
      tf.tidy(() => {
        const { grads: g } = tf.variableGrads(() => {
          const ws = G.mapping(z);
          const dws = tf.grad((w: tf.Tensor) => tf.sum(tf.mul(G.synthesis(w as tf.Tensor3D), noise)))(ws);
          return tf.mean(tf.sqrt(tf.mean(tf.sum(tf.square(dws), 2), 1))) as tf.Scalar;
        }, vars);
        return vars.flatMap((v) => (g[v.name] ? [g[v.name]!] : []));
      });
    const got = plGrads();
    const ref = without(MODCONV, plGrads);
    expect(got.length).toBe(ref.length);
    expect(got.length).toBeGreaterThan(vars.length / 2);
    for (let i = 0; i < got.length; i++) {
      expect(maxRel(got[i]!.dataSync() as Float32Array, ref[i]!.dataSync() as Float32Array), `parameter ${i}`).toBeLessThanOrEqual(1e-4);
    }
    tf.dispose([...got, ...ref, z, noise]);
    G.dispose();
  });
});

describe('EMA with the fused EMA_UPDATE kernel', () => {
  const snapshot = (G: Generator) => Object.fromEntries(Object.entries(G.variables()).map(([k, v]) => [k, Array.from(v.dataSync())]));

  it('updates G_ema and w_avg to the same bits as the composed ops', () => {
    const { config } = CONFIGS[0]!;
    const run = (): Record<string, number[]> => {
      const G = createGenerator(config, { seed: 11 });
      const ema = G.clone();
      const z = tf.randomNormal([5, G.zDim], 0, 1, 'float32', 12) as tf.Tensor2D;
      // Move G away from G_ema, then two EMA steps and a w_avg update.
      for (const v of G.trainableVariables()) v.assign(tf.tidy(() => tf.add(v, tf.randomNormal(v.shape, 0, 0.1, 'float32', 13))));
      const w = G.mapW(z);
      expectNoLeaks(
        () => {
          updateEma(ema, G, 0.9965);
          updateEma(ema, G, 0.5);
          G.updateWAvg(w);
          ema.updateWAvg(w);
        },
        { label: 'EMA' },
      );
      w.dispose();
      const out = snapshot(ema);
      out['G.w_avg'] = Array.from(G.wAvg.dataSync());
      z.dispose();
      G.dispose();
      ema.dispose();
      return out;
    };
    expect(tf.getKernel(EMA_UPDATE, tf.getBackend())).toBeDefined();
    expect(run()).toEqual(without(EMA_UPDATE, run));
  });
});
