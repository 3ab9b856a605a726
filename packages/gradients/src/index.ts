/**
 * @gan-control/gradients — the one owner of gradient registration.
 *
 * tfjs-core registers its gradients only through `register_all_gradients`, an ESM module with
 * extension-less imports that its Node build does not load and plain Node ESM cannot import. This
 * entry registers that stock set (bundled into `dist` at build time, so it loads in plain Node, in a
 * browser bundle and under vitest alike) and then the project's twice-differentiable versions on
 * top (`ensureGradients`). Every library package of the project imports this entry, so importing
 * any of them makes `tf.grad` work through everything it and its plugins do.
 *
 * Gradient registries are global in tfjs (`getGlobal('gradRegistry')`), so the bundled copy
 * registers into the engine of the installed `@tensorflow/tfjs-core`, which loads first.
 */
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { ensureGradients } from './gradients.js';

ensureGradients();

export {
  ADAM_UPDATE,
  BIAS_LEAKY_RELU,
  CHANNEL_DOT,
  EMA_UPDATE,
  ensureGradients,
  GRADIENT_KERNELS,
  LEAKY_RELU_GRAD,
  MODCONV_DEMOD,
  MODCONV_DEMOD_GRAD,
  SCALE_CHANNELS,
  UPFIRDN,
} from './gradients.js';
