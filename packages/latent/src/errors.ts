/**
 * Errors of `@gan-control/latent`: the project's one error class (`@gan-control/errors`), re-exported
 * here for the packages and plugins that already import it from the latent package.
 */
import { GanControlError, type GanControlErrorConstructor } from '@gan-control/errors';

export { GanControlError, isGanControlError, formatZodIssues } from '@gan-control/errors';
export type { GanControlErrorConstructor, GanControlErrorOptions } from '@gan-control/errors';

/** Stable codes of the errors `@gan-control/latent` throws. */
export type LatentErrorCode =
  | 'LATENT_LAYOUT_INVALID'
  | 'LATENT_UNKNOWN_GROUP'
  | 'LATENT_SHAPE_MISMATCH'
  | 'LATENT_JOIN_INVALID'
  | 'LATENT_BATCH_INVALID'
  | 'LATENT_RNG_INVALID_SEED'
  | 'LATENT_RNG_INVALID_STATE'
  | 'LATENT_RNG_INVALID_ARGUMENT';

/** The project's error class with the latent package's codes. */
export const LatentError: GanControlErrorConstructor<LatentErrorCode> = GanControlError;
export type LatentError = GanControlError<LatentErrorCode>;
