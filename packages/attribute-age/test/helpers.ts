import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

export const TESTDATA = join(import.meta.dirname, '..', 'testdata');

/** Reads a binary PPM (P6, 8-bit) from testdata as raw RGB bytes. */
export function readPpm(name: string): { width: number; height: number; data: Uint8Array } {
  const bytes = readFileSync(join(TESTDATA, `${name}.ppm`));
  const text = bytes.subarray(0, 32).toString('latin1');
  const m = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(text);
  if (!m) throw new Error(`${name}.ppm is not a binary 8-bit PPM`);
  const width = Number(m[1]);
  const height = Number(m[2]);
  return { width, height, data: bytes.subarray(m[0].length, m[0].length + width * height * 3) };
}

/** Test photographs as one NHWC batch in [-1, 1]. */
export function loadFaces(names: string[]): tf.Tensor4D {
  return tf.tidy(() => {
    const imgs = names.map((n) => {
      const { width, height, data } = readPpm(n);
      return tf.sub(tf.div(tf.tensor3d(new Float32Array(data), [height, width, 3]), 127.5), 1);
    });
    return tf.stack(imgs) as tf.Tensor4D;
  });
}

/** Raw 0..255 pixels of the test photographs (NHWC). */
export function loadPixels(names: string[]): tf.Tensor4D {
  return tf.tidy(() => tf.stack(names.map((n) => {
    const { width, height, data } = readPpm(n);
    return tf.tensor3d(new Float32Array(data), [height, width, 3]);
  })) as tf.Tensor4D);
}

/** Largest |a − b| and largest |b|. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): { abs: number; ref: number } {
  let abs = 0;
  let ref = 0;
  for (let i = 0; i < b.length; i++) {
    abs = Math.max(abs, Math.abs(a[i] - b[i]));
    ref = Math.max(ref, Math.abs(b[i]));
  }
  return { abs, ref };
}
