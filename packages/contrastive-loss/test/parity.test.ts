// Golden parity with the official GAN-Control loss (testdata/contrastive-official, float64
// reference): every case's per-layer terms, C+/C−, attribute losses, totals, last-layer
// distance matrices and tf.grad gradients at a relative tolerance of 1e-5.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core registers gradients only on request (the full @tensorflow/tfjs bundle does it).
import { describe, expect, it } from 'vitest';
import { expectNoLeaks } from '@gan-control/test-utils';
import { LatentLayout, planContrastiveBatch } from '@gan-control/latent';
import {
  FactorizedContrastiveLoss,
  pairwiseDistances,
  scaledDistance,
  type Attribute,
  type AttributeBinding,
  type DistanceFn,
  type DistanceName,
  type LayerFocus,
} from '@gan-control/contrastive-loss';
import { expectClose, flatten } from './helpers.js';

interface LayerExpectation {
  layer_index: number;
  is_last_layer: boolean;
  weight: number;
  tau_plus: number;
  tau_minus: number;
  focus: LayerFocus;
  same_loss: number;
  not_same_loss: number;
  weighted: number;
  C_plus: number;
  C_minus: number;
}
interface CaseAttribute {
  attribute: string;
  distance: string;
  same_group_name: string;
  config: {
    lower_thres: number[];
    upper_thres: number[];
    last_lower_thres: number;
    last_upper_thres: number;
    intermediate_layers_weights: number[];
    last_layer_weight: number;
    focus_on_list: LayerFocus[];
    intermediate_criterion_as_last_layer?: boolean;
  };
  layers: { shape: number[]; values: unknown }[];
  distance_matrix_last_layer_float64: number[][];
  expected: { float64: { loss: number; per_layer: LayerExpectation[] } };
  grad_of_total_float64: unknown[];
}
interface Case {
  name: string;
  batch_size: number;
  pairs_by_group: Record<string, [number, number][]>;
  same_subvector_matrix: Record<string, boolean[][]>;
  attributes: CaseAttribute[];
  expected_total: { float64: number };
}

const fixture = JSON.parse(readFileSync(new URL('../testdata/contrastive-official/cases.json', import.meta.url), 'utf8')) as {
  cases: Case[];
};
const RTOL = 1e-5;

/** `l1_mean_last2`: mean over the last two axes of |a − b| for `[B, r, c]` (Hopenet, ESR9). */
const l1MeanLast2: DistanceFn = (features) =>
  tf.tidy(() => {
    const [B, r, c] = features.shape;
    const f = tf.reshape(features, [B, r, c]);
    return tf.mean(tf.abs(tf.sub(tf.expandDims(f, 1), tf.expandDims(f, 0))), [2, 3]) as tf.Tensor2D;
  });

const DISTANCES: Record<string, DistanceName | DistanceFn> = {
  sq_l2_sum: 'squared-l2',
  l1_mean_last: 'l1-mean',
  l1_mean_last2: l1MeanLast2,
  gram_mse_x1e5: scaledDistance('mse-mean', 1e5),
};

/**
 * Packs every layer of every attribute into one `[B, 1, 1, F]` "image" so that tf.grad with
 * respect to the image yields the gradient with respect to each layer's values.
 */
function setUp(c: Case) {
  const B = c.batch_size;
  let offset = 0;
  const packed: { attr: CaseAttribute; offsets: number[] }[] = [];
  for (const attr of c.attributes) {
    const offsets: number[] = [];
    for (const layer of attr.layers) {
      offsets.push(offset);
      offset += layer.shape.slice(1).reduce((a, b) => a * b, 1);
    }
    packed.push({ attr, offsets });
  }
  const F = offset;
  const data = new Float32Array(B * F);
  for (const { attr, offsets } of packed) {
    attr.layers.forEach((layer, li) => {
      const size = layer.shape.slice(1).reduce((a, b) => a * b, 1);
      const values = flatten(layer.values);
      for (let b = 0; b < B; b++) for (let k = 0; k < size; k++) data[b * F + offsets[li] + k] = values[b * size + k];
    });
  }
  const bindings: AttributeBinding[] = packed.map(({ attr, offsets }) => {
    const cfg = attr.config;
    const last = DISTANCES[attr.distance];
    expect(last, `distance ${attr.distance}`).toBeDefined();
    const intermediateDistance = cfg.intermediate_criterion_as_last_layer ? last : 'l1-mean';
    const nIntermediate = cfg.intermediate_layers_weights.length;
    const attribute: Attribute = {
      name: attr.attribute,
      latentSize: 8,
      distance: last,
      thresholds: { tauPlus: cfg.last_lower_thres, tauMinus: cfg.last_upper_thres },
      weight: cfg.last_layer_weight,
      intermediateLayers: cfg.intermediate_layers_weights.map((w, i) => ({
        tauPlus: cfg.lower_thres[i],
        tauMinus: cfg.upper_thres[i],
        weight: w,
        focus: cfg.focus_on_list[i],
        distance: intermediateDistance,
      })),
      embed: (images) =>
        attr.layers.map((layer, li) => {
          const size = layer.shape.slice(1).reduce((a, b) => a * b, 1);
          return tf.reshape(tf.slice(images, [0, 0, 0, offsets[li]], [B, 1, 1, size]), layer.shape);
        }),
      dispose: () => {},
    };
    // The official config lists intermediate layers the model does not return (weight 0).
    expect(attr.layers.length === nIntermediate + 1 || attr.layers.length === 1).toBe(true);
    return { group: attr.same_group_name, attribute, key: attr.attribute };
  });
  const groups = Object.keys(c.pairs_by_group);
  const layout = LatentLayout.parse({ groups: groups.map((name) => ({ name, size: 4, controlled: name !== 'other' })) });
  return { B, F, data, bindings, layout, packed };
}

function masksOf(c: Case): Record<string, tf.Tensor2D> {
  const masks: Record<string, tf.Tensor2D> = {};
  for (const [group, m] of Object.entries(c.same_subvector_matrix)) masks[group] = tf.tensor2d(m.map((row) => row.map(Number)));
  return masks;
}

describe('official GAN-Control contrastive loss parity', () => {
  for (const c of fixture.cases) {
    describe(c.name, () => {
      it('the batch builder reproduces the case pairs', () => {
        const { layout } = setUp(c);
        const counts = Object.fromEntries(Object.entries(c.pairs_by_group).map(([g, p]) => [g, p.length]));
        expect(planContrastiveBatch(layout, { pairsPerGroup: counts, batchSize: c.batch_size }).pairs).toEqual(c.pairs_by_group);
      });

      it('last-layer distance matrices match', async () => {
        const { bindings, B, data, F } = setUp(c);
        await expectNoLeaks(() => {
          const images = tf.tensor4d(data, [B, 1, 1, F]);
          c.attributes.forEach((attr, i) => {
            const d = tf.tidy(() => {
              const feats = bindings[i].attribute.embed(images) as tf.Tensor[];
              return pairwiseDistances(feats[feats.length - 1], bindings[i].attribute.distance);
            });
            expectClose(d.dataSync(), attr.distance_matrix_last_layer_float64.flat(), RTOL, 0, `${attr.attribute} D`);
            d.dispose();
          });
          images.dispose();
        });
      });

      it('per-layer terms, C+/C−, attribute losses and the total match float64 at 1e-5', async () => {
        const { bindings, layout, B, data, F } = setUp(c);
        const loss = new FactorizedContrastiveLoss({ layout, attributes: bindings });
        await expectNoLeaks(() => {
          const images = tf.tensor4d(data, [B, 1, 1, F]);
          const masks = masksOf(c);
          const result = loss.compute(images, masks);
          for (const attr of c.attributes) {
            const got = result.perAttribute[attr.attribute];
            const want = attr.expected.float64;
            expect(got.layers.map((l) => l.index)).toEqual(want.per_layer.map((l) => l.layer_index));
            got.layers.forEach((l, i) => {
              const w = want.per_layer[i];
              const label = `${c.name}/${attr.attribute}/layer ${w.layer_index}`;
              expect([l.isLast, l.weight, l.tauPlus, l.tauMinus, l.focus]).toEqual([
                w.is_last_layer,
                w.weight,
                w.tau_plus,
                w.tau_minus,
                w.focus,
              ]);
              expect(l.cPlus.dataSync()[0], `${label} C+`).toBe(w.C_plus);
              expect(l.cMinus.dataSync()[0], `${label} C−`).toBe(w.C_minus);
              expectClose(l.same.dataSync(), [w.same_loss], RTOL, 0, `${label} same`);
              expectClose(l.notSame.dataSync(), [w.not_same_loss], RTOL, 0, `${label} notSame`);
              expectClose(l.loss.dataSync(), [w.weighted], RTOL, 0, `${label} weighted`);
            });
            expectClose(got.loss.dataSync(), [want.loss], RTOL, 0, `${c.name}/${attr.attribute} loss`);
            expect(got.group).toBe(attr.same_group_name);
          }
          expectClose(result.total.dataSync(), [c.expected_total.float64], RTOL, 0, `${c.name} total`);
          tf.dispose([result as never, images, masks as never]);
        });
      });

      it('tf.grad of the total with respect to every layer matches float64 at 1e-5', async () => {
        const { bindings, layout, B, data, F, packed } = setUp(c);
        const loss = new FactorizedContrastiveLoss({ layout, attributes: bindings });
        await expectNoLeaks(() => {
          const images = tf.tensor4d(data, [B, 1, 1, F]);
          const masks = masksOf(c);
          const grad = tf.grad((x: tf.Tensor) => loss.compute(x as tf.Tensor4D, masks).total)(images);
          const g = grad.dataSync();
          for (const { attr, offsets } of packed) {
            attr.layers.forEach((layer, li) => {
              const size = layer.shape.slice(1).reduce((a, b) => a * b, 1);
              const got: number[] = [];
              for (let b = 0; b < B; b++) for (let k = 0; k < size; k++) got.push(g[b * F + offsets[li] + k]);
              // null = the layer is not used (weight 0): its gradient must be exactly zero.
              const raw = attr.grad_of_total_float64[li];
              const want = raw === null ? new Array<number>(B * size).fill(0) : flatten(raw);
              // rtol 1e-5 per element; the tiny atol only admits float64 round-off (~1e-20)
              // where the exact gradient is 0 (a hinge that is inactive).
              expectClose(got, want, RTOL, 1e-15, `${c.name}/${attr.attribute}/layer ${li} grad`);
            });
          }
          tf.dispose([grad, images, masks as never]);
        });
      });
    });
  }
});
