// Node only (`@gan-control/encoders/node`): samples, trains and saves encoders in a folder on disk.
import { join } from 'node:path';
import { EncodersError } from './errors.js';
import type { AttributeEncoder } from './encoder.js';
import type { AttributeBinding, GeneratorLike, LayoutLike } from './model.js';
import { sampleEncoderDataset } from './sample.js';
import type { DatasetManifest, SamplerOptions, SamplerProgress } from './sampler.js';
import { saveEncoder } from './save.js';
import { trainEncoders } from './train.js';
import type { TrainMetrics, TrainOptions, TrainProgress } from './train.js';

/** Arguments of `buildEncodersForModel`. */
export interface BuildEncodersArgs {
  readonly generator: GeneratorLike;
  readonly layout?: LayoutLike;
  /** Attributes with `measure`, keyed by latent group (or an array bound by name). */
  readonly attributes: AttributeBinding;
  /**
   * Output folder: the encoders go to `<dir>/encoders/` (`<group>.json` + `<group>.safetensors`
   * per attribute), so a trainer model folder becomes loadable with `Controller.load(dir)`.
   */
  readonly dir: string;
  /** Sampler folder (shards + dataset.json, resumable); default `<dir>/encoder-dataset`. */
  readonly datasetDir?: string;
  /** Number of (y, w) samples (default 100,000; see `SAMPLER_PRESETS` for CPU sizes). */
  readonly count?: number;
  /** Maximum epochs per encoder (early stopping may end sooner). */
  readonly epochs?: number;
  readonly seed?: number;
  /** Sampler settings other than count/seed (batchSize, shardSize, truncationPsi, noiseMode). */
  readonly sampler?: Omit<SamplerOptions, 'count' | 'seed'>;
  /** Training settings other than epochs/seed (architecture, learningRate, batchSize, patience…). */
  readonly training?: Omit<TrainOptions, 'epochs' | 'seed'>;
  readonly onProgress?: (p: SamplerProgress | TrainProgress) => void;
  readonly signal?: AbortSignal;
}

/** What `buildEncodersForModel` returns; the caller owns (and disposes) the encoders. */
export interface BuildEncodersResult {
  readonly encoders: AttributeEncoder[];
  readonly metrics: Record<string, TrainMetrics>;
  readonly dataset: DatasetManifest;
  /** The folder `Controller`/`loadEncoders` read. */
  readonly encodersDir: string;
}

/**
 * One call from a trained generator to saved encoders: samples the (y, w) dataset (resuming a
 * previous interrupted call on the same `dir`), trains one encoder per attribute, saves them to
 * `<dir>/encoders/`.
 *
 * @example
 * const { encoders, metrics } = await buildEncodersForModel({
 *   generator: G, attributes: { color, size, position }, dir: 'runs/shapes',
 *   count: 8192, epochs: 60, sampler: { batchSize: 32 }, training: { architecture: { hidden: [256, 256, 256] } },
 *   onProgress: (p) => console.log(p.phase, p.phase === 'train' ? p.valError : p.done),
 * });
 * const controller = new Controller({ generator: G, encoders });
 */
export async function buildEncodersForModel(args: BuildEncodersArgs): Promise<BuildEncodersResult> {
  const datasetDir = args.datasetDir ?? join(args.dir, 'encoder-dataset');
  const encodersDir = join(args.dir, 'encoders');
  const dataset = await sampleEncoderDataset({
    ...args.sampler,
    ...(args.count !== undefined ? { count: args.count } : {}),
    ...(args.seed !== undefined ? { seed: args.seed } : {}),
    generator: args.generator,
    layout: args.layout,
    attributes: args.attributes,
    dir: datasetDir,
    onProgress: args.onProgress,
    signal: args.signal,
  });
  const trained = await trainEncoders({
    ...args.training,
    ...(args.epochs !== undefined ? { epochs: args.epochs } : {}),
    ...(args.seed !== undefined ? { seed: args.seed } : {}),
    dataset: datasetDir,
    onProgress: args.onProgress,
    signal: args.signal,
  });
  const encoders = Object.values(trained).map((t) => t.encoder);
  try {
    for (const enc of encoders) await saveEncoder(enc, encodersDir);
  } catch (e) {
    for (const enc of encoders) enc.dispose();
    throw new EncodersError(
      'ENCODERS_BAD_FILE',
      `buildEncodersForModel: saving encoders to ${encodersDir} failed (${(e as Error).message})`,
      { cause: e },
    );
  }
  return {
    encoders,
    metrics: Object.fromEntries(Object.entries(trained).map(([k, t]) => [k, t.metrics])),
    dataset,
    encodersDir,
  };
}
