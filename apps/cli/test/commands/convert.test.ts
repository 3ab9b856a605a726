// convert on wrong inputs: JSON given as the checkpoint, a discriminator, a failed --encoder import.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createDiscriminator } from '@gan-control/stylegan2';
import { writeSafetensors } from '@gan-control/tensor-io';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Context } from '../../src/context.js';
import { convertCommand, floatStateDict, looksLikeDiscriminator, looksLikeJson } from '../../src/commands/convert.js';

const official = resolve(import.meta.dirname, '..', '..', 'testdata', 'gan-control-official');
let work: string;
let lines: string[];
const ctx = (): Context => ({ cwd: work, out: (l) => lines.push(l), info: () => {}, isTTY: false, verbose: false, backend: 'cpu' });

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'cli-convert-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('convert refuses what is not a generator checkpoint, clearly', () => {
  it('a JSON file given as the checkpoint: "this is JSON, not a checkpoint"', async () => {
    lines = [];
    const err = await convertCommand([join(official, 'args.json')], { args: join(official, 'args.json'), out: 'm' }, ctx()).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({
      code: 'CLI_BAD_FILE',
      message: expect.stringContaining('args.json is JSON, not a checkpoint: give the weights as the input'),
    });
    expect(existsSync(join(work, 'm'))).toBe(false);
    expect(looksLikeJson(new TextEncoder().encode('\n  [1, 2]'))).toBe(true);
    expect(looksLikeJson(writeSafetensors({ a: { dtype: 'F32', shape: [1], data: new Float32Array(1) } } as never))).toBe(false);
  });

  it('a discriminator: "this looks like a discriminator", not a list of missing names', async () => {
    const D = createDiscriminator({ resolution: 32, channelBase: 64, channelMax: 8 } as never, { seed: 0 } as never);
    writeFileSync(join(work, 'D.safetensors'), writeSafetensors(D.stateDict() as never));
    D.dispose();
    writeFileSync(
      join(work, 'kwargs.json'),
      JSON.stringify({
        z_dim: 8,
        w_dim: 8,
        img_resolution: 32,
        img_channels: 3,
        mapping_kwargs: { num_layers: 2 },
        synthesis_kwargs: { channel_base: 64, channel_max: 8 },
      }),
    );
    for (const flags of [{ kwargs: 'kwargs.json' }, { args: join(official, 'args.json') }]) {
      lines = [];
      const err = await convertCommand(['D.safetensors'], { ...flags, out: 'd' }, ctx()).catch((e: unknown) => e);
      expect(err, JSON.stringify(flags)).toMatchObject({
        code: 'CLI_BAD_FILE',
        message: expect.stringContaining('D.safetensors looks like a discriminator'),
      });
      expect((err as Error).message.length).toBeLessThan(400);
      expect(existsSync(join(work, 'd'))).toBe(false);
    }
    expect(looksLikeDiscriminator(['final_conv.0.weight', 'final_linear.0.weight', 'convs.0.0.weight'])).toBe(true);
    expect(looksLikeDiscriminator(['mapping.fc0.weight', 'synthesis.b4.conv1.weight'])).toBe(false);
    expect(looksLikeDiscriminator(['style.1.weight', 'conv1.conv.weight', 'convs.0.conv.weight'])).toBe(false);
  });

  it('a failed --encoder import leaves no half-written model folder; the corrected retry works', async () => {
    writeFileSync(join(work, 'bad-controller.pt'), 'not a controller');
    mkdirSync(join(work, 'empty-out'));
    for (const out of ['gc', 'empty-out']) {
      lines = [];
      const flags = { args: join(official, 'args.json'), out, encoder: `orientation=${join(work, 'bad-controller.pt')}`, backend: 'cpu' };
      await expect(convertCommand([join(official, 'G.safetensors')], flags, ctx())).rejects.toThrow();
      expect(existsSync(join(work, out, 'model.json')), out).toBe(false);
      expect(readdirSync(work).filter((n) => n.includes('.converting-'))).toEqual([]);
    }
    expect(existsSync(join(work, 'gc'))).toBe(false);
    // A conversion killed with kill -9 left its staging folder: the next one to that --out removes it.
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    mkdirSync(join(work, `.gc.converting-${dead}`, 'encoders'), { recursive: true });
    mkdirSync(join(work, `.gc.converting-${process.ppid}`));
    lines = [];
    // (The e2e test covers a successful --encoder import.)
    await convertCommand([join(official, 'G.safetensors')], { args: join(official, 'args.json'), out: 'gc' }, ctx());
    expect(readdirSync(join(work, 'gc')).sort()).toEqual(['generator.safetensors', 'model.json']);
    expect(readdirSync(work).filter((n) => n.includes('.converting-'))).toEqual([`.gc.converting-${process.ppid}`]); // a live process's is kept
    rmSync(join(work, `.gc.converting-${process.ppid}`), { recursive: true });
    await convertCommand([join(official, 'G.safetensors')], { args: join(official, 'args.json'), out: 'empty-out' }, ctx());
    expect(readdirSync(join(work, 'empty-out')).sort()).toEqual(['generator.safetensors', 'model.json']);
    expect(readdirSync(work).filter((n) => n.includes('.converting-'))).toEqual([]);
    expect(lines[0]).toContain(`→ ${join(work, 'gc')}`);
    expect(lines.at(-1)).toBe(`next: gan-control inspect ${join(work, 'empty-out')}`);
  }, 60_000);
});

describe('floatStateDict', () => {
  it('keeps a tensor named __proto__ as a name (null prototype), and widens non-F32 floats', () => {
    const raw = Object.create(null) as Record<string, unknown>;
    raw['__proto__'] = { shape: [1], data: new Float32Array([1]) };
    raw['w'] = { shape: [2], data: new Float64Array([2, 3]) };
    raw['n'] = { shape: [1], data: new Int32Array([4]) };
    const out = floatStateDict(raw);
    expect(Object.getPrototypeOf(out)).toBeNull();
    expect(Object.keys(out)).toEqual(['__proto__', 'w']);
    expect(out.w.data).toEqual(new Float32Array([2, 3]));
    expect(({} as Record<string, unknown>).shape).toBeUndefined();
  });
});
