import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { LatentError, formatZodIssues } from './errors.js';

const groupSchema = z.object({
  name: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, 'a group name is a letter or _ followed by letters, digits, _ or - (e.g. "id", "hair_colour")'),
  size: z.number().int('the size must be an integer').positive('the size must be > 0'),
  controlled: z.boolean().default(true),
});

/**
 * zod schema of a latent layout: `{ groups: { name, size, controlled? = true }[] }` with unique
 * names, positive integer sizes and exactly one uncontrolled (`controlled: false`) group.
 *
 * @example
 * ```ts
 * latentLayoutSchema.parse({ groups: [{ name: 'hue', size: 8 }, { name: 'other', size: 24, controlled: false }] });
 * ```
 */
export const latentLayoutSchema = z
  // One uncontrolled group alone is a plain StyleGAN2 latent (the baseline GAN-Control is compared with).
  .object({ groups: z.array(groupSchema).min(1, 'a layout needs at least its uncontrolled group') })
  .superRefine((value, ctx) => {
    const seen = new Map<string, number>();
    value.groups.forEach((g, i) => {
      const first = seen.get(g.name);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['groups', i, 'name'], message: `duplicate group name "${g.name}" (also groups[${first}])` });
      } else seen.set(g.name, i);
    });
    const free = value.groups.filter((g) => !g.controlled);
    if (free.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['groups'],
        message: `exactly one group must have controlled: false (the "other" sub-vector), found ${free.length}${free.length ? ` (${free.map((g) => g.name).join(', ')})` : ''}`,
      });
    }
  });

/** What a user writes (`controlled` optional). */
export type LatentLayoutInput = z.input<typeof latentLayoutSchema>;

/** One group of a parsed layout. */
export interface LatentGroup {
  readonly name: string;
  readonly size: number;
  /** Column of the first element of this group in `[B, dim]` latents. */
  readonly offset: number;
  readonly controlled: boolean;
}

/**
 * A partition of the latent vector into named sub-vectors (one per controlled attribute and one
 * uncontrolled group), in latent order. Immutable; build it with `LatentLayout.parse`.
 *
 * @example
 * ```ts
 * const layout = LatentLayout.parse({ groups: [
 *   { name: 'id', size: 128 }, { name: 'pose', size: 64 }, { name: 'other', size: 64, controlled: false },
 * ] });
 * layout.dim;               // 256
 * layout.group('pose');     // { name: 'pose', size: 64, offset: 128, controlled: true }
 * const pose = layout.slice(z, 'pose'); // [B, 64]
 * ```
 */
export class LatentLayout {
  readonly groups: readonly LatentGroup[];
  readonly dim: number;
  readonly controlled: readonly string[];
  readonly uncontrolled: string;
  private readonly byName: ReadonlyMap<string, LatentGroup>;

  private constructor(groups: readonly { name: string; size: number; controlled: boolean }[]) {
    let offset = 0;
    const out: LatentGroup[] = [];
    for (const g of groups) {
      out.push(Object.freeze({ name: g.name, size: g.size, offset, controlled: g.controlled }));
      offset += g.size;
    }
    this.groups = Object.freeze(out);
    this.dim = offset;
    this.controlled = Object.freeze(out.filter((g) => g.controlled).map((g) => g.name));
    this.uncontrolled = out.find((g) => !g.controlled)!.name;
    this.byName = new Map(out.map((g) => [g.name, g]));
  }

  /**
   * Validates `input` with {@link latentLayoutSchema}. Throws `GanControlError`
   * `LATENT_LAYOUT_INVALID` listing every problem by field path (e.g. `groups[2].size`).
   */
  static parse(input: LatentLayoutInput | LatentLayout): LatentLayout {
    if (input instanceof LatentLayout) return input;
    const result = latentLayoutSchema.safeParse(input);
    if (!result.success) {
      throw new LatentError(
        'LATENT_LAYOUT_INVALID',
        `Invalid latent layout:\n${formatZodIssues(result.error.issues)}\nA layout is { groups: [{ name, size, controlled? }] } with unique names, sizes > 0 and exactly one group with controlled: false.`,
        { details: { issues: result.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })) } },
      );
    }
    return new LatentLayout(result.data.groups);
  }

  /**
   * Shorthand: `LatentLayout.fromSizes({ id: 128, pose: 64, other: 64 }, 'other')` (insertion
   * order is latent order; the named group is the uncontrolled one).
   */
  static fromSizes(sizes: Record<string, number>, uncontrolled: string): LatentLayout {
    return LatentLayout.parse({
      groups: Object.entries(sizes).map(([name, size]) => ({ name, size, controlled: name !== uncontrolled })),
    });
  }

  /** True when the layout has a group of this name. */
  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** The group of this name; throws `LATENT_UNKNOWN_GROUP` listing the groups otherwise. */
  group(name: string): LatentGroup {
    const g = this.byName.get(name);
    if (!g) {
      throw new LatentError(
        'LATENT_UNKNOWN_GROUP',
        `Unknown latent group "${name}". This layout has: ${this.groups.map((x) => `${x.name}(${x.size})`).join(', ')}.`,
        { details: { name, known: this.groups.map((x) => x.name) } },
      );
    }
    return g;
  }

  private checkLatents(t: tf.Tensor, what: string): void {
    if (t.rank !== 2 || t.shape[1] !== this.dim) {
      throw new LatentError(
        'LATENT_SHAPE_MISMATCH',
        `${what}: expected latents of shape [B, ${this.dim}] for this layout (${this.describe()}), got [${t.shape.join(', ')}].`,
      );
    }
  }

  /** The columns of group `name` of `[B, dim]` latents, as `[B, size]` (differentiable). */
  slice(t: tf.Tensor2D, name: string): tf.Tensor2D {
    const g = this.group(name);
    this.checkLatents(t, `layout.slice(t, "${name}")`);
    return tf.slice(t, [0, g.offset], [t.shape[0], g.size]);
  }

  /** Every group's columns, keyed by name. The caller disposes the returned tensors. */
  split(t: tf.Tensor2D): Record<string, tf.Tensor2D> {
    this.checkLatents(t, 'layout.split(t)');
    const parts = tf.split(
      t,
      this.groups.map((g) => g.size),
      1,
    ) as tf.Tensor2D[];
    const out: Record<string, tf.Tensor2D> = {};
    this.groups.forEach((g, i) => (out[g.name] = parts[i]));
    return out;
  }

  /**
   * Concatenates `{ group: [B, size] }` in latent order into `[B, dim]`. Every group must be
   * present with the right width and the same B (`LATENT_JOIN_INVALID` otherwise).
   */
  join(parts: Record<string, tf.Tensor2D>): tf.Tensor2D {
    const unknown = Object.keys(parts).filter((k) => !this.byName.has(k));
    const missing = this.groups.filter((g) => !(g.name in parts)).map((g) => g.name);
    const problems: string[] = [];
    if (unknown.length) problems.push(`unknown group(s) ${unknown.join(', ')}`);
    if (missing.length) problems.push(`missing group(s) ${missing.join(', ')}`);
    let batch: number | undefined;
    for (const g of this.groups) {
      const p = parts[g.name];
      if (!p) continue;
      if (p.rank !== 2 || p.shape[1] !== g.size) problems.push(`"${g.name}" must be [B, ${g.size}], got [${p.shape.join(', ')}]`);
      else if (batch !== undefined && p.shape[0] !== batch) problems.push(`"${g.name}" has ${p.shape[0]} rows, others ${batch}`);
      else batch = p.shape[0];
    }
    if (problems.length) {
      throw new LatentError('LATENT_JOIN_INVALID', `layout.join(parts): ${problems.join('; ')}. Layout: ${this.describe()}.`);
    }
    return tf.concat(
      this.groups.map((g) => parts[g.name]),
      1,
    ) as tf.Tensor2D;
  }

  /** `id:128, pose:64, other:64 (uncontrolled)` */
  describe(): string {
    return this.groups.map((g) => `${g.name}:${g.size}${g.controlled ? '' : ' (uncontrolled)'}`).join(', ');
  }

  /** The plain input form (round-trips through `LatentLayout.parse`). */
  toJSON(): { groups: { name: string; size: number; controlled: boolean }[] } {
    return { groups: this.groups.map((g) => ({ name: g.name, size: g.size, controlled: g.controlled })) };
  }
}

/**
 * The official GAN-Control FFHQ layout: id:128, expression:64, pose:64, illumination:64,
 * age:64, hair:64, other:64 (uncontrolled) — 512 dimensions.
 *
 * @example
 * ```ts
 * officialFfhqLayout().dim; // 512
 * ```
 */
export function officialFfhqLayout(): LatentLayout {
  return LatentLayout.fromSizes({ id: 128, expression: 64, pose: 64, illumination: 64, age: 64, hair: 64, other: 64 }, 'other');
}
