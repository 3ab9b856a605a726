// face-api's FaceRecognitionNet (a dlib-style ResNet-34 with 32..256 channels, 150×150 RGB → 128-d),
// rebuilt with tfjs-core ops so that it is synchronous and differentiable with respect to the
// image. Architecture: @vladmandic/face-api src/faceRecognitionNet/FaceRecognitionNet.ts,
// residualLayer.ts, convLayer.ts, scaleLayer.ts (MIT).
import * as tf from '@tensorflow/tfjs-core';
import { FaceError, loadModelWeights } from '@gan-control/face-common';

/** The network's input side in pixels. */
export const FACE_RECOGNITION_INPUT_SIZE = 150;
/** face-api's per-channel mean, subtracted from [0, 255] RGB before dividing by 255. */
export const MEAN_RGB = [122.782, 117.001, 104.298] as const;
/** Weights file base name in `@vladmandic/face-api/model`. */
export const FACE_RECOGNITION_MODEL = 'face_recognition_model';

interface ConvLayer {
  filters: tf.Tensor4D;
  bias: tf.Tensor1D;
  scaleWeights: tf.Tensor1D;
  scaleBiases: tf.Tensor1D;
}
interface Residual {
  conv1: ConvLayer;
  conv2: ConvLayer;
}

/** The loaded weights of the recognition network (long-lived tensors; `disposeFaceRecognitionNet`). */
export interface FaceRecognitionNet {
  readonly convDown: ConvLayer;
  readonly blocks: readonly { name: string; down: boolean; params: Residual }[];
  readonly fc: tf.Tensor2D;
  readonly all: readonly tf.Tensor[];
}

const BLOCKS: readonly [string, boolean][] = [
  ['conv32_1', false],
  ['conv32_2', false],
  ['conv32_3', false],
  ['conv64_down', true],
  ['conv64_1', false],
  ['conv64_2', false],
  ['conv64_3', false],
  ['conv128_down', true],
  ['conv128_1', false],
  ['conv128_2', false],
  ['conv256_down', true],
  ['conv256_1', false],
  ['conv256_2', false],
  ['conv256_down_out', true],
];

/**
 * Builds the network from a name → tensor map in face-api's weight naming. Throws, naming the
 * plugin and the missing weight, when the map does not match the architecture.
 *
 * @example
 * const net = faceRecognitionNetFromWeights(await loadModelWeights('face_recognition_model', dir, 'face-id'), 'face-id');
 */
export function faceRecognitionNetFromWeights(weights: Record<string, tf.Tensor>, plugin: string): FaceRecognitionNet {
  const used: tf.Tensor[] = [];
  const get = <T extends tf.Tensor>(name: string, rank: number): T => {
    const t = weights[name];
    if (!t || t.rank !== rank) {
      throw new FaceError(
        'FACE_WEIGHTS_LAYOUT',
        `${plugin}: weight '${name}' ${t ? `has rank ${t.rank}, expected ${rank}` : 'is missing'} in '${FACE_RECOGNITION_MODEL}'; the installed @vladmandic/face-api weights do not match FaceRecognitionNet.`,
      );
    }
    used.push(t);
    return t as T;
  };
  const conv = (p: string): ConvLayer => ({
    filters: get(`${p}/conv/filters`, 4),
    bias: get(`${p}/conv/bias`, 1),
    scaleWeights: get(`${p}/scale/weights`, 1),
    scaleBiases: get(`${p}/scale/biases`, 1),
  });
  const net: FaceRecognitionNet = {
    convDown: conv('conv32_down'),
    blocks: BLOCKS.map(([name, down]) => ({ name, down, params: { conv1: conv(`${name}/conv1`), conv2: conv(`${name}/conv2`) } })),
    fc: get('fc', 2),
    all: used,
  };
  for (const t of Object.values(weights)) if (!used.includes(t)) t.dispose(); // entries the net does not use
  return net;
}

/**
 * Loads face-api's recognition weights from `dir` (default: the installed package's `model/`).
 *
 * @example
 * const net = await loadFaceRecognitionNet(faceApiModelDir(), 'face-id');
 * const d = tf.tidy(() => faceDescriptor(net, pixels0to255)); // [B, 128]
 * disposeFaceRecognitionNet(net);
 */
export async function loadFaceRecognitionNet(dir: string, plugin: string): Promise<FaceRecognitionNet> {
  const weights = await loadModelWeights(FACE_RECOGNITION_MODEL, dir, plugin);
  try {
    return faceRecognitionNetFromWeights(weights, plugin);
  } catch (e) {
    tf.dispose(Object.values(weights));
    throw e;
  }
}

/** Releases the network's tensors. */
export function disposeFaceRecognitionNet(net: FaceRecognitionNet): void {
  tf.dispose(net.all as tf.Tensor[]);
}

function convLayer(x: tf.Tensor4D, p: ConvLayer, stride: 1 | 2, relu: boolean, padding: 'same' | 'valid'): tf.Tensor4D {
  let out = tf.add(tf.conv2d(x, p.filters, stride, padding), p.bias);
  out = tf.add(tf.mul(out, p.scaleWeights), p.scaleBiases);
  return (relu ? tf.relu(out) : out) as tf.Tensor4D;
}

function residual(x: tf.Tensor4D, p: Residual): tf.Tensor4D {
  const out = convLayer(convLayer(x, p.conv1, 1, true, 'same'), p.conv2, 1, false, 'same');
  return tf.relu(tf.add(out, x)) as tf.Tensor4D;
}

// Down-sampling block: stride-2 'valid' conv path plus a 2×2 average-pooled shortcut whose extra
// channels are zeros; when the conv path is one pixel smaller it is zero-padded at the bottom/right.
function residualDown(x: tf.Tensor4D, p: Residual): tf.Tensor4D {
  let out = convLayer(convLayer(x, p.conv1, 2, true, 'valid'), p.conv2, 1, false, 'same');
  let pooled = tf.avgPool(x, 2, 2, 'valid') as tf.Tensor4D;
  if (pooled.shape[1] !== out.shape[1] || pooled.shape[2] !== out.shape[2]) {
    out = tf.pad(out, [
      [0, 0],
      [0, pooled.shape[1] - out.shape[1]],
      [0, pooled.shape[2] - out.shape[2]],
      [0, 0],
    ]);
  }
  if (pooled.shape[3] !== out.shape[3])
    pooled = tf.pad(pooled, [
      [0, 0],
      [0, 0],
      [0, 0],
      [0, out.shape[3] - pooled.shape[3]],
    ]);
  return tf.relu(tf.add(pooled, out)) as tf.Tensor4D;
}

/**
 * The face descriptor exactly as face-api's `FaceRecognitionNet.forwardInput` computes it, for
 * RGB pixels in [0, 255] already at 150×150: `[B, 150, 150, 3] → [B, 128]` (not normalised).
 *
 * @example
 * const d = tf.tidy(() => faceDescriptor(net, tf.fill([1, 150, 150, 3], 128)));
 */
export function faceDescriptor(net: FaceRecognitionNet, pixels: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => {
    const x = tf.div(tf.sub(pixels, tf.tensor1d(MEAN_RGB as unknown as number[])), 255) as tf.Tensor4D;
    let out = convLayer(x, net.convDown, 2, true, 'valid');
    out = tf.maxPool(out, 3, 2, 'valid');
    for (const b of net.blocks) out = b.down ? residualDown(out, b.params) : residual(out, b.params);
    const pooled = tf.mean(out, [1, 2]) as tf.Tensor2D;
    return tf.matMul(pooled, net.fc);
  });
}
