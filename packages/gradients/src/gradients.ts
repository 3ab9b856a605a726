/**
 * The project's gradient functions, written so that every gradient is itself built from
 * differentiable kernels (R1 and path-length regularisation need the gradient of a gradient).
 *
 * Why this exists: some of tfjs-core's stock gradients are not twice differentiable (LeakyRelu's
 * uses `Greater`, which has no gradient; Conv2DBackpropFilter has none), and the comparison kernels
 * have no gradient at all. The stock set (registered by this package's entry, see `index.ts`)
 * covers every other kernel; these replace it where they overlap, everywhere the same: tests,
 * training, the CLI and the browser.
 */
import * as tf from '@tensorflow/tfjs-core';

type Saved = tf.Tensor[];
type Attrs = Record<string, unknown>;
type GradFn = (dy: tf.Tensor, saved: Saved, attrs: Attrs) => Record<string, () => tf.Tensor>;

/**
 * Sums `dy` over the axes that broadcasting added or stretched, back to `shape`. Always a new
 * tensor, never `dy` itself: the tape disposes a gradient once it is summed into another, so one
 * `dy` handed to two inputs (a + a, or both inputs of Add) would be freed under the other.
 */
function reduceTo(dy: tf.Tensor, shape: number[]): tf.Tensor {
  if (tf.util.arraysEqual(dy.shape, shape)) return tf.reshape(dy, shape);
  const axes = tf.backend_util.getReductionAxes(shape, dy.shape);
  const s = axes.length > 0 ? tf.sum(dy, axes) : dy;
  return tf.reshape(s, shape);
}

/** Broadcasts a reduced gradient back over the reduced axes (Tile, so it stays differentiable). */
function expandTo(dy: tf.Tensor, xShape: number[], axes: number[]): tf.Tensor {
  const keep = xShape.map((d, i) => (axes.includes(i) ? 1 : d));
  const reps = xShape.map((d, i) => (axes.includes(i) ? d : 1));
  const r = tf.reshape(dy, keep);
  return reps.every((v) => v === 1) ? r : tf.tile(r, reps);
}

function reductionAxes(attrs: Attrs, rank: number): number[] {
  return tf.util.parseAxisParam(attrs.axis as number | number[], new Array(rank).fill(0));
}

type Shape4 = [number, number, number, number];

/**
 * ∂conv2d/∂filter, as the same sum written as a dilated `conv2d` with the batch as the channel
 * axis: `dW[a,b,i,o] = Σ_{n,y,x} xpad[n, y·s+a, x·s+b, i] · dy[n,y,x,o]`. Used on `cpu` (its
 * stock `Conv2DBackpropFilter` is ~20× slower than this: 12 s vs 0.54 s for a
 * [4,16,16,32]→32 3×3 conv) and where the backend has no such kernel (tfjs-backend-wasm 4.22);
 * elsewhere the backend's kernel (e.g. the fast one `@gan-control/backend` registers on wasm).
 */
function conv2dFilterGrad(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: Shape4,
  strides: number | [number, number],
  pad: unknown,
  dimRoundingMode: unknown,
): tf.Tensor4D {
  const backend = tf.getBackend();
  if (backend !== 'cpu' && tf.getKernel('Conv2DBackpropFilter', backend) != null) {
    return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
      strides,
      pad,
      dataFormat: 'NHWC',
      dimRoundingMode,
      filterShape,
    } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  }
  const [kh, kw] = filterShape;
  const [sh, sw] = typeof strides === 'number' ? [strides, strides] : strides;
  let xp = x;
  if (pad === 'same') {
    const [, h, w] = x.shape;
    const [, oh, ow] = dy.shape;
    const ph = Math.max((oh - 1) * sh + kh - h, 0);
    const pw = Math.max((ow - 1) * sw + kw - w, 0);
    xp = tf.pad(x, [
      [0, 0],
      [Math.floor(ph / 2), ph - Math.floor(ph / 2)],
      [Math.floor(pw / 2), pw - Math.floor(pw / 2)],
      [0, 0],
    ]);
  } else if (typeof pad === 'number' && pad > 0) {
    xp = tf.pad(x, [
      [0, 0],
      [pad, pad],
      [pad, pad],
      [0, 0],
    ]);
  } else if (Array.isArray(pad)) {
    xp = tf.pad(x, pad as [number, number][]); // explicit padding, NHWC: [[0, 0], [top, bottom], [left, right], [0, 0]]
  } else if (pad !== 'valid' && pad !== 0) {
    throw new Error(`stylegan2 gradients: Conv2D filter gradient fallback does not support pad=${JSON.stringify(pad)}`);
  }
  const xt = tf.transpose(xp, [3, 1, 2, 0]) as tf.Tensor4D; // [I, Hp, Wp, N]
  const dyt = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D; // [Ho, Wo, N, O]
  const r = tf.conv2d(xt, dyt, 1, 'valid', 'NHWC', [sh, sw]); // [I, Hp-(Ho-1)s, Wp-(Wo-1)s, O]
  const cropped = r.shape[1] === kh && r.shape[2] === kw ? r : tf.slice(r, [0, 0, 0, 0], [r.shape[0], kh, kw, r.shape[3]]);
  return tf.transpose(cropped, [1, 2, 0, 3]);
}

const f32 = (t: tf.Tensor): tf.Tensor => tf.cast(t, 'float32');

/**
 * Kernel name of the fused leaky-ReLU gradient `dx = x > 0 ? dy : α·dy` (inputs `dy`, `x`; attr
 * `alpha`). `@gan-control/backend` registers it on wasm and cpu (one pass instead of five
 * kernels: Greater, Cast, Mul, Add, Mul); on a backend without it the same value is composed.
 */
export const LEAKY_RELU_GRAD = 'GanControlLeakyReluGrad';

/**
 * Kernel name of the fused Adam update (no gradient; the names of the project's fused kernels live
 * here, on the floor both `@gan-control/backend`, which implements them, and their callers stand
 * on). Inputs `param`, `grad`, `m`, `v` (float32, one shape); attrs `beta1`, `beta2`, `eps`,
 * `stepSize` (lr / (1 − β1^t)) and `sqrtBc2` (√(1 − β2^t)); outputs `[param', m', v']` with, in
 * float32 arithmetic op by op (the same values as the composed ops):
 * `m' = m·β1 + g·(1−β1)`, `v' = v·β2 + g²·(1−β2)`, `param' = param − m' / (√v'/sqrtBc2 + eps) · stepSize`.
 */
export const ADAM_UPDATE = 'GanControlAdamUpdate';

/**
 * Kernel name of `upfirdn2d` as two banded matrices (NHWC): input `x` `[N, H, W, C]`, attrs `mh`
 * (`[outH, H]` row-major), `mw` (`[outW, W]`), their transposes `mhT`, `mwT`, and `inH`, `inW`,
 * `outH`, `outW`; output `out[n,oh,ow,:] = Σ_{h,w} mh[oh,h]·mw[ow,w]·x[n,h,w,:]`. Linear, so its
 * gradient is the same kernel with the transposed matrices (and that one's gradient the original).
 * `@gan-control/stylegan2`'s `FirCache` uses it where the backend has it (the native addon),
 * and two batched matMuls with the same matrices elsewhere.
 */
export const UPFIRDN = 'GanControlUpfirdn';

/**
 * Kernel name of bias + leaky ReLU in one pass: inputs `x` `[..., C]`, `b` `[C]`, attr `alpha`;
 * `y = lrelu(x + b)`. Its gradient reads the slope from the saved output (α > 0, so y > 0 exactly
 * where x + b > 0): `dx = LEAKY_RELU_GRAD(dy, y)`, `db = Σ dx` over the leading axes.
 * `@gan-control/stylegan2`'s `biasAct` uses it where the backend has it (the native addon).
 */
export const BIAS_LEAKY_RELU = 'GanControlBiasLeakyRelu';

/**
 * Kernel name of the fused exponential moving average (no gradient): inputs `ema`, `source` (float32,
 * one shape), attr `beta`; output `source + (ema − source)·β`, each operation rounded to float32 as
 * the composed ops round it (the same values as `tf.add(source, tf.mul(tf.sub(ema, source), beta))`).
 * One kernel per parameter of the generator's EMA (`training_loop.py:301-305`) and of `w_avg`
 * instead of three; `@gan-control/backend` registers it on wasm and cpu.
 */
export const EMA_UPDATE = 'GanControlEmaUpdate';

/**
 * Kernel name of StyleGAN2's demodulation coefficients (`networks.py:55-58`, with the layer's
 * output gain folded in): inputs `styles` `[N, I]`, `weight` `[k, k, I, O]`; attrs `gain`, `eps`;
 * output `d [N, O] = gain · rsqrt(Σ_i styles[n,i]² · Σ_{k,k} weight[·,·,i,o]² + eps)`. One kernel instead
 * of ten (Square, Reshape, Fill, MatMul, Reshape, Square, MatMul, Add, Rsqrt, Mul); its gradient is
 * one `MODCONV_DEMOD_GRAD`. `@gan-control/stylegan2`'s `modulatedConv2d` uses it where the backend
 * has it (the native addon) and composes the same ops elsewhere.
 */
export const MODCONV_DEMOD = 'GanControlModconvDemod';

/**
 * Kernel name of `MODCONV_DEMOD`'s gradient: inputs `dd` `[N, O]`, `styles`, `weight`; attrs
 * `gain`, `eps`; outputs `[dstyles [N, I], dweight [k, k, I, O]]`. With `S = styles²`,
 * `W = Σ_{k,k} weight²` `[I, O]`, `q = S·W + eps`, `d = gain·q^(−1/2)` and `t = dd · (−½)·gain·q^(−3/2)`:
 * `dstyles = 2·styles ⊙ (t·Wᵀ)`, `dweight = 2·weight ⊙ (Sᵀ·t)` (broadcast over the taps). Its own
 * gradient (path-length regularisation differentiates it again) is composed from stock ops.
 */
export const MODCONV_DEMOD_GRAD = 'GanControlModconvDemodGrad';

/**
 * Kernel name of StyleGAN2's per-sample channel scaling (the modulation `x·styles` and the
 * demodulation `y·d` of `networks.py:60-70`): inputs `x` `[N, H, W, C]`, `s` `[N, C]`; output
 * `x[n,h,w,c]·s[n,c]` (the same values as `tf.mul(x, reshape(s, [N, 1, 1, C]))`). Its gradient is
 * `dx = SCALE_CHANNELS(dy, s)` and `ds = CHANNEL_DOT(dy, x)`: one pass each, where the composed
 * gradient multiplies `dy·x` into a full-size tensor before summing it.
 * `@gan-control/stylegan2`'s `scaleChannels` uses it where the backend has it (the native addon).
 */
export const SCALE_CHANNELS = 'GanControlScaleChannels';

/**
 * Kernel name of `out[n,c] = Σ_{h,w} a[n,h,w,c]·b[n,h,w,c]` (inputs `a`, `b` `[N, H, W, C]`),
 * `SCALE_CHANNELS`' style gradient. Bilinear: its gradient is `da = SCALE_CHANNELS(b, g)`,
 * `db = SCALE_CHANNELS(a, g)`.
 */
export const CHANNEL_DOT = 'GanControlChannelDot';

/** `x [N, H, W, C] · s [N, C]` per sample and channel: the fused kernel, else the broadcast multiply. */
function scaleChannelsOp(x: tf.Tensor, s: tf.Tensor): tf.Tensor {
  if (tf.getKernel(SCALE_CHANNELS, tf.getBackend())) return tf.engine().runKernel(SCALE_CHANNELS, { x, s }) as tf.Tensor;
  const [n, , , c] = x.shape;
  return tf.mul(x, tf.reshape(s, [n!, 1, 1, c!]));
}

/** `dy · (x > 0 ? 1 : α)`, fused where the backend has `LEAKY_RELU_GRAD`; differentiable (see its gradient). */
function leakyReluGrad(dy: tf.Tensor, x: tf.Tensor, alpha: number): tf.Tensor {
  if (
    dy.dtype === 'float32' &&
    x.dtype === 'float32' &&
    tf.util.arraysEqual(dy.shape, x.shape) &&
    tf.getKernel(LEAKY_RELU_GRAD, tf.getBackend())
  ) {
    return tf.engine().runKernel(LEAKY_RELU_GRAD, { dy, x }, { alpha }) as tf.Tensor;
  }
  // slope = alpha + (1 - alpha) * [x > 0]; the mask has a zero gradient.
  return tf.mul(dy, tf.add(tf.mul(f32(tf.greater(x, 0)), 1 - alpha), alpha));
}
/** `Σ_{k,k} weight²` as `[I, O]` and `styles²` (the two factors of the demodulation sum). */
function demodParts(styles: tf.Tensor, weight: tf.Tensor): { S: tf.Tensor2D; W: tf.Tensor2D } {
  return { S: tf.square(styles) as tf.Tensor2D, W: tf.sum(tf.square(weight), [0, 1]) as tf.Tensor2D };
}

/**
 * The gradient of `MODCONV_DEMOD` (see `MODCONV_DEMOD_GRAD`), composed from stock ops: used where the
 * backend has no `MODCONV_DEMOD_GRAD` kernel.
 */
function demodGradComposed(dd: tf.Tensor, styles: tf.Tensor, weight: tf.Tensor, gain: number, eps: number): [tf.Tensor, tf.Tensor] {
  const { S, W } = demodParts(styles, weight);
  const q = tf.add(tf.matMul(S, W), eps);
  const t = tf.mul(tf.mul(dd, tf.pow(q, -1.5)), -0.5 * gain);
  const ds = tf.mul(tf.mul(styles, 2), tf.matMul(t, W, false, true));
  const dw = tf.mul(tf.mul(weight, 2), tf.matMul(S, t, true, false));
  return [ds, dw];
}

const zeroGrad =
  (names: string[]): GradFn =>
  (_dy, saved) =>
    Object.fromEntries(names.map((n, i) => [n, () => tf.zerosLike(f32(saved[i]))]));

const CONFIGS: { kernelName: string; inputsToSave?: string[]; outputsToSave?: boolean[]; saveAllInputs?: boolean; gradFunc: GradFn }[] = [
  {
    kernelName: 'Add',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => ({ a: () => reduceTo(dy, a.shape), b: () => reduceTo(dy, b.shape) }),
  },
  {
    kernelName: 'Sub',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => ({ a: () => reduceTo(dy, a.shape), b: () => reduceTo(tf.neg(dy), b.shape) }),
  },
  {
    kernelName: 'Multiply',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => ({ a: () => reduceTo(tf.mul(dy, f32(b)), a.shape), b: () => reduceTo(tf.mul(dy, f32(a)), b.shape) }),
  },
  {
    kernelName: 'RealDiv',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => ({
      a: () => reduceTo(tf.div(dy, b), a.shape),
      b: () => reduceTo(tf.neg(tf.div(tf.mul(dy, a), tf.square(b))), b.shape),
    }),
  },
  { kernelName: 'Neg', gradFunc: (dy) => ({ x: () => tf.neg(dy) }) },
  { kernelName: 'Square', inputsToSave: ['x'], gradFunc: (dy, [x]) => ({ x: () => tf.mul(dy, tf.mul(x, 2)) }) },
  { kernelName: 'Sqrt', inputsToSave: ['x'], gradFunc: (dy, [x]) => ({ x: () => tf.div(dy, tf.mul(tf.sqrt(x), 2)) }) },
  // d/dx x^(-1/2) = -rsqrt(x) / (2x)
  { kernelName: 'Rsqrt', inputsToSave: ['x'], gradFunc: (dy, [x]) => ({ x: () => tf.neg(tf.div(tf.mul(dy, tf.rsqrt(x)), tf.mul(x, 2))) }) },
  { kernelName: 'Softplus', inputsToSave: ['x'], gradFunc: (dy, [x]) => ({ x: () => tf.mul(dy, tf.sigmoid(x)) }) },
  {
    kernelName: 'Sigmoid',
    inputsToSave: ['x'],
    gradFunc: (dy, [x]) => ({
      x: () => {
        const s = tf.sigmoid(x);
        return tf.mul(dy, tf.mul(s, tf.sub(1, s)));
      },
    }),
  },
  {
    kernelName: 'LeakyRelu',
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => ({ x: () => leakyReluGrad(dy, x, attrs.alpha as number) }),
  },
  {
    kernelName: BIAS_LEAKY_RELU,
    outputsToSave: [true],
    gradFunc: (dy, [y], attrs) => {
      let dx: tf.Tensor | null = null;
      const once = () => (dx ??= leakyReluGrad(dy, y, attrs.alpha as number));
      return { x: () => tf.reshape(once(), dy.shape), b: () => reduceTo(once(), [dy.shape[dy.rank - 1]]) };
    },
  },
  {
    kernelName: MODCONV_DEMOD,
    inputsToSave: ['styles', 'weight'],
    gradFunc: (dd, [styles, weight], attrs) => {
      // Both gradients at once, here (not in the per-input closures, whose tidy would free the
      // other one): one kernel where the backend has it.
      const { gain, eps } = attrs as { gain: number; eps: number };
      const [ds, dw] = tf.getKernel(MODCONV_DEMOD_GRAD, tf.getBackend())
        ? (tf.engine().runKernel(MODCONV_DEMOD_GRAD, { dd, styles, weight }, { gain, eps }) as tf.Tensor[])
        : demodGradComposed(dd, styles, weight, gain, eps);
      return { styles: () => ds, weight: () => dw };
    },
  },
  {
    // Second order (path-length regularisation differentiates MODCONV_DEMOD's gradient): with
    // u = 2·gs ⊙ s, v = Σ_taps 2·gw ⊙ w, r = u·W + S·v, the loss Σ gs ⊙ ds + gw ⊙ dw is Σ t ⊙ r, so
    // ∂/∂dd = c·q^(−3/2) ⊙ r (c = −gain/2), and with p = −(3/2)·t ⊙ r / q:
    // ∂/∂s = 2·gs ⊙ (t·Wᵀ) + 2·s ⊙ (p·Wᵀ + t·vᵀ), ∂/∂w = 2·gw ⊙ (Sᵀ·t) + 2·w ⊙ (Sᵀ·p + uᵀ·t).
    kernelName: MODCONV_DEMOD_GRAD,
    inputsToSave: ['dd', 'styles', 'weight'],
    gradFunc: (dys, [dd, styles, weight], attrs) => {
      const [gs, gw] = dys as unknown as tf.Tensor[];
      const { gain, eps } = attrs as { gain: number; eps: number };
      const { S, W } = demodParts(styles!, weight!);
      const q = tf.add(tf.matMul(S, W), eps);
      const q32 = tf.pow(q, -1.5);
      const t = tf.mul(tf.mul(dd!, q32), -0.5 * gain);
      const u = tf.mul(tf.mul(gs!, styles!), 2);
      const v = tf.sum(tf.mul(tf.mul(gw!, weight!), 2), [0, 1]);
      const r = tf.add(tf.matMul(u, W), tf.matMul(S, v));
      const p = tf.div(tf.mul(tf.mul(t, r), -1.5), q);
      const sT = tf.matMul(S, t, true, false); // [I, O], broadcast over the taps
      return {
        dd: () => tf.mul(tf.mul(q32, r), -0.5 * gain),
        styles: () =>
          tf.add(
            tf.mul(tf.mul(gs!, 2), tf.matMul(t, W, false, true)),
            tf.mul(tf.mul(styles!, 2), tf.add(tf.matMul(p, W, false, true), tf.matMul(t, v, false, true))),
          ),
        weight: () =>
          tf.add(
            tf.mul(tf.mul(gw!, 2), sT),
            tf.mul(tf.mul(weight!, 2), tf.add(tf.matMul(S, p, true, false), tf.matMul(u, t, true, false))),
          ),
      };
    },
  },
  {
    kernelName: SCALE_CHANNELS,
    inputsToSave: ['x', 's'],
    gradFunc: (dy, [x, s]) => ({
      x: () => scaleChannelsOp(dy, s!),
      s: () =>
        tf.getKernel(CHANNEL_DOT, tf.getBackend())
          ? (tf.engine().runKernel(CHANNEL_DOT, { a: dy, b: x! }) as tf.Tensor)
          : tf.sum(tf.mul(dy, x!), [1, 2]),
    }),
  },
  {
    kernelName: CHANNEL_DOT,
    inputsToSave: ['a', 'b'],
    gradFunc: (g, [a, b]) => ({ a: () => scaleChannelsOp(b!, g), b: () => scaleChannelsOp(a!, g) }),
  },
  {
    kernelName: UPFIRDN,
    gradFunc: (dy, _saved, attrs) => ({
      x: () =>
        tf.engine().runKernel(UPFIRDN, { x: dy }, {
          mh: attrs.mhT,
          mw: attrs.mwT,
          mhT: attrs.mh,
          mwT: attrs.mw,
          inH: attrs.outH,
          inW: attrs.outW,
          outH: attrs.inH,
          outW: attrs.inW,
        } as unknown as tf.NamedAttrMap) as tf.Tensor,
    }),
  },
  {
    // dx = dy·slope(x) is linear in dy with the same slope, and piecewise constant in x.
    kernelName: LEAKY_RELU_GRAD,
    inputsToSave: ['dy', 'x'],
    gradFunc: (ddx, [, x], attrs) => ({ dy: () => leakyReluGrad(ddx, x, attrs.alpha as number), x: () => tf.zerosLike(x) }),
  },
  {
    kernelName: 'ClipByValue',
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => ({
      x: () =>
        tf.mul(dy, tf.mul(f32(tf.greaterEqual(x, attrs.clipValueMin as number)), f32(tf.lessEqual(x, attrs.clipValueMax as number)))),
    }),
  },
  {
    kernelName: 'Maximum',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => ({
      a: () => reduceTo(tf.mul(dy, f32(tf.greaterEqual(a, b))), a.shape),
      b: () => reduceTo(tf.mul(dy, f32(tf.less(a, b))), b.shape),
    }),
  },
  {
    kernelName: 'Minimum',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => ({
      a: () => reduceTo(tf.mul(dy, f32(tf.lessEqual(a, b))), a.shape),
      b: () => reduceTo(tf.mul(dy, f32(tf.greater(a, b))), b.shape),
    }),
  },
  {
    kernelName: 'Sum',
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => ({ x: () => expandTo(dy, x.shape, reductionAxes(attrs, x.rank)) }),
  },
  {
    kernelName: 'Mean',
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => {
      const axes = reductionAxes(attrs, x.rank);
      const n = axes.reduce((p, a) => p * x.shape[a], 1);
      return { x: () => tf.div(expandTo(dy, x.shape, axes), n) };
    },
  },
  { kernelName: 'Reshape', inputsToSave: ['x'], gradFunc: (dy, [x]) => ({ x: () => tf.reshape(dy, x.shape) }) },
  { kernelName: 'Identity', gradFunc: (dy) => ({ x: () => tf.reshape(dy, dy.shape) }) },
  { kernelName: 'Cast', gradFunc: (dy) => ({ x: () => tf.reshape(dy, dy.shape) }) },
  {
    kernelName: 'Transpose',
    gradFunc: (dy, _s, attrs) => {
      const perm = attrs.perm as number[];
      const inv = perm.map((_, i) => perm.indexOf(i));
      return { x: () => tf.transpose(dy, inv) };
    },
  },
  {
    kernelName: 'Slice',
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => {
      const begin = attrs.begin as number[];
      return {
        x: () =>
          tf.pad(
            dy,
            x.shape.map((d, i) => [begin[i], d - begin[i] - dy.shape[i]] as [number, number]),
          ),
      };
    },
  },
  {
    kernelName: 'PadV2',
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => {
      const pads = attrs.paddings as [number, number][];
      return {
        x: () =>
          tf.slice(
            dy,
            pads.map((p) => p[0]),
            x.shape,
          ),
      };
    },
  },
  {
    kernelName: 'Concat',
    saveAllInputs: true,
    gradFunc: (dy, saved, attrs) => {
      const axis = tf.util.parseAxisParam(attrs.axis as number, saved[0].shape)[0];
      const out: Record<string, () => tf.Tensor> = {};
      let offset = 0;
      saved.forEach((t, i) => {
        const begin = dy.shape.map((_, j) => (j === axis ? offset : 0));
        const size = dy.shape.map((d, j) => (j === axis ? t.shape[axis] : d));
        out[i] = () => tf.slice(dy, begin, size);
        offset += t.shape[axis];
      });
      return out;
    },
  },
  {
    kernelName: 'Tile',
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => {
      const reps = attrs.reps as number[];
      // dy viewed as [r0, d0, r1, d1, ...]; sum over the repetition axes.
      const inter: number[] = [];
      reps.forEach((r, i) => inter.push(r, x.shape[i]));
      const axes = reps.map((_, i) => 2 * i);
      return { x: () => tf.reshape(tf.sum(tf.reshape(dy, inter), axes), x.shape) };
    },
  },
  {
    kernelName: 'BatchMatMul',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b], attrs) => {
      const tA = attrs.transposeA as boolean;
      const tB = attrs.transposeB as boolean;
      let da: () => tf.Tensor;
      let db: () => tf.Tensor;
      if (!tA && !tB) {
        da = () => tf.matMul(dy, b, false, true);
        db = () => tf.matMul(a, dy, true, false);
      } else if (!tA && tB) {
        da = () => tf.matMul(dy, b, false, false);
        db = () => tf.matMul(dy, a, true, false);
      } else if (tA && !tB) {
        da = () => tf.matMul(b, dy, false, true);
        db = () => tf.matMul(a, dy, false, false);
      } else {
        da = () => tf.matMul(b, dy, true, true);
        db = () => tf.matMul(dy, a, true, true);
      }
      return { a: () => reduceTo(da(), a.shape), b: () => reduceTo(db(), b.shape) };
    },
  },
  {
    kernelName: 'Conv2D',
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, [x, filter], attrs) => {
      const strides = attrs.strides as [number, number];
      const pad = attrs.pad as 'valid' | 'same' | number;
      const dilations = attrs.dilations as number | [number, number];
      if (!tf.backend_util.tupleValuesAreOne(dilations)) throw new Error('stylegan2 gradients: Conv2D with dilation is not supported');
      return {
        x: () =>
          tf.conv2dTranspose(
            dy as tf.Tensor4D,
            filter as tf.Tensor4D,
            x.shape as [number, number, number, number],
            strides,
            pad,
            attrs.dimRoundingMode as 'floor',
          ),
        filter: () => conv2dFilterGrad(x as tf.Tensor4D, dy as tf.Tensor4D, filter.shape as Shape4, strides, pad, attrs.dimRoundingMode),
      };
    },
  },
  {
    kernelName: 'Conv2DBackpropInput',
    inputsToSave: ['dy', 'filter'],
    gradFunc: (ddx, [dy, filter], attrs) => {
      const strides = attrs.strides as [number, number];
      const pad = attrs.pad as 'valid' | 'same' | number;
      return {
        dy: () => tf.conv2d(ddx as tf.Tensor4D, filter as tf.Tensor4D, strides, pad, 'NHWC', 1, attrs.dimRoundingMode as 'floor'),
        filter: () => conv2dFilterGrad(ddx as tf.Tensor4D, dy as tf.Tensor4D, filter.shape as Shape4, strides, pad, attrs.dimRoundingMode),
      };
    },
  },
  // Comparisons and masks: piecewise constant, so their gradient is zero. tfjs registers none,
  // which breaks second-order gradients of any gradient that builds a mask.
  ...['Greater', 'GreaterEqual', 'Less', 'LessEqual', 'Equal', 'NotEqual', 'LogicalAnd', 'LogicalOr'].map((kernelName) => ({
    kernelName,
    inputsToSave: ['a', 'b'],
    gradFunc: zeroGrad(['a', 'b']),
  })),
  ...['Sign', 'Floor', 'Round'].map((kernelName) => ({ kernelName, inputsToSave: ['x'], gradFunc: zeroGrad(['x']) })),
  { kernelName: 'LogicalNot', gradFunc: () => ({}) },
  // Kernels of the contrastive loss, the attribute plugins and the encoders' losses (gradients
  // are taken through the generator into an attribute network M_k or an encoder).
  {
    kernelName: 'AddN',
    saveAllInputs: true,
    gradFunc: (dy, saved) => Object.fromEntries(saved.map((_, i) => [i, () => tf.reshape(dy, dy.shape)])),
  },
  { kernelName: 'ExpandDims', inputsToSave: ['input'], gradFunc: (dy, [x]) => ({ input: () => tf.reshape(dy, x.shape) }) },
  { kernelName: 'Tanh', outputsToSave: [true], gradFunc: (dy, [y]) => ({ x: () => tf.mul(dy, tf.sub(1, tf.square(y))) }) },
  { kernelName: 'Relu', inputsToSave: ['x'], gradFunc: (dy, [x]) => ({ x: () => tf.mul(dy, tf.step(x)) }) },
  { kernelName: 'Abs', inputsToSave: ['x'], gradFunc: (dy, [x]) => ({ x: () => tf.mul(dy, tf.sub(tf.mul(tf.step(x), 2), 1)) }) },
  {
    kernelName: 'Select',
    inputsToSave: ['condition'],
    gradFunc: (dy, [condition]) => ({
      condition: () => tf.zerosLike(f32(condition)),
      t: () => tf.mul(dy, f32(condition)),
      e: () => tf.mul(dy, tf.sub(1, f32(condition))),
    }),
  },
  {
    kernelName: 'Pack',
    saveAllInputs: true,
    gradFunc: (dy, saved, attrs) => {
      const axis = (attrs.axis as number) < 0 ? (attrs.axis as number) + dy.rank : (attrs.axis as number);
      return Object.fromEntries(
        saved.map((x, i) => [
          i,
          () =>
            tf.reshape(
              tf.slice(
                dy,
                dy.shape.map((_, k) => (k === axis ? i : 0)),
                dy.shape.map((d, k) => (k === axis ? 1 : d)),
              ),
              x.shape,
            ),
        ]),
      );
    },
  },
  { kernelName: 'SplitV', gradFunc: (dy, _saved, attrs) => ({ x: () => tf.concat(dy as unknown as tf.Tensor[], attrs.axis as number) }) },
  { kernelName: 'ZerosLike', inputsToSave: ['x'], gradFunc: zeroGrad(['x']) },
  { kernelName: 'OnesLike', inputsToSave: ['x'], gradFunc: zeroGrad(['x']) },
  { kernelName: 'Step', inputsToSave: ['x'], gradFunc: zeroGrad(['x']) },
];

/**
 * Registers the project's gradient for every kernel stylegan2 differentiates (twice, for R1 and
 * path length) and every kernel the contrastive loss, the attribute plugins and the encoders
 * differentiate through, replacing the stock one. Importing `@gan-control/gradients` (which every
 * library package of the project does) calls it once after registering tfjs-core's stock set; call
 * it again only if something registered the stock gradients afterwards. Idempotent and cheap.
 *
 * @example
 * ensureGradients();
 * const g = tf.grad((x) => tf.sum(tf.square(x)))(tf.ones([2]));
 */
export function ensureGradients(): void {
  for (const c of CONFIGS) tf.registerGradient(c as unknown as tf.GradConfig);
}

/** The kernels `ensureGradients` covers (for reports and tests). */
export const GRADIENT_KERNELS: readonly string[] = CONFIGS.map((c) => c.kernelName);
