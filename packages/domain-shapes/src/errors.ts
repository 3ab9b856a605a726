import { GanControlError, type GanControlErrorConstructor } from '@gan-control/errors';

/** Stable codes of the errors the shapes domain throws. */
export type ShapesErrorCode =
  /** Dataset options that fail their schema (fields by path in the message). */
  | 'SHAPES_INVALID_OPTIONS'
  /** Options under which no shape fits inside the image. */
  | 'SHAPES_CANNOT_PLACE'
  /** A dataset state or seed that cannot be restored. */
  | 'SHAPES_INVALID_STATE'
  /** Images that are not an NHWC RGB batch. */
  | 'SHAPES_BAD_INPUT';

/** The project's error class (`@gan-control/errors`) with the shapes domain's codes. */
export const ShapesError: GanControlErrorConstructor<ShapesErrorCode> = GanControlError;
export type ShapesError = GanControlError<ShapesErrorCode>;
