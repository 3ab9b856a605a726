/** `gan-control evaluate`: control precision (requested vs measured) and leakage, as a table or JSON. */
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { intFlag, stringFlag } from '../args.js';
import { prepareBackend } from '../backend.js';
import { comparisonMetrics, domainMeasures, type ComparisonMetrics } from '../compare.js';
import type { Context } from '../context.js';
import { openControl } from '../control.js';
import { CliError, usageError } from '../errors.js';
import { ganspaceDirections, interfaceganMethod, measureAll, readDirections, sampleAndMeasure, valueSpecs } from '../directions.js';
import { loadModel, loadModelAttributes, noEncoders, resolveModelPath, type LoadedModel } from '../model.js';
import { prepareOut } from '../output.js';
import { createProgress } from '../progress.js';
import { formatTable } from '../table.js';

export const EVALUATE_METHODS = ['gan-control', 'interfacegan', 'ganspace', 'regression'] as const;
export type EvaluateMethod = (typeof EVALUATE_METHODS)[number];
export const REGRESSION_MODES = ['residual', 'replace'] as const;

/** `--method` (default gan-control: the model's encoders). */
export function evaluateMethodFlag(opts: Record<string, unknown>): EvaluateMethod {
  const method = (stringFlag(opts.method, '--method') ?? 'gan-control') as EvaluateMethod;
  if (!EVALUATE_METHODS.includes(method))
    throw usageError(`--method '${method}' is not an evaluated method; use one of ${EVALUATE_METHODS.join(', ')}`);
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

/** Everything but the evaluation options: which method, and how. */
export interface MethodPlan {
  method: EvaluateMethod;
  keepOthers: boolean;
  fitSamples: number;
  regressionMode: (typeof REGRESSION_MODES)[number];
  compare: boolean;
}

/** Flags → the method plan (usage errors only). */
export function methodPlan(opts: Record<string, unknown>): MethodPlan {
  const method = evaluateMethodFlag(opts);
  if (opts.keepOthers && method !== 'interfacegan' && method !== 'ganspace')
    throw usageError('--keep-others is the conditional edit of --method interfacegan or ganspace');
  const mode = stringFlag(opts.regressionMode, '--regression-mode');
  if (mode !== undefined && method !== 'regression') throw usageError('--regression-mode goes with --method regression');
  if (mode !== undefined && !(REGRESSION_MODES as readonly string[]).includes(mode))
    throw usageError(`--regression-mode '${mode}': use one of ${REGRESSION_MODES.join(', ')}`);
  return {
    method,
    keepOthers: Boolean(opts.keepOthers),
    fitSamples: intFlag(opts.fitSamples, '--fit-samples', { min: 16, max: 1_000_000, fallback: 1024 }),
    regressionMode: (mode ?? 'residual') as MethodPlan['regressionMode'],
    compare: Boolean(opts.compare),
  };
}

/** What one evaluation gives: the per-attribute report, its table and, with `compare`, the comparison metrics. */
export interface EvaluationResult {
  report: Record<string, unknown>;
  table: string;
  /** `--compare`: the whole JSON (method, model, settings, cost, attributes, metrics). */
  comparison?: Record<string, unknown> & { metrics: ComparisonMetrics };
}

type Runtimes = Awaited<ReturnType<typeof loadModelAttributes>>;
type Method = import('@gan-control/encoders').ControlMethod;

/**
 * Opens a model with its attribute plugins, builds the control method of `plan` on it, and runs
 * `evaluateMethod` (one protocol for every method: the same requested values and seeds).
 * - `gan-control`: the model's encoders through its Controller;
 * - `interfacegan` / `ganspace`: each requested value set along the model's fitted directions
 *   (`setTo` on the seed's w; with `keepOthers` the conditional edit). For GANSpace, each value is
 *   first fitted on the scores of the components named for it, from `fitSamples` samples of the
 *   fit stream (`ganspaceDirections`);
 * - `regression`: the value regressors of `<model>/regression/` (`regressionMethod`).
 * With `compare`, the domain's uncontrolled factors (shape kind) are measured too and the
 * comparison metrics are computed from the same images (`comparisonMetrics`).
 */
export async function runMethodEvaluation(
  where: { path: string; label: string },
  options: ReturnType<typeof evaluateOptions> & { gridDir?: string },
  plan: MethodPlan,
  ctx: Context,
  { progress = true }: { progress?: boolean } = {},
): Promise<EvaluationResult> {
  const enc = { ...(await import('@gan-control/encoders')), ...(await import('@gan-control/encoders/node')) };
  const release: (() => void)[] = [];
  try {
    let model: LoadedModel;
    let runtimes: Runtimes;
    let method: Method;
    const fit: Record<string, unknown> = {};
    if (plan.method === 'gan-control') {
      const session = await openControl(where, ctx, { measure: true });
      release.push(() => session.dispose());
      if (session.attributes.length === 0) throw new CliError('CLI_MODEL_INVALID', noEncoders(where));
      ({ model, runtimes } = session);
      method = enc.controllerMethod(session.controller);
    } else {
      const loaded = await loadModel(where);
      model = loaded;
      release.push(() => loaded.dispose());
      runtimes = await loadModelAttributes(model, ctx);
      release.push(() => Object.values(runtimes).forEach((a) => a.dispose()));
      if (Object.keys(runtimes).length === 0) {
        throw new CliError(
          'CLI_MODEL_INVALID',
          `model ${where.label} names no attributes in its model.json, so nothing can be set or measured; record them (convert --attribute group=plugin) or pass --plugin`,
        );
      }
      if (plan.method === 'regression') {
        const dir = join(model.dir, enc.REGRESSION_FOLDER);
        if (!existsSync(dir))
          throw new CliError(
            'CLI_NO_DIRECTIONS',
            `model ${where.label} has no value regressors (${dir} is missing); fit them first: gan-control directions --method regression --model ${where.label}`,
          );
        const regressors = await enc.loadEncoders(dir);
        release.push(() => regressors.forEach((r) => r.dispose()));
        method = enc.regressionMethod(model.generator, regressors, runtimes, { mode: plan.regressionMode });
        fit.regression = {
          mode: plan.regressionMode,
          regressors: Object.fromEntries(regressors.map((r) => [r.attribute, r.training ?? null])),
        };
      } else {
        const set = await readDirections(where.path, where.label);
        if (set.dim !== model.generator.wDim) {
          throw new CliError(
            'CLI_DIRECTIONS_CORRUPT',
            `corrupt directions: the directions.json of ${where.label} has dim ${set.dim} but the model's w has ${model.generator.wDim}; refit them: gan-control directions --model ${where.label}`,
          );
        }
        let used = set;
        if (plan.method === 'ganspace') {
          const specs = await valueSpecs(runtimes);
          const bar = createProgress({ label: 'fit', total: plan.fitSamples, enabled: progress && ctx.isTTY });
          const { w, y } = await sampleAndMeasure(model.generator, runtimes, specs, plan.fitSamples, options.seed, (done) =>
            bar.update(done),
          );
          bar.finish();
          used = { dim: set.dim, directions: await ganspaceDirections(set, w, y, specs) };
        }
        method = await interfaceganMethod(model.generator, used, runtimes, { keepOthers: plan.keepOthers });
        fit[plan.method] = {
          ...((set.meta as Record<string, unknown> | undefined)?.[plan.method] as object | undefined),
          ...(plan.method === 'ganspace' ? { fitSamples: plan.fitSamples } : {}),
          ...(plan.keepOthers ? { keepOthers: true } : {}),
        };
      }
    }
    const domain = plan.compare ? await domainMeasures(model) : undefined;
    if (domain) release.push(() => domain.dispose());
    const measured = { ...runtimes, ...(domain?.extra ?? {}) };
    let measurements: import('@gan-control/encoders').EvaluateMeasurements | undefined;
    const bar = createProgress({ label: 'evaluate', total: 1, enabled: progress && ctx.isTTY });
    const report = await enc.evaluateMethod(method, measured, {
      ...options,
      batchSize: 16,
      onProgress: (p) => bar.update(p.done, p.attribute ? `${p.phase} ${p.attribute}` : p.phase, p.total),
      ...(plan.compare ? { onMeasurements: (m: import('@gan-control/encoders').EvaluateMeasurements) => (measurements = m) } : {}),
    });
    bar.finish();
    const table = enc.formatControlReport(report);
    if (!plan.compare) return { report: report as unknown as Record<string, unknown>, table };
    let datasetRows: Parameters<typeof comparisonMetrics>[2];
    if (domain) {
      const rows: Record<string, number[][]> = Object.fromEntries(Object.keys(measured).map((k) => [k, []]));
      for (let start = 0; start < options.rangeSamples; start += 64) {
        const images = await domain.dataset(start, Math.min(64, options.rangeSamples - start));
        try {
          const y = await measureAll(measured, images);
          for (const [k, a] of Object.entries(measured)) {
            const V = a.values!.length;
            for (let r = 0; r < images.shape[0]; r++) rows[k].push(Array.from(y[k].subarray(r * V, r * V + V)));
          }
        } finally {
          images.dispose();
        }
      }
      datasetRows = { describe: domain.describe, rows };
    }
    const metrics = await comparisonMetrics(measurements!, report, datasetRows);
    const manifest = model.manifest as { images?: number; seconds?: number; step?: number };
    const comparison = {
      method: plan.method,
      model: where.label,
      settings: {
        ...options,
        ...(plan.method === 'regression' ? { regressionMode: plan.regressionMode } : {}),
        ...(plan.keepOthers ? { keepOthers: true } : {}),
        ...(plan.method === 'ganspace' ? { fitSamples: plan.fitSamples } : {}),
      },
      cost: {
        kimg: typeof manifest.images === 'number' ? manifest.images / 1000 : null,
        trainingSeconds: manifest.seconds ?? null,
        ...(Object.keys(fit).length ? { fit } : {}),
      },
      attributes: report,
      metrics,
    };
    return { report: report as unknown as Record<string, unknown>, table: `${table}\n\n${formatMetrics(metrics)}`, comparison };
  } finally {
    for (const r of release.reverse()) r();
  }
}

/** The comparison metrics as a text table. */
export function formatMetrics(m: ComparisonMetrics): string {
  const f = (x: number) =>
    Number.isFinite(x) ? (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(2) : x.toPrecision(3)) : '—';
  const rows = [
    ['worst leakage', m.worstLeakage ? `${f(m.worstLeakage.value)} (${m.worstLeakage.swept} → ${m.worstLeakage.into})` : '—'],
    [
      'DS (log10, mean)',
      `${f(m.ds.meanLog10)} (${Object.entries(m.ds.log10)
        .map(([k, v]) => `${k} ${f(v)}`)
        .join(', ')})`,
    ],
    ['MIG', m.mig ? f(m.mig.score) : '— (one attribute)'],
    ['DCI (D / C / I)', `${f(m.dci.disentanglement)} / ${f(m.dci.completeness)} / ${f(m.dci.informativeness)}`],
    ...(m.realism
      ? [
          [
            'realism KS (random vs dataset)',
            `${Object.entries(m.realism.ks)
              .map(([k, v]) => `${k} ${f(v)}`)
              .join(', ')} (critical 0.05: ${f(m.realism.critical05)})`,
          ],
        ]
      : []),
  ];
  return formatTable(['metric', 'value'], rows);
}

export async function evaluateCommand(_args: string[], opts: Record<string, unknown>, ctx: Context): Promise<void> {
  const options = evaluateOptions(opts);
  const plan = methodPlan(opts);
  const spec = stringFlag(opts.model, '--model') ?? 'shapes';
  const outFlag = stringFlag(opts.out, '--out');
  const gridDir = outFlag ? prepareOut(outFlag, ctx.cwd, { allowFile: false }).path : undefined;
  const where = resolveModelPath(spec, ctx.cwd);
  await prepareBackend(ctx);
  if (!opts.json)
    ctx.info(`evaluating ${plan.method} on ${where.label}: ${options.steps} requested values × ${options.seeds} samples per attribute…`);
  const { report, table, comparison } = await runMethodEvaluation(where, { ...options, gridDir }, plan, ctx, { progress: !opts.json });
  if (opts.json) {
    ctx.out(JSON.stringify(comparison ?? report, null, 2));
    return;
  }
  ctx.out(table);
  if (gridDir) ctx.out(`grids (rows: samples, columns: requested values) in ${gridDir}`);
}
