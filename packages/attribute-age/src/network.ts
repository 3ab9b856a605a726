// face-api's AgeGenderNet age head on its TinyXception(2) feature extractor (112×112 RGB → age in
// years), rebuilt with tfjs-core ops so that it is synchronous and differentiable with respect to
// the image. Architecture: @vladmandic/face-api src/xception/TinyXception.ts,
// src/ageGenderNet/AgeGenderNet.ts (MIT). The gender head is not used.
import * as tf from '@tensorflow/tfjs-core';
import { FaceError, loadModelWeights } from '@gan-control/face-common';

/** The network's input side in pixels. */
export const AGE_INPUT_SIZE = 112;
/** face-api's per-channel mean, subtracted from [0, 255] RGB before dividing by 255. */
export const MEAN_RGB = [122.782, 117.001, 104.298] as const;
/** Weights file base name in `@vladmandic/face-api/model`. */
export const AGE_MODEL = 'age_gender_model';

interface Conv {
  filters: tf.Tensor4D;
  bias: tf.Tensor1D;
}
interface SeparableConv {
  depthwise: tf.Tensor4D;
  pointwise: tf.Tensor4D;
  bias: tf.Tensor1D;
}
interface ReductionBlock {
  sep0: SeparableConv;
  sep1: SeparableConv;
  expansion: Conv;
}

/** The loaded weights of the age network (long-lived tensors; `disposeAgeNet`). */
export interface AgeNet {
  readonly convIn: Conv;
  readonly reduction0: ReductionBlock;
  readonly reduction1: ReductionBlock;
  readonly main: readonly [SeparableConv, SeparableConv, SeparableConv][];
  readonly exitReduction: ReductionBlock;
  readonly exitSeparable: SeparableConv;
  readonly fcWeights: tf.Tensor2D;
  readonly fcBias: tf.Tensor1D;
  readonly all: readonly tf.Tensor[];
}

/** Number of middle-flow blocks of face-api's age/gender TinyXception. */
export const MAIN_BLOCKS = 2;

/**
 * Builds the network from a name → tensor map in face-api's weight naming; throws, naming the
 * plugin and the weight, when the map does not match the architecture.
 *
 * @example
 * const net = ageNetFromWeights(await loadModelWeights(AGE_MODEL, dir, 'age'), 'age');
 */
export function ageNetFromWeights(weights: Record<string, tf.Tensor>, plugin: string): AgeNet {
  const used: tf.Tensor[] = [];
  const get = <T extends tf.Tensor>(name: string, rank: number): T => {
    const t = weights[name];
    if (!t || t.rank !== rank) {
      throw new FaceError(
        'FACE_WEIGHTS_LAYOUT',
        `${plugin}: weight '${name}' ${t ? `has rank ${t.rank}, expected ${rank}` : 'is missing'} in '${AGE_MODEL}'; the installed @vladmandic/face-api weights do not match AgeGenderNet.`,
      );
    }
    used.push(t);
    return t as T;
  };
  const conv = (p: string): Conv => ({ filters: get(`${p}/filters`, 4), bias: get(`${p}/bias`, 1) });
  const sep = (p: string): SeparableConv => ({
    depthwise: get(`${p}/depthwise_filter`, 4),
    pointwise: get(`${p}/pointwise_filter`, 4),
    bias: get(`${p}/bias`, 1),
  });
  const reduction = (p: string): ReductionBlock => ({
    sep0: sep(`${p}/separable_conv0`),
    sep1: sep(`${p}/separable_conv1`),
    expansion: conv(`${p}/expansion_conv`),
  });
  const net: AgeNet = {
    convIn: conv('entry_flow/conv_in'),
    reduction0: reduction('entry_flow/reduction_block_0'),
    reduction1: reduction('entry_flow/reduction_block_1'),
    main: Array.from(
      { length: MAIN_BLOCKS },
      (_, i) =>
        [0, 1, 2].map((k) => sep(`middle_flow/main_block_${i}/separable_conv${k}`)) as [SeparableConv, SeparableConv, SeparableConv],
    ),
    exitReduction: reduction('exit_flow/reduction_block'),
    exitSeparable: sep('exit_flow/separable_conv'),
    fcWeights: get('fc/age/weights', 2),
    fcBias: get('fc/age/bias', 1),
    all: used,
  };
  for (const t of Object.values(weights)) if (!used.includes(t)) t.dispose(); // the gender head
  return net;
}

/**
 * Loads face-api's age/gender weights from `dir` (only the age head is kept).
 *
 * @example
 * const net = await loadAgeNet(faceApiModelDir(), 'age');
 * const years = tf.tidy(() => predictAge(net, pixels112)); // [B]
 * disposeAgeNet(net);
 */
export async function loadAgeNet(dir: string, plugin: string): Promise<AgeNet> {
  const weights = await loadModelWeights(AGE_MODEL, dir, plugin);
  try {
    return ageNetFromWeights(weights, plugin);
  } catch (e) {
    tf.dispose(Object.values(weights));
    throw e;
  }
}

/** Releases the network's tensors. */
export function disposeAgeNet(net: AgeNet): void {
  tf.dispose(net.all as tf.Tensor[]);
}

function conv(x: tf.Tensor4D, p: Conv, stride: 1 | 2): tf.Tensor4D {
  return tf.add(tf.conv2d(x, p.filters, stride, 'same'), p.bias) as tf.Tensor4D;
}

function separable(x: tf.Tensor4D, p: SeparableConv): tf.Tensor4D {
  return tf.add(tf.separableConv2d(x, p.depthwise, p.pointwise, 1, 'same'), p.bias) as tf.Tensor4D;
}

function reductionBlock(x: tf.Tensor4D, p: ReductionBlock, activateInput: boolean): tf.Tensor4D {
  let out = activateInput ? (tf.relu(x) as tf.Tensor4D) : x;
  out = separable(out, p.sep0);
  out = separable(tf.relu(out) as tf.Tensor4D, p.sep1);
  out = tf.maxPool(out, 3, 2, 'same');
  return tf.add(out, conv(x, p.expansion, 2)) as tf.Tensor4D;
}

function mainBlock(x: tf.Tensor4D, p: readonly [SeparableConv, SeparableConv, SeparableConv]): tf.Tensor4D {
  let out = separable(tf.relu(x) as tf.Tensor4D, p[0]);
  out = separable(tf.relu(out) as tf.Tensor4D, p[1]);
  out = separable(tf.relu(out) as tf.Tensor4D, p[2]);
  return tf.add(out, x) as tf.Tensor4D;
}

/**
 * Apparent age in years exactly as face-api's `AgeGenderNet` computes it (`forwardInput().age`),
 * for RGB pixels in [0, 255] already at 112×112: `[B, 112, 112, 3] → [B]`.
 *
 * @example
 * const years = tf.tidy(() => predictAge(net, tf.fill([1, 112, 112, 3], 128)));
 */
export function predictAge(net: AgeNet, pixels: tf.Tensor4D): tf.Tensor1D {
  return tf.tidy(() => {
    const x = tf.div(tf.sub(pixels, tf.tensor1d(MEAN_RGB as unknown as number[])), 255) as tf.Tensor4D;
    let out = tf.relu(conv(x, net.convIn, 2)) as tf.Tensor4D;
    out = reductionBlock(out, net.reduction0, false);
    out = reductionBlock(out, net.reduction1, true);
    for (const b of net.main) out = mainBlock(out, b);
    out = reductionBlock(out, net.exitReduction, true);
    out = tf.relu(separable(out, net.exitSeparable)) as tf.Tensor4D;
    const pooled = tf.avgPool(out, 7, 2, 'valid');
    const flat = tf.reshape(pooled, [pooled.shape[0], -1]) as tf.Tensor2D;
    return tf.reshape(tf.add(tf.matMul(flat, net.fcWeights), net.fcBias), [-1]) as tf.Tensor1D;
  });
}
