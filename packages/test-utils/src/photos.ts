import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeaks } from './leaks.js';

/** A binary PPM (P6, 8-bit) as raw RGB bytes. */
export interface PpmImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/**
 * Reads a binary 8-bit PPM (P6), the format of the face plugins' test photographs (no image
 * library needed). Throws, naming the file, when it is anything else.
 *
 * @example
 * ```ts
 * const { width, height, data } = readPpm('packages/attribute-age/testdata/camera.ppm');
 * ```
 */
export function readPpm(file: string): PpmImage {
  const bytes = readFileSync(file);
  const m = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(bytes.subarray(0, 32).toString('latin1'));
  if (!m) throw new Error(`${file} is not a binary 8-bit PPM (P6, maxval 255)`);
  const width = Number(m[1]);
  const height = Number(m[2]);
  const data = bytes.subarray(m[0].length, m[0].length + width * height * 3);
  if (data.length !== width * height * 3) throw new Error(`${file} is truncated: ${data.length} of ${width * height * 3} pixel bytes`);
  return { width, height, data };
}

/** The photographs of one testdata folder: `<dir>/<name>.ppm` and `<dir>/reference.json`. */
export interface PhotoFixtures {
  readonly dir: string;
  /** NHWC batch in [-1, 1] (the generator's range). */
  faces(names: readonly string[]): tf.Tensor4D;
  /** NHWC batch of raw 0..255 pixels. */
  pixels(names: readonly string[]): tf.Tensor4D;
  /** The parsed `reference.json` (upstream outputs on these photographs). */
  reference<T>(): T;
}

/**
 * Test photographs of a testdata folder as tensors.
 *
 * @example
 * ```ts
 * const photos = photoFixtures(join(import.meta.dirname, '..', 'testdata'));
 * const faces = photos.faces(['astronaut', 'camera']); // [2, H, W, 3] in [-1, 1]
 * const { age } = photos.reference<{ age: Record<string, number> }>();
 * ```
 */
export function photoFixtures(dir: string): PhotoFixtures {
  const load = (names: readonly string[], scale: number, shift: number): tf.Tensor4D =>
    tf.tidy(
      () =>
        tf.stack(
          names.map((n) => {
            const { width, height, data } = readPpm(join(dir, `${n}.ppm`));
            return tf.sub(tf.mul(tf.tensor3d(new Float32Array(data), [height, width, 3]), scale), shift);
          }),
        ) as tf.Tensor4D,
    );
  return {
    dir,
    faces: (names) => load(names, 1 / 127.5, 1),
    pixels: (names) => load(names, 1, 0),
    reference: <T>() => JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as T,
  };
}

/**
 * Largest |a − b| and largest |b| (for relative comparisons against a reference).
 *
 * @example
 * ```ts
 * const { abs, ref } = maxAbsDiff(rows[0], reference.descriptors.astronaut);
 * expect(abs / ref).toBeLessThan(1e-4);
 * ```
 */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): { abs: number; ref: number } {
  if (a.length !== b.length) throw new Error(`maxAbsDiff: lengths differ (${a.length} vs ${b.length})`);
  let abs = 0;
  let ref = 0;
  for (let i = 0; i < b.length; i++) {
    abs = Math.max(abs, Math.abs(a[i] - b[i]));
    ref = Math.max(ref, Math.abs(b[i]));
  }
  return { abs, ref };
}

/**
 * Runs `fn` with `backend` active and restores the previous backend afterwards, also when `fn`
 * throws.
 *
 * @example
 * ```ts
 * it('matches upstream on wasm', () => onBackend('wasm', async () => { ... }));
 * ```
 */
export async function onBackend<T>(backend: string, fn: () => T | Promise<T>): Promise<T> {
  const previous = tf.getBackend();
  if (!(await tf.setBackend(backend))) throw new Error(`onBackend: backend '${backend}' could not be initialised`);
  await tf.ready();
  try {
    return await fn();
  } finally {
    await tf.setBackend(previous);
  }
}

/**
 * Rows of `fn(images)` as nested arrays; disposes `images` and the result and throws when
 * anything else is left alive (a leak check around a plugin forward).
 *
 * @example
 * ```ts
 * const rows = measureRows((x) => attr.measure!(x), photos.faces(['camera']));
 * ```
 */
export function measureRows(fn: (images: tf.Tensor4D) => tf.Tensor2D, images: tf.Tensor4D): number[][] {
  const rows = expectNoLeaks(
    () => {
      const out = fn(images);
      const r = out.arraySync();
      out.dispose();
      return r;
    },
    { label: 'the forward' },
  );
  images.dispose();
  return rows;
}
