/** `gan-control evaluate`: control precision (requested vs measured) and leakage, as a table or JSON. */
import { intFlag, stringFlag } from '../args.js';
import { prepareBackend } from '../backend.js';
import type { Context } from '../context.js';
import { openControl } from '../control.js';
import { CliError } from '../errors.js';
import { noEncoders, resolveModelPath } from '../model.js';
import { prepareOut } from '../output.js';
import { createProgress } from '../progress.js';

/** Flags → evaluateControl options. */
export function evaluateOptions(opts: Record<string, unknown>) {
  return {
    seeds: intFlag(opts.samples, '--samples', { min: 1, max: 4096, fallback: 4 }),
    steps: intFlag(opts.steps, '--steps', { min: 2, max: 360, fallback: 5 }),
    rangeSamples: intFlag(opts.rangeSamples, '--range-samples', { min: 2, max: 100_000, fallback: 64 }),
    seed: intFlag(opts.seed, '--seed', { min: 0, max: 2 ** 31 - 1, fallback: 0 }),
  };
}

/**
 * Opens a model with its attribute plugins and runs `evaluateControl`.
 * Returns the report (the encoders package's JSON) and its text table.
 */
export async function runEvaluation(
  where: { path: string; label: string },
  options: ReturnType<typeof evaluateOptions> & { gridDir?: string },
  ctx: Context,
  { progress = true }: { progress?: boolean } = {},
): Promise<{ report: Record<string, unknown>; table: string }> {
  const session = await openControl(where, ctx, { measure: true });
  try {
    if (session.attributes.length === 0) {
      throw new CliError('CLI_MODEL_INVALID', noEncoders(where));
    }
    // The Node entry's evaluateControl also writes the PNG grids (gridDir).
    const enc = { ...(await import('@gan-control/encoders')), ...(await import('@gan-control/encoders/node')) };
    // One bar over the whole protocol (range sampling, then one sweep per attribute); silent
    // under --json and when stderr is not a terminal.
    const bar = createProgress({ label: 'evaluate', total: 1, enabled: progress && ctx.isTTY });
    const report = await enc.evaluateControl(session.controller, session.runtimes, {
      ...options,
      batchSize: 16,
      onProgress: (p) => bar.update(p.done, p.attribute ? `${p.phase} ${p.attribute}` : p.phase, p.total),
    });
    bar.finish();
    return { report: report as unknown as Record<string, unknown>, table: enc.formatControlReport(report) };
  } finally {
    session.dispose();
  }
}

export async function evaluateCommand(_args: string[], opts: Record<string, unknown>, ctx: Context): Promise<void> {
  const options = evaluateOptions(opts);
  const spec = stringFlag(opts.model, '--model') ?? 'shapes';
  const outFlag = stringFlag(opts.out, '--out');
  const gridDir = outFlag ? prepareOut(outFlag, ctx.cwd, { allowFile: false }).path : undefined;
  const where = resolveModelPath(spec, ctx.cwd);
  await prepareBackend(ctx);
  if (!opts.json) ctx.info(`evaluating ${where.label}: ${options.steps} requested values × ${options.seeds} samples per attribute…`);
  const { report, table } = await runEvaluation(where, { ...options, gridDir }, ctx, { progress: !opts.json });
  if (opts.json) {
    ctx.out(JSON.stringify(report, null, 2));
    return;
  }
  ctx.out(table);
  if (gridDir) ctx.out(`grids (rows: samples, columns: requested values) in ${gridDir}`);
}
