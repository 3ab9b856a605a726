import * as tf from '@tensorflow/tfjs-core';
import { TensorIoError } from './errors.js';
import type { SafetensorsEntry, SafetensorsInput } from './safetensors.js';

/**
 * A read tensor entry → a tf.Tensor (float32 for float types, int32 for integer/bool types; I64
 * values must fit int32). The caller owns the result.
 *
 * @example
 * ```ts
 * const { tensors } = readSafetensors(bytes);
 * const w = entryToTensor(tensors['style.id.1.weight']);
 * ```
 */
export function entryToTensor(entry: SafetensorsEntry, name = 'tensor'): tf.Tensor {
  const { data, shape } = entry;
  if (data instanceof Float32Array) return tf.tensor(data, shape, 'float32');
  if (data instanceof Float64Array) {
    return entry.dtype === 'F64' ? tf.tensor(Float32Array.from(data), shape, 'float32') : toInt32(Array.from(data), shape, name);
  }
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    return toInt32(
      Array.from(data, (v) => Number(v)),
      shape,
      name,
    );
  }
  if (entry.dtype === 'BOOL') return tf.tensor(Int32Array.from(data as Uint8Array), shape, 'bool');
  return toInt32(Array.from(data as ArrayLike<number>), shape, name);
}

function toInt32(values: number[], shape: number[], name: string): tf.Tensor {
  for (const v of values) {
    if (v > 2147483647 || v < -2147483648) {
      throw new TensorIoError('SAFETENSORS_INVALID_INPUT', `${name}: integer value ${v} does not fit int32 (tf.js has no int64).`);
    }
  }
  return tf.tensor(Int32Array.from(values), shape, 'int32');
}

/**
 * A tf.Tensor → a `writeSafetensors` input (F32 for float32, I32 for int32, BOOL for bool).
 *
 * @example
 * ```ts
 * const bytes = writeSafetensors({ w: await tensorToEntry(w) });
 * ```
 */
export async function tensorToEntry(t: tf.Tensor): Promise<SafetensorsInput> {
  const data = await t.data();
  if (t.dtype === 'float32') return { shape: t.shape, data: data as Float32Array, dtype: 'F32' };
  if (t.dtype === 'int32') return { shape: t.shape, data: data as Int32Array, dtype: 'I32' };
  if (t.dtype === 'bool') return { shape: t.shape, data: Uint8Array.from(data as Uint8Array), dtype: 'BOOL' };
  throw new TensorIoError('SAFETENSORS_INVALID_INPUT', `tensorToEntry: dtype ${t.dtype} is not supported (float32, int32, bool).`);
}
