// Registers every gradient this package and its plugins differentiate through (one owner: @gan-control/gradients).
import '@gan-control/gradients';
export { centreCropResize, checkImages, AttributeInputError, RANGE_LIMIT } from './preprocess.js';
export { decodeWeights, faceApiModelDir, loadModelWeights, WeightsError } from './weights.js';
export type { DecodedWeight, ManifestGroup, ManifestWeight } from './weights.js';
export { faceOptionsSchema } from './options.js';
