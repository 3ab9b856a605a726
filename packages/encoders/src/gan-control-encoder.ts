/**
 * The official GAN-Control controller encoder (`FcStack` of
 * `src/gan_control/models/controller_model.py`): `n_mlp` EqualLinear layers with lr multiplier
 * 0.01 and fused leaky-ReLU on **every** layer (the last one included), no normalisation:
 * `x ← sqrt(2)·leaky_relu(x @ (W·0.01/sqrt(in))ᵀ + b·0.01, 0.2)`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readSafetensors, readTorchCheckpoint, torchStateDict } from '@gan-control/tensor-io';
import { EncodersError } from './errors.js';

const LR_MUL = 0.01;

/** A loaded official controller encoder: attribute values `y` → the group's w slice. */
export interface GanControlEncoder {
  /** Input width (e.g. 3 for orientation: yaw, pitch, roll in degrees). */
  readonly inDim: number;
  /** Output width = the group's latent size. */
  readonly outDim: number;
  /** Number of layers (`n_mlp`). */
  readonly numLayers: number;
  /** `[N, inDim]` → `[N, outDim]`. */
  encode(y: tf.Tensor2D): tf.Tensor2D;
  dispose(): void;
}

/** Options of `loadGanControlEncoder`. */
export interface LoadGanControlEncoderOptions {
  /** State_dict key inside a controller checkpoint (default `controller`). */
  readonly key?: string;
  /** Name of the file in error messages. */
  readonly source?: string;
}

type Tensors = Record<string, { shape: readonly number[]; data: ArrayLike<number> | BigInt64Array | BigUint64Array }>;

/**
 * Loads an official controller encoder from its checkpoint (`torch.save({"controller":
 * FcStack.state_dict(), "controller_optim": ...})`, read with the restricted unpickler, nothing
 * executed) or from a safetensors file of the `FcStack` state_dict (`fc_stack.<i>.weight/bias`).
 *
 * @example
 * ```ts
 * const E = loadGanControlEncoder(await readFile('controller_orientation.pt'));
 * const slice = E.encode(tf.tensor2d([[20, 0, 0]]));   // yaw 20°, pitch 0°, roll 0° → w[16:32) of the fixture
 * const edited = replaceGanControlSlice(w, slice, 16);  // the official w+ edit
 * ```
 */
export function loadGanControlEncoder(controllerBytes: Uint8Array, options: LoadGanControlEncoderOptions = {}): GanControlEncoder {
  const source = options.source ?? 'GAN-Control controller';
  let tensors: Tensors;
  if (controllerBytes[0] === 0x50 && controllerBytes[1] === 0x4b) {
    tensors = torchStateDict(readTorchCheckpoint(controllerBytes, { source }), options.key ?? 'controller', source);
  } else {
    tensors = readSafetensors(controllerBytes).tensors;
  }
  const layers: { w: tf.Tensor2D; b: tf.Tensor1D }[] = [];
  try {
    for (let i = 0; tensors[`fc_stack.${i}.weight`]; i++) {
      const w = tensors[`fc_stack.${i}.weight`];
      const b = tensors[`fc_stack.${i}.bias`];
      const prevOut = i === 0 ? undefined : layers[i - 1].w.shape[1];
      if (w.shape.length !== 2 || (prevOut !== undefined && w.shape[1] !== prevOut)) {
        throw new EncodersError(
          'ENCODERS_SHAPE_MISMATCH',
          `${source}: fc_stack.${i}.weight has shape [${w.shape.join(', ')}], expected [out, ${prevOut ?? 'in'}].`,
        );
      }
      if (!b || b.shape.length !== 1 || b.shape[0] !== w.shape[0]) {
        throw new EncodersError('ENCODERS_BAD_FILE', `${source}: fc_stack.${i}.bias is missing or not [${w.shape[0]}].`);
      }
      if (
        w.data instanceof BigInt64Array ||
        w.data instanceof BigUint64Array ||
        b.data instanceof BigInt64Array ||
        b.data instanceof BigUint64Array
      ) {
        throw new EncodersError('ENCODERS_BAD_FILE', `${source}: fc_stack.${i} holds integer tensors; expected float weights.`);
      }
      const [out, inn] = w.shape;
      const wData = w.data instanceof Float32Array ? w.data : Float32Array.from(w.data);
      const bData = b.data instanceof Float32Array ? b.data : Float32Array.from(b.data);
      layers.push(
        tf.tidy(() => ({
          w: tf.keep(tf.transpose(tf.mul(tf.tensor2d(wData, [out, inn]), LR_MUL / Math.sqrt(inn)))) as tf.Tensor2D,
          b: tf.keep(tf.mul(tf.tensor1d(bData), LR_MUL)) as tf.Tensor1D,
        })),
      );
    }
    if (layers.length === 0) {
      throw new EncodersError(
        'ENCODERS_BAD_FILE',
        `${source}: no fc_stack.0.weight found (tensors: ${Object.keys(tensors).slice(0, 5).join(', ')}). Expected an official controller checkpoint or an FcStack state_dict.`,
      );
    }
  } catch (e) {
    for (const l of layers) {
      l.w.dispose();
      l.b.dispose();
    }
    throw e;
  }
  const inDim = layers[0].w.shape[0];
  const outDim = layers[layers.length - 1].w.shape[1];
  let disposed = false;
  return {
    inDim,
    outDim,
    numLayers: layers.length,
    encode(y: tf.Tensor2D): tf.Tensor2D {
      if (disposed) throw new EncodersError('ENCODERS_INVALID_OPTIONS', `${source}: this encoder was disposed.`);
      if (y.rank !== 2 || y.shape[1] !== inDim) {
        throw new EncodersError(
          'ENCODERS_SHAPE_MISMATCH',
          `${source}: encode expects y of shape [N, ${inDim}], got [${y.shape.join(', ')}].`,
        );
      }
      return tf.tidy(() => {
        let x: tf.Tensor2D = y.dtype === 'float32' ? y : tf.cast(y, 'float32');
        for (const l of layers) x = tf.mul(tf.leakyRelu(tf.add(tf.matMul(x, l.w), l.b), 0.2), Math.SQRT2) as tf.Tensor2D;
        return x;
      });
    },
    dispose(): void {
      if (disposed) return;
      disposed = true;
      for (const l of layers) {
        l.w.dispose();
        l.b.dispose();
      }
    },
  };
}

/**
 * The official controller edit (`Controller.insert_group_w_latent`, applied per sample): replaces
 * columns `[offset, offset + slice.shape[1])` of w (`[N, L]`) or of every layer of w+
 * (`[N, numWs, L]`) with `slice` (`[N, d]` or `[1, d]`, broadcast over the batch).
 *
 * @example
 * ```ts
 * const wplus = replaceGanControlSlice(G.mapping(z), E.encode(y), 16); // orientation of the fixture
 * ```
 */
export function replaceGanControlSlice<T extends tf.Tensor2D | tf.Tensor3D>(w: T, slice: tf.Tensor2D, offset: number): T {
  const d = slice.shape[1];
  const L = w.shape[w.rank - 1];
  const n = w.shape[0];
  if (offset < 0 || offset + d > L || (slice.shape[0] !== n && slice.shape[0] !== 1)) {
    throw new EncodersError(
      'ENCODERS_SHAPE_MISMATCH',
      `replaceGanControlSlice: a [${slice.shape.join(', ')}] slice at offset ${offset} does not fit w of shape [${w.shape.join(', ')}].`,
    );
  }
  return tf.tidy(() => {
    if (w.rank === 2) {
      const s = tf.broadcastTo(slice, [n, d]);
      return tf.concat([tf.slice(w, [0, 0], [-1, offset]), s, tf.slice(w, [0, offset + d], [-1, -1])], 1) as T;
    }
    const layers = w.shape[1];
    const s = tf.broadcastTo(tf.reshape(slice, [slice.shape[0], 1, d]), [n, layers, d]);
    return tf.concat([tf.slice(w, [0, 0, 0], [-1, -1, offset]), s, tf.slice(w, [0, 0, offset + d], [-1, -1, -1])], 2) as T;
  });
}
