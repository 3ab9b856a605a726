export { DirectionsError } from './errors.js';
export type { DirectionsErrorCode } from './errors.js';
export { matrix } from './matrix.js';
export type { Matrix } from './matrix.js';
export {
  conditionalNormal,
  directionKey,
  fitDirection,
  fitDirections,
  fitOptionsSchema,
  predict,
  projectOut,
  setTo,
  shift,
  valueSpecSchema,
} from './interfacegan.js';
export type {
  CircularDirection,
  Direction,
  EditOptions,
  FitOptionsInput,
  LinearDirection,
  LinearModel,
  ThresholdDirection,
  ValueSpec,
  ValueSpecInput,
} from './interfacegan.js';
export { nameComponents, pca, pcaOptionsSchema, projectComponents, shiftComponent } from './ganspace.js';
export type { ComponentName, NamedValue, Pca, PcaOptionsInput } from './ganspace.js';
export { dci, disentanglementScore, ksStatistic, mig } from './metrics.js';
export type { CodeGroup, DciResult, DisentanglementScore, FactorColumn, KsResult, MigResult } from './metrics.js';
export { directionsSchema, parseDirections, serializeDirections } from './serialize.js';
export type { DirectionSet, DirectionsFile } from './serialize.js';
