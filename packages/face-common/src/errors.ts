import { GanControlError, type GanControlErrorConstructor } from '@gan-control/errors';

/** Stable codes of the errors the face plugins throw (match on `code`, not `instanceof`). */
export type FaceErrorCode =
  /** The images are not a float32 `tf.Tensor4D` NHWC batch of RGB in [-1, 1], or are too small. */
  | 'FACE_INPUT_TYPE'
  | 'FACE_INPUT_SHAPE'
  | 'FACE_INPUT_DTYPE'
  | 'FACE_INPUT_RANGE'
  /** face-api's pretrained weights cannot be found, read or decoded. */
  | 'FACE_WEIGHTS_MISSING'
  | 'FACE_WEIGHTS_DTYPE'
  | 'FACE_WEIGHTS_TRUNCATED'
  | 'FACE_WEIGHTS_QUANTIZATION'
  | 'FACE_WEIGHTS_LAYOUT'
  /** The attribute was used after `dispose()`. */
  | 'FACE_DISPOSED';

/** The project's error class (`@gan-control/errors`) with the face plugins' codes. */
export const FaceError: GanControlErrorConstructor<FaceErrorCode> = GanControlError;
export type FaceError = GanControlError<FaceErrorCode>;
