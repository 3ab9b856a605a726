import { z } from 'zod';

/**
 * The zod options every face plugin takes — crop fraction, τ+/τ−, λ, latent size, weights folder,
 * range checking — with the plugin's own calibrated defaults. The TypeScript option types derive
 * from the returned schema (`z.input` / `z.output`).
 *
 * @example
 * const ageOptionsSchema = faceOptionsSchema({
 *   defaults: { tauPlus: 3, tauMinus: 7, weight: 0.064, latentSize: 64 },
 *   unit: 'years',
 *   weightsFile: 'age_gender_model-weights_manifest.json',
 * });
 */
export function faceOptionsSchema({
  defaults,
  unit,
  weightsFile,
  maxDistance,
}: {
  /** Calibrated thresholds, weight and suggested latent size of the plugin. */
  defaults: { tauPlus: number; tauMinus: number; weight: number; latentSize: number };
  /** Unit of the distance the thresholds apply to (for the field descriptions). */
  unit: string;
  /** Manifest the plugin reads from `modelDir`. */
  weightsFile: string;
  /** Upper bound of the distance (e.g. 4 for d = 2 − 2cos), if it has one. */
  maxDistance?: number;
}) {
  const tau = () => (maxDistance === undefined ? z.number().min(0) : z.number().min(0).max(maxDistance));
  return z
    .object({
      cropFraction: z
        .number()
        .gt(0)
        .lte(1)
        .default(480 / 512)
        .describe('centre-crop fraction of each image side before resizing (official: 480 of 512)'),
      tauPlus: tau().default(defaults.tauPlus).describe(`τ+ in ${unit}`),
      tauMinus: tau().default(defaults.tauMinus).describe(`τ− in ${unit}`),
      weight: z.number().min(0).default(defaults.weight).describe('λ of the attribute term'),
      latentSize: z.int().positive().default(defaults.latentSize).describe('suggested size of the latent sub-vector'),
      modelDir: z.string().min(1).optional().describe(`folder with ${weightsFile} (default: the installed @vladmandic/face-api)`),
      checkRange: z.boolean().default(true).describe('check the value range of every batch (reads two scalars back per call)'),
    })
    .strict()
    .refine((o) => o.tauPlus < o.tauMinus, { message: 'tauPlus must be smaller than tauMinus', path: ['tauPlus'] });
}
