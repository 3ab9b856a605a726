// Loads the optional native addon (build/gan_control_native.node), building it on first use when
// a C++ compiler and the Node headers are present. Every failure is reported, never thrown: the
// wasm/cpu kernels remain the fallback.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { backend_util } from '@tensorflow/tfjs-core';

/** The functions the addon exports (see native/gan_native.cc). */
export interface NativeAddon {
  /**
   * kind 0: y = conv(x, f); 1: dx from (dy, f); 2: df from (x, dy); 3: y = depthwiseConv(x, f) and
   * 4: its dx from (dy, f), multiplier 1 (Co = Ci, f [KH,KW,C,1]). params: 15 int32 (see convParams).
   */
  conv(kind: 0 | 1 | 2 | 3 | 4, a: Float32Array, b: Float32Array, out: Float32Array, params: Int32Array): void;
  /**
   * kind 0: MaxPoolGrad dx from (dy, x); 1: AvgPoolGrad dx from dy (x unread). params: N, H, W, C,
   * OH, OW, strides, dilations, effective filter size, pads (top, left), filter size (16 int32).
   */
  pool(kind: 0 | 1, dy: Float32Array, x: Float32Array, out: Float32Array, params: Int32Array): void;
  /** kind 0: out = slice of x at begin; 1: out = value, x copied in at begin. params: rank, x dims, out dims, begin. */
  box(kind: 0 | 1, x: Float32Array, out: Float32Array, params: Int32Array, value: number): void;
  /** c[batch,M,N] = op(a)·op(b); params: batch, batchA, batchB, M, N, K, transA, transB. */
  matmul(a: Float32Array, b: Float32Array, c: Float32Array, params: Int32Array): void;
  /** out = a op b (0 add, 1 sub, 2 mul, 3 div); params: collapsed output dims [4], a's strides [4], b's strides [4] (0 = broadcast). */
  binary(op: 0 | 1 | 2 | 3, a: Float32Array, b: Float32Array, out: Float32Array, params: Int32Array): void;
  /** out = x > 0 ? x : αx. */
  leakyRelu(x: Float32Array, out: Float32Array, alpha: number): void;
  /** out = lrelu(x + b), b [C] broadcast over the rows of x. */
  biasLeakyRelu(x: Float32Array, b: Float32Array, out: Float32Array, alpha: number): void;
  /** One Adam step into pOut/mOut/vOut; k = β1, β2, 1−β1, 1−β2, eps, stepSize, sqrtBc2 (float32). */
  adam(
    p: Float32Array,
    g: Float32Array,
    m: Float32Array,
    v: Float32Array,
    pOut: Float32Array,
    mOut: Float32Array,
    vOut: Float32Array,
    k: Float32Array,
  ): void;
  /** out = source + (ema − source)·β, rounded op by op (EMA_UPDATE). */
  ema(ema: Float32Array, source: Float32Array, out: Float32Array, beta: number): void;
  /**
   * kind 0: out0 = d [N, O] from (s, w) (MODCONV_DEMOD; dd and out1 unread); kind 1: out0 = ds
   * [N, I], out1 = dw [KK, I, O] from (dd, s, w) (MODCONV_DEMOD_GRAD). params: N, I, O, KK; k: gain, eps.
   */
  demod(
    kind: 0 | 1,
    dd: Float32Array,
    s: Float32Array,
    w: Float32Array,
    out0: Float32Array,
    out1: Float32Array,
    params: Int32Array,
    k: Float32Array,
  ): void;
  /** out[n, c] = Σ_p a[n, p, c]·b[n, p, c] (CHANNEL_DOT); params: N, P, C. */
  channelDot(a: Float32Array, b: Float32Array, out: Float32Array, params: Int32Array): void;
  /** out = x > 0 ? dy : α·dy. */
  leakyReluGrad(dy: Float32Array, x: Float32Array, out: Float32Array, alpha: number): void;
  /** out[p, r] = scale · Σ_q x[p, q, r]; params: P, Q, R. */
  reduce(x: Float32Array, out: Float32Array, params: Int32Array, scale: number): void;
  /** out = tile(x, reps); params: x's dims then reps (rank 1..6). */
  tile(x: Float32Array, out: Float32Array, params: Int32Array): void;
  /** out[n,oh,ow,:] = Σ mh[oh,h]·mw[ow,w]·x[n,h,w,:]; params: N, H, W, C, OH, OW. */
  fir(x: Float32Array, out: Float32Array, params: Int32Array, mh: Float32Array, mw: Float32Array): void;
  setThreads(n: number): number;
  info(): { threads: number; simdBits: number; abi: number };
}

/** The 15 int32 parameters of the addon's `conv` (every mode) from tfjs's convolution info. */
export function convParams(info: backend_util.Conv2DInfo): Int32Array {
  return Int32Array.from([
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.filterHeight,
    info.filterWidth,
    info.outChannels,
    info.outHeight,
    info.outWidth,
    info.strideHeight,
    info.strideWidth,
    info.dilationHeight,
    info.dilationWidth,
    info.padInfo.top,
    info.padInfo.left,
  ]);
}

export type NativeLoad = { addon: NativeAddon; path: string } | { addon: null; reason: string };

/** The package root (holds package.json, native/, scripts/, build/), from src/native or dist. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, 'native', 'gan_native.cc')) || existsSync(join(dir, 'scripts', 'native-build-lib.mjs'))) return dir;
    dir = dirname(dir);
  }
  return dirname(dirname(fileURLToPath(import.meta.url)));
}

interface BuildLib {
  ADDON: string;
  upToDate(): boolean;
  buildNative(opts?: { force?: boolean; log?: (m: string) => void }): { ok: true; path: string } | { ok: false; reason: string };
}

let cached: NativeLoad | null = null;

/** The addon interface version this code expects (`info().abi`; bumped with every new export). */
const NATIVE_ABI = 8;

/** Default worker count: GAN_CONTROL_THREADS, else the CPUs this process may run on. */
export function defaultThreads(): number {
  const env = Number(process.env['GAN_CONTROL_THREADS']);
  if (Number.isInteger(env) && env > 0) return env;
  return availableParallelism();
}

/**
 * Loads (and, unless GAN_CONTROL_NATIVE_BUILD=0, builds on first use) the addon.
 * GAN_CONTROL_NATIVE=0 turns it off.
 */
export async function loadNative(): Promise<NativeLoad> {
  if (cached) return cached;
  cached = await load();
  return cached;
}

async function load(): Promise<NativeLoad> {
  if (process.env['GAN_CONTROL_NATIVE'] === '0') return { addon: null, reason: 'disabled by GAN_CONTROL_NATIVE=0' };
  const root = packageRoot();
  const libPath = join(root, 'scripts', 'native-build-lib.mjs');
  if (!existsSync(libPath)) return { addon: null, reason: `build helper ${libPath} is missing from this install` };
  let lib: BuildLib;
  try {
    lib = (await import(/* @vite-ignore */ pathToFileURL(libPath).href)) as BuildLib;
  } catch (err) {
    return { addon: null, reason: `could not load ${libPath}: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (!lib.upToDate()) {
    if (process.env['GAN_CONTROL_NATIVE_BUILD'] === '0') {
      return {
        addon: null,
        reason:
          'not built for this machine (run `npm run build:native -w @gan-control/backend`; lazy build disabled by GAN_CONTROL_NATIVE_BUILD=0)',
      };
    }
    let built: ReturnType<BuildLib['buildNative']>;
    try {
      built = lib.buildNative({});
    } catch (err) {
      built = { ok: false, reason: err instanceof Error ? err.message : String(err) };
    }
    if (!built.ok)
      return { addon: null, reason: `build failed: ${built.reason} (the wasm kernels are used; see the README's Install section)` };
  }
  try {
    const require = createRequire(import.meta.url);
    const addon = require(lib.ADDON) as NativeAddon;
    if (addon.info().abi !== NATIVE_ABI)
      return {
        addon: null,
        reason: `${lib.ADDON} has an unexpected ABI; rebuild with \`npm run build:native -w @gan-control/backend -- --force\``,
      };
    addon.setThreads(defaultThreads());
    return { addon, path: lib.ADDON };
  } catch (err) {
    return { addon: null, reason: `could not load ${lib.ADDON}: ${err instanceof Error ? err.message : String(err)}` };
  }
}
