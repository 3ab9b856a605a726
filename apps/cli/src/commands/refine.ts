/** `gan-control refine`: refine a model's encoders through the generator (cycle loss, seams), then recalibrate. */
import { intFlag, stringFlag } from '../args.js';
import type { Context } from '../context.js';
import { CliError, usageError } from '../errors.js';
import { BUNDLED_MODELS, resolveModelPath } from '../model.js';
import { createProgress } from '../progress.js';
import { formatTable } from '../table.js';
import { calibrationCell, calibrationSamples, openEncodersSession, runCalibration } from './calibrate.js';

type Encoders = typeof import('@gan-control/encoders');
type Report = Record<string, import('@gan-control/encoders').RefineReport>;

/** --refine / --steps: Adam steps per encoder (0: no refining where allowed). */
export function refineSteps(value: unknown, flag: string, fallback: number): number {
  return intFlag(value, flag, { min: fallback === 0 ? 0 : 1, max: 1_000_000, fallback });
}

/**
 * Runs `refineEncoders` with a progress bar (silent under --json or without a terminal); the
 * controller's encoders are changed in place (the caller saves them, after recalibrating).
 */
export async function runRefine(
  enc: Encoders,
  controller: import('@gan-control/encoders').Controller,
  attributes: Record<string, import('@gan-control/contrastive-loss').Attribute>,
  options: { steps: number; seed: number; only?: string[] },
  ctx: Context,
  progress: boolean,
): Promise<Report> {
  const names = options.only ?? Object.keys(attributes);
  const bar = createProgress({ label: 'refine', total: 1, enabled: progress && ctx.isTTY });
  let index = -1;
  let current = '';
  const report = await enc.refineEncoders(controller, attributes, {
    steps: options.steps,
    seed: options.seed,
    ...(options.only ? { only: options.only } : {}),
    onProgress: (p) => {
      if (p.attribute !== current) {
        current = p.attribute;
        index++;
      }
      bar.update(index * options.steps + p.step, `${p.attribute} cycle ${p.loss.toPrecision(3)}`, names.length * options.steps);
    },
  });
  bar.finish();
  return report;
}

/** "before → after" of a refine report entry: the probe's mean (max) error of its circular values, else the cycle loss. */
export function refineCell(r: import('@gan-control/encoders').RefineReport | undefined): string {
  if (!r) return '—';
  const probes = r.probeBefore.map((p, i) => [p, r.probeAfter[i]] as const).filter(([a, b]) => a && b);
  if (probes.length) {
    return probes
      .map(
        ([a, b]) => `${a!.mean.toPrecision(3)} (max ${a!.max.toPrecision(3)}) → ${b!.mean.toPrecision(3)} (max ${b!.max.toPrecision(3)})`,
      )
      .join('; ');
  }
  return `cycle ${r.cycleBefore.toPrecision(3)} → ${r.cycleAfter.toPrecision(3)}`;
}

export async function refineCommand(_args: string[], opts: Record<string, unknown>, ctx: Context): Promise<void> {
  const spec = stringFlag(opts.model, '--model');
  if (!spec) throw usageError('refine needs --model <model folder>; for example: gan-control refine --model runs/shapes --steps 2000');
  if (spec in BUNDLED_MODELS)
    throw new CliError(
      'CLI_BAD_VALUE',
      `the bundled model '${spec}' is refined already; copy its folder and pass the copy to refine it again`,
    );
  const steps = refineSteps(opts.steps, '--steps', 1000);
  const seed = intFlag(opts.seed, '--seed', { min: 0, max: 2 ** 31 - 1, fallback: 0 });
  const passes = intFlag(opts.calibrate, '--calibrate', { min: 0, max: 50, fallback: 2 });
  const samples = calibrationSamples(opts.calibrateSamples, '--calibrate-samples');
  const onlyFlag = stringFlag(opts.only, '--only');
  const only = onlyFlag
    ? onlyFlag
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;
  const json = Boolean(opts.json);
  const where = resolveModelPath(spec, ctx.cwd);
  const { session, encodersDir, enc } = await openEncodersSession(where, ctx);
  try {
    const refined = await runRefine(enc, session.controller, session.runtimes, { steps, seed, only }, ctx, !json);
    const names = Object.keys(refined);
    // Refining drops the old calibration (it belonged to the old weights): fit a new one.
    const calibration =
      passes > 0 ? await runCalibration(enc, session.controller, session.runtimes, { passes, samples, seed, only: names }, ctx, !json) : {};
    for (const e of session.controller.encoders) {
      if (e instanceof enc.AttributeEncoder && refined[e.attribute])
        await (await import('@gan-control/encoders/node')).saveEncoder(e, encodersDir);
    }
    if (json) {
      ctx.out(
        JSON.stringify(
          {
            encoders: encodersDir,
            attributes: Object.fromEntries(names.map((k) => [k, { refine: refined[k], calibration: calibration[k] ?? null }])),
          },
          null,
          2,
        ),
      );
      return;
    }
    ctx.out(
      formatTable(
        ['attribute', 'seams', 'probe error before → after', 'cycle loss', 'calibration: error at knots'],
        names.map((k) => {
          const r = refined[k];
          const seams = r.seams.filter((s): s is number => s !== null);
          return [
            k,
            seams.length ? seams.map((s) => s.toFixed(1)).join(', ') : '—',
            refineCell(r),
            `${r.cycleBefore.toPrecision(3)} → ${r.cycleAfter.toPrecision(3)}`,
            calibrationCell(calibration[k]),
          ];
        }),
      ),
    );
    ctx.out(`refined encoders written to ${encodersDir}`);
  } finally {
    session.dispose();
  }
}
