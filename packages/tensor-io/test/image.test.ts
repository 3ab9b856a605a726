import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { expectNoLeaks } from '@gan-control/test-utils';
import { decodeImage, imageToTensor, tensorToPng, tensorToPngs } from '../src/image.js';
import { crc32 } from '../src/crc32.js';
import { encodePng } from '../src/png.js';

function pattern(w: number, h: number, c: number): Uint8Array {
  const d = new Uint8Array(w * h * c);
  for (let i = 0; i < d.length; i++) d[i] = (i * 37 + ((i / c) | 0) * 11) & 0xff;
  return d;
}

describe('PNG and images', () => {
  it('crc32 matches the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it.each([1, 3, 4] as const)('encodePng is decoded exactly by libpng (channels %i)', async (c) => {
    const data = pattern(13, 7, c);
    const png = await encodePng({ width: 13, height: 7, channels: c, data });
    // The colour type follows the channels (0 grey, 2 RGB, 6 RGBA), 8 bits each.
    expect([png[24], png[25]]).toEqual([8, c === 1 ? 0 : c === 3 ? 2 : 6]);
    const decoded = c === 1 ? sharp(png).toColourspace('b-w') : sharp(png);
    const { data: out, info } = await decoded.raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([13, 7, c]);
    expect(Array.from(out)).toEqual(Array.from(data));
  });

  it('encodePng validates its input', async () => {
    await expect(encodePng({ width: 2, height: 2, channels: 3, data: new Uint8Array(5) })).rejects.toThrow(/12 bytes/);
    await expect(encodePng({ width: 0, height: 2, channels: 3, data: new Uint8Array(0) })).rejects.toThrow(/positive integers/);
  });

  it('encodePng gives the same bytes for the same pixels', async () => {
    const data = pattern(9, 5, 3);
    const a = await encodePng({ width: 9, height: 5, channels: 3, data });
    const b = await encodePng({ width: 9, height: 5, channels: 3, data: data.slice() });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  it('decodeImage reads PNG and JPEG, imageToTensor maps to [-1, 1]', async () => {
    const data = pattern(8, 6, 4);
    const rgba = await decodeImage(await encodePng({ width: 8, height: 6, channels: 4, data }), { channels: 4 });
    expect(Array.from(rgba.data)).toEqual(Array.from(data));
    const rgb = await decodeImage(await encodePng({ width: 8, height: 6, channels: 4, data }));
    expect(rgb.channels).toBe(3);
    expect(rgb.data[3]).toBe(data[4]);
    const jpeg = await sharp(Buffer.from(pattern(16, 16, 3)), { raw: { width: 16, height: 16, channels: 3 } })
      .jpeg({ quality: 95 })
      .toBuffer();
    const j = await decodeImage(new Uint8Array(jpeg), { resize: { width: 8, height: 4 } });
    expect([j.width, j.height, j.channels]).toEqual([8, 4, 3]);
    const t = imageToTensor({ width: 2, height: 1, channels: 3, data: new Uint8Array([0, 255, 127.5, 51, 0, 255]) });
    expect(t.shape).toEqual([1, 1, 2, 3]);
    const v = await t.data();
    expect(v[0]).toBe(-1);
    expect(v[1]).toBe(1);
    t.dispose();
    await expect(decodeImage(new Uint8Array([1, 2, 3]))).rejects.toMatchObject({ code: 'IMAGE_DECODE_FAILED' });
  });

  it("resize fit 'cover' centre-crops to the aspect ratio; EXIF orientation is applied", async () => {
    // 4 columns × 2 rows: left half black, right half white; 'cover' to 2×2 keeps the middle columns.
    const w = 8,
      h = 2;
    const data = Uint8Array.from({ length: w * h * 3 }, (_, i) => (Math.floor(i / 3) % w < w / 2 ? 0 : 255));
    const png = await encodePng({ width: w, height: h, channels: 3, data });
    const cover = await decodeImage(png, { resize: { width: 2, height: 2, fit: 'cover' } });
    expect([cover.width, cover.height]).toEqual([2, 2]);
    expect(cover.data[0]).toBeLessThan(128); // left column from the black half
    expect(cover.data[3]).toBeGreaterThan(127); // right column from the white half
    const fill = await decodeImage(png, { resize: { width: 2, height: 2 } });
    expect([fill.width, fill.height]).toEqual([2, 2]);
    await expect(decodeImage(png, { resize: { width: 2, height: 2, fit: 'contain' as never } })).rejects.toMatchObject({
      code: 'IMAGE_INVALID_INPUT',
    });
    // A JPEG stored 4×2 with EXIF orientation 6 (rotate 90° clockwise) decodes as 2×4.
    const jpeg = await sharp(Buffer.from(data), { raw: { width: w, height: h, channels: 3 } })
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const rotated = await decodeImage(new Uint8Array(jpeg));
    expect([rotated.width, rotated.height]).toEqual([h, w]);
  });

  it('tensorToPng maps x*0.5+0.5 clamped, builds grids, and leaks nothing', async () => {
    await expectNoLeaks(
      async () => {
        const img = tf.tensor4d([-1, 0, 1, 2, -3, 0.5], [1, 1, 2, 3]);
        const png = await tensorToPng(img);
        const { data } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
        expect(Array.from(data)).toEqual([0, 128, 255, 255, 0, 191]);
        const batch = tf.tidy(() => tf.concat([img, tf.neg(img), img, tf.neg(img), img], 0));
        const grid = await tensorToPng(batch, { grid: { rows: 2, cols: 3 }, padding: 1, padValue: 7 });
        const meta = await sharp(grid).metadata();
        expect([meta.width, meta.height]).toEqual([3 * (2 + 1) + 1, 2 * (1 + 1) + 1]);
        const g = await sharp(grid).raw().toBuffer();
        expect(Array.from(g.subarray(0, 3))).toEqual([7, 7, 7]);
        const W = 10;
        // second cell of the first row: x0 = 1 + 3 = 4, y0 = 1 → the negated image
        expect(Array.from(g.subarray((1 * W + 4) * 3, (1 * W + 4) * 3 + 3))).toEqual([255, 128, 0]);
        await expect(tensorToPng(batch, { grid: { rows: 1, cols: 2 } })).rejects.toThrow(/cannot hold 5 images/);
        await expect(tensorToPng(tf.zeros([1, 3, 6, 6]))).rejects.toThrow(/NCHW/);
        const pngs = await tensorToPngs(batch);
        expect(pngs).toHaveLength(5);
        img.dispose();
        batch.dispose();
      },
      { allowed: 1, label: 'tensorToPng' },
    ); // the rejected NCHW zeros tensor (test-owned)
  });
});
