import * as tf from '@tensorflow/tfjs-core';
import { ensureGradients } from '@gan-control/stylegan2';

/**
 * Gradients the training step may meet beyond the ones `@gan-control/stylegan2` registers
 * (the Node builds of tfjs-core ship without `register_all_gradients`): kernels used by the
 * contrastive loss and by attribute plugins (AddN, ExpandDims, Relu, Select, Abs, Pack, SplitV) and the
 * zero gradients of comparisons. Each is built from differentiable ops, and each is registered
 * only when the kernel has none, so a full tfjs gradient set is never replaced.
 */
const CONFIGS: tf.GradConfig[] = [
  {
    kernelName: 'AddN',
    saveAllInputs: true,
    gradFunc: (dy, saved) => Object.fromEntries(saved.map((_, i) => [i, () => tf.reshape(dy as tf.Tensor, (dy as tf.Tensor).shape)])),
  },
  { kernelName: 'ExpandDims', inputsToSave: ['input'], gradFunc: (dy, [x]) => ({ input: () => tf.reshape(dy as tf.Tensor, x.shape) }) },
  { kernelName: 'Relu', inputsToSave: ['x'], gradFunc: (dy, [x]) => ({ x: () => tf.mul(dy as tf.Tensor, tf.step(x)) }) },
  { kernelName: 'Abs', inputsToSave: ['x'], gradFunc: (dy, [x]) => ({ x: () => tf.mul(dy as tf.Tensor, tf.sub(tf.mul(tf.step(x), 2), 1)) }) },
  {
    kernelName: 'Select',
    inputsToSave: ['condition'],
    gradFunc: (dy, [condition]) => ({
      condition: () => tf.cast(tf.zerosLike(condition), 'float32'),
      t: () => tf.mul(dy as tf.Tensor, tf.cast(condition, 'float32')),
      e: () => tf.mul(dy as tf.Tensor, tf.sub(1, tf.cast(condition, 'float32'))),
    }),
  },
  {
    kernelName: 'Pack',
    saveAllInputs: true,
    gradFunc: (dy, saved, attrs) => {
      const d = dy as tf.Tensor;
      const axis = (attrs as { axis: number }).axis < 0 ? (attrs as { axis: number }).axis + d.rank : (attrs as { axis: number }).axis;
      return Object.fromEntries(
        saved.map((x, i) => {
          const begin = d.shape.map((_, k) => (k === axis ? i : 0));
          const size = d.shape.map((s, k) => (k === axis ? 1 : s));
          return [i, () => tf.reshape(tf.slice(d, begin, size), x.shape)];
        }),
      );
    },
  },
  {
    kernelName: 'SplitV',
    gradFunc: (dy, _saved, attrs) => ({ x: () => tf.concat(dy as tf.Tensor[], (attrs as { axis: number }).axis) }),
  },
  ...['Greater', 'GreaterEqual', 'Less', 'LessEqual', 'Equal', 'NotEqual', 'Sign', 'LogicalNot', 'LogicalAnd', 'Floor', 'Round'].map(
    (kernelName) => ({ kernelName, gradFunc: () => ({}) }) as tf.GradConfig,
  ),
];

let done = false;

/**
 * Registers the gradients training needs (stylegan2's, then the ones above) where missing.
 * Idempotent; `GanControlTrainer.create` calls it.
 *
 * @example
 * ensureTrainingGradients();
 */
export function ensureTrainingGradients(): void {
  ensureGradients();
  if (done) return;
  done = true;
  for (const c of CONFIGS) if (tf.getGradient(c.kernelName) == null) tf.registerGradient(c);
}
