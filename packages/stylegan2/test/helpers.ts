import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { readSafetensors } from '@gan-control/tensor-io';
import type { DiscriminatorConfigInput, GeneratorConfigInput } from '../src/index.js';

export const TESTDATA = join(import.meta.dirname, '..', 'testdata');

/** The tiny partitioned generator of the model-folder tests (8-d latent: hue 3 + other 5, 8 px). */
export const TINY_CONFIG: GeneratorConfigInput = {
  zDim: 8,
  wDim: 8,
  resolution: 8,
  mapping: {
    numLayers: 2,
    groups: [
      { name: 'hue', size: 3 },
      { name: 'other', size: 5 },
    ],
  },
  synthesis: { channelBase: 32, channelMax: 8 },
};
/** Its latent layout, `hue` controlled. */
export const TINY_LATENT = {
  groups: [
    { name: 'hue', size: 3, controlled: true },
    { name: 'other', size: 5, controlled: false },
  ],
};

export function readBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(TESTDATA, name)));
}

export const fixtureConfig = JSON.parse(readFileSync(join(TESTDATA, 'config.json'), 'utf8')) as {
  G_kwargs: Record<string, unknown>;
  D_kwargs: Record<string, unknown>;
  fixture: { truncation_psi: number; truncation_cutoff: number; mix_crossover: number; probe_conv_clamp: number; pl_batch: number };
};

let io: Record<string, { shape: number[]; data: Float32Array }> | null = null;

/** An io.safetensors tensor; image tensors (NCHW in the file) are returned NHWC. */
export function ref(name: string): tf.Tensor {
  io ??= readSafetensors(readBytes('io.safetensors')).tensors as unknown as Record<string, { shape: number[]; data: Float32Array }>;
  const e = io[name];
  if (!e) throw new Error(`io.safetensors has no '${name}'`);
  const t = tf.tensor(e.data, e.shape);
  if (e.shape.length !== 4) return t;
  const nhwc = tf.transpose(t, [0, 2, 3, 1]);
  t.dispose();
  return nhwc;
}

/** max|got − want| / max(max|want|, 1) (or / max|want| with `peak`). */
export function relErr(got: tf.Tensor, want: tf.Tensor, opts: { peak?: boolean } = {}): number {
  return tf.tidy(() => {
    const diff = tf.max(tf.abs(tf.sub(got, want))).dataSync()[0];
    const m = tf.max(tf.abs(want)).dataSync()[0];
    return diff / (opts.peak ? m : Math.max(m, 1));
  });
}

export const RTOL = 2e-5;

/** Tiny networks for fast tests on the cpu backend (8×8, ≤ 8 channels). */
export const TINY_G: GeneratorConfigInput = {
  zDim: 8,
  wDim: 8,
  resolution: 8,
  mapping: { numLayers: 2 },
  synthesis: { channelBase: 32, channelMax: 8 },
};
export const TINY_D: DiscriminatorConfigInput = { resolution: 8, channelBase: 32, channelMax: 8, mbstdGroupSize: 2 };
