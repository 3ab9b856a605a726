import * as tf from '@tensorflow/tfjs-core';
import { readSafetensors, readTorchCheckpoint, torchStateDict } from '@gan-control/tensor-io';
import { encoderFromWeights, layerNames, type AttributeEncoder } from './encoder.js';
import { EncodersError } from './errors.js';

/** Options of `importGanControlEncoder`. */
export interface ImportGanControlEncoderOptions {
  /** The latent group the controller writes (e.g. `orientation`). */
  readonly group: string;
  /** Its offset in w (`place_in_latent[0]` of the official args.json). */
  readonly offset: number;
  /**
   * Names, units and accepted ranges of the controller's inputs, in order. Official controllers
   * take raw values (no standardisation): `orientation` = yaw, pitch, roll in degrees, `age` = years.
   */
  readonly values: readonly { name: string; unit: string; range: readonly [number, number] }[];
  /** The attribute that measures the group (default: the group name). */
  readonly attribute?: string;
  /** State_dict key inside a controller checkpoint (default `controller`). */
  readonly key?: string;
  /** Name of the file in error messages. */
  readonly source?: string;
}

/**
 * Imports an official GAN-Control controller (`controller_<group>.pt`, read with the restricted
 * unpickler, or a safetensors of its `FcStack`) as an encoder of this package, so `saveEncoder`,
 * `Controller.load` and the CLI use it like a trained one. The official `FcStack` is exactly the
 * architecture `{ lrMul: 0.01, activation: 'lrelu', activateLast: true }` on unstandardised inputs
 * (mean 0, std 1), with the same parameter names, so the weights are taken as they are.
 *
 * @example
 * ```ts
 * const E = importGanControlEncoder(await readFile('controller_orientation.pt'), {
 *   group: 'orientation', offset: 128,
 *   values: ['yaw', 'pitch', 'roll'].map((name) => ({ name, unit: 'deg', range: [-90, 90] })),
 * });
 * await saveEncoder(E, 'ffhq-model/encoders');
 * ```
 */
export function importGanControlEncoder(bytes: Uint8Array, options: ImportGanControlEncoderOptions): AttributeEncoder {
  const source = options.source ?? `GAN-Control controller for '${options.group}'`;
  const tensors =
    bytes[0] === 0x50 && bytes[1] === 0x4b
      ? torchStateDict(readTorchCheckpoint(bytes, { source }), options.key ?? 'controller', source)
      : readSafetensors(bytes).tensors;
  const dims: number[] = [];
  const weights: Record<string, tf.Tensor> = {};
  try {
    for (let i = 0; ; i++) {
      const n = layerNames(i);
      const w = tensors[n.weight];
      const b = tensors[n.bias];
      if (!w) break;
      if (w.shape.length !== 2 || !b || b.shape.length !== 1 || b.shape[0] !== w.shape[0] || (i > 0 && w.shape[1] !== dims[i])) {
        throw new EncodersError(
          'ENCODERS_SHAPE_MISMATCH',
          `${source}: ${n.weight} [${w.shape.join(', ')}] / ${n.bias} do not form an FcStack layer.`,
        );
      }
      if (i === 0) dims.push(w.shape[1]);
      dims.push(w.shape[0]);
      const toF32 = (d: unknown) => (d instanceof Float32Array ? d : Float32Array.from(d as ArrayLike<number>));
      weights[n.weight] = tf.tensor2d(toF32(w.data), [w.shape[0], w.shape[1]]);
      weights[n.bias] = tf.tensor1d(toF32(b.data));
    }
    if (dims.length === 0)
      throw new EncodersError(
        'ENCODERS_BAD_FILE',
        `${source}: no fc_stack.0.weight found; expected an official controller checkpoint or an FcStack state_dict.`,
      );
    if (options.values.length !== dims[0]) {
      throw new EncodersError(
        'ENCODERS_SHAPE_MISMATCH',
        `${source}: the controller takes ${dims[0]} value(s) but ${options.values.length} were named (${options.values.map((v) => v.name).join(', ')}); name one per input.`,
      );
    }
    return encoderFromWeights(
      {
        attribute: options.attribute ?? options.group,
        group: options.group,
        wSlice: { offset: options.offset, size: dims[dims.length - 1] },
        values: options.values.map((v) => ({
          kind: 'linear' as const,
          name: v.name,
          unit: v.unit,
          mean: 0,
          std: 1,
          range: [v.range[0], v.range[1]] as [number, number],
        })),
        architecture: { hidden: dims.slice(1, -1), lrMul: 0.01, activation: 'lrelu', activateLast: true },
        training: { importedFrom: source },
      },
      weights,
    );
  } finally {
    // encoderFromWeights copies into its own variables.
    tf.dispose(Object.values(weights));
  }
}
