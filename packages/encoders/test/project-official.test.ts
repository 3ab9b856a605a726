// projectImage end to end on the official GAN-Control fixture (packages/stylegan2/testdata/gan-control:
// random weights, 32 px, groups id/orientation/age/other, noise inputs): the picture means nothing,
// so this checks shapes, that the losses fall, and that an attribute term's gradient reaches the
// latent. The term is a stand-in identity embedding (cosine distance of 8×8-pooled pixels): this
// package does not depend on a face plugin (with @gan-control/attribute-face-id's `id` the same
// test passed, 32 s on the cpu backend).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeaks } from '@gan-control/test-utils';
import type { Attribute } from '@gan-control/contrastive-loss';
import { createRng, sampleLatents } from '@gan-control/latent';
import { loadGanControlGenerator } from '@gan-control/stylegan2';
import type { GanControlGenerator } from '@gan-control/stylegan2';
import { projectImage } from '../src/index.js';
import type { GeneratorLike } from '../src/index.js';

const dir = join(import.meta.dirname, '..', '..', 'stylegan2', 'testdata', 'gan-control');

describe('projectImage on the official GAN-Control fixture model', () => {
  let G: GanControlGenerator;
  let like: GeneratorLike;
  let target: tf.Tensor4D;
  let id: Attribute;

  beforeAll(async () => {
    G = loadGanControlGenerator(
      new Uint8Array(readFileSync(join(dir, 'checkpoint.pt'))),
      JSON.parse(readFileSync(join(dir, 'args.json'), 'utf8')),
    );
    // The port is a StyleGenerator itself: no adapter.
    like = G;
    target = tf.tidy(() => G.synthesis(G.mapping(sampleLatents(G.zDim, 1, createRng(3))), { noiseMode: 'const' }));
    id = {
      name: 'id',
      latentSize: 16,
      embed: (images: tf.Tensor4D) => tf.tidy(() => tf.reshape(tf.avgPool(images, 4, 4, 'valid'), [images.shape[0], -1])),
      distance: 'cosine',
      thresholds: { tauPlus: 0.1, tauMinus: 0.5 },
      weight: 1,
      dispose() {},
    };
  });
  afterAll(() => {
    target?.dispose();
    id?.dispose();
    G?.dispose();
  });

  it('optimises per-group w and the noise buffers: shapes, falling loss, no leak', async () => {
    const losses: number[] = [];
    const r = await expectNoLeaks(
      () =>
        projectImage(like, target, {
          steps: 8,
          noise: true,
          latentNoise: 0,
          rampUp: 0,
          statsSamples: 256,
          onProgress: (p) => losses.push(p.loss),
        }),
      { allowed: 1, label: 'projectImage (the returned image only)' },
    );
    try {
      expect(r.image.shape).toEqual([1, 32, 32, 3]);
      expect(r.latent.ws).toHaveLength(1);
      expect(r.latent.ws[0]).toHaveLength(G.wDim);
      expect(r.latent.noise!.map((n) => n.shape)).toEqual(G.noiseResolutions.map((res) => [1, res, res, 1]));
      // The buffers are renormalised after each step (zero mean, unit variance).
      const n0 = r.latent.noise![0].data;
      const m = n0.reduce((a, b) => a + b, 0) / n0.length;
      expect(Math.abs(m)).toBeLessThan(1e-4);
      expect(n0.reduce((a, b) => a + (b - m) ** 2, 0) / n0.length).toBeCloseTo(1, 3);
      expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
    } finally {
      r.image.dispose();
    }
  });

  it('an identity term alone moves the latent toward the target identity', async () => {
    const common = { steps: 3, latentNoise: 0, rampUp: 0, statsSamples: 256, seed: 1 } as const;
    const idLosses: number[] = [];
    // Identity term alone: its gradient through the generator must lower the id distance.
    const onlyId = await projectImage(like, target, {
      ...common,
      pixelWeight: 0,
      attributeWeights: { id: 1 },
      attributes: { id },
      onProgress: (p) => idLosses.push(p.loss),
    });
    const pixels = await projectImage(like, target, common);
    try {
      expect(idLosses[0]).toBeGreaterThan(0);
      expect(idLosses[idLosses.length - 1]).toBeLessThan(idLosses[0]);
      expect(onlyId.latent.ws).not.toEqual(pixels.latent.ws);
    } finally {
      tf.dispose([onlyId.image, pixels.image]);
    }
  });
});
