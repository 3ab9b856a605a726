import type * as tf from '@tensorflow/tfjs-core';

/** One latent group of a partitioned mapping: its name and where its slice lies in z and in w. */
export interface LatentGroupSlice {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
}

/**
 * The generator interface both StyleGAN2 stacks of this package implement, so every consumer
 * (the controller, projection, encoders' sampler, directions, the CLI, the studio) takes either
 * without an adapter:
 *
 * - `Generator` (`createGenerator`, `loadOfficialGenerator`): NVIDIA stylegan2-ada-pytorch's
 *   networks and state-dict names (`upstream: 'nvidia-stylegan2-ada'`);
 * - `GanControlGenerator` (`loadGanControlGenerator`): the official GAN-Control port, rosinality's
 *   stylegan2-pytorch layout with one mapping network per latent group (`upstream: 'gan-control'`).
 *
 * @example
 * ```ts
 * function sample(G: StyleGenerator, z: tf.Tensor2D): tf.Tensor4D {
 *   return tf.tidy(() => G.synthesis(G.mapping(z, { truncationPsi: 0.7 })));
 * }
 * ```
 */
/** Gradient of a clamped generator's output clamp: the true one (zero where clamped) or straight-through. */
export type ClampGradient = 'true' | 'straight-through';

export interface StyleGenerator {
  /** Which upstream implementation the network (and its weight names) follows. */
  readonly upstream: 'nvidia-stylegan2-ada' | 'gan-control';
  readonly zDim: number;
  readonly wDim: number;
  /** Style inputs of the synthesis network (rows of `ws`). */
  readonly numWs: number;
  readonly resolution: number;
  readonly imgChannels: number;
  /** The latent groups of a partitioned mapping, in latent order; `null` for one mapping network. */
  readonly groups: readonly LatentGroupSlice[] | null;
  /** z `[N, zDim]` → w `[N, wDim]`: the mapping once, before it is broadcast to the style inputs. */
  mapW(z: tf.Tensor2D): tf.Tensor2D;
  /** z `[N, zDim]` → ws `[N, numWs, wDim]` (w broadcast), pulled toward `wAvg` by ψ when asked. */
  mapping(z: tf.Tensor2D, options?: { truncationPsi?: number }): tf.Tensor3D;
  /** ws `[N, numWs, wDim]` → images NHWC, ≈ [-1, 1]; `noiseMode` `'const'` (default) uses the stored noise. */
  // clampGradient: see SynthesisOptions (a generator that does not clamp its images ignores it).
  synthesis(
    ws: tf.Tensor3D,
    options?: { noiseMode?: 'const' | 'random' | 'none'; noise?: tf.Tensor4D[]; clampGradient?: ClampGradient },
  ): tf.Tensor4D;
  /** Shapes of the per-layer noise inputs, in layer order (what `synthesis` takes as `noise`). */
  noiseShapes(): { name: string; shape: [number, number, number, number] }[];
  /**
   * The truncation centre, `[wDim]`, owned by the generator (do not dispose): NVIDIA's running
   * mean buffer `mapping.w_avg`; for the GAN-Control port, which stores none, the mean w of 4096
   * latents drawn with seed 0, computed on first use.
   */
  readonly wAvg: tf.Tensor;
  /** Frees the weights (and the truncation centre); the generator cannot be used afterwards. */
  dispose(): void;
}
