import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { readSafetensors } from '@gan-control/tensor-io';
import { describe, expect, it } from 'vitest';
import { expectNoLeaks } from '@gan-control/test-utils';
import { loadGanControlEncoder, replaceGanControlSlice } from '../src/gan-control-encoder.js';

const dir = join(import.meta.dirname, '..', 'testdata', 'gan-control');
const file = (f: string) => new Uint8Array(readFileSync(join(dir, f)));
const io = readSafetensors(file('edit.safetensors')).tensors;
const ref = (k: string) => tf.tensor(io[k].data as Float32Array, io[k].shape);

function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}
function bound(r: tf.Tensor): number {
  return tf.tidy(() => 2e-5 * Math.max(tf.max(tf.abs(r)).dataSync()[0], 1));
}

describe('loadGanControlEncoder (official FcStack)', () => {
  it.each(['controller_orientation.pt', 'E_orientation.safetensors'])('reproduces edit_slice and the official w+ edit from %s', (f) => {
    expectNoLeaks(() => {
      const E = loadGanControlEncoder(file(f), { source: f });
      expect([E.inDim, E.outDim, E.numLayers]).toEqual([3, 16, 4]);
      tf.tidy(() => {
        const slice = E.encode(ref('edit_y') as tf.Tensor2D);
        const want = ref('edit_slice');
        expect(slice.shape).toEqual([4, 16]);
        const d = maxDiff(slice, want);
        expect(d).toBeLessThanOrEqual(bound(want));
        const wplus = tf.tile(tf.expandDims(ref('trunc_w'), 1), [1, 8, 1]) as tf.Tensor3D;
        const edited = replaceGanControlSlice(wplus, slice, 16);
        expect(maxDiff(edited, ref('edit_wplus'))).toBeLessThanOrEqual(bound(ref('edit_wplus')));
        const edited2d = replaceGanControlSlice(ref('trunc_w') as tf.Tensor2D, slice, 16);
        expect(maxDiff(edited2d, tf.squeeze(tf.slice(ref('edit_wplus'), [0, 0, 0], [-1, 1, -1]), [1]))).toBeLessThanOrEqual(
          bound(ref('edit_wplus')),
        );
      });
      E.dispose();
    });
  });

  it('validates inputs and refuses files that are not an FcStack', () => {
    const E = loadGanControlEncoder(file('E_orientation.safetensors'));
    tf.tidy(() => {
      expect(() => E.encode(tf.zeros([2, 4]) as tf.Tensor2D)).toThrow(/\[N, 3\]/);
      expect(() => replaceGanControlSlice(tf.zeros([2, 64]) as tf.Tensor2D, tf.zeros([2, 16]) as tf.Tensor2D, 60)).toThrow(/does not fit/);
    });
    E.dispose();
    expect(() => E.encode(tf.zeros([1, 3]) as tf.Tensor2D)).toThrow(/disposed/);
    expect(() => loadGanControlEncoder(file('edit.safetensors'))).toThrow(/fc_stack\.0\.weight/);
  });
});
