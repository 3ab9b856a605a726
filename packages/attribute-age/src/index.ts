// Registers every gradient this package and its plugins differentiate through (one owner: @gan-control/gradients).
import '@gan-control/gradients';
import { agePlugin } from './plugin.js';

export { agePlugin, ageOptionsSchema, DEFAULT_THRESHOLDS, AGE_VALUES, PLUGIN_NAME, PLUGIN_VERSION } from './plugin.js';
export type { AgeOptions, AgeOptionsInput } from './plugin.js';
export { predictAge, ageNetFromWeights, loadAgeNet, disposeAgeNet, AGE_INPUT_SIZE, AGE_MODEL, MAIN_BLOCKS, MEAN_RGB } from './network.js';
export type { AgeNet } from './network.js';
export { centreCropResize, checkImages, FaceError, RANGE_LIMIT, type FaceErrorCode } from '@gan-control/face-common';
export { decodeWeights, faceApiModelDir, loadModelWeights } from '@gan-control/face-common';
export type { DecodedWeight, ManifestGroup, ManifestWeight } from '@gan-control/face-common';

/** The age plugin object (`name: 'age'`); the package's default export. */
const ageAttribute = agePlugin();
export { ageAttribute as age };
export default ageAttribute;
