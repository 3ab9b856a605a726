// The plugin on the wasm backend: weights load from disk and the forward matches upstream face-api
// (which was run on cpu) within float32 accumulation differences.
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { createAttribute } from '@gan-control/contrastive-loss';
import { maxAbsDiff, measureRows, onBackend, photoFixtures } from '@gan-control/test-utils';
import pose, { type PoseAttribute } from '../src/index.js';

const photos = photoFixtures(join(import.meta.dirname, '..', 'testdata'));
const reference = photos.reference<{ landmarks: Record<string, number[]> }>();
const NAMES = ['astronaut', 'camera'];

describe('attribute-pose on wasm', () => {
  it('loads the weights and matches upstream landmarks', () =>
    onBackend('wasm', async () => {
      expect(tf.getBackend()).toBe('wasm');
      const attr = (await createAttribute(pose)) as PoseAttribute;
      const rows = measureRows((x) => attr.landmarks(x), photos.faces(NAMES));
      attr.dispose();
      for (const [i, name] of NAMES.entries()) {
        const { abs, ref } = maxAbsDiff(rows[i], reference.landmarks[name]);
        expect(abs / ref).toBeLessThan(1e-4);
      }
    }));
});
