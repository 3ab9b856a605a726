import { z } from 'zod';
import { formatZodIssues, GanControlError, type GanControlErrorConstructor } from '@gan-control/errors';

const pow2 = z
  .number()
  .int()
  .refine((v) => v >= 4 && (v & (v - 1)) === 0, { message: 'must be a power of two ≥ 4 (8, 16, 32, …)' });

const groupSchema = z.object({ name: z.string().min(1), size: z.number().int().positive(), controlled: z.boolean().optional() });

/** A dataset generated on the fly by a named procedural generator (`shapes`). */
export const proceduralDatasetSchema = z.object({
  kind: z.literal('procedural'),
  /** Generator name; `shapes` is built in (@gan-control/domain-shapes). */
  name: z.string().default('shapes'),
  /** Seed of the image stream (independent of the training seed). */
  seed: z.number().int().default(0),
  /** Generator options (the resolution is set by the training config). */
  options: z.record(z.string(), z.unknown()).default({}),
});

/** A folder of PNG/JPEG images, searched recursively, resized and centre-cropped to the resolution. */
export const folderDatasetSchema = z.object({
  kind: z.literal('folder'),
  path: z.string().min(1),
  /** Randomly mirror images horizontally (official `--mirror`). */
  xflip: z.boolean().default(false),
  /** Use at most this many images (sorted by path). */
  maxImages: z.number().int().positive().optional(),
});

export const datasetSchema = z.discriminatedUnion('kind', [proceduralDatasetSchema, folderDatasetSchema]);

/**
 * The training configuration (zod; the TypeScript types come from it). Defaults follow the
 * official StyleGAN2-ADA / GAN-Control settings where they make sense at small scale.
 */
export const trainConfigSchema = z
  .object({
    /** Name shown in logs and stored with the model. */
    name: z.string().default('custom'),
    /** Seeds every random choice of the run (weights, latents, noise, data order). */
    seed: z.number().int().min(0).default(0),
    resolution: pow2,
    batchSize: z.number().int().min(2).default(16),
    /** Pairs per latent group in the contrastive batch (default: ⌊batch/2⌋ dealt round-robin). */
    pairsPerGroup: z.union([z.number().int().min(0), z.record(z.string(), z.number().int().min(0))]).optional(),
    /** The partitioned latent space: one group per attribute plus one uncontrolled group. */
    // One group (uncontrolled, no attributes) is a plain StyleGAN2: the baseline of the method.
    latent: z.object({ groups: z.array(groupSchema).min(1) }),
    /** Attributes by plugin name, each with its options; bound to the latent group of the same name. */
    attributes: z.array(z.object({ name: z.string().min(1), options: z.record(z.string(), z.unknown()).default({}) })).default([]),
    generator: z
      .object({
        channelBase: z.number().int().positive().default(16384),
        channelMax: z.number().int().positive().default(512),
        mappingLayers: z.number().int().positive().default(8),
        /** Hidden width of each group's mapping stack (official GAN-Control: 256). */
        mappingHidden: z.number().int().positive().default(256),
        mappingLrMultiplier: z.number().positive().default(0.01),
        useNoise: z.boolean().default(true),
        /** Clamp G's images to [-1, 1] (stylegan2's `synthesis.clampOutput`); D then sees them clamped too. */
        clampOutput: z.boolean().default(false),
      })
      .prefault({}),
    discriminator: z
      .object({
        channelBase: z.number().int().positive().default(16384),
        channelMax: z.number().int().positive().default(512),
        mbstdGroupSize: z.number().int().positive().nullable().default(4),
      })
      .prefault({}),
    optim: z
      .object({
        gLr: z.number().positive().default(0.0025),
        dLr: z.number().positive().default(0.0025),
        betas: z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)]).default([0, 0.99]),
        eps: z.number().positive().default(1e-8),
      })
      .prefault({}),
    /** R1 weight γ (official: 10 at 256 px; scale with resolution²). */
    r1Gamma: z.number().min(0).default(10),
    /** Lazy R1: every this many D steps (null disables). */
    dRegInterval: z.number().int().positive().nullable().default(16),
    /** Lazy path-length regularisation: every this many G steps (null disables). */
    gRegInterval: z.number().int().positive().nullable().default(4),
    plWeight: z.number().min(0).default(2),
    plBatchShrink: z.number().int().positive().default(2),
    plDecay: z.number().min(0).max(1).default(0.01),
    /** EMA half-life in thousands of images (official: batch·10/32). */
    emaKimg: z.number().min(0).default(10),
    /** EMA ramp-up (official `--ema_rampup`, null = off). */
    emaRampup: z.number().positive().nullable().default(null),
    /** Style mixing probability (off by default, as the official GAN-Control). */
    styleMixingProb: z.number().min(0).max(1).default(0),
    /** λ of the factorized contrastive loss (added on every `interval`-th G step; official: 1, every step). */
    contrastive: z.object({ weight: z.number().min(0).default(1), interval: z.number().int().positive().default(1) }).prefault({}),
    /** Training length in thousands of images shown to D. */
    totalKimg: z.number().positive(),
    /** Write a checkpoint (and a sample grid) every this many images. */
    checkpointEvery: z.number().int().positive().default(10_000),
    /** Checkpoints kept on disk (older ones are deleted after a newer one is complete). */
    keepCheckpoints: z.number().int().positive().default(3),
    /** The sample grid written with each checkpoint, from fixed latents. */
    grid: z
      .object({
        rows: z.number().int().positive().default(6),
        cols: z.number().int().positive().default(8),
        seed: z.number().int().default(123),
      })
      .prefault({}),
    /** Write a metrics line every this many steps. */
    metricsEvery: z.number().int().positive().default(10),
    dataset: datasetSchema,
  })
  .superRefine((c, ctx) => {
    const uncontrolled = c.latent.groups.filter((g) => g.controlled === false).length;
    if (uncontrolled !== 1)
      ctx.addIssue({
        code: 'custom',
        path: ['latent', 'groups'],
        message: `exactly one group must have controlled: false (the "other" group), found ${uncontrolled}`,
      });
    const names = new Set(c.latent.groups.map((g) => g.name));
    c.attributes.forEach((a, i) => {
      if (!names.has(a.name))
        ctx.addIssue({
          code: 'custom',
          path: ['attributes', i, 'name'],
          message: `attribute "${a.name}" has no latent group of that name; groups: ${[...names].join(', ')}`,
        });
    });
    if (c.batchSize % 2 !== 0) ctx.addIssue({ code: 'custom', path: ['batchSize'], message: 'must be even (rows pair up as (2i, 2i+1))' });
  });

export type TrainConfigInput = z.input<typeof trainConfigSchema>;
export type TrainConfig = z.output<typeof trainConfigSchema>;

/** The project's error class (`@gan-control/errors`) with the trainer's codes; branch on `code`. */
export const TrainerError: GanControlErrorConstructor<TrainerErrorCode> = GanControlError;
export type TrainerError = GanControlError<TrainerErrorCode>;

/** Stable codes of the errors `@gan-control/trainer` throws. */
export type TrainerErrorCode =
  | 'TRAINER_INVALID_CONFIG'
  | 'TRAINER_UNKNOWN_PRESET'
  | 'TRAINER_UNKNOWN_ATTRIBUTE'
  | 'TRAINER_DATASET'
  | 'TRAINER_MODEL'
  | 'TRAINER_RESUME'
  | 'TRAINER_CHECKPOINT_CORRUPT'
  | 'TRAINER_DIVERGED';

/**
 * Validates a training config, naming each invalid field by its path.
 *
 * @example
 * const config = parseTrainConfig(presets['shapes-32']);
 */
export function parseTrainConfig(input: unknown): TrainConfig {
  const r = trainConfigSchema.safeParse(input);
  if (!r.success) {
    throw new TrainerError(
      'TRAINER_INVALID_CONFIG',
      `trainer: invalid training config: ${formatZodIssues(r.error)}. See trainConfigSchema (packages/trainer/src/config.ts) for fields and defaults.`,
    );
  }
  return r.data;
}

const shapesGroups = [
  { name: 'color', size: 8 },
  { name: 'position', size: 8 },
  { name: 'size', size: 8 },
  { name: 'other', size: 16, controlled: false },
];

/**
 * The bundled shapes model: 32 px, a narrow StyleGAN2 (≤ 64 channels, 2-layer mapping stacks of
 * width 64), batch 16 (two contrastive pairs per group), sized to train on 2 CPU cores in about an
 * hour. As the official 32 px (`cifar`) configuration: 2 mapping layers, no path-length
 * regularisation, no style mixing; noise inputs off (plain shapes have no stochastic detail). γ = 5: with 0.05 and 0.5, D won
 * throughout (D loss ≈ 0.02–0.07, G ≈ 4–6) on these crisp, easy-to-separate images; with 5 the
 * losses balanced within 3 kimg (D ≈ 0.15–0.5, G ≈ 2.6–3).
 */
const shapes32 = {
  name: 'shapes-32',
  seed: 1,
  resolution: 32,
  batchSize: 16,
  latent: { groups: shapesGroups },
  attributes: [
    { name: 'color', options: {} },
    { name: 'position', options: {} },
    { name: 'size', options: {} },
  ],
  generator: { channelBase: 1024, channelMax: 64, mappingLayers: 2, mappingHidden: 64, mappingLrMultiplier: 0.01, useNoise: false },
  discriminator: { channelBase: 1024, channelMax: 64, mbstdGroupSize: 4 },
  optim: { gLr: 0.0025, dLr: 0.0025 },
  r1Gamma: 5,
  gRegInterval: null,
  plWeight: 0,
  emaKimg: 2,
  emaRampup: 0.05,
  totalKimg: 60,
  checkpointEvery: 5000,
  grid: { rows: 6, cols: 8, seed: 123 },
  dataset: { kind: 'procedural', name: 'shapes', seed: 0, options: {} },
} satisfies TrainConfigInput;

/** Named presets (inputs to `parseTrainConfig`). */
export const presets = {
  'shapes-32': shapes32,
  /**
   * The baseline for the bundled shapes model (GAN-Control vs post-hoc methods): the same
   * architecture, dataset, optimiser and schedule as `shapes-32`, but a plain StyleGAN2 — one
   * mapping network over the whole 40-d latent and no contrastive loss (no attributes) — to the
   * bundled model's first 949.4 kimg; both then had a late phase (`--resume --r1-gamma …
   * --clamp-output`, commands in each model's README).
   */
  'shapes-32-baseline': {
    ...shapes32,
    name: 'shapes-32-baseline',
    latent: { groups: [{ name: 'other', size: 40, controlled: false }] },
    attributes: [],
    totalKimg: 949.424,
  },
  /** A tiny configuration for tests and smoke runs (8 px, a handful of channels). */
  'tiny-8': {
    name: 'tiny-8',
    seed: 0,
    resolution: 8,
    batchSize: 8,
    latent: { groups: shapesGroups.map((g) => ({ ...g, size: 4 })) },
    attributes: [
      { name: 'color', options: {} },
      { name: 'position', options: {} },
      { name: 'size', options: {} },
    ],
    generator: { channelBase: 64, channelMax: 8, mappingLayers: 2, mappingHidden: 8, useNoise: false },
    discriminator: { channelBase: 64, channelMax: 8, mbstdGroupSize: 2 },
    r1Gamma: 0.01,
    dRegInterval: 4,
    gRegInterval: 2,
    emaKimg: 0.01,
    totalKimg: 0.032,
    checkpointEvery: 16,
    grid: { rows: 2, cols: 2, seed: 1 },
    metricsEvery: 1,
    dataset: {
      kind: 'procedural',
      name: 'shapes',
      seed: 0,
      options: { sizeRange: [0.3, 0.45], positionRange: [0.35, 0.65], marginPx: 0, supersample: 4 },
    },
  },
} satisfies Record<string, TrainConfigInput>;

export type PresetName = keyof typeof presets;

/**
 * A preset by name, optionally with overrides merged on top (one level deep for objects).
 *
 * @example
 * const config = preset('shapes-32', { totalKimg: 50 });
 */
export function preset(name: string, overrides: Partial<TrainConfigInput> = {}): TrainConfig {
  const base = (presets as Record<string, TrainConfigInput>)[name];
  if (!base)
    throw new TrainerError('TRAINER_UNKNOWN_PRESET', `trainer: unknown preset "${name}". Presets: ${Object.keys(presets).join(', ')}.`);
  const merged: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(overrides)) {
    const b = (base as Record<string, unknown>)[k];
    merged[k] = v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b) ? { ...b, ...v } : v;
  }
  return parseTrainConfig(merged);
}
