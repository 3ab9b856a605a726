import { describe, expect, it } from 'vitest';
import {
  directionsSchema,
  fitDirections,
  matrix,
  nameComponents,
  parseDirections,
  pca,
  predict,
  serializeDirections,
} from '@gan-control/directions';
import { gaussian, rowDot, unit } from './helpers.js';

const D = 8;
const N = 600;

function fitted() {
  const w = gaussian(N, D, 41);
  const a = unit(D, 42);
  const b = unit(D, 43);
  const y = new Float32Array(N * 3);
  for (let i = 0; i < N; i++) {
    y[3 * i] = 10 * rowDot(w, i, a);
    const h = (Math.atan2(rowDot(w, i, b), w[i * D + 7]) * 180) / Math.PI;
    y[3 * i + 1] = h < 0 ? h + 360 : h;
    y[3 * i + 2] = rowDot(w, i, b);
  }
  const directions = fitDirections(matrix(w, D), matrix(y, 3), {
    values: [
      { kind: 'linear', attribute: 'size', value: 'size', unit: 'px' },
      { kind: 'circular', attribute: 'color', value: 'hue' },
      { kind: 'threshold', attribute: 'smile', value: 'smile', threshold: 0 },
    ],
    holdout: 0,
  });
  const p = pca(matrix(w, D), { components: 3 });
  const names = nameComponents(p, matrix(w, D), matrix(y, 3), [
    { attribute: 'size', value: 'size' },
    { attribute: 'color', value: 'hue', period: 360 },
    { attribute: 'smile', value: 'smile' },
  ]);
  return { w, directions, components: { ...p, names: names.map((n) => ({ index: n.index, label: n.label })) } };
}

describe('directions.json', () => {
  it('round-trips: the parsed directions edit exactly as the fitted ones', () => {
    const { w, directions, components } = fitted();
    const text = serializeDirections({ dim: D, directions, components, meta: { samples: N, seed: 41 } });
    expect(serializeDirections({ dim: D, directions, components, meta: { samples: N, seed: 41 } })).toBe(text);
    const back = parseDirections(text);
    expect(back.dim).toBe(D);
    expect(back.components?.names?.length).toBe(3);
    expect(back.meta).toEqual({ samples: N, seed: 41 });
    // NaN metrics (no held-out split) are stored as null and read back as NaN.
    expect(JSON.parse(text).directions[0].r2).toBeNull();
    expect(back.directions[0]).toEqual(directions[0]);
    back.directions.forEach((d, k) => expect(predict(w.slice(0, 4 * D), d)).toEqual(predict(w.slice(0, 4 * D), directions[k])));
    expect(serializeDirections(back)).toBe(text);
    expect(directionsSchema.safeParse(JSON.parse(text)).success).toBe(true);
  });

  it('names the bad field by its path', () => {
    const { directions } = fitted();
    const file = JSON.parse(serializeDirections({ dim: D, directions }));
    file.directions[0].model.normal = [1, 2];
    file.directions[1].period = -1;
    let err: unknown;
    try {
      parseDirections(JSON.stringify(file), 'models/x/directions.json');
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'DIRECTIONS_BAD_FILE' });
    const msg = (err as Error).message;
    expect(msg).toContain('models/x/directions.json is not a valid directions file');
    expect(msg).toContain('directions[1].period');
    expect(() => parseDirections('{ not json')).toThrow(/not JSON/);
    const dup = JSON.parse(serializeDirections({ dim: D, directions }));
    dup.directions.push(dup.directions[0]);
    expect(() => parseDirections(dup)).toThrow(/'size.size' appears twice/);
    const wrongDim = JSON.parse(serializeDirections({ dim: D, directions }));
    wrongDim.dim = 9;
    expect(() => parseDirections(wrongDim)).toThrow(/directions\[0\]\.model\.normal: has 8 entries, dim is 9/);
  });
});
