import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectNoLeaks } from '@gan-control/test-utils';
import {
  buildContrastiveBatch,
  createRng,
  LatentLayout,
  officialFfhqLayout,
  pairMask,
  planContrastiveBatch,
  sampleLatents,
} from '../src/index.js';

const OFFICIAL_FFHQ_PAIRS = {
  id: [
    [0, 1],
    [2, 3],
  ],
  expression: [[4, 5]],
  pose: [[6, 7]],
  illumination: [[8, 9]],
  age: [[10, 11]],
  hair: [[12, 13]],
  other: [[14, 15]],
};

describe('planContrastiveBatch', () => {
  it('reproduces the official FFHQ layout by default', () => {
    expect(planContrastiveBatch(officialFfhqLayout())).toEqual({ batchSize: 16, pairs: OFFICIAL_FFHQ_PAIRS });
    expect(planContrastiveBatch(officialFfhqLayout(), { pairsPerGroup: { id: 2 } }).pairs).toEqual(OFFICIAL_FFHQ_PAIRS);
  });

  it('deals pairs round-robin for other batch sizes and leaves an odd row independent', () => {
    const layout = LatentLayout.fromSizes({ a: 2, b: 2, other: 2 }, 'other');
    const plan = planContrastiveBatch(layout, { batchSize: 11 });
    expect(plan.batchSize).toBe(11);
    expect(plan.pairs).toEqual({
      a: [
        [0, 1],
        [2, 3],
      ],
      b: [
        [4, 5],
        [6, 7],
      ],
      other: [[8, 9]],
    });
    const fixed = planContrastiveBatch(layout, { pairsPerGroup: 2, batchSize: 14 });
    expect(fixed.pairs.other).toEqual([
      [8, 9],
      [10, 11],
    ]);
    expect(planContrastiveBatch(layout, { pairsPerGroup: { b: 0 } }).pairs).toEqual({ a: [[0, 1]], b: [], other: [[2, 3]] });
  });

  it('rejects impossible requests with LATENT_BATCH_INVALID and says what to do', () => {
    const layout = officialFfhqLayout();
    expect(() => planContrastiveBatch(layout, { batchSize: 8 })).toThrow(/batchSize ≥ 14/);
    expect(() => planContrastiveBatch(layout, { pairsPerGroup: 2, batchSize: 16 })).toThrow(/need 28 rows/);
    expect(() => planContrastiveBatch(layout, { pairsPerGroup: { hue: 1 } })).toThrow(/unknown group\(s\) hue/);
    expect(() => planContrastiveBatch(layout, { pairsPerGroup: { id: 1.5 } })).toThrow(/pairsPerGroup.id must be an integer/);
    try {
      planContrastiveBatch(layout, { batchSize: 3 });
    } catch (e) {
      expect((e as { code: string }).code).toBe('LATENT_BATCH_INVALID');
    }
  });
});

describe('buildContrastiveBatch', () => {
  it('pairs share exactly their group sub-vector; everything else is independent', () => {
    const layout = officialFfhqLayout();
    expectNoLeaks(() => {
      const batch = buildContrastiveBatch(layout, { rng: 3 });
      expect(batch.z.shape).toEqual([16, 512]);
      const z = batch.z.arraySync();
      for (const [name, pairs] of Object.entries(batch.pairs)) {
        for (const [i, j] of pairs) {
          for (const g of layout.groups) {
            const a = z[i].slice(g.offset, g.offset + g.size);
            const b = z[j].slice(g.offset, g.offset + g.size);
            if (g.name === name) expect(b).toEqual(a);
            else expect(a.some((v, k) => v !== b[k])).toBe(true);
          }
        }
      }
      // masks: symmetric 0/1, zero diagonal, exactly the pairs
      for (const g of layout.groups) {
        const m = batch.masks[g.name].arraySync();
        expect(batch.masks[g.name].shape).toEqual([16, 16]);
        let ones = 0;
        for (let i = 0; i < 16; i++) {
          expect(m[i][i]).toBe(0);
          for (let j = 0; j < 16; j++) {
            expect(m[i][j]).toBe(m[j][i]);
            expect([0, 1]).toContain(m[i][j]);
            ones += m[i][j];
          }
        }
        expect(ones).toBe(2 * batch.pairs[g.name].length);
        for (const [i, j] of batch.pairs[g.name]) expect(m[i][j]).toBe(1);
      }
      tf.dispose([batch.z, ...Object.values(batch.masks)]);
    });
  });

  it('is deterministic per seed / rng state and resumes bit-exactly', () => {
    const layout = LatentLayout.fromSizes({ a: 3, other: 5 }, 'other');
    const rng = createRng(11);
    const b1 = buildContrastiveBatch(layout, { rng, batchSize: 6 });
    const saved = JSON.stringify(rng.state());
    const b2 = buildContrastiveBatch(layout, { rng, batchSize: 6 });
    const again = createRng(11);
    const c1 = buildContrastiveBatch(layout, { rng: again, batchSize: 6 });
    const resumed = buildContrastiveBatch(layout, { rng: await_restore(saved), batchSize: 6 });
    expect(c1.z.dataSync()).toEqual(b1.z.dataSync());
    expect(resumed.z.dataSync()).toEqual(b2.z.dataSync());
    expect(Array.from(b2.z.dataSync())).not.toEqual(Array.from(b1.z.dataSync()));
    tf.dispose([b1, b2, c1, resumed].flatMap((b) => [b.z, ...Object.values(b.masks)]));
  });

  it('requires an rng', () => {
    expect(() => buildContrastiveBatch(officialFfhqLayout(), {} as never)).toThrow(/options.rng is required/);
  });
});

describe('sampleLatents and pairMask', () => {
  it('samples [batch, dim] N(0, I) from a seed deterministically, without leaks', () => {
    expectNoLeaks(() => {
      const a = sampleLatents(8, 3, 5);
      const b = sampleLatents(8, 3, createRng(5));
      expect(a.shape).toEqual([3, 8]);
      expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
      tf.dispose([a, b]);
    });
    expect(() => sampleLatents(0, 1, 1)).toThrow(/positive integers/);
  });

  it('builds symmetric masks and rejects bad pairs', () => {
    expectNoLeaks(() => {
      const m = pairMask(3, [[0, 2]]);
      expect(m.arraySync()).toEqual([
        [0, 0, 1],
        [0, 0, 0],
        [1, 0, 0],
      ]);
      m.dispose();
      expect(() => pairMask(3, [[0, 5]])).toThrow();
    });
    expect(() => pairMask(3, [[1, 1]])).toThrow(/two different rows/);
    expect(() => pairMask(3, [[0, 3]])).toThrow(/two different rows/);
  });
});

import { restoreRng } from '../src/index.js';
function await_restore(json: string) {
  return restoreRng(JSON.parse(json));
}
