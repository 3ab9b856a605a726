import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectNoLeaks } from '@gan-control/test-utils';
import { faceApiModelDir, loadModelWeights } from '../src/index.js';

describe('face-api weights of this plugin', () => {
  it('loads every face-api model this package uses from disk onto the active backend', async () => {
    await expectNoLeaks(async () => {
      const w = await loadModelWeights('face_recognition_model', faceApiModelDir(), 'id');
      expect(w['conv32_down/conv/filters'].shape).toEqual([7, 7, 3, 32]);
      expect(w['fc'].shape).toEqual([256, 128]);
      tf.dispose(Object.values(w));
    });
  });
});
