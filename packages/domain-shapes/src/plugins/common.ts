import { z } from 'zod';
import { version } from '../../package.json';

/** This package's version, read from its package.json at build time. */
export const PACKAGE_VERSION: string = version;

/** Option fields every shapes attribute shares: λ, τ+, τ− (distance units) and the latent size. */
export function lossOptions(defaults: { tauPlus: number; tauMinus: number; latentSize: number }) {
  return z
    .object({
      /** λ_k of the contrastive term (official: 1). */
      weight: z.number().min(0).default(1),
      /** τ+: pairs sharing this attribute's sub-vector are pushed below it. */
      tauPlus: z.number().min(0).default(defaults.tauPlus),
      /** τ−: all other pairs are pushed above it. */
      tauMinus: z.number().min(0).default(defaults.tauMinus),
      /** Suggested size of the attribute's latent sub-vector. */
      latentSize: z.number().int().positive().default(defaults.latentSize),
    })
    .refine((o) => o.tauPlus < o.tauMinus, { message: 'tauPlus must be smaller than tauMinus', path: ['tauPlus'] });
}
