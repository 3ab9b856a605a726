// Node-only entry (`@gan-control/tensor-io/node`): file writing, sharp and node:zlib. Everything
// else (safetensors, PyTorch checkpoints, reading paths or URLs) is in the isomorphic main entry.
export { removeStaleTemporaries, writeFileAtomic } from './atomic.js';
export { encodePng } from './png.js';
export { decodeImage, tensorToPng, tensorToPngs } from './image.js';
export type { DecodeImageOptions, TensorToPngOptions } from './image.js';
export { DEFAULT_MAX_PIXELS } from './image.js';
