/** `gan-control evaluate`: control precision (requested vs measured) and leakage, as a table or JSON. */
import { intFlag, stringFlag } from '../args.js';
import { prepareBackend } from '../backend.js';
import type { Context } from '../context.js';
import { openControl } from '../control.js';
import { CliError, usageError } from '../errors.js';
import { ganspaceDirections, interfaceganMethod, readDirections, sampleAndMeasure, valueSpecs } from '../directions.js';
import { loadModel, loadModelAttributes, noEncoders, resolveModelPath } from '../model.js';
import { prepareOut } from '../output.js';
import { createProgress } from '../progress.js';

export const EVALUATE_METHODS = ['gan-control', 'interfacegan', 'ganspace'] as const;
export type EvaluateMethod = (typeof EVALUATE_METHODS)[number];

/** `--method` (default gan-control: the model's encoders). */
export function evaluateMethodFlag(opts: Record<string, unknown>): EvaluateMethod {
  const method = (stringFlag(opts.method, '--method') ?? 'gan-control') as EvaluateMethod;
  if (!EVALUATE_METHODS.includes(method)) throw usageError(`--method '${method}' is not an evaluated method; use one of ${EVALUATE_METHODS.join(', ')}`);
  return method;
}

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

/**
 * The same protocol as `runEvaluation` for the post-hoc methods: each requested value is set
 * along the model's fitted directions (`setTo` on the seed's w; with `keepOthers` the conditional
 * edit). For GANSpace, each value is first fitted on the scores of the components named for it,
 * from `fitSamples` samples of the fit stream (`ganspaceDirections`).
 */
export async function runDirectionsEvaluation(
  where: { path: string; label: string },
  options: ReturnType<typeof evaluateOptions> & { gridDir?: string; keepOthers?: boolean; method?: 'interfacegan' | 'ganspace'; fitSamples?: number },
  ctx: Context,
  { progress = true }: { progress?: boolean } = {},
): Promise<{ report: Record<string, unknown>; table: string }> {
  const set = await readDirections(where.path, where.label);
  const model = await loadModel(where);
  let runtimes: Awaited<ReturnType<typeof loadModelAttributes>> = {};
  try {
    if (set.dim !== model.generator.wDim) {
      throw new CliError('CLI_DIRECTIONS_CORRUPT', `corrupt directions: the directions.json of ${where.label} has dim ${set.dim} but the model's w has ${model.generator.wDim}; refit them: gan-control directions --model ${where.label}`);
    }
    runtimes = await loadModelAttributes(model, ctx);
    const { keepOthers, method: which = 'interfacegan', fitSamples = 1024, ...rest } = options;
    let used = set;
    if (which === 'ganspace') {
      const specs = await valueSpecs(runtimes);
      const bar = createProgress({ label: 'fit', total: fitSamples, enabled: progress && ctx.isTTY });
      const { w, y } = await sampleAndMeasure(model.generator, runtimes, specs, fitSamples, options.seed, (done) => bar.update(done));
      bar.finish();
      used = { dim: set.dim, directions: await ganspaceDirections(set, w, y, specs) };
    }
    const method = await interfaceganMethod(model.generator, used, runtimes, { keepOthers });
    const enc = { ...(await import('@gan-control/encoders')), ...(await import('@gan-control/encoders/node')) };
    const bar = createProgress({ label: 'evaluate', total: 1, enabled: progress && ctx.isTTY });
    const report = await enc.evaluateMethod(method, runtimes, {
      ...rest,
      batchSize: 16,
      onProgress: (p) => bar.update(p.done, p.attribute ? `${p.phase} ${p.attribute}` : p.phase, p.total),
    });
    bar.finish();
    return { report: report as unknown as Record<string, unknown>, table: enc.formatControlReport(report) };
  } finally {
    for (const a of Object.values(runtimes)) a.dispose();
    model.dispose();
  }
}

export async function evaluateCommand(_args: string[], opts: Record<string, unknown>, ctx: Context): Promise<void> {
  const options = evaluateOptions(opts);
  const method = evaluateMethodFlag(opts);
  if (opts.keepOthers && method === 'gan-control') throw usageError('--keep-others is the conditional edit of --method interfacegan or ganspace');
  const fitSamples = intFlag(opts.fitSamples, '--fit-samples', { min: 16, max: 1_000_000, fallback: 1024 });
  const spec = stringFlag(opts.model, '--model') ?? 'shapes';
  const outFlag = stringFlag(opts.out, '--out');
  const gridDir = outFlag ? prepareOut(outFlag, ctx.cwd, { allowFile: false }).path : undefined;
  const where = resolveModelPath(spec, ctx.cwd);
  await prepareBackend(ctx);
  if (!opts.json) ctx.info(`evaluating ${method} on ${where.label}: ${options.steps} requested values × ${options.seeds} samples per attribute…`);
  const { report, table } =
    method !== 'gan-control'
      ? await runDirectionsEvaluation(where, { ...options, gridDir, keepOthers: Boolean(opts.keepOthers), method, fitSamples }, ctx, { progress: !opts.json })
      : await runEvaluation(where, { ...options, gridDir }, ctx, { progress: !opts.json });
  if (opts.json) {
    ctx.out(JSON.stringify(report, null, 2));
    return;
  }
  ctx.out(table);
  if (gridDir) ctx.out(`grids (rows: samples, columns: requested values) in ${gridDir}`);
}
