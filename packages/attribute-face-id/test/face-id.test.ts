import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAttribute, pairwiseDistances } from '@gan-control/contrastive-loss';
import faceId, {
  disposeFaceRecognitionNet,
  faceApiModelDir,
  faceDescriptor,
  faceIdPlugin,
  loadFaceRecognitionNet,
  type FaceIdAttribute,
  type FaceIdOptionsInput,
} from '../src/index.js';
import { expectNoLeaks, maxAbsDiff, pairGradient, photoFixtures } from '@gan-control/test-utils';

const photos = photoFixtures(join(import.meta.dirname, '..', 'testdata'));
const reference = photos.reference<{ descriptors: Record<string, number[]> }>();
const setup = (opts: FaceIdOptionsInput = {}) => faceId.setup(faceId.options.parse(opts)) as Promise<FaceIdAttribute>;

describe('attribute-face-id', () => {
  let attr: FaceIdAttribute;
  beforeAll(async () => {
    attr = (await createAttribute(faceId)) as FaceIdAttribute;
  });
  afterAll(() => attr.dispose());

  it('is a plugin object named "id", with a factory and a package.json manifest', () => {
    expect(faceId.name).toBe('id');
    expect(faceId.apiVersion).toBe(1);
    expect(faceIdPlugin()).not.toBe(faceId);
    expect(faceIdPlugin().name).toBe('id');
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8'));
    expect(pkg.ganControl.attributes[0].name).toBe('id');
    expect(pkg.ganControl.attributes[0].values).toEqual(attr.values!.map(({ name, unit }) => ({ name, unit })));
    expect(attr.values).toHaveLength(128);
    expect(attr.distance).toBe('squared-l2');
    expect(attr.latentSize).toBe(128);
  });

  it('rebuilt network equals upstream face-api computeFaceDescriptor bit for bit', async () => {
    const net = await loadFaceRecognitionNet(faceApiModelDir(), 'id');
    const rows = expectNoLeaks(() => {
      const pixels = photos.pixels(['astronaut']); // one photo keeps the cpu test short; the plugin test covers both
      const d = tf.tidy(() => faceDescriptor(net, tf.slice(pixels, [0, 5, 5, 0], [1, 150, 150, 3])));
      const r = d.arraySync();
      tf.dispose([pixels, d]);
      return r;
    });
    disposeFaceRecognitionNet(net);
    const { abs, ref } = maxAbsDiff(rows[0], reference.descriptors.astronaut);
    expect(abs / ref).toBeLessThan(1e-6);
  });

  it('plugin (crop 480/512 of [-1, 1] images) matches upstream; same person under crop + brightness is far closer than another person; no leaks', () => {
    const faces = photos.faces(['astronaut', 'camera']);
    // the same astronaut photo: 4 px shifted crop, 12 % brighter
    const variant = tf.tidy(() => {
      const a = tf.slice(faces, [0, 4, 0, 0], [1, 156, 156, 3]);
      return tf.clipByValue(tf.add(tf.image.resizeBilinear(a, [160, 160]), 0.24), -1, 1) as tf.Tensor4D;
    });
    const batch = tf.concat([faces, variant]);
    const e = expectNoLeaks(() => {
      const emb = attr.measure!(batch);
      const rows = emb.arraySync();
      emb.dispose();
      return rows;
    });
    tf.dispose([faces, variant, batch]);
    for (const [i, name] of ['astronaut', 'camera'].entries()) {
      const r = reference.descriptors[name];
      const norm = Math.hypot(...r);
      const { abs, ref } = maxAbsDiff(
        e[i],
        r.map((v) => v / norm),
      );
      expect(abs / ref).toBeLessThan(1e-4);
    }
    for (const row of e) expect(Math.hypot(...row)).toBeCloseTo(1, 5);
    const d = (i: number, j: number) => e[i].reduce((s, v, k) => s + (v - e[j][k]) ** 2, 0);
    expect(d(0, 2)).toBeLessThan(attr.thresholds.tauPlus);
    expect(d(0, 1)).toBeGreaterThan(attr.thresholds.tauMinus);
    expect(d(0, 1)).toBeGreaterThan(3 * d(0, 2));
  });

  it('gradient of the contrastive loss reaches the pixels, finite and non-zero, without leaks', () => {
    const faces = photos.faces(['astronaut', 'camera']);
    const { finite, maxAbs } = pairGradient(attr, faces);
    faces.dispose();
    expect(finite).toBe(true);
    expect(maxAbs).toBeGreaterThan(0);
  });

  it('rejects wrong shapes, value ranges and options with errors naming the plugin', async () => {
    expect(() => attr.embed(tf.zeros([160, 160, 3]) as unknown as tf.Tensor4D)).toThrow(/^id: .*\[batch, height, width, 3\]/);
    expect(() => attr.embed(tf.zeros([1, 160, 160, 1]))).toThrow(expect.objectContaining({ code: 'FACE_INPUT_SHAPE' }));
    expect(() => attr.embed(tf.fill([1, 160, 160, 3], 255))).toThrow(
      expect.objectContaining({ code: 'FACE_INPUT_RANGE', message: expect.stringMatching(/^id: .*\[-1, 1\]/) }),
    );
    expect(() => attr.embed(tf.zeros([1, 1, 1, 3]))).toThrow(/^id: images of 1×1 px are too small/);
    expect(() => faceId.options.parse({ cropFraction: 1.5 })).toThrow(/cropFraction/);
    expect(() => faceId.options.parse({ tauPlus: 1, tauMinus: 0.5 })).toThrow(/tauPlus/);
    expect(() => faceId.options.parse({ crop: 0.5 })).toThrow(/crop/);
    await expect(createAttribute(faceId, { cropFraction: 1.5 })).rejects.toMatchObject({
      code: 'PLUGIN_OPTIONS_INVALID',
      message: expect.stringMatching(/cropFraction/),
    });
    await expect(setup({ modelDir: '/nonexistent' })).rejects.toMatchObject({
      code: 'FACE_WEIGHTS_MISSING',
      message: expect.stringMatching(/^id: .*modelDir/),
    });
  });
});
