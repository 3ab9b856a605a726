import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors } from '@gan-control/tensor-io';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createDiscriminator,
  createGenerator,
  decodeCheckpoint,
  encodeCheckpoint,
  loadCheckpoint,
  loadDiscriminator,
  loadGenerator,
  networkFromCheckpoint,
} from '../src/index.js';
import { saveCheckpoint, saveNetwork } from '../src/node.js';
import { readBytes, TINY_D, TINY_G } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'sg2-ckpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<{ code?: string; message: string }> {
  try {
    if (typeof p === 'function') p();
    else await p;
  } catch (e) {
    return e as { code?: string; message: string };
  }
  throw new Error('expected an error');
}

describe('checkpoints', () => {
  it('round-trips a generator and a discriminator exactly, atomically, with extra data', async () => {
    const G = createGenerator(
      {
        ...TINY_G,
        mapping: {
          numLayers: 2,
          groups: [
            { name: 'id', size: 5 },
            { name: 'other', size: 3 },
          ],
        },
      },
      { seed: 5 },
    );
    const D = createDiscriminator(TINY_D, { seed: 6 });
    await saveNetwork(join(dir, 'G.safetensors'), G, { kimg: 12 });
    await saveNetwork(join(dir, 'D.safetensors'), D);
    expect(readdirSync(dir).sort()).toEqual(['D.safetensors', 'G.safetensors']); // no temp files left
    const G2 = await loadGenerator(join(dir, 'G.safetensors'));
    const D2 = await loadDiscriminator(join(dir, 'D.safetensors'));
    expect(G2.config).toEqual(G.config);
    for (const [k, v] of Object.entries(G.variables()))
      expect(Array.from(G2.variables()[k].dataSync()), k).toEqual(Array.from(v.dataSync()));
    for (const [k, v] of Object.entries(D.variables()))
      expect(Array.from(D2.variables()[k].dataSync()), k).toEqual(Array.from(v.dataSync()));
    const ckpt = await loadCheckpoint(join(dir, 'G.safetensors'));
    expect(ckpt.kind).toBe('generator');
    expect(ckpt.extra).toEqual({ kimg: 12 });
    // The tensors are the official-layout state dict (readable by any safetensors reader).
    const raw = readSafetensors(new Uint8Array(readFileSync(join(dir, 'D.safetensors'))));
    expect(raw.tensors['b8.conv0.weight'].shape).toEqual([4, 4, 3, 3]);
    expect(raw.metadata?.format).toBe('gan-control/stylegan2');
    [G, D, G2, D2].forEach((n) => n.dispose());
  });

  it('clear errors: missing file, truncated file, wrong shape, unknown config field, wrong kind, foreign file', async () => {
    const G = createGenerator(TINY_G, { seed: 1 });
    const good = encodeCheckpoint({ kind: 'generator', config: G.config, weights: G });
    G.dispose();

    const missing = await codeOf(loadCheckpoint(join(dir, 'nope.safetensors')));
    expect(missing.code).toBe('STYLEGAN2_CHECKPOINT_NOT_FOUND');
    expect(missing.message).toMatch(/nope\.safetensors/);

    writeFileSync(join(dir, 'trunc.safetensors'), good.slice(0, good.length - 100));
    const trunc = await codeOf(loadCheckpoint(join(dir, 'trunc.safetensors')));
    expect(trunc.code).toBe('STYLEGAN2_BAD_CHECKPOINT');
    expect(trunc.message).toMatch(/trunc\.safetensors.*truncated/s);

    const file = readSafetensors(good);
    const tensors = { ...file.tensors, 'synthesis.b8.conv1.bias': { shape: [5], data: new Float32Array(5) } };
    const badShape = decodeCheckpoint(
      writeSafetensors(tensors as Parameters<typeof writeSafetensors>[0], file.metadata),
      'shape.safetensors',
    );
    const shapeErr = await codeOf(() => networkFromCheckpoint(badShape, 'shape.safetensors'));
    expect(shapeErr.code).toBe('STYLEGAN2_SHAPE_MISMATCH');
    expect(shapeErr.message).toMatch(/shape\.safetensors.*synthesis\.b8\.conv1\.bias.*\[5\].*\[4\]/s);

    const cfg = JSON.parse(file.metadata!.config);
    cfg.synthesis.colorSpace = 'rgb';
    const unknown = await codeOf(() =>
      decodeCheckpoint(
        writeSafetensors(file.tensors as Parameters<typeof writeSafetensors>[0], { ...file.metadata, config: JSON.stringify(cfg) }),
        'cfg.safetensors',
      ),
    );
    expect(unknown.code).toBe('STYLEGAN2_INVALID_CONFIG');
    expect(unknown.message).toMatch(/cfg\.safetensors[\s\S]*synthesis[\s\S]*colorSpace/);

    writeFileSync(join(dir, 'g.safetensors'), good);
    const kind = await codeOf(loadDiscriminator(join(dir, 'g.safetensors')));
    expect(kind.code).toBe('STYLEGAN2_WRONG_KIND');

    const foreign = await codeOf(() => decodeCheckpoint(readBytes('G.safetensors'), 'G.safetensors'));
    expect(foreign.message).toMatch(/loadOfficialGenerator/);

    await expect(
      saveCheckpoint(join(dir, 'x.safetensors'), { kind: 'generator', config: { ...TINY_G, bogus: 1 } as never, weights: {} }),
    ).rejects.toThrow(/bogus/);
  });
});
