// Registers the native addon's multi-threaded kernels over the backend's own, keeping the kernel
// they replace as the fallback for every case the addon does not cover (non-float32 data, NCHW,
// broadcasting it does not handle, tiny problems where a thread hand-off costs more than it saves).
import {
  backend_util,
  BatchMatMul,
  Conv2D,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  getKernel,
  util,
  type KernelBackend,
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { compute, output, type BackendKind } from '../kernels/access.js';
import { dropKernel, excludedKernels, installedTag, onRestoreStock, putBackKernel, replaceKernel } from '../kernels/install.js';
import { convParams, defaultThreads, loadNative, type NativeAddon } from './addon.js';
import { ELEMENTWISE_KERNELS, elementwiseKernels, MIN_MACS, NATIVE_ONLY_KERNELS } from './elementwise.js';
import { SPATIAL_KERNELS, spatialKernels } from './spatial.js';

/** Whether multi-threaded native kernels serve the active backend. */
export interface NativeStatus {
  enabled: boolean;
  threads: number;
  /** Why they are (not) in use. */
  reason: string;
}

type Args = { inputs: Record<string, TensorInfo>; backend: KernelBackend; attrs: NamedAttrMap };
type Pad = 'valid' | 'same' | number | backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

const macs = (info: backend_util.Conv2DInfo) =>
  info.batchSize * info.outHeight * info.outWidth * info.outChannels * info.filterHeight * info.filterWidth * info.inChannels;
const fits = (n: number) => n < 2 ** 31;
const nhwc = (f: unknown) => f === undefined || f === 'NHWC';

function convKernels(addon: NativeAddon, kind: BackendKind, prev: (name: string) => KernelFunc): KernelConfig[] {
  const conv: KernelFunc = (args) => {
    const { inputs, backend, attrs } = args as unknown as Args;
    const { x, filter } = inputs as { x: TensorInfo; filter: TensorInfo };
    const a = attrs as unknown as {
      strides: number | [number, number];
      pad: Pad;
      dataFormat: string;
      dilations: number | [number, number];
      dimRoundingMode: Rounding;
    };
    if (x.dtype !== 'float32' || filter.dtype !== 'float32' || !nhwc(a.dataFormat)) return prev(Conv2D)(args);
    const info = backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      a.strides,
      a.dilations ?? 1,
      a.pad,
      a.dimRoundingMode,
      false,
      'channelsLast',
    );
    if (macs(info) < MIN_MACS || !fits(util.sizeFromShape(info.outShape)) || !fits(util.sizeFromShape(x.shape))) return prev(Conv2D)(args);
    return compute(backend, kind, info.outShape, [x, filter], ([xv, fv], out) => addon.conv(0, xv!, fv!, out, convParams(info)));
  };
  const backInput: KernelFunc = (args) => {
    const { inputs, backend, attrs } = args as unknown as Args;
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const a = attrs as unknown as {
      strides: number | [number, number];
      pad: Pad;
      dataFormat: string;
      dimRoundingMode: Rounding;
      inputShape: [number, number, number, number];
    };
    if (dy.dtype !== 'float32' || filter.dtype !== 'float32' || !nhwc(a.dataFormat)) return prev(Conv2DBackpropInput)(args);
    const info = backend_util.computeConv2DInfo(
      a.inputShape,
      filter.shape as [number, number, number, number],
      a.strides,
      1,
      a.pad,
      a.dimRoundingMode,
      false,
      'channelsLast',
    );
    if (macs(info) < MIN_MACS || !fits(util.sizeFromShape(a.inputShape))) return prev(Conv2DBackpropInput)(args);
    return compute(backend, kind, [...a.inputShape], [dy, filter], ([dyv, fv], out) => addon.conv(1, dyv!, fv!, out, convParams(info)));
  };
  const backFilter: KernelFunc = (args) => {
    const { inputs, backend, attrs } = args as unknown as Args;
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const a = attrs as unknown as {
      strides: number | [number, number];
      pad: Pad;
      dataFormat: string;
      dimRoundingMode: Rounding;
      filterShape: [number, number, number, number];
    };
    if (x.dtype !== 'float32' || dy.dtype !== 'float32' || !nhwc(a.dataFormat)) return prev(Conv2DBackpropFilter)(args);
    const info = backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      a.filterShape,
      a.strides,
      1,
      a.pad,
      a.dimRoundingMode,
      false,
      'channelsLast',
    );
    if (macs(info) < MIN_MACS || !fits(util.sizeFromShape(x.shape))) return prev(Conv2DBackpropFilter)(args);
    return compute(backend, kind, [...a.filterShape], [x, dy], ([xv, dyv], out) => addon.conv(2, xv!, dyv!, out, convParams(info)));
  };
  const matmul: KernelFunc = (args) => {
    const { inputs, backend, attrs } = args as unknown as Args;
    const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return prev(BatchMatMul)(args);
    const ra = a.shape.length;
    const rb = b.shape.length;
    const m = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
    const k = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
    const k2 = transposeB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
    const n = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
    const outerA = a.shape.slice(0, -2);
    const outerB = b.shape.slice(0, -2);
    let outer: number[];
    try {
      outer = backend_util.assertAndGetBroadcastShape(outerA, outerB);
    } catch {
      return prev(BatchMatMul)(args);
    }
    const batch = util.sizeFromShape(outer);
    const ba = util.sizeFromShape(outerA);
    const bb = util.sizeFromShape(outerB);
    // The addon broadcasts a whole operand (batch 1) or none; other patterns go to the fallback.
    const plain = (o: number[], size: number) =>
      size === 1 || (size === batch && util.arraysEqual([...new Array(outer.length - o.length).fill(1), ...o], outer));
    if (k !== k2 || !plain(outerA, ba) || !plain(outerB, bb) || batch * m * n * k < MIN_MACS || !fits(batch * m * n))
      return prev(BatchMatMul)(args);
    return compute(backend, kind, [...outer, m, n], [a, b], ([av, bv], out) =>
      addon.matmul(av!, bv!, out, Int32Array.from([batch, ba, bb, m, n, k, transposeA ? 1 : 0, transposeB ? 1 : 0])),
    );
  };
  return [
    { kernelName: Conv2D, backendName: kind, kernelFunc: conv },
    { kernelName: Conv2DBackpropInput, backendName: kind, kernelFunc: backInput },
    { kernelName: Conv2DBackpropFilter, backendName: kind, kernelFunc: backFilter },
    { kernelName: BatchMatMul, backendName: kind, kernelFunc: matmul },
  ];
}

/** Per backend kind: the kernels the native ones replaced (config and this package's tag). */
const replaced = new Map<BackendKind, { config: KernelConfig; tag: string | undefined }[]>();
const NAMES = [Conv2D, Conv2DBackpropInput, Conv2DBackpropFilter, BatchMatMul, ...ELEMENTWISE_KERNELS, ...SPATIAL_KERNELS];
onRestoreStock((backendName) => replaced.delete(backendName as BackendKind));

/**
 * Installs the native addon's kernels for `kind` when the addon loads (building it on first use
 * if needed). Idempotent; returns why native kernels are or are not in use.
 */
export async function installNativeKernels(kind: BackendKind): Promise<NativeStatus> {
  const loaded = await loadNative();
  if (!loaded.addon) return { enabled: false, threads: 1, reason: loaded.reason };
  const addon = loaded.addon;
  if (!replaced.has(kind)) {
    // Capture the kernels being replaced (stock or this package's JS ones) as fallbacks.
    const previous = new Map<string, KernelFunc>();
    const saved: { config: KernelConfig; tag: string | undefined }[] = [];
    for (const name of NAMES) {
      const k = getKernel(name, kind);
      if (!k) continue;
      previous.set(name, k.kernelFunc);
      saved.push({ config: k, tag: installedTag(name, kind) });
    }
    const prev = (name: string): KernelFunc => {
      const f = previous.get(name);
      if (!f)
        throw new Error(
          `@gan-control/backend: no ${kind} kernel for ${name} to fall back to (the native kernel does not cover this case).`,
        );
      return f;
    };
    const excluded = excludedKernels(); // GAN_CONTROL_EXCLUDE_KERNELS (A/B timings)
    for (const k of [...convKernels(addon, kind, prev), ...elementwiseKernels(addon, kind, prev), ...spatialKernels(addon, kind, prev)]) {
      if (excluded.has(k.kernelName)) continue;
      if (previous.has(k.kernelName) || NATIVE_ONLY_KERNELS.includes(k.kernelName)) replaceKernel(k, 'native');
    }
    replaced.set(kind, saved);
  }
  return { enabled: true, threads: addon.info().threads, reason: `native addon ${loaded.path}` };
}

/** Sets the native kernels' worker count (default: GAN_CONTROL_THREADS or the usable CPUs). */
export async function setNativeThreads(n: number = defaultThreads()): Promise<number> {
  const loaded = await loadNative();
  return loaded.addon ? loaded.addon.setThreads(n) : 1;
}

/**
 * Puts back the kernels the native ones replaced for `kind` (for A/B comparisons in tests and
 * benchmarks); `setupBackend` installs them again.
 */
export function removeNativeKernels(kind: BackendKind): void {
  const saved = replaced.get(kind);
  if (!saved) return;
  for (const { config, tag } of saved) putBackKernel(config, tag);
  for (const name of NATIVE_ONLY_KERNELS) dropKernel(name, kind);
  replaced.delete(kind);
}
