// Registers every gradient this package and its plugins differentiate through (one owner: @gan-control/gradients).
import '@gan-control/gradients';
export { centreCropResize, checkImages, RANGE_LIMIT } from './preprocess.js';
export { FaceError, type FaceErrorCode } from './errors.js';
export { decodeWeights, faceApiModelDir, loadModelWeights } from './weights.js';
export type { DecodedWeight, ManifestGroup, ManifestWeight } from './weights.js';
export { faceOptionsSchema } from './options.js';
