import * as tf from '@tensorflow/tfjs-core';
// tfjs-core registers gradients only on request (the full @tensorflow/tfjs bundle does it).
import { describe, expect, it } from 'vitest';
import { expectNoLeaks } from '@gan-control/test-utils';
import { LatentLayout, latentLayoutSchema, officialFfhqLayout, isGanControlError } from '../src/index.js';

function catchError(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected a throw');
}

describe('LatentLayout', () => {
  it('parses groups with offsets, dim, controlled and uncontrolled names', () => {
    const layout = officialFfhqLayout();
    expect(layout.dim).toBe(512);
    expect(layout.controlled).toEqual(['id', 'expression', 'pose', 'illumination', 'age', 'hair']);
    expect(layout.uncontrolled).toBe('other');
    expect(layout.group('pose')).toEqual({ name: 'pose', size: 64, offset: 192, controlled: true });
    expect(LatentLayout.parse(layout.toJSON()).toJSON()).toEqual(layout.toJSON());
    expect(LatentLayout.parse(layout)).toBe(layout);
    expect(layout.describe()).toContain('other:64 (uncontrolled)');
  });

  it('reports every invalid field by path with a stable code', () => {
    const e = catchError(() =>
      LatentLayout.parse({
        groups: [
          { name: 'id', size: 0 },
          { name: 'id', size: 3 },
          { name: 'x y', size: 2.5 },
        ],
      }),
    );
    expect(e.code).toBe('LATENT_LAYOUT_INVALID');
    expect(e.message).toContain('groups[0].size');
    expect(e.message).toContain('groups[2].name');
    expect(e.message).toContain('groups[2].size');
    const dup = catchError(() =>
      LatentLayout.parse({
        groups: [
          { name: 'id', size: 1 },
          { name: 'id', size: 3 },
        ],
      }),
    );
    expect(dup.message).toContain('groups[1].name: duplicate group name "id" (also groups[0])');
    expect(dup.message).toMatch(/groups: exactly one group must have controlled: false.*found 0/);
    const two = catchError(() => LatentLayout.fromSizes({ a: 1, b: 1 }, 'none'));
    expect(two.message).toContain('found 0');
    const many = catchError(() =>
      LatentLayout.parse({
        groups: [
          { name: 'a', size: 1, controlled: false },
          { name: 'b', size: 1, controlled: false },
        ],
      }),
    );
    expect(many.message).toContain('found 2 (a, b)');
    expect(
      latentLayoutSchema.safeParse({
        groups: [
          { name: 'a', size: 1 },
          { name: 'o', size: 2, controlled: false },
        ],
      }).success,
    ).toBe(true);
  });

  it('lists the groups for an unknown name', () => {
    const e = catchError(() => officialFfhqLayout().group('hue'));
    expect(isGanControlError(e, 'LATENT_UNKNOWN_GROUP')).toBe(true);
    expect(e.message).toContain('id(128), expression(64)');
  });

  it('slices, splits and joins [B, dim] tensors by group, without leaks', () => {
    const layout = LatentLayout.fromSizes({ a: 2, b: 3, other: 1 }, 'other');
    const z = tf.tensor2d([
      [0, 1, 2, 3, 4, 5],
      [6, 7, 8, 9, 10, 11],
    ]);
    expectNoLeaks(() => {
      const b = layout.slice(z, 'b');
      expect(b.arraySync()).toEqual([
        [2, 3, 4],
        [8, 9, 10],
      ]);
      const parts = layout.split(z);
      expect(parts.other.arraySync()).toEqual([[5], [11]]);
      const joined = layout.join(parts);
      expect(joined.arraySync()).toEqual(z.arraySync());
      tf.dispose([b, joined, ...Object.values(parts)]);
    });
    // gradients flow through slice/join
    const g = tf.grad((x: tf.Tensor) => tf.sum(layout.slice(x as tf.Tensor2D, 'b')))(z);
    expect(g.arraySync()).toEqual([
      [0, 0, 1, 1, 1, 0],
      [0, 0, 1, 1, 1, 0],
    ]);
    tf.dispose([g, z]);
  });

  it('rejects wrong shapes and incomplete joins clearly', () => {
    const layout = LatentLayout.fromSizes({ a: 2, other: 1 }, 'other');
    const wrong = tf.zeros([2, 5]) as tf.Tensor2D;
    expect(catchError(() => layout.slice(wrong, 'a')).code).toBe('LATENT_SHAPE_MISMATCH');
    const e = catchError(() => layout.join({ a: tf.zeros([2, 3]) as tf.Tensor2D, hue: wrong }));
    expect(e.code).toBe('LATENT_JOIN_INVALID');
    expect(e.message).toMatch(/unknown group\(s\) hue; missing group\(s\) other; "a" must be \[B, 2\]/);
    tf.disposeVariables();
    wrong.dispose();
  });
});
