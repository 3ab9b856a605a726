// Registers every gradient this package and its plugins differentiate through (one owner: @gan-control/gradients).
import '@gan-control/gradients';
import type { AttributePlugin } from '@gan-control/contrastive-loss';
import { color } from './plugins/color.js';
import { position } from './plugins/position.js';
import { size } from './plugins/size.js';

export {
  COLOR_AMPLITUDE,
  COLOR_MEAN,
  SHAPE_KINDS,
  generateShapes,
  hueToRgb,
  parseShapesOptions,
  renderFactors,
  renderShape,
  sampleShapeFactors,
  shapeFactorsAt,
  shapesOptionsSchema,
} from './render.js';
export type { ShapeFactors, ShapeKind, ShapesBatch, ShapesOptions, ShapesOptionsInput } from './render.js';
export { ShapesDataset, factorsTable, shapesDatasets, shapesTrainingDataset } from './dataset.js';
export type { ShapesDatasetState } from './dataset.js';
export {
  SHAPE_KIND_BANDS,
  centroidPixels,
  compactness,
  coverage,
  gatedCoverage,
  hueDegrees,
  hueDistance,
  hueVector,
  sizeFraction,
  squaredDistance,
} from './measure.js';
export { color, colorOptionsSchema, colorPlugin } from './plugins/color.js';
export { position, positionOptionsSchema, positionPlugin } from './plugins/position.js';
export { size, sizeOptionsSchema, sizePlugin } from './plugins/size.js';
export { SHAPE_SCALE, shape, shapeOptionsSchema, shapePlugin } from './plugins/shape.js';
export { ShapesError, type ShapesErrorCode } from './errors.js';
export { POSITION_SCALE, SIZE_SCALE, THRESHOLDS } from './plugins/thresholds.js';

// A variable, not a literal: bundlers rewrite `new URL('literal', import.meta.url)` as an asset
// reference, and this is a folder (served beside the app, as the studio does).
const MODEL_FOLDER = '../model/';

/**
 * Where the bundled shapes model (`model.json`, weights, encoders) lies: the package's `model/`
 * folder, as a URL (a `file:` URL in Node; in a bundle, where the package's files are served).
 * Every loader takes it: `Controller.load(shapesModel)`.
 *
 * @example
 * import { Controller } from '@gan-control/encoders';
 * import { shapesModel } from '@gan-control/domain-shapes';
 * const controller = await Controller.load(shapesModel);
 */
export const shapesModel: URL = new URL(MODEL_FOLDER, import.meta.url);

/** The three attribute plugins of the shapes domain, in the latent order color, position, size. */
export const shapesPlugins: readonly AttributePlugin[] = [color, position, size];
