// Locates the tfjs wasm binaries on disk so the wasm backend never fetches them over the network.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const BINARIES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'] as const;

/** File name → absolute path of each binary in `@tensorflow/tfjs-backend-wasm/dist`, or null. */
export function wasmBinaryPaths(): Record<(typeof BINARIES)[number], string> | null {
  const require = createRequire(import.meta.url);
  let dist: string;
  try {
    dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  } catch {
    return null;
  }
  const out = {} as Record<(typeof BINARIES)[number], string>;
  for (const name of BINARIES) {
    const p = join(dist, 'dist', name);
    if (!existsSync(p)) return null;
    out[name] = p;
  }
  return out;
}
