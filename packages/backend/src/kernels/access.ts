// Backend-neutral access to float32 tensor data for the JS and native kernels of this package.
// The wasm backend keeps tensors on its heap (views are only valid until the heap grows, so take
// them after every allocation of a kernel); the cpu backend keeps them as typed arrays.
import {
  getKernel,
  util,
  type DataType,
  type KernelBackend,
  type NamedAttrMap,
  type NamedTensorInfoMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';

/** The parts of tfjs-backend-wasm's BackendWasm this package uses. */
export interface WasmLikeBackend extends KernelBackend {
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object, force?: boolean): boolean;
}

/** The parts of tfjs-backend-cpu's MathBackendCPU this package uses. */
export interface CpuLikeBackend extends KernelBackend {
  makeTensorInfo(shape: number[], dtype: DataType, values?: Float32Array | Int32Array | Uint8Array): TensorInfo;
  disposeIntermediateTensorInfo(info: TensorInfo): void;
}

export type BackendKind = 'wasm' | 'cpu';

/** Reads a tensor's values without copying where the backend allows it. */
export function values(backend: KernelBackend, kind: BackendKind, info: TensorInfo): Float32Array | Int32Array | Uint8Array {
  if (kind === 'wasm') return (backend as WasmLikeBackend).typedArrayFromHeap(info);
  return backend.readSync(info.dataId) as Float32Array | Int32Array | Uint8Array;
}

/** Wraps freshly computed float32 values as a kernel output on `backend`. */
export function output(backend: KernelBackend, kind: BackendKind, shape: number[], data: Float32Array): TensorInfo {
  if (kind === 'wasm') {
    const out = (backend as WasmLikeBackend).makeOutput(shape, 'float32');
    (backend as WasmLikeBackend).typedArrayFromHeap(out).set(data);
    return out;
  }
  return (backend as CpuLikeBackend).makeTensorInfo(shape, 'float32', data);
}

/**
 * Allocates a float32 output of `shape` and runs `fill` on float views of the inputs and the
 * output (on wasm, in place on the heap; the views are taken after the allocation, which may grow
 * and detach the heap).
 */
export function compute(
  backend: KernelBackend,
  kind: BackendKind,
  shape: number[],
  inputs: TensorInfo[],
  fill: (ins: Float32Array[], out: Float32Array) => void,
): TensorInfo {
  if (kind === 'wasm') {
    const out = (backend as WasmLikeBackend).makeOutput(shape, 'float32');
    const ins = inputs.map((t) => values(backend, kind, t) as Float32Array);
    fill(ins, (backend as WasmLikeBackend).typedArrayFromHeap(out) as Float32Array);
    return out;
  }
  const data = new Float32Array(util.sizeFromShape(shape));
  fill(
    inputs.map((t) => values(backend, kind, t) as Float32Array),
    data,
  );
  return (backend as CpuLikeBackend).makeTensorInfo(shape, 'float32', data);
}

/** Releases an intermediate produced by a kernel function of `backend`. */
export function release(backend: KernelBackend, kind: BackendKind, info: TensorInfo): void {
  if (kind === 'wasm') (backend as WasmLikeBackend).disposeData(info.dataId);
  else (backend as CpuLikeBackend).disposeIntermediateTensorInfo(info);
}

/**
 * Calls another kernel of the same backend directly (not through the engine), the way tfjs
 * backends compose kernels: no tape entry, the caller releases the result.
 */
export function callKernel(
  backend: KernelBackend,
  backendName: string,
  kernelName: string,
  inputs: NamedTensorInfoMap,
  attrs: NamedAttrMap = {},
): TensorInfo {
  const config = getKernel(kernelName, backendName);
  if (!config) {
    throw new Error(
      `@gan-control/backend: kernel '${kernelName}' is not registered for backend '${backendName}', which this package needs to compose a gradient kernel. Install a tfjs backend version >= 4.22.`,
    );
  }
  const out = config.kernelFunc({ inputs, backend, attrs });
  return (Array.isArray(out) ? out[0] : out) as TensorInfo;
}
