/** `gan-control encoders`: sample (y, w) pairs from a model and train one encoder per attribute. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatPluginFlags, intFlag, stringFlag } from '../args.js';
import { prepareBackend } from '../backend.js';
import type { Context } from '../context.js';
import { CliError, usageError } from '../errors.js';
import { loadModel, loadModelAttributes, resolveModelPath, BUNDLED_MODELS } from '../model.js';
import { interruptible } from '../interrupt.js';
import { prepareOut } from '../output.js';
import { createProgress, formatDuration } from '../progress.js';
import { formatTable } from '../table.js';
import { controllerLayout } from '../control.js';
import { calibrationCell, calibrationSamples, runCalibration } from './calibrate.js';
import { refineCell, refineSteps, runRefine } from './refine.js';

/** `--hidden 512,512,512` → layer widths (usage error on anything else). */
export function parseHidden(value: unknown): number[] | undefined {
  const s = stringFlag(value, '--hidden');
  if (s === undefined) return undefined;
  const list = s.split(',').map((x) => Number(x.trim()));
  if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 1 || n > 4096)) {
    throw usageError(`--hidden must be comma-separated layer widths like 512,512,512, got '${s}'`);
  }
  return list;
}

export async function encodersCommand(_args: string[], opts: Record<string, unknown>, ctx: Context): Promise<void> {
  const spec = stringFlag(opts.model, '--model');
  if (!spec) throw usageError('encoders needs --model <model folder>; for example: gan-control encoders --model runs/shapes');
  if (spec in BUNDLED_MODELS)
    throw new CliError(
      'CLI_BAD_VALUE',
      `the bundled model '${spec}' already has its encoders; train your own model first (gan-control train) and pass its folder`,
    );
  const samples = intFlag(opts.samples, '--samples', { min: 16, max: 10_000_000, fallback: 8192 });
  const epochs = intFlag(opts.epochs, '--epochs', { min: 1, max: 100_000, fallback: 60 });
  const batch = intFlag(opts.batch, '--batch', { min: 1, max: 65_536, fallback: 128 });
  const seed = intFlag(opts.seed, '--seed', { min: 0, max: 2 ** 31 - 1, fallback: 0 });
  const hidden = parseHidden(opts.hidden);
  const calibrate = intFlag(opts.calibrate, '--calibrate', { min: 0, max: 50, fallback: 2 });
  const calibrateSamples = calibrationSamples(opts.calibrateSamples, '--calibrate-samples');
  const refine = refineSteps(opts.refine, '--refine', 0);
  // A --data folder that cannot be created fails now, not after the model loads (or never: /proc).
  const dataFlag = stringFlag(opts.data, '--data');
  if (dataFlag !== undefined) prepareOut(dataFlag, ctx.cwd, { allowFile: false, flag: '--data' });
  const where = resolveModelPath(spec, ctx.cwd);
  const json = Boolean(opts.json);

  await prepareBackend(ctx);
  const model = await loadModel(where);
  const attributes = await loadModelAttributes(model, ctx).catch((err) => {
    model.dispose();
    throw err;
  });
  try {
    if (Object.keys(attributes).length === 0) {
      throw new CliError(
        'CLI_MODEL_INVALID',
        `model ${where.label} names no attributes in model.json ("attributes": [{ "name": "<group>" }]); encoders are trained per attribute`,
      );
    }
    const enc = { ...(await import('@gan-control/encoders')), ...(await import('@gan-control/encoders/node')) };
    const dataDir = resolve(ctx.cwd, dataFlag ?? join(model.dir, 'encoder-data'));
    if (existsSync(join(dataDir, enc.DATASET_MANIFEST)) && !opts.resume) {
      throw new CliError(
        'CLI_RESUME_NEEDED',
        `${dataDir} already holds an encoder dataset; pass --resume to continue it, or remove the folder to start over`,
      );
    }
    const encodersDir = join(model.dir, model.manifest.encoders);
    const sampleBar = createProgress({ label: 'sample', total: samples, enabled: !json && ctx.isTTY });
    const stop = interruptible(ctx.info, 'sampling');
    const manifest = await enc
      .sampleEncoderDataset({
        signal: stop.signal,
        generator: model.generator,
        attributes,
        dir: dataDir,
        count: samples,
        seed,
        batchSize: 32,
        shardSize: Math.min(2048, samples),
        onProgress: (p) => sampleBar.update(p.done, p.resumedRows ? `resumed at ${p.resumedRows}` : undefined, p.total),
      })
      .finally(() => stop.done());
    if (!manifest.complete) {
      sampleBar.stop('stopped');
      throw new CliError(
        'CLI_INTERRUPTED',
        `sampling stopped at ${manifest.rows} of ${samples} pairs (complete shards are kept in ${dataDir}); continue with: gan-control encoders --model ${spec}${formatPluginFlags(ctx.plugins)} --resume`,
      );
    }
    sampleBar.finish();
    const names = Object.keys(attributes);
    const trainBar = createProgress({ label: 'train', total: names.length * epochs, enabled: !json && ctx.isTTY });
    const trained = await enc.trainEncoders({
      dataset: dataDir,
      epochs,
      batchSize: batch,
      seed,
      ...(hidden ? { architecture: { hidden } } : {}),
      onProgress: (p) =>
        trainBar.update(
          names.indexOf(p.group) * epochs + p.epoch,
          `${p.attribute} val ${p.valError.toPrecision(3)} (mean-predictor ${p.baselineValError.toPrecision(3)})`,
        ),
    });
    trainBar.finish();
    const encoders = Object.values(trained).map((t) => t.encoder);
    let calibration: Record<string, import('@gan-control/encoders').CalibrationReport> = {};
    let refined: Record<string, import('@gan-control/encoders').RefineReport> = {};
    try {
      // The controller borrows the encoders (disposed below) and the model's generator.
      const controller = new enc.Controller({ generator: model.generator, layout: controllerLayout(model.generator), encoders });
      if (refine > 0) refined = await runRefine(enc, controller, attributes, { steps: refine, seed }, ctx, !json);
      if (calibrate > 0)
        calibration = await runCalibration(enc, controller, attributes, { passes: calibrate, samples: calibrateSamples, seed }, ctx, !json);
      for (const encoder of encoders) await enc.saveEncoder(encoder, encodersDir);
    } finally {
      for (const encoder of encoders) encoder.dispose();
    }
    const report: Record<string, unknown> = {};
    const rows: string[][] = [];
    for (const [group, { metrics: m }] of Object.entries(trained)) {
      const cal = calibration[group];
      report[group] = {
        attribute: m.attribute,
        valError: m.valError,
        baselineValError: m.baselineValError,
        relativeValError: m.relativeValError,
        epochs: m.epochsRun,
        bestEpoch: m.bestEpoch,
        rows: m.rows,
        ...(refined[group] ? { refine: refined[group] } : {}),
        ...(cal
          ? { calibration: { values: cal.values, errorBefore: cal.errorBefore, errorAfter: cal.errorAfter, images: cal.images } }
          : {}),
      };
      rows.push([
        m.attribute,
        m.valError.toPrecision(3),
        m.baselineValError.toPrecision(3),
        m.relativeValError.toFixed(3),
        `${m.bestEpoch}/${m.epochsRun}`,
        formatDuration(m.elapsedMs / 1000),
        ...(refine > 0 ? [refineCell(refined[group])] : []),
        calibrationCell(cal),
      ]);
    }
    if (json) {
      ctx.out(JSON.stringify({ encoders: encodersDir, dataset: dataDir, attributes: report }, null, 2));
      return;
    }
    ctx.out(
      formatTable(
        [
          'attribute',
          'val error (w)',
          'mean predictor',
          'relative',
          'best epoch',
          'time',
          ...(refine > 0 ? ['refine: probe error'] : []),
          'calibration: error at knots',
        ],
        rows,
      ),
    );
    ctx.out(`encoders written to ${encodersDir} (training pairs in ${dataDir})`);
    ctx.out(`next: gan-control evaluate --model ${spec}${formatPluginFlags(ctx.plugins)}`);
  } finally {
    for (const a of Object.values(attributes)) a.dispose();
    model.dispose();
  }
}
