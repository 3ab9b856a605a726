import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { readSafetensors } from '@gan-control/tensor-io';
import { afterAll, describe, expect, it } from 'vitest';
import { expectNoLeaks } from '@gan-control/test-utils';
import { importGanControlEncoder } from '../src/import-gan-control.js';
import { loadEncoder } from '../src/io.js';
import { saveEncoder } from '../src/save.js';

const dir = join(import.meta.dirname, '..', 'testdata', 'gan-control');
const file = (f: string) => new Uint8Array(readFileSync(join(dir, f)));
const io = readSafetensors(file('edit.safetensors')).tensors;
const ref = (k: string) => tf.tensor(io[k].data as Float32Array, io[k].shape);
const values = ['yaw', 'pitch', 'roll'].map((name) => ({ name, unit: 'deg', range: [-90, 90] as const }));
const tmp = mkdtempSync(join(tmpdir(), 'gc-import-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('importGanControlEncoder', () => {
  it('imports the official controller as a project encoder that reproduces edit_slice, also after save/load', async () => {
    await expectNoLeaks(async () => {
      const E = importGanControlEncoder(file('controller_orientation.pt'), { group: 'orientation', offset: 16, values });
      expect(E.group).toBe('orientation');
      expect(E.wSlice).toEqual({ offset: 16, size: 16 });
      const want = ref('edit_slice');
      const bound = tf.tidy(() => 2e-5 * Math.max(tf.max(tf.abs(want)).dataSync()[0], 1));
      const check = (enc: typeof E) =>
        tf.tidy(() => {
          const got = enc.encode(ref('edit_y') as tf.Tensor2D);
          expect(got.shape).toEqual([4, 16]);
          expect(tf.max(tf.abs(tf.sub(got, want))).dataSync()[0]).toBeLessThanOrEqual(bound);
        });
      check(E);
      const json = await saveEncoder(E, tmp);
      E.dispose();
      const back = await loadEncoder(json);
      check(back);
      expect(back.values.map((v) => v.name)).toEqual(['yaw', 'pitch', 'roll']);
      back.dispose();
      want.dispose();
    });
  });

  it('refuses a value list that does not match the controller inputs, and a file without an FcStack, leaking nothing', () => {
    expectNoLeaks(() => {
      expect(() =>
        importGanControlEncoder(file('controller_orientation.pt'), { group: 'orientation', offset: 16, values: values.slice(0, 2) }),
      ).toThrow(/takes 3 value\(s\) but 2 were named/);
      expect(() => importGanControlEncoder(file('edit.safetensors'), { group: 'orientation', offset: 16, values })).toThrow(
        /no fc_stack\.0\.weight/,
      );
    });
  });
});
