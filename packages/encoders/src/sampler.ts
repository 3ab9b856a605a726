// The encoders' dataset format: options, manifest, shard names, and reading a dataset (from a
// folder on disk in Node, or a URL). Sampling (which writes the shards) is Node-only: sample.ts,
// exported from `@gan-control/encoders/node`.
import { z } from 'zod';
import { joinLocation, readBytes, readSafetensors, readText, type FileLocation } from '@gan-control/tensor-io';
import { formatZodIssues } from '@gan-control/errors';
import { EncodersError } from './errors.js';
import type { AttributeBinding, GeneratorLike, LayoutLike } from './model.js';

/** Options of `sampleEncoderDataset` (zod; defaults as the official recipe, smaller presets below). */
export const samplerOptionsSchema = z.object({
  /** N_s, the number of (y, w) pairs; the paper uses 100k–200k. */
  count: z.number().int().positive().default(100_000),
  /** Images rendered per generator call. */
  batchSize: z.number().int().positive().default(16),
  /** Rows per safetensors shard (the unit of resume). */
  shardSize: z.number().int().positive().default(4096),
  /** Seed of the latents: the same seed (and shardSize/batchSize) gives the same dataset. */
  seed: z.number().int().nonnegative().default(0),
  /** Truncation of w while sampling (1 = none, as the official controller training). */
  truncationPsi: z.number().gt(0).max(1).default(1),
  /** Synthesis noise: 'const' (stored buffers, deterministic) by default. */
  noiseMode: z.enum(['const', 'random', 'none']).default('const'),
});
export type SamplerOptions = z.input<typeof samplerOptionsSchema>;

/** Sizes for quick CPU runs (tests, demos); the default is the paper's 100k. */
export const SAMPLER_PRESETS = {
  tiny: { count: 512, batchSize: 16, shardSize: 256 },
  cpu: { count: 8192, batchSize: 32, shardSize: 2048 },
  paper: { count: 100_000, batchSize: 32, shardSize: 4096 },
} as const satisfies Record<string, SamplerOptions>;

const valueInfoSchema = z.object({
  name: z.string(),
  unit: z.string(),
  range: z.tuple([z.number(), z.number()]).optional(),
  period: z.number().optional(),
});

/** The dataset's `dataset.json`. */
export const datasetManifestSchema = z.object({
  format: z.literal('gan-control-encoder-dataset'),
  version: z.literal(1),
  config: z.object({
    count: z.number().int().positive(),
    batchSize: z.number().int().positive(),
    shardSize: z.number().int().positive(),
    seed: z.number().int(),
    truncationPsi: z.number(),
    noiseMode: z.string(),
    zDim: z.number().int().positive(),
    wDim: z.number().int().positive(),
    groups: z.array(z.object({ name: z.string(), offset: z.number().int(), size: z.number().int() })),
    attributes: z.array(z.object({ group: z.string(), attribute: z.string(), values: z.array(valueInfoSchema) })),
  }),
  /** Complete shards, in order; a shard is listed only after its file was written atomically. */
  shards: z.array(z.object({ file: z.string(), rows: z.number().int().positive() })),
  rows: z.number().int().nonnegative(),
  /** RNG state after the last complete shard (resume continues bit-exactly from it). */
  rngState: z.unknown(),
  complete: z.boolean(),
});
export type DatasetManifest = z.output<typeof datasetManifestSchema>;

/** Progress of the sampler, after every batch. */
export interface SamplerProgress {
  readonly phase: 'sample';
  /** Rows sampled so far (including rows of shards found on disk when resuming). */
  readonly done: number;
  readonly total: number;
  /** Index of the shard being filled. */
  readonly shard: number;
  /** Rows that were already on disk when this call started. */
  readonly resumedRows: number;
  readonly elapsedMs: number;
  /** Estimated time left, from this call's rate. */
  readonly etaMs: number;
}

/** Arguments of `sampleEncoderDataset`. */
export interface SampleEncoderDatasetArgs extends SamplerOptions {
  readonly generator: GeneratorLike;
  /** Latent layout; default: the generator's partitioned mapping groups. */
  readonly layout?: LayoutLike;
  /** Attributes to measure, keyed by latent group (or an array bound by `attribute.name`). */
  readonly attributes: AttributeBinding;
  /** Output folder (created); holds `dataset.json` and `shard-00000.safetensors`… */
  readonly dir: string;
  readonly onProgress?: (p: SamplerProgress) => void;
  /** Aborting stops after the current batch; complete shards stay and a later call resumes. */
  readonly signal?: AbortSignal;
}

export const DATASET_MANIFEST = 'dataset.json';

/** File name of shard `i`. */
export function shardFileName(i: number): string {
  return `shard-${String(i).padStart(5, '0')}.safetensors`;
}

/** Parses and validates a dataset manifest; `file` names it in errors. */
export function parseManifest(text: string, file: string): DatasetManifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new EncodersError('ENCODERS_BAD_FILE', `${file} is not valid JSON (${(e as Error).message}); delete the folder and sample again`);
  }
  const parsed = datasetManifestSchema.safeParse(json);
  if (!parsed.success)
    throw new EncodersError('ENCODERS_BAD_FILE', `${file} is not an encoder dataset manifest: ${formatZodIssues(parsed.error)}`);
  return parsed.data;
}

/** Rows of one attribute from a dataset: y `[n, V]` and its group's w^k `[n, d_k]`, row-major. */
export interface AttributeRows {
  readonly group: string;
  readonly attribute: string;
  readonly values: DatasetManifest['config']['attributes'][number]['values'];
  readonly wSlice: { readonly offset: number; readonly size: number };
  readonly rows: number;
  readonly y: Float32Array;
  readonly w: Float32Array;
}

/**
 * Reads a complete dataset written by `sampleEncoderDataset` (a folder on disk in Node, or a URL)
 * and returns, per attribute, its y and w^k rows (only the group's slice of w is kept, so memory is `N·(V + d_k)` floats each).
 *
 * @example
 * const { manifest, attributes } = await readEncoderDataset('runs/shapes/encoder-data');
 * console.log(attributes.hue.rows);
 */
export async function readEncoderDataset(
  dir: FileLocation,
): Promise<{ manifest: DatasetManifest; attributes: Record<string, AttributeRows> }> {
  const manifestFile = joinLocation(dir, DATASET_MANIFEST);
  let text: string;
  try {
    text = await readText(manifestFile);
  } catch {
    throw new EncodersError(
      'ENCODERS_DATASET_INCOMPLETE',
      `no encoder dataset in ${dir} (missing ${DATASET_MANIFEST}); run sampleEncoderDataset first`,
    );
  }
  const manifest = parseManifest(text, manifestFile);
  if (!manifest.complete) {
    throw new EncodersError(
      'ENCODERS_DATASET_INCOMPLETE',
      `${manifestFile}: the dataset has ${manifest.rows} of ${manifest.config.count} rows; call sampleEncoderDataset again with the same settings to finish it`,
    );
  }
  const { config } = manifest;
  const out: Record<string, AttributeRows & { y: Float32Array; w: Float32Array }> = {};
  for (const a of config.attributes) {
    const g = config.groups.find((x) => x.name === a.group)!;
    out[a.group] = {
      group: a.group,
      attribute: a.attribute,
      values: a.values,
      wSlice: { offset: g.offset, size: g.size },
      rows: manifest.rows,
      y: new Float32Array(manifest.rows * a.values.length),
      w: new Float32Array(manifest.rows * g.size),
    };
  }
  let row = 0;
  for (const shard of manifest.shards) {
    const path = joinLocation(dir, shard.file);
    let file;
    try {
      file = readSafetensors(await readBytes(path));
    } catch (e) {
      throw new EncodersError(
        'ENCODERS_BAD_FILE',
        `${path}: cannot read the shard (${(e as Error).message}); delete the folder and sample again`,
        { cause: e },
      );
    }
    const w = file.tensors.w;
    if (!w || w.shape[0] !== shard.rows || w.shape[1] !== config.wDim) {
      throw new EncodersError(
        'ENCODERS_BAD_FILE',
        `${path}: tensor 'w' must be [${shard.rows}, ${config.wDim}], got ${w ? `[${w.shape.join(', ')}]` : 'none'}`,
      );
    }
    const wData = w.data as Float32Array;
    for (const a of Object.values(out)) {
      const y = file.tensors[`y.${a.group}`];
      if (!y || y.shape[0] !== shard.rows || y.shape[1] !== a.values.length) {
        throw new EncodersError(
          'ENCODERS_BAD_FILE',
          `${path}: tensor 'y.${a.group}' must be [${shard.rows}, ${a.values.length}], got ${y ? `[${y.shape.join(', ')}]` : 'none'}`,
        );
      }
      a.y.set(y.data as Float32Array, row * a.values.length);
      const d = a.wSlice.size;
      for (let r = 0; r < shard.rows; r++) {
        const src = r * config.wDim + a.wSlice.offset;
        a.w.set(wData.subarray(src, src + d), (row + r) * d);
      }
    }
    row += shard.rows;
  }
  return { manifest, attributes: out };
}
