import { describe, expect, it } from 'vitest';
import {
  clampValue,
  decodeLatent,
  encodeLatent,
  formatProjected,
  formatSettings,
  parseProjected,
  parseSettings,
  seedOf,
} from '../src/settings.js';

const model = {
  groups: [{ name: 'color' }, { name: 'position' }, { name: 'size' }, { name: 'other' }],
  attributes: [
    { name: 'color', group: 'color', values: [{ name: 'hue', range: [0, 360] as const, circular: true, mean: 180 }] },
    {
      name: 'position',
      group: 'position',
      values: [
        { name: 'x', range: [4, 28] as const, circular: false, mean: 16 },
        { name: 'y', range: [4, 28] as const, circular: false, mean: 16 },
      ],
    },
    { name: 'size', group: 'size', values: [{ name: 'size', range: [0.15, 0.35] as const, circular: false, mean: 0.25 }] },
  ],
};

describe('studio settings', () => {
  it('round-trips through the URL', () => {
    const q = new URLSearchParams(
      'seed=3&seed.other=9&truncation=0.7&color.hue=120&position.x=10.5&position.y=20&sample=size&backend=wasm',
    );
    const s = parseSettings(q, model);
    expect(s).toMatchObject({ seed: 3, groupSeeds: { other: 9 }, truncation: 0.7, values: { color: [120], position: [10.5, 20] } });
    expect([...s.sampled]).toEqual(['size']);
    expect(seedOf(s, 'other')).toBe(9);
    expect(seedOf(s, 'color')).toBe(3);
    const text = formatSettings(s, model, { backend: 'wasm' });
    expect(text).toBe('seed=3&seed.other=9&truncation=0.7&color.hue=120&position.x=10.5&position.y=20&sample=size&backend=wasm');
    expect(parseSettings(new URLSearchParams(text), model)).toEqual(s);
  });

  it('brings values into range: hue wraps, linear values clamp, junk falls back', () => {
    const s = parseSettings(new URLSearchParams('color.hue=-30&position.x=99&position.y=abc&seed=-2&truncation=3'), model, {
      values: { position: [0, 12] },
    });
    expect(s.values.color).toEqual([330]);
    expect(s.values.position).toEqual([28, 12]);
    expect(s.values.size).toEqual([0.25]);
    expect(s.seed).toBe(0);
    expect(s.truncation).toBe(1);
    expect(clampValue(725, { range: [0, 360], circular: true })).toBe(5);
  });

  it('rounds values as the URL writes them, so a link reproduces the render', () => {
    const s = parseSettings(new URLSearchParams(''), model, { values: { position: [7.743746280670166, 13.35567] } });
    expect(s.values.position).toEqual([7.7437, 13.3557]);
    expect(formatSettings(s, model)).toContain('position.x=7.7437&position.y=13.3557');
  });

  it('carries a projected w exactly (float32) and ignores a latent that does not fit the model', () => {
    const ws = Array.from({ length: 40 }, (_, i) => Math.fround(Math.sin(i) * 3.7 - i / 9));
    const text = encodeLatent(ws);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeLatent(text, 40)).toEqual(ws);
    expect(decodeLatent(text, 39)).toBeUndefined();
    expect(decodeLatent(text.slice(1), 40)).toBeUndefined();
    expect(decodeLatent(`${text.slice(0, -2)}+/`, 40)).toBeUndefined();
    expect(decodeLatent(encodeLatent([...ws.slice(0, 39), NaN]), 40)).toBeUndefined();
    const q = new URLSearchParams(`seed=3&sample=color&${formatProjected({ ws, resampled: new Set(['other', 'nope']) }, model)}`);
    expect(q.get('resampled')).toBe('other');
    const p = parseProjected(q, 40, model)!;
    expect(p.ws).toEqual(ws);
    expect([...p.resampled]).toEqual(['other']);
    expect(parseProjected(new URLSearchParams('seed=3'), 40, model)).toBeUndefined();
    expect(parseProjected(new URLSearchParams('latent=abc'), 40, model)).toBeUndefined();
  });
});
