export { DirectionsError } from './errors';
export type { DirectionsErrorCode } from './errors';
export { matrix } from './matrix';
export type { Matrix } from './matrix';
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
} from './interfacegan';
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
} from './interfacegan';
export { nameComponents, pca, pcaOptionsSchema, projectComponents, shiftComponent } from './ganspace';
export type { ComponentName, NamedValue, Pca, PcaOptionsInput } from './ganspace';
export { dci, disentanglementScore, ksStatistic, mig } from './metrics';
export type { CodeGroup, DciResult, DisentanglementScore, FactorColumn, KsResult, MigResult } from './metrics';
export { directionsSchema, parseDirections, serializeDirections } from './serialize';
export type { DirectionSet, DirectionsFile } from './serialize';
