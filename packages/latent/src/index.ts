// Registers every gradient this package and its plugins differentiate through (one owner: @gan-control/gradients).
import '@gan-control/gradients';
export { GanControlError, isGanControlError, formatZodIssues, LatentError } from './errors';
export type { GanControlErrorConstructor, GanControlErrorOptions, LatentErrorCode } from './errors';
export { createRng, restoreRng, toRng } from './rng';
export type { Rng, RngState } from './rng';
export { LatentLayout, latentLayoutSchema, officialFfhqLayout } from './layout';
export type { LatentGroup, LatentLayoutInput } from './layout';
export { buildContrastiveBatch, planContrastiveBatch, pairMask, sampleLatents } from './batch';
export type { ContrastiveBatch, ContrastiveBatchOptions, ContrastiveBatchPlan } from './batch';
