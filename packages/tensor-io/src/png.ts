// PNG encoding (Node only, `@gan-control/tensor-io/node`) through sharp (libpng), the image library
// the package already decodes with; in a browser, draw images to a canvas instead.
import { TensorIoError } from './errors.js';
import type { RawImage } from './raw-image.js';

export type { RawImage };

/**
 * Encodes an 8-bit image as PNG bytes.
 *
 * @example
 * ```ts
 * const png = await encodePng({ width: 2, height: 1, channels: 3, data: new Uint8Array([255, 0, 0, 0, 0, 255]) });
 * await writeFileAtomic('red-blue.png', png);
 * ```
 */
export async function encodePng(image: RawImage): Promise<Uint8Array> {
  const { width, height, channels, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new TensorIoError('PNG_INVALID_INPUT', `encodePng: width and height must be positive integers, got ${width}x${height}.`);
  }
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new TensorIoError('PNG_INVALID_INPUT', `encodePng: channels must be 1, 3 or 4, got ${channels}.`);
  }
  if (!(data instanceof Uint8Array) || data.length !== width * height * channels) {
    throw new TensorIoError(
      'PNG_INVALID_INPUT',
      `encodePng: data must be a Uint8Array of width*height*channels = ${width * height * channels} bytes, got ${data?.length}.`,
    );
  }
  const { default: sharp } = await import('sharp');
  // Lossless, maximum compression with libpng's adaptive row filters; no metadata, so the same
  // pixels always give the same bytes.
  const raw = sharp(data, { raw: { width, height, channels } });
  // One channel stays a greyscale PNG (sharp would otherwise widen it to RGB).
  const png = await (channels === 1 ? raw.toColourspace('b-w') : raw)
    .png({ compressionLevel: 9, adaptiveFiltering: true, palette: false })
    .toBuffer();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}
