/**
 * `gan-control evaluate --compare`: the comparison metrics of one evaluation, computed from the
 * images `evaluateMethod` already measured (`EvaluateMeasurements`), so every control method
 * (GAN-Control's encoders, InterFaceGAN, GANSpace, the value regressor) is scored on the same
 * requested values and seeds:
 *
 * - **worst leakage**: the largest mean |change| of another attribute (the shape kind included on
 *   shapes models) when one is swept, as a fraction of its range;
 * - **DS** (DiscoFaceGAN / GAN-Control): each (attribute, seed) sweep is one set where only that
 *   attribute's control varies; σ over the random samples is the dataset's;
 * - **MIG and DCI over the method's controls**: the code of an edited image is what the method
 *   was asked for — the requested values of the swept attribute, the base image's measured values
 *   for every other one (the method should keep them) — grouped per attribute (an angle as its
 *   cos, sin); the factors are the values measured on the edited image. A method whose images show
 *   exactly what was asked scores MIG ≈ 1, D ≈ C ≈ 1. (The groups are the attributes, not latent
 *   groups: a post-hoc method on a plain StyleGAN2 has no latent partition to score.)
 * - **realism**: the two-sample KS statistic per measured value, the model's random samples
 *   against images of its procedural training dataset (a property of the generator: the same for
 *   every method on one model).
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Attribute } from '@gan-control/contrastive-loss';
import type { ControlReport, EvaluateMeasurements } from '@gan-control/encoders';
import type { LoadedModel } from './model.js';

/** The shapes domain's extra measures for a model trained on the procedural shapes dataset. */
export interface DomainMeasures {
  /** Measured for leakage and the metrics, controlled by no method (`shape`: the kind). */
  readonly extra: Record<string, Attribute>;
  /** `count` dataset images (held-out stream), NHWC in [-1, 1]. */
  dataset(start: number, count: number): Promise<tf.Tensor4D>;
  /** What the dataset images are, for the report. */
  readonly describe: string;
  dispose(): void;
}

/** Seed of the dataset stream realism is measured on (the training stream is the config's, 0 by default). */
export const REALISM_DATASET_SEED = 99;

/**
 * The domain measures of a model whose `model.json` says it was trained on the procedural shapes
 * dataset (`training.dataset`), or `undefined` for any other model.
 *
 * @example
 * const domain = await domainMeasures(model); // { extra: { shape }, dataset(start, count) }
 */
export async function domainMeasures(model: Pick<LoadedModel, 'manifest' | 'generator'>): Promise<DomainMeasures | undefined> {
  const training = (model.manifest as { training?: { dataset?: { kind?: string; name?: string; options?: Record<string, unknown> } } })
    .training;
  const ds = training?.dataset;
  if (ds?.kind !== 'procedural' || ds.name !== 'shapes') return undefined;
  const [shapes, core, tfc] = await Promise.all([
    import('@gan-control/domain-shapes'),
    import('@gan-control/contrastive-loss'),
    import('@tensorflow/tfjs-core'),
  ]);
  const shape = await core.createAttribute(shapes.shapePlugin(), {});
  const resolution = (model.generator as { resolution?: number }).resolution ?? 32;
  const options = { ...(ds.options ?? {}), resolution };
  return {
    extra: { shape },
    describe: `procedural shapes (options ${JSON.stringify(ds.options ?? {})}), seed ${REALISM_DATASET_SEED}`,
    async dataset(start, count) {
      const batch = shapes.generateShapes({ ...options, seed: REALISM_DATASET_SEED, start, count });
      return tfc.tensor4d(batch.images, batch.shape as [number, number, number, number]);
    },
    dispose: () => shape.dispose(),
  };
}

/** The comparison metrics of one evaluation (`evaluate --compare`'s `metrics`). */
export interface ComparisonMetrics {
  readonly worstLeakage: { readonly value: number; readonly swept: string; readonly into: string } | null;
  readonly ds: { readonly log10: Record<string, number>; readonly meanLog10: number };
  /** `null` with fewer than two measured attributes (no gap between a best and a second group). */
  readonly mig: {
    readonly score: number;
    readonly factors: Record<string, { readonly gap: number; readonly best: string; readonly second: string }>;
  } | null;
  readonly dci: { readonly disentanglement: number; readonly completeness: number; readonly informativeness: number };
  readonly realism?: {
    readonly dataset: string;
    readonly samples: number;
    readonly ks: Record<string, number>;
    readonly critical05: number;
  };
}

const finiteRow = (r: readonly number[]) => r.every(Number.isFinite);

/**
 * Computes the comparison metrics (see the file comment) from one evaluation's measurements and
 * report; `datasetRows` (values per attribute of dataset images) adds realism.
 *
 * @example
 * const metrics = await comparisonMetrics(measurements, report, datasetRows);
 */
export async function comparisonMetrics(
  m: EvaluateMeasurements,
  report: ControlReport,
  datasetRows?: { describe: string; rows: Record<string, readonly (readonly number[])[]> },
): Promise<ComparisonMetrics> {
  const lib = await import('@gan-control/directions');
  const columns = m.attributes.flatMap((a) =>
    a.values.map((v, c) => ({ attribute: a.key, value: v.name, ...(a.periods[c] ? { period: a.periods[c] } : {}) })),
  );
  const C = columns.length;
  const rowOf = (values: Readonly<Record<string, readonly number[]>>) => m.attributes.flatMap((a) => [...values[a.key]]);

  let worst: ComparisonMetrics['worstLeakage'] = null;
  for (const [swept, r] of Object.entries(report)) {
    for (const [into, v] of Object.entries(r.leakage)) if (worst === null || v > worst.value) worst = { value: v, swept, into };
  }

  // DS: σ over the random samples; one varied set per (attribute, seed) sweep.
  const n = m.random[m.attributes[0].key].length;
  const dataset = Array.from({ length: n }, (_, i) => m.attributes.flatMap((a) => [...m.random[a.key][i]])).filter(finiteRow);
  const varied: Record<string, ReturnType<typeof lib.matrix>[]> = {};
  for (const s of m.sweeps) {
    const rows = s.requested
      .map((_, k) => rowOf(Object.fromEntries(m.attributes.map((a) => [a.key, s.swept[a.key][k]]))))
      .filter(finiteRow);
    if (rows.length < 2) continue;
    (varied[s.target] ??= []).push(lib.matrix(Float64Array.from(rows.flat()), C));
  }
  const ds = lib.disentanglementScore({ columns, dataset: lib.matrix(Float64Array.from(dataset.flat()), C), varied });

  // MIG and DCI: code = what was asked (requested for the swept attribute, the base's values for the others).
  const groups = m.attributes.map((a) => ({ name: a.key, size: a.periods.reduce<number>((s, p) => s + (p ? 2 : 1), 0) }));
  const codeOf = (a: EvaluateMeasurements['attributes'][number], values: readonly number[]) =>
    values.flatMap((v, c) => {
      const p = a.periods[c];
      return p ? [Math.cos((2 * Math.PI * v) / p), Math.sin((2 * Math.PI * v) / p)] : [v];
    });
  const codes: number[] = [];
  const factors: number[] = [];
  for (const s of m.sweeps) {
    s.requested.forEach((req, k) => {
      const measured = rowOf(Object.fromEntries(m.attributes.map((a) => [a.key, s.swept[a.key][k]])));
      const asked = m.attributes.flatMap((a) => codeOf(a, a.key === s.target ? req : s.base[a.key]));
      if (!finiteRow(measured) || !finiteRow(asked)) return;
      codes.push(...asked);
      factors.push(...measured);
    });
  }
  const D = groups.reduce((s, g) => s + g.size, 0);
  const codeM = lib.matrix(Float64Array.from(codes), D);
  const factorM = lib.matrix(Float64Array.from(factors), C);
  const mig = groups.length >= 2 ? lib.mig({ codes: codeM, groups, factors: factorM, columns }) : null;
  const dci = lib.dci({ codes: codeM, groups, factors: factorM, columns });

  let realism: ComparisonMetrics['realism'];
  if (datasetRows) {
    const ks: Record<string, number> = {};
    let critical = 0;
    for (const a of m.attributes) {
      a.values.forEach((v, c) => {
        const r = lib.ksStatistic(
          m.random[a.key].map((row) => row[c]),
          datasetRows.rows[a.key].map((row) => row[c]),
        );
        ks[`${a.key}.${v.name}`] = r.statistic;
        critical = Math.max(critical, r.critical05);
      });
    }
    realism = { dataset: datasetRows.describe, samples: n, ks, critical05: critical };
  }
  return {
    worstLeakage: worst,
    ds: { log10: Object.fromEntries(ds.varied.map((a, i) => [a, ds.log10[i]])), meanLog10: ds.meanLog10 },
    mig: mig && {
      score: mig.score,
      factors: Object.fromEntries(mig.factors.map((f) => [f.key, { gap: f.gap, best: f.best, second: f.second }])),
    },
    dci: { disentanglement: dci.disentanglement, completeness: dci.completeness, informativeness: dci.informativeness },
    ...(realism ? { realism } : {}),
  };
}

/** What `formatComparisonRow` reads of an `evaluate --compare` JSON. */
export interface ComparisonJson {
  readonly method: string;
  readonly attributes: Readonly<Record<string, { readonly unit: string; readonly meanError: number }>>;
  readonly metrics: ComparisonMetrics;
  readonly cost: {
    readonly kimg: number | null;
    readonly trainingSeconds: number | null;
    readonly fit?: Readonly<Record<string, unknown>>;
  };
}

const UNIT_SUFFIX: Record<string, string> = { deg: '°', px: ' px', fraction: '' };

/** 3 significant digits (whole numbers from 100 on). */
const sig3 = (x: number) => (!Number.isFinite(x) ? '—' : Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(3));

/**
 * One markdown row of the comparison table (the root README's "Compared with post-hoc methods")
 * from an `evaluate --compare` JSON: mean error per attribute of `label.attributes` ('not set'
 * where the method has no control of it), worst leakage,
 * mean log10 DS, MIG, DCI, realism KS per factor and the training cost (the model's kimg and
 * hours, plus what the post-hoc fit sampled). The README's rows are this function's output, so a
 * test checks the committed JSON against the printed table digit for digit.
 *
 * @example
 * formatComparisonRow(JSON.parse(text), { model: 'baseline', method: 'InterFaceGAN', attributes: ['color', 'position', 'size'] });
 * // '| baseline | InterFaceGAN | 17.7° | 1.03 px | 0.0475 | 0.111 (color → size) | 1.86 | … |'
 */
export function formatComparisonRow(c: ComparisonJson, label: { model: string; method: string; attributes: readonly string[] }): string {
  const m = c.metrics;
  // An attribute the method cannot set (GANSpace without a component named for it) has no report.
  const errors = label.attributes.map((k) => {
    const a = c.attributes[k];
    return a ? `${sig3(a.meanError)}${UNIT_SUFFIX[a.unit] ?? ` ${a.unit}`}` : 'not set';
  });
  const leak = m.worstLeakage ? `${sig3(m.worstLeakage.value)} (${m.worstLeakage.swept} → ${m.worstLeakage.into})` : '—';
  const dci = `${m.dci.disentanglement.toFixed(2)} / ${m.dci.completeness.toFixed(2)} / ${m.dci.informativeness.toFixed(2)}`;
  const ks = m.realism
    ? Object.values(m.realism.ks)
        .map((v) => v.toFixed(2))
        .join(' / ')
    : '—';
  const training =
    c.cost.kimg === null
      ? '—'
      : `${c.cost.kimg.toFixed(1)} kimg, ${c.cost.trainingSeconds === null ? '?' : ((c.cost.trainingSeconds ?? 0) / 3600).toFixed(1)} h`;
  const fit = c.cost.fit ?? {};
  const samples = (x: unknown) => (x as { samples?: number } | undefined)?.samples;
  const extra =
    c.method === 'regression'
      ? (() => {
          const r = Object.values(
            (fit.regression as { regressors?: Record<string, { samples?: number } | null> } | undefined)?.regressors ?? {},
          );
          return `; fit: ${samples(r[0]) ?? '?'} samples, ${r.length} MLPs`;
        })()
      : c.method === 'interfacegan' || c.method === 'ganspace'
        ? `; fit: ${samples(fit[c.method]) ?? '?'} samples${c.method === 'ganspace' ? ` + ${(fit.ganspace as { fitSamples?: number }).fitSamples ?? '?'}` : ''}`
        : '';
  return `| ${label.model} | ${label.method} | ${errors.join(' | ')} | ${leak} | ${m.ds.meanLog10.toFixed(2)} | ${m.mig ? m.mig.score.toFixed(2) : '—'} | ${dci} | ${ks} | ${training}${extra} |`;
}
