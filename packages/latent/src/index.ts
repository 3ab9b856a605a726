// Registers every gradient this package and its plugins differentiate through (one owner: @gan-control/gradients).
import '@gan-control/gradients';
export { GanControlError, isGanControlError, formatZodIssues, LatentError } from './errors.js';
export type { GanControlErrorConstructor, GanControlErrorOptions, LatentErrorCode } from './errors.js';
export { createRng, restoreRng, toRng } from './rng.js';
export type { Rng, RngState } from './rng.js';
export { LatentLayout, latentLayoutSchema, officialFfhqLayout } from './layout.js';
export type { LatentGroup, LatentLayoutInput } from './layout.js';
export { buildContrastiveBatch, planContrastiveBatch, pairMask, sampleLatents } from './batch.js';
export type { ContrastiveBatch, ContrastiveBatchOptions, ContrastiveBatchPlan } from './batch.js';
