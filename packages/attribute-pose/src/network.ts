// face-api's FaceLandmark68Net (four densely connected blocks of depthwise-separable convolutions,
// 112×112 RGB → 68 (x, y) landmarks relative to the input), rebuilt with tfjs-core ops so that it
// is synchronous and differentiable with respect to the image. Architecture: @vladmandic/face-api
// src/faceFeatureExtractor/FaceFeatureExtractor.ts, denseBlock.ts, src/faceProcessor/FaceProcessor.ts,
// src/faceLandmarkNet/FaceLandmark68NetBase.ts (MIT).
import * as tf from '@tensorflow/tfjs-core';
import { FaceError, loadModelWeights } from '@gan-control/face-common';

/** The network's input side in pixels. */
export const LANDMARK_INPUT_SIZE = 112;
/** face-api's per-channel mean, subtracted from [0, 255] RGB before dividing by 255. */
export const MEAN_RGB = [122.782, 117.001, 104.298] as const;
/** Weights file base name in `@vladmandic/face-api/model`. */
export const LANDMARK_MODEL = 'face_landmark_68_model';

interface SeparableConv {
  depthwise: tf.Tensor4D;
  pointwise: tf.Tensor4D;
  bias: tf.Tensor1D;
}
interface DenseBlock {
  conv0: SeparableConv | { filters: tf.Tensor4D; bias: tf.Tensor1D };
  convs: [SeparableConv, SeparableConv, SeparableConv];
}

/** The loaded weights of the landmark network (long-lived tensors; `disposeLandmarkNet`). */
export interface LandmarkNet {
  readonly blocks: readonly DenseBlock[];
  readonly fcWeights: tf.Tensor2D;
  readonly fcBias: tf.Tensor1D;
  readonly all: readonly tf.Tensor[];
}

/**
 * Builds the network from a name → tensor map in face-api's weight naming; throws, naming the
 * plugin and the weight, when the map does not match the architecture.
 *
 * @example
 * const net = landmarkNetFromWeights(await loadModelWeights(LANDMARK_MODEL, dir, 'pose'), 'pose');
 */
export function landmarkNetFromWeights(weights: Record<string, tf.Tensor>, plugin: string): LandmarkNet {
  const used: tf.Tensor[] = [];
  const get = <T extends tf.Tensor>(name: string, rank: number): T => {
    const t = weights[name];
    if (!t || t.rank !== rank) {
      throw new FaceError(
        'FACE_WEIGHTS_LAYOUT',
        `${plugin}: weight '${name}' ${t ? `has rank ${t.rank}, expected ${rank}` : 'is missing'} in '${LANDMARK_MODEL}'; the installed @vladmandic/face-api weights do not match FaceLandmark68Net.`,
      );
    }
    used.push(t);
    return t as T;
  };
  const sep = (p: string): SeparableConv => ({
    depthwise: get(`${p}/depthwise_filter`, 4),
    pointwise: get(`${p}/pointwise_filter`, 4),
    bias: get(`${p}/bias`, 1),
  });
  const blocks = [0, 1, 2, 3].map((i): DenseBlock => ({
    conv0: i === 0 ? { filters: get(`dense0/conv0/filters`, 4), bias: get(`dense0/conv0/bias`, 1) } : sep(`dense${i}/conv0`),
    convs: [sep(`dense${i}/conv1`), sep(`dense${i}/conv2`), sep(`dense${i}/conv3`)],
  }));
  const net: LandmarkNet = { blocks, fcWeights: get('fc/weights', 2), fcBias: get('fc/bias', 1), all: used };
  for (const t of Object.values(weights)) if (!used.includes(t)) t.dispose(); // entries the net does not use
  return net;
}

/**
 * Loads face-api's 68-point landmark weights from `dir`.
 *
 * @example
 * const net = await loadLandmarkNet(faceApiModelDir(), 'pose');
 * const lm = tf.tidy(() => landmarks(net, pixels112)); // [B, 136] relative x, y
 * disposeLandmarkNet(net);
 */
export async function loadLandmarkNet(dir: string, plugin: string): Promise<LandmarkNet> {
  const weights = await loadModelWeights(LANDMARK_MODEL, dir, plugin);
  try {
    return landmarkNetFromWeights(weights, plugin);
  } catch (e) {
    tf.dispose(Object.values(weights));
    throw e;
  }
}

/** Releases the network's tensors. */
export function disposeLandmarkNet(net: LandmarkNet): void {
  tf.dispose(net.all as tf.Tensor[]);
}

function separable(x: tf.Tensor4D, p: SeparableConv, stride: 1 | 2): tf.Tensor4D {
  return tf.add(tf.separableConv2d(x, p.depthwise, p.pointwise, stride, 'same'), p.bias) as tf.Tensor4D;
}

// out1 = relu(conv0(x)) (stride 2); out_k = sepconv(relu(Σ_{j<k} out_j)); result = relu(Σ out_k)
function denseBlock4(x: tf.Tensor4D, b: DenseBlock): tf.Tensor4D {
  const c0 = b.conv0;
  const out1 = tf.relu('filters' in c0 ? tf.add(tf.conv2d(x, c0.filters, 2, 'same'), c0.bias) : separable(x, c0, 2)) as tf.Tensor4D;
  const out2 = separable(out1, b.convs[0], 1);
  const out3 = separable(tf.relu(tf.add(out1, out2)) as tf.Tensor4D, b.convs[1], 1);
  const out4 = separable(tf.relu(tf.add(out1, tf.add(out2, out3))) as tf.Tensor4D, b.convs[2], 1);
  return tf.relu(tf.add(out1, tf.add(out2, tf.add(out3, out4)))) as tf.Tensor4D;
}

/**
 * 68 landmarks exactly as face-api's `FaceLandmark68Net.forward` computes them for a square
 * input, for RGB pixels in [0, 255] already at 112×112: `[B, 112, 112, 3] → [B, 136]`, interleaved
 * (x0, y0, x1, y1, …), relative to the input side (0 = left/top edge, 1 = right/bottom edge).
 *
 * @example
 * const lm = tf.tidy(() => landmarks(net, tf.fill([1, 112, 112, 3], 128)));
 */
export function landmarks(net: LandmarkNet, pixels: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => {
    let out = tf.div(tf.sub(pixels, tf.tensor1d(MEAN_RGB as unknown as number[])), 255) as tf.Tensor4D;
    for (const b of net.blocks) out = denseBlock4(out, b);
    out = tf.avgPool(out, 7, 2, 'valid');
    const flat = tf.reshape(out, [out.shape[0], -1]) as tf.Tensor2D;
    return tf.add(tf.matMul(flat, net.fcWeights), net.fcBias) as tf.Tensor2D;
  });
}
