// The plugin on the wasm backend: weights load from disk and the forward matches upstream face-api
// (which was run on cpu) within float32 accumulation differences.
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { createAttribute } from '@gan-control/contrastive-loss';
import { maxAbsDiff, measureRows, onBackend, photoFixtures } from '@gan-control/test-utils';
import faceId, { type FaceIdAttribute } from '../src/index.js';

const photos = photoFixtures(join(import.meta.dirname, '..', 'testdata'));
const reference = photos.reference<{ descriptors: Record<string, number[]> }>();
const NAMES = ['astronaut']; // one photo keeps the test short

describe('attribute-face-id on wasm', () => {
  it('loads the weights and matches upstream descriptors', () =>
    onBackend('wasm', async () => {
      expect(tf.getBackend()).toBe('wasm');
      const attr = (await createAttribute(faceId)) as FaceIdAttribute;
      const rows = measureRows((x) => attr.descriptor(x), photos.faces(NAMES));
      attr.dispose();
      for (const [i, name] of NAMES.entries()) {
        const { abs, ref } = maxAbsDiff(rows[i], reference.descriptors[name]);
        expect(abs / ref).toBeLessThan(1e-4);
      }
    }));
});
