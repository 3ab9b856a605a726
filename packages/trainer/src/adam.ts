import * as tf from '@tensorflow/tfjs-core';
import { ADAM_UPDATE } from '@gan-control/gradients';

/**
 * Adam as in PyTorch (`torch.optim.Adam`, which the official code uses): m and v moments with
 * bias correction, `p -= lr/(1−β1^t) · m / (√v/√(1−β2^t) + ε)`. Written here (not tf.train.adam)
 * so the moments and step count can be saved and restored bit-for-bit, by parameter name.
 *
 * Lazy regularisation (StyleGAN2, Karras et al. 2020, App. B): with a regulariser every `k`
 * steps, the optimiser runs with `lr·c` and `β^c`, `c = k/(k+1)` (`lazyRegAdam`).
 */
let counter = 0;
const uniqueName = (what: string) => `trainer/adam/${what}/${++counter}`;

export class Adam {
  readonly lr: number;
  readonly betas: readonly [number, number];
  readonly eps: number;
  private t = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();

  constructor(opts: { lr: number; betas: readonly [number, number]; eps: number }) {
    this.lr = opts.lr;
    this.betas = opts.betas;
    this.eps = opts.eps;
  }

  get step(): number {
    return this.t;
  }

  /**
   * One update of `params` (name → variable) with `grads` (name → gradient). Parameters without
   * a gradient are skipped entirely (moments untouched), as PyTorch does for `grad is None`.
   */
  apply(params: Record<string, tf.Variable>, grads: Record<string, tf.Tensor>): void {
    this.t += 1;
    const [b1, b2] = this.betas;
    const bc1 = 1 - b1 ** this.t;
    const bc2 = 1 - b2 ** this.t;
    const stepSize = this.lr / bc1;
    const sqrtBc2 = Math.sqrt(bc2);
    // @gan-control/backend registers a fused kernel on wasm and cpu; elsewhere the composed ops run.
    const fused = tf.getKernel(ADAM_UPDATE, tf.getBackend()) != null;
    tf.tidy(() => {
      for (const [name, p] of Object.entries(params)) {
        const g = grads[name];
        if (!g) continue;
        let m = this.m.get(name);
        let v = this.v.get(name);
        if (!m || !v) {
          m = tf.variable(tf.zerosLike(p), false, uniqueName(`m/${name}`));
          v = tf.variable(tf.zerosLike(p), false, uniqueName(`v/${name}`));
          this.m.set(name, m);
          this.v.set(name, v);
        }
        if (fused && p.dtype === 'float32' && g.dtype === 'float32') {
          // One kernel for the whole update (same float32 values as the ops below).
          const [p2, m2, v2] = tf
            .engine()
            .runKernel(ADAM_UPDATE, { param: p, grad: g, m, v }, { beta1: b1, beta2: b2, eps: this.eps, stepSize, sqrtBc2 }) as tf.Tensor[];
          m.assign(m2);
          v.assign(v2);
          p.assign(p2);
          continue;
        }
        const m2 = tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1));
        const v2 = tf.add(tf.mul(v, b2), tf.mul(tf.square(g), 1 - b2));
        m.assign(m2);
        v.assign(v2);
        const denom = tf.add(tf.div(tf.sqrt(v2), sqrtBc2), this.eps);
        p.assign(tf.sub(p, tf.mul(tf.div(m2, denom), stepSize)));
      }
    });
  }

  /** Moments as name → tensor (`m/<param>`, `v/<param>`), plus the step count, for checkpoints. */
  state(): { step: number; tensors: Record<string, tf.Tensor> } {
    const tensors: Record<string, tf.Tensor> = {};
    for (const [k, t] of this.m) tensors[`m/${k}`] = t;
    for (const [k, t] of this.v) tensors[`v/${k}`] = t;
    return { step: this.t, tensors };
  }

  /** Restores `state()` output (tensors are copied). */
  restore(step: number, tensors: Record<string, tf.Tensor>): void {
    this.dispose();
    this.t = step;
    for (const [k, t] of Object.entries(tensors)) {
      const slash = k.indexOf('/');
      const kind = k.slice(0, slash);
      const name = k.slice(slash + 1);
      const target = kind === 'm' ? this.m : kind === 'v' ? this.v : null;
      if (!target) throw new Error(`trainer Adam.restore: unexpected moment key "${k}" (expected m/<param> or v/<param>)`);
      target.set(name, tf.variable(t, false, uniqueName(k)));
    }
  }

  dispose(): void {
    for (const t of this.m.values()) t.dispose();
    for (const t of this.v.values()) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}
