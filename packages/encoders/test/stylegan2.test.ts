import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { expectNoLeaks, trackTensors } from '@gan-control/test-utils';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRng, sampleLatents } from '@gan-control/latent';
import { createGenerator } from '@gan-control/stylegan2';
import { writeSafetensors } from '@gan-control/tensor-io';
import type { Attribute } from '@gan-control/contrastive-loss';
import { Controller, loadGanControlEncoder, wrapEncoder } from '../src/index.js';
import { buildEncodersForModel } from '../src/node.js';

// The same flow on a real (tiny, untrained) StyleGAN2 with a partitioned mapping, saved as the
// trainer's model folder; plus an official GAN-Control controller encoder driving a group.
const groups = [
  { name: 'orientation', size: 16 },
  { name: 'color', size: 4 },
  { name: 'other', size: 4 },
];
const G = createGenerator(
  { zDim: 24, wDim: 24, resolution: 8, mapping: { numLayers: 2, groups }, synthesis: { channelBase: 64, channelMax: 16 } },
  { seed: 3 },
);
const meanColor: Attribute = {
  name: 'color',
  latentSize: 4,
  embed: (im) => tf.mean(im, [1, 2]),
  distance: 'l2',
  thresholds: { tauPlus: 0.1, tauMinus: 1 },
  weight: 1,
  measure: (im) => tf.mean(im, [1, 2]) as tf.Tensor2D,
  values: [
    { name: 'r', unit: 'level' },
    { name: 'g', unit: 'level' },
    { name: 'b', unit: 'level' },
  ],
  dispose() {},
};
const dirs: string[] = [];
afterAll(async () => {
  G.dispose();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('with @gan-control/stylegan2', () => {
  it('builds encoders for a model folder and Controller.load uses them', async () => {
    const modelDir = await mkdtemp(join(tmpdir(), 'encoders-model-'));
    dirs.push(modelDir);
    const sd = G.stateDict();
    await writeFile(join(modelDir, 'generator.safetensors'), writeSafetensors(sd, { format: 'gan-control-generator' }));
    await writeFile(
      join(modelDir, 'model.json'),
      JSON.stringify({
        format: 'gan-control-model',
        version: 1,
        generator: G.config,
        latent: { groups: groups.map((g) => ({ ...g, controlled: g.name !== 'other' })) },
      }),
    );
    // The generator keeps a few tensors it builds on its first synthesis call (not a leak).
    tf.dispose(tf.tidy(() => G.synthesis(G.mapping(tf.zeros([1, 24])), { noiseMode: 'const' })));
    const built = await expectNoLeaks(async () => {
      const built = await buildEncodersForModel({
        generator: G,
        attributes: { color: meanColor },
        dir: modelDir,
        count: 96,
        epochs: 3,
        sampler: { batchSize: 32, shardSize: 64 },
        training: { architecture: { hidden: [16] }, batchSize: 32 },
      });
      for (const e of built.encoders) e.dispose();
      return built;
    });
    expect((await readdir(join(modelDir, 'encoders'))).sort()).toEqual(['color.json', 'color.safetensors']);
    expect(built.dataset.shards.length).toBe(2);
    expect(built.metrics.color.epochsRun).toBe(3);

    const leaks = trackTensors();
    const controller = await Controller.load(modelDir, { attributes: { color: meanColor } });
    expect(controller.supported.map((a) => a.name)).toEqual(['color']);
    // Nothing set: exactly the generator's own sample for the seed.
    const plain = controller.generate({ seed: 5, count: 2 });
    const ref = tf.tidy(() => G.synthesis(G.mapping(sampleLatents(24, 2, createRng(5))), { noiseMode: 'const' }));
    expect(plain.images.shape).toEqual([2, 8, 8, 3]);
    const a = plain.images.dataSync();
    const b = ref.dataSync();
    let maxDiff = 0;
    for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    expect(maxDiff).toBeLessThan(1e-5);
    const set = controller.generate({ seed: 5, count: 2, set: { color: { r: plain.values.color?.[0]?.[0] ?? 0 } }, outOfRange: 'allow' });
    expect(set.values.color[0].length).toBe(3);
    tf.dispose([plain.images, plain.ws, ref, set.images, set.ws]);
    controller.dispose(); // also disposes the generator it loaded
    leaks.expectAlive(0, 'Controller.load');
    await expect(Controller.load(join(modelDir, 'encoders'))).rejects.toThrow(/generator\.safetensors/);
    // The CLI's model.json form: generator { kind, config, weights } and a custom encoders folder.
    await writeFile(
      join(modelDir, 'model.json'),
      JSON.stringify({
        format: 'gan-control-model',
        version: 1,
        name: 't',
        generator: { kind: 'stylegan2', config: G.config, weights: 'generator.safetensors' },
        encoders: 'encoders',
      }),
    );
    const c2 = await Controller.load(modelDir);
    expect(c2.groups.map((g) => g.name)).toEqual(['orientation', 'color', 'other']);
    c2.dispose();
    leaks.expectAlive(0, 'Controller.load of model.json');
  });

  it('drives a group with an official GAN-Control controller encoder (w+ slice replaced on every layer)', async () => {
    const bytes = new Uint8Array(await readFile(join(import.meta.dirname, '../testdata/fcstack-orientation.safetensors')));
    expectNoLeaks(() => {
      const E = loadGanControlEncoder(bytes, { source: 'fcstack-orientation.safetensors' });
      const controller = new Controller({
        generator: G,
        encoders: [
          wrapEncoder(E, {
            attribute: 'orientation',
            wSlice: { offset: 0, size: 16 },
            values: ['yaw', 'pitch', 'roll'].map((name) => ({ name, unit: 'deg', range: [-10, 10] as const })),
          }),
        ],
      });
      const r = controller.generate({ seed: 1, count: 3, set: { orientation: { yaw: 5 } } });
      expect(r.values.orientation).toEqual([
        [5, 0, 0],
        [5, 0, 0],
        [5, 0, 0],
      ]); // fill 'mean': mid-range
      const want = tf.tidy(() => E.encode(tf.tensor2d([[5, 0, 0]])));
      const w = want.dataSync();
      const ws = r.ws.arraySync();
      for (const row of ws) for (const layer of row) for (let c = 0; c < 16; c++) expect(layer[c]).toBeCloseTo(w[c], 5);
      expect(() => controller.generate({ set: { orientation: { yaw: 30 } } })).toThrow(/yaw = 30 deg \(supported \[-10, 10\]\)/);
      tf.dispose([r.images, r.ws, want]);
      controller.dispose();
      // Only values the caller gives are range-checked; filled ones come from the model.
      const E2 = loadGanControlEncoder(bytes);
      const c2 = new Controller({
        generator: G,
        encoders: [
          wrapEncoder(E2, {
            attribute: 'orientation',
            wSlice: { offset: 0, size: 16 },
            values: [
              { name: 'yaw', unit: 'deg', range: [-10, 10] },
              { name: 'pitch', unit: 'deg', range: [-10, 10], mean: 12 },
              { name: 'roll', unit: 'deg', range: [-10, 10] },
            ],
          }),
        ],
      });
      const r2 = c2.generate({ set: { orientation: { yaw: 1 } } });
      expect(r2.values.orientation).toEqual([[1, 12, 0]]);
      tf.dispose([r2.images, r2.ws]);
      c2.dispose();
    });
  });
});
