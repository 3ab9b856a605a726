// Registers every gradient this package and its plugins differentiate through (one owner: @gan-control/gradients).
import '@gan-control/gradients';
import { posePlugin } from './plugin.js';

export { posePlugin, poseOptionsSchema, DEFAULT_THRESHOLDS, POSE_VALUES, PLUGIN_NAME, PLUGIN_VERSION } from './plugin.js';
export type { PoseAttribute, PoseOptions, PoseOptionsInput } from './plugin.js';
export { poseFromLandmarks, MEAN_FACE, FIT_INDICES } from './fit.js';
export {
  landmarks,
  landmarkNetFromWeights,
  loadLandmarkNet,
  disposeLandmarkNet,
  LANDMARK_INPUT_SIZE,
  LANDMARK_MODEL,
  MEAN_RGB,
} from './network.js';
export type { LandmarkNet } from './network.js';
export { centreCropResize, checkImages, FaceError, RANGE_LIMIT, type FaceErrorCode } from '@gan-control/face-common';
export { decodeWeights, faceApiModelDir, loadModelWeights } from '@gan-control/face-common';
export type { DecodedWeight, ManifestGroup, ManifestWeight } from '@gan-control/face-common';

/** The pose plugin object (`name: 'pose'`); the package's default export. */
const pose = posePlugin();
export { pose };
export default pose;
