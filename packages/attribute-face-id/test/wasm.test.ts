// The plugin on the wasm backend: weights load from disk and the forward matches upstream face-api
// (which was run on cpu) within float32 accumulation differences.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAttribute } from '@gan-control/contrastive-loss';
import faceId, { type FaceIdAttribute } from '../src/index.js';
import { loadFaces, maxAbsDiff, TESTDATA } from './helpers.js';

const reference = JSON.parse(readFileSync(join(TESTDATA, 'reference.json'), 'utf8')) as { descriptors: Record<string, number[]> };

describe('attribute-face-id on wasm', () => {
  let previous: string;
  beforeAll(async () => {
    previous = tf.getBackend();
    await tf.setBackend('wasm');
    await tf.ready();
  });
  afterAll(async () => {
    await tf.setBackend(previous);
  });

  it('loads the weights and matches upstream descriptors', async () => {
    expect(tf.getBackend()).toBe('wasm');
    const attr = (await createAttribute(faceId)) as FaceIdAttribute;
    const faces = loadFaces(['astronaut']); // one photo keeps the test short
    const before = tf.memory().numTensors;
    const lm = attr.descriptor(faces);
    const rows = lm.arraySync();
    lm.dispose();
    expect(tf.memory().numTensors).toBe(before);
    faces.dispose();
    attr.dispose();
    for (const [i, name] of ['astronaut'].entries()) {
      const { abs, ref } = maxAbsDiff(rows[i], reference.descriptors[name]);
      expect(abs / ref).toBeLessThan(1e-4);
    }
  });
});
