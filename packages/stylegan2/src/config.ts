/**
 * Network configurations (zod, camelCase). The TypeScript types come from the schemas:
 * `GeneratorConfigInput` (what users write, defaults optional) and `GeneratorConfig` (parsed).
 */
import { z } from 'zod';
import { formatZodIssues, GanControlError, type GanControlErrorConstructor } from '@gan-control/errors';
import type { GanControlErrorCode } from './gan-control/errors.js';
import type { ModelFolderErrorCode } from './model-folder.js';

const pow2 = (v: number) => v >= 4 && (v & (v - 1)) === 0;
/**
 * Upper bounds of a network config (`CONFIG_LIMITS`): far above any released StyleGAN2 (1024 px,
 * 8 mapping layers of 512, channelBase 32768), low enough that a malformed or hostile model.json
 * fails at validation, naming the field, instead of allocating for minutes (issue: 100000 mapping
 * layers hung; 1e6 features took 9 s and 610 MB before the weights were checked).
 */
export const CONFIG_LIMITS = {
  resolution: 4096,
  mappingLayers: 64,
  mappingGroups: 256,
  features: 16384,
  channelBase: 1 << 20,
  imgChannels: 16,
} as const;
const limit = (max: number, what: string) =>
  z
    .number()
    .int()
    .positive()
    .max(max, { message: `at most ${max} (${what} limit of CONFIG_LIMITS, against malformed model files)` });
const resolution = z
  .number()
  .int()
  .refine(pow2, { message: 'must be a power of two ≥ 4 (4, 8, 16, …)' })
  .refine((v) => v <= CONFIG_LIMITS.resolution, {
    message: `at most ${CONFIG_LIMITS.resolution} (resolution limit of CONFIG_LIMITS, against malformed model files)`,
  });
const filter = z.array(z.number()).min(1).default([1, 3, 3, 1]);
const convClamp = z.number().positive().nullable().default(null);

export const mappingGroupSchema = z.object({ name: z.string().min(1), size: limit(CONFIG_LIMITS.features, 'features') }).strict();

export const mappingConfigSchema = z
  .object({
    /** Layers per stack (official default 8; `--cfg auto` uses 2). */
    numLayers: limit(CONFIG_LIMITS.mappingLayers, 'mappingLayers').default(8),
    /** Hidden width. Default: `wDim` (standard) or 256 (partitioned, as GAN-Control). */
    layerFeatures: limit(CONFIG_LIMITS.features, 'features').nullable().default(null),
    lrMultiplier: z.number().positive().default(0.01),
    wAvgBeta: z.number().min(0).max(1).default(0.995),
    /**
     * GAN-Control's partitioned mapping: one stack per latent group, in latent order. Group k
     * maps `z[offset_k : offset_k + size_k]` (normalised over that slice only) through
     * `size_k → hidden → … → hidden → size_k`; the outputs are concatenated into w.
     */
    groups: z
      .array(mappingGroupSchema)
      .min(1)
      .max(CONFIG_LIMITS.mappingGroups, { message: `at most ${CONFIG_LIMITS.mappingGroups} groups (mappingGroups limit of CONFIG_LIMITS)` })
      .optional(),
  })
  .strict();

export const synthesisConfigSchema = z
  .object({
    channelBase: limit(CONFIG_LIMITS.channelBase, 'channelBase').default(32768),
    channelMax: limit(CONFIG_LIMITS.features, 'features').default(512),
    convClamp,
    resampleFilter: filter,
    architecture: z.literal('skip').default('skip'),
    useNoise: z.boolean().default(true),
    /**
     * Clamp the images to the data range [-1, 1] at the synthesis output (not in the official
     * network, whose images are clamped only when converted to pixels). A generator trained with
     * it can put its background a margin below −1 and show exactly the data's black, where an
     * unclamped one leaves a faint residue of its upsampled lower resolutions around each shape.
     */
    clampOutput: z.boolean().default(false),
  })
  .strict();

export const generatorConfigSchema = z
  .object({
    zDim: limit(CONFIG_LIMITS.features, 'features'),
    wDim: limit(CONFIG_LIMITS.features, 'features'),
    resolution,
    imgChannels: limit(CONFIG_LIMITS.imgChannels, 'imgChannels').default(3),
    mapping: mappingConfigSchema.default({
      numLayers: 8,
      layerFeatures: null,
      lrMultiplier: 0.01,
      wAvgBeta: 0.995,
    }),
    synthesis: synthesisConfigSchema.default({
      channelBase: 32768,
      channelMax: 512,
      convClamp: null,
      resampleFilter: [1, 3, 3, 1],
      architecture: 'skip',
      useNoise: true,
      clampOutput: false,
    }),
  })
  .strict()
  .superRefine((c, ctx) => {
    const groups = c.mapping.groups;
    if (!groups) return;
    const names = new Set<string>();
    groups.forEach((g, i) => {
      if (names.has(g.name))
        ctx.addIssue({ code: 'custom', path: ['mapping', 'groups', i, 'name'], message: `duplicate group name '${g.name}'` });
      names.add(g.name);
    });
    const total = groups.reduce((s, g) => s + g.size, 0);
    if (total !== c.zDim)
      ctx.addIssue({ code: 'custom', path: ['mapping', 'groups'], message: `group sizes sum to ${total}, but zDim is ${c.zDim}` });
    if (total !== c.wDim)
      ctx.addIssue({
        code: 'custom',
        path: ['mapping', 'groups'],
        message: `group sizes sum to ${total}, but wDim is ${c.wDim} (w is the concatenation of the group outputs)`,
      });
  });

export const discriminatorConfigSchema = z
  .object({
    resolution,
    imgChannels: limit(CONFIG_LIMITS.imgChannels, 'imgChannels').default(3),
    channelBase: limit(CONFIG_LIMITS.channelBase, 'channelBase').default(32768),
    channelMax: limit(CONFIG_LIMITS.features, 'features').default(512),
    convClamp,
    resampleFilter: filter,
    architecture: z.literal('resnet').default('resnet'),
    /** Minibatch-stddev group size (`null` = whole batch). Official default 4. */
    mbstdGroupSize: z.number().int().positive().nullable().default(4),
    mbstdNumChannels: z.number().int().positive().default(1),
  })
  .strict();

export type MappingGroup = z.output<typeof mappingGroupSchema>;
export type GeneratorConfigInput = z.input<typeof generatorConfigSchema>;
export type GeneratorConfig = z.output<typeof generatorConfigSchema>;
export type DiscriminatorConfigInput = z.input<typeof discriminatorConfigSchema>;
export type DiscriminatorConfig = z.output<typeof discriminatorConfigSchema>;

/** Stable codes of the errors `@gan-control/stylegan2` throws (the model-folder and GAN-Control port codes included). */
export type StyleGan2ErrorCode =
  | 'STYLEGAN2_INVALID_CONFIG'
  | 'STYLEGAN2_BAD_INPUT'
  | 'STYLEGAN2_BAD_OPTION'
  | 'STYLEGAN2_BAD_FILE'
  | 'STYLEGAN2_BAD_DTYPE'
  | 'STYLEGAN2_BAD_CHECKPOINT'
  | 'STYLEGAN2_CHECKPOINT_NOT_FOUND'
  | 'STYLEGAN2_WRONG_KIND'
  | 'STYLEGAN2_DISPOSED'
  | 'STYLEGAN2_FILTER_MISMATCH'
  | 'STYLEGAN2_SHAPE_MISMATCH'
  | 'STYLEGAN2_STATE_DICT_MISMATCH'
  | GanControlErrorCode
  | ModelFolderErrorCode;

/** The project's error class (`@gan-control/errors`) with this package's codes. */
export const StyleGan2Error: GanControlErrorConstructor<StyleGan2ErrorCode> = GanControlError;
export type StyleGan2Error = GanControlError<StyleGan2ErrorCode>;

function parseWith<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const r = schema.safeParse(input);
  if (!r.success) {
    throw new StyleGan2Error(
      'STYLEGAN2_INVALID_CONFIG',
      `Invalid ${what} config:\n${formatZodIssues(r.error)}\nFix these fields (see generatorConfigSchema / discriminatorConfigSchema in @gan-control/stylegan2).`,
      {
        cause: r.error,
      },
    );
  }
  return r.data;
}

/**
 * Parses a generator config, throwing a `StyleGan2Error` (code `STYLEGAN2_INVALID_CONFIG`) that
 * lists every bad field by path.
 *
 * @example
 * const cfg = parseGeneratorConfig({ zDim: 64, wDim: 64, resolution: 32, mapping: { numLayers: 2 } });
 */
export function parseGeneratorConfig(input: unknown): GeneratorConfig {
  return parseWith(generatorConfigSchema, input, 'generator');
}

/**
 * Parses a discriminator config (see `parseGeneratorConfig`).
 *
 * @example
 * const cfg = parseDiscriminatorConfig({ resolution: 32, channelBase: 512, channelMax: 64 });
 */
export function parseDiscriminatorConfig(input: unknown): DiscriminatorConfig {
  return parseWith(discriminatorConfigSchema, input, 'discriminator');
}

/**
 * `channels(res) = min(channelBase // res, channelMax)` (`networks.py:441, 694`).
 *
 * @example
 * channelsAt(32, 512, 64); // 16
 */
export function channelsAt(res: number, channelBase: number, channelMax: number): number {
  return Math.min(Math.floor(channelBase / res), channelMax);
}

/**
 * `numWs = 2·log2(R) − 2` for the `skip` synthesis network.
 *
 * @example
 * numWsFor(1024); // 18
 */
export function numWsFor(resolution: number): number {
  return 2 * Math.log2(resolution) - 2;
}
