// Node only (`@gan-control/tensor-io/node`): decoding and PNG encoding go through sharp. `imageToTensor` is isomorphic and lives in raw-image.ts (re-exported here).
import type * as tf from '@tensorflow/tfjs-core';
import { TensorIoError } from './errors.js';
import { limitError } from './limits.js';
import { encodePng } from './png.js';
import type { RawImage } from './raw-image.js';

export { imageToTensor } from './raw-image.js';

/** Options of `decodeImage`. */
export interface DecodeImageOptions {
  /** Output channels: 3 (default; alpha dropped, grey expanded) or 4 (alpha added if absent). */
  readonly channels?: 3 | 4;
  /**
   * Resize to this size (Lanczos3) when given. `fit: 'fill'` (default) stretches to exactly this
   * size; `fit: 'cover'` keeps the aspect ratio, scales the short side to fit and centre-crops the rest.
   */
  readonly resize?: { readonly width: number; readonly height: number; readonly fit?: 'fill' | 'cover' };
  /**
   * Most pixels (width × height) the image may have, as its header declares it, before anything is
   * decoded; also bounds `resize`. Default `DEFAULT_MAX_PIXELS` (2^24 = 4096 × 4096: 48 MB as RGB).
   * A small PNG or SVG can declare a huge canvas; raise this only for images you trust.
   */
  readonly maxPixels?: number;
}

/** Default `maxPixels` of `decodeImage`: 2^24 = 4096 × 4096 (16.7 megapixels). */
export const DEFAULT_MAX_PIXELS = 2 ** 24;

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
  if (!(bytes instanceof Uint8Array)) {
    throw new TensorIoError(
      'IMAGE_INVALID_INPUT',
      'decodeImage expects the bytes of an image as a Uint8Array (e.g. the result of fs.readFile).',
    );
  }
  const channels = options.channels ?? 3;
  if (channels !== 3 && channels !== 4) {
    throw new TensorIoError('IMAGE_INVALID_INPUT', `decodeImage: channels must be 3 or 4, got ${channels}.`);
  }
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (typeof maxPixels !== 'number' || !(maxPixels > 0)) {
    throw new TensorIoError(
      'IMAGE_INVALID_INPUT',
      `decodeImage: maxPixels must be a positive number (Infinity for none), got ${String(maxPixels)}.`,
    );
  }
  const raise = (n: number) => `decodeImage(bytes, { maxPixels: ${n} })`;
  if (options.resize) {
    const { width, height, fit } = options.resize;
    if (fit !== undefined && fit !== 'fill' && fit !== 'cover') {
      throw new TensorIoError('IMAGE_INVALID_INPUT', `decodeImage: resize.fit must be 'fill' or 'cover', got ${String(fit)}.`);
    }
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
      throw new TensorIoError(
        'IMAGE_INVALID_INPUT',
        `decodeImage: resize needs positive integer width and height, got ${String(width)}x${String(height)}.`,
      );
    }
    if (width * height > maxPixels) {
      throw limitError(
        'decodeImage',
        'maxPixels',
        width * height,
        maxPixels,
        `resizing to ${width}x${height} makes ${width * height} pixels`,
        raise(width * height),
      );
    }
  }
  const { default: sharp } = await import('sharp');
  // Only the header is read here, so a bomb is refused before a pixel is decoded; sharp's own
  // limitInputPixels stays on underneath as a second guard.
  const limitInputPixels = Number.isFinite(maxPixels) ? Math.max(1, Math.floor(maxPixels)) : false;
  let declared: { width?: number; height?: number; format?: string };
  try {
    declared = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw new TensorIoError(
      'IMAGE_DECODE_FAILED',
      `decodeImage: could not read the image header (${(error as Error).message}). Supported: PNG, JPEG (and other formats sharp reads).`,
      { cause: error },
    );
  }
  const pixels = (declared.width ?? 0) * (declared.height ?? 0);
  if (pixels > maxPixels) {
    throw limitError(
      'decodeImage',
      'maxPixels',
      pixels,
      maxPixels,
      `the ${declared.format ?? 'image'} declares ${declared.width}x${declared.height} = ${pixels} pixels`,
      raise(pixels),
    );
  }
  try {
    let pipeline = sharp(bytes, { limitInputPixels }).rotate().toColourspace('srgb');
    if (options.resize)
      pipeline = pipeline.resize(options.resize.width, options.resize.height, { fit: options.resize.fit ?? 'fill', position: 'centre' });
    pipeline = channels === 4 ? pipeline.ensureAlpha() : pipeline.removeAlpha();
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== channels) {
      throw new Error(`sharp returned ${info.channels} channels instead of ${channels}`);
    }
    return { width: info.width, height: info.height, channels, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } catch (error) {
    if (error instanceof TensorIoError) throw error;
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
    throw new TensorIoError(
      'IMAGE_INVALID_INPUT',
      `tensorToPng: expected NHWC [N, H, W, C] (or HWC), got shape ${JSON.stringify(images.shape)}.`,
    );
  }
  const [n, h, w, c] = images.rank === 4 ? images.shape : [1, ...images.shape];
  if (c !== 1 && c !== 3 && c !== 4) {
    throw new TensorIoError(
      'IMAGE_INVALID_INPUT',
      `tensorToPng: channels must be 1, 3 or 4 (NHWC), got ${c} in shape ${JSON.stringify(images.shape)}. NCHW tensors must be transposed first.`,
    );
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
  if (!Number.isInteger(pad) || pad < 0)
    throw new TensorIoError('IMAGE_INVALID_INPUT', `tensorToPng: padding must be a non-negative integer, got ${pad}.`);
  const W = cols * (w + pad) + pad;
  const H = rows * (h + pad) + pad;
  const out = new Uint8Array(W * H * c).fill(options.padValue ?? 0);
  for (let k = 0; k < n; k++) {
    const y0 = pad + Math.floor(k / cols) * (h + pad);
    const x0 = pad + (k % cols) * (w + pad);
    for (let y = 0; y < h; y++) {
      const src = bytes.subarray((k * h + y) * w * c, ((k * h + y) * w + w) * c);
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
  return Promise.all(
    Array.from({ length: n }, (_, k) => encodePng({ width: w, height: h, channels: c, data: bytes.slice(k * size, (k + 1) * size) })),
  );
}
