import type * as tf from '@tensorflow/tfjs-core';
import type { z } from 'zod';

/** The plugin API version this core implements; a plugin declares the one it was written for. */
export const PLUGIN_API_VERSION = 1 as const;

/** Built-in pairwise distances (see `pairwiseDistances`). */
export type DistanceName = 'squared-l2' | 'l1-mean' | 'mse-mean' | 'l2' | 'cosine';

/**
 * A custom distance: features `[B, ...]` → a symmetric `[B, B]` matrix with a zero diagonal.
 * Synchronous, differentiable tensor code (runs inside `tf.tidy` and under `tf.grad`).
 */
export type DistanceFn = (features: tf.Tensor) => tf.Tensor2D;

/**
 * Which pairs count as positives for an (intermediate) layer, as in the official code:
 * `same_as_last_layer` = pairs that share this attribute's sub-vector;
 * `not_same_as_last_layer` = pairs that share some *other* sub-vector.
 */
export type LayerFocus = 'same_as_last_layer' | 'not_same_as_last_layer';

/** Thresholds, weight and distance of one feature layer. */
export interface LayerSpec {
  /** τ+: positive pairs are pushed below it. */
  readonly tauPlus: number;
  /** τ−: negative pairs are pushed above it. */
  readonly tauMinus: number;
  /** λ for this layer; a layer with weight 0 is skipped. */
  readonly weight: number;
  /** Defaults to `same_as_last_layer`. */
  readonly focus?: LayerFocus;
  /** Defaults to the attribute's `distance`. */
  readonly distance?: DistanceName | DistanceFn;
}

/**
 * Features from `embed`: one tensor (the last layer) or several layers, the **last** element
 * being the last layer (the official `last_layer`), earlier ones intermediate layers.
 */
export type Features = tf.Tensor | readonly tf.Tensor[];

/** Name and unit of one column of `measure`'s output. */
export interface ValueInfo {
  readonly name: string;
  readonly unit: string;
  /** Optional plausible range of the value (used by encoders/controllers for range checks). */
  readonly range?: readonly [number, number];
}

/** The runtime an attribute plugin's `setup` returns: the network M_k and its loss settings. */
export interface Attribute {
  /** The plugin name (filled in by `createAttribute` when the runtime omits it). */
  readonly name: string;
  /** Suggested size of this attribute's latent sub-vector. */
  readonly latentSize: number;
  /**
   * M_k: images NHWC in [-1, 1] → features. Synchronous and differentiable with respect to the
   * images. Returns the last layer or `[...intermediate, last]`.
   */
  embed(images: tf.Tensor4D): Features;
  /** Distance of the last layer (and of intermediate layers unless they set their own). */
  readonly distance: DistanceName | DistanceFn;
  /** τ+ and τ− of the last layer. */
  readonly thresholds: { readonly tauPlus: number; readonly tauMinus: number };
  /** λ of the last layer. */
  readonly weight: number;
  /** Settings of intermediate layers, in the order `embed` returns them (all but the last). */
  readonly intermediateLayers?: readonly LayerSpec[];
  /** y^k: human-interpretable values `[B, V]` (degrees, years, an embedding…). */
  measure?(images: tf.Tensor4D): tf.Tensor2D;
  /** Names and units of `measure`'s V columns. */
  readonly values?: readonly ValueInfo[];
  /** Releases weights and other long-lived tensors. */
  dispose(): void;
}

/**
 * An attribute plugin: a plain object, usually made by a factory; the default export of a plugin
 * package. `setup` receives options already validated (and defaulted) by `options`.
 */
export interface AttributePlugin<Schema extends z.ZodType = z.ZodType> {
  /** Used in every error, log line and CLI flag. */
  readonly name: string;
  readonly version: string;
  /** Checked by `createAttribute`. */
  readonly apiVersion: typeof PLUGIN_API_VERSION;
  /** zod schema of the options, with defaults. */
  readonly options: Schema;
  /** Human description (shown by `gan-control plugins`). */
  readonly description?: string;
  setup(options: z.output<Schema>): Promise<Attribute>;
}

/** Options a user passes for a plugin (the schema's input type). */
export type PluginOptions<P> = P extends AttributePlugin<infer S> ? z.input<S> : never;
