// Registers every gradient this package and its plugins differentiate through (one owner: @gan-control/gradients).
import '@gan-control/gradients';
export { PLUGIN_API_VERSION } from './contract';
export type {
  Attribute,
  AttributePlugin,
  DistanceFn,
  DistanceName,
  Features,
  LayerFocus,
  LayerSpec,
  PluginOptions,
  ValueInfo,
} from './contract';
export { GanControlError, isGanControlError, formatZodIssues } from '@gan-control/latent';
export { ContrastiveLossError, type ContrastiveLossErrorCode } from './errors';
export { createAttribute, validateAttribute, validatePlugin } from './attribute';
export { DISTANCE_NAMES, isDistance, pairwiseDistances, scaledDistance } from './distances';
export type { PairwiseOptions } from './distances';
export { contrastiveTerm } from './term';
export type { ContrastiveTerm, TermOptions } from './term';
export { FactorizedContrastiveLoss, readLossValues } from './loss';
export type {
  AttributeBinding,
  AttributesInput,
  AttributeTerm,
  ContrastiveLossResult,
  ContrastiveLossValues,
  FactorizedContrastiveLossOptions,
  LayerInfo,
  LayerTerm,
} from './loss';
export { AttributeRegistry } from './registry';
export type { AttributeRegistryOptions } from './registry';
