import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createRng, restoreRng, sampleLatents } from '@gan-control/latent';
import type { Rng, RngState } from '@gan-control/latent';
import { readSafetensors, writeFileAtomic, writeSafetensors } from '@gan-control/tensor-io';
import { EncodersError, formatZodIssues, parseOptions } from './errors';
import { bindAttributes, resolveGroups } from './model';
import type { AttributeBinding, GeneratorLike, LayoutLike } from './model';

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

const valueInfoSchema = z.object({ name: z.string(), unit: z.string(), range: z.tuple([z.number(), z.number()]).optional(), period: z.number().optional() });

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

/**
 * Builds the encoders' training set in one pass over the generator: draws `count` latents z
 * (seeded), maps them with the (partitioned) mapping network to w, renders G(w) in batches and
 * records `y^k = measure_k(G(w))` for every attribute together with w. Rows stream to
 * safetensors shards in `dir` (tensors `z [n, zDim]`, `w [n, wDim]`, `y.<group> [n, V_k]`); the
 * manifest `dataset.json` lists complete shards and the RNG state after them, so a call on a
 * folder with an incomplete dataset resumes from the last complete shard and produces exactly
 * the dataset an uninterrupted run would have.
 *
 * @example
 * const manifest = await sampleEncoderDataset({ generator: G, attributes: { hue, size },
 *   dir: 'runs/shapes/encoder-data', count: 8192, batchSize: 32, seed: 1,
 *   onProgress: (p) => console.log(`${p.done}/${p.total} eta ${Math.round(p.etaMs / 1000)}s`) });
 */
export async function sampleEncoderDataset(args: SampleEncoderDatasetArgs): Promise<DatasetManifest> {
  const { generator, layout, attributes, dir, onProgress, signal, ...rest } = args;
  const opts = parseOptions(samplerOptionsSchema, rest, 'sampleEncoderDataset');
  const groups = resolveGroups(generator, layout);
  const bound = bindAttributes(attributes, groups);
  const config: DatasetManifest['config'] = {
    ...opts,
    zDim: generator.zDim,
    wDim: generator.wDim,
    groups: groups.map((g) => ({ name: g.name, offset: g.offset, size: g.size })),
    attributes: bound.map((b) => ({
      group: b.group,
      attribute: b.attribute.name,
      values: b.values.map((v) => ({
        name: v.name,
        unit: v.unit,
        ...(v.range ? { range: [v.range[0], v.range[1]] as [number, number] } : {}),
        ...(typeof (v as { period?: unknown }).period === 'number' ? { period: (v as { period?: number }).period } : {}),
      })),
    })),
  };
  await mkdir(dir, { recursive: true });
  let manifest = await readManifestIfAny(dir);
  let rng: Rng;
  if (manifest) {
    const want = canonicalJson(config);
    const have = canonicalJson(manifest.config);
    if (want !== have) {
      throw new EncodersError(
        'ENCODERS_DATASET_MISMATCH',
        `${join(dir, DATASET_MANIFEST)} was sampled with different settings; resuming would mix two datasets. ` +
          `Use a new folder or delete this one. On disk: ${have}; requested: ${want}`,
      );
    }
    for (const s of manifest.shards) await assertFile(join(dir, s.file));
    rng = restoreRng(manifest.rngState as RngState);
    if (manifest.complete) return manifest;
  } else {
    rng = createRng(opts.seed);
    manifest = { format: 'gan-control-encoder-dataset', version: 1, config, shards: [], rows: 0, rngState: rng.state(), complete: false };
    await writeFileAtomic(join(dir, DATASET_MANIFEST), JSON.stringify(manifest, null, 1));
  }

  const resumedRows = manifest.rows;
  const start = Date.now();
  while (manifest.rows < opts.count) {
    const shardIndex = manifest.shards.length;
    const shardRows = Math.min(opts.shardSize, opts.count - manifest.rows);
    const zBuf = new Float32Array(shardRows * generator.zDim);
    const wBuf = new Float32Array(shardRows * generator.wDim);
    const yBufs = bound.map((b) => new Float32Array(shardRows * b.values.length));
    for (let filled = 0; filled < shardRows; ) {
      if (signal?.aborted) {
        throw new EncodersError('ENCODERS_ABORTED', `sampling aborted at row ${manifest.rows + filled} of ${opts.count}; ${manifest.rows} rows in complete shards are kept in ${dir}, call again to resume`);
      }
      const n = Math.min(opts.batchSize, shardRows - filled);
      const out = renderAndMeasure(generator, bound, rng, n, opts.truncationPsi, opts.noiseMode);
      try {
        zBuf.set(await out.z.data<'float32'>(), filled * generator.zDim);
        wBuf.set(await out.w.data<'float32'>(), filled * generator.wDim);
        for (let k = 0; k < bound.length; k++) yBufs[k].set(await out.ys[k].data<'float32'>(), filled * bound[k].values.length);
      } finally {
        tf.dispose([out.z, out.w, ...out.ys]);
      }
      filled += n;
      const elapsedMs = Date.now() - start;
      const doneNow = manifest.rows + filled - resumedRows;
      onProgress?.({
        phase: 'sample',
        done: manifest.rows + filled,
        total: opts.count,
        shard: shardIndex,
        resumedRows,
        elapsedMs,
        etaMs: doneNow > 0 ? (elapsedMs / doneNow) * (opts.count - manifest.rows - filled) : 0,
      });
    }
    const tensors: Record<string, { shape: number[]; data: Float32Array }> = {
      z: { shape: [shardRows, generator.zDim], data: zBuf },
      w: { shape: [shardRows, generator.wDim], data: wBuf },
    };
    bound.forEach((b, k) => {
      tensors[`y.${b.group}`] = { shape: [shardRows, b.values.length], data: yBufs[k] };
    });
    const file = shardFileName(shardIndex);
    await writeFileAtomic(join(dir, file), writeSafetensors(tensors, { format: 'gan-control-encoder-dataset-shard', index: String(shardIndex) }));
    manifest = {
      ...manifest,
      shards: [...manifest.shards, { file, rows: shardRows }],
      rows: manifest.rows + shardRows,
      rngState: rng.state(),
    };
    manifest.complete = manifest.rows >= opts.count;
    await writeFileAtomic(join(dir, DATASET_MANIFEST), JSON.stringify(manifest, null, 1));
  }
  return manifest;
}

/** One batch: z → w → G(w) → y^k for every attribute (synchronous tensor code, tidy). */
function renderAndMeasure(
  generator: GeneratorLike,
  bound: ReturnType<typeof bindAttributes>,
  rng: Rng,
  n: number,
  truncationPsi: number,
  noiseMode: 'const' | 'random' | 'none',
): { z: tf.Tensor2D; w: tf.Tensor2D; ys: tf.Tensor2D[] } {
  return tf.tidy(() => {
    const z = sampleLatents(generator.zDim, n, rng);
    const ws = generator.mapping(z, truncationPsi < 1 ? { truncationPsi } : undefined);
    const w = tf.reshape(tf.slice(ws, [0, 0, 0], [n, 1, generator.wDim]), [n, generator.wDim]) as tf.Tensor2D;
    const images = generator.synthesis(ws, { noiseMode });
    const ys = bound.map((b) => {
      const y = b.attribute.measure!(images);
      if (y.rank !== 2 || y.shape[0] !== n || y.shape[1] !== b.values.length) {
        throw new EncodersError(
          'ENCODERS_SHAPE_MISMATCH',
          `attribute '${b.attribute.name}': measure(images) returned [${y.shape.join(', ')}], expected [${n}, ${b.values.length}] (one column per value: ${b.values.map((v) => v.name).join(', ')})`,
        );
      }
      return tf.cast(y, 'float32') as tf.Tensor2D;
    });
    return { z, w, ys };
  });
}

/** JSON with object keys sorted, so settings compare equal whatever order they were written in. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

async function readManifestIfAny(dir: string): Promise<DatasetManifest | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, DATASET_MANIFEST), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  return parseManifest(text, join(dir, DATASET_MANIFEST));
}

function parseManifest(text: string, file: string): DatasetManifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new EncodersError('ENCODERS_BAD_FILE', `${file} is not valid JSON (${(e as Error).message}); delete the folder and sample again`);
  }
  const parsed = datasetManifestSchema.safeParse(json);
  if (!parsed.success) throw new EncodersError('ENCODERS_BAD_FILE', formatZodIssues(`${file} is not an encoder dataset manifest`, parsed.error));
  return parsed.data;
}

async function assertFile(path: string): Promise<void> {
  try {
    await stat(path);
  } catch {
    throw new EncodersError('ENCODERS_DATASET_INCOMPLETE', `${path} is listed in ${DATASET_MANIFEST} but missing; delete the folder and sample again`);
  }
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
 * Reads a complete dataset written by `sampleEncoderDataset` and returns, per attribute, its
 * y and w^k rows (only the group's slice of w is kept, so memory is `N·(V + d_k)` floats each).
 *
 * @example
 * const { manifest, attributes } = await readEncoderDataset('runs/shapes/encoder-data');
 * console.log(attributes.hue.rows);
 */
export async function readEncoderDataset(dir: string): Promise<{ manifest: DatasetManifest; attributes: Record<string, AttributeRows> }> {
  const manifestFile = join(dir, DATASET_MANIFEST);
  let text: string;
  try {
    text = await readFile(manifestFile, 'utf8');
  } catch {
    throw new EncodersError('ENCODERS_DATASET_INCOMPLETE', `no encoder dataset in ${dir} (missing ${DATASET_MANIFEST}); run sampleEncoderDataset first`);
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
    const path = join(dir, shard.file);
    let file;
    try {
      file = readSafetensors(new Uint8Array(await readFile(path)));
    } catch (e) {
      throw new EncodersError('ENCODERS_BAD_FILE', `${path}: cannot read the shard (${(e as Error).message}); delete the folder and sample again`, { cause: e });
    }
    const w = file.tensors.w;
    if (!w || w.shape[0] !== shard.rows || w.shape[1] !== config.wDim) {
      throw new EncodersError('ENCODERS_BAD_FILE', `${path}: tensor 'w' must be [${shard.rows}, ${config.wDim}], got ${w ? `[${w.shape.join(', ')}]` : 'none'}`);
    }
    const wData = w.data as Float32Array;
    for (const a of Object.values(out)) {
      const y = file.tensors[`y.${a.group}`];
      if (!y || y.shape[0] !== shard.rows || y.shape[1] !== a.values.length) {
        throw new EncodersError('ENCODERS_BAD_FILE', `${path}: tensor 'y.${a.group}' must be [${shard.rows}, ${a.values.length}], got ${y ? `[${y.shape.join(', ')}]` : 'none'}`);
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
