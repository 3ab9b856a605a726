import type { BackendKind } from '../kernels/access.js';

/** Whether multi-threaded native kernels serve the active backend. */
export interface NativeStatus {
  enabled: boolean;
  threads: number;
  /** Why they are (not) in use. */
  reason: string;
}

/** Installs the native addon's kernels for `kind` when the addon is available. */
export function installNativeKernels(kind: BackendKind): NativeStatus {
  return { enabled: false, threads: 1, reason: `native addon not built yet (backend ${kind})` };
}
