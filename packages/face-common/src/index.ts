export { centreCropResize, checkImages, AttributeInputError, RANGE_LIMIT } from './preprocess.js';
export { decodeWeights, faceApiModelDir, loadModelWeights, WeightsError } from './weights.js';
export type { DecodedWeight, ManifestGroup, ManifestWeight } from './weights.js';
export { faceOptionsSchema } from './options.js';
