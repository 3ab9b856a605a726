// Registration of this package's kernels over the stock ones. Kernel registries are global to a
// tfjs-core copy, so installation is idempotent and remembers the stock kernels it replaced.
import { getKernel, registerKernel, unregisterKernel, type KernelConfig } from '@tensorflow/tfjs-core';
import type { BackendKind } from './access.js';
import { jsKernels } from './js-kernels.js';
import { wasmConvGradKernels } from './wasm-conv.js';

const stock = new Map<string, KernelConfig | undefined>();
const installed = new Map<string, string>();
const restoreListeners: ((backendName: string) => void)[] = [];

/** Called after `restoreStockKernels(backendName)` (other installers forget their state). */
export function onRestoreStock(listener: (backendName: string) => void): void {
  restoreListeners.push(listener);
}

/** Registers `config` in place of whatever is registered under its name and backend. */
export function replaceKernel(config: KernelConfig, tag: string): void {
  const key = `${config.backendName}_${config.kernelName}`;
  const current = getKernel(config.kernelName, config.backendName);
  if (!stock.has(key)) stock.set(key, current);
  if (current) unregisterKernel(config.kernelName, config.backendName);
  registerKernel(config);
  installed.set(key, tag);
}

/** The tag of this package's kernel serving `kernelName` on `backendName`, if any. */
export function installedTag(kernelName: string, backendName: string): string | undefined {
  return installed.get(`${backendName}_${kernelName}`);
}

/**
 * Puts back a kernel configuration captured earlier (tag undefined: it was the stock kernel).
 */
export function putBackKernel(config: KernelConfig, tag: string | undefined): void {
  const key = `${config.backendName}_${config.kernelName}`;
  if (getKernel(config.kernelName, config.backendName)) unregisterKernel(config.kernelName, config.backendName);
  registerKernel(config);
  if (tag === undefined) {
    installed.delete(key);
    stock.delete(key);
  } else installed.set(key, tag);
}

/** Unregisters a kernel this package added where the backend has none (no-op otherwise). */
export function dropKernel(kernelName: string, backendName: string): void {
  const key = `${backendName}_${kernelName}`;
  if (!installed.has(key) || stock.get(key)) return;
  unregisterKernel(kernelName, backendName);
  installed.delete(key);
  stock.delete(key);
}

/**
 * Kernel names listed in `GAN_CONTROL_EXCLUDE_KERNELS` (comma-separated): this package installs
 * none of them, so the backend's own kernel (or, for the project's fused kernels, the caller's
 * composed ops) runs — for A/B timings of one kernel in one tree.
 */
export function excludedKernels(): Set<string> {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return new Set((env?.['GAN_CONTROL_EXCLUDE_KERNELS'] ?? '').split(',').map((n) => n.trim()));
}

/** Installs the correct gradient kernels for `kind` (idempotent). */
export function installGradientKernels(kind: BackendKind): void {
  const list = kind === 'wasm' ? [...wasmConvGradKernels, ...jsKernels('wasm')] : jsKernels('cpu');
  const excluded = excludedKernels();
  for (const k of list) {
    if (installed.has(`${k.backendName}_${k.kernelName}`) || excluded.has(k.kernelName)) continue;
    replaceKernel(k, 'js');
  }
}

/** Kernel name → which implementation of this package serves it, for a backend name. */
export function installedKernels(backendName: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, tag] of installed) {
    if (key.startsWith(`${backendName}_`)) out[key.slice(backendName.length + 1)] = tag;
  }
  return out;
}

/**
 * Puts the stock tfjs kernels back for `backendName` (for comparisons in benchmarks and tests).
 * Kernels the stock backend lacks are unregistered.
 */
export function restoreStockKernels(backendName: string): void {
  for (const key of [...installed.keys()]) {
    if (!key.startsWith(`${backendName}_`)) continue;
    const kernelName = key.slice(backendName.length + 1);
    unregisterKernel(kernelName, backendName);
    const original = stock.get(key);
    if (original) registerKernel(original);
    installed.delete(key);
    stock.delete(key);
  }
  for (const l of restoreListeners) l(backendName);
}
