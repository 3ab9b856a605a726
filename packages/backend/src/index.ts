// Registers every gradient this package and its plugins differentiate through (one owner: @gan-control/gradients).
import '@gan-control/gradients';
export { setupBackend, BACKEND_PREFERENCES } from './setup.js';
export type { BackendInfo, BackendPreference } from './setup.js';
export { installGradientKernels, installedKernels, restoreStockKernels } from './kernels/install.js';
export { BackendError } from './errors.js';
export type { BackendErrorCode } from './errors.js';
export { removeNativeKernels, setNativeThreads } from './native/install.js';
export type { NativeStatus } from './native/install.js';
