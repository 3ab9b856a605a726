// Small gradient kernels written in plain TypeScript over the backends' float32 data, for the
// cases where a stock tfjs kernel is missing (wasm: UnsortedSegmentSum) or wrong (wasm MaxPoolGrad
// drops windows whose maximum is negative; cpu ResizeNearestNeighborGrad reads dy with the
// input's batch stride and ignores halfPixelCenters, so batch > 1 is wrong; cpu
// ResizeBilinearGrad returns [N,W,H,C] (wrong for non-square images) and both backends' ignore
// halfPixelCenters).
import { ADAM_UPDATE, EMA_UPDATE, LEAKY_RELU_GRAD } from '@gan-control/gradients';
import {
  backend_util,
  Identity,
  MaxPoolGrad,
  ResizeBilinearGrad,
  ResizeNearestNeighborGrad,
  UnsortedSegmentSum,
  util,
  type KernelBackend,
  type KernelConfig,
  type NamedAttrMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { compute, output, values, type BackendKind, type WasmLikeBackend } from './access.js';

type Args = { inputs: Record<string, TensorInfo>; backend: KernelBackend; attrs: NamedAttrMap };

/**
 * Max-pool gradient: each window's dy goes to the first position (row-major) that holds the
 * window's maximum among the real (unpadded) inputs, as tf.maxPool's cpu reference picks it.
 */
export function maxPoolGradJs(kind: BackendKind) {
  return (args: Args): TensorInfo => {
    const { dy, input } = args.inputs as { dy: TensorInfo; input: TensorInfo };
    const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as {
      filterSize: [number, number] | number;
      strides: [number, number] | number;
      pad: 'valid' | 'same' | number;
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
    };
    const info = backend_util.computePool2DInfo(
      input.shape as [number, number, number, number],
      filterSize,
      strides,
      1,
      pad,
      dimRoundingMode,
    );
    const x = values(args.backend, kind, input);
    const g = values(args.backend, kind, dy);
    const { batchSize: n, inHeight: h, inWidth: w, inChannels: ch, outHeight: oh, outWidth: ow } = info;
    const dx = new Float32Array(n * h * w * ch);
    for (let b = 0; b < n; b++) {
      for (let r = 0; r < oh; r++) {
        const r0 = r * info.strideHeight - info.padInfo.top;
        for (let q = 0; q < ow; q++) {
          const q0 = q * info.strideWidth - info.padInfo.left;
          const gBase = ((b * oh + r) * ow + q) * ch;
          for (let c = 0; c < ch; c++) {
            let best = -Infinity;
            let at = -1;
            for (let i = 0; i < info.effectiveFilterHeight; i += info.dilationHeight) {
              const y = r0 + i;
              if (y < 0 || y >= h) continue;
              for (let j = 0; j < info.effectiveFilterWidth; j += info.dilationWidth) {
                const xx = q0 + j;
                if (xx < 0 || xx >= w) continue;
                const idx = ((b * h + y) * w + xx) * ch + c;
                const v = x[idx]!;
                if (v > best || at < 0) {
                  best = v;
                  at = idx;
                }
              }
            }
            if (at >= 0) dx[at]! += g[gBase + c]!;
          }
        }
      }
    }
    return output(args.backend, kind, input.shape, dx);
  };
}

/** Source row/col of each output row/col of tf.image.resizeNearestNeighbor (same arithmetic as the forward). */
function nearestSources(inSize: number, outSize: number, alignCorners: boolean, halfPixelCenters: boolean): Int32Array {
  const effIn = alignCorners && outSize > 1 ? inSize - 1 : inSize;
  const effOut = alignCorners && outSize > 1 ? outSize - 1 : outSize;
  const ratio = effIn / effOut;
  const src = new Int32Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const frac = halfPixelCenters ? ratio * (o + 0.5) : ratio * o;
    let s = Math.min(inSize - 1, alignCorners ? Math.round(frac) : Math.floor(frac));
    if (halfPixelCenters) s = Math.max(0, s);
    src[o] = s;
  }
  return src;
}

/** Nearest-neighbour resize gradient: scatter-adds dy to the pixel each output was copied from. */
export function resizeNearestNeighborGradJs(kind: BackendKind) {
  return (args: Args): TensorInfo => {
    const { images, dy } = args.inputs as { images: TensorInfo; dy: TensorInfo };
    const { alignCorners, halfPixelCenters } = args.attrs as unknown as { alignCorners: boolean; halfPixelCenters: boolean };
    const [n, h, w, ch] = images.shape as [number, number, number, number];
    const [, oh, ow] = dy.shape as [number, number, number, number];
    const rows = nearestSources(h, oh, alignCorners, halfPixelCenters);
    const cols = nearestSources(w, ow, alignCorners, halfPixelCenters);
    const g = values(args.backend, kind, dy);
    const dx = new Float32Array(n * h * w * ch);
    for (let b = 0; b < n; b++) {
      for (let r = 0; r < oh; r++) {
        for (let q = 0; q < ow; q++) {
          const to = ((b * h + rows[r]!) * w + cols[q]!) * ch;
          const from = ((b * oh + r) * ow + q) * ch;
          for (let c = 0; c < ch; c++) dx[to + c]! += g[from + c]!;
        }
      }
    }
    return output(args.backend, kind, images.shape, dx);
  };
}

/** Bilinear sample positions of tf.image.resizeBilinear along one axis (same arithmetic as the forward). */
function bilinearTaps(inSize: number, outSize: number, alignCorners: boolean, halfPixelCenters: boolean) {
  const effIn = alignCorners && outSize > 1 ? inSize - 1 : inSize;
  const effOut = alignCorners && outSize > 1 ? outSize - 1 : outSize;
  const ratio = effIn / effOut;
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const frac = new Float64Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const f = halfPixelCenters ? ratio * (o + 0.5) - 0.5 : ratio * o;
    lo[o] = Math.max(0, Math.floor(f));
    hi[o] = Math.min(inSize - 1, Math.ceil(f));
    frac[o] = f - lo[o]!;
  }
  return { lo, hi, frac };
}

/** Bilinear resize gradient: the adjoint of the forward's four-tap interpolation. */
export function resizeBilinearGradJs(kind: BackendKind) {
  return (args: Args): TensorInfo => {
    const { images, dy } = args.inputs as { images: TensorInfo; dy: TensorInfo };
    const { alignCorners, halfPixelCenters } = args.attrs as unknown as { alignCorners: boolean; halfPixelCenters?: boolean };
    const [n, h, w, ch] = images.shape as [number, number, number, number];
    const [, oh, ow] = dy.shape as [number, number, number, number];
    const rows = bilinearTaps(h, oh, alignCorners, halfPixelCenters ?? false);
    const cols = bilinearTaps(w, ow, alignCorners, halfPixelCenters ?? false);
    const g = values(args.backend, kind, dy);
    const dx = new Float32Array(n * h * w * ch);
    for (let b = 0; b < n; b++) {
      for (let r = 0; r < oh; r++) {
        const rf = rows.frac[r]!;
        const top = (b * h + rows.lo[r]!) * w;
        const bot = (b * h + rows.hi[r]!) * w;
        for (let q = 0; q < ow; q++) {
          const cf = cols.frac[q]!;
          const tl = (top + cols.lo[q]!) * ch;
          const tr = (top + cols.hi[q]!) * ch;
          const bl = (bot + cols.lo[q]!) * ch;
          const br = (bot + cols.hi[q]!) * ch;
          const wtl = (1 - rf) * (1 - cf);
          const wtr = (1 - rf) * cf;
          const wbl = rf * (1 - cf);
          const wbr = rf * cf;
          const from = ((b * oh + r) * ow + q) * ch;
          for (let c = 0; c < ch; c++) {
            const v = g[from + c]!;
            dx[tl + c]! += v * wtl;
            dx[tr + c]! += v * wtr;
            dx[bl + c]! += v * wbl;
            dx[br + c]! += v * wbr;
          }
        }
      }
    }
    return output(args.backend, kind, images.shape, dx);
  };
}

/** UnsortedSegmentSum (the gradient of tf.gather), float32 data. */
export function unsortedSegmentSumJs(kind: BackendKind) {
  return (args: Args): TensorInfo => {
    const { x, segmentIds } = args.inputs as { x: TensorInfo; segmentIds: TensorInfo };
    const { numSegments } = args.attrs as unknown as { numSegments: number };
    if (x.dtype !== 'float32') {
      throw new Error(`@gan-control/backend: UnsortedSegmentSum on ${kind} is implemented for float32 only (got ${x.dtype}).`);
    }
    const ids = values(args.backend, kind, segmentIds);
    const xv = values(args.backend, kind, x);
    const inner = util.sizeFromShape(x.shape.slice(segmentIds.shape.length));
    const outShape = [numSegments, ...x.shape.slice(segmentIds.shape.length)];
    const out = new Float32Array(numSegments * inner);
    for (let i = 0; i < ids.length; i++) {
      const s = ids[i]!;
      if (s < 0 || s >= numSegments) continue;
      const to = s * inner;
      const from = i * inner;
      for (let j = 0; j < inner; j++) out[to + j]! += xv[from + j]!;
    }
    return output(args.backend, kind, outShape, out);
  };
}

/** The fused leaky-ReLU gradient (`@gan-control/gradients`' `LEAKY_RELU_GRAD`): x > 0 ? dy : α·dy. */
export function leakyReluGradJs(kind: BackendKind) {
  return (args: Args): TensorInfo => {
    const { dy, x } = args.inputs as { dy: TensorInfo; x: TensorInfo };
    const alpha = (args.attrs as unknown as { alpha: number }).alpha;
    const g = values(args.backend, kind, dy);
    const xv = values(args.backend, kind, x);
    const out = new Float32Array(g.length);
    for (let i = 0; i < out.length; i++) out[i] = xv[i]! > 0 ? g[i]! : g[i]! * alpha;
    return output(args.backend, kind, x.shape, out);
  };
}

/**
 * The fused Adam update (`@gan-control/gradients`' `ADAM_UPDATE`): one kernel per parameter
 * instead of thirteen, each step rounded to float32 as the composed ops round it, so the result
 * is the same to the bit. Parameters are small (≤ a few 10⁵ values), so one thread.
 */
export function adamUpdateJs(kind: BackendKind) {
  return (args: Args): TensorInfo[] => {
    const { param, grad, m, v } = args.inputs as { param: TensorInfo; grad: TensorInfo; m: TensorInfo; v: TensorInfo };
    const a = args.attrs as unknown as { beta1: number; beta2: number; eps: number; stepSize: number; sqrtBc2: number };
    const f = Math.fround;
    const [b1, b2, c1, c2, eps, step, sq] = [f(a.beta1), f(a.beta2), f(1 - a.beta1), f(1 - a.beta2), f(a.eps), f(a.stepSize), f(a.sqrtBc2)];
    const n = util.sizeFromShape(param.shape);
    const fill = (
      p: Float32Array,
      g: Float32Array,
      mv: Float32Array,
      vv: Float32Array,
      po: Float32Array,
      mo: Float32Array,
      vo: Float32Array,
    ) => {
      for (let i = 0; i < n; i++) {
        const gi = g[i]!;
        const m2 = f(f(mv[i]! * b1) + f(gi * c1));
        const v2 = f(f(vv[i]! * b2) + f(f(gi * gi) * c2));
        const denom = f(f(f(Math.sqrt(v2)) / sq) + eps);
        mo[i] = m2;
        vo[i] = v2;
        po[i] = p[i]! - f(f(m2 / denom) * step);
      }
    };
    if (kind === 'wasm') {
      const b = args.backend as WasmLikeBackend;
      const outs = [b.makeOutput(param.shape, 'float32'), b.makeOutput(param.shape, 'float32'), b.makeOutput(param.shape, 'float32')];
      // Views after every allocation (allocating may grow the heap and detach older views).
      const [p, g, mv, vv] = [param, grad, m, v].map((t) => values(b, kind, t) as Float32Array);
      const [po, mo, vo] = outs.map((t) => b.typedArrayFromHeap(t) as Float32Array);
      fill(p!, g!, mv!, vv!, po!, mo!, vo!);
      return outs;
    }
    const [po, mo, vo] = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
    const [p, g, mv, vv] = [param, grad, m, v].map((t) => values(args.backend, kind, t) as Float32Array);
    fill(p!, g!, mv!, vv!, po, mo, vo);
    return [po, mo, vo].map((d) => output(args.backend, kind, param.shape, d));
  };
}

/**
 * The fused EMA step (`@gan-control/gradients`' `EMA_UPDATE`): `source + (ema − source)·β`, each
 * operation rounded to float32 as the composed Sub, Mul and Add round it (the same values).
 */
export function emaUpdateJs(kind: BackendKind) {
  return (args: Args): TensorInfo => {
    const { ema, source } = args.inputs as { ema: TensorInfo; source: TensorInfo };
    const f = Math.fround;
    const beta = f((args.attrs as unknown as { beta: number }).beta);
    const fill = (e: Float32Array, s: Float32Array, o: Float32Array) => {
      for (let i = 0; i < o.length; i++) o[i] = s[i]! + f(f(e[i]! - s[i]!) * beta);
    };
    return compute(args.backend, kind, source.shape, [ema, source], ([e, s], o) => fill(e!, s!, o));
  };
}

/**
 * Identity on wasm without a copy: the output shares the input's heap buffer (reference-counted,
 * as the wasm Reshape and the cpu backend's Identity do). Tensors are immutable, so sharing is
 * safe; the stock kernel copies, and the engine runs Identity for every tensor it saves for a
 * gradient (`saveTensorsForBackwardMode` clones), hundreds of MB per training step.
 */
function identityWasm(args: Args): TensorInfo {
  const { x } = args.inputs as { x: TensorInfo };
  (args.backend as WasmLikeBackend & { incRef(dataId: object): void }).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** The JS kernels this module registers, per backend. */
export function jsKernels(kind: BackendKind): KernelConfig[] {
  const list: KernelConfig[] = [
    { kernelName: ResizeNearestNeighborGrad, backendName: kind, kernelFunc: resizeNearestNeighborGradJs(kind) as never },
    { kernelName: ResizeBilinearGrad, backendName: kind, kernelFunc: resizeBilinearGradJs(kind) as never },
    { kernelName: LEAKY_RELU_GRAD, backendName: kind, kernelFunc: leakyReluGradJs(kind) as never },
    { kernelName: ADAM_UPDATE, backendName: kind, kernelFunc: adamUpdateJs(kind) as never },
    { kernelName: EMA_UPDATE, backendName: kind, kernelFunc: emaUpdateJs(kind) as never },
  ];
  if (kind === 'wasm') {
    list.push({ kernelName: MaxPoolGrad, backendName: kind, kernelFunc: maxPoolGradJs(kind) as never });
    list.push({ kernelName: UnsortedSegmentSum, backendName: kind, kernelFunc: unsortedSegmentSumJs(kind) as never });
    list.push({ kernelName: Identity, backendName: kind, kernelFunc: identityWasm as never });
  }
  return list;
}
