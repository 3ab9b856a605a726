/**
 * The tfjs backend of the page: WebGPU where the browser has it, then WebGL, then wasm (its .wasm
 * files are served by the app under `tfjs-wasm/`), then the pure-JS cpu backend. `?backend=`
 * picks one (and fails loudly when it cannot start). Each backend is its own chunk, loaded only
 * when tried: the page parses one backend's code, not four.
 */
import * as tf from '@tensorflow/tfjs-core';

export const BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** The served folder of the wasm binaries, relative to the page. */
const WASM_DIR = 'tfjs-wasm/';

async function hasWebGpuAdapter(): Promise<boolean> {
  const gpu = (navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  try {
    return Boolean(await gpu?.requestAdapter());
  } catch {
    return false;
  }
}

/**
 * Starts the first backend of `order` that initialises here; returns its name.
 *
 * @example
 * const name = await startBackend(); // 'webgl' in most browsers
 *
 * `base` is the page's address, against which `tfjs-wasm/` is found (a worker passes the page's,
 * since its own location is its script's).
 */
export async function startBackend(requested?: string, base: string = globalThis.document?.baseURI ?? location.href): Promise<BackendName> {
  if (requested !== undefined && !(BACKENDS as readonly string[]).includes(requested)) {
    throw new Error(`unknown backend '${requested}' in the URL; choose one of ${BACKENDS.join(', ')}`);
  }
  const load: Record<BackendName, () => Promise<unknown>> = {
    webgpu: () => import('@tensorflow/tfjs-backend-webgpu'),
    webgl: () => import('@tensorflow/tfjs-backend-webgl'),
    wasm: async () => {
      (await import('@tensorflow/tfjs-backend-wasm')).setWasmPaths(new URL(WASM_DIR, base).href);
      // The threaded wasm build starts its workers from the source text of its factory function,
      // which a bundler rewrites (its workers then fail with "e is not defined"): use the
      // single-threaded SIMD build, which needs no cross-origin isolation either.
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    },
    cpu: () => import('@tensorflow/tfjs-backend-cpu'),
  };
  const order: readonly BackendName[] = requested ? [requested as BackendName] : BACKENDS;
  for (const name of order) {
    // WebGPU registers itself wherever `navigator.gpu` exists, even without an adapter (headless
    // Chromium): ask for one first, so that a missing GPU is a quiet fallback, not a failed start.
    if (name === 'webgpu' && !(await hasWebGpuAdapter())) continue;
    await load[name]();
    if (!tf.findBackendFactory(name)) continue;
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        return name;
      }
    } catch {
      // try the next one
    }
  }
  throw new Error(
    requested
      ? `the ${requested} backend does not start in this browser; remove ?backend= to pick one that does`
      : 'no tfjs backend starts in this browser',
  );
}
