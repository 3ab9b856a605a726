// The one model-folder format: write → read round trip, and every way a folder can be wrong
// (renamed tensors, a changed file, NaN weights, names that leave the folder, a reordered layout).
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { readSafetensors, writeSafetensors } from '@gan-control/tensor-io';
import { TINY_CONFIG, TINY_LATENT } from './helpers.js';
import { afterAll, describe, expect, it } from 'vitest';
import { expectNoLeaks } from '@gan-control/test-utils';
import { createGenerator, parseModelManifest, readModelFolder, readModelManifest } from '../src/index.js';
import { writeModelFolder } from '../src/node.js';

const work = mkdtempSync(join(tmpdir(), 'sg2-model-folder-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let n = 0;
/** A fresh model folder written by the one writer, from a seed-7 generator. */
async function written(extra: Record<string, unknown> = {}): Promise<string> {
  const dir = join(work, `m${n++}`);
  const G = createGenerator(TINY_CONFIG, { seed: 7 });
  try {
    await writeModelFolder(dir, {
      name: 'tiny',
      generator: { kind: 'stylegan2', config: TINY_CONFIG, stateDict: G.stateDict() },
      latent: TINY_LATENT,
      attributes: [{ name: 'hue' }],
      extra,
    });
  } finally {
    G.dispose();
  }
  return dir;
}

function editWeights(dir: string, edit: (tensors: Record<string, { dtype: string; shape: number[]; data: unknown }>) => void): void {
  const file = join(dir, 'generator.safetensors');
  const tensors = readSafetensors(new Uint8Array(readFileSync(file))).tensors as unknown as Record<
    string,
    { dtype: string; shape: number[]; data: unknown }
  >;
  edit(tensors);
  writeFileSync(file, writeSafetensors(tensors as never));
}

/** Drops the checksums, as a folder written before they existed has none. */
function dropChecksums(dir: string): void {
  const file = join(dir, 'model.json');
  const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  delete json.files;
  writeFileSync(file, JSON.stringify(json));
}

const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => expect.unreachable('expected an error'),
    (e: unknown) => e as Error & Record<string, unknown>,
  );

describe('model folders', () => {
  it('round-trip: the weights written are the weights read, with checksums, groups and extra fields', async () => {
    const dir = await written({ training: { name: 'tiny-run' }, step: 3 });
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    expect(json.files['generator.safetensors']).toEqual({
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      bytes: readFileSync(join(dir, 'generator.safetensors')).length,
    });
    expect(json).toMatchObject({ format: 'gan-control-model', version: 1, name: 'tiny', training: { name: 'tiny-run' }, step: 3 });
    await expectNoLeaks(async () => {
      const folder = await readModelFolder(dir);
      expect(folder.kind).toBe('stylegan2');
      expect(folder.groups).toEqual([
        { name: 'hue', offset: 0, size: 3, controlled: true },
        { name: 'other', offset: 3, size: 5, controlled: false },
      ]);
      expect(folder.report).toEqual({ missing: [], unused: [] });
      const G = createGenerator(TINY_CONFIG, { seed: 7 });
      const z = tf.randomNormal([2, 8], 0, 1, 'float32', 3) as tf.Tensor2D;
      const [a, b] = [folder.generator, G].map((g) => tf.tidy(() => g.synthesis(g.mapping(z), { noiseMode: 'const' })));
      expect(Array.from(await a.data())).toEqual(Array.from(await b.data()));
      tf.dispose([a, b, z]);
      G.dispose();
      folder.dispose();
    });
    // The same folder read by URL (file:) and through a files interface.
    (await readModelFolder(pathToFileURL(dir))).dispose();
  });

  it('a renamed tensor refuses to load, naming what is missing and unused; partial loads the rest', async () => {
    const dir = await written();
    let renamed = '';
    editWeights(dir, (t) => {
      renamed = Object.keys(t).find((k) => k.startsWith('synthesis.'))!;
      t[`${renamed}_renamed`] = t[renamed];
      delete t[renamed];
    });
    dropChecksums(dir);
    const err = await errorOf(readModelFolder(dir));
    expect(err.code).toBe('STYLEGAN2_STATE_DICT_MISMATCH');
    expect(err.message).toContain(`missing (1): ${renamed}`);
    expect(err.message).toContain(`not used (1): ${renamed}_renamed`);
    expect(err.message).toContain(join(dir, 'generator.safetensors'));
    await expectNoLeaks(async () => {
      const folder = await readModelFolder(dir, { partial: true });
      expect(folder.report).toEqual({ missing: [renamed], unused: [`${renamed}_renamed`] });
      // Loaded tensors come from the file, the missing one keeps the seed-0 initialisation.
      const seed0 = createGenerator(TINY_CONFIG, { seed: 0 });
      const file = readSafetensors(new Uint8Array(readFileSync(join(dir, 'generator.safetensors')))).tensors;
      if (folder.kind !== 'stylegan2') throw new Error('expected a stylegan2 folder');
      const sd = folder.generator.stateDict();
      expect(Array.from(sd[renamed].data)).toEqual(Array.from(seed0.stateDict()[renamed].data));
      const other = Object.keys(sd).find((k) => k !== renamed && k.startsWith('mapping.'))!;
      expect(Array.from(sd[other].data)).toEqual(Array.from(file[other].data as Float32Array));
      seed0.dispose();
      folder.dispose();
    });
  });

  it('a file changed after writing is an error naming it; a folder without checksums still loads', async () => {
    const dir = await written();
    const file = join(dir, 'generator.safetensors');
    const bytes = readFileSync(file);
    bytes[bytes.length - 1] ^= 1; // one bit of the last weight: same size, other content
    writeFileSync(file, bytes);
    const err = await errorOf(readModelFolder(dir));
    expect(err).toMatchObject({ code: 'MODEL_FOLDER_CHECKSUM', details: { file: join(dir, 'generator.safetensors') } });
    expect(err.message).toMatch(
      /generator\.safetensors does not match the checksum model\.json records for it \(sha256 [0-9a-f]{64}, expected [0-9a-f]{64}\)/,
    );
    writeFileSync(file, bytes.subarray(0, bytes.length - 4));
    expect((await errorOf(readModelFolder(dir))).message).toContain(`(${bytes.length - 4} bytes, expected ${bytes.length})`);
    bytes[bytes.length - 1] ^= 1;
    writeFileSync(file, bytes);
    dropChecksums(dir);
    (await readModelFolder(dir)).dispose();
  });

  it('a NaN weight is an error naming the file and the tensor', async () => {
    const dir = await written();
    let name = '';
    editWeights(dir, (t) => {
      name = Object.keys(t).find((k) => (t[k].data as Float32Array).length > 2)!;
      (t[name].data as Float32Array)[2] = Number.NaN;
    });
    dropChecksums(dir);
    const err = await errorOf(readModelFolder(dir));
    expect(err).toMatchObject({
      code: 'MODEL_FOLDER_NOT_FINITE',
      details: { tensor: name, element: 2 },
      message: `${join(dir, 'generator.safetensors')}: tensor '${name}' holds NaN (element 2); the weights are damaged or come from a diverged run`,
    });
  });

  it('integer tensors are refused with a code, I64 included (never cast, never a TypeError)', async () => {
    for (const [dtype, data] of [
      ['I64', new BigInt64Array([1n, 2n])],
      ['I32', new Int32Array([1, 2])],
    ] as const) {
      const dir = await written();
      editWeights(dir, (t) => {
        t.step = { dtype, shape: [2], data };
      });
      dropChecksums(dir);
      const err = await errorOf(readModelFolder(dir));
      expect(err, dtype).toMatchObject({
        code: 'STYLEGAN2_BAD_DTYPE',
        message: expect.stringContaining(`tensor 'step' has dtype ${dtype}`),
      });
    }
  });

  it('file names stay inside the folder: no .., no absolute path, no URL, no link out', async () => {
    writeFileSync(join(work, 'secret'), 'secret bytes');
    for (const [weights, why] of [
      ['../../etc/passwd', "leaves the folder ('..')"],
      ['/etc/passwd', 'is an absolute path'],
      ['C:\\secret', 'is an absolute path'],
      ['https://example.org/g.safetensors', 'is a URL'],
    ] as const) {
      const dir = await written();
      const file = join(dir, 'model.json');
      writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), weights }));
      const err = await errorOf(readModelFolder(dir));
      expect(err, weights).toMatchObject({
        code: 'MODEL_FOLDER_UNSAFE_PATH',
        message: expect.stringContaining(`"weights" '${weights}' ${why}`),
      });
    }
    const linked = await written();
    rmSync(join(linked, 'generator.safetensors'));
    symlinkSync(join(work, 'secret'), join(linked, 'generator.safetensors'));
    const err = await errorOf(readModelFolder(linked));
    expect(err).toMatchObject({
      code: 'MODEL_FOLDER_UNSAFE_PATH',
      message: expect.stringContaining(`is a link to ${join(work, 'secret')}, outside the folder`),
    });
    expect(err.message).not.toContain('secret bytes');
    // A link inside the folder is fine.
    const inside = await written();
    mkdirSync(join(inside, 'w'));
    writeFileSync(join(inside, 'w', 'g.safetensors'), readFileSync(join(inside, 'generator.safetensors')));
    rmSync(join(inside, 'generator.safetensors'));
    symlinkSync(join(inside, 'w', 'g.safetensors'), join(inside, 'generator.safetensors'));
    (await readModelFolder(inside)).dispose();
  });

  it('a latent layout in another order than the mapping groups is refused (encoder outputs would land in the wrong slices)', async () => {
    const dir = await written();
    const file = join(dir, 'model.json');
    const json = JSON.parse(readFileSync(file, 'utf8'));
    json.latent.groups.reverse();
    writeFileSync(file, JSON.stringify(json));
    await expect(readModelManifest(dir)).rejects.toMatchObject({
      code: 'MODEL_FOLDER_LAYOUT_MISMATCH',
      message: expect.stringContaining(`"latent" lists the groups other:5, hue:3, but the generator's mapping has hue:3, other:5`),
    });
  });

  it('schema errors come by field path, with a code', () => {
    expect(() =>
      parseModelManifest(
        { format: 'gan-control-model', version: 1, generator: { ...TINY_CONFIG, zDim: 'x' }, attributes: [{ name: '__proto__' }] },
        'm/model.json',
      ),
    ).toThrow(
      expect.objectContaining({
        code: 'MODEL_FOLDER_INVALID',
        message: expect.stringMatching(/generator\.zDim: [\s\S]*attributes\W+0\W+name: __proto__, constructor and prototype are reserved/),
      }),
    );
    expect(() => parseModelManifest('{"format": "gan-co', 'm/model.json')).toThrow(
      expect.objectContaining({ code: 'MODEL_FOLDER_INVALID', message: expect.stringContaining('m/model.json: not valid JSON') }),
    );
  });

  it('the bundled shapes model loads, its weights matching the checksum its model.json records', async () => {
    const dir = join(__dirname, '../../domain-shapes/model');
    expect(JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')).files['generator.safetensors'].sha256).toBe(
      createHash('sha256')
        .update(readFileSync(join(dir, 'generator.safetensors')))
        .digest('hex'),
    );
    const folder = await readModelFolder(dir);
    expect(folder.groups.map((g) => g.name)).toEqual(['color', 'position', 'size', 'other']);
    folder.dispose();
  });
});
