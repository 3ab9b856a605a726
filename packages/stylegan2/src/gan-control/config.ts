/**
 * The official GAN-Control run configuration (`args.json` as written by the official trainer's
 * `export_args`, `json.dump(sort_keys=True)`), validated with zod and normalised to the facts the
 * networks need. Only the fields the model uses are checked; the rest passes through.
 */
import { z } from 'zod';
import { formatZodIssues } from '@gan-control/errors';
import { CONFIG_LIMITS } from '../config.js';
import { GanControlModelError } from './errors.js';

const range = z.tuple([z.number().int().nonnegative(), z.number().int().positive()]);

export const ganControlArgsSchema = z.looseObject({
  model_config: z.looseObject({
    size: z
      .number()
      .int()
      .refine((v) => v >= 4 && (v & (v - 1)) === 0, { message: 'must be a power of two ≥ 4' })
      .refine((v) => v <= CONFIG_LIMITS.resolution, { message: `at most ${CONFIG_LIMITS.resolution} (resolution limit of CONFIG_LIMITS)` }),
    latent_size: z
      .number()
      .int()
      .positive()
      .max(CONFIG_LIMITS.features, { message: `at most ${CONFIG_LIMITS.features} (features limit of CONFIG_LIMITS)` }),
    n_mlp: z
      .number()
      .int()
      .positive()
      .max(CONFIG_LIMITS.mappingLayers, { message: `at most ${CONFIG_LIMITS.mappingLayers} (mappingLayers limit of CONFIG_LIMITS)` })
      .optional(),
    channel_multiplier: z.number().positive().max(64, { message: 'at most 64' }).optional(),
    split_fc: z.boolean().default(true),
    marge_fc: z.boolean().default(false),
    conv_transpose: z.boolean().default(true),
    img_channels: z
      .number()
      .int()
      .positive()
      .max(CONFIG_LIMITS.imgChannels, { message: `at most ${CONFIG_LIMITS.imgChannels} (imgChannels limit of CONFIG_LIMITS)` })
      .default(3),
    vae: z.boolean().optional(),
  }),
  training_config: z.looseObject({
    sub_groups_dict: z.record(z.string(), z.looseObject({ place_in_latent: range })).optional(),
  }),
});

/** What users pass: the parsed official `args.json`. */
export type GanControlArgs = z.input<typeof ganControlArgsSchema>;

/** One latent group, in latent order. */
export interface GanControlGroup {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
}

/** The normalised configuration of an official GAN-Control generator. */
export interface GanControlConfig {
  readonly resolution: number;
  readonly latentSize: number;
  /** Per-group mapping stacks in latent order (sorted by `place_in_latent[0]`); null = one standard mapping (`split_fc: false`). */
  readonly groups: readonly GanControlGroup[] | null;
  readonly imgChannels: number;
}

/**
 * Validates an official `args.json` and derives the group order: the official code concatenates
 * the per-group mapping outputs sorted by `place_in_latent[0]`
 * (`MiniBatchUtils.get_ordered_group_names`), **not** in the file's alphabetical key order.
 *
 * @example
 * ```ts
 * const config = parseGanControlArgs(JSON.parse(await readFile('args.json', 'utf8')));
 * config.groups?.map((g) => g.name); // ['id', 'orientation', 'age', 'other'] for the fixture
 * ```
 */
export function parseGanControlArgs(args: unknown, source = 'args.json'): GanControlConfig {
  const parsed = ganControlArgsSchema.safeParse(args);
  if (!parsed.success) {
    throw new GanControlModelError(
      'GAN_CONTROL_ARGS_INVALID',
      `${source} is not an official GAN-Control run config:\n${formatZodIssues(parsed.error)}\nPass the args.json from the model directory (the one Inference(model_dir) reads).`,
    );
  }
  const { model_config: mc, training_config: tc } = parsed.data;
  if (mc.marge_fc) {
    throw new GanControlModelError(
      'GAN_CONTROL_UNSUPPORTED',
      `${source}: model_config.marge_fc = true is not supported (only the released split_fc layout is).`,
    );
  }
  if (!mc.conv_transpose) {
    throw new GanControlModelError(
      'GAN_CONTROL_UNSUPPORTED',
      `${source}: model_config.conv_transpose = false is not supported; the released models use conv_transpose = true.`,
    );
  }
  if (mc.vae) throw new GanControlModelError('GAN_CONTROL_UNSUPPORTED', `${source}: model_config.vae = true is not supported.`);
  let groups: GanControlGroup[] | null = null;
  if (mc.split_fc) {
    const dict = tc.sub_groups_dict;
    if (!dict || Object.keys(dict).length === 0) {
      throw new GanControlModelError(
        'GAN_CONTROL_ARGS_INVALID',
        `${source}: model_config.split_fc is true but training_config.sub_groups_dict is missing or empty.`,
      );
    }
    groups = Object.entries(dict)
      .map(([name, g]) => ({ name, offset: g.place_in_latent[0], size: g.place_in_latent[1] - g.place_in_latent[0] }))
      .sort((a, b) => a.offset - b.offset);
    let at = 0;
    for (const g of groups) {
      if (g.offset !== at || g.size <= 0) {
        throw new GanControlModelError(
          'GAN_CONTROL_ARGS_INVALID',
          `${source}: training_config.sub_groups_dict.${g.name}.place_in_latent starts at ${g.offset}, expected ${at}: the groups must tile [0, ${mc.latent_size}) without gaps or overlaps.`,
        );
      }
      at += g.size;
    }
    if (at !== mc.latent_size) {
      throw new GanControlModelError(
        'GAN_CONTROL_ARGS_INVALID',
        `${source}: the groups cover [0, ${at}) but model_config.latent_size is ${mc.latent_size}.`,
      );
    }
  }
  return { resolution: mc.size, latentSize: mc.latent_size, groups, imgChannels: mc.img_channels };
}
