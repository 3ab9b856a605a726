import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { PLUGIN_API_VERSION, type Attribute, type AttributePlugin } from '@gan-control/contrastive-loss';

/** Options of the fake mean-colour plugin (all defaulted). */
export const fakeOptionsSchema = z.object({
  /** λ of the last layer. */
  weight: z.number().min(0).default(1),
  tauPlus: z.number().default(0.05),
  tauMinus: z.number().default(0.3),
  latentSize: z.number().int().positive().default(8),
  /** Also return a per-quadrant mean-colour layer as an intermediate layer. */
  intermediate: z
    .object({
      weight: z.number().min(0).default(0.5),
      tauPlus: z.number().default(0.05),
      tauMinus: z.number().default(0.3),
      focus: z.enum(['same_as_last_layer', 'not_same_as_last_layer']).default('same_as_last_layer'),
    })
    .optional(),
});

/** Counters a test can inspect: how often setup/embed/measure/dispose ran. */
export interface FakePluginCalls {
  setup: number;
  embed: number;
  measure: number;
  dispose: number;
}

/** A fake plugin with its call counters. */
export type FakePlugin = AttributePlugin<typeof fakeOptionsSchema> & { readonly calls: FakePluginCalls };

/** Per-image mean of each channel, `[B, C]`, in the images' range ([-1, 1]). */
function meanColour(images: tf.Tensor4D): tf.Tensor2D {
  return tf.mean(images, [1, 2]) as tf.Tensor2D;
}

/** Per-image mean colour of the four quadrants, `[B, 4, C]`. */
function quadrantColours(images: tf.Tensor4D): tf.Tensor3D {
  const [B, H, W, C] = images.shape;
  const h = Math.max(1, Math.floor(H / 2));
  const w = Math.max(1, Math.floor(W / 2));
  const quads = [
    [0, 0],
    [0, W - w],
    [H - h, 0],
    [H - h, W - w],
  ].map(([y, x]) => tf.mean(tf.slice(images, [0, y, x, 0], [B, h, w, C]), [1, 2]));
  return tf.stack(quads, 1) as tf.Tensor3D;
}

/**
 * A tiny, fully analytic attribute plugin for tests: M(x) = the mean colour of the image
 * (`[B, 3]`, distance `l1-mean`), optionally with a per-quadrant intermediate layer;
 * `measure` returns the mean colour as fractions in [0, 1] (`r`, `g`, `b`). Differentiable,
 * no weights, instant setup.
 *
 * @example
 * ```ts
 * const plugin = fakeAttributePlugin({ name: 'colour' });
 * const attribute = await createAttribute(plugin, { weight: 0.5 });
 * plugin.calls.setup; // 1
 * ```
 */
export function fakeAttributePlugin(identity: { name?: string; version?: string; apiVersion?: number } = {}): FakePlugin {
  const calls: FakePluginCalls = { setup: 0, embed: 0, measure: 0, dispose: 0 };
  const name = identity.name ?? 'fake-mean-colour';
  return {
    name,
    version: identity.version ?? '0.0.0',
    apiVersion: (identity.apiVersion ?? PLUGIN_API_VERSION) as typeof PLUGIN_API_VERSION,
    description: 'Test double: mean colour of the image.',
    options: fakeOptionsSchema,
    calls,
    async setup(options) {
      calls.setup++;
      const runtime: Attribute = {
        name,
        latentSize: options.latentSize,
        distance: 'l1-mean',
        thresholds: { tauPlus: options.tauPlus, tauMinus: options.tauMinus },
        weight: options.weight,
        intermediateLayers: options.intermediate ? [{ ...options.intermediate, distance: 'l1-mean' as const }] : undefined,
        embed(images) {
          calls.embed++;
          return tf.tidy(() => (options.intermediate ? [quadrantColours(images), meanColour(images)] : meanColour(images)));
        },
        measure(images) {
          calls.measure++;
          return tf.tidy(() => tf.add(tf.mul(meanColour(images), 0.5), 0.5) as tf.Tensor2D);
        },
        values: [
          { name: 'r', unit: 'fraction', range: [0, 1] },
          { name: 'g', unit: 'fraction', range: [0, 1] },
          { name: 'b', unit: 'fraction', range: [0, 1] },
        ],
        dispose() {
          calls.dispose++;
        },
      };
      return runtime;
    },
  };
}
