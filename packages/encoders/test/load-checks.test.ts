// Controller.load reads model folders with the one model-folder reader of @gan-control/stylegan2,
// so the library refuses what the CLI refuses: names that leave the folder (model.json and encoder
// JSON), integer weights (I64 included, a coded error, not a TypeError), changed files, and a
// latent layout in another order than the mapping groups (encoder outputs on the wrong slices).
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readSafetensors, writeSafetensors } from '@gan-control/tensor-io';
import { afterAll, describe, expect, it } from 'vitest';
import { expectNoLeaks } from '@gan-control/test-utils';
import { Controller } from '../src/index.js';

const bundled = resolve(import.meta.dirname, '../../domain-shapes/model');
const work = mkdtempSync(join(tmpdir(), 'encoders-load-checks-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let n = 0;
function copy(edit: (manifest: Record<string, unknown>) => void = () => {}): string {
  const dir = join(work, `m${n++}`);
  cpSync(bundled, dir, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as Record<string, unknown>;
  edit(manifest);
  writeFileSync(join(dir, 'model.json'), JSON.stringify(manifest));
  return dir;
}

describe('Controller.load checks a model folder as the CLI does', () => {
  it('a weights name that leaves the folder is refused before anything is read', async () => {
    const dir = copy((m) => (m.weights = '../../etc/passwd'));
    await expect(Controller.load(dir)).rejects.toMatchObject({
      code: 'MODEL_FOLDER_UNSAFE_PATH',
      message: expect.stringContaining(`"weights" '../../etc/passwd' leaves the folder`),
    });
  });

  it("an encoder JSON's weights that leave the encoders folder are refused", async () => {
    const dir = copy();
    const file = join(dir, 'encoders', 'size.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), weights: '../../../secret.safetensors' }));
    await expectNoLeaks(async () => {
      await expect(Controller.load(dir)).rejects.toMatchObject({
        code: 'MODEL_FOLDER_UNSAFE_PATH',
        message: expect.stringContaining(`"weights" '../../../secret.safetensors' leaves the folder`),
      });
    });
  });

  it('an I64 tensor in the weights is a coded error naming it (never a TypeError or a cast)', async () => {
    const dir = copy((m) => delete m.files);
    const path = join(dir, 'generator.safetensors');
    const { tensors } = readSafetensors(new Uint8Array(readFileSync(path)));
    writeFileSync(
      path,
      writeSafetensors({ ...tensors, 'mapping.step': { dtype: 'I64', shape: [1], data: new BigInt64Array([3n]) } } as never),
    );
    await expect(Controller.load(dir)).rejects.toMatchObject({
      code: 'STYLEGAN2_BAD_DTYPE',
      message: expect.stringContaining("tensor 'mapping.step' has dtype I64"),
    });
  });

  it('changed weights are refused naming the file (the bundled model.json records their checksum)', async () => {
    const dir = copy();
    const path = join(dir, 'generator.safetensors');
    const bytes = readFileSync(path);
    bytes[bytes.length - 1] ^= 1;
    writeFileSync(path, bytes);
    await expect(Controller.load(dir)).rejects.toMatchObject({ code: 'MODEL_FOLDER_CHECKSUM', details: { file: path } });
  });

  it('a latent layout whose groups are in another order than the mapping is refused', async () => {
    const dir = copy((m) => (m.latent as { groups: unknown[] }).groups.reverse());
    await expect(Controller.load(dir)).rejects.toMatchObject({
      code: 'MODEL_FOLDER_LAYOUT_MISMATCH',
      message: expect.stringContaining('encoder outputs would go to the wrong w slices'),
    });
  });
});
