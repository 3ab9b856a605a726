// The addon's multi-threaded spatial kernels: the max- and average-pool gradients, the depthwise
// convolution (multiplier 1) and its input gradient, and non-contiguous Slice / PadV2. These are
// where the face plugins' backward spent its time on wasm (age's TinyXception: a single-threaded
// JS MaxPoolGrad, a wasm AvgPoolGrad, a Slice that falls back to a per-element JS loop for the
// centre crop, single-threaded depthwise convolutions). Below `MIN_ELEMENTS` output values, for
// non-float32 data, NCHW, channel multipliers above 1 and ranks above 6, the replaced kernel runs.
import {
  AvgPoolGrad,
  backend_util,
  DepthwiseConv2dNative,
  DepthwiseConv2dNativeBackpropInput,
  MaxPoolGrad,
  PadV2,
  Slice,
  slice_util,
  util,
  type KernelBackend,
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { compute, type BackendKind } from '../kernels/access.js';
import { convParams, type NativeAddon } from './addon.js';
import { MIN_ELEMENTS } from './elementwise.js';

type Args = { inputs: Record<string, TensorInfo>; backend: KernelBackend; attrs: NamedAttrMap };
type Pad = 'valid' | 'same' | number | backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

/** The kernel names this module replaces (and falls back to). */
export const SPATIAL_KERNELS = [MaxPoolGrad, AvgPoolGrad, DepthwiseConv2dNative, DepthwiseConv2dNativeBackpropInput, Slice, PadV2];

const fits = (n: number) => n < 2 ** 31;
const nhwc = (f: unknown) => f === undefined || f === 'NHWC';

function poolParams(info: backend_util.Conv2DInfo): Int32Array {
  return Int32Array.from([
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.strideHeight,
    info.strideWidth,
    info.dilationHeight,
    info.dilationWidth,
    info.effectiveFilterHeight,
    info.effectiveFilterWidth,
    info.padInfo.top,
    info.padInfo.left,
    info.filterHeight,
    info.filterWidth,
  ]);
}

/** The attributes both depthwise kernels read. */
type DepthwiseAttrs = {
  strides: [number, number] | number;
  pad: Pad;
  dilations: [number, number] | number;
  dimRoundingMode: Rounding;
};

/** The native spatial kernels for `kind`; `prev(name)` is the kernel each replaces. */
export function spatialKernels(addon: NativeAddon, kind: BackendKind, prev: (name: string) => KernelFunc): KernelConfig[] {
  const maxPoolGrad: KernelFunc = (args) => {
    const { inputs, backend, attrs } = args as unknown as Args;
    const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
    const a = attrs as unknown as {
      filterSize: [number, number] | number;
      strides: [number, number] | number;
      pad: Pad;
      dimRoundingMode?: Rounding;
    };
    const n = util.sizeFromShape(input.shape);
    if (dy.dtype !== 'float32' || input.dtype !== 'float32' || input.shape.length !== 4 || n < MIN_ELEMENTS || !fits(n))
      return prev(MaxPoolGrad)(args);
    const info = backend_util.computePool2DInfo(
      input.shape as [number, number, number, number],
      a.filterSize,
      a.strides,
      1,
      a.pad,
      a.dimRoundingMode,
    );
    return compute(backend, kind, [...input.shape], [dy, input], ([g, x], out) => addon.pool(0, g!, x!, out, poolParams(info)));
  };
  const avgPoolGrad: KernelFunc = (args) => {
    const { inputs, backend, attrs } = args as unknown as Args;
    const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
    const a = attrs as unknown as { filterSize: [number, number] | number; strides: [number, number] | number; pad: Pad };
    const n = util.sizeFromShape(input.shape);
    if (dy.dtype !== 'float32' || input.shape.length !== 4 || n < MIN_ELEMENTS || !fits(n)) return prev(AvgPoolGrad)(args);
    const info = backend_util.computePool2DInfo(input.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad);
    // x is not read by the average-pool gradient: dy stands in for it.
    return compute(backend, kind, [...input.shape], [dy], ([g], out) => addon.pool(1, g!, g!, out, poolParams(info)));
  };
  const depthwise: KernelFunc = (args) => {
    const { inputs, backend, attrs } = args as unknown as Args;
    const { x, filter } = inputs as { x: TensorInfo; filter: TensorInfo };
    const a = attrs as unknown as DepthwiseAttrs & { dataFormat: string };
    if (x.dtype !== 'float32' || filter.dtype !== 'float32' || !nhwc(a.dataFormat) || x.shape.length !== 4 || filter.shape[3] !== 1)
      return prev(DepthwiseConv2dNative)(args);
    const info = backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      a.strides,
      a.dilations ?? 1,
      a.pad,
      a.dimRoundingMode,
      true,
      'channelsLast',
    );
    const n = util.sizeFromShape(info.outShape);
    if (n < MIN_ELEMENTS || !fits(n) || !fits(util.sizeFromShape(x.shape))) return prev(DepthwiseConv2dNative)(args);
    return compute(backend, kind, info.outShape, [x, filter], ([xv, fv], out) => addon.conv(3, xv!, fv!, out, convParams(info)));
  };
  const depthwiseBackInput: KernelFunc = (args) => {
    const { inputs, backend, attrs } = args as unknown as Args;
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const a = attrs as unknown as DepthwiseAttrs & { inputShape: [number, number, number, number] };
    const n = util.sizeFromShape(a.inputShape);
    if (dy.dtype !== 'float32' || filter.dtype !== 'float32' || filter.shape[3] !== 1 || n < MIN_ELEMENTS || !fits(n))
      return prev(DepthwiseConv2dNativeBackpropInput)(args);
    const info = backend_util.computeConv2DInfo(
      a.inputShape,
      filter.shape as [number, number, number, number],
      a.strides,
      a.dilations ?? 1,
      a.pad,
      a.dimRoundingMode,
      true,
      'channelsLast',
    );
    return compute(backend, kind, [...a.inputShape], [dy, filter], ([g, fv], out) => addon.conv(4, g!, fv!, out, convParams(info)));
  };
  const slice: KernelFunc = (args) => {
    const { inputs, backend, attrs } = args as unknown as Args;
    const { x } = inputs as { x: TensorInfo };
    const a = attrs as unknown as { begin: number | number[]; size: number | number[] };
    if (x.dtype !== 'float32' || x.shape.length < 1 || x.shape.length > 6) return prev(Slice)(args);
    const [begin, size] = slice_util.parseSliceParams(x as never, a.begin, a.size);
    const n = util.sizeFromShape(size);
    // Contiguous slices are one copy in the stock kernels already.
    if (n < MIN_ELEMENTS || !fits(util.sizeFromShape(x.shape)) || slice_util.isSliceContinous(x.shape, begin, size))
      return prev(Slice)(args);
    return compute(backend, kind, size, [x], ([xv], out) =>
      addon.box(0, xv!, out, Int32Array.from([x.shape.length, ...x.shape, ...size, ...begin]), 0),
    );
  };
  const pad: KernelFunc = (args) => {
    const { inputs, backend, attrs } = args as unknown as Args;
    const { x } = inputs as { x: TensorInfo };
    const a = attrs as unknown as { paddings: [number, number][]; constantValue: number };
    const shape = x.shape.map((d, i) => a.paddings[i]![0] + d + a.paddings[i]![1]);
    const n = util.sizeFromShape(shape);
    if (
      x.dtype !== 'float32' ||
      x.shape.length < 1 ||
      x.shape.length > 6 ||
      util.sizeFromShape(x.shape) === 0 ||
      a.paddings.some(([b, e]) => b < 0 || e < 0) ||
      n < MIN_ELEMENTS ||
      !fits(n)
    )
      return prev(PadV2)(args);
    return compute(backend, kind, shape, [x], ([xv], out) =>
      addon.box(1, xv!, out, Int32Array.from([x.shape.length, ...x.shape, ...shape, ...a.paddings.map(([b]) => b)]), a.constantValue),
    );
  };
  return [
    { kernelName: MaxPoolGrad, backendName: kind, kernelFunc: maxPoolGrad },
    { kernelName: AvgPoolGrad, backendName: kind, kernelFunc: avgPoolGrad },
    { kernelName: DepthwiseConv2dNative, backendName: kind, kernelFunc: depthwise },
    { kernelName: DepthwiseConv2dNativeBackpropInput, backendName: kind, kernelFunc: depthwiseBackInput },
    { kernelName: Slice, backendName: kind, kernelFunc: slice },
    { kernelName: PadV2, backendName: kind, kernelFunc: pad },
  ];
}
