import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { expectNoLeaks } from '@gan-control/test-utils';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { entryToTensor, readSafetensors } from '@gan-control/tensor-io';
import { createEncoder, encoderFromWeights, loadEncoder, loadEncoders } from '../src/index.js';
import { saveEncoder } from '../src/node.js';
import type { EncoderSpec } from '../src/index.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const spec: EncoderSpec = {
  attribute: 'pose',
  group: 'orientation',
  wSlice: { offset: 16, size: 16 },
  values: [
    { kind: 'linear', name: 'yaw', unit: 'deg', mean: 0, std: 1, range: [-10, 10] },
    { kind: 'linear', name: 'pitch', unit: 'deg', mean: 0, std: 1, range: [-10, 10] },
    { kind: 'linear', name: 'roll', unit: 'deg', mean: 0, std: 1, range: [-10, 10] },
  ],
  architecture: { hidden: [32, 32, 32], lrMul: 0.01, activation: 'lrelu', activateLast: true },
};

describe('AttributeEncoder', () => {
  it('computes the official FcStack forward (E_orientation fixture)', async () => {
    const file = readSafetensors(new Uint8Array(await readFile(join(import.meta.dirname, '../testdata/fcstack-orientation.safetensors'))));
    const weights: Record<string, tf.Tensor> = {};
    for (const [k, v] of Object.entries(file.tensors)) if (k.startsWith('fc_stack.')) weights[k] = entryToTensor(v, k);
    expectNoLeaks(() => {
      const enc = encoderFromWeights(spec, weights);
      const y = entryToTensor(file.tensors.edit_y) as tf.Tensor2D;
      const want = file.tensors.edit_slice.data as Float32Array;
      const got = enc.encode(y);
      expect(got.shape).toEqual([4, 16]);
      const g = got.dataSync();
      let maxRef = 0;
      let maxDiff = 0;
      for (let i = 0; i < want.length; i++) {
        maxRef = Math.max(maxRef, Math.abs(want[i]));
        maxDiff = Math.max(maxDiff, Math.abs(g[i] - want[i]));
      }
      expect(maxRef).toBeGreaterThan(0.1);
      expect(maxDiff).toBeLessThan(1e-4 + 1e-5 * maxRef);
      tf.dispose([got, y]);
      enc.dispose();
    });
    tf.dispose(Object.values(weights));
  });

  it('saves and loads (safetensors + JSON) to the same outputs, and lists what it stored', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'encoders-io-'));
    dirs.push(dir);
    const enc = createEncoder(
      {
        attribute: 'color',
        group: 'color',
        wSlice: { offset: 0, size: 5 },
        values: [{ kind: 'circular', name: 'hue', unit: 'deg', period: 360, range: [0, 360] }],
        architecture: { hidden: [7, 6] },
        training: { valError: 0.1 },
      },
      { seed: 3 },
    );
    const path = await saveEncoder(enc, dir);
    expect(path).toBe(join(dir, 'color.json'));
    const json = JSON.parse(await readFile(path, 'utf8'));
    expect(json).toMatchObject({
      format: 'gan-control-encoder',
      attribute: 'color',
      group: 'color',
      weights: 'color.safetensors',
      values: [{ kind: 'circular', name: 'hue', unit: 'deg', period: 360 }],
      architecture: { inDim: 2, outDim: 5, hidden: [7, 6], lrMul: 1 },
      training: { valError: 0.1 },
    });
    const st = readSafetensors(new Uint8Array(await readFile(join(dir, 'color.safetensors'))));
    expect(Object.keys(st.tensors)).toEqual([
      'fc_stack.0.weight',
      'fc_stack.0.bias',
      'fc_stack.1.weight',
      'fc_stack.1.bias',
      'fc_stack.2.weight',
      'fc_stack.2.bias',
    ]);
    expect(st.tensors['fc_stack.0.weight'].shape).toEqual([7, 2]);

    await expectNoLeaks(async () => {
      const [loaded] = await loadEncoders(dir);
      const y = tf.tensor2d([[0], [90], [359.5], [-0.5]]);
      const a = enc.encode(y);
      const b = loaded.encode(y);
      expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
      // Circular input: 359.5° and −0.5° are the same hue.
      const d = b.dataSync();
      for (let i = 0; i < 5; i++) expect(d[2 * 5 + i]).toBeCloseTo(d[3 * 5 + i], 5);
      tf.dispose([y, a, b]);
      loaded.dispose();
    });
    enc.dispose();
  });

  it('names the field, file and shape on bad input', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'encoders-bad-'));
    dirs.push(dir);
    const enc = createEncoder({ ...spec, architecture: { hidden: [4] } }, { seed: 1 });
    expect(() => enc.encode(tf.zeros([2, 2]) as tf.Tensor2D)).toThrow(
      /encoder 'pose': y must be \[B, 3\] \(yaw, pitch, roll\), got \[2, 2\]/,
    );
    await saveEncoder(enc, dir);
    enc.dispose();
    // Architecture in the JSON does not match the weights.
    const json = JSON.parse(await readFile(join(dir, 'orientation.json'), 'utf8'));
    json.architecture.hidden = [5];
    await writeFile(join(dir, 'orientation.json'), JSON.stringify(json));
    await expectNoLeaks(async () => {
      await expect(loadEncoder(join(dir, 'orientation.json'))).rejects.toThrow(
        /orientation\.safetensors: encoder 'pose': weight 'fc_stack\.0\.weight' has shape \[4, 3\], the architecture needs \[5, 3\]/,
      );
    });
    json.architecture.hidden = 'wide';
    await writeFile(join(dir, 'orientation.json'), JSON.stringify(json));
    await expect(loadEncoder(join(dir, 'orientation.json'))).rejects.toThrow(
      /orientation\.json is not an encoder file: architecture\.hidden: /,
    );
    await expect(loadEncoders(join(dir, 'missing'))).rejects.toMatchObject({ code: 'ENCODERS_BAD_FILE' });
    expect(() => createEncoder({ ...spec, architecture: { hidden: [0] } })).toThrow(/architecture: hidden\[0\]: /);
  });
});
