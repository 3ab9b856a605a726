/**
 * `gan-control directions`: fits post-hoc control on any model folder and saves it as
 * `<model>/directions.json` — InterFaceGAN boundaries (one per measured value) or GANSpace
 * components (named by the value each correlates with best) — or, with `--method regression`,
 * one value regressor per attribute (GAN-Control's encoder trained to the whole w) in
 * `<model>/regression/`.
 */
import { join } from 'node:path';
import { intFlag, stringFlag } from '../args.js';
import { prepareBackend } from '../backend.js';
import type { Context } from '../context.js';
import { DIRECTIONS_FILE, readDirections, sampleAndMeasure, valueSpecs } from '../directions.js';
import { CliError, usageError } from '../errors.js';
import { BUNDLED_MODELS, loadModel, loadModelAttributes, resolveModelPath } from '../model.js';
import { createProgress } from '../progress.js';
import { formatTable } from '../table.js';
import { parseHidden } from './encoders.js';

export const DIRECTION_METHODS = ['interfacegan', 'ganspace', 'regression'] as const;
export type DirectionMethod = (typeof DIRECTION_METHODS)[number];

/** Flags → the fit plan (usage errors only). */
export function planDirections(opts: Record<string, unknown>) {
  const method = (stringFlag(opts.method, '--method') ?? 'interfacegan') as DirectionMethod;
  if (!DIRECTION_METHODS.includes(method))
    throw usageError(`--method '${method}' is not a direction method; use one of ${DIRECTION_METHODS.join(', ')}`);
  return {
    model: stringFlag(opts.model, '--model') ?? 'shapes',
    method,
    samples: intFlag(opts.samples, '--samples', { min: 16, max: 1_000_000, fallback: 2048 }),
    seed: intFlag(opts.seed, '--seed', { min: 0, max: 2 ** 31 - 1, fallback: 0 }),
    components: intFlag(opts.components, '--components', { min: 1, max: 4096, fallback: 10 }),
    epochs: intFlag(opts.epochs, '--epochs', { min: 1, max: 100_000, fallback: 60 }),
    hidden: parseHidden(opts.hidden),
  };
}

export async function directionsCommand(_args: string[], opts: Record<string, unknown>, ctx: Context): Promise<void> {
  const plan = planDirections(opts);
  const where = resolveModelPath(plan.model, ctx.cwd);
  if (where.label in BUNDLED_MODELS) {
    throw new CliError(
      'CLI_MODEL_READONLY',
      `directions are saved into the model folder, and the bundled model '${where.label}' is part of the installation; fit them on a copy: cp -r ${where.path} my-model && gan-control directions --model my-model`,
    );
  }
  await prepareBackend(ctx);
  const model = await loadModel(where);
  let runtimes: Awaited<ReturnType<typeof loadModelAttributes>> = {};
  try {
    runtimes = await loadModelAttributes(model, ctx);
    if (Object.keys(runtimes).length === 0) {
      throw new CliError(
        'CLI_MODEL_INVALID',
        `model ${where.label} names no attributes in its model.json, so nothing can be measured to fit directions to; record them (convert --attribute group=plugin) or pass --plugin`,
      );
    }
    const specs = await valueSpecs(runtimes);
    const G = model.generator;
    const D = G.wDim;
    const N = plan.samples;
    const json = Boolean(opts.json);
    if (!json)
      ctx.info(`sampling ${N} w of ${where.label} and measuring ${specs.map((s) => `${s.spec.attribute}.${s.spec.value}`).join(', ')}…`);
    const bar = createProgress({ label: 'sample', total: N, enabled: !json && ctx.isTTY });
    const { w: wk, y: yk, rows, dropped } = await sampleAndMeasure(G, runtimes, specs, N, plan.seed, (done) => bar.update(done));
    bar.finish();
    if (plan.method === 'regression') {
      await fitRegressors({ model, label: where.label, runtimes, specs, w: wk, y: yk, rows, dropped, plan, json }, ctx);
      return;
    }
    const lib = await import('@gan-control/directions');
    const W = lib.matrix(wk, D);
    const Y = lib.matrix(yk, specs.length);
    // The other method's part of an existing directions.json is kept (when it fits this w).
    let previous: Awaited<ReturnType<typeof readDirections>> | undefined;
    try {
      previous = await readDirections(model.dir, where.label);
      if (previous.dim !== D) previous = undefined;
    } catch (err) {
      // Missing: nothing to keep. Corrupt: it is replaced by this fit (said, not silent).
      if ((err as { code?: string }).code !== 'CLI_NO_DIRECTIONS')
        ctx.info(`note: replacing ${join(model.dir, DIRECTIONS_FILE)}: ${(err as Error).message}`);
      previous = undefined;
    }
    const meta = {
      ...(previous?.meta ?? {}),
      [plan.method as string]: {
        samples: N,
        measured: rows,
        seed: plan.seed,
        command: `gan-control directions --method ${plan.method} --samples ${N} --seed ${plan.seed}${plan.method === 'ganspace' ? ` --components ${plan.components}` : ''}`,
      },
    };
    let set: import('@gan-control/directions').DirectionSet;
    let table: string;
    let report: Record<string, unknown>;
    const f = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : '—');
    if (plan.method === 'interfacegan') {
      const directions = lib.fitDirections(W, Y, { values: specs.map((s) => s.spec) });
      set = { dim: D, directions, ...(previous?.components ? { components: previous.components } : {}), meta };
      table = formatTable(
        ['value', 'kind', 'unit', 'held-out R²', 'held-out error', 'slope (unit per |w|)'],
        directions.map((d) => [
          `${d.attribute}.${d.value}`,
          d.kind,
          d.unit,
          d.kind === 'threshold' ? `acc ${f(d.accuracy)}` : f(d.r2),
          d.kind === 'circular' ? `${f(d.error, 2)} ${d.unit}` : '—',
          d.kind === 'circular' ? `cos ${f(d.cos.slope, 4)}, sin ${f(d.sin.slope, 4)}` : f(d.model.slope, 4),
        ]),
      );
      report = {
        method: 'interfacegan',
        directions: directions.map((d) => ({
          key: `${d.attribute}.${d.value}`,
          kind: d.kind,
          unit: d.unit,
          r2: d.kind === 'threshold' ? null : d.r2,
          ...(d.kind === 'circular' ? { error: d.error } : {}),
          ...(d.kind === 'threshold' ? { accuracy: d.accuracy } : {}),
          slope: d.kind === 'circular' ? [d.cos.slope, d.sin.slope] : d.model.slope,
        })),
      };
    } else {
      const components = lib.pca(W, { components: plan.components });
      const names = lib.nameComponents(
        components,
        W,
        Y,
        specs.map((s) => ({ attribute: s.spec.attribute, value: s.spec.value, ...(s.spec.period ? { period: s.spec.period } : {}) })),
      );
      set = {
        dim: D,
        directions: previous?.directions ?? [],
        components: { ...components, names: names.map((n) => ({ index: n.index, label: n.label })) },
        meta,
      };
      table = formatTable(
        ['component', 'variance share', 'best-correlated value', '|r|'],
        names.map((n) => [String(n.index), `${(100 * components.explained[n.index]).toFixed(1)} %`, n.label, n.best ? f(n.best.r) : '—']),
      );
      report = {
        method: 'ganspace',
        components: names.map((n) => ({ index: n.index, explained: components.explained[n.index], label: n.label, r: n.best?.r ?? null })),
      };
    }
    const { writeFileAtomic } = await import('@gan-control/tensor-io/node');
    const file = join(model.dir, DIRECTIONS_FILE);
    await writeFileAtomic(file, lib.serializeDirections(set));
    if (json) {
      ctx.out(JSON.stringify({ file, samples: N, measured: rows, ...report }, null, 2));
      return;
    }
    ctx.out(table);
    ctx.out(`wrote ${file} (${rows} samples${dropped ? `; ${dropped} left out: a value could not be measured` : ''}, seed ${plan.seed})`);
  } finally {
    for (const a of Object.values(runtimes)) a.dispose();
    model.dispose();
  }
}

/**
 * `--method regression`: one value regressor per attribute — GAN-Control's encoder E_k (the same
 * MLP, trainer and files: `trainEncoder`, `saveEncoder`) trained on (y^k, w) with the whole w as
 * target — saved in `<model>/regression/<attribute>.json|.safetensors` for `generate --set` and
 * `evaluate --method regression`.
 */
async function fitRegressors(
  args: {
    model: Awaited<ReturnType<typeof loadModel>>;
    label: string;
    runtimes: Record<string, import('@gan-control/contrastive-loss').Attribute>;
    specs: Awaited<ReturnType<typeof valueSpecs>>;
    w: Float32Array;
    y: Float32Array;
    rows: number;
    dropped: number;
    plan: ReturnType<typeof planDirections>;
    json: boolean;
  },
  ctx: Context,
): Promise<void> {
  const { model, runtimes, specs, w, y, rows, plan, json } = args;
  const enc = { ...(await import('@gan-control/encoders')), ...(await import('@gan-control/encoders/node')) };
  const dir = join(model.dir, enc.REGRESSION_FOLDER);
  const D = model.generator.wDim;
  const K = specs.length;
  const keys = Object.keys(runtimes);
  const bar = createProgress({ label: 'train', total: keys.length * plan.epochs, enabled: !json && ctx.isTTY });
  const report: Record<string, unknown> = {};
  const table: string[][] = [];
  for (const [i, key] of keys.entries()) {
    const cols = specs.map((s, j) => ({ s, j })).filter(({ s }) => s.key === key);
    const yk = new Float32Array(rows * cols.length);
    for (let r = 0; r < rows; r++) cols.forEach(({ j }, c) => (yk[r * cols.length + c] = y[r * K + j]));
    const values = (runtimes[key].values ?? []).map((v) => ({
      name: v.name,
      unit: v.unit,
      ...(v.range ? { range: [v.range[0], v.range[1]] as [number, number] } : {}),
    }));
    const { encoder, metrics } = await enc.trainEncoder({
      data: enc.regressionRows({ attribute: key, values, y: yk, w, wDim: D }),
      epochs: plan.epochs,
      seed: plan.seed,
      ...(plan.hidden ? { architecture: { hidden: plan.hidden } } : {}),
      onProgress: (p) =>
        bar.update(
          i * plan.epochs + p.epoch,
          `${key} val ${p.valError.toPrecision(3)} (mean-predictor ${p.baselineValError.toPrecision(3)})`,
        ),
    });
    try {
      encoder.training = {
        ...encoder.training,
        samples: plan.samples,
        measured: rows,
        samplingSeed: plan.seed,
        command: `gan-control directions --method regression --samples ${plan.samples} --seed ${plan.seed} --epochs ${plan.epochs}${plan.hidden ? ` --hidden ${plan.hidden.join(',')}` : ''}`,
      };
      await enc.saveEncoder(encoder, dir);
    } finally {
      encoder.dispose();
    }
    report[key] = {
      valError: metrics.valError,
      baselineValError: metrics.baselineValError,
      relativeValError: metrics.relativeValError,
      epochs: metrics.epochsRun,
      bestEpoch: metrics.bestEpoch,
      seconds: metrics.elapsedMs / 1000,
    };
    table.push([
      key,
      metrics.valError.toPrecision(3),
      metrics.baselineValError.toPrecision(3),
      metrics.relativeValError.toFixed(3),
      `${metrics.bestEpoch}/${metrics.epochsRun}`,
    ]);
  }
  bar.finish();
  if (json) {
    ctx.out(JSON.stringify({ folder: dir, samples: plan.samples, measured: rows, method: 'regression', regressors: report }, null, 2));
    return;
  }
  ctx.out(formatTable(['attribute', 'val error (w)', 'mean predictor', 'relative', 'best epoch'], table));
  ctx.out(
    `wrote ${dir} (${rows} samples${args.dropped ? `; ${args.dropped} left out: a value could not be measured` : ''}, seed ${plan.seed})`,
  );
}
