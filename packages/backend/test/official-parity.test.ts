// stylegan2's official-fixture parity suite (packages/stylegan2/test/parity.test.ts: every output
// within 2e-5 relative of stylegan2-ada-pytorch, R1 and path length included) run again with this
// package's kernels installed: on wasm that is the native addon's (convolutions, matMul, the
// elementwise, reduction, Tile and UPFIRDN kernels) when it builds, so the backend the trainer
// uses is held to the same fixtures and tolerance as the stock ones.
import { setupBackend } from '../src/index.js';

await setupBackend('wasm');
await import('../../stylegan2/test/parity.test.js');
