// openControl releases what it loaded when it fails: the model, and the encoders the controller
// never took (a refused plugin, or the controller refusing them).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { expectNoLeaks } from '@gan-control/test-utils';
import { writeTinyModel } from './tiny-model.js';
import type { Context } from '../src/context.js';
import { openControl } from '../src/control.js';

const loaded: { dispose: () => void; disposed: boolean }[] = [];
/** The value the second stand-in encoder's weights hold at [1, 1]. */
let poison = 0;
vi.mock('@gan-control/encoders', async (importOriginal) => ({
  ...(await importOriginal<Record<string, unknown>>()),
  // Stand-ins for two loaded encoders, each holding a tensor (weights() hands out copies, as AttributeEncoder does).
  loadEncoders: async () =>
    [0, 1].map((k) => {
      const values = new Float32Array(16);
      if (k === 1) values[5] = poison;
      const t = tf.tensor2d(values, [4, 4]);
      const e = {
        attribute: 'color',
        group: 'color',
        values: [],
        disposed: false,
        weights: () => ({ 'fc_stack.0.weight': t.clone() }),
        dispose: () => ((e.disposed = true), t.dispose()),
      };
      loaded.push(e);
      return e;
    }),
  Controller: class {
    constructor() {
      throw Object.assign(new Error("two encoders for latent group 'color'"), { code: 'ENCODERS_INVALID_OPTIONS' });
    }
  },
}));

let work: string;
let model: string;
const ctx: Context = { cwd: process.cwd(), out: () => {}, info: () => {}, isTTY: false, verbose: false, backend: 'cpu' };

beforeAll(async () => {
  await tf.setBackend('cpu');
  work = mkdtempSync(join(tmpdir(), 'cli-control-'));
  model = join(work, 'tiny');
  await writeTinyModel(model);
  mkdirSync(join(model, 'encoders'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('openControl', () => {
  it('when the controller refuses the encoders, they and the model are released (no tensor leaks)', async () => {
    await expectNoLeaks(async () => {
      await expect(openControl({ path: model, label: 'tiny' }, ctx, { measure: false })).rejects.toMatchObject({
        code: 'ENCODERS_INVALID_OPTIONS',
      });
      expect(loaded).toHaveLength(2);
      expect(loaded.every((e) => e.disposed)).toBe(true);
    });
  });

  it('an encoder whose weights hold NaN is CLI_MODEL_CORRUPT naming it, and everything is released', async () => {
    loaded.length = 0;
    poison = Number.NaN;
    await expectNoLeaks(async () => {
      await expect(openControl({ path: model, label: 'tiny' }, ctx, { measure: false })).rejects.toMatchObject({
        code: 'CLI_MODEL_CORRUPT',
        message: `corrupt encoder 'color' in ${join(model, 'encoders')}: weight 'fc_stack.0.weight' holds NaN (element 5); restore color.safetensors or retrain the encoders (gan-control encoders)`,
      });
      expect(loaded.every((e) => e.disposed)).toBe(true);
    });
  });
});
