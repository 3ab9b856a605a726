// Convolution gradients for the tfjs wasm backend, built from its fast (XNNPACK) forward kernels.
//
// With x [N,H,W,Ci], filter w [KH,KW,Ci,Co], dy [N,OH,OW,Co], stride s, dilation d and explicit
// pads (pt, pl), the forward is y[n,oh,ow,co] = Σ x[n, oh·s + kh·d − pt, ow·s + kw·d − pl, ci] · w[kh,kw,ci,co].
//  - filter gradient: dw[kh,kw,ci,co] = Σ_{n,oh,ow} x[n, oh·s + kh·d − pt, …, ci] · dy[n,oh,ow,co]
//    is a convolution of xᵀ ([Ci,H,W,N], batch = Ci, channels = N) with dyᵀ ([OH,OW,N,Co] as the
//    filter) at stride d and dilation s, with the same pads; the result is [Ci,KH',KW',Co], KH' ≥ KH.
//  - input gradient: dx[n,ih,iw,ci] = Σ dyz[n, ih + pt − kh·d, …, co] · w[kh,kw,ci,co], where dyz is
//    dy with s−1 zeros inserted between rows/columns: a stride-1 correlation of dyz padded by
//    (KH−1)·d − pt with the spatially flipped filter [KH,KW,Co,Ci].
// Depthwise convolutions follow the same identities per channel (see each kernel).
import {
  backend_util,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  DepthwiseConv2dNativeBackpropFilter,
  DepthwiseConv2dNativeBackpropInput,
  type KernelBackend,
  type KernelConfig,
  type NamedAttrMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { callKernel, release } from './access.js';

type Pad = 'valid' | 'same' | number | backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

const NAME = 'wasm';

/** A little arena: every intermediate goes through `k` and is released by `done`. */
function composer(backend: KernelBackend) {
  const owned: TensorInfo[] = [];
  return {
    k(kernel: string, inputs: Record<string, TensorInfo>, attrs: NamedAttrMap = {}): TensorInfo {
      const out = callKernel(backend, NAME, kernel, inputs, attrs);
      owned.push(out);
      return out;
    },
    /** Releases every intermediate except `keep`. */
    done(keep: TensorInfo): TensorInfo {
      for (const t of owned) if (t !== keep) release(backend, 'wasm', t);
      return keep;
    },
  };
}

function assertNhwc(dataFormat: unknown, kernel: string): void {
  if (dataFormat !== undefined && dataFormat !== 'NHWC') {
    throw new Error(
      `@gan-control/backend: ${kernel} on wasm supports dataFormat 'NHWC' only (got '${String(dataFormat)}'); transpose NCHW inputs to NHWC first.`,
    );
  }
}

/**
 * Inserts `s − 1` zeros after every row/column of `dy` ([N,OH,OW,C]) → [N, OH·sH, OW·sW, C],
 * then pads/crops rows to [before, total] as requested (negative pads crop).
 */
function dilateAndPad(
  c: ReturnType<typeof composer>,
  dy: TensorInfo,
  sH: number,
  sW: number,
  rows: [number, number],
  cols: [number, number],
): { t: TensorInfo; pad: [[number, number], [number, number], [number, number], [number, number]] } {
  const [n, oh, ow, ch] = dy.shape;
  let t = dy;
  let h = oh;
  let w = ow;
  if (sH > 1 || sW > 1) {
    const r = c.k('Reshape', { x: t }, { shape: [n, oh, 1, ow, 1, ch] });
    const p = c.k(
      'PadV2',
      { x: r },
      {
        paddings: [
          [0, 0],
          [0, 0],
          [0, sH - 1],
          [0, 0],
          [0, sW - 1],
          [0, 0],
        ],
        constantValue: 0,
      },
    );
    h = oh * sH;
    w = ow * sW;
    t = c.k('Reshape', { x: p }, { shape: [n, h, w, ch] });
  }
  // Negative pads are crops, done with Slice; the positive parts go to the convolution's padding.
  const cropTop = Math.max(0, -rows[0]);
  const cropBottom = Math.max(0, -rows[1]);
  const cropLeft = Math.max(0, -cols[0]);
  const cropRight = Math.max(0, -cols[1]);
  if (cropTop || cropBottom || cropLeft || cropRight) {
    t = c.k('Slice', { x: t }, { begin: [0, cropTop, cropLeft, 0], size: [n, h - cropTop - cropBottom, w - cropLeft - cropRight, ch] });
  }
  return {
    t,
    pad: [
      [0, 0],
      [Math.max(0, rows[0]), Math.max(0, rows[1])],
      [Math.max(0, cols[0]), Math.max(0, cols[1])],
      [0, 0],
    ],
  };
}

/** `Conv2DBackpropInput` from the forward `Conv2D`. Also the forward of `conv2dTranspose`. */
export function conv2DBackpropInputWasm(args: {
  inputs: Record<string, TensorInfo>;
  backend: KernelBackend;
  attrs: NamedAttrMap;
}): TensorInfo {
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = args.attrs as unknown as {
    strides: [number, number] | number;
    pad: Pad;
    dataFormat: string;
    dimRoundingMode: Rounding;
    inputShape: [number, number, number, number];
  };
  assertNhwc(dataFormat, 'Conv2DBackpropInput');
  const info = backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  const c = composer(args.backend);
  const { filterHeight: kh, filterWidth: kw, inHeight: h, inWidth: w } = info;
  const top = kh - 1 - info.padInfo.top;
  const left = kw - 1 - info.padInfo.left;
  const hz = dy.shape[1] * info.strideHeight;
  const wz = dy.shape[2] * info.strideWidth;
  const { t, pad: convPad } = dilateAndPad(
    c,
    dy,
    info.strideHeight,
    info.strideWidth,
    [top, h + kh - 1 - top - hz],
    [left, w + kw - 1 - left - wz],
  );
  const flipped = c.k('Reverse', { x: filter }, { dims: [0, 1] });
  const wt = c.k('Transpose', { x: flipped }, { perm: [0, 1, 3, 2] });
  const dx = c.k('Conv2D', { x: t, filter: wt }, { strides: [1, 1], pad: convPad, dataFormat: 'NHWC', dilations: [1, 1] });
  return c.done(dx);
}

/** `Conv2DBackpropFilter`, missing from stock tfjs wasm. */
export function conv2DBackpropFilterWasm(args: {
  inputs: Record<string, TensorInfo>;
  backend: KernelBackend;
  attrs: NamedAttrMap;
}): TensorInfo {
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = args.attrs as unknown as {
    strides: [number, number] | number;
    pad: Pad;
    dataFormat: string;
    dimRoundingMode: Rounding;
    filterShape: [number, number, number, number];
  };
  assertNhwc(dataFormat, 'Conv2DBackpropFilter');
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  const c = composer(args.backend);
  const xt = c.k('Transpose', { x }, { perm: [3, 1, 2, 0] });
  const dyt = c.k('Transpose', { x: dy }, { perm: [1, 2, 0, 3] });
  const p = info.padInfo;
  const full = c.k(
    'Conv2D',
    { x: xt, filter: dyt },
    {
      strides: [1, 1],
      dilations: [info.strideHeight, info.strideWidth],
      dataFormat: 'NHWC',
      pad: [
        [0, 0],
        [p.top, p.bottom],
        [p.left, p.right],
        [0, 0],
      ],
    },
  );
  const [ci, fullH, fullW, co] = full.shape;
  const cut =
    fullH === info.filterHeight && fullW === info.filterWidth
      ? full
      : c.k('Slice', { x: full }, { begin: [0, 0, 0, 0], size: [ci, info.filterHeight, info.filterWidth, co] });
  const dw = c.k('Transpose', { x: cut }, { perm: [1, 2, 0, 3] });
  return c.done(dw);
}

/** `DepthwiseConv2dNativeBackpropInput` (missing from stock tfjs wasm). */
export function depthwiseBackpropInputWasm(args: {
  inputs: Record<string, TensorInfo>;
  backend: KernelBackend;
  attrs: NamedAttrMap;
}): TensorInfo {
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const { strides, dilations, pad, dimRoundingMode, inputShape } = args.attrs as unknown as {
    strides: [number, number] | number;
    dilations: [number, number] | number;
    pad: Pad;
    dimRoundingMode: Rounding;
    inputShape: [number, number, number, number];
  };
  const fShape = filter.shape as [number, number, number, number];
  const info = backend_util.computeConv2DInfo(inputShape, fShape, strides, dilations ?? 1, pad, dimRoundingMode, true, 'channelsLast');
  const c = composer(args.backend);
  const [kh, kw, ch, mult] = fShape;
  const ekh = info.effectiveFilterHeight;
  const ekw = info.effectiveFilterWidth;
  const top = ekh - 1 - info.padInfo.top;
  const left = ekw - 1 - info.padInfo.left;
  const hz = dy.shape[1] * info.strideHeight;
  const wz = dy.shape[2] * info.strideWidth;
  const { t, pad: convPad } = dilateAndPad(
    c,
    dy,
    info.strideHeight,
    info.strideWidth,
    [top, info.inHeight + ekh - 1 - top - hz],
    [left, info.inWidth + ekw - 1 - left - wz],
  );
  // Each of the C·M channels of dy is correlated with its own flipped filter tap set, then the
  // M contributions of a channel are summed.
  const flipped = c.k('Reverse', { x: filter }, { dims: [0, 1] });
  const f1 = c.k('Reshape', { x: flipped }, { shape: [kh, kw, ch * mult, 1] });
  const y = c.k(
    'DepthwiseConv2dNative',
    { x: t, filter: f1 },
    {
      strides: [1, 1],
      pad: convPad,
      dilations: [info.dilationHeight, info.dilationWidth],
    },
  );
  if (mult === 1) return c.done(y);
  const [n, h, w] = y.shape;
  const r = c.k('Reshape', { x: y }, { shape: [n, h, w, ch, mult] });
  const dx = c.k('Sum', { x: r }, { axis: [4], keepDims: false });
  return c.done(dx);
}

/** `DepthwiseConv2dNativeBackpropFilter` (missing from stock tfjs wasm). */
export function depthwiseBackpropFilterWasm(args: {
  inputs: Record<string, TensorInfo>;
  backend: KernelBackend;
  attrs: NamedAttrMap;
}): TensorInfo {
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, dilations, pad, dimRoundingMode, filterShape } = args.attrs as unknown as {
    strides: [number, number] | number;
    dilations: [number, number] | number;
    pad: Pad;
    dimRoundingMode: Rounding;
    filterShape: [number, number, number, number];
  };
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    dilations ?? 1,
    pad,
    dimRoundingMode,
    true,
    'channelsLast',
  );
  const [kh, kw, ch, mult] = filterShape;
  const [n, h, w] = x.shape;
  const [, oh, ow] = dy.shape;
  const c = composer(args.backend);
  // Batch folds into channels: x → [1,H,W,N·C] (channel n·C+c), dy → filter [OH,OW,N·C,M]
  // (dy's channel c·M+m of image n becomes channel n·C+c, multiplier m).
  const xt = c.k('Transpose', { x }, { perm: [1, 2, 0, 3] });
  const x1 = c.k('Reshape', { x: xt }, { shape: [1, h, w, n * ch] });
  const dyt = c.k('Transpose', { x: dy }, { perm: [1, 2, 0, 3] });
  const f = c.k('Reshape', { x: dyt }, { shape: [oh, ow, n * ch, mult] });
  const p = info.padInfo;
  const full = c.k(
    'DepthwiseConv2dNative',
    { x: x1, filter: f },
    {
      strides: [info.dilationHeight, info.dilationWidth],
      dilations: [info.strideHeight, info.strideWidth],
      pad: [
        [0, 0],
        [p.top, p.bottom],
        [p.left, p.right],
        [0, 0],
      ],
    },
  );
  const [, fullH, fullW] = full.shape;
  const cut = fullH === kh && fullW === kw ? full : c.k('Slice', { x: full }, { begin: [0, 0, 0, 0], size: [1, kh, kw, n * ch * mult] });
  const r = c.k('Reshape', { x: cut }, { shape: [kh, kw, n, ch, mult] });
  const dw = c.k('Sum', { x: r }, { axis: [2], keepDims: false });
  return c.done(dw);
}

/** The conv-gradient kernels this module provides for the `wasm` backend. */
export const wasmConvGradKernels: KernelConfig[] = [
  { kernelName: Conv2DBackpropInput, backendName: NAME, kernelFunc: conv2DBackpropInputWasm as never },
  { kernelName: Conv2DBackpropFilter, backendName: NAME, kernelFunc: conv2DBackpropFilterWasm as never },
  { kernelName: DepthwiseConv2dNativeBackpropInput, backendName: NAME, kernelFunc: depthwiseBackpropInputWasm as never },
  { kernelName: DepthwiseConv2dNativeBackpropFilter, backendName: NAME, kernelFunc: depthwiseBackpropFilterWasm as never },
];
