import { z } from 'zod';

/**
 * The latent of one picture, as `projectImage` returns it and `gan-control invert` saves it
 * (`latent.json`): what `Controller.generate({ latent })` starts from instead of a seed's sample.
 * Plain numbers, so it round-trips through JSON exactly (float32 values written as doubles).
 *
 * - `ws`: one row `[wDim]` (modes `'w'` and `'groups'`: the same w on every style input) or
 *   `numWs` rows (mode `'w+'`: one w per style input).
 * - `noise`: the synthesis noise buffers, one per conv layer in `G.noiseShapes()` order, when the
 *   projection optimised them (else the model's stored noise is used).
 */
export const latentCodeSchema = z.object({
  format: z.literal('gan-control-latent').default('gan-control-latent'),
  version: z.literal(1).default(1),
  /** How the latent was found: one w, one w per latent group, or one w per style input. */
  mode: z.enum(['w', 'groups', 'w+']),
  ws: z.array(z.array(z.number())).min(1),
  noise: z
    .array(
      z.object({ shape: z.tuple([z.number().int(), z.number().int(), z.number().int(), z.number().int()]), data: z.array(z.number()) }),
    )
    .optional(),
});

/** A latent code as users write it (`format`/`version` may be left out). */
export type LatentCodeInput = z.input<typeof latentCodeSchema>;
/** A parsed latent code. */
export type LatentCode = z.output<typeof latentCodeSchema>;
/** The projection modes. */
export type ProjectionMode = LatentCode['mode'];
