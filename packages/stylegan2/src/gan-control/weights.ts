import { readSafetensors, readTorchCheckpoint, torchStateDict, TorchTensor } from '@gan-control/tensor-io';
import { GanControlModelError } from './errors.js';

/** A float32 tensor in the official (PyTorch) layout. */
export interface GanControlTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Official weights: a state_dict by name. */
export type GanControlStateDict = Record<string, GanControlTensor>;

/** Where weights come from: checkpoint or safetensors bytes, or an already-read state_dict. */
export type GanControlWeightsSource = Uint8Array | Record<string, { readonly shape: readonly number[]; readonly data: ArrayLike<number> }>;

function toFloat32(
  name: string,
  t: { shape: readonly number[]; data: ArrayLike<number> | BigInt64Array | BigUint64Array },
  source: string,
): GanControlTensor {
  if (t.data instanceof Float32Array) return { shape: [...t.shape], data: t.data };
  if (t.data instanceof BigInt64Array || t.data instanceof BigUint64Array) {
    throw new GanControlModelError(
      'GAN_CONTROL_WEIGHTS_INVALID',
      `${source}: tensor "${name}" is an integer tensor; model weights must be floating point.`,
    );
  }
  return { shape: [...t.shape], data: Float32Array.from(t.data as ArrayLike<number>) };
}

/**
 * Resolves a weights source to a float32 state_dict. Bytes starting with `PK` are read as a
 * PyTorch zip checkpoint (restricted unpickler) and `key` picks the state_dict (`g_ema` for the
 * generator, `d` for the discriminator, `controller` for an encoder); other bytes are read as
 * safetensors holding that state_dict directly.
 */
export function resolveStateDict(source: GanControlWeightsSource, key: string, what: string): GanControlStateDict {
  if (source instanceof Uint8Array) {
    if (source[0] === 0x50 && source[1] === 0x4b) {
      const sd = torchStateDict(readTorchCheckpoint(source, { source: what }), key, what);
      const out: GanControlStateDict = {};
      for (const [name, t] of Object.entries(sd)) out[name] = toFloat32(name, t as TorchTensor, what);
      return out;
    }
    const { tensors } = readSafetensors(source);
    const out: GanControlStateDict = {};
    for (const [name, t] of Object.entries(tensors)) out[name] = toFloat32(name, t, what);
    return out;
  }
  const out: GanControlStateDict = {};
  for (const [name, t] of Object.entries(source)) out[name] = toFloat32(name, t, what);
  return out;
}

/** Fetches a tensor, checking its rank (and optionally its exact shape). */
export function need(sd: GanControlStateDict, name: string, what: string, rank: number, shape?: readonly number[]): GanControlTensor {
  const t = sd[name];
  if (!t) {
    throw new GanControlModelError(
      'GAN_CONTROL_WEIGHTS_INVALID',
      `${what}: tensor "${name}" is missing. Is this the right state_dict (g_ema for the generator, d for the discriminator) and does args.json match the checkpoint?`,
    );
  }
  if (t.shape.length !== rank || (shape && !shape.every((d, i) => d === t.shape[i]))) {
    throw new GanControlModelError(
      'GAN_CONTROL_WEIGHTS_INVALID',
      `${what}: tensor "${name}" has shape [${t.shape.join(', ')}], expected ${shape ? `[${shape.join(', ')}]` : `rank ${rank}`}. args.json and the checkpoint do not match.`,
    );
  }
  return t;
}
