// A deterministic fuzz run of the command line (seeded): random flags and values on every command,
// with a model, config or input that does not exist, so each run ends before heavy work. Each must
// end with exit code 1 or 2 and one `error:` line from the CLI's coded errors (never "unexpected"),
// quickly, leaving Object.prototype and the working folder as they were.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRng } from '@gan-control/latent';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';

/** The project's seeded PRNG, so a failing case reproduces from its seed and index. */
function rng(seed: number): () => number {
  const r = createRng(seed);
  return () => r.nextFloat();
}

const COMMANDS: Record<string, { base: string[]; flags: string[] }> = {
  generate: {
    base: ['generate', '--model', 'nowhere'],
    flags: ['--set', '--sweep', '--count', '--seed', '--truncation', '--keep', '--out', '--plugin', '--extrapolate'],
  },
  evaluate: {
    base: ['evaluate', '--model', 'nowhere'],
    flags: ['--samples', '--steps', '--range-samples', '--seed', '--out', '--plugin', '--json'],
  },
  demo: { base: ['demo', '--model', 'nowhere'], flags: ['--out', '--seed', '--plugin', '--json'] },
  train: { base: ['train', 'missing.json'], flags: ['--out', '--kimg', '--resume', '--json', '--preset'] },
  encoders: {
    base: ['encoders', '--model', 'nowhere'],
    flags: ['--samples', '--epochs', '--batch', '--hidden', '--seed', '--data', '--refine', '--calibrate', '--plugin'],
  },
  calibrate: { base: ['calibrate', '--model', 'nowhere'], flags: ['--passes', '--samples', '--seed', '--plugin'] },
  convert: { base: ['convert', 'missing.pt'], flags: ['--args', '--kwargs', '--attribute', '--encoder', '--out'] },
  inspect: { base: ['inspect', 'nowhere'], flags: ['--json'] },
};

const VALUES = [
  '',
  '-3',
  '0',
  '1',
  '4097',
  '1e309',
  '-1e308',
  'NaN',
  '0x10',
  ' ',
  '__proto__.x=1',
  'constructor=2',
  'color.hue=400',
  'a=1:2:3',
  'a=1e308:-1e308:3',
  'pose.yaw=-30',
  '/proc/forbidden/x',
  '/proc/forbidden/x.png',
  'e.jpg',
  'out.png',
  'x',
  '../x',
  '=',
  'color=./x.mjs',
  'a.b.c=1',
  '--',
  '-',
  '--json',
  'é',
];

const work = mkdtempSync(join(tmpdir(), 'cli-fuzz-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the command line under fuzzing (seed 10)', () => {
  it('300 random invocations end with a coded error, exit 1 or 2, fast', async () => {
    const next = rng(10);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)];
    const names = Object.keys(COMMANDS);
    for (let i = 0; i < 300; i++) {
      const { base, flags } = COMMANDS[pick(names)];
      const argv = [...base];
      for (let k = Math.floor(next() * 4); k > 0; k--) {
        argv.push(pick(flags));
        if (next() < 0.85) argv.push(pick(VALUES));
      }
      let stdout = '';
      let stderr = '';
      const started = Date.now();
      const code = await main(argv, {
        cwd: work,
        stdout: { write: (s: string) => (stdout += s) },
        stderr: { write: (s: string) => (stderr += s) },
      });
      const what = `case ${i}: ${JSON.stringify(argv)} → ${code} ${stderr}`;
      expect([1, 2], what).toContain(code);
      expect(stderr, what).toMatch(/^error: [^\n]+\n$/);
      expect(stderr, what).not.toContain('unexpected');
      expect(Date.now() - started, what).toBeLessThan(5000);
      expect(Object.keys(Object.prototype), what).toEqual([]);
      expect(readdirSync(work), what).toEqual([]);
    }
  }, 120_000);
});
