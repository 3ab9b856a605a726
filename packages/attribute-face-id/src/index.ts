import { faceIdPlugin } from './plugin.js';

export {
  faceIdPlugin,
  faceIdOptionsSchema,
  DEFAULT_THRESHOLDS,
  EMBEDDING_SIZE,
  PLUGIN_NAME,
  PLUGIN_VERSION,
} from './plugin.js';
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
export { centreCropResize, checkImages, AttributeInputError, RANGE_LIMIT } from './preprocess.js';
export { decodeWeights, faceApiModelDir, loadModelWeights, WeightsError } from './weights.js';
export type { DecodedWeight, ManifestGroup, ManifestWeight } from './weights.js';

/** The identity plugin object (`name: 'id'`); the package's default export. */
const faceId = faceIdPlugin();
export { faceId };
export default faceId;
