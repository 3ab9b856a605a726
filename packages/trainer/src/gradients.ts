import { ensureGradients } from '@gan-control/stylegan2';

/**
 * Registers the gradients training needs where missing (the Node builds of tfjs-core ship
 * without `register_all_gradients`): `@gan-control/stylegan2`'s `ensureGradients`, which covers
 * the networks, the contrastive loss and the attribute plugins. Idempotent;
 * `GanControlTrainer.create` calls it.
 *
 * @example
 * ensureTrainingGradients();
 */
export function ensureTrainingGradients(): void {
  ensureGradients();
}
