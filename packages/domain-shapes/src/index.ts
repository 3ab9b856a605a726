// Registers every gradient this package and its plugins differentiate through (one owner: @gan-control/gradients).
import '@gan-control/gradients';
import type { AttributePlugin } from '@gan-control/contrastive-loss';
import { color } from './plugins/color.js';
import { position } from './plugins/position.js';
import { size } from './plugins/size.js';

export { createShapesRng, mixSeed } from './rng.js';
export type { ShapesRng, ShapesRngState } from './rng.js';
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
export { centroidPixels, coverage, gatedCoverage, hueDegrees, hueDistance, hueVector, sizeFraction, squaredDistance } from './measure.js';
export { color, colorOptionsSchema, colorPlugin } from './plugins/color.js';
export { position, positionOptionsSchema, positionPlugin } from './plugins/position.js';
export { size, sizeOptionsSchema, sizePlugin } from './plugins/size.js';
export { POSITION_SCALE, SIZE_SCALE, THRESHOLDS } from './plugins/thresholds.js';

/** The three attribute plugins of the shapes domain, in the latent order color, position, size. */
export const shapesPlugins: readonly AttributePlugin[] = [color, position, size];

/** Default export: the list of the domain's plugins (`color`, `position`, `size`). */
export default shapesPlugins;
