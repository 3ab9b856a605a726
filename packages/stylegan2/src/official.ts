/**
 * Loading weights saved by NVIDIA's stylegan2-ada-pytorch: a safetensors file holding
 * `G.state_dict()` / `D.state_dict()` (official names, incl. buffers) plus the official
 * constructor kwargs (snake_case, `G.init_kwargs` / `D.init_kwargs`).
 */
import { readSafetensors, type SafetensorsEntry } from '@gan-control/tensor-io';
import { z } from 'zod';
import { formatZodIssues } from '@gan-control/errors';
import {
  parseDiscriminatorConfig,
  parseGeneratorConfig,
  StyleGan2Error,
  type DiscriminatorConfigInput,
  type GeneratorConfigInput,
} from './config.js';
import { Discriminator } from './discriminator.js';
import { Generator } from './generator.js';
import type { LoadReport, TensorRecord } from './params.js';

const activation = z.literal('lrelu');
const filter = z.array(z.number()).optional();

/** Official `Generator(**G_kwargs)` arguments (what `config.json` / `G.init_kwargs` hold). */
export const officialGeneratorKwargsSchema = z
  .object({
    z_dim: z.number().int().positive(),
    c_dim: z.literal(0).default(0),
    w_dim: z.number().int().positive(),
    img_resolution: z.number().int(),
    img_channels: z.number().int().positive().default(3),
    mapping_kwargs: z
      .object({
        num_layers: z.number().int().positive().optional(),
        embed_features: z.null().optional(),
        layer_features: z.number().int().positive().nullable().optional(),
        activation: activation.optional(),
        lr_multiplier: z.number().positive().optional(),
        w_avg_beta: z.number().nullable().optional(),
      })
      .strict()
      .default({}),
    synthesis_kwargs: z
      .object({
        channel_base: z.number().int().positive().optional(),
        channel_max: z.number().int().positive().optional(),
        num_fp16_res: z.number().int().min(0).optional(),
        architecture: z.literal('skip').optional(),
        resample_filter: filter,
        conv_clamp: z.number().positive().nullable().optional(),
        fp16_channels_last: z.boolean().optional(),
        kernel_size: z.literal(3).optional(),
        use_noise: z.boolean().optional(),
        activation: activation.optional(),
      })
      .strict()
      .default({}),
  })
  .strict();

/** Official `Discriminator(**D_kwargs)` arguments. */
export const officialDiscriminatorKwargsSchema = z
  .object({
    c_dim: z.literal(0).default(0),
    img_resolution: z.number().int(),
    img_channels: z.number().int().positive().default(3),
    architecture: z.literal('resnet').default('resnet'),
    channel_base: z.number().int().positive().optional(),
    channel_max: z.number().int().positive().optional(),
    num_fp16_res: z.number().int().min(0).optional(),
    conv_clamp: z.number().positive().nullable().optional(),
    cmap_dim: z.null().optional(),
    block_kwargs: z
      .object({
        activation: activation.optional(),
        resample_filter: filter,
        fp16_channels_last: z.boolean().optional(),
        freeze_layers: z.number().int().min(0).optional(),
      })
      .strict()
      .default({}),
    mapping_kwargs: z.object({}).strict().default({}),
    epilogue_kwargs: z
      .object({
        mbstd_group_size: z.number().int().positive().nullable().optional(),
        mbstd_num_channels: z.number().int().positive().optional(),
        activation: activation.optional(),
      })
      .strict()
      .default({}),
  })
  .strict();

export type OfficialGeneratorKwargs = z.input<typeof officialGeneratorKwargsSchema>;
export type OfficialDiscriminatorKwargs = z.input<typeof officialDiscriminatorKwargsSchema>;

function parseKwargs<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const r = schema.safeParse(input);
  if (!r.success) {
    throw new StyleGan2Error(
      'STYLEGAN2_INVALID_CONFIG',
      `Unsupported or invalid official ${what} kwargs:\n${formatZodIssues(r.error)}\n` +
        'Supported: c_dim 0, lrelu activations, 3×3 kernels, synthesis architecture "skip", discriminator architecture "resnet", no cmap.',
      { cause: r.error },
    );
  }
  return r.data;
}

/**
 * Official `G_kwargs` → this package's generator config. `num_fp16_res` is ignored (this port
 * always computes in float32, like the official `force_fp32=True`).
 *
 * @example
 * const cfg = generatorConfigFromOfficial({ z_dim: 512, w_dim: 512, img_resolution: 256 });
 */
export function generatorConfigFromOfficial(kwargs: unknown): GeneratorConfigInput {
  const k = parseKwargs(officialGeneratorKwargsSchema, kwargs, 'generator');
  const m = k.mapping_kwargs;
  const s = k.synthesis_kwargs;
  return {
    zDim: k.z_dim,
    wDim: k.w_dim,
    resolution: k.img_resolution,
    imgChannels: k.img_channels,
    mapping: {
      numLayers: m.num_layers ?? 8,
      layerFeatures: m.layer_features ?? null,
      lrMultiplier: m.lr_multiplier ?? 0.01,
      wAvgBeta: m.w_avg_beta ?? 0.995,
    },
    synthesis: {
      channelBase: s.channel_base ?? 32768,
      channelMax: s.channel_max ?? 512,
      convClamp: s.conv_clamp ?? null,
      resampleFilter: s.resample_filter ?? [1, 3, 3, 1],
      useNoise: s.use_noise ?? true,
    },
  };
}

/**
 * Official `D_kwargs` → this package's discriminator config.
 *
 * @example
 * const cfg = discriminatorConfigFromOfficial({ img_resolution: 256 });
 */
export function discriminatorConfigFromOfficial(kwargs: unknown): DiscriminatorConfigInput {
  const k = parseKwargs(officialDiscriminatorKwargsSchema, kwargs, 'discriminator');
  return {
    resolution: k.img_resolution,
    imgChannels: k.img_channels,
    channelBase: k.channel_base ?? 32768,
    channelMax: k.channel_max ?? 512,
    convClamp: k.conv_clamp ?? null,
    resampleFilter: k.block_kwargs.resample_filter ?? [1, 3, 3, 1],
    mbstdGroupSize: k.epilogue_kwargs.mbstd_group_size === undefined ? 4 : k.epilogue_kwargs.mbstd_group_size,
    mbstdNumChannels: k.epilogue_kwargs.mbstd_num_channels ?? 1,
  };
}

/**
 * Safetensors entries → float32 records (F32/F64/F16/BF16; anything else is an error naming the tensor).
 *
 * @example
 * const records = toFloatRecords(readSafetensors(bytes).tensors, 'G.safetensors');
 */
export function toFloatRecords(tensors: Record<string, SafetensorsEntry>, source: string): Record<string, TensorRecord> {
  // Names come from a file: a null-prototype record keeps `__proto__` a name like any other.
  const out: Record<string, TensorRecord> = Object.create(null);
  for (const [name, e] of Object.entries(tensors)) {
    // tensor-io returns F16/BF16 already widened to Float32Array.
    let data: Float32Array;
    if (e.data instanceof Float32Array) data = e.data;
    else if (e.data instanceof Float64Array) data = Float32Array.from(e.data);
    else
      throw new StyleGan2Error(
        'STYLEGAN2_BAD_DTYPE',
        `${source}: tensor '${name}' has dtype ${e.dtype}; network weights must be floating point (F32, F64, F16, BF16).`,
      );
    out[name] = { dtype: 'F32', shape: e.shape, data };
  }
  return out;
}

/**
 * Throws a `STYLEGAN2_STATE_DICT_MISMATCH` error listing missing and leftover names.
 *
 * @example
 * assertComplete(G.loadStateDict(records, 'G.safetensors'), 'G.safetensors');
 */
export function assertComplete(report: LoadReport, source: string): void {
  if (report.missing.length === 0 && report.unexpected.length === 0) return;
  const parts: string[] = [];
  if (report.missing.length) parts.push(`missing (${report.missing.length}): ${report.missing.join(', ')}`);
  if (report.unexpected.length) parts.push(`not used (${report.unexpected.length}): ${report.unexpected.join(', ')}`);
  const err = new StyleGan2Error(
    'STYLEGAN2_STATE_DICT_MISMATCH',
    `${source}: the tensors do not match the configured network.\n  ${parts.join('\n  ')}\n` +
      'Check that the kwargs/config match the weights (resolution, channel_base, channel_max, mapping num_layers, architecture).',
  );
  Object.assign(err, { missing: report.missing, unexpected: report.unexpected });
  throw err;
}

function readFile(bytes: Uint8Array, source: string): Record<string, TensorRecord> {
  let file;
  try {
    file = readSafetensors(bytes);
  } catch (e) {
    throw new StyleGan2Error('STYLEGAN2_BAD_FILE', `${source}: cannot read the safetensors data: ${(e as Error).message}`, { cause: e });
  }
  return toFloatRecords(file.tensors, source);
}

/**
 * Loads an official stylegan2-ada-pytorch generator from a safetensors `state_dict` and its
 * `G_kwargs`. Every tensor must be consumed: missing or leftover names throw
 * (`STYLEGAN2_STATE_DICT_MISMATCH`, with `.missing` and `.unexpected`).
 *
 * @example
 * const G = loadOfficialGenerator(await readFile('G.safetensors'), config.G_kwargs);
 * const img = tf.tidy(() => G.synthesis(G.mapping(z, { truncationPsi: 0.7 }), { noiseMode: 'const' }));
 */
export function loadOfficialGenerator(bytes: Uint8Array, kwargs: unknown, opts: { source?: string } = {}): Generator {
  const source = opts.source ?? 'official generator';
  const cfg = generatorConfigFromOfficial(kwargs);
  const tensors = readFile(bytes, source);
  const G = new Generator(parseGeneratorConfig(cfg), null);
  try {
    assertComplete(G.loadStateDict(tensors, source), source);
  } catch (e) {
    G.dispose();
    throw e;
  }
  return G;
}

/**
 * Loads an official stylegan2-ada-pytorch discriminator (see `loadOfficialGenerator`).
 *
 * @example
 * const D = loadOfficialDiscriminator(await readFile('D.safetensors'), config.D_kwargs);
 * const logits = D.logits(images);
 */
export function loadOfficialDiscriminator(bytes: Uint8Array, kwargs: unknown, opts: { source?: string } = {}): Discriminator {
  const source = opts.source ?? 'official discriminator';
  const cfg = discriminatorConfigFromOfficial(kwargs);
  const tensors = readFile(bytes, source);
  const D = new Discriminator(parseDiscriminatorConfig(cfg), null);
  try {
    assertComplete(D.loadStateDict(tensors, source), source);
  } catch (e) {
    D.dispose();
    throw e;
  }
  return D;
}
