import { mkdir, readFile, writeFile, appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { sampleLatents } from '@gan-control/latent';
import type { AttributePlugin } from '@gan-control/contrastive-loss';
import { writeModelFolder } from '@gan-control/stylegan2/node';
import { removeStaleTemporaries, tensorToPng, writeFileAtomic } from '@gan-control/tensor-io/node';
import { checkpointName, loadLatestCheckpoint, saveCheckpoint, type FileWriter } from './checkpoint.js';
import { parseTrainConfig, trainConfigSchema, TrainerError, type TrainConfig } from './config.js';
import { GanControlTrainer, networkConfigs, type StepMetrics } from './trainer.js';
import type { ProceduralDataset } from './datasets.js';

/** A config change made with `allowConfigChange`: the config used before `images`. */
export interface ConfigChange {
  readonly images: number;
  readonly previous: unknown;
}

/** What `onProgress` receives after every step. */
export interface ProgressInfo {
  readonly step: number;
  readonly images: number;
  readonly totalImages: number;
  /** Images per second over this call's steps so far. */
  readonly imagesPerSecond: number;
  /** Seconds left at the current speed. */
  readonly etaSeconds: number;
  readonly metrics: StepMetrics;
}

/** Options of `train`. */
export interface TrainOptions {
  /** Run folder: checkpoints, metrics.jsonl, samples/, model/. */
  readonly outDir: string;
  /** Continue from the newest complete checkpoint in `outDir` (a fresh start when there is none). */
  readonly resume?: boolean;
  /**
   * Let `resume` continue with a different config (same network shapes), e.g. a new γ or
   * learning rate mid-run; the change is recorded in the checkpoints' `configHistory`. Such a run
   * is no longer the uninterrupted run of either config.
   */
  readonly allowConfigChange?: boolean;
  /** Attribute plugins, resolved by `config.attributes[].name`. */
  readonly plugins?: readonly AttributePlugin[];
  /** Where each attribute's plugin comes from, recorded in model.json as `attributes[].plugin` (e.g. a package name). */
  readonly attributePlugins?: Readonly<Record<string, string>>;
  /** Procedural datasets, by the name a config's `dataset.name` gives (a domain package provides them). */
  readonly datasets?: Readonly<Record<string, ProceduralDataset>>;
  readonly onProgress?: (info: ProgressInfo) => void;
  /** Stops after the current step; a checkpoint is written first. */
  readonly signal?: AbortSignal;
  /** Stop (with a checkpoint) once this many images have been shown in total (for tests and time-boxed runs). */
  readonly stopAtImages?: number;
  /** Writes files atomically (default `writeFileAtomic`); injectable for crash tests. */
  readonly write?: FileWriter;
  /** A line per checkpoint (default: none). */
  readonly log?: (line: string) => void;
}

/** What `train` returns. */
export interface TrainResult {
  readonly step: number;
  readonly images: number;
  readonly seconds: number;
  readonly finished: boolean;
  readonly lastMetrics: Record<string, unknown> | null;
  readonly modelDir: string;
}

function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return '--';
  const h = Math.floor(s / 3600),
    m = Math.floor((s % 3600) / 60),
    sec = Math.floor(s % 60);
  return h ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(sec).padStart(2, '0')}s`;
}

/** Running means of the metrics between two metrics lines. */
class Window {
  private sums = new Map<string, { s: number; n: number }>();
  add(key: string, v: number): void {
    if (!Number.isFinite(v)) return;
    const e = this.sums.get(key) ?? { s: 0, n: 0 };
    e.s += v;
    e.n += 1;
    this.sums.set(key, e);
  }
  flush(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, e] of this.sums) out[k] = e.s / e.n;
    this.sums.clear();
    return out;
  }
}

/** The fixed latents of the sample grid. */
function gridLatents(trainer: GanControlTrainer): tf.Tensor2D {
  const g = trainer.config.grid;
  return sampleLatents(trainer.layout.dim, g.rows * g.cols, g.seed);
}

/** Options of `exportModel`. */
export interface ExportModelOptions {
  /** Further model.json fields (seconds, metrics, configHistory…). */
  readonly extra?: Record<string, unknown>;
  /** Writes files atomically (default `writeFileAtomic`); injectable for crash tests. */
  readonly write?: FileWriter;
  /** Plugin spec recorded as `attributes[].plugin` per attribute name (default: none, the plugin is the attribute's name). */
  readonly attributePlugins?: Readonly<Record<string, string>>;
}

/**
 * Writes the EMA generator as a self-contained model folder (`writeModelFolder` of
 * @gan-control/stylegan2: `generator.safetensors` first, then `model.json` with its checksum,
 * the generator config, latent layout, attributes, training config and progress).
 * `loadTrainedModel` reads it back.
 *
 * @example
 * await exportModel(trainer, 'runs/a/model');
 */
export async function exportModel(trainer: GanControlTrainer, dir: string, options: ExportModelOptions = {}): Promise<void> {
  const plugins = options.attributePlugins ?? {};
  await writeModelFolder(
    dir,
    {
      generator: { kind: 'stylegan2', config: networkConfigs(trainer.config).generator, stateDict: trainer.G_ema.stateDict() },
      latent: trainer.layout.toJSON(),
      attributes: trainer.config.attributes.map((a) =>
        Object.hasOwn(plugins, a.name) ? { name: a.name, plugin: plugins[a.name], options: a.options } : a,
      ),
      extra: { training: trainer.config, step: trainer.stepCount, images: trainer.images, ...options.extra },
    },
    { write: options.write ?? writeFileAtomic },
  );
}

/**
 * Trains a GAN-Control model: builds (or resumes) the trainer, runs steps until `totalKimg`,
 * writes a checkpoint + sample grid + exported model every `checkpointEvery` images and at the
 * end, metrics as JSON lines (`metrics.jsonl`), and a progress bar with ETA on a TTY.
 *
 * @example
 * import { shapesPlugins, shapesDatasets } from '@gan-control/domain-shapes';
 * const r = await train(preset('shapes-32'), { outDir: 'runs/shapes', resume: true, plugins: shapesPlugins, datasets: shapesDatasets });
 * console.log(r.images, r.seconds);
 */
export async function train(configInput: unknown, options: TrainOptions): Promise<TrainResult> {
  const config: TrainConfig = parseTrainConfig(configInput);
  const out = options.outDir;
  const write = options.write ?? writeFileAtomic;
  await mkdir(join(out, 'checkpoints'), { recursive: true });
  await mkdir(join(out, 'samples'), { recursive: true });
  // Temporary files of an earlier process killed mid-write (`kill -9`): the renamed files are whole.
  for (const d of [out, join(out, 'checkpoints'), join(out, 'samples'), join(out, 'model')]) await removeStaleTemporaries(d);
  const trainer = await GanControlTrainer.create(config, { plugins: options.plugins, datasets: options.datasets });
  const started = Date.now();
  let priorSeconds = 0;
  let configHistory: ConfigChange[] = [];
  try {
    if (options.resume) {
      const ckpt = await loadLatestCheckpoint(join(out, 'checkpoints'));
      if (ckpt) {
        // The schedule length and bookkeeping fields may change on resume (e.g. to extend a
        // finished run); everything that shapes the training dynamics must match.
        const dynamics = (c: unknown) => {
          const { totalKimg: _t, checkpointEvery: _c, keepCheckpoints: _k, metricsEvery: _m, ...rest } = c as Record<string, unknown>;
          return JSON.stringify(rest);
        };
        // The saved config read through today's schema: options added since it was written take
        // their defaults (the behaviour it was trained with), so they do not count as a change.
        const savedConfig = (ckpt.state as { config: unknown }).config;
        const reread = trainConfigSchema.safeParse(savedConfig);
        const saved = dynamics(reread.success ? reread.data : savedConfig);
        configHistory = ((ckpt.state as { configHistory?: ConfigChange[] }).configHistory ?? []).slice();
        if (saved !== dynamics(config)) {
          if (!options.allowConfigChange) {
            tf.dispose(Object.values(ckpt.tensors));
            throw new TrainerError(
              'TRAINER_RESUME',
              `trainer: ${out} holds a run with a different config; resume needs the same config (or a new outDir, or allowConfigChange).`,
            );
          }
          configHistory.push({
            images: Number((ckpt.state as { images: number }).images),
            previous: (ckpt.state as { config: unknown }).config,
          });
          options.log?.(
            `config changed at ${(Number((ckpt.state as { images: number }).images) / 1000).toFixed(1)} kimg (allowConfigChange)`,
          );
        }
        trainer.restore(ckpt.state as never, ckpt.tensors);
        tf.dispose(Object.values(ckpt.tensors));
        priorSeconds = Number((ckpt.state as { seconds?: number }).seconds ?? 0);
        await truncateMetrics(join(out, 'metrics.jsonl'), trainer.stepCount);
        options.log?.(`resumed ${ckpt.name} (step ${trainer.stepCount}, ${(trainer.images / 1000).toFixed(1)} kimg)`);
      }
    }
    await write(join(out, 'config.json'), JSON.stringify(config, null, 2));
    const totalImages = Math.round(config.totalKimg * 1000);
    const win = new Window();
    let lastLine: Record<string, unknown> | null = null;
    let lastCheckpointImages = trainer.images;
    const callStart = Date.now();
    const callStartImages = trainer.images;
    let windowStart = Date.now();
    let windowImages = trainer.images;
    const seconds = () => priorSeconds + (Date.now() - started) / 1000;

    const checkpoint = async () => {
      const name = checkpointName(trainer.images);
      const state = { ...trainer.stateJson(), config, configHistory, seconds: seconds(), backend: tf.getBackend() };
      await saveCheckpoint(join(out, 'checkpoints'), name, trainer.stateTensors(), state, { keep: config.keepCheckpoints, write });
      const z = gridLatents(trainer);
      const img = tf.tidy(() => trainer.G_ema.generate(z, { noiseMode: 'const' }));
      const png = await tensorToPng(img, { grid: { rows: config.grid.rows, cols: config.grid.cols } });
      tf.dispose([z, img]);
      await write(join(out, 'samples', `${name}.png`), png);
      await write(join(out, 'samples', 'latest.png'), png);
      await exportModel(trainer, join(out, 'model'), {
        extra: { seconds: seconds(), metrics: lastLine, configHistory },
        write,
        attributePlugins: options.attributePlugins,
      });
      lastCheckpointImages = trainer.images;
      options.log?.(`checkpoint ${name}: step ${trainer.stepCount}, ${(trainer.images / 1000).toFixed(1)} kimg, ${fmtTime(seconds())}`);
    };

    let stopped = false;
    while (trainer.images < totalImages) {
      if (options.signal?.aborted) {
        stopped = true;
        break;
      }
      if (options.stopAtImages !== undefined && trainer.images >= options.stopAtImages) {
        stopped = true;
        break;
      }
      const m = await trainer.step();
      for (const [k, v] of Object.entries(m)) if (typeof v === 'number' && k !== 'step' && k !== 'images') win.add(k, v);
      for (const [k, v] of Object.entries(m.perAttribute)) win.add(`contrastive/${k}`, v);
      for (const v of [m.gAdv, m.d]) {
        if (!Number.isFinite(v)) {
          // No checkpoint of a diverged state: the previous one stays the newest.
          throw new TrainerError(
            'TRAINER_DIVERGED',
            `trainer: a loss became ${v} at step ${m.step} (G ${m.gAdv}, D ${m.d}). Lower the learning rates or raise r1Gamma; the last good checkpoint is in ${join(out, 'checkpoints')}.`,
          );
        }
      }
      const elapsed = (Date.now() - callStart) / 1000;
      const ips = (trainer.images - callStartImages) / Math.max(elapsed, 1e-9);
      const info: ProgressInfo = {
        step: m.step,
        images: m.images,
        totalImages,
        imagesPerSecond: ips,
        etaSeconds: (totalImages - trainer.images) / Math.max(ips, 1e-9),
        metrics: m,
      };
      if (m.step % config.metricsEvery === 0) {
        const now = Date.now();
        const means = win.flush();
        lastLine = {
          step: m.step,
          kimg: m.images / 1000,
          seconds: Number(seconds().toFixed(2)),
          imagesPerSecond: Number(((trainer.images - windowImages) / Math.max((now - windowStart) / 1000, 1e-9)).toFixed(3)),
          loss: Object.fromEntries(Object.entries(means).filter(([k]) => !k.startsWith('contrastive/'))),
          contrastive: Object.fromEntries(
            Object.entries(means)
              .filter(([k]) => k.startsWith('contrastive/'))
              .map(([k, v]) => [k.slice(12), v]),
          ),
        };
        windowStart = now;
        windowImages = trainer.images;
        await appendFile(join(out, 'metrics.jsonl'), `${JSON.stringify(lastLine)}\n`);
      }
      options.onProgress?.(info);
      if (trainer.images - lastCheckpointImages >= config.checkpointEvery) await checkpoint();
    }
    if (trainer.images !== lastCheckpointImages || trainer.stepCount === 0) await checkpoint();
    return {
      step: trainer.stepCount,
      images: trainer.images,
      seconds: seconds(),
      finished: !stopped,
      lastMetrics: lastLine,
      modelDir: join(out, 'model'),
    };
  } finally {
    trainer.dispose();
  }
}

/** Drops metrics lines written after the checkpoint a run resumes from. */
async function truncateMetrics(path: string, step: number): Promise<void> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return;
  }
  const keep = text.split('\n').filter((l) => {
    if (!l.trim()) return false;
    try {
      return (JSON.parse(l) as { step: number }).step <= step;
    } catch {
      return false;
    }
  });
  await writeFile(path, keep.map((l) => `${l}\n`).join(''));
}
