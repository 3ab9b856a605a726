// Registers every gradient this package and its plugins differentiate through (one owner: @gan-control/gradients).
import '@gan-control/gradients';
import { faceIdPlugin } from './plugin.js';

export { faceIdPlugin, faceIdOptionsSchema, DEFAULT_THRESHOLDS, EMBEDDING_SIZE, PLUGIN_NAME, PLUGIN_VERSION } from './plugin.js';
export type { FaceIdAttribute, FaceIdOptions, FaceIdOptionsInput } from './plugin.js';
export {
  faceDescriptor,
  faceRecognitionNetFromWeights,
  loadFaceRecognitionNet,
  disposeFaceRecognitionNet,
  FACE_RECOGNITION_INPUT_SIZE,
  FACE_RECOGNITION_MODEL,
  MEAN_RGB,
} from './network.js';
export type { FaceRecognitionNet } from './network.js';
export { centreCropResize, checkImages, FaceError, RANGE_LIMIT, type FaceErrorCode } from '@gan-control/face-common';
export { decodeWeights, faceApiModelDir, loadModelWeights } from '@gan-control/face-common';
export type { DecodedWeight, ManifestGroup, ManifestWeight } from '@gan-control/face-common';

/** The identity plugin object (`name: 'id'`); the package's default export. */
const faceId = faceIdPlugin();
export { faceId };
export default faceId;
