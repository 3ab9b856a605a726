// The addon's multi-threaded elementwise and reduction kernels: Add/Sub/Multiply/RealDiv with
// broadcasting, LeakyRelu and its fused gradient, Sum/Mean and Tile. These are the memory-bound
// ops of a StyleGAN2 step (bias, activation, modulation, their gradients, the reductions of
// broadcast gradients) that the wasm backend runs on one thread, and its Sum/Mean transpose the
// input first. Below `MIN_ELEMENTS` (thread hand-off costs more than it saves), for non-float32
// data and for broadcasts that do not collapse to four dims, the replaced kernel runs.
import {
  ADAM_UPDATE,
  BIAS_LEAKY_RELU,
  CHANNEL_DOT,
  EMA_UPDATE,
  LEAKY_RELU_GRAD,
  MODCONV_DEMOD,
  MODCONV_DEMOD_GRAD,
  SCALE_CHANNELS,
  UPFIRDN,
} from '@gan-control/gradients';
import {
  Add,
  backend_util,
  LeakyRelu,
  Mean,
  Multiply,
  RealDiv,
  Sub,
  Sum,
  Tile,
  util,
  type KernelBackend,
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import {
  callKernel,
  compute,
  output,
  release,
  values,
  type BackendKind,
  type CpuLikeBackend,
  type WasmLikeBackend,
} from '../kernels/access.js';
import type { NativeAddon } from './addon.js';

type Args = { inputs: Record<string, TensorInfo>; backend: KernelBackend; attrs: NamedAttrMap };

/** Below this many output elements the replaced kernel runs. */
export const MIN_ELEMENTS = 1 << 14;

/** Below this many multiply-adds a convolution or matMul runs on the replaced kernel (no thread hand-off). */
export const MIN_MACS = 1 << 15;

/** The kernel names this module replaces (and falls back to). */
export const ELEMENTWISE_KERNELS = [Add, Sub, Multiply, RealDiv, LeakyRelu, LEAKY_RELU_GRAD, Sum, Mean, Tile, ADAM_UPDATE, EMA_UPDATE];

/** Kernels only the addon provides (no kernel to replace; their callers compose the op without them). */
export const NATIVE_ONLY_KERNELS = [UPFIRDN, BIAS_LEAKY_RELU, MODCONV_DEMOD, MODCONV_DEMOD_GRAD, SCALE_CHANNELS, CHANNEL_DOT];

/**
 * A broadcast `a op b → out` as at most 4 collapsed output dims with each operand's element
 * strides (0 on a broadcast dim), or null when it needs more. Adjacent dims merge when both
 * operands are broadcast (or not) on both; size-1 output dims drop out.
 *
 * @example
 * broadcastPlan([16, 8, 8, 64], [16, 8, 8, 64], [64]); // { dims: [1, 1, 1024, 64], sa: [0, 0, 64, 1], sb: [0, 0, 0, 1] }
 */
export function broadcastPlan(
  out: number[],
  a: readonly number[],
  b: readonly number[],
): { dims: number[]; sa: number[]; sb: number[] } | null {
  const r = out.length;
  const pa = [...new Array(r - a.length).fill(1), ...a];
  const pb = [...new Array(r - b.length).fill(1), ...b];
  const groups: { d: number; fa: boolean; fb: boolean }[] = [];
  for (let i = 0; i < r; i++) {
    if (out[i] === 1) continue;
    const fa = pa[i] === out[i];
    const fb = pb[i] === out[i];
    const last = groups[groups.length - 1];
    if (last && last.fa === fa && last.fb === fb) last.d *= out[i]!;
    else groups.push({ d: out[i]!, fa, fb });
  }
  if (groups.length > 4) return null;
  while (groups.length < 4) groups.unshift({ d: 1, fa: true, fb: true });
  const strides = (full: (g: (typeof groups)[number]) => boolean) => {
    const s = new Array(4).fill(0);
    let acc = 1;
    for (let i = 3; i >= 0; i--) {
      const g = groups[i]!;
      if (full(g)) {
        s[i] = g.d === 1 ? 0 : acc;
        acc *= g.d;
      }
    }
    return s;
  };
  return { dims: groups.map((g) => g.d), sa: strides((g) => g.fa), sb: strides((g) => g.fb) };
}

/**
 * A reduction over `axes` of `shape` as `[P, Q, R]` (Q reduced), or null when the reduced axes
 * are not one contiguous block once size-1 dims are dropped.
 *
 * @example
 * reducePlan([16, 8, 8, 64], [0, 1, 2]); // [1, 1024, 64]
 */
export function reducePlan(shape: readonly number[], axes: readonly number[]): [number, number, number] | null {
  let p = 1;
  let q = 1;
  let r = 1;
  let stage = 0; // 0: before the reduced block, 1: inside it, 2: after it
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]!;
    if (d === 1) continue;
    const reduced = axes.includes(i);
    if (reduced) {
      if (stage === 2) return null;
      stage = 1;
      q *= d;
    } else if (stage === 0) p *= d;
    else {
      stage = 2;
      r *= d;
    }
  }
  return [p, q, r];
}

/** The native elementwise kernels for `kind`; `prev(name)` is the kernel each replaces. */
export function elementwiseKernels(addon: NativeAddon, kind: BackendKind, prev: (name: string) => KernelFunc): KernelConfig[] {
  const binary = (name: string, op: 0 | 1 | 2 | 3): KernelConfig => ({
    kernelName: name,
    backendName: kind,
    kernelFunc: (args) => {
      const { inputs, backend } = args as unknown as Args;
      const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
      if (a.dtype !== 'float32' || b.dtype !== 'float32') return prev(name)(args);
      const shape = backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      const plan = util.sizeFromShape(shape) >= MIN_ELEMENTS ? broadcastPlan(shape, a.shape, b.shape) : null;
      if (!plan) return prev(name)(args);
      return compute(backend, kind, shape, [a, b], ([av, bv], out) =>
        addon.binary(op, av!, bv!, out, Int32Array.from([...plan.dims, ...plan.sa, ...plan.sb])),
      );
    },
  });
  const leaky: KernelFunc = (args) => {
    const { inputs, backend, attrs } = args as unknown as Args;
    const { x } = inputs as { x: TensorInfo };
    if (x.dtype !== 'float32' || util.sizeFromShape(x.shape) < MIN_ELEMENTS) return prev(LeakyRelu)(args);
    return compute(backend, kind, x.shape, [x], ([xv], out) => addon.leakyRelu(xv!, out, (attrs as unknown as { alpha: number }).alpha));
  };
  const leakyGrad: KernelFunc = (args) => {
    const { inputs, backend, attrs } = args as unknown as Args;
    const { dy, x } = inputs as { dy: TensorInfo; x: TensorInfo };
    if (util.sizeFromShape(x.shape) < MIN_ELEMENTS) return prev(LEAKY_RELU_GRAD)(args);
    return compute(backend, kind, x.shape, [dy, x], ([dv, xv], out) =>
      addon.leakyReluGrad(dv!, xv!, out, (attrs as unknown as { alpha: number }).alpha),
    );
  };
  const reduce =
    (name: string, mean: boolean): KernelFunc =>
    (args) => {
      const { inputs, backend, attrs } = args as unknown as Args;
      const { x } = inputs as { x: TensorInfo };
      const { axis, keepDims } = attrs as unknown as { axis: number | number[]; keepDims: boolean };
      if (x.dtype !== 'float32' || util.sizeFromShape(x.shape) < MIN_ELEMENTS) return prev(name)(args);
      const axes = util.parseAxisParam(axis, x.shape);
      const plan = reducePlan(x.shape, axes);
      if (!plan) return prev(name)(args);
      let shape = x.shape.filter((_, i) => !axes.includes(i));
      if (keepDims) shape = backend_util.expandShapeToKeepDim(shape, axes);
      return compute(backend, kind, shape, [x], ([xv], out) => addon.reduce(xv!, out, Int32Array.from(plan), mean ? 1 / plan[1] : 1));
    };
  const tile: KernelFunc = (args) => {
    const { inputs, backend, attrs } = args as unknown as Args;
    const { x } = inputs as { x: TensorInfo };
    const { reps } = attrs as unknown as { reps: number[] };
    const shape = x.shape.map((d, i) => d * reps[i]!);
    if (x.dtype !== 'float32' || x.shape.length < 1 || x.shape.length > 6 || util.sizeFromShape(shape) < MIN_ELEMENTS)
      return prev(Tile)(args);
    return compute(backend, kind, shape, [x], ([xv], out) => addon.tile(xv!, out, Int32Array.from([...x.shape, ...reps])));
  };
  const fir: KernelFunc = (args) => {
    const { inputs, backend, attrs } = args as unknown as Args;
    const { x } = inputs as { x: TensorInfo };
    const a = attrs as unknown as { mh: Float32Array; mw: Float32Array; outH: number; outW: number };
    const [n, h, w, c] = x.shape as [number, number, number, number];
    if (x.dtype !== 'float32') throw new Error(`@gan-control/backend: ${UPFIRDN} takes float32 input (got ${x.dtype})`);
    return compute(backend, kind, [n, a.outH, a.outW, c], [x], ([xv], out) =>
      addon.fir(xv!, out, Int32Array.from([n, h, w, c, a.outH, a.outW]), a.mh, a.mw),
    );
  };
  const biasLeaky: KernelFunc = (args) => {
    const { inputs, backend, attrs } = args as unknown as Args;
    const { x, b } = inputs as { x: TensorInfo; b: TensorInfo };
    const c = x.shape[x.shape.length - 1]!;
    if (x.dtype !== 'float32' || b.dtype !== 'float32' || b.shape.length !== 1 || b.shape[0] !== c) {
      throw new Error(
        `@gan-control/backend: ${BIAS_LEAKY_RELU} takes float32 x [..., C] and b [C] (got ${x.dtype} [${x.shape}] and ${b.dtype} [${b.shape}])`,
      );
    }
    return compute(backend, kind, x.shape, [x, b], ([xv, bv], out) =>
      addon.biasLeakyRelu(xv!, bv!, out, (attrs as unknown as { alpha: number }).alpha),
    );
  };
  const adam: KernelFunc = (args) => {
    const { inputs, backend, attrs } = args as unknown as Args;
    const { param } = inputs as { param: TensorInfo };
    if (util.sizeFromShape(param.shape) < MIN_ELEMENTS) return prev(ADAM_UPDATE)(args);
    const a = attrs as unknown as { beta1: number; beta2: number; eps: number; stepSize: number; sqrtBc2: number };
    const k = Float32Array.from([a.beta1, a.beta2, 1 - a.beta1, 1 - a.beta2, a.eps, a.stepSize, a.sqrtBc2]);
    const ins = ['param', 'grad', 'm', 'v'].map((n) => (inputs as Record<string, TensorInfo>)[n]!);
    if (kind === 'wasm') {
      const b = backend as WasmLikeBackend;
      const outs = [0, 1, 2].map(() => b.makeOutput(param.shape, 'float32'));
      const [pv, gv, mv, vv] = ins.map((t) => values(backend, kind, t) as Float32Array);
      const [po, mo, vo] = outs.map((t) => b.typedArrayFromHeap(t) as Float32Array);
      addon.adam(pv!, gv!, mv!, vv!, po!, mo!, vo!, k);
      return outs;
    }
    const n = util.sizeFromShape(param.shape);
    const [po, mo, vo] = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
    const [pv, gv, mv, vv] = ins.map((t) => values(backend, kind, t) as Float32Array);
    addon.adam(pv!, gv!, mv!, vv!, po, mo, vo, k);
    return [po, mo, vo].map((d) => (backend as CpuLikeBackend).makeTensorInfo(param.shape, 'float32', d));
  };
  const ema: KernelFunc = (args) => {
    const { inputs, backend, attrs } = args as unknown as Args;
    const { ema: e, source } = inputs as { ema: TensorInfo; source: TensorInfo };
    if (util.sizeFromShape(source.shape) < MIN_ELEMENTS) return prev(EMA_UPDATE)(args);
    return compute(backend, kind, source.shape, [e, source], ([ev, sv], out) =>
      addon.ema(ev!, sv!, out, (attrs as unknown as { beta: number }).beta),
    );
  };
  const demodArgs = (styles: TensorInfo, weight: TensorInfo, attrs: NamedAttrMap) => {
    const [kh, kw, i, o] = weight.shape as [number, number, number, number];
    const [n, si] = styles.shape as [number, number];
    if (styles.dtype !== 'float32' || weight.dtype !== 'float32' || styles.shape.length !== 2 || weight.shape.length !== 4 || si !== i) {
      throw new Error(
        `@gan-control/backend: ${MODCONV_DEMOD} takes float32 styles [N, I] and weight [k, k, I, O] (got ${styles.dtype} [${styles.shape}] and ${weight.dtype} [${weight.shape}])`,
      );
    }
    const a = attrs as unknown as { gain: number; eps: number };
    return { n, i, o, params: Int32Array.from([n, i, o, kh * kw]), k: Float32Array.from([a.gain, a.eps]) };
  };
  const none = new Float32Array(0);
  const demod: KernelFunc = (args) => {
    const { inputs, backend, attrs } = args as unknown as Args;
    const { styles, weight } = inputs as { styles: TensorInfo; weight: TensorInfo };
    const d = demodArgs(styles, weight, attrs);
    const taps = d.params[3]!;
    // The addon replicates the composed ops' float32 steps where both of their matMuls run on its
    // GEMM; below that size they run on the replaced matMul, whose summation order differs, so
    // the same kernels are called here in the composed order (one engine op and tape entry instead
    // of ten, and the same bits).
    if (taps * d.i * d.o >= MIN_MACS && d.n * d.i * d.o >= MIN_MACS) {
      return compute(backend, kind, [d.n, d.o], [styles, weight], ([sv, wv], out) =>
        addon.demod(0, none, sv!, wv!, out, none, d.params, d.k),
      );
    }
    return demodComposed(backend, kind, styles, weight, taps, d.n, d.i, d.o, attrs as unknown as { gain: number; eps: number });
  };
  const demodGrad: KernelFunc = (args) => {
    const { inputs, backend, attrs } = args as unknown as Args;
    const { dd, styles, weight } = inputs as { dd: TensorInfo; styles: TensorInfo; weight: TensorInfo };
    const d = demodArgs(styles, weight, attrs);
    if (dd.dtype !== 'float32' || !util.arraysEqual(dd.shape, [d.n, d.o])) {
      throw new Error(`@gan-control/backend: ${MODCONV_DEMOD_GRAD} takes float32 dd [${d.n}, ${d.o}] (got ${dd.dtype} [${dd.shape}])`);
    }
    const ins = [dd, styles, weight];
    if (kind === 'wasm') {
      const b = backend as WasmLikeBackend;
      const outs = [b.makeOutput(styles.shape, 'float32'), b.makeOutput(weight.shape, 'float32')];
      // Views after every allocation (allocating may grow the heap and detach older views).
      const [dv, sv, wv] = ins.map((t) => values(backend, kind, t) as Float32Array);
      const [dso, dwo] = outs.map((t) => b.typedArrayFromHeap(t) as Float32Array);
      addon.demod(1, dv!, sv!, wv!, dso!, dwo!, d.params, d.k);
      return outs;
    }
    const [dso, dwo] = [new Float32Array(util.sizeFromShape(styles.shape)), new Float32Array(util.sizeFromShape(weight.shape))];
    const [dv, sv, wv] = ins.map((t) => values(backend, kind, t) as Float32Array);
    addon.demod(1, dv!, sv!, wv!, dso, dwo, d.params, d.k);
    return [
      (backend as CpuLikeBackend).makeTensorInfo(styles.shape, 'float32', dso),
      (backend as CpuLikeBackend).makeTensorInfo(weight.shape, 'float32', dwo),
    ];
  };
  const nhwcPair = (name: string, x: TensorInfo, other: TensorInfo, otherShape: number[]) => {
    if (x.dtype !== 'float32' || other.dtype !== 'float32' || x.shape.length !== 4 || !util.arraysEqual(other.shape, otherShape)) {
      throw new Error(
        `@gan-control/backend: ${name} takes float32 [N, H, W, C] and [${otherShape.length === 2 ? 'N, C' : 'N, H, W, C'}] (got ${x.dtype} [${x.shape}] and ${other.dtype} [${other.shape}])`,
      );
    }
    return x.shape as [number, number, number, number];
  };
  const scaleChannels: KernelFunc = (args) => {
    const { inputs, backend } = args as unknown as Args;
    const { x, s } = inputs as { x: TensorInfo; s: TensorInfo };
    const [n, , , c] = nhwcPair(SCALE_CHANNELS, x, s, [x.shape[0]!, x.shape[3]!]);
    // The broadcast Multiply it stands for (the same values): the addon's, or the replaced kernel's when small.
    const sb: TensorInfo = { dataId: s.dataId, shape: [n, 1, 1, c], dtype: s.dtype };
    const plan = util.sizeFromShape(x.shape) >= MIN_ELEMENTS ? broadcastPlan(x.shape, x.shape, sb.shape) : null;
    if (!plan) return callKernel(backend, kind, Multiply, { a: x, b: sb });
    return compute(backend, kind, x.shape, [x, s], ([xv, sv], out) =>
      addon.binary(2, xv!, sv!, out, Int32Array.from([...plan.dims, ...plan.sa, ...plan.sb])),
    );
  };
  const channelDot: KernelFunc = (args) => {
    const { inputs, backend } = args as unknown as Args;
    const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    const [n, h, w, c] = nhwcPair(CHANNEL_DOT, a, b, a.shape);
    const p = h * w;
    return compute(backend, kind, [n, c], [a, b], ([av, bv], out) => {
      if (n * p * c >= MIN_ELEMENTS) return addon.channelDot(av!, bv!, out, Int32Array.from([n, p, c]));
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < c; j++) {
          let acc = 0;
          for (let q = 0; q < p; q++) acc += Math.fround(av![(i * p + q) * c + j]! * bv![(i * p + q) * c + j]!);
          out[i * c + j] = acc;
        }
      }
    });
  };
  return [
    { kernelName: SCALE_CHANNELS, backendName: kind, kernelFunc: scaleChannels },
    { kernelName: CHANNEL_DOT, backendName: kind, kernelFunc: channelDot },
    { kernelName: ADAM_UPDATE, backendName: kind, kernelFunc: adam },
    { kernelName: EMA_UPDATE, backendName: kind, kernelFunc: ema },
    { kernelName: MODCONV_DEMOD, backendName: kind, kernelFunc: demod },
    { kernelName: MODCONV_DEMOD_GRAD, backendName: kind, kernelFunc: demodGrad },
    { kernelName: UPFIRDN, backendName: kind, kernelFunc: fir },
    { kernelName: BIAS_LEAKY_RELU, backendName: kind, kernelFunc: biasLeaky },
    binary(Add, 0),
    binary(Sub, 1),
    binary(Multiply, 2),
    binary(RealDiv, 3),
    { kernelName: LeakyRelu, backendName: kind, kernelFunc: leaky },
    { kernelName: LEAKY_RELU_GRAD, backendName: kind, kernelFunc: leakyGrad },
    { kernelName: Sum, backendName: kind, kernelFunc: reduce(Sum, false) },
    { kernelName: Mean, backendName: kind, kernelFunc: reduce(Mean, true) },
    { kernelName: Tile, backendName: kind, kernelFunc: tile },
  ];
}

/**
 * `MODCONV_DEMOD` as the composed ops compute it (`@gan-control/stylegan2`'s `demodCoefficients`
 * without the fused kernel): Square, the ones-row BatchMatMul over the taps, Square, BatchMatMul,
 * Add, Rsqrt, Multiply, each the kernel registered for `kind`, called directly (no engine op).
 */
function demodComposed(
  backend: KernelBackend,
  kind: BackendKind,
  styles: TensorInfo,
  weight: TensorInfo,
  taps: number,
  n: number,
  i: number,
  o: number,
  a: { gain: number; eps: number },
): TensorInfo {
  const as = (t: TensorInfo, shape: number[]): TensorInfo => ({ dataId: t.dataId, shape, dtype: t.dtype }); // a reshape (same data)
  const call = (name: string, ins: Record<string, TensorInfo>, attrs: NamedAttrMap = {}) => callKernel(backend, kind, name, ins, attrs);
  const mm = { transposeA: false, transposeB: false } as unknown as NamedAttrMap;
  const temps: TensorInfo[] = [];
  const keep = (t: TensorInfo) => (temps.push(t), t);
  try {
    const ones = keep(output(backend, kind, [1, 1, taps], new Float32Array(taps).fill(1)));
    const sq = keep(call('Square', { x: weight }));
    const wsq = keep(call('BatchMatMul', { a: ones, b: as(sq, [1, taps, i * o]) }, mm));
    const s2 = keep(call('Square', { x: styles }));
    const q = keep(call('BatchMatMul', { a: as(s2, [1, n, i]), b: as(wsq, [1, i, o]) }, mm));
    const eps = keep(output(backend, kind, [], Float32Array.of(a.eps)));
    const q2 = keep(call('Add', { a: as(q, [n, o]), b: eps }));
    const r = call('Rsqrt', { x: q2 });
    if (a.gain === 1) return r;
    keep(r);
    const gain = keep(output(backend, kind, [], Float32Array.of(a.gain)));
    return call('Multiply', { a: r, b: gain });
  } finally {
    for (const t of temps) release(backend, kind, t);
  }
}
