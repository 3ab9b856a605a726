/** `gan-control generate`: images with attributes set by value, the rest sampled from a seed. */
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import {
  asList,
  intFlag,
  numberFlag,
  parseSet,
  parseShift,
  parseSweep,
  stringFlag,
  type SetRequest,
  type ShiftRequest,
  type Sweep,
} from '../args.js';
import { prepareBackend } from '../backend.js';
import type { Context } from '../context.js';
import { CliError, usageError } from '../errors.js';
import { openControl, type ControlSession } from '../control.js';
import { DIRECTIONS_FILE, editW, findDirection, measureAll, readDirections, renderW, sampleW } from '../directions.js';
import { checkRequest, loadModel, loadModelAttributes, resolveModelPath, type LoadedModel } from '../model.js';
import { inspectModel } from './inspect.js';
import { ensureOut, fileNumber, prepareOut } from '../output.js';
import { createProgress } from '../progress.js';

/** Everything `generate` needs, parsed and checked before any model loads. */
export interface GeneratePlan {
  model: string;
  set: SetRequest;
  keep: string[];
  sweep?: Sweep;
  seed: number;
  count: number;
  truncation: number;
  extrapolate: boolean;
  /** `--shift`: relative edits along the model's fitted directions (directions.json). */
  shift?: ShiftRequest[];
  /** `--keep-others`: the conditional edit (every other fitted value held). */
  keepOthers?: boolean;
}

/** Images one `generate` call makes at most (`--count`, or `--count` × sweep steps for a grid). */
export const MAX_IMAGES = 4096;

/** Flags → plan (usage and value errors only; names are checked against the model later). */
export function planGenerate(opts: Record<string, unknown>): GeneratePlan {
  const sweeps = asList(opts.sweep);
  if (sweeps.length > 1)
    throw usageError(`--sweep was given ${sweeps.length} times; a grid sweeps one value (rows are seeds, columns are values)`);
  const sweep = sweeps.length ? parseSweep(sweeps[0]) : undefined;
  const set = parseSet(asList(opts.set));
  if (sweep) {
    const prev = set[sweep.attribute];
    if (prev !== undefined && (sweep.field === undefined || typeof prev === 'number' || sweep.field in prev)) {
      throw usageError(
        `--sweep ${sweep.attribute}${sweep.field ? `.${sweep.field}` : ''} is also given with --set; set it with one of them`,
      );
    }
  }
  const count = intFlag(opts.count, '--count', { min: 1, max: MAX_IMAGES, fallback: 1 });
  if (sweep && count * sweep.values.length > MAX_IMAGES) {
    throw usageError(
      `--count ${count} with a ${sweep.values.length}-step --sweep is ${count * sweep.values.length} images; one call makes at most ${MAX_IMAGES}: use --count ${Math.floor(MAX_IMAGES / sweep.values.length)} or fewer (other seeds in another call with --seed)`,
    );
  }
  return {
    model: stringFlag(opts.model, '--model') ?? 'shapes',
    set,
    keep: asList(opts.keep),
    sweep,
    seed: intFlag(opts.seed, '--seed', { min: 0, max: 2 ** 31 - 1, fallback: 0 }),
    count,
    truncation: numberFlag(opts.truncation, '--truncation', { min: 0, max: 1, fallback: 1 }),
    extrapolate: Boolean(opts.extrapolate),
    shift: parseShift(asList(opts.shift)),
    keepOthers: Boolean(opts.keepOthers),
  };
}

/** Whether some multi-valued attribute is set by only some of its values (the rest are measured). */
export function isPartial(
  plan: GeneratePlan,
  attributes: readonly { name: string; group: string; values: readonly { name: string }[] }[],
): boolean {
  return partialGroups(plan, attributes).length > 0;
}

/**
 * The latent groups of the attributes set by only some of their values: the only ones whose
 * plugins are needed (to measure the rest), so a model's other plugins are not loaded.
 *
 * @example
 * partialGroups(planGenerate({ set: ['position.x=3'] }), attributes); // ['position']
 */
export function partialGroups(
  plan: Pick<GeneratePlan, 'set' | 'sweep'>,
  attributes: readonly { name: string; group: string; values: readonly { name: string }[] }[],
): string[] {
  const given = new Map<string, Set<string>>();
  for (const [k, v] of Object.entries(plan.set)) if (typeof v !== 'number') given.set(k, new Set(Object.keys(v)));
  if (plan.sweep?.field) given.set(plan.sweep.attribute, new Set([...(given.get(plan.sweep.attribute) ?? []), plan.sweep.field]));
  const groups: string[] = [];
  for (const [name, fields] of given) {
    const a = attributes.find((x) => x.name === name || x.group === name);
    if (a !== undefined && a.values.some((v) => !fields.has(v.name)) && !groups.includes(a.group)) groups.push(a.group);
  }
  return groups;
}

/** What `circularNotes` needs of an attribute (the controller's `supported` entries). */
type CircularInfo = {
  name: string;
  group: string;
  values: readonly { name: string; unit: string; range: readonly [number, number]; circular: boolean }[];
};

/**
 * Notes for requested angles outside their encoder's turn (`--set color.hue=400`): a circular value
 * wraps (400° is 40°), which is right but would otherwise go unsaid.
 *
 * @example
 * circularNotes(plan, session.controller.supported); // ["note: color.hue=400 deg wraps to 40 deg (the hue is an angle, period 360)"]
 */
export function circularNotes(plan: Pick<GeneratePlan, 'set' | 'sweep'>, supported: readonly CircularInfo[]): string[] {
  const requests: { attribute: string; field?: string; values: number[] }[] = Object.entries(plan.set).flatMap(([attribute, v]) =>
    typeof v === 'number' ? [{ attribute, values: [v] }] : Object.entries(v).map(([field, x]) => ({ attribute, field, values: [x] })),
  );
  if (plan.sweep) requests.push(plan.sweep);
  const notes: string[] = [];
  for (const r of requests) {
    const a = supported.find((x) => x.name === r.attribute || x.group === r.attribute);
    const v = r.field === undefined ? a?.values[0] : a?.values.find((x) => x.name === r.field);
    if (!v?.circular) continue;
    const [lo, hi] = v.range;
    const period = hi - lo;
    const outside = r.values.filter((x) => x < lo || x > hi);
    if (!(period > 0) || outside.length === 0) continue;
    const wrap = (x: number) => fileNumber(lo + ((((x - lo) % period) + period) % period));
    const name = `${r.attribute}${r.field === undefined ? '' : `.${r.field}`}`;
    const shown = outside.slice(0, 4).map((x) => `${name}=${fileNumber(x)} ${v.unit} wraps to ${wrap(x)} ${v.unit}`);
    notes.push(
      `note: ${shown.join(', ')}${outside.length > 4 ? ` (and ${outside.length - 4} more)` : ''} (${v.name} is an angle, period ${fileNumber(period)}; values in [${fileNumber(lo)}, ${fileNumber(hi)}] are used as given)`,
    );
  }
  return notes;
}

/** The `set` of one sweep column. */
export function withSweepValue(set: SetRequest, sweep: Sweep, value: number): SetRequest {
  const next: SetRequest = { ...set };
  if (sweep.field === undefined) next[sweep.attribute] = value;
  else next[sweep.attribute] = { ...((set[sweep.attribute] as Record<string, number> | undefined) ?? {}), [sweep.field]: value };
  return next;
}

/**
 * Renders the plan: without a sweep, `count` images; with a sweep, a grid of `count` rows (seeds)
 * by `steps` columns (values). Returns NHWC images in row-major grid order and the grid shape.
 */
export async function renderPlan(
  model: ControlSession,
  plan: GeneratePlan,
  ctx: Context,
  { json = false }: { json?: boolean } = {},
): Promise<{ images: import('@tensorflow/tfjs-core').Tensor4D; rows: number; cols: number; columnLabels: string[] }> {
  const tf = await import('@tensorflow/tfjs-core');
  const base = { keep: plan.keep, seed: plan.seed, count: plan.count, truncation: plan.truncation, extrapolate: plan.extrapolate };
  if (!plan.sweep) {
    const { images } = model.generate({ ...base, set: plan.set });
    // Several images without a sweep: a near-square grid, filled row by row.
    const cols = Math.ceil(Math.sqrt(plan.count));
    return { images, rows: Math.ceil(plan.count / cols), cols, columnLabels: [] };
  }
  const sweep = plan.sweep;
  const bar = createProgress({ label: 'generate', total: sweep.values.length, enabled: !json && ctx.isTTY });
  const columns: import('@tensorflow/tfjs-core').Tensor4D[] = [];
  try {
    for (const [i, v] of sweep.values.entries()) {
      columns.push(model.generate({ ...base, set: withSweepValue(plan.set, sweep, v) }).images);
      bar.update(i + 1);
      await new Promise((r) => setImmediate(r));
    }
    bar.finish();
    // Row r, column c = seed row r of column c: stack on axis 1 then flatten rows first.
    const images = tf.tidy(() => {
      const stacked = tf.stack(columns, 1) as import('@tensorflow/tfjs-core').Tensor5D;
      const [n, s, h, w, ch] = stacked.shape;
      return tf.reshape(stacked, [n * s, h, w, ch]) as import('@tensorflow/tfjs-core').Tensor4D;
    });
    const name = `${sweep.attribute}${sweep.field ? `.${sweep.field}` : ''}`;
    return { images, rows: plan.count, cols: sweep.values.length, columnLabels: sweep.values.map((v) => `${name}=${fileNumber(v)}`) };
  } finally {
    tf.dispose(columns);
  }
}

export async function generateCommand(_args: string[], opts: Record<string, unknown>, ctx: Context): Promise<void> {
  const plan = planGenerate(opts);
  const target = prepareOut(stringFlag(opts.out, '--out') ?? 'generated.png', ctx.cwd, { allowFile: true });
  const where = resolveModelPath(plan.model, ctx.cwd);
  // Names are checked against model.json and the encoders' JSON before any backend or weights load.
  const info = await inspectModel(plan.model, ctx.cwd);
  // Relative edits go along the fitted directions; so does --set on a model without encoders.
  const hasSet = Object.keys(plan.set).length > 0 || plan.sweep !== undefined;
  const relative = (plan.shift?.length ?? 0) > 0 || plan.keepOthers;
  // --set on a model without encoders: its value regressors first (an absolute mapping), else its directions.
  if (
    !relative &&
    hasSet &&
    info.encoders.length === 0 &&
    existsSync(join(where.path, (await import('@gan-control/encoders')).REGRESSION_FOLDER))
  ) {
    await generateWithRegressors(where, plan, target, ctx);
    return;
  }
  if (relative || (hasSet && info.encoders.length === 0 && existsSync(join(where.path, DIRECTIONS_FILE)))) {
    await generateAlongDirections(where, plan, target, ctx, { hasEncoders: info.encoders.length > 0 });
    return;
  }
  checkRequest(
    {
      label: where.label,
      attributes: info.encoders.map((e) => ({ name: e.attribute, group: e.group, values: e.values })),
      groups: info.groups,
    },
    plan,
  );
  await prepareBackend(ctx);
  // Attribute runtimes are needed only to fill the values a partial --set leaves out.
  const model = await openControl(where, ctx, { measure: (attributes) => partialGroups(plan, attributes) }).catch((err: unknown) => {
    // Plugins are needed only to measure what a partial --set leaves out: say how to need none.
    if ((err as { code?: string }).code !== 'CLI_PLUGIN_UNTRUSTED') throw err;
    throw new CliError(
      'CLI_PLUGIN_UNTRUSTED',
      `${(err as Error).message}; or give every value of each attribute you set (generate measures the ones a --set leaves out), and no plugin is needed`,
      { cause: err },
    );
  });
  try {
    checkRequest(model, plan);
    for (const line of circularNotes(plan, model.controller.supported)) ctx.info(line);
    const tf = await import('@tensorflow/tfjs-core');
    const rendered = await renderPlan(model, plan, ctx);
    try {
      await writeImages(rendered, plan, target, ctx);
    } finally {
      tf.dispose(rendered.images);
    }
  } finally {
    model.dispose();
  }
}

/**
 * `--shift` (and `--set` where the model has no encoders): the seed's sampled w, edited along the
 * fitted InterFaceGAN directions of `<model>/directions.json` (`shift`, `setTo`; with
 * `--keep-others` the conditional edit), rendered.
 */
async function generateAlongDirections(
  where: { path: string; label: string },
  plan: GeneratePlan,
  target: ReturnType<typeof prepareOut>,
  ctx: Context,
  { hasEncoders }: { hasEncoders: boolean },
): Promise<void> {
  if (plan.sweep)
    throw usageError(
      '--sweep sets values through the encoders; with --shift (the fitted directions) give one edit per call, or sweep with several calls',
    );
  if (plan.keep.length)
    throw usageError(
      "--keep holds a latent group of the encoders' partition; along directions every edited w is its own seed's: leave --keep out (use --keep-others to hold the other fitted values)",
    );
  // Checked before any backend or weights load.
  const set = await readDirections(where.path, where.label);
  const requests = [
    ...Object.entries(plan.set).flatMap(([attribute, v]) =>
      typeof v === 'number'
        ? [{ direction: findDirection(set, attribute, '--set', where.label), mode: 'set' as const, value: v }]
        : Object.entries(v).map(([field, x]) => ({
            direction: findDirection(set, `${attribute}.${field}`, '--set', where.label),
            mode: 'set' as const,
            value: x,
          })),
    ),
    ...(plan.shift ?? []).map((r) => ({
      direction: findDirection(set, r.name, '--shift', where.label),
      mode: 'shift' as const,
      value: r.delta,
    })),
  ];
  for (const r of requests) {
    if (r.mode === 'set' && r.direction.kind === 'threshold') {
      throw new CliError(
        'CLI_BAD_VALUE',
        `--set ${r.direction.attribute}.${r.direction.value}: its direction is a threshold classifier, which has no absolute mapping to the value; use --shift (logits), or refit it as a linear value`,
      );
    }
  }
  if (Object.keys(plan.set).length > 0) {
    ctx.info(
      hasEncoders
        ? 'note: with --shift, --set also goes along the fitted directions (InterFaceGAN setTo), not through the encoders'
        : `note: model ${where.label} has no encoders: --set goes along its fitted directions (InterFaceGAN setTo, ${DIRECTIONS_FILE})`,
    );
  }
  if (requests.length === 0) ctx.info('note: --keep-others without --shift or --set edits nothing');
  await prepareBackend(ctx);
  const model = await loadModel(where);
  try {
    if (set.dim !== model.generator.wDim) {
      throw new CliError(
        'CLI_DIRECTIONS_CORRUPT',
        `corrupt directions: ${join(model.dir, DIRECTIONS_FILE)} has dim ${set.dim} but the model's w has ${model.generator.wDim}; refit them: gan-control directions --model ${where.label}`,
      );
    }
    const w = await sampleW(model.generator, plan.seed, plan.count, plan.truncation);
    const edited = await editW(w, set, requests, { keepOthers: plan.keepOthers });
    await writeW(model.generator, edited, plan, target, ctx);
  } finally {
    model.dispose();
  }
}

/**
 * `--set` on a model without encoders but with value regressors (`gan-control directions --method
 * regression`): the seed's sampled w, each requested attribute set in turn by the residual edit
 * w + E_k(y*) − E_k(ŷ_k) (ŷ_k measured on the current image, so the rest of the seed is kept), rendered.
 * Values of an attribute left out of a partial `--set` keep their measured value.
 */
async function generateWithRegressors(
  where: { path: string; label: string },
  plan: GeneratePlan,
  target: ReturnType<typeof prepareOut>,
  ctx: Context,
): Promise<void> {
  if (plan.sweep)
    throw usageError('--sweep goes through the encoders; with value regressors give one --set per call, or sweep with several calls');
  if (plan.keep.length)
    throw usageError("--keep holds a latent group of the encoders' partition; a regressor edits the whole w (leave --keep out)");
  await prepareBackend(ctx);
  const enc = await import('@gan-control/encoders');
  const model = await loadModel(where);
  const release: (() => void)[] = [() => model.dispose()];
  try {
    const regressors = await enc.loadEncoders(join(model.dir, enc.REGRESSION_FOLDER));
    release.push(() => regressors.forEach((r) => r.dispose()));
    const requests = Object.entries(plan.set).map(([name, v]) => {
      const r = regressors.find((x) => x.attribute === name);
      if (!r)
        throw new CliError(
          'CLI_UNKNOWN_ATTRIBUTE',
          `unknown attribute '${name}' in --set: model ${where.label} has value regressors for ${regressors.map((x) => `${x.attribute} (${x.values.map((u) => u.name).join(', ')})`).join(', ') || 'nothing'}`,
        );
      const fields = typeof v === 'number' ? (r.values.length === 1 ? { [r.values[0].name]: v } : undefined) : v;
      if (!fields)
        throw new CliError(
          'CLI_BAD_VALUE',
          `--set ${name}=${v}: '${name}' has ${r.values.length} values (${r.values.map((u) => u.name).join(', ')}); set them by name, e.g. --set ${name}.${r.values[0].name}=…`,
        );
      for (const f of Object.keys(fields)) {
        if (!r.values.some((u) => u.name === f))
          throw new CliError(
            'CLI_UNKNOWN_ATTRIBUTE',
            `--set ${name}.${f}: '${name}' has the values ${r.values.map((u) => u.name).join(', ')}`,
          );
      }
      return { regressor: r, fields };
    });
    const runtimes = await loadModelAttributes(
      model,
      ctx,
      requests.map((q) => q.regressor.attribute),
    );
    release.push(() => Object.values(runtimes).forEach((a) => a.dispose()));
    ctx.info(
      `note: model ${where.label} has no encoders: --set goes through its value regressors (${enc.REGRESSION_FOLDER}/, the residual edit: the rest of each seed kept)`,
    );
    const D = model.generator.wDim;
    let w = await sampleW(model.generator, plan.seed, plan.count, plan.truncation);
    for (const { regressor, fields } of requests) {
      const images = await renderW(model.generator, w);
      let measured: Record<string, Float32Array>;
      try {
        measured = await measureAll({ [regressor.attribute]: runtimes[regressor.attribute] }, images);
      } finally {
        images.dispose();
      }
      const V = regressor.values.length;
      const next = new Float32Array(w.length);
      for (let i = 0; i < plan.count; i++) {
        const now = Array.from(measured[regressor.attribute].subarray(i * V, i * V + V));
        const row = regressor.values.map((u, c) => fields[u.name] ?? now[c]);
        next.set(enc.regressionEdit(regressor, w.subarray(i * D, (i + 1) * D), [row], { mode: 'residual', measured: now }), i * D);
      }
      w = next;
    }
    await writeW(model.generator, w, plan, target, ctx);
  } finally {
    for (const r of release.reverse()) r();
  }
}

/** Renders one image per w row (`[count·wDim]`) and writes them in a near-square grid (or a folder). */
async function writeW(
  generator: LoadedModel['generator'],
  w: Float32Array,
  plan: GeneratePlan,
  target: ReturnType<typeof prepareOut>,
  ctx: Context,
): Promise<void> {
  const images = await renderW(generator, w);
  try {
    const cols = Math.ceil(Math.sqrt(plan.count));
    await writeImages({ images, rows: Math.ceil(plan.count / cols), cols, columnLabels: [] }, plan, target, ctx);
  } finally {
    images.dispose();
  }
}

/** Writes rendered images as one PNG (a grid when several) or a folder of PNGs. */
async function writeImages(
  {
    images,
    rows,
    cols,
    columnLabels,
  }: { images: import('@tensorflow/tfjs-core').Tensor4D; rows: number; cols: number; columnLabels: string[] },
  plan: GeneratePlan,
  target: ReturnType<typeof prepareOut>,
  ctx: Context,
): Promise<void> {
  const { tensorToPng, tensorToPngs, writeFileAtomic } = await import('@gan-control/tensor-io/node');
  ensureOut(target);
  const [, h, w] = images.shape;
  if (target.kind === 'file') {
    const png = await tensorToPng(images, images.shape[0] === 1 ? {} : { grid: { rows, cols } });
    await writeFileAtomic(target.path, png);
    ctx.out(
      `wrote ${target.path} (${images.shape[0] === 1 ? 'one' : `${rows} × ${cols} grid of`} ${w}×${h} image${images.shape[0] === 1 ? '' : 's'}${plan.sweep ? `; rows: seeds ${plan.seed}…, columns: ${columnLabels.join(', ')}` : ''})`,
    );
  } else {
    const pngs = await tensorToPngs(images);
    for (const [k, png] of pngs.entries()) {
      const r = Math.floor(k / cols);
      const c = k % cols;
      const name = plan.sweep ? `seed${plan.seed}-row${r}-${columnLabels[c]}.png` : `seed${plan.seed}-${k}.png`;
      const path = join(target.path, name);
      await writeFileAtomic(path, png);
      ctx.out(path);
    }
  }
}
