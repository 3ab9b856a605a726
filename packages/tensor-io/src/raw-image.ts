// Isomorphic image helpers (no Node built-in): the 8-bit image type and its tensor form.
import * as tf from '@tensorflow/tfjs-core';
import { TensorIoError } from './errors.js';

/** An 8-bit interleaved image. */
export interface RawImage {
  readonly width: number;
  readonly height: number;
  /** 1 (grey), 3 (RGB) or 4 (RGBA). */
  readonly channels: 1 | 3 | 4;
  /** `height * width * channels` bytes, row-major, interleaved. */
  readonly data: Uint8Array;
}

/**
 * An 8-bit image → a float32 tensor `[1, H, W, C]` in [-1, 1] (`x / 127.5 - 1`), the project's
 * image convention.
 *
 * @example
 * ```ts
 * const x = imageToTensor(await decodeImage(bytes, { resize: { width: 256, height: 256 } }));
 * ```
 */
export function imageToTensor(image: RawImage): tf.Tensor4D {
  const { width, height, channels, data } = image;
  if (data.length !== width * height * channels) {
    throw new TensorIoError(
      'IMAGE_INVALID_INPUT',
      `imageToTensor: data has ${data.length} bytes, expected ${width}x${height}x${channels}.`,
    );
  }
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i] / 127.5 - 1;
  return tf.tensor4d(out, [1, height, width, channels]);
}
