import * as tf from '@tensorflow/tfjs-core';
import type { RawImage } from '@gan-control/tensor-io';
import { EncodersError } from './errors.js';

/** Options of `prepareImage` / `decodeForProjection`. */
export interface PrepareImageOptions {
  /** Accept an image without colour (every pixel R = G = B); default false (an error). */
  readonly allowGrayscale?: boolean;
  /** Colour transparent pixels are laid over, 0–255 RGB; default black (the shapes background). */
  readonly background?: readonly [number, number, number];
  /** Shorter side below which an image is refused as too small; default `resolution / 2`. */
  readonly minSide?: number;
}

/**
 * A user's image → the model's input, `[1, R, R, 3]` in [-1, 1]. The rule:
 *
 * 1. transparent pixels are composited over `background` (default black);
 * 2. the largest centred square is kept (the longer side is cut equally on both ends, the odd
 *    pixel at the end);
 * 3. it is resampled to R × R by **area averaging**: each output pixel is the mean of the source
 *    area it covers, with fractional overlaps at its borders (a box filter: antialiased when
 *    shrinking, blocky-but-exact when enlarging).
 *
 * Refused, with an `ENCODERS_BAD_IMAGE` error saying why: a shorter side under `minSide`
 * (default R/2: enlarging more than 2× invents the picture), and an image without colour (every
 * pixel R = G = B) unless `allowGrayscale` — a colour model's attributes include colour, which a
 * greyscale image cannot show. Isomorphic: decoding is tensor-io's (`@gan-control/tensor-io/node`
 * `decodeImage`, sharp: PNG, JPEG, EXIF orientation applied, sRGB).
 *
 * @example
 * import { decodeImage } from '@gan-control/tensor-io/node';
 * const x = prepareImage(await decodeImage(await readFile('photo.jpg'), { channels: 4 }), 32); // [1, 32, 32, 3]
 */
export function prepareImage(image: RawImage, resolution: number, options: PrepareImageOptions = {}): tf.Tensor4D {
  const { width, height, channels, data } = image;
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new EncodersError(
      'ENCODERS_BAD_IMAGE',
      `the image has ${channels} channels; give grey, RGB or RGBA pixels (tensor-io's decodeImage(bytes, { channels: 4 }) gives RGBA for any PNG or JPEG)`,
    );
  }
  const minSide = options.minSide ?? Math.ceil(resolution / 2);
  const side = Math.min(width, height);
  if (side < minSide) {
    throw new EncodersError(
      'ENCODERS_BAD_IMAGE',
      `the image is ${width}×${height} px, too small for this ${resolution}×${resolution} model: its shorter side must be at least ${minSide} px (it is centre-cropped to a square and resized to ${resolution}×${resolution}); give a larger image`,
      { details: { reason: 'too-small', width, height, minSide, resolution } },
    );
  }
  const bg = options.background ?? [0, 0, 0];
  // Composited, centre-cropped RGB as float64 in [0, 255].
  const x0 = Math.floor((width - side) / 2);
  const y0 = Math.floor((height - side) / 2);
  const rgb = new Float64Array(side * side * 3);
  let colour = false;
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const s = ((y0 + y) * width + (x0 + x)) * channels;
      const a = channels === 4 ? data[s + 3] / 255 : 1;
      const o = (y * side + x) * 3;
      for (let c = 0; c < 3; c++) rgb[o + c] = data[s + (channels === 1 ? 0 : c)] * a + bg[c] * (1 - a);
      if (channels !== 1 && (data[s] !== data[s + 1] || data[s + 1] !== data[s + 2])) colour = true;
    }
  }
  if (!colour && !options.allowGrayscale) {
    throw new EncodersError('ENCODERS_BAD_IMAGE', `${GREYSCALE_REFUSAL} (or pass allowGrayscale: true to project it anyway)`, {
      details: { reason: 'greyscale', option: 'allowGrayscale' },
    });
  }
  const weights = areaWeights(side, resolution);
  // Separable: rows first (side × side → R × side), then columns (→ R × R).
  const tmp = new Float64Array(resolution * side * 3);
  for (let i = 0; i < resolution; i++) {
    for (const [j, wgt] of weights[i]) {
      for (let x = 0; x < side; x++) {
        const s = (j * side + x) * 3;
        const o = (i * side + x) * 3;
        tmp[o] += wgt * rgb[s];
        tmp[o + 1] += wgt * rgb[s + 1];
        tmp[o + 2] += wgt * rgb[s + 2];
      }
    }
  }
  const out = new Float32Array(resolution * resolution * 3);
  for (let y = 0; y < resolution; y++) {
    for (let i = 0; i < resolution; i++) {
      let r = 0,
        g = 0,
        b = 0;
      for (const [j, wgt] of weights[i]) {
        const s = (y * side + j) * 3;
        r += wgt * tmp[s];
        g += wgt * tmp[s + 1];
        b += wgt * tmp[s + 2];
      }
      const o = (y * resolution + i) * 3;
      // The project's image convention: x / 127.5 − 1 (as tensor-io's imageToTensor).
      out[o] = r / 127.5 - 1;
      out[o + 1] = g / 127.5 - 1;
      out[o + 2] = b / 127.5 - 1;
    }
  }
  return tf.tensor4d(out, [1, resolution, resolution, 3]);
}

/** Why a greyscale image is refused (without the remedy, which the caller words: an option or a flag). */
export const GREYSCALE_REFUSAL =
  'the image has no colour (every pixel has R = G = B: a greyscale image); this model makes colour images and colour is one of its attributes, so a projection cannot recover it. Give a colour image';

/** For each of `to` output cells, the source cells of `[0, from)` it overlaps and their weights (summing to 1). */
function areaWeights(from: number, to: number): [number, number][][] {
  const scale = from / to;
  return Array.from({ length: to }, (_, i) => {
    const a = i * scale;
    const b = (i + 1) * scale;
    const cells: [number, number][] = [];
    for (let j = Math.floor(a); j < Math.min(from, Math.ceil(b)); j++) {
      const overlap = Math.min(b, j + 1) - Math.max(a, j);
      if (overlap > 1e-12) cells.push([j, overlap / scale]);
    }
    return cells;
  });
}
