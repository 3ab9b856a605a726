import * as tf from '@tensorflow/tfjs-core';
import { LatentLayout, type LatentLayoutInput } from '@gan-control/latent';
import { ContrastiveLossError } from './errors.js';
import type { Attribute, DistanceFn, DistanceName, LayerFocus } from './contract.js';
import { validateAttribute } from './attribute.js';
import { pairwiseDistances } from './distances.js';
import { contrastiveTerm, type ContrastiveTerm } from './term.js';

/** An attribute bound to a latent group explicitly (several attributes may share a group). */
export interface AttributeBinding {
  /** The latent group whose shared pairs are this attribute's positives. */
  readonly group: string;
  readonly attribute: Attribute;
  /** Key in `perAttribute`; defaults to `attribute.name` (must be unique). */
  readonly key?: string;
}

/**
 * How attributes are bound to groups:
 * - a record `{ group: attribute | attribute[] }`;
 * - an array of attributes (each bound to the group named like `attribute.name`) and/or
 *   `{ group, attribute, key? }` bindings.
 */
export type AttributesInput = Readonly<Record<string, Attribute | readonly Attribute[]>> | readonly (Attribute | AttributeBinding)[];

export interface FactorizedContrastiveLossOptions {
  readonly layout: LatentLayout | LatentLayoutInput;
  readonly attributes: AttributesInput;
}

/** The resolved settings of one feature layer of one attribute. */
export interface LayerInfo {
  /** Position in `embed`'s output (the last layer has the highest index). */
  readonly index: number;
  readonly isLast: boolean;
  readonly focus: LayerFocus;
  readonly weight: number;
  readonly tauPlus: number;
  readonly tauMinus: number;
  readonly distance: DistanceName | DistanceFn;
}

/** One evaluated layer: its settings and its term (scalars). */
export type LayerTerm = LayerInfo & ContrastiveTerm;

export interface AttributeTerm {
  readonly group: string;
  /** Sum of the evaluated layer terms. */
  readonly loss: tf.Scalar;
  /** Evaluated layers (intermediate layers with weight 0 are skipped, as officially). */
  readonly layers: readonly LayerTerm[];
}

/**
 * The result of `compute`. Every tensor belongs to the caller: `tf.dispose(result)` frees
 * them all; inside `tf.grad`/`optimizer.minimize` return `result.total` and the tidy
 * around the function disposes the rest.
 */
export interface ContrastiveLossResult {
  readonly total: tf.Scalar;
  readonly perAttribute: Readonly<Record<string, AttributeTerm>>;
}

/** `ContrastiveLossResult` read back into numbers (for logs and JSON). */
export interface ContrastiveLossValues {
  readonly total: number;
  readonly perAttribute: Record<
    string,
    {
      group: string;
      loss: number;
      layers: (Omit<LayerInfo, 'distance'> & {
        distance: string;
        loss: number;
        same: number;
        notSame: number;
        cPlus: number;
        cMinus: number;
      })[];
    }
  >;
}

interface ResolvedBinding {
  readonly key: string;
  readonly group: string;
  readonly attribute: Attribute;
}

function isBinding(x: Attribute | AttributeBinding): x is AttributeBinding {
  return (
    typeof (x as AttributeBinding).group === 'string' &&
    typeof (x as AttributeBinding).attribute === 'object' &&
    typeof (x as Attribute).embed !== 'function'
  );
}

/**
 * The factorized contrastive loss of GAN-Control: Σ over attributes k and their evaluated
 * feature layers L of `λ_L (same_L + notSame_L)` (see {@link contrastiveTerm}), where the
 * positives of attribute k are the pairs that share k's latent sub-vector (focus
 * `same_as_last_layer`) or, for intermediate layers with focus `not_same_as_last_layer`, the
 * pairs that share any *other* sub-vector. This is `LossModelClass.calc_mini_batch_loss` of
 * the official code, reproduced to 1e-5 (see the parity tests).
 *
 * `compute` is synchronous, differentiable tensor code, made to run inside `tf.grad` /
 * `optimizer.minimize`. Attributes may cover only some controlled groups; groups without an
 * attribute still shape the batch (their pairs are negatives for everyone else).
 *
 * Construction errors (`GanControlError`): `LOSS_UNKNOWN_GROUP` (lists the layout's groups),
 * `LOSS_UNCONTROLLED_GROUP`, `LOSS_DUPLICATE_ATTRIBUTE`, `ATTRIBUTE_INVALID`.
 *
 * @example
 * ```ts
 * const layout = officialFfhqLayout();
 * const loss = new FactorizedContrastiveLoss({ layout, attributes: { id: faceId, pose, age } });
 * const { z, masks } = buildContrastiveBatch(layout, { rng });
 * const cost = optimizer.minimize(() => {
 *   const images = generator.synthesis(generator.mapping(z));
 *   return tf.add(adversarial(images), loss.compute(images, masks).total);
 * }, true);
 * ```
 */
export class FactorizedContrastiveLoss {
  readonly layout: LatentLayout;
  private readonly bindings: readonly ResolvedBinding[];

  constructor(options: FactorizedContrastiveLossOptions) {
    if (!options || typeof options !== 'object' || options.layout === undefined || options.attributes === undefined) {
      throw new ContrastiveLossError(
        'LOSS_INVALID',
        'new FactorizedContrastiveLoss({ layout, attributes }): both layout and attributes are required.',
      );
    }
    this.layout = LatentLayout.parse(options.layout);
    const raw: { group: string; attribute: Attribute; key?: string; how: string }[] = [];
    if (Array.isArray(options.attributes)) {
      (options.attributes as readonly (Attribute | AttributeBinding)[]).forEach((item, i) => {
        if (isBinding(item))
          raw.push({ group: item.group, attribute: item.attribute, key: item.key, how: `attributes[${i}] (group "${item.group}")` });
        else
          raw.push({
            group: (item as Attribute)?.name,
            attribute: item as Attribute,
            how: `attributes[${i}] (bound by its name "${(item as Attribute)?.name}")`,
          });
      });
    } else {
      for (const [group, value] of Object.entries(options.attributes as Record<string, Attribute | readonly Attribute[]>)) {
        const list = Array.isArray(value) ? (value as readonly Attribute[]) : [value as Attribute];
        list.forEach((attribute, i) => raw.push({ group, attribute, how: `attributes.${group}${Array.isArray(value) ? `[${i}]` : ''}` }));
      }
    }
    const keys = new Map<string, string>();
    const bindings: ResolvedBinding[] = [];
    for (const { group, attribute, key, how } of raw) {
      validateAttribute(attribute, how);
      if (!this.layout.has(group)) {
        throw new ContrastiveLossError(
          'LOSS_UNKNOWN_GROUP',
          `FactorizedContrastiveLoss: ${how} refers to latent group "${group}", which the layout does not have. ` +
            `Controlled groups: ${this.layout.controlled.join(', ')}. Bind the attribute explicitly with { ${this.layout.controlled[0] ?? 'group'}: attribute } or [{ group, attribute }].`,
          { details: { group, known: this.layout.groups.map((g) => g.name) } },
        );
      }
      if (group === this.layout.uncontrolled) {
        throw new ContrastiveLossError(
          'LOSS_UNCONTROLLED_GROUP',
          `FactorizedContrastiveLoss: ${how} is bound to "${group}", the uncontrolled group of the layout; attributes control one of: ${this.layout.controlled.join(', ')}.`,
        );
      }
      const k = key ?? attribute.name ?? group;
      if (keys.has(k)) {
        throw new ContrastiveLossError(
          'LOSS_DUPLICATE_ATTRIBUTE',
          `FactorizedContrastiveLoss: two attributes are named "${k}" (${keys.get(k)} and ${how}); give one a distinct key with [{ group, attribute, key }].`,
        );
      }
      keys.set(k, how);
      bindings.push({ key: k, group, attribute });
    }
    this.bindings = Object.freeze(bindings);
  }

  /** `perAttribute` keys with their groups, in evaluation order. */
  get attributes(): readonly { key: string; group: string; attribute: Attribute }[] {
    return this.bindings;
  }

  /**
   * The per-layer settings of an attribute for `layerCount` feature layers from `embed`
   * (the official config: `intermediate_layers_weights + [last_layer_weight]`, etc.).
   */
  static layerInfos(attribute: Attribute, layerCount: number): LayerInfo[] {
    const specs = attribute.intermediateLayers ?? [];
    const last: LayerInfo = {
      index: layerCount - 1,
      isLast: true,
      focus: 'same_as_last_layer',
      weight: attribute.weight,
      tauPlus: attribute.thresholds.tauPlus,
      tauMinus: attribute.thresholds.tauMinus,
      distance: attribute.distance,
    };
    if (layerCount === specs.length + 1) {
      return [
        ...specs.map((s, i) => ({
          index: i,
          isLast: false,
          focus: s.focus ?? 'same_as_last_layer',
          weight: s.weight,
          tauPlus: s.tauPlus,
          tauMinus: s.tauMinus,
          distance: s.distance ?? attribute.distance,
        })),
        last,
      ];
    }
    // Official configs list thresholds for intermediate layers the model does not return when
    // their weights are all 0 (e.g. ArcFace); only the last layer is evaluated then.
    if (layerCount === 1 && specs.every((s) => s.weight === 0)) return [last];
    throw new ContrastiveLossError(
      'ATTRIBUTE_LAYER_MISMATCH',
      `Attribute "${attribute.name}": embed returned ${layerCount} feature layer(s), but intermediateLayers describes ${specs.length} intermediate layer(s) (+ the last). ` +
        'embed must return [...intermediate, last] with one LayerSpec per intermediate layer (or only the last layer when every intermediate weight is 0).',
    );
  }

  /**
   * The loss for a batch of generated images `[B, H, W, C]` (rows arranged by
   * `buildContrastiveBatch`) and its per-group `[B, B]` masks. Masks are needed for every
   * bound group, and for every layout group when a layer uses `not_same_as_last_layer`.
   * Throws `LOSS_INPUT_INVALID` for missing/mis-shaped masks or features with another B.
   */
  compute(images: tf.Tensor4D, masks: Readonly<Record<string, tf.Tensor2D>>): ContrastiveLossResult {
    if (!images || images.rank !== 4) {
      throw new ContrastiveLossError(
        'LOSS_INPUT_INVALID',
        `FactorizedContrastiveLoss.compute: images must be NHWC [B, H, W, C], got shape [${images?.shape?.join(', ')}].`,
      );
    }
    const B = images.shape[0];
    const checkMask = (group: string, why: string) => {
      const m = masks?.[group];
      if (!m) {
        throw new ContrastiveLossError(
          'LOSS_INPUT_INVALID',
          `FactorizedContrastiveLoss.compute: no mask for latent group "${group}" (${why}). Pass the masks of buildContrastiveBatch(layout, …); got masks for: ${Object.keys(masks ?? {}).join(', ') || 'none'}.`,
        );
      }
      if (m.rank !== 2 || m.shape[0] !== B || m.shape[1] !== B) {
        throw new ContrastiveLossError(
          'LOSS_INPUT_INVALID',
          `FactorizedContrastiveLoss.compute: the mask of "${group}" is [${m.shape.join(', ')}], expected [${B}, ${B}] for ${B} images.`,
        );
      }
    };
    for (const b of this.bindings) checkMask(b.group, `attribute "${b.key}" is bound to it`);

    return tf.tidy(() => {
      const perAttribute: Record<string, AttributeTerm> = {};
      const otherMasks = new Map<string, tf.Tensor2D>();
      const notSameMask = (group: string): tf.Tensor2D => {
        let m = otherMasks.get(group);
        if (!m) {
          const others = this.layout.groups.filter((g) => g.name !== group);
          others.forEach((g) =>
            checkMask(g.name, `a not_same_as_last_layer layer of an attribute on "${group}" uses every other group's pairs`),
          );
          m = tf.minimum(tf.addN(others.map((g) => masks[g.name])), 1) as tf.Tensor2D;
          otherMasks.set(group, m);
        }
        return m;
      };
      const attributeLosses: tf.Scalar[] = [];
      for (const { key, group, attribute } of this.bindings) {
        const out = attribute.embed(images);
        const features: readonly tf.Tensor[] = out instanceof tf.Tensor ? [out] : (out as readonly tf.Tensor[]);
        if (!Array.isArray(features) || features.length === 0 || !features.every((f) => f instanceof tf.Tensor)) {
          throw new ContrastiveLossError(
            'LOSS_INPUT_INVALID',
            `Attribute "${key}": embed must return a tensor or a non-empty array of tensors.`,
          );
        }
        const layers: LayerTerm[] = [];
        for (const info of FactorizedContrastiveLoss.layerInfos(attribute, features.length)) {
          if (!info.isLast && info.weight === 0) continue;
          const f = features[info.index];
          if (f.rank < 2 || f.shape[0] !== B) {
            throw new ContrastiveLossError(
              'LOSS_INPUT_INVALID',
              `Attribute "${key}": feature layer ${info.index} has shape [${f.shape.join(', ')}], expected [${B}, ...] (batch first).`,
            );
          }
          const d = pairwiseDistances(f, info.distance);
          const positives = info.focus === 'same_as_last_layer' ? masks[group] : notSameMask(group);
          layers.push({ ...info, ...contrastiveTerm(d, positives, info) });
        }
        const loss = (layers.length === 1 ? layers[0].loss : tf.addN(layers.map((l) => l.loss))) as tf.Scalar;
        attributeLosses.push(loss);
        perAttribute[key] = { group, loss, layers };
      }
      const total = (attributeLosses.length ? tf.addN(attributeLosses) : tf.scalar(0)) as tf.Scalar;
      return { total, perAttribute } as never;
    }) as ContrastiveLossResult;
  }
}

/**
 * Reads a `compute` result into plain numbers (awaits the data; does not dispose).
 *
 * @example
 * ```ts
 * const result = loss.compute(images, masks);
 * console.log(JSON.stringify(await readLossValues(result)));
 * tf.dispose(result);
 * ```
 */
export async function readLossValues(result: ContrastiveLossResult): Promise<ContrastiveLossValues> {
  const num = async (t: tf.Scalar) => (await t.data())[0];
  const perAttribute: ContrastiveLossValues['perAttribute'] = {};
  for (const [key, a] of Object.entries(result.perAttribute)) {
    const layers = [];
    for (const l of a.layers) {
      layers.push({
        index: l.index,
        isLast: l.isLast,
        focus: l.focus,
        weight: l.weight,
        tauPlus: l.tauPlus,
        tauMinus: l.tauMinus,
        distance: typeof l.distance === 'function' ? l.distance.name || 'custom' : l.distance,
        loss: await num(l.loss),
        same: await num(l.same),
        notSame: await num(l.notSame),
        cPlus: await num(l.cPlus),
        cMinus: await num(l.cMinus),
      });
    }
    perAttribute[key] = { group: a.group, loss: await num(a.loss), layers };
  }
  return { total: await num(result.total), perAttribute };
}
