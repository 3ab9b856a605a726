// The plugin on the wasm backend: weights load from disk and the forward matches upstream face-api
// (which was run on cpu) within float32 accumulation differences.
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { createAttribute } from '@gan-control/contrastive-loss';
import { measureRows, onBackend, photoFixtures } from '@gan-control/test-utils';
import ageAttribute from '../src/index.js';

const photos = photoFixtures(join(import.meta.dirname, '..', 'testdata'));
const reference = photos.reference<{ age: Record<string, number> }>();
const NAMES = ['astronaut', 'camera'];

describe('attribute-age on wasm', () => {
  it('loads the weights and matches upstream ages', () =>
    onBackend('wasm', async () => {
      expect(tf.getBackend()).toBe('wasm');
      const attr = await createAttribute(ageAttribute);
      const rows = measureRows((x) => attr.measure!(x), photos.faces(NAMES));
      attr.dispose();
      for (const [i, name] of NAMES.entries()) {
        expect(Math.abs(rows[i][0] - reference.age[name]) / reference.age[name]).toBeLessThan(1e-4);
      }
    }));
});
