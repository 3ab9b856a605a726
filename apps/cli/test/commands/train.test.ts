// train's stop and resume paths, in process: Ctrl-C is a non-zero exit whose hint repeats --kimg,
// and --resume on a folder without a checkpoint is an error, not a silent new run.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Context } from '../../src/context.js';
import { exitCodeOf } from '../../src/errors.js';
import { pluginFlags, trainCommand } from '../../src/commands/train.js';

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'cli-train-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function context(onInfo: (line: string) => void = () => {}): Context & { lines: string[] } {
  const lines: string[] = [];
  return { cwd: work, out: (l) => lines.push(l), info: onInfo, isTTY: false, verbose: false, backend: 'cpu', lines };
}

describe('train --resume and Ctrl-C', () => {
  it('--resume on a folder with no checkpoint is an error, and starts nothing', async () => {
    mkdirSync(join(work, 'empty'));
    for (const out of ['empty', 'missing']) {
      await expect(trainCommand([], { preset: 'tiny-8', out, resume: true }, context())).rejects.toMatchObject({
        code: 'CLI_NOTHING_TO_RESUME',
        message: expect.stringContaining(`--resume: ${join(work, out)} holds no training checkpoint to continue from`),
      });
    }
    expect(existsSync(join(work, 'empty', 'checkpoints'))).toBe(false);
    expect(existsSync(join(work, 'missing'))).toBe(false);
  });

  it('a Ctrl-C stop exits 130 with a resume hint that keeps --kimg; the hint resumes to the same length', async () => {
    // Ctrl-C as the CLI's SIGINT listener sees it (the newest one), right after training starts.
    const ctx = context((line) => {
      if (line.startsWith('training ')) setImmediate(() => (process.listeners('SIGINT').at(-1) as () => void)());
    });
    const err = await trainCommand([], { preset: 'tiny-8', out: 'run', kimg: '0.016' }, ctx).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CLI_INTERRUPTED' });
    expect(exitCodeOf(err)).toBe(130);
    expect((err as Error).message).toMatch(
      /^training stopped \(Ctrl-C\) after 0 of 16 images; its checkpoint is saved; continue with: gan-control train --preset tiny-8 --out run --resume --kimg 0.016$/,
    );
    expect(ctx.lines[0]).toMatch(/^stopped after 0 images/);
    const resumed = context();
    await trainCommand([], { preset: 'tiny-8', out: 'run', resume: true, kimg: '0.016' }, resumed);
    expect(resumed.lines[0]).toMatch(/^trained 16 images /);
  }, 120_000);
});

describe('pluginFlags', () => {
  it('names again, as --plugin flags, the plugins the config gave by path (a model folder cannot)', () => {
    const specs = new Map([
      ['brightness', join(work, 'gan-control-attribute-brightness')],
      ['pose', '@gan-control/attribute-pose'],
      ['glow', join(work, '..', 'glow.mjs')],
    ]);
    expect(pluginFlags(specs, work)).toBe(' --plugin brightness=./gan-control-attribute-brightness --plugin glow=../glow.mjs');
    expect(pluginFlags(new Map(), work)).toBe('');
  });
});
