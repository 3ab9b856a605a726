import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectNoLeaks } from '@gan-control/test-utils';
import { buildContrastiveBatch, createRng, LatentLayout, officialFfhqLayout } from '@gan-control/latent';
import {
  FactorizedContrastiveLoss,
  isGanControlError,
  readLossValues,
  type Attribute,
  type LayerFocus,
} from '@gan-control/contrastive-loss';
import { expectClose } from './helpers.js';

/** An attribute whose features are columns of a packed `[B, 1, 1, F]` tensor. */
function packedAttribute(
  name: string,
  widths: number[],
  settings: { focus?: LayerFocus; weight: number; tauPlus: number; tauMinus: number }[],
): Attribute {
  const offsets = widths.map((_, i) => widths.slice(0, i).reduce((a, b) => a + b, 0));
  const last = settings[settings.length - 1];
  return {
    name,
    latentSize: 2,
    distance: 'squared-l2',
    thresholds: { tauPlus: last.tauPlus, tauMinus: last.tauMinus },
    weight: last.weight,
    intermediateLayers: settings.slice(0, -1),
    embed: (x) => widths.map((w, i) => tf.reshape(tf.slice(x, [0, 0, 0, offsets[i]], [x.shape[0], 1, 1, w]), [x.shape[0], w])),
    dispose: () => {},
  };
}

/** float64 restatement of the official arithmetic (README of the fixtures). */
function referenceLoss(
  rows: number[][],
  widths: number[],
  settings: { focus?: LayerFocus; weight: number; tauPlus: number; tauMinus: number }[],
  pairs: Record<string, [number, number][]>,
  group: string,
): number {
  const B = rows.length;
  let total = 0;
  let offset = 0;
  widths.forEach((w, L) => {
    const s = settings[L];
    const f = rows.map((r) => r.slice(offset, offset + w));
    offset += w;
    if (L < widths.length - 1 && s.weight === 0) return;
    const focusGroups =
      (s.focus ?? 'same_as_last_layer') === 'same_as_last_layer' ? [group] : Object.keys(pairs).filter((g) => g !== group);
    const positive = new Set(focusGroups.flatMap((g) => pairs[g].map(([i, j]) => `${Math.min(i, j)},${Math.max(i, j)}`)));
    let same = 0;
    let nSame = 0;
    let notSame = 0;
    let nNot = 0;
    for (let i = 0; i < B; i++) {
      for (let j = i + 1; j < B; j++) {
        const d = f[i].reduce((acc, v, k) => acc + (v - f[j][k]) ** 2, 0);
        if (positive.has(`${i},${j}`)) {
          same += Math.max(d - s.tauPlus, 0);
          nSame++;
        } else {
          notSame += Math.max(s.tauMinus - d, 0);
          nNot++;
        }
      }
    }
    total += s.weight * (same / nSame + notSame / nNot);
  });
  return total;
}

describe('FactorizedContrastiveLoss', () => {
  const layout = LatentLayout.fromSizes({ a: 2, b: 2, c: 2, other: 2 }, 'other');
  const widths = [3, 2];
  const settings = [
    { focus: 'not_same_as_last_layer' as const, weight: 0.3, tauPlus: 0.2, tauMinus: 4 },
    { weight: 0.5, tauPlus: 0.5, tauMinus: 3 },
  ];

  it('matches a float64 reference with a not_same_as_last_layer intermediate layer — loss and gradients — with only some groups bound', async () => {
    const batch = buildContrastiveBatch(layout, { rng: 4, batchSize: 10 });
    const rng = createRng(21);
    const rows = Array.from({ length: 10 }, () => Array.from({ length: 5 }, () => Math.fround(rng.nextNormal())));
    const attribute = packedAttribute('a', widths, settings);
    const loss = new FactorizedContrastiveLoss({ layout, attributes: { a: attribute } });
    const x = tf.tensor4d(rows.flat(), [10, 1, 1, 5]);
    const want = referenceLoss(rows, widths, settings, batch.pairs, 'a');
    await expectNoLeaks(() => {
      const result = loss.compute(x, batch.masks);
      expectClose(result.total.dataSync(), [want], 1e-5, 0, 'total');
      const [inter, last] = result.perAttribute.a.layers;
      expect([inter.focus, inter.isLast, last.isLast]).toEqual(['not_same_as_last_layer', false, true]);
      // positives of the not-same layer: every pair of b, c and other (1 + 1 + 1)
      expect([inter.cPlus.dataSync()[0], inter.cMinus.dataSync()[0]]).toEqual([3, 42]);
      expect([last.cPlus.dataSync()[0], last.cMinus.dataSync()[0]]).toEqual([2, 43]);
      tf.dispose(result as never);
      const grad = tf.grad((t: tf.Tensor) => loss.compute(t as tf.Tensor4D, batch.masks).total)(x);
      // central differences on the float64 reference (squared-l2 is smooth away from hinge kinks)
      const h = 1e-6;
      const fd = rows.flatMap((r, i) =>
        r.map((_, k) => {
          const plus = rows.map((row, ii) => row.map((v, kk) => (ii === i && kk === k ? v + h : v)));
          const minus = rows.map((row, ii) => row.map((v, kk) => (ii === i && kk === k ? v - h : v)));
          return (
            (referenceLoss(plus, widths, settings, batch.pairs, 'a') - referenceLoss(minus, widths, settings, batch.pairs, 'a')) / (2 * h)
          );
        }),
      );
      expectClose(grad.dataSync(), fd, 1e-4, 1e-7, 'gradient');
      grad.dispose();
    });
    tf.dispose([x, batch.z, ...Object.values(batch.masks)]);
  });

  it('binds attributes by record, by name, by explicit binding, and several per group', () => {
    const a1 = packedAttribute('a', [5], [{ weight: 1, tauPlus: 0, tauMinus: 1 }]);
    const a2 = packedAttribute('a-extra', [5], [{ weight: 1, tauPlus: 0, tauMinus: 1 }]);
    const b = packedAttribute('b', [5], [{ weight: 1, tauPlus: 0, tauMinus: 1 }]);
    expect(new FactorizedContrastiveLoss({ layout, attributes: { a: [a1, a2], b } }).attributes.map((x) => [x.key, x.group])).toEqual([
      ['a', 'a'],
      ['a-extra', 'a'],
      ['b', 'b'],
    ]);
    expect(
      new FactorizedContrastiveLoss({ layout, attributes: [a1, b, { group: 'c', attribute: a2, key: 'colour' }] }).attributes.map((x) => [
        x.key,
        x.group,
      ]),
    ).toEqual([
      ['a', 'a'],
      ['b', 'b'],
      ['colour', 'c'],
    ]);
  });

  it('explains unknown groups, the uncontrolled group, duplicates and invalid attributes', () => {
    const hue = packedAttribute('hue', [5], [{ weight: 1, tauPlus: 0, tauMinus: 1 }]);
    const err = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return e as Error & { code: string };
      }
      throw new Error('expected a throw');
    };
    const unknown = err(() => new FactorizedContrastiveLoss({ layout, attributes: [hue] }));
    expect(unknown.code).toBe('LOSS_UNKNOWN_GROUP');
    expect(unknown.message).toContain(
      'attributes[0] (bound by its name "hue") refers to latent group "hue", which the layout does not have. Controlled groups: a, b, c.',
    );
    expect(err(() => new FactorizedContrastiveLoss({ layout, attributes: { hue } })).message).toContain(
      'attributes.hue refers to latent group "hue"',
    );
    expect(err(() => new FactorizedContrastiveLoss({ layout, attributes: { other: hue } })).code).toBe('LOSS_UNCONTROLLED_GROUP');
    const dup = err(() => new FactorizedContrastiveLoss({ layout, attributes: { a: hue, b: hue } }));
    expect(dup.code).toBe('LOSS_DUPLICATE_ATTRIBUTE');
    expect(dup.message).toContain('key');
    const invalid = err(() => new FactorizedContrastiveLoss({ layout, attributes: { a: { ...hue, embed: undefined } as never } }));
    expect(invalid.code).toBe('ATTRIBUTE_INVALID');
    expect(invalid.message).toMatch(/attributes\.a returned an invalid attribute runtime:\nembed: must be a function/);
  });

  it('checks masks, images and features, without leaking on errors', async () => {
    const a = packedAttribute('a', [5], [{ weight: 1, tauPlus: 0, tauMinus: 1 }]);
    const loss = new FactorizedContrastiveLoss({ layout, attributes: { a } });
    const x = tf.zeros([4, 1, 1, 5]) as tf.Tensor4D;
    const m4 = tf.zeros([4, 4]) as tf.Tensor2D;
    const m3 = tf.zeros([3, 3]) as tf.Tensor2D;
    await expectNoLeaks(
      () => {
        expect(() => loss.compute(x, { b: m4 })).toThrow(/no mask for latent group "a" \(attribute "a" is bound to it\).*got masks for: b/);
        expect(() => loss.compute(x, { a: m3 })).toThrow(/the mask of "a" is \[3, 3\], expected \[4, 4\]/);
        expect(() => loss.compute(tf.zeros([4, 5]) as never, { a: m4 })).toThrow(/images must be NHWC/);
        const notSame = new FactorizedContrastiveLoss({ layout, attributes: { a: packedAttribute('a', [3, 2], settings) } });
        expect(() => notSame.compute(x, { a: m4 })).toThrow(/no mask for latent group "b" \(a not_same_as_last_layer layer/);
        const wrongBatch = { ...a, embed: () => tf.zeros([3, 2]) };
        expect(() => new FactorizedContrastiveLoss({ layout, attributes: { a: wrongBatch } }).compute(x, { a: m4 })).toThrow(
          /feature layer 0 has shape \[3, 2\], expected \[4, \.\.\.\]/,
        );
        const mismatch = { ...a, embed: () => [tf.zeros([4, 2]), tf.zeros([4, 2])] };
        try {
          new FactorizedContrastiveLoss({ layout, attributes: { a: mismatch } }).compute(x, { a: m4 });
          expect.unreachable();
        } catch (e) {
          expect(isGanControlError(e, 'ATTRIBUTE_LAYER_MISMATCH')).toBe(true);
        }
      },
      { allowed: 1 },
    ); // the stray tf.zeros([4, 5]) above
    tf.dispose([x, m4, m3]);
  });

  it('with no attributes the total is 0; readLossValues gives plain numbers', async () => {
    const empty = new FactorizedContrastiveLoss({ layout, attributes: [] });
    const x = tf.zeros([2, 1, 1, 1]) as tf.Tensor4D;
    const r = empty.compute(x, {});
    expect(r.total.dataSync()[0]).toBe(0);
    tf.dispose(r as never);
    const a = packedAttribute('a', [1], [{ weight: 2, tauPlus: 0, tauMinus: 1 }]);
    const batch = buildContrastiveBatch(layout, { rng: 0, batchSize: 8 });
    const res = new FactorizedContrastiveLoss({ layout, attributes: { a } }).compute(tf.zeros([8, 1, 1, 1]) as tf.Tensor4D, batch.masks);
    const values = await readLossValues(res);
    // all distances 0: same = 0, notSame = mean(1 − 0) = 1 → 2 · 1
    expect(values).toEqual({
      total: 2,
      perAttribute: {
        a: {
          group: 'a',
          loss: 2,
          layers: [
            {
              index: 0,
              isLast: true,
              focus: 'same_as_last_layer',
              weight: 2,
              tauPlus: 0,
              tauMinus: 1,
              distance: 'squared-l2',
              loss: 2,
              same: 0,
              notSame: 1,
              cPlus: 1,
              cMinus: 27,
            },
          ],
        },
      },
    });
    tf.dispose([res as never, x, batch.z, ...Object.values(batch.masks)]);
  });

  it('trains: optimizer.minimize on the official FFHQ layout with 3 of 6 groups bound lowers the loss, without leaks', async () => {
    const ffhq = officialFfhqLayout();
    const make = (name: string, from: number): Attribute => ({
      name,
      latentSize: 4,
      distance: 'l1-mean',
      thresholds: { tauPlus: 0.05, tauMinus: 0.5 },
      weight: 1,
      embed: (x) => tf.reshape(tf.slice(x, [0, 0, 0, from], [x.shape[0], 1, 1, 4]), [x.shape[0], 4]),
      dispose: () => {},
    });
    const loss = new FactorizedContrastiveLoss({ layout: ffhq, attributes: [make('id', 0), make('pose', 4), make('age', 8)] });
    const batch = buildContrastiveBatch(ffhq, { rng: createRng(2) });
    const images = tf.variable(tf.randomUniform([16, 1, 1, 12], -0.1, 0.1, 'float32', 1)) as tf.Variable<tf.Rank.R4>;
    const optimizer = tf.train.adam(0.05);
    const losses: number[] = [];
    const step = () => {
      const cost = optimizer.minimize(() => loss.compute(images as unknown as tf.Tensor4D, batch.masks).total, true)!;
      losses.push(cost.dataSync()[0]);
      cost.dispose();
    };
    step(); // Adam creates its two moment variables on the first step
    await expectNoLeaks(() => {
      for (let i = 1; i < 30; i++) step();
    });
    expect(losses[losses.length - 1], losses.join(' ')).toBeLessThan(losses[0] * 0.5);
    tf.dispose([images, batch.z, ...Object.values(batch.masks)]);
    optimizer.dispose();
  });
});
