// A deterministic fuzz run over the flag parsers (seeded): every input is either accepted with
// finite numbers and prototype-safe objects, or refused with the CLI's coded error — never a
// generic error, and Object.prototype is never touched.
import { describe, expect, it } from 'vitest';
import { createRng } from '@gan-control/latent';
import { intFlag, normalizeArgv, numberFlag, parsePluginFlags, parseSet, parseSweep } from '../src/args.js';
import { CliError } from '../src/errors.js';

/** The project's seeded PRNG, so a failing case reproduces from its seed and index. */
function rng(seed: number): () => number {
  const r = createRng(seed);
  return () => r.nextFloat();
}

const PIECES = [
  'pose',
  'yaw',
  'color',
  'hue',
  '.',
  '=',
  ':',
  '-',
  '+',
  '0',
  '1',
  '30',
  '-30',
  '1e308',
  '-1e308',
  '1e-320',
  'Infinity',
  'NaN',
  '0x10',
  ' ',
  '',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  '\u00e9',
  '\n',
  '"',
  '--',
  '-3',
  '.5',
  '64',
  '65',
  '2',
];

function randomText(next: () => number): string {
  const n = Math.floor(next() * 8);
  let s = '';
  for (let i = 0; i < n; i++) s += PIECES[Math.floor(next() * PIECES.length)];
  return s;
}

function classify(fn: () => unknown): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: fn() };
  } catch (err) {
    if (!(err instanceof CliError) || typeof err.code !== 'string') throw new Error(`generic error: ${String(err)}`);
    return { ok: false };
  }
}

const allFinite = (value: unknown): boolean =>
  typeof value === 'number' ? Number.isFinite(value) : value && typeof value === 'object' ? Object.values(value).every(allFinite) : true;

describe('flag parsers under fuzzing (seed 20)', () => {
  it('2,000 random --set / --sweep / --plugin / number flags / argv: accepted finite, or a coded error', () => {
    const next = rng(20);
    for (let i = 0; i < 2000; i++) {
      const texts = [randomText(next), randomText(next)];
      const set = classify(() => parseSet(texts));
      if (set.ok) {
        expect(Object.getPrototypeOf(set.value)).toBeNull();
        expect(allFinite(set.value), `case ${i}: ${JSON.stringify(texts)}`).toBe(true);
      }
      const sweep = classify(() => parseSweep(texts[0]));
      if (sweep.ok) expect((sweep.value as { values: number[] }).values.every(Number.isFinite), `case ${i}: ${texts[0]}`).toBe(true);
      classify(() => parsePluginFlags(texts));
      const int = classify(() => intFlag(texts[0], '--count', { min: 1, max: 4096, fallback: 1 }));
      if (int.ok) expect(Number.isInteger(int.value)).toBe(true);
      const num = classify(() => numberFlag(texts[1], '--truncation', { min: 0, max: 1, fallback: 1 }));
      if (num.ok) expect(Number.isFinite(num.value)).toBe(true);
      classify(() => normalizeArgv(['generate', ...texts]));
      expect(Object.keys(Object.prototype)).toEqual([]);
      expect(({} as Record<string, unknown>).hue).toBeUndefined();
    }
  });

  it('a sweep between huge ends stays finite', () => {
    expect(parseSweep('a=1e308:-1e308:3').values).toEqual([1e308, 0, -1e308]);
    expect(parseSweep('hue.hue=0:270:4').values).toEqual([0, 90, 180, 270]);
    expect(parseSweep('a=0:1:11').values[3]).toBe(0.3);
  });
});
