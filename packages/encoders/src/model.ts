import type * as tf from '@tensorflow/tfjs-core';
import type { Attribute, ValueInfo } from '@gan-control/contrastive-loss';
import type { StyleGenerator } from '@gan-control/stylegan2';
import { EncodersError } from './errors.js';

/**
 * What this package needs from a generator: the core of `@gan-control/stylegan2`'s
 * `StyleGenerator`, which both stacks implement (NVIDIA's `Generator` and the GAN-Control port
 * from `loadGanControlGenerator`), so either is passed as it is. `groups` (the partitioned
 * mapping's slices), `noiseShapes` (what projection optimises) and `wAvg` (the truncation centre)
 * are optional, so a hand-written generator needs only the mapping and the synthesis.
 */
export type GeneratorLike = Pick<StyleGenerator, 'zDim' | 'wDim' | 'numWs' | 'mapping' | 'synthesis'> &
  Partial<Pick<StyleGenerator, 'groups' | 'noiseShapes' | 'wAvg' | 'mapW'>>;

/** A latent layout: `@gan-control/latent`'s `LatentLayout` satisfies it. */
export interface LayoutLike {
  readonly groups: readonly { readonly name: string; readonly size: number; readonly offset?: number }[];
}

/** One latent group with its offset in z and in w (the partitioned mapping keeps sizes and order). */
export interface GroupSlice {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
}

/**
 * The group slices of w: from `layout` when given, else from the generator's partitioned mapping
 * (`groups`). Throws when neither exists or the sizes do not add up to `wDim`.
 */
export function resolveGroups(generator: GeneratorLike, layout?: LayoutLike): GroupSlice[] {
  const source: LayoutLike['groups'] | undefined = layout?.groups ?? generator.groups ?? undefined;
  if (!source || source.length === 0) {
    throw new EncodersError(
      'ENCODERS_INVALID_OPTIONS',
      'no latent groups: pass `layout` (a LatentLayout) or use a generator with a partitioned mapping (its `groups`)',
    );
  }
  let offset = 0;
  const groups = source.map((g) => {
    const slice = { name: g.name, offset: g.offset ?? offset, size: g.size };
    offset = slice.offset + g.size;
    return slice;
  });
  const total = groups.reduce((s, g) => s + g.size, 0);
  if (total !== generator.wDim || total !== generator.zDim) {
    throw new EncodersError(
      'ENCODERS_SHAPE_MISMATCH',
      `the latent groups (${groups.map((g) => `${g.name}:${g.size}`).join(', ')}) add up to ${total}, but the generator has zDim ${generator.zDim} and wDim ${generator.wDim}; ` +
        'the layout must be the one the generator was trained with',
    );
  }
  return groups;
}

/** Finds a group by name, or throws listing the groups. */
export function findGroup(groups: readonly GroupSlice[], name: string, what = 'group'): GroupSlice {
  const g = groups.find((x) => x.name === name);
  if (!g) {
    throw new EncodersError(
      'ENCODERS_UNKNOWN_ATTRIBUTE',
      `unknown ${what} '${name}'; the latent groups are: ${groups.map((x) => x.name).join(', ')}`,
    );
  }
  return g;
}

/** Attributes bound to latent groups: a record keyed by group name, or an array bound by `attribute.name`. */
export type AttributeBinding = Readonly<Record<string, Attribute>> | readonly Attribute[];

/** An attribute bound to its group, with the value descriptions `measure` returns. */
export interface BoundAttribute {
  readonly group: string;
  readonly attribute: Attribute;
  readonly values: readonly ValueInfo[];
}

/** Normalises an `AttributeBinding`, checking each attribute has `measure` and `values` and its group exists. */
export function bindAttributes(attributes: AttributeBinding, groups: readonly GroupSlice[]): BoundAttribute[] {
  const entries: [string, Attribute][] = Array.isArray(attributes)
    ? (attributes as readonly Attribute[]).map((a) => [a.name, a])
    : Object.entries(attributes as Record<string, Attribute>);
  if (entries.length === 0)
    throw new EncodersError('ENCODERS_INVALID_OPTIONS', 'attributes is empty; pass at least one attribute with a `measure`');
  const seen = new Set<string>();
  return entries.map(([group, attribute]) => {
    if (!groups.some((g) => g.name === group)) {
      throw new EncodersError(
        'ENCODERS_UNKNOWN_ATTRIBUTE',
        `attribute '${attribute.name}' is bound to latent group '${group}', which does not exist; the latent groups are: ${groups.map((g) => g.name).join(', ')}`,
      );
    }
    if (seen.has(group))
      throw new EncodersError(
        'ENCODERS_INVALID_OPTIONS',
        `two attributes are bound to latent group '${group}'; bind one attribute per group`,
      );
    seen.add(group);
    if (typeof attribute.measure !== 'function') {
      throw new EncodersError(
        'ENCODERS_NO_MEASURE',
        `attribute '${attribute.name}' has no measure(); encoders need a human-interpretable value y = measure(image). Use a plugin that provides measure and values`,
      );
    }
    const values = attribute.values ?? [];
    if (values.length === 0) {
      throw new EncodersError(
        'ENCODERS_NO_MEASURE',
        `attribute '${attribute.name}' has measure() but no values (names and units of its columns)`,
      );
    }
    return { group, attribute, values };
  });
}

/** Units that denote a circular quantity, with their period. */
const CIRCULAR_UNITS: Record<string, number> = {
  'deg-circular': 360,
  'degrees-circular': 360,
  'hue-deg': 360,
  'rad-circular': 2 * Math.PI,
  turn: 1,
};

/**
 * The period of a circular value, or undefined for a linear one. A value is circular when its
 * `ValueInfo` carries a numeric `period`, when its unit is one of `deg-circular`, `hue-deg`,
 * `rad-circular`, `turn`, when it is named `hue` with unit `deg`/`degrees`, or when `overrides`
 * (keyed `attribute.value` or `value`) says so.
 */
export function circularPeriod(attribute: string, value: ValueInfo, overrides?: Readonly<Record<string, number>>): number | undefined {
  const o = overrides?.[`${attribute}.${value.name}`] ?? overrides?.[value.name];
  if (o !== undefined) return o > 0 ? o : undefined;
  const period = (value as { period?: unknown }).period;
  if (typeof period === 'number' && period > 0) return period;
  const unit = value.unit.toLowerCase();
  if (unit in CIRCULAR_UNITS) return CIRCULAR_UNITS[unit];
  if (value.name.toLowerCase() === 'hue' && (unit === 'deg' || unit === 'degrees' || unit === '°')) return 360;
  return undefined;
}

/** Signed smallest difference a − b of two circular values of period p, in (−p/2, p/2]. */
export function circularDiff(a: number, b: number, period: number): number {
  let d = (a - b) % period;
  if (d > period / 2) d -= period;
  if (d <= -period / 2) d += period;
  return d;
}
