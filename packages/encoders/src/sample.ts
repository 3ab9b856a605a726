// Node only (`@gan-control/encoders/node`): samples the encoders' dataset into a folder on disk
// (safetensors shards written atomically, resumable). The format and its reader are in sampler.ts.
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createRng, restoreRng, sampleLatents } from '@gan-control/latent';
import type { Rng, RngState } from '@gan-control/latent';
import { writeSafetensors } from '@gan-control/tensor-io';
import { writeFileAtomic } from '@gan-control/tensor-io/node';
import { EncodersError, parseOptions } from './errors.js';
import { bindAttributes, resolveGroups } from './model.js';
import type { GeneratorLike } from './model.js';
import { DATASET_MANIFEST, parseManifest, samplerOptionsSchema, shardFileName } from './sampler.js';
import type { DatasetManifest, SampleEncoderDatasetArgs } from './sampler.js';

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
    for (let filled = 0; filled < shardRows;) {
      if (signal?.aborted) {
        throw new EncodersError(
          'ENCODERS_ABORTED',
          `sampling aborted at row ${manifest.rows + filled} of ${opts.count}; ${manifest.rows} rows in complete shards are kept in ${dir}, call again to resume`,
        );
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
    await writeFileAtomic(
      join(dir, file),
      writeSafetensors(tensors, { format: 'gan-control-encoder-dataset-shard', index: String(shardIndex) }),
    );
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

async function assertFile(path: string): Promise<void> {
  try {
    await stat(path);
  } catch {
    throw new EncodersError(
      'ENCODERS_DATASET_INCOMPLETE',
      `${path} is listed in ${DATASET_MANIFEST} but missing; delete the folder and sample again`,
    );
  }
}
