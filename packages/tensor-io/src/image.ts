// Node only (`@gan-control/tensor-io/node`): decoding goes through sharp, PNG encoding through
// node:zlib. `imageToTensor` is isomorphic and lives in raw-image.ts (re-exported here).
import type * as tf from '@tensorflow/tfjs-core';
import { TensorIoError } from './errors.js';
import { encodePng } from './png.js';
import type { RawImage } from './raw-image.js';

export { imageToTensor } from './raw-image.js';

/** Options of `decodeImage`. */
export interface DecodeImageOptions {
  /** Output channels: 3 (default; alpha dropped, grey expanded) or 4 (alpha added if absent). */
  readonly channels?: 3 | 4;
  /** Resize to this size (sharp `fit: 'fill'`, Lanczos3) when given. */
  readonly resize?: { readonly width: number; readonly height: number };
}

/**
 * Decodes PNG or JPEG (anything sharp reads) to 8-bit interleaved RGB(A) with sRGB colours.
 *
 * @example
 * ```ts
 * const image = await decodeImage(await readFile('face.jpg'));   // { width, height, channels: 3, data }
 * const t = imageToTensor(image);                                // [1, H, W, 3] in [-1, 1]
 * ```
 */
export async function decodeImage(bytes: Uint8Array, options: DecodeImageOptions = {}): Promise<RawImage> {
  const channels = options.channels ?? 3;
  if (channels !== 3 && channels !== 4) {
    throw new TensorIoError('IMAGE_INVALID_INPUT', `decodeImage: channels must be 3 or 4, got ${channels}.`);
  }
  const { default: sharp } = await import('sharp');
  try {
    let pipeline = sharp(bytes).rotate().toColourspace('srgb');
    if (options.resize) pipeline = pipeline.resize(options.resize.width, options.resize.height, { fit: 'fill' });
    pipeline = channels === 4 ? pipeline.ensureAlpha() : pipeline.removeAlpha();
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== channels) {
      throw new Error(`sharp returned ${info.channels} channels instead of ${channels}`);
    }
    return { width: info.width, height: info.height, channels, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } catch (error) {
    throw new TensorIoError(
      'IMAGE_DECODE_FAILED',
      `decodeImage: could not decode the image (${(error as Error).message}). Supported: PNG, JPEG (and other formats sharp reads).`,
      { cause: error },
    );
  }
}

/** Options of `tensorToPng`. */
export interface TensorToPngOptions {
  /** Grid layout for a batch; default: `cols = ceil(sqrt(N))`, `rows = ceil(N / cols)`. */
  readonly grid?: { readonly rows: number; readonly cols: number };
  /** Pixels between (and around) grid cells; default 0 for one image, 2 for a grid (torchvision `make_grid`). */
  readonly padding?: number;
  /** Value of the padding pixels, in [0, 255]; default 0 (black). */
  readonly padValue?: number;
}

function toBytes(values: Float32Array | Int32Array | Uint8Array): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    // Official display mapping: x*0.5+0.5 clamped to [0,1]; bytes as torchvision save_image
    // (mul 255, add 0.5, clamp, truncate).
    const v = Math.min(Math.max(values[i] * 0.5 + 0.5, 0), 1);
    out[i] = Math.floor(v * 255 + 0.5);
  }
  return out;
}

function readImages(images: tf.Tensor): { n: number; h: number; w: number; c: 1 | 3 | 4 } {
  if (images.rank !== 4 && images.rank !== 3) {
    throw new TensorIoError('IMAGE_INVALID_INPUT', `tensorToPng: expected NHWC [N, H, W, C] (or HWC), got shape ${JSON.stringify(images.shape)}.`);
  }
  const [n, h, w, c] = images.rank === 4 ? images.shape : [1, ...images.shape];
  if (c !== 1 && c !== 3 && c !== 4) {
    throw new TensorIoError('IMAGE_INVALID_INPUT', `tensorToPng: channels must be 1, 3 or 4 (NHWC), got ${c} in shape ${JSON.stringify(images.shape)}. NCHW tensors must be transposed first.`);
  }
  return { n, h, w, c };
}

/**
 * Images NHWC in [-1, 1] → one PNG (a grid for a batch). Does not dispose `images`.
 *
 * @example
 * ```ts
 * const img = G.synthesis(G.mapping(z));
 * await writeFileAtomic('samples.png', await tensorToPng(img, { grid: { rows: 2, cols: 4 } }));
 * ```
 */
export async function tensorToPng(images: tf.Tensor, options: TensorToPngOptions = {}): Promise<Uint8Array> {
  const { n, h, w, c } = readImages(images);
  const bytes = toBytes(await images.data<'float32'>());
  if (n === 1 && !options.grid && !options.padding) return encodePng({ width: w, height: h, channels: c, data: bytes });
  const cols = options.grid?.cols ?? Math.ceil(Math.sqrt(n));
  const rows = options.grid?.rows ?? Math.ceil(n / cols);
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1 || rows * cols < n) {
    throw new TensorIoError('IMAGE_INVALID_INPUT', `tensorToPng: grid ${rows}x${cols} cannot hold ${n} images.`);
  }
  const pad = options.padding ?? 2;
  if (!Number.isInteger(pad) || pad < 0) throw new TensorIoError('IMAGE_INVALID_INPUT', `tensorToPng: padding must be a non-negative integer, got ${pad}.`);
  const W = cols * (w + pad) + pad;
  const H = rows * (h + pad) + pad;
  const out = new Uint8Array(W * H * c).fill(options.padValue ?? 0);
  for (let k = 0; k < n; k++) {
    const y0 = pad + Math.floor(k / cols) * (h + pad);
    const x0 = pad + (k % cols) * (w + pad);
    for (let y = 0; y < h; y++) {
      const src = bytes.subarray(((k * h + y) * w) * c, ((k * h + y) * w + w) * c);
      out.set(src, ((y0 + y) * W + x0) * c);
    }
  }
  return encodePng({ width: W, height: H, channels: c, data: out });
}

/**
 * Images NHWC in [-1, 1] → one PNG per image. Does not dispose `images`.
 *
 * @example
 * ```ts
 * const pngs = await tensorToPngs(img);
 * for (const [i, png] of pngs.entries()) await writeFileAtomic(`out/${i}.png`, png);
 * ```
 */
export async function tensorToPngs(images: tf.Tensor): Promise<Uint8Array[]> {
  const { n, h, w, c } = readImages(images);
  const bytes = toBytes(await images.data<'float32'>());
  const size = h * w * c;
  return Array.from({ length: n }, (_, k) => encodePng({ width: w, height: h, channels: c, data: bytes.slice(k * size, (k + 1) * size) }));
}
