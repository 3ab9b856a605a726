import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectNoLeaks } from '@gan-control/test-utils';
import { faceApiModelDir, loadModelWeights } from '../src/index.js';

describe('face-api weights of this plugin', () => {
  it('loads every face-api model this package uses from disk onto the active backend', async () => {
    await expectNoLeaks(async () => {
      const w = await loadModelWeights('age_gender_model', faceApiModelDir(), 'age');
      expect(w['entry_flow/conv_in/filters'].shape).toEqual([3, 3, 3, 32]);
      expect(w['fc/age/weights'].shape).toEqual([512, 1]);
      tf.dispose(Object.values(w));
    });
  });
});
