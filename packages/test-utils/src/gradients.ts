import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeaks } from './leaks.js';
import { contrastiveTerm, pairwiseDistances, type Attribute } from '@gan-control/contrastive-loss';

/**
 * Gradient with respect to the pixels of an attribute's contrastive term on a batch of two images
 * treated as one positive pair (τ+ = 0 keeps its hinge, the official `same` term, active): whether
 * every entry is finite and the largest magnitude. Throws when the gradient leaves tensors alive.
 * Needs the gradients of the ops the attribute's `embed` uses to be registered.
 *
 * @example
 * ```ts
 * const { finite, maxAbs } = pairGradient(attr, photos.faces(['astronaut', 'camera']));
 * expect(finite).toBe(true);
 * expect(maxAbs).toBeGreaterThan(0);
 * ```
 */
export function pairGradient(attr: Attribute, images: tf.Tensor4D): { finite: boolean; maxAbs: number } {
  if (images.shape[0] !== 2) throw new Error(`pairGradient: needs a batch of 2 images, got ${images.shape[0]}`);
  const positives = tf.tensor2d([
    [0, 1],
    [1, 0],
  ]);
  const loss = (x: tf.Tensor) =>
    tf.tidy(
      () =>
        contrastiveTerm(pairwiseDistances(attr.embed(x as tf.Tensor4D) as tf.Tensor, attr.distance), positives, {
          tauPlus: 0,
          tauMinus: attr.thresholds.tauMinus,
          weight: attr.weight,
        }).loss,
    );
  try {
    const [finite, maxAbs] = expectNoLeaks(
      () => {
        const g = tf.grad(loss)(images);
        const r = tf.tidy(() => [tf.all(tf.isFinite(g)).dataSync()[0], tf.max(tf.abs(g)).dataSync()[0]]);
        g.dispose();
        return r;
      },
      { label: `the gradient of '${attr.name}'` },
    );
    return { finite: finite === 1, maxAbs };
  } finally {
    positives.dispose();
  }
}
