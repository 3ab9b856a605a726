// Registers every gradient this package and its plugins differentiate through (one owner: @gan-control/gradients).
import '@gan-control/gradients';
export { PLUGIN_API_VERSION } from './contract.js';
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
} from './contract.js';
export { GanControlError, isGanControlError, formatZodIssues } from '@gan-control/latent';
export { ContrastiveLossError, type ContrastiveLossErrorCode } from './errors.js';
export { createAttribute, validateAttribute, validatePlugin } from './attribute.js';
export { DISTANCE_NAMES, isDistance, pairwiseDistances, scaledDistance } from './distances.js';
export type { PairwiseOptions } from './distances.js';
export { contrastiveTerm } from './term.js';
export type { ContrastiveTerm, TermOptions } from './term.js';
export { FactorizedContrastiveLoss, readLossValues } from './loss.js';
export type {
  AttributeBinding,
  AttributesInput,
  AttributeTerm,
  ContrastiveLossResult,
  ContrastiveLossValues,
  FactorizedContrastiveLossOptions,
  LayerInfo,
  LayerTerm,
} from './loss.js';
export { AttributeRegistry } from './registry.js';
export type { AttributeRegistryOptions } from './registry.js';
