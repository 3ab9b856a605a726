import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { readSafetensors, readTorchCheckpoint, torchStateDict } from '@gan-control/tensor-io';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeaks } from '@gan-control/test-utils';
import {
  convertGanControlGenerator,
  loadGanControlDiscriminator,
  loadGanControlGenerator,
  parseGanControlArgs,
  mixGanControlStyles,
  type GanControlDiscriminator,
  type GanControlGenerator,
} from '../../src/gan-control/index.js';

const dir = join(import.meta.dirname, '..', '..', 'testdata', 'gan-control');
const file = (f: string) => new Uint8Array(readFileSync(join(dir, f)));
const args = JSON.parse(readFileSync(join(dir, 'args.json'), 'utf8'));
const io = readSafetensors(file('io.safetensors')).tensors;

/** A fixture tensor as tf; 4-D NCHW → NHWC (the test edge). */
function ref(name: string): tf.Tensor {
  const t = io[name];
  if (!t) throw new Error(`io.safetensors has no ${name}`);
  const x = tf.tensor(t.data as Float32Array, t.shape);
  if (t.shape.length !== 4) return x;
  const y = tf.transpose(x, [0, 2, 3, 1]);
  x.dispose();
  return y;
}

/** max |a − ref| and the parity bound 2e-5 · max(max|ref|, 1). */
function compare(actual: tf.Tensor, name: string): { diff: number; bound: number } {
  return tf.tidy(() => {
    const r = ref(name);
    expect(actual.shape).toEqual(r.shape);
    const diff = tf.max(tf.abs(tf.sub(actual, r))).dataSync()[0];
    const bound = 2e-5 * Math.max(tf.max(tf.abs(r)).dataSync()[0], 1);
    return { diff, bound };
  });
}

const measured: Record<string, number> = {};
function expectParity(actual: tf.Tensor, name: string): void {
  const { diff, bound } = compare(actual, name);
  measured[name] = diff;
  expect(diff, `${name}: max |diff| ${diff} vs bound ${bound}`).toBeLessThanOrEqual(bound);
}

let G: GanControlGenerator;
let D: GanControlDiscriminator;
const ckptBytes = file('checkpoint.pt');

beforeAll(() => {
  G = loadGanControlGenerator(ckptBytes, args, { source: 'checkpoint.pt' });
  D = loadGanControlDiscriminator(ckptBytes, args, { source: 'checkpoint.pt' });
});
afterAll(() => {
  G?.dispose();
  D?.dispose();
  console.log('GAN-Control parity, max |diff|:', JSON.stringify(measured));
});

describe('official GAN-Control networks (fixture gan-control-official)', () => {
  it('reads checkpoint.pt g_ema identically to G.safetensors', () => {
    const gEma = torchStateDict(readTorchCheckpoint(ckptBytes), 'g_ema');
    const twin = readSafetensors(file('G.safetensors')).tensors;
    expect(Object.keys(gEma)).toEqual(Object.keys(twin));
    for (const [k, v] of Object.entries(twin)) {
      expect(gEma[k].shape).toEqual(v.shape);
      expect(Buffer.from((gEma[k].data as Float32Array).buffer).equals(Buffer.from((v.data as Float32Array).buffer)), k).toBe(true);
    }
  });

  it('derives the latent order from place_in_latent, not the alphabetical args.json order', () => {
    expect(Object.keys(args.training_config.sub_groups_dict)).toEqual(['age', 'id', 'orientation', 'other']);
    expect(parseGanControlArgs(args).groups?.map((g) => g.name)).toEqual(['id', 'orientation', 'age', 'other']);
    expect([G.resolution, G.zDim, G.wDim, G.numWs, G.numNoise]).toEqual([32, 64, 64, 8, 7]);
    expect(G.channels).toEqual({ 4: 64, 8: 48, 16: 32, 32: 24 });
    expect(D.channels).toEqual({ 4: 64, 8: 48, 16: 32, 32: 24 });
  });

  it('mapping: w (and the per-group traces)', () => {
    tf.tidy(() => {
      const z = ref('z') as tf.Tensor2D;
      const w = G.style(z);
      expectParity(w, 'w');
      expectParity(tf.slice(w, [0, 16], [-1, 16]), 'trace.G.style.orientation');
      const ws = G.mapping(z);
      expect(ws.shape).toEqual([4, 8, 64]);
      expectParity(tf.squeeze(tf.slice(ws, [0, 7, 0], [-1, 1, -1]), [1]), 'w');
    });
  });

  it('synthesis with the stored noise buffers: img and the layer traces', () => {
    tf.tidy(() => {
      const img = G.synthesis(G.mapping(ref('z') as tf.Tensor2D), { noiseMode: 'const' });
      expectParity(img, 'img');
      expectParity(img, 'trace.G.to_rgbs.2');
    });
  });

  it('truncation toward mean_w: trunc_w and trunc_img', () => {
    tf.tidy(() => {
      const ws = G.mapping(ref('z') as tf.Tensor2D, { truncationPsi: 0.7, truncationLatent: ref('mean_w') });
      expectParity(tf.squeeze(tf.slice(ws, [0, 0, 0], [-1, 1, -1]), [1]), 'trunc_w');
      expectParity(G.synthesis(ws), 'trunc_img');
    });
  });

  it('is a StyleGenerator: mapW is style, wAvg (the mean w of 4096 latents, seed 0) is the default truncation centre', () => {
    tf.tidy(() => {
      const z = ref('z') as tf.Tensor2D;
      expect(G.upstream).toBe('gan-control');
      expect(Array.from(G.mapW(z).dataSync())).toEqual(Array.from(G.style(z).dataSync()));
      expect(G.wAvg.shape).toEqual([G.wDim]);
      expect(Array.from(G.wAvg.dataSync())).toEqual(Array.from(G.meanW({ samples: 4096, seed: 0 }).dataSync()));
      const implicit = G.mapping(z, { truncationPsi: 0.7 });
      const explicit = G.mapping(z, { truncationPsi: 0.7, truncationLatent: G.wAvg });
      expect(Array.from(implicit.dataSync())).toEqual(Array.from(explicit.dataSync()));
      expect(G.noiseShapes().map((n) => n.shape[1])).toEqual([...G.noiseResolutions]);
    });
    // The centre outlives the caller's tidy that first asked for it, and meanW is deterministic
    // for a seed (seed 0 included, which tfjs would treat as unseeded).
    expect(G.wAvg.isDisposed).toBe(false);
    const again = G.meanW({ samples: 4096, seed: 0 });
    expect(Array.from(again.dataSync())).toEqual(Array.from(G.wAvg.dataSync()));
    again.dispose();
  });

  it('controller edit: the w+ with the orientation slice replaced, and its image', () => {
    tf.tidy(() => {
      const truncW = ref('trunc_w') as tf.Tensor2D;
      const slice = ref('edit_slice') as tf.Tensor2D;
      const w2 = tf.concat([tf.slice(truncW, [0, 0], [-1, 16]), slice, tf.slice(truncW, [0, 32], [-1, -1])], 1);
      const wplus = tf.tile(tf.expandDims(w2, 1), [1, G.numWs, 1]) as tf.Tensor3D;
      expectParity(wplus, 'edit_wplus');
      expectParity(G.synthesis(ref('edit_wplus')), 'edit_img');
      expectParity(G.synthesis(w2), 'edit_img'); // the 2-D w path of the official forward
    });
  });

  it('style mixing at inject_index 3: mix_latent and mix_img', () => {
    tf.tidy(() => {
      const mixed = mixGanControlStyles(G.mapping(ref('z') as tf.Tensor2D), G.mapping(ref('mix_z2') as tf.Tensor2D), 3);
      expectParity(mixed, 'mix_latent');
      expectParity(G.synthesis(mixed), 'mix_img');
    });
  });

  it('explicit per-sample noise: noise_img', () => {
    tf.tidy(() => {
      const noise = Array.from({ length: 7 }, (_, i) => ref(`noise.${i}`) as tf.Tensor4D);
      expectParity(G.synthesis(G.mapping(ref('z') as tf.Tensor2D), { noise }), 'noise_img');
    });
  });

  it('discriminator logits at batch 4 (every image case), 8, 2 and 1', () => {
    tf.tidy(() => {
      for (const [img, logits] of [
        ['img', 'd_logits'],
        ['trunc_img', 'd_logits_trunc'],
        ['edit_img', 'd_logits_edit'],
        ['mix_img', 'd_logits_mix'],
        ['noise_img', 'd_logits_noise'],
      ]) {
        expectParity(D.logits(ref(img) as tf.Tensor4D), logits);
      }
      const img = ref('img') as tf.Tensor4D;
      expectParity(D.logits(tf.concat([img, ref('trunc_img') as tf.Tensor4D], 0)), 'd_logits_b8');
      expectParity(D.logits(tf.slice(img, [0, 0, 0, 0], [2, -1, -1, -1])), 'd_logits_b2');
      expectParity(D.logits(tf.slice(img, [0, 0, 0, 0], [1, -1, -1, -1])), 'd_logits_b1');
      expect(() => D.logits(tf.concat([img, tf.slice(img, [0, 0, 0, 0], [2, -1, -1, -1])], 0))).toThrow(/not divisible/);
    });
  });

  it('noise modes none/random differ from const; no tensor leaks; clear errors', () => {
    // Warm-up: FIR filters are created (and kept) on first use per channel count.
    tf.tidy(() => D.logits(G.synthesis(G.mapping(ref('z') as tf.Tensor2D))));
    expectNoLeaks(() =>
      tf.tidy(() => {
        const ws = G.mapping(ref('z') as tf.Tensor2D);
        const c = G.synthesis(ws);
        const none = G.synthesis(ws, { noiseMode: 'none' });
        const r1 = G.synthesis(ws, { noiseMode: 'random' });
        expect(tf.max(tf.abs(tf.sub(c, none))).dataSync()[0]).toBeGreaterThan(1e-2);
        expect(tf.max(tf.abs(tf.sub(c, r1))).dataSync()[0]).toBeGreaterThan(1e-2);
        expect(() => G.synthesis(tf.zeros([1, 8, 63]))).toThrow(/ws must be/);
        expect(() => G.synthesis(ws, { noise: [tf.zeros([4, 4, 4, 1])] })).toThrow(/7 noise tensors/);
        expect(() => D.logits(tf.zeros([1, 3, 32, 32]) as tf.Tensor4D)).toThrow(/NHWC/);
        // meanW: deterministic for a seed, the mean of G.style over its samples.
        const m1 = G.meanW({ samples: 300, seed: 5, batchSize: 128 });
        const m2 = G.meanW({ samples: 300, seed: 5, batchSize: 128 });
        expect(m1.shape).toEqual([1, 64]);
        expect(tf.max(tf.abs(tf.sub(m1, m2))).dataSync()[0]).toBe(0);
        expect(
          tf.max(tf.abs(tf.sub(m1, tf.mean(G.style(tf.randomNormal([128, 64], 0, 1, 'float32', 5)), 0, true)))).dataSync()[0],
        ).toBeGreaterThan(0);
      }),
    );
  });

  it('refuses mismatched args.json and wrong state_dicts with named errors', () => {
    const wrongSize = { ...args, model_config: { ...args.model_config, size: 64 } };
    expect(() => loadGanControlGenerator(file('G.safetensors'), wrongSize)).toThrow(/convs\.6\.conv\.weight/);
    expectNoLeaks(() => expect(() => loadGanControlGenerator(ckptBytes, args, { key: 'd' })).toThrow(/style\.id\.1\.weight" is missing/));
    const badGroups = structuredClone(args);
    badGroups.training_config.sub_groups_dict.age.place_in_latent = [30, 48];
    expect(() => parseGanControlArgs(badGroups)).toThrow(/tile/);
    expect(() => parseGanControlArgs({ model_config: {} })).toThrow(/model_config\.size/);
    // The converted file (and G.safetensors, the g_ema twin) load as well as the checkpoint.
    const converted = convertGanControlGenerator(ckptBytes, args);
    expect(converted.channels).toEqual({ 4: 64, 8: 48, 16: 32, 32: 24 });
    const back = readSafetensors(converted.weights);
    expect(JSON.parse(back.metadata!.args)).toEqual(args);
    expect(Buffer.from(converted.weights.subarray(-1000)).equals(Buffer.from(file('G.safetensors').subarray(-1000)))).toBe(true);
    const G2 = loadGanControlGenerator(converted.weights, args);
    tf.tidy(() => {
      expectParity(G2.style(ref('z') as tf.Tensor2D), 'w');
    });
    G2.dispose();
  });
});
