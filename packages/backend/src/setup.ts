import * as tf from '@tensorflow/tfjs-core';
import { BackendError } from './errors.js';
import { installGradientKernels, installedKernels } from './kernels/install.js';
import { installNativeKernels, type NativeStatus } from './native/install.js';
import { wasmBinaryPaths } from './wasm-files.js';

/** What `setupBackend` may pick. `auto` tries, in order: tensorflow (GPU, then CPU), wasm, cpu. */
export type BackendPreference = 'auto' | 'tensorflow' | 'wasm' | 'cpu';

/** The backend `setupBackend` selected. */
export interface BackendInfo {
  /** The tfjs backend name now active (`tf.getBackend()`): 'tensorflow', 'wasm' or 'cpu'. */
  name: string;
  /** Why this backend, in words (what was tried and why it was passed over). */
  reason: string;
  /** Multi-threaded native kernels serving this backend, or why they are not in use. */
  native: NativeStatus;
  /** Kernel name → implementation this package installed over stock tfjs ('js' | 'native'). */
  kernels: Record<string, string>;
}

export const BACKEND_PREFERENCES: readonly BackendPreference[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

async function importOptional(spec: string): Promise<string | null> {
  try {
    // A variable specifier keeps bundlers and the type checker from resolving an optional peer.
    await import(/* @vite-ignore */ spec);
    return null;
  } catch (err) {
    const code = (err as { code?: string } | null)?.code;
    const msg = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && msg.includes(spec)) return 'not installed';
    return msg;
  }
}

async function tryTensorflow(notes: string[]): Promise<boolean> {
  for (const spec of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    const failure = await importOptional(spec);
    if (failure !== null) {
      notes.push(failure === 'not installed' ? `${spec} not installed` : `${spec} not usable (${failure})`);
      continue;
    }
    if (tf.findBackendFactory('tensorflow') && (await tf.setBackend('tensorflow'))) {
      notes.push(`${spec} loaded`);
      return true;
    }
    notes.push(
      `${spec} loaded but did not register the 'tensorflow' backend (two copies of @tensorflow/tfjs-core? run \`npm ls @tensorflow/tfjs-core\`)`,
    );
  }
  return false;
}

async function tryWasm(notes: string[]): Promise<boolean> {
  let mod: typeof import('@tensorflow/tfjs-backend-wasm');
  try {
    mod = await import('@tensorflow/tfjs-backend-wasm');
  } catch (err) {
    notes.push(`@tensorflow/tfjs-backend-wasm not importable (${err instanceof Error ? err.message : String(err)})`);
    return false;
  }
  if (!tf.engine().registry['wasm']) {
    // Not initialised yet: point it at the binaries on disk (no network in Node).
    const paths = wasmBinaryPaths();
    if (paths) mod.setWasmPaths(paths);
  }
  // Emscripten's Node glue installs process handlers that rethrow every uncaught error from inside
  // its one-line minified module, so Node prints that whole line instead of the error's own
  // source; those handlers are removed again once the module is up (Node's defaults remain).
  type Listener = (...args: unknown[]) => void;
  const events = ['uncaughtException', 'unhandledRejection'] as const;
  const listeners = (event: (typeof events)[number]) => process.listeners(event as 'uncaughtException') as unknown as Listener[];
  const before = new Map(events.map((e) => [e, new Set(listeners(e))]));
  try {
    const ok = await tf.setBackend('wasm');
    for (const event of events) {
      for (const l of listeners(event)) if (!before.get(event)!.has(l)) process.removeListener(event, l);
    }
    if (ok) return true;
    notes.push('wasm backend failed to initialise');
  } catch (err) {
    notes.push(`wasm backend failed to initialise (${err instanceof Error ? err.message : String(err)})`);
  }
  return false;
}

/**
 * Selects and prepares the TensorFlow.js backend, installs this package's gradient kernels
 * (correct and fast ones where stock tfjs lacks them or has them wrong) and, on wasm and cpu,
 * the multi-threaded native kernels when the addon is built.
 *
 * @example
 * ```ts
 * import { setupBackend } from '@gan-control/backend';
 * const { name, reason } = await setupBackend(); // 'auto'
 * console.log(`backend: ${name} (${reason})`);
 * ```
 */
export async function setupBackend(preference: BackendPreference = 'auto'): Promise<BackendInfo> {
  if (!BACKEND_PREFERENCES.includes(preference)) {
    throw new BackendError('BACKEND_UNKNOWN', `Unknown backend '${String(preference)}'; choose one of ${BACKEND_PREFERENCES.join(', ')}.`);
  }
  await import('@tensorflow/tfjs-backend-cpu');
  const notes: string[] = [];
  let name: string | null = null;
  if (preference === 'auto' || preference === 'tensorflow') {
    if (await tryTensorflow(notes)) name = 'tensorflow';
    else if (preference === 'tensorflow') {
      throw new BackendError(
        'BACKEND_UNAVAILABLE',
        `The 'tensorflow' backend is not available: ${notes.join('; ')}. Install @tensorflow/tfjs-node (or -gpu) where libtensorflow can be downloaded, or use --backend wasm.`,
      );
    }
  }
  if (name === null && (preference === 'auto' || preference === 'wasm')) {
    if (await tryWasm(notes)) name = 'wasm';
    else if (preference === 'wasm') {
      throw new BackendError(
        'BACKEND_INIT_FAILED',
        `The 'wasm' backend could not start: ${notes.join('; ')}. Reinstall @tensorflow/tfjs-backend-wasm or use --backend cpu.`,
      );
    }
  }
  if (name === null) {
    if (!(await tf.setBackend('cpu'))) {
      throw new BackendError('BACKEND_INIT_FAILED', `The 'cpu' backend could not start (${notes.join('; ')}).`);
    }
    name = 'cpu';
  }
  await tf.ready();
  // The cpu fixes are global and harmless: install them whatever is active (tests and fallbacks use cpu).
  installGradientKernels('cpu');
  let native: NativeStatus = { enabled: false, threads: 1, reason: `not used with the '${name}' backend` };
  if (name === 'wasm' || name === 'cpu') {
    if (name === 'wasm') installGradientKernels('wasm');
    native = await installNativeKernels(name);
  }
  const why = preference === 'auto' ? `auto: ${notes.length ? notes.join('; ') + '; ' : ''}using ${name}` : `requested ${preference}`;
  const reason = `${why}; ${native.enabled ? `native kernels on ${native.threads} threads` : `native kernels off: ${native.reason}`}`;
  return { name, reason, native, kernels: installedKernels(name) };
}
