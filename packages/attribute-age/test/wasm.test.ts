// The plugin on the wasm backend: weights load from disk and the forward matches upstream face-api
// (which was run on cpu) within float32 accumulation differences.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAttribute } from '@gan-control/contrastive-loss';
import ageAttribute from '../src/index.js';
import { loadFaces, TESTDATA } from './helpers.js';

const reference = JSON.parse(readFileSync(join(TESTDATA, 'reference.json'), 'utf8')) as { age: Record<string, number> };

describe('attribute-age on wasm', () => {
  let previous: string;
  beforeAll(async () => {
    previous = tf.getBackend();
    await tf.setBackend('wasm');
    await tf.ready();
  });
  afterAll(async () => {
    await tf.setBackend(previous);
  });

  it('loads the weights and matches upstream ages', async () => {
    expect(tf.getBackend()).toBe('wasm');
    const attr = await createAttribute(ageAttribute);
    const faces = loadFaces(['astronaut', 'camera']);
    const before = tf.memory().numTensors;
    const lm = attr.measure!(faces);
    const rows = lm.arraySync();
    lm.dispose();
    expect(tf.memory().numTensors).toBe(before);
    faces.dispose();
    attr.dispose();
    for (const [i, name] of ['astronaut', 'camera'].entries()) {
      expect(Math.abs(rows[i][0] - reference.age[name]) / reference.age[name]).toBeLessThan(1e-4);
    }
  });
});
