import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { expectNoLeaks } from '@gan-control/test-utils';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensors } from '@gan-control/tensor-io';
import type { Attribute } from '@gan-control/contrastive-loss';
import { readEncoderDataset, shardFileName } from '../src/index.js';
import { sampleEncoderDataset } from '../src/node.js';
import { brightAttribute, createToyGenerator, hueAttribute, tiltAttribute } from './toy.js';

const G = createToyGenerator();
const attributes = { bright: brightAttribute(), hue: hueAttribute(), tilt: tiltAttribute() };
const dirs: string[] = [];
const tmp = async () => {
  const d = await mkdtemp(join(tmpdir(), 'encoders-sampler-'));
  dirs.push(d);
  return d;
};
afterAll(async () => {
  G.dispose();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const settings = { count: 100, batchSize: 16, shardSize: 32, seed: 5 };

/** A copy of `attribute` whose measure throws on call `failAt` (a crash in the middle of a shard). */
function crashing(attribute: Attribute, failAt: number): Attribute {
  let calls = 0;
  return {
    ...attribute,
    measure(images) {
      if (++calls === failAt) throw new Error('simulated crash');
      return attribute.measure!(images);
    },
  };
}

describe('sampleEncoderDataset', () => {
  it('writes shards with z, w and y per attribute, and y is measure(G(w))', async () => {
    const dir = await tmp();
    const manifest = await expectNoLeaks(() => sampleEncoderDataset({ generator: G, attributes, dir, ...settings }));
    expect(manifest.complete).toBe(true);
    expect(manifest.shards.map((s) => s.rows)).toEqual([32, 32, 32, 4]);
    const shard = readSafetensors(new Uint8Array(await readFile(join(dir, shardFileName(1)))));
    expect(shard.tensors.z.shape).toEqual([32, 10]);
    expect(shard.tensors.w.shape).toEqual([32, 10]);
    expect(shard.tensors['y.tilt'].shape).toEqual([32, 2]);
    // Re-render row 3 of shard 1 from its stored w and measure again.
    const w = tf.tensor2d((shard.tensors.w.data as Float32Array).slice(30, 40), [1, 10]);
    const ws = tf.tile(tf.expandDims(w, 1), [1, G.numWs, 1]) as tf.Tensor3D;
    const img = G.synthesis(ws);
    const y = attributes.tilt.measure!(img);
    const stored = (shard.tensors['y.tilt'].data as Float32Array).slice(6, 8);
    expect(Array.from(y.dataSync())[0]).toBeCloseTo(stored[0], 4);
    expect(Array.from(y.dataSync())[1]).toBeCloseTo(stored[1], 4);
    tf.dispose([w, ws, img, y]);

    const { attributes: rows } = await readEncoderDataset(dir);
    expect(rows.hue.rows).toBe(100);
    expect(rows.hue.wSlice).toEqual({ offset: 3, size: 2 });
    // w^k is the group's slice of w.
    expect(Array.from(rows.hue.w.subarray(70, 72))).toEqual(
      Array.from((shard.tensors.w.data as Float32Array).subarray(3 + 10 * 3, 5 + 10 * 3)),
    );
  });

  it('is deterministic for a seed and differs for another seed', async () => {
    const dirA = await tmp();
    const a = await sampleEncoderDataset({ generator: G, attributes, dir: dirA, ...settings, count: 40 });
    const dirB = await tmp();
    await sampleEncoderDataset({ generator: G, attributes, dir: dirB, ...settings, count: 40 });
    const dirC = await tmp();
    await sampleEncoderDataset({ generator: G, attributes, dir: dirC, ...settings, count: 40, seed: 6 });
    expect(a.rows).toBe(40);
    const read = async (d: string) => (await readEncoderDataset(d)).attributes.bright.y;
    const [b, c] = [await read(dirB), await read(dirC)];
    expect(Array.from(await read(dirA))).toEqual(Array.from(b));
    expect(Array.from(c)).not.toEqual(Array.from(b));
  });

  it('resumes after a crash from the last complete shard and gives the uninterrupted dataset', async () => {
    const ref = await tmp();
    await sampleEncoderDataset({ generator: G, attributes, dir: ref, ...settings });
    const dir = await tmp();
    // Crash on the 5th batch: shards 0 and 1 (two batches each) are complete, shard 2 is not.
    await expect(
      sampleEncoderDataset({ generator: G, attributes: { ...attributes, hue: crashing(attributes.hue, 5) }, dir, ...settings }),
    ).rejects.toThrow('simulated crash');
    const partial = JSON.parse(await readFile(join(dir, 'dataset.json'), 'utf8'));
    expect(partial.complete).toBe(false);
    expect(partial.rows).toBe(64);
    await expect(readEncoderDataset(dir)).rejects.toMatchObject({ code: 'ENCODERS_DATASET_INCOMPLETE' });

    const seen: number[] = [];
    await expectNoLeaks(() => sampleEncoderDataset({ generator: G, attributes, dir, ...settings, onProgress: (p) => seen.push(p.done) }));
    expect(seen[0]).toBe(64 + 16); // resumed after the two complete shards
    for (const i of [0, 1, 2, 3]) {
      const a = await readFile(join(ref, shardFileName(i)));
      const b = await readFile(join(dir, shardFileName(i)));
      expect(Buffer.compare(a, b)).toBe(0);
    }
    // A complete dataset is returned as is.
    const again = await sampleEncoderDataset({
      generator: G,
      attributes,
      dir,
      ...settings,
      onProgress: () => {
        throw new Error('no work expected');
      },
    });
    expect(again.complete).toBe(true);
  });

  it('stops on abort keeping complete shards', async () => {
    const dir = await tmp();
    const ctl = new AbortController();
    await expect(
      sampleEncoderDataset({
        generator: G,
        attributes,
        dir,
        ...settings,
        signal: ctl.signal,
        onProgress: (p) => {
          if (p.done >= 40) ctl.abort();
        },
      }),
    ).rejects.toMatchObject({ code: 'ENCODERS_ABORTED' });
    const m = JSON.parse(await readFile(join(dir, 'dataset.json'), 'utf8'));
    expect(m.rows).toBe(32);
  });

  it('refuses to resume with other settings, and names bad measure shapes and unknown groups', async () => {
    const dir = await tmp();
    await sampleEncoderDataset({ generator: G, attributes, dir, ...settings, count: 20 });
    await expect(sampleEncoderDataset({ generator: G, attributes, dir, ...settings, count: 20, seed: 9 })).rejects.toMatchObject({
      code: 'ENCODERS_DATASET_MISMATCH',
    });
    const bad: Attribute = { ...attributes.bright, measure: (im) => tf.zeros([im.shape[0], 3]) };
    await expectNoLeaks(async () => {
      await expect(sampleEncoderDataset({ generator: G, attributes: { bright: bad }, dir: await tmp(), ...settings })).rejects.toThrow(
        /attribute 'bright': measure\(images\) returned \[16, 3\], expected \[16, 1\]/,
      );
    });
    await expect(
      sampleEncoderDataset({ generator: G, attributes: { pose: attributes.bright }, dir: await tmp(), ...settings }),
    ).rejects.toThrow(
      /attribute 'bright' is bound to latent group 'pose', which does not exist; the latent groups are: bright, hue, tilt, other/,
    );
    await expect(sampleEncoderDataset({ generator: G, attributes, dir: await tmp(), ...settings, count: -1 })).rejects.toThrow(/count/);
  });
});
