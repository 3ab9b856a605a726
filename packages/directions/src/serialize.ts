import { z } from 'zod';
import { formatZodIssues } from '@gan-control/errors';
import { DirectionsError } from './errors.js';
import type { Direction } from './interfacegan.js';
import type { ComponentName, Pca } from './ganspace.js';

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
/** A metric that may be NaN (no held-out split) is stored as null. */
const metric = z.number().nullable();
const vec = z.array(finite).min(1);
const model = z.object({ normal: vec, slope: finite.refine((v) => v > 0, 'must be > 0'), intercept: finite });
const base = { attribute: z.string().min(1), value: z.string().min(1), unit: z.string(), samples: z.number().int().nonnegative() };

const directionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('linear'), ...base, model, r2: metric }),
  z.object({
    kind: z.literal('circular'),
    ...base,
    period: finite.refine((v) => v > 0, 'must be > 0'),
    cos: model,
    sin: model,
    meanRadius: finite,
    r2: metric,
    error: metric,
  }),
  z.object({ kind: z.literal('threshold'), ...base, threshold: finite, model, accuracy: metric }),
]);

/**
 * `directions.json` in a model folder: the fitted InterFaceGAN directions and, optionally, the
 * GANSpace components (with their names), all in the latent space `space` of width `dim`.
 * Version 1. Every normal and component has length `dim`; keys `attribute.value` are unique.
 */
export const directionsSchema = z
  .object({
    format: z.literal('gan-control-directions'),
    version: z.literal(1),
    /** Which latent the vectors live in: `w` (one w for every layer) is the only one written today. */
    space: z.literal('w'),
    dim: z.number().int().positive(),
    directions: z.array(directionSchema),
    components: z
      .object({
        mean: vec,
        components: z.array(vec),
        variance: z.array(finite),
        explained: z.array(finite),
        totalVariance: finite,
        samples: z.number().int().nonnegative(),
        names: z.array(z.object({ index: z.number().int().nonnegative(), label: z.string() })).optional(),
      })
      .optional(),
    /** Free-form provenance (sample count, seed, the command that wrote it…). */
    meta: z.record(z.string(), z.unknown()).optional(),
  })
  .superRefine((d, ctx) => {
    const seen = new Set<string>();
    d.directions.forEach((dir, i) => {
      const key = `${dir.attribute}.${dir.value}`;
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['directions', i, 'value'], message: `'${key}' appears twice` });
      seen.add(key);
      const models = dir.kind === 'circular' ? { cos: dir.cos, sin: dir.sin } : { model: dir.model };
      for (const [name, m] of Object.entries(models)) {
        if (m.normal.length !== d.dim)
          ctx.addIssue({
            code: 'custom',
            path: ['directions', i, name, 'normal'],
            message: `has ${m.normal.length} entries, dim is ${d.dim}`,
          });
      }
    });
    const c = d.components;
    if (c) {
      if (c.mean.length !== d.dim)
        ctx.addIssue({ code: 'custom', path: ['components', 'mean'], message: `has ${c.mean.length} entries, dim is ${d.dim}` });
      c.components.forEach((v, i) => {
        if (v.length !== d.dim)
          ctx.addIssue({ code: 'custom', path: ['components', 'components', i], message: `has ${v.length} entries, dim is ${d.dim}` });
      });
      for (const f of ['variance', 'explained'] as const) {
        if (c[f].length !== c.components.length)
          ctx.addIssue({
            code: 'custom',
            path: ['components', f],
            message: `has ${c[f].length} entries for ${c.components.length} components`,
          });
      }
    }
  });
export type DirectionsFile = z.output<typeof directionsSchema>;

/** What `serializeDirections` takes and `parseDirections` returns. */
export interface DirectionSet {
  readonly dim: number;
  readonly directions: readonly Direction[];
  readonly components?: Pca & { readonly names?: readonly Pick<ComponentName, 'index' | 'label'>[] };
  readonly meta?: Readonly<Record<string, unknown>>;
}

const nullIfNaN = (v: number) => (Number.isNaN(v) ? null : v);
const nanIfNull = (v: number | null) => (v === null ? Number.NaN : v);

/**
 * Writes a direction set as `directions.json` text (2-space JSON, fixed key order, so the same
 * set always gives the same bytes). NaN metrics (no held-out split) become null.
 *
 * @example
 * ```ts
 * const text = serializeDirections({ dim: 512, directions: fitDirections(w, y, opts), components: pca(w) });
 * ```
 */
export function serializeDirections(set: DirectionSet): string {
  const file: DirectionsFile = {
    format: 'gan-control-directions',
    version: 1,
    space: 'w',
    dim: set.dim,
    directions: set.directions.map((d) => {
      const b = { attribute: d.attribute, value: d.value, unit: d.unit, samples: d.samples };
      const m = (x: { normal: readonly number[]; slope: number; intercept: number }) => ({
        normal: [...x.normal],
        slope: x.slope,
        intercept: x.intercept,
      });
      if (d.kind === 'linear') return { kind: 'linear', ...b, model: m(d.model), r2: nullIfNaN(d.r2) };
      if (d.kind === 'circular')
        return {
          kind: 'circular',
          ...b,
          period: d.period,
          cos: m(d.cos),
          sin: m(d.sin),
          meanRadius: d.meanRadius,
          r2: nullIfNaN(d.r2),
          error: nullIfNaN(d.error),
        };
      return { kind: 'threshold', ...b, threshold: d.threshold, model: m(d.model), accuracy: nullIfNaN(d.accuracy) };
    }),
  };
  const c = set.components;
  if (c) {
    file.components = {
      mean: [...c.mean],
      components: c.components.map((v) => [...v]),
      variance: [...c.variance],
      explained: [...c.explained],
      totalVariance: c.totalVariance,
      samples: c.samples,
      ...(c.names ? { names: c.names.map((n) => ({ index: n.index, label: n.label })) } : {}),
    };
  }
  if (set.meta) file.meta = { ...set.meta };
  const checked = directionsSchema.safeParse(file);
  if (!checked.success)
    throw new DirectionsError('DIRECTIONS_INVALID_OPTIONS', `serializeDirections: the set is not valid: ${formatZodIssues(checked.error)}`);
  return `${JSON.stringify(file, null, 2)}\n`;
}

/**
 * Reads `directions.json` (its text, or the parsed object) and validates it; errors
 * `DIRECTIONS_BAD_FILE` name each bad field by its path (`directions[0].model.normal: …`).
 *
 * @example
 * ```ts
 * const { directions } = parseDirections(await readText(joinLocation(modelDir, 'directions.json')));
 * ```
 */
export function parseDirections(input: string | unknown, source = 'directions.json'): DirectionSet {
  let raw: unknown = input;
  if (typeof input === 'string') {
    try {
      raw = JSON.parse(input);
    } catch (e) {
      throw new DirectionsError(
        'DIRECTIONS_BAD_FILE',
        `${source} is not JSON (${(e as Error).message}); rewrite it with serializeDirections`,
        { cause: e },
      );
    }
  }
  const parsed = directionsSchema.safeParse(raw);
  if (!parsed.success)
    throw new DirectionsError('DIRECTIONS_BAD_FILE', `${source} is not a valid directions file: ${formatZodIssues(parsed.error)}`);
  const f = parsed.data;
  const directions: Direction[] = f.directions.map((d) => {
    if (d.kind === 'linear') return { ...d, r2: nanIfNull(d.r2) };
    if (d.kind === 'circular') return { ...d, r2: nanIfNull(d.r2), error: nanIfNull(d.error) };
    return { ...d, accuracy: nanIfNull(d.accuracy) };
  });
  return { dim: f.dim, directions, ...(f.components ? { components: f.components } : {}), ...(f.meta ? { meta: f.meta } : {}) };
}
