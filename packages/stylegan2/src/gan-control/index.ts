export { loadGanControlGenerator, convertGanControlGenerator, mixGanControlStyles } from './generator.js';
export type {
  ConvertedGanControlGenerator,
  GanControlGenerator,
  GanControlMappingOptions,
  GanControlSynthesisOptions,
  LoadGanControlOptions,
} from './generator.js';
export { loadGanControlDiscriminator } from './discriminator.js';
export type { GanControlDiscriminator } from './discriminator.js';
export { parseGanControlArgs, ganControlArgsSchema } from './config.js';
export type { GanControlArgs, GanControlConfig, GanControlGroup } from './config.js';
export { GanControlModelError } from './errors.js';
export type { GanControlErrorCode } from './errors.js';
export type { GanControlWeightsSource, GanControlStateDict, GanControlTensor } from './weights.js';
