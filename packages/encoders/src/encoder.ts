import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { EncodersError, parseOptions } from './errors.js';
import { applyCalibration, calibrationSchema, checkCalibration } from './calibration.js';
import type { Calibration } from './calibration.js';

/**
 * Architecture of an encoder E_k: an MLP of equalized-learning-rate linear layers, as the
 * official `FcStack` (gan-control `models/controller_model.py`): layer i computes
 * `x @ (W_i * lrMul / sqrt(in_i)).T + b_i * lrMul`, then, when activated,
 * `sqrt(2) * leaky_relu(·, 0.2)` (the official `fused_lrelu`). Stored W and b are the raw
 * parameters (the runtime scales are not folded in), so official weights load unchanged.
 */
export const encoderArchitectureSchema = z.object({
  /** Hidden widths; official default in → 512 → 512 → 512 → d_k. */
  hidden: z.array(z.number().int().positive()).default([512, 512, 512]),
  /**
   * Equalized-lr multiplier. The official controller uses 0.01 (with Adam this slows every weight
   * update 100×); 1 is the default here because it reaches the same error in far fewer epochs.
   */
  lrMul: z.number().positive().default(1),
  /** Hidden-layer activation: the official fused leaky ReLU or none. */
  activation: z.enum(['lrelu', 'linear']).default('lrelu'),
  /** Whether the output layer is activated too (the official FcStack activates every layer). */
  activateLast: z.boolean().default(true),
});
export type EncoderArchitectureInput = z.input<typeof encoderArchitectureSchema>;
export type EncoderArchitecture = z.output<typeof encoderArchitectureSchema> & {
  readonly inDim: number;
  readonly outDim: number;
};

/**
 * How one measured value enters the encoder. `linear` values are standardised with the
 * training-set mean and std; `circular` values (a hue angle…) become `cos, sin` of
 * `2π·y/period`, so the encoder is continuous across the wrap. `range` is the accepted
 * interval (the plugin's `range`, or the training-set min/max); circular values are never
 * out of range.
 */
export const encoderInputSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('linear'),
    name: z.string().min(1),
    unit: z.string(),
    mean: z.number(),
    std: z.number().positive(),
    range: z.tuple([z.number(), z.number()]),
  }),
  z.object({
    kind: z.literal('circular'),
    name: z.string().min(1),
    unit: z.string(),
    period: z.number().positive(),
    range: z.tuple([z.number(), z.number()]),
    /**
     * A cut in [0, period): adds the feature √3·(2·((y − seam) mod period)/period − 1), which
     * jumps at the seam, so E_k may jump there too (see `AttributeEncoder.addSeam`).
     */
    seam: z.number().min(0).optional(),
  }),
]);
export type EncoderInput = z.output<typeof encoderInputSchema>;

/** Width of the feature vector an input contributes. */
export function inputWidth(input: EncoderInput): number {
  return input.kind === 'circular' ? (input.seam === undefined ? 2 : 3) : 1;
}

/** Metadata of an encoder (its JSON file, minus the weights). */
export const encoderMetadataSchema = z.object({
  format: z.literal('gan-control-encoder'),
  version: z.literal(1),
  /** The attribute (plugin runtime) whose `measure` gives y. */
  attribute: z.string().min(1),
  /** The latent group whose w sub-vector the encoder predicts. */
  group: z.string().min(1),
  /** Offset and size of that group in w (checked against the generator). */
  wSlice: z.object({ offset: z.number().int().nonnegative(), size: z.number().int().positive() }),
  values: z.array(encoderInputSchema).min(1),
  architecture: encoderArchitectureSchema.extend({
    inDim: z.number().int().positive(),
    outDim: z.number().int().positive(),
  }),
  /** File name of the weights, relative to the JSON file. */
  weights: z.string().min(1),
  /** Training summary (absent for imported encoders). */
  training: z.record(z.string(), z.unknown()).optional(),
  /** Input calibration fitted after training (`calibrateEncoders`); absent when uncalibrated. */
  calibration: calibrationSchema.optional(),
});
export type EncoderMetadata = z.output<typeof encoderMetadataSchema>;

/** What an encoder is built from, besides its weights. */
export interface EncoderSpec {
  readonly attribute: string;
  readonly group: string;
  readonly wSlice: { readonly offset: number; readonly size: number };
  readonly values: readonly EncoderInput[];
  readonly architecture?: EncoderArchitectureInput;
  readonly training?: Record<string, unknown>;
  readonly calibration?: Calibration;
}

/** Official FcStack parameter names: `fc_stack.<i>.weight` `[out, in]`, `fc_stack.<i>.bias` `[out]`. */
export function layerNames(i: number): { weight: string; bias: string } {
  return { weight: `fc_stack.${i}.weight`, bias: `fc_stack.${i}.bias` };
}

/**
 * An attribute encoder E_k: human-interpretable values y^k `[B, V]` (in the attribute's units)
 * → the w sub-vector w^k `[B, d_k]` of its latent group.
 *
 * @example
 * const enc = createEncoder({ attribute: 'hue', group: 'hue', wSlice: { offset: 0, size: 8 },
 *   values: [{ kind: 'circular', name: 'hue', unit: 'deg', period: 360, range: [0, 360] }],
 *   architecture: { hidden: [64, 64] } }, { seed: 1 });
 * const wk = enc.encode(tf.tensor2d([[120]])); // [1, 8]
 */
export class AttributeEncoder {
  readonly attribute: string;
  readonly group: string;
  readonly wSlice: { readonly offset: number; readonly size: number };
  training: Record<string, unknown> | undefined;
  private valuesValue: readonly EncoderInput[];
  private architectureValue: EncoderArchitecture;
  private calibrationValue: Calibration | undefined;
  private readonly params: { weight: tf.Variable; bias: tf.Variable }[];
  private disposed = false;

  /** Use `createEncoder` (random init) or `encoderFromWeights` (stored weights). */
  constructor(spec: EncoderSpec, weights: Record<string, tf.Tensor>) {
    const arch = parseOptions(encoderArchitectureSchema, spec.architecture ?? {}, `encoder '${spec.attribute}' architecture`);
    if (spec.values.length === 0) {
      throw new EncodersError(
        'ENCODERS_INVALID_OPTIONS',
        `encoder '${spec.attribute}': values is empty; an encoder needs at least one measured value`,
      );
    }
    const inDim = spec.values.reduce((s, v) => s + inputWidth(v), 0);
    this.attribute = spec.attribute;
    this.group = spec.group;
    this.wSlice = { offset: spec.wSlice.offset, size: spec.wSlice.size };
    this.valuesValue = spec.values.map((v) => ({ ...v, range: [v.range[0], v.range[1]] as [number, number] }));
    this.architectureValue = { ...arch, inDim, outDim: spec.wSlice.size };
    this.valuesValue.forEach((v, i) => {
      if (v.kind === 'circular' && v.seam !== undefined && !(v.seam < v.period)) {
        throw new EncodersError(
          'ENCODERS_INVALID_OPTIONS',
          `encoder '${spec.attribute}': values.${i}.seam ${v.seam} must lie in [0, ${v.period})`,
        );
      }
    });
    this.training = spec.training;
    this.calibration = spec.calibration;
    const dims = [inDim, ...arch.hidden, spec.wSlice.size];
    const expected = dims.length - 1;
    const known = new Set<string>();
    const pairs: [tf.Tensor, tf.Tensor][] = [];
    for (let i = 0; i < expected; i++) {
      const names = layerNames(i);
      const w = weights[names.weight];
      const b = weights[names.bias];
      if (!w || !b) {
        throw new EncodersError(
          'ENCODERS_SHAPE_MISMATCH',
          `encoder '${spec.attribute}': missing weight '${!w ? names.weight : names.bias}' (architecture ${dims.join('→')} needs fc_stack.0..${expected - 1}); got ${Object.keys(weights).join(', ') || 'no tensors'}`,
        );
      }
      checkShape(spec.attribute, names.weight, w.shape, [dims[i + 1], dims[i]]);
      checkShape(spec.attribute, names.bias, b.shape, [dims[i + 1]]);
      known.add(names.weight).add(names.bias);
      pairs.push([w, b]);
    }
    const extra = Object.keys(weights).filter((k) => !known.has(k));
    if (extra.length) {
      throw new EncodersError(
        'ENCODERS_SHAPE_MISMATCH',
        `encoder '${spec.attribute}': unexpected weights ${extra.join(', ')} for architecture ${dims.join('→')} (is hidden set right?)`,
      );
    }
    // Variables are created only once every shape is known to be right, so a bad file leaks nothing.
    this.params = pairs.map(([w, b]) => ({ weight: toVariable(w), bias: toVariable(b) }));
  }

  /** The measured values y the encoder takes, in column order. */
  get values(): readonly EncoderInput[] {
    return this.valuesValue;
  }

  /** The MLP's layout (with its input and output widths). */
  get architecture(): EncoderArchitecture {
    return this.architectureValue;
  }

  /**
   * Gives the circular value in `column` a seam at `seam`: one more input feature that jumps
   * there (see `encoderInputSchema`), with zero first-layer weights, so `encode` is unchanged
   * (up to float rounding) until the weights are trained again (`refineEncoders` does). A continuous encoder of an
   * angle must return to its start after a full turn; where the generator's latents for that
   * value cannot (two branches of w^k meet), the seam is where E_k may switch branch.
   *
   * @example
   * enc.addSeam(0, 55); // hue: allow a jump at 55°
   */
  addSeam(column: number, seam: number): void {
    this.assertAlive();
    const v = this.valuesValue[column];
    if (!v || v.kind !== 'circular') {
      throw new EncodersError(
        'ENCODERS_INVALID_OPTIONS',
        `encoder '${this.attribute}': addSeam(${column}): column ${column} is not a circular value (values: ${this.valuesValue.map((x) => `${x.name} (${x.kind})`).join(', ')})`,
      );
    }
    if (v.seam !== undefined)
      throw new EncodersError(
        'ENCODERS_INVALID_OPTIONS',
        `encoder '${this.attribute}': value '${v.name}' has a seam already (at ${v.seam})`,
      );
    if (!(seam >= 0 && seam < v.period))
      throw new EncodersError('ENCODERS_INVALID_OPTIONS', `encoder '${this.attribute}': seam ${seam} must lie in [0, ${v.period})`);
    // The new feature follows the value's cos/sin features.
    const at = this.valuesValue.slice(0, column + 1).reduce((s, x) => s + inputWidth(x), 0);
    const first = this.params[0].weight;
    const widened = tf.tidy(() => {
      const [h, inDim] = first.shape as [number, number];
      // forward() scales a layer's weights by 1/√inDim: rescale so the old inputs keep their effect.
      const kept = tf.mul(first, Math.sqrt((inDim + 1) / inDim));
      const parts = [tf.slice(kept, [0, 0], [h, at]), tf.zeros([h, 1])];
      if (at < inDim) parts.push(tf.slice(kept, [0, at], [h, inDim - at]));
      return tf.variable(tf.concat(parts, 1));
    });
    first.dispose();
    this.params[0].weight = widened;
    this.valuesValue = this.valuesValue.map((x, i) => (i === column ? { ...x, seam } : x));
    this.architectureValue = { ...this.architectureValue, inDim: this.architectureValue.inDim + 1 };
  }

  /** Number of measured values V (columns of y). */
  get valueCount(): number {
    return this.values.length;
  }

  /** y `[B, V]` in the attribute's units → encoder features `[B, inDim]` (standardised / cos-sin). */
  features(y: tf.Tensor2D): tf.Tensor2D {
    this.checkValues(y);
    return tf.tidy(() => {
      const cols = tf.split(y, this.values.length, 1);
      const parts: tf.Tensor[] = [];
      this.values.forEach((v, i) => {
        if (v.kind === 'linear') parts.push(tf.div(tf.sub(cols[i], v.mean), v.std));
        else {
          const angle = tf.mul(cols[i], (2 * Math.PI) / v.period);
          parts.push(tf.cos(angle), tf.sin(angle));
          if (v.seam !== undefined) {
            const t = tf.div(tf.sub(cols[i], v.seam), v.period);
            parts.push(tf.mul(tf.sub(tf.mul(tf.sub(t, tf.floor(t)), 2), 1), Math.sqrt(3)));
          }
        }
      });
      return tf.concat(parts, 1) as tf.Tensor2D;
    });
  }

  /** The MLP on features `[B, inDim]` → `[B, d_k]`. Differentiable (used by training). */
  forward(features: tf.Tensor2D): tf.Tensor2D {
    this.assertAlive();
    return tf.tidy(() => {
      const { lrMul, activation, activateLast } = this.architecture;
      let x: tf.Tensor2D = features;
      this.params.forEach((p, i) => {
        const inDim = p.weight.shape[1] as number;
        const scaled = tf.mul(p.weight, lrMul / Math.sqrt(inDim));
        let out = tf.add(tf.matMul(x, scaled, false, true), tf.mul(p.bias, lrMul)) as tf.Tensor2D;
        const last = i === this.params.length - 1;
        if (activation === 'lrelu' && (!last || activateLast)) out = tf.mul(tf.leakyRelu(out, 0.2), Math.SQRT2);
        x = out;
      });
      return x;
    });
  }

  /** The input calibration (see `calibrateEncoders`); `undefined` removes it. Checked against the values. */
  get calibration(): Calibration | undefined {
    return this.calibrationValue;
  }

  set calibration(c: Calibration | undefined) {
    if (c) checkCalibration(this.attribute, this.values, c);
    this.calibrationValue = c;
  }

  /**
   * E_k(y): values `[B, V]` in the attribute's units → w^k `[B, d_k]`. With a calibration, the
   * network receives `y + offset(y)` (the fitted input correction).
   *
   * @example
   * const wk = encoder.encode(tf.tensor2d([[30, 0, 0]])); // pose yaw 30°
   */
  encode(y: tf.Tensor2D): tf.Tensor2D {
    const c = this.calibrationValue;
    if (!c) return tf.tidy(() => this.forward(this.features(y)));
    this.checkValues(y);
    const rows = applyCalibration(this.values, c, y.arraySync());
    return tf.tidy(() => this.forward(this.features(tf.tensor2d(rows, y.shape))));
  }

  /** The trainable variables, in layer order (weight, bias, weight, bias…). */
  variables(): tf.Variable[] {
    return this.params.flatMap((p) => [p.weight, p.bias]);
  }

  /** Copies of the weights under their official names (caller disposes). */
  weights(): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    this.params.forEach((p, i) => {
      const n = layerNames(i);
      out[n.weight] = p.weight.clone();
      out[n.bias] = p.bias.clone();
    });
    return out;
  }

  /** Replaces the weights by those given (same names and shapes); used to restore the best epoch. */
  assignWeights(weights: Record<string, tf.Tensor>): void {
    this.params.forEach((p, i) => {
      const n = layerNames(i);
      p.weight.assign(weights[n.weight]);
      p.bias.assign(weights[n.bias]);
    });
  }

  /** The JSON metadata (without the weights file name, which `saveEncoder` fills in). */
  toMetadata(weightsFile: string): EncoderMetadata {
    return {
      format: 'gan-control-encoder',
      version: 1,
      attribute: this.attribute,
      group: this.group,
      wSlice: { ...this.wSlice },
      values: this.values.map((v) => ({ ...v, range: [v.range[0], v.range[1]] as [number, number] })),
      architecture: { ...this.architecture, hidden: [...this.architecture.hidden] },
      weights: weightsFile,
      ...(this.training ? { training: this.training } : {}),
      ...(this.calibrationValue ? { calibration: this.calibrationValue } : {}),
    };
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const p of this.params) {
      p.weight.dispose();
      p.bias.dispose();
    }
  }

  private checkValues(y: tf.Tensor2D): void {
    this.assertAlive();
    if (y.rank !== 2 || y.shape[1] !== this.values.length) {
      throw new EncodersError(
        'ENCODERS_SHAPE_MISMATCH',
        `encoder '${this.attribute}': y must be [B, ${this.values.length}] (${this.values.map((v) => v.name).join(', ')}), got [${y.shape.join(', ')}]`,
      );
    }
  }

  private assertAlive(): void {
    if (this.disposed) {
      throw new EncodersError('ENCODERS_INVALID_OPTIONS', `encoder '${this.attribute}' was disposed; load or create it again`);
    }
  }
}

/** A float32 variable holding a copy of `t` (the caller keeps owning `t`). */
function toVariable(t: tf.Tensor): tf.Variable {
  const copy = tf.cast(t, 'float32');
  try {
    return tf.variable(copy);
  } finally {
    copy.dispose();
  }
}

function checkShape(attribute: string, name: string, got: readonly number[], want: readonly number[]): void {
  if (got.length !== want.length || got.some((d, i) => d !== want[i])) {
    throw new EncodersError(
      'ENCODERS_SHAPE_MISMATCH',
      `encoder '${attribute}': weight '${name}' has shape [${got.join(', ')}], the architecture needs [${want.join(', ')}]`,
    );
  }
}

/**
 * A new encoder with the official initialisation: W ~ N(0, 1)/lrMul, b = 0.
 *
 * @example
 * const enc = createEncoder({ attribute: 'size', group: 'size', wSlice: { offset: 8, size: 8 },
 *   values: [{ kind: 'linear', name: 'size', unit: 'px', mean: 10, std: 3, range: [4, 16] }] }, { seed: 0 });
 */
export function createEncoder(spec: EncoderSpec, opts: { seed?: number } = {}): AttributeEncoder {
  const arch = parseOptions(encoderArchitectureSchema, spec.architecture ?? {}, `encoder '${spec.attribute}' architecture`);
  const inDim = spec.values.reduce((s, v) => s + inputWidth(v), 0);
  const dims = [inDim, ...arch.hidden, spec.wSlice.size];
  const seed = opts.seed ?? 0;
  const weights: Record<string, tf.Tensor> = {};
  for (let i = 0; i < dims.length - 1; i++) {
    const n = layerNames(i);
    weights[n.weight] = tf.tidy(() => tf.div(tf.randomNormal([dims[i + 1], dims[i]], 0, 1, 'float32', seed * 7919 + i + 1), arch.lrMul));
    weights[n.bias] = tf.zeros([dims[i + 1]]);
  }
  try {
    return new AttributeEncoder(spec, weights);
  } finally {
    tf.dispose(Object.values(weights));
  }
}

/**
 * Builds an encoder from stored weights (official FcStack names) and its metadata. Used by
 * `loadEncoder` and by importers of other formats (e.g. the official controller checkpoints).
 *
 * @example
 * const enc = encoderFromWeights(metadata, { 'fc_stack.0.weight': w0, 'fc_stack.0.bias': b0, … });
 */
export function encoderFromWeights(spec: EncoderSpec, weights: Record<string, tf.Tensor>): AttributeEncoder {
  return new AttributeEncoder(spec, weights);
}
