/** `gan-control calibrate`: fit (or refit) the input calibration of a model's encoders. */
import { intFlag, stringFlag } from '../args.js';
import { prepareBackend } from '../backend.js';
import type { Context } from '../context.js';
import { openControl } from '../control.js';
import { CliError, usageError } from '../errors.js';
import { BUNDLED_MODELS, noEncoders, resolveModelPath } from '../model.js';
import { createProgress } from '../progress.js';
import { formatTable } from '../table.js';

type Encoders = typeof import('@gan-control/encoders');
type Report = Record<string, import('@gan-control/encoders').CalibrationReport>;

/** --calibrate-samples / --samples: images per knot and pass. */
export function calibrationSamples(value: unknown, flag: string): number {
  return intFlag(value, flag, { min: 1, max: 100_000, fallback: 32 });
}

/**
 * Runs `calibrateEncoders` with a progress bar (silent under --json or without a terminal); the
 * controller's encoders are changed in place (the caller saves them).
 */
export async function runCalibration(
  enc: Encoders,
  controller: import('@gan-control/encoders').Controller,
  attributes: Record<string, import('@gan-control/contrastive-loss').Attribute>,
  options: { passes: number; samples: number; seed: number; only?: string[] },
  ctx: Context,
  progress: boolean,
): Promise<Report> {
  const bar = createProgress({ label: 'calibrate', total: 1, enabled: progress && ctx.isTTY });
  const report = await enc.calibrateEncoders(controller, attributes, {
    iterations: options.passes,
    samples: options.samples,
    seed: options.seed,
    ...(options.only ? { only: options.only } : {}),
    onProgress: (p) => bar.update(p.done, `${p.attribute} pass ${p.pass + 1}/${options.passes + 1}`, p.total),
  });
  bar.finish();
  return report;
}

/**
 * Opens a model folder that must have encoders (with its attribute runtimes, to measure), for the
 * commands that change them (calibrate, refine); the caller disposes the session.
 */
export async function openEncodersSession(
  where: { path: string; label: string },
  ctx: Context,
): Promise<{ session: Awaited<ReturnType<typeof openControl>>; encodersDir: string; enc: Encoders }> {
  await prepareBackend(ctx);
  const session = await openControl(where, ctx, { measure: true });
  const encodersDir = session.model.encodersDir;
  if (!encodersDir || session.controller.encoders.length === 0) {
    session.dispose();
    throw new CliError('CLI_MODEL_INVALID', noEncoders(where));
  }
  return { session, encodersDir, enc: await import('@gan-control/encoders') };
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** "before → after" of a calibration report entry (mean over the attribute's values). */
export function calibrationCell(r: import('@gan-control/encoders').CalibrationReport | undefined): string {
  return r ? `${mean(r.errorBefore).toPrecision(3)} → ${mean(r.errorAfter).toPrecision(3)}` : '—';
}

export async function calibrateCommand(_args: string[], opts: Record<string, unknown>, ctx: Context): Promise<void> {
  const spec = stringFlag(opts.model, '--model');
  if (!spec) throw usageError('calibrate needs --model <model folder>; for example: gan-control calibrate --model runs/shapes');
  if (spec in BUNDLED_MODELS)
    throw new CliError(
      'CLI_BAD_VALUE',
      `the bundled model '${spec}' is calibrated already; copy its folder and pass the copy to recalibrate it`,
    );
  const passes = intFlag(opts.passes, '--passes', { min: 1, max: 50, fallback: 2 });
  const samples = calibrationSamples(opts.samples, '--samples');
  const seed = intFlag(opts.seed, '--seed', { min: 0, max: 2 ** 31 - 1, fallback: 0 });
  const json = Boolean(opts.json);
  const where = resolveModelPath(spec, ctx.cwd);
  const { session, encodersDir, enc } = await openEncodersSession(where, ctx);
  try {
    const report = await runCalibration(enc, session.controller, session.runtimes, { passes, samples, seed }, ctx, !json);
    for (const e of session.controller.encoders) {
      if (e instanceof enc.AttributeEncoder && report[e.attribute])
        await (await import('@gan-control/encoders/node')).saveEncoder(e, encodersDir);
    }
    if (json) {
      ctx.out(JSON.stringify({ encoders: encodersDir, attributes: report }, null, 2));
      return;
    }
    ctx.out(
      formatTable(
        ['attribute', 'values', 'error at knots before → after', 'images'],
        Object.entries(report).map(([k, r]) => [k, r.values.join(', '), calibrationCell(r), String(r.images)]),
      ),
    );
    ctx.out(`calibrated encoders written to ${encodersDir}`);
  } finally {
    session.dispose();
  }
}
