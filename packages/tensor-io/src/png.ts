// Minimal PNG encoder (ISO/IEC 15948 / W3C PNG spec): 8-bit grey, RGB or RGBA, one IDAT,
// per-row adaptive filter (the "minimum sum of absolute differences" heuristic of libpng).
// Node only (`@gan-control/tensor-io/node`): the IDAT stream is node:zlib's level-9 deflate, so every
// PNG the project writes stays byte-identical; in a browser, draw images to a canvas instead.
import { deflateSync } from 'node:zlib';
import { crc32 } from './crc32.js';
import { TensorIoError } from './errors.js';
import type { RawImage } from './raw-image.js';

export { crc32 };
export type { RawImage };

function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, body.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(body, 8);
  view.setUint32(8 + body.length, crc32(out.subarray(4, 8 + body.length)));
  return out;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/**
 * Encodes an 8-bit image as PNG bytes.
 *
 * @example
 * ```ts
 * const png = encodePng({ width: 2, height: 1, channels: 3, data: new Uint8Array([255, 0, 0, 0, 0, 255]) });
 * await writeFileAtomic('red-blue.png', png);
 * ```
 */
export function encodePng(image: RawImage): Uint8Array {
  const { width, height, channels, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new TensorIoError('PNG_INVALID_INPUT', `encodePng: width and height must be positive integers, got ${width}x${height}.`);
  }
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new TensorIoError('PNG_INVALID_INPUT', `encodePng: channels must be 1, 3 or 4, got ${channels}.`);
  }
  if (!(data instanceof Uint8Array) || data.length !== width * height * channels) {
    throw new TensorIoError('PNG_INVALID_INPUT', `encodePng: data must be a Uint8Array of width*height*channels = ${width * height * channels} bytes, got ${data?.length}.`);
  }
  const stride = width * channels;
  const raw = new Uint8Array(height * (stride + 1));
  const cand = [0, 1, 2, 3, 4].map(() => new Uint8Array(stride));
  const zero = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const row = data.subarray(y * stride, (y + 1) * stride);
    const up = y > 0 ? data.subarray((y - 1) * stride, y * stride) : zero;
    let best = 0;
    let bestSum = Infinity;
    for (let f = 0; f < 5; f++) {
      const out = cand[f];
      let sum = 0;
      for (let i = 0; i < stride; i++) {
        const a = i >= channels ? row[i - channels] : 0;
        const b = up[i];
        const c = i >= channels ? up[i - channels] : 0;
        const pred = f === 0 ? 0 : f === 1 ? a : f === 2 ? b : f === 3 ? (a + b) >> 1 : paeth(a, b, c);
        const v = (row[i] - pred) & 0xff;
        out[i] = v;
        sum += v < 128 ? v : 256 - v;
      }
      if (sum < bestSum) {
        bestSum = sum;
        best = f;
      }
    }
    raw[y * (stride + 1)] = best;
    raw.set(cand[best], y * (stride + 1) + 1);
  }
  const ihdr = new Uint8Array(13);
  const hv = new DataView(ihdr.buffer);
  hv.setUint32(0, width);
  hv.setUint32(4, height);
  ihdr[8] = 8;
  ihdr[9] = channels === 1 ? 0 : channels === 3 ? 2 : 6;
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', new Uint8Array(deflateSync(raw, { level: 9 }))),
    chunk('IEND', new Uint8Array(0)),
  ];
  const total = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(total);
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}
