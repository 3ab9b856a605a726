// Reads TensorFlow.js "weights manifest + .bin shards" into tfjs-core tensors, from a folder on
// disk (Node) or behind a URL (fetch, any runtime). Shared by the face plugins (attribute-face-id,
// attribute-pose, attribute-age); it holds no weights itself, so installing one plugin still pulls
// no other plugin. Imports no Node built-in, so the plugins' main entries bundle for a browser.
import { FaceError } from './errors.js';
import * as tf from '@tensorflow/tfjs-core';
import { joinLocation, parentLocation, readBytes, readText, type FileLocation } from '@gan-control/tensor-io';

/** One weight of a tfjs weights manifest (tfjs `WeightsManifestEntry`). */
export interface ManifestWeight {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  quantization?: { dtype: 'uint8' | 'uint16' | 'float16'; scale?: number; min?: number };
}

/** One shard group of a tfjs weights manifest. */
export interface ManifestGroup {
  paths: string[];
  weights: ManifestWeight[];
}

/** A decoded weight: plain values, ready for `tf.tensor`. */
export interface DecodedWeight {
  shape: number[];
  dtype: 'float32' | 'int32';
  values: Float32Array | Int32Array;
}

/**
 * The folder that holds `@vladmandic/face-api`'s pretrained weights (`model/` of the installed
 * package), the plugins' default `modelDir`. Only Node has an installed package to find (its
 * `createRequire`, obtained at run time, so browser bundles never import `node:module`); in a
 * browser it throws `FACE_WEIGHTS_MISSING`: pass `modelDir`, the URL of a folder with face-api's weights.
 *
 * @example
 * const dir = faceApiModelDir(); // .../node_modules/@vladmandic/face-api/model
 */
export function faceApiModelDir(): string {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const nodeModule =
    typeof proc?.getBuiltinModule === 'function'
      ? (proc.getBuiltinModule('node:module') as { createRequire(from: string): { resolve(spec: string): string } })
      : undefined;
  if (!nodeModule) {
    throw new FaceError(
      'FACE_WEIGHTS_MISSING',
      "faceApiModelDir: outside Node there is no installed @vladmandic/face-api to find; pass the plugin option 'modelDir': the URL of a folder that holds face-api's weights (the package's model/ folder, served over HTTP).",
    );
  }
  const require = nodeModule.createRequire(import.meta.url);
  return joinLocation(parentLocation(require.resolve('@vladmandic/face-api/package.json')), 'model');
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? Number.NaN : s * Number.POSITIVE_INFINITY;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

const BYTES = { float32: 4, int32: 4, uint8: 1, uint16: 2, float16: 2 } as const;

/**
 * Decodes the weights of a tfjs manifest from the concatenated bytes of each group's shards.
 * Quantized weights are dequantized as tfjs does: `uint8`/`uint16` → `q · scale + min`,
 * `float16` → float32. Weights are packed back to back with no alignment.
 *
 * @example
 * const weights = decodeWeights(manifest, [binBytes], 'pose');
 * weights.get('fc/weights')!.shape; // [256, 136]
 */
export function decodeWeights(manifest: ManifestGroup[], groupBytes: Uint8Array[], plugin: string): Map<string, DecodedWeight> {
  const out = new Map<string, DecodedWeight>();
  manifest.forEach((group, g) => {
    const bytes = groupBytes[g];
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let offset = 0;
    for (const w of group.weights) {
      const size = w.shape.reduce((a, b) => a * b, 1);
      const q = w.quantization;
      const stored = q ? q.dtype : w.dtype;
      if (!(stored in BYTES)) {
        throw new FaceError(
          'FACE_WEIGHTS_DTYPE',
          `${plugin}: weight '${w.name}' has unsupported stored dtype '${stored}' (supported: ${Object.keys(BYTES).join(', ')}).`,
        );
      }
      const nbytes = size * BYTES[stored];
      if (offset + nbytes > bytes.byteLength) {
        throw new FaceError(
          'FACE_WEIGHTS_TRUNCATED',
          `${plugin}: weight '${w.name}' needs bytes ${offset}..${offset + nbytes} but shard group ${g} (${group.paths.join(', ')}) has ${bytes.byteLength}; the .bin file is truncated or does not match its manifest. Reinstall @vladmandic/face-api.`,
        );
      }
      const values = w.dtype === 'int32' ? new Int32Array(size) : new Float32Array(size);
      for (let i = 0; i < size; i++) {
        const at = offset + i * BYTES[stored];
        let v: number;
        if (stored === 'uint8') v = view.getUint8(at);
        else if (stored === 'uint16') v = view.getUint16(at, true);
        else if (stored === 'float16') v = halfToFloat(view.getUint16(at, true));
        else if (stored === 'int32') v = view.getInt32(at, true);
        else v = view.getFloat32(at, true);
        if (q && (q.dtype === 'uint8' || q.dtype === 'uint16')) {
          if (q.scale === undefined || q.min === undefined) {
            throw new FaceError(
              'FACE_WEIGHTS_QUANTIZATION',
              `${plugin}: weight '${w.name}' is ${q.dtype}-quantized but its manifest entry lacks scale/min.`,
            );
          }
          v = v * q.scale + q.min;
        }
        values[i] = v;
      }
      out.set(w.name, { shape: w.shape, dtype: w.dtype, values });
      offset += nbytes;
    }
    if (offset !== bytes.byteLength) {
      throw new FaceError(
        'FACE_WEIGHTS_TRUNCATED',
        `${plugin}: shard group ${g} (${group.paths.join(', ')}) has ${bytes.byteLength} bytes but its manifest describes ${offset}; the files do not match.`,
      );
    }
  });
  return out;
}

/**
 * Loads `<dir>/<model>-weights_manifest.json` and its shards and returns one tfjs-core tensor per
 * weight on the active backend (the caller owns and disposes them). `dir` is a folder on disk
 * (Node) or a URL (fetched; e.g. face-api's `model/` folder served next to the page).
 *
 * @example
 * const w = await loadModelWeights('face_landmark_68_model', faceApiModelDir(), 'pose');
 * const v = await loadModelWeights('face_landmark_68_model', 'https://example.org/face-api/model/', 'pose');
 * // ... use w['fc/weights'] ...; tf.dispose(Object.values(w));
 */
export async function loadModelWeights(model: string, dir: FileLocation, plugin: string): Promise<Record<string, tf.Tensor>> {
  const manifestPath = joinLocation(dir, `${model}-weights_manifest.json`);
  let manifest: ManifestGroup[];
  try {
    manifest = JSON.parse(await readText(manifestPath)) as ManifestGroup[];
  } catch (e) {
    throw new FaceError(
      'FACE_WEIGHTS_MISSING',
      `${plugin}: cannot read the weights manifest '${manifestPath}' (${(e as Error).message}). The weights ship with @vladmandic/face-api; install it, or pass the folder that holds '${model}-weights_manifest.json' as the 'modelDir' option.`,
    );
  }
  const groupBytes: Uint8Array[] = [];
  for (const group of manifest) {
    const parts = await Promise.all(group.paths.map((p) => readBytes(joinLocation(dir, p))));
    const total = parts.reduce((n, p) => n + p.byteLength, 0);
    const joined = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      joined.set(p, at);
      at += p.byteLength;
    }
    groupBytes.push(joined);
  }
  const decoded = decodeWeights(manifest, groupBytes, plugin);
  const tensors: Record<string, tf.Tensor> = {};
  for (const [name, w] of decoded) tensors[name] = tf.tensor(w.values, w.shape, w.dtype);
  return tensors;
}
