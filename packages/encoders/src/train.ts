import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { createRng } from '@gan-control/latent';
import type { Rng } from '@gan-control/latent';
import { EncodersError, parseOptions } from './errors.js';
import { AttributeEncoder, createEncoder, encoderArchitectureSchema } from './encoder.js';
import type { EncoderInput } from './encoder.js';
import { circularPeriod } from './model.js';
import { readEncoderDataset } from './sampler.js';
import type { AttributeRows } from './sampler.js';

/** Training settings of the encoders (zod). Defaults are the official recipe. */
export const trainOptionsSchema = z.object({
  architecture: encoderArchitectureSchema.default({ hidden: [512, 512, 512], lrMul: 1, activation: 'lrelu', activateLast: true }),
  /** Adam learning rate (official 1.6e-3). */
  learningRate: z.number().positive().default(1.6e-3),
  /** Adam β1, β2 (tf.js / PyTorch defaults). */
  betas: z.tuple([z.number().min(0).lt(1), z.number().min(0).lt(1)]).default([0.9, 0.999]),
  /** Mini-batch size (official 128). */
  batchSize: z.number().int().positive().default(128),
  /** Maximum number of epochs. */
  epochs: z.number().int().positive().default(100),
  /** Share of rows held out for validation (official 10%). */
  validationFraction: z.number().gt(0).lt(1).default(0.1),
  /** Early stopping: epochs without a validation improvement before stopping (best weights are restored). */
  patience: z.number().int().positive().default(10),
  /** An improvement smaller than this (relative to the best error) does not count. */
  minImprovement: z.number().min(0).default(1e-4),
  /** Seed of the split, the shuffling and the initialisation. */
  seed: z.number().int().nonnegative().default(0),
  /** Extra circular values (period by `value` or `attribute.value` name); see `circularPeriod`. */
  circular: z.record(z.string(), z.number().positive()).optional(),
});
export type TrainOptions = z.input<typeof trainOptionsSchema>;

/** Progress after every epoch. */
export interface TrainProgress {
  readonly phase: 'train';
  readonly attribute: string;
  readonly group: string;
  readonly epoch: number;
  readonly epochs: number;
  /** Mean L1 training loss of the epoch (w units). */
  readonly trainLoss: number;
  /** Mean absolute error on the validation rows (w units). */
  readonly valError: number;
  readonly bestValError: number;
  /** Validation error of always predicting the training mean of w^k. */
  readonly baselineValError: number;
  readonly elapsedMs: number;
  /** Time left if training runs all epochs (early stopping can end sooner). */
  readonly etaMs: number;
}

/** What training measured. */
export interface TrainMetrics {
  readonly attribute: string;
  readonly group: string;
  readonly rows: number;
  readonly trainRows: number;
  readonly valRows: number;
  /** Rows dropped because a measured value was not finite. */
  readonly droppedRows: number;
  readonly epochsRun: number;
  readonly bestEpoch: number;
  readonly stoppedEarly: boolean;
  readonly valError: number;
  readonly baselineValError: number;
  /** valError / baselineValError: well below 1 when y determines w^k. */
  readonly relativeValError: number;
  readonly trainLoss: number;
  readonly elapsedMs: number;
}

export interface TrainEncoderArgs extends TrainOptions {
  /** Rows of one attribute (from `readEncoderDataset`). */
  readonly data: AttributeRows;
  readonly onProgress?: (p: TrainProgress) => void;
  readonly signal?: AbortSignal;
}

/**
 * Trains one encoder E_k on (y^k, w^k) rows: L1 loss to the true w^k, Adam, a seeded 90/10
 * train/validation split, early stopping on the validation error (the best epoch's weights are
 * kept). y is standardised with the training rows' mean and std (circular values become cos/sin);
 * both are stored in the encoder.
 *
 * @example
 * const { attributes } = await readEncoderDataset('runs/shapes/encoder-data');
 * const { encoder, metrics } = await trainEncoder({ data: attributes.hue, epochs: 50,
 *   architecture: { hidden: [256, 256, 256] } });
 * console.log(metrics.valError, metrics.baselineValError);
 */
export async function trainEncoder(args: TrainEncoderArgs): Promise<{ encoder: AttributeEncoder; metrics: TrainMetrics }> {
  const { data, onProgress, signal, ...rest } = args;
  const opts = parseOptions(trainOptionsSchema, rest, `trainEncoder('${data.attribute}')`);
  // tfjs-core's Node build registers no gradients; stylegan2 registers the ones the MLP uses.
  const V = data.values.length;
  const d = data.wSlice.size;
  const rng = createRng(opts.seed);

  // Keep rows whose measured values are all finite (a detector may fail on some images).
  const keep: number[] = [];
  for (let r = 0; r < data.rows; r++) {
    let ok = true;
    for (let c = 0; c < V; c++) if (!Number.isFinite(data.y[r * V + c])) ok = false;
    if (ok) keep.push(r);
  }
  shuffle(keep, rng);
  const valRows = Math.max(1, Math.round(keep.length * opts.validationFraction));
  const trainRows = keep.length - valRows;
  if (trainRows < 1) {
    throw new EncodersError(
      'ENCODERS_DATASET_INCOMPLETE',
      `attribute '${data.attribute}': ${keep.length} usable rows (of ${data.rows}) are too few to train and validate; sample more rows`,
    );
  }
  const valIdx = keep.slice(0, valRows);
  const trainIdx = keep.slice(valRows);
  const inputs = describeInputs(data, trainIdx, opts.circular);

  const pick = (src: Float32Array, width: number, idx: number[]) => {
    const out = new Float32Array(idx.length * width);
    idx.forEach((r, i) => out.set(src.subarray(r * width, r * width + width), i * width));
    return out;
  };
  const encoder = createEncoder(
    { attribute: data.attribute, group: data.group, wSlice: data.wSlice, values: inputs, architecture: opts.architecture },
    { seed: opts.seed },
  );
  const optimizer = tf.train.adam(opts.learningRate, opts.betas[0], opts.betas[1], 1e-8);
  const held: tf.Tensor[] = [];
  let best: Record<string, tf.Tensor> | undefined;
  const start = Date.now();
  try {
    const yTrain = tf.tensor2d(pick(data.y, V, trainIdx), [trainRows, V]);
    const yVal = tf.tensor2d(pick(data.y, V, valIdx), [valRows, V]);
    held.push(yTrain, yVal);
    const xTrain = encoder.features(yTrain);
    const xVal = encoder.features(yVal);
    const wTrain = tf.tensor2d(pick(data.w, d, trainIdx), [trainRows, d]);
    const wVal = tf.tensor2d(pick(data.w, d, valIdx), [valRows, d]);
    held.push(xTrain, xVal, wTrain, wVal);

    const baselineValError = await scalar(tf.tidy(() => tf.mean(tf.abs(tf.sub(wVal, tf.mean(wTrain, 0, true))))));
    const valErrorNow = () => scalar(tf.tidy(() => tf.mean(tf.abs(tf.sub(encoder.forward(xVal), wVal)))));

    let bestValError = Infinity;
    let bestEpoch = 0;
    let epochsRun = 0;
    let lastTrainLoss = NaN;
    let bestTrainLoss = NaN;
    let sinceBest = 0;
    const order = Array.from({ length: trainRows }, (_, i) => i);
    const vars = encoder.variables();
    for (let epoch = 1; epoch <= opts.epochs; epoch++) {
      if (signal?.aborted) throw new EncodersError('ENCODERS_ABORTED', `training of encoder '${data.attribute}' aborted at epoch ${epoch}`);
      shuffle(order, rng);
      let lossSum = tf.scalar(0);
      for (let s = 0; s < trainRows; s += opts.batchSize) {
        const idx = tf.tensor1d(order.slice(s, s + opts.batchSize), 'int32');
        const cost = optimizer.minimize(
          () =>
            tf.tidy(() => {
              const x = tf.gather(xTrain, idx) as tf.Tensor2D;
              const w = tf.gather(wTrain, idx);
              const d = tf.sub(encoder.forward(x), w);
              // |d| as max(d, −d): the formulation the bundled encoders were trained with (its
              // gradient at d = 0 is split between the branches; kept so retraining reproduces them).
              return tf.mean(tf.maximum(d, tf.neg(d))) as tf.Scalar;
            }),
          true,
          vars,
        )!;
        const n = Math.min(opts.batchSize, trainRows - s);
        const next = tf.tidy(() => tf.add(lossSum, tf.mul(cost, n)) as tf.Scalar);
        tf.dispose([idx, cost, lossSum]);
        lossSum = next;
      }
      lastTrainLoss = (await scalar(lossSum)) / trainRows;
      const valError = await valErrorNow();
      epochsRun = epoch;
      if (valError < bestValError * (1 - opts.minImprovement)) {
        bestValError = valError;
        bestEpoch = epoch;
        bestTrainLoss = lastTrainLoss;
        sinceBest = 0;
        if (best) tf.dispose(Object.values(best));
        best = encoder.weights();
      } else {
        sinceBest++;
      }
      const elapsedMs = Date.now() - start;
      onProgress?.({
        phase: 'train',
        attribute: data.attribute,
        group: data.group,
        epoch,
        epochs: opts.epochs,
        trainLoss: lastTrainLoss,
        valError,
        bestValError,
        baselineValError,
        elapsedMs,
        etaMs: (elapsedMs / epoch) * (opts.epochs - epoch),
      });
      if (sinceBest >= opts.patience) break;
      // Let other work (progress output, abort signals) run between epochs.
      await new Promise((r) => setImmediate(r));
    }
    if (best) encoder.assignWeights(best);
    const metrics: TrainMetrics = {
      attribute: data.attribute,
      group: data.group,
      rows: data.rows,
      trainRows,
      valRows,
      droppedRows: data.rows - keep.length,
      epochsRun,
      bestEpoch,
      stoppedEarly: epochsRun < opts.epochs,
      valError: bestValError,
      baselineValError,
      relativeValError: bestValError / baselineValError,
      trainLoss: bestTrainLoss,
      elapsedMs: Date.now() - start,
    };
    encoder.training = {
      ...metrics,
      learningRate: opts.learningRate,
      batchSize: opts.batchSize,
      epochs: opts.epochs,
      patience: opts.patience,
      validationFraction: opts.validationFraction,
      seed: opts.seed,
      loss: 'l1',
    };
    return { encoder, metrics };
  } catch (e) {
    encoder.dispose();
    throw e;
  } finally {
    if (best) tf.dispose(Object.values(best));
    tf.dispose(held);
    optimizer.dispose();
  }
}

/** Value descriptions for the encoder: kind, normalisation and accepted range, from the training rows. */
function describeInputs(data: AttributeRows, trainIdx: number[], circular?: Record<string, number>): EncoderInput[] {
  const V = data.values.length;
  return data.values.map((v, c) => {
    const period = circularPeriod(data.attribute, v, circular);
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (const r of trainIdx) {
      const x = data.y[r * V + c];
      sum += x;
      if (x < min) min = x;
      if (x > max) max = x;
    }
    // The accepted range is what the generator produced in the training set (the plugin's
    // declared range can be wider than what this model can render).
    const range: [number, number] = [min, max];
    if (period !== undefined) {
      return { kind: 'circular' as const, name: v.name, unit: v.unit, period, range: [0, period] };
    }
    const mean = sum / trainIdx.length;
    let sq = 0;
    for (const r of trainIdx) sq += (data.y[r * V + c] - mean) ** 2;
    const std = Math.sqrt(sq / trainIdx.length);
    return { kind: 'linear' as const, name: v.name, unit: v.unit, mean, std: std > 1e-8 ? std : 1, range };
  });
}

function shuffle(a: number[], rng: Rng): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}

async function scalar(t: tf.Tensor): Promise<number> {
  try {
    return (await t.data())[0];
  } finally {
    t.dispose();
  }
}

export interface TrainEncodersArgs extends TrainOptions {
  /** Dataset folder (from `sampleEncoderDataset`) or the result of `readEncoderDataset`. */
  readonly dataset: string | { attributes: Record<string, AttributeRows> };
  /** Train only these groups (default: every attribute in the dataset). */
  readonly only?: readonly string[];
  readonly onProgress?: (p: TrainProgress) => void;
  readonly signal?: AbortSignal;
}

/**
 * Trains one encoder per attribute of a dataset, one after the other.
 *
 * @example
 * const trained = await trainEncoders({ dataset: 'runs/shapes/encoder-data', epochs: 60 });
 * for (const { encoder, metrics } of Object.values(trained)) await saveEncoder(encoder, 'runs/shapes/encoders');
 */
export async function trainEncoders(
  args: TrainEncodersArgs,
): Promise<Record<string, { encoder: AttributeEncoder; metrics: TrainMetrics }>> {
  const { dataset, only, ...rest } = args;
  const { attributes } = typeof dataset === 'string' ? await readEncoderDataset(dataset) : dataset;
  const names = only ? [...only] : Object.keys(attributes);
  for (const n of names) {
    if (!attributes[n]) {
      throw new EncodersError(
        'ENCODERS_UNKNOWN_ATTRIBUTE',
        `the dataset has no attribute for group '${n}'; it has: ${Object.keys(attributes).join(', ')}`,
      );
    }
  }
  const out: Record<string, { encoder: AttributeEncoder; metrics: TrainMetrics }> = {};
  try {
    for (const n of names) out[n] = await trainEncoder({ ...rest, data: attributes[n] });
  } catch (e) {
    for (const r of Object.values(out)) r.encoder.dispose();
    throw e;
  }
  return out;
}
