/** A model opened for explicit control: generator + encoders (+ attribute runtimes when needed). */
import type * as tf from '@tensorflow/tfjs-core';
import type { SetRequest } from './args.js';
import type { Context } from './context.js';
import { isGanControlError } from '@gan-control/errors';
import type { OutOfRangeDetails } from '@gan-control/encoders';
import { CliError } from './errors.js';
import { loadModel, loadModelAttributes, resolveModelPath, type LoadedModel, type ModelAttribute } from './model.js';

/** What `generate`, `evaluate` and `demo` use. */
export interface ControlSession {
  label: string;
  model: LoadedModel;
  controller: import('@gan-control/encoders').Controller;
  /** Settable attributes (those with encoders). */
  attributes: ModelAttribute[];
  groups: { name: string; size: number }[];
  /** Attribute runtimes by group, when opened with `measure: true`. */
  runtimes: Record<string, import('@gan-control/contrastive-loss').Attribute>;
  generate(opts: { set: SetRequest; keep: string[]; seed: number; count: number; truncation: number; extrapolate?: boolean }): {
    images: tf.Tensor4D;
  };
  dispose(): void;
}

/**
 * The CLI's wording of an encoder's `ENCODERS_VALUE_OUT_OF_RANGE` error, built from its `details`
 * (`'color': hue = 400 ° (supported [0, 360])`), or `undefined` for any other error.
 *
 * @example
 * catch (err) { throw outOfRangeError(err, 'request a value inside it, or pass --extrapolate') ?? err; }
 */
export function outOfRangeError(err: unknown, hint: string): CliError | undefined {
  if (!isGanControlError(err, 'ENCODERS_VALUE_OUT_OF_RANGE')) return undefined;
  const details = err.details as OutOfRangeDetails | undefined;
  if (!details?.values?.length) return undefined;
  const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toPrecision(4));
  const values = details.values.map((v) => `${v.name} = ${fmt(v.value)} ${v.unit} (supported [${fmt(v.range[0])}, ${fmt(v.range[1])}])`);
  return new CliError('CLI_VALUE_OUT_OF_RANGE', `value out of range: '${details.attribute}': ${values.join('; ')}: ${hint}`, {
    cause: err,
    details: { ...details },
  });
}

/** Refuses an encoder whose weights hold NaN or ±Infinity (it would steer every image to garbage). */
async function assertFiniteEncoder(
  e: { attribute: string; group: string; weights?: () => Record<string, tf.Tensor> },
  dir: string,
): Promise<void> {
  if (typeof e.weights !== 'function') return;
  const weights = e.weights();
  try {
    for (const [name, t] of Object.entries(weights)) {
      const data = await t.data();
      const i = data.findIndex((x) => !Number.isFinite(x));
      if (i >= 0) {
        throw new CliError(
          'CLI_MODEL_CORRUPT',
          `corrupt encoder '${e.attribute}' in ${dir}: weight '${name}' holds ${data[i]} (element ${i}); restore ${e.group}.safetensors or retrain the encoders (gan-control encoders)`,
        );
      }
    }
  } finally {
    for (const t of Object.values(weights)) t.dispose();
  }
}

/** The Controller's layout: the generator's own groups, or (plain StyleGAN2, no partitioned mapping) one uncontrolled group. */
export function controllerLayout(generator: LoadedModel['generator']): { groups: { name: string; size: number }[] } | undefined {
  return generator.groups ? undefined : { groups: [{ name: 'latent', size: generator.zDim }] };
}

/**
 * Loads a model and its encoders into a Controller. With `measure`, the model's attribute plugins
 * are set up too (needed by `evaluate`, and to fill values left out of a partial `--set`); a list
 * of latent groups sets up only those.
 *
 * @example
 * const session = await openControl('shapes', ctx, { measure: false });
 */
export async function openControl(
  spec: string | { path: string; label: string },
  ctx: Context,
  options: { measure: boolean | ((attributes: ModelAttribute[]) => boolean | readonly string[]) },
): Promise<ControlSession> {
  const where = typeof spec === 'string' ? resolveModelPath(spec, ctx.cwd) : spec;
  const model = await loadModel(where);
  let runtimes: ControlSession['runtimes'] = {};
  // The encoders belong to the controller once it is made; until then (a plugin or the controller
  // itself refusing them) they are released here.
  let encoders: import('@gan-control/encoders').AttributeEncoder[] = [];
  let owned = false;
  try {
    const enc = await import('@gan-control/encoders');
    encoders = model.encodersDir ? await enc.loadEncoders(model.encodersDir) : [];
    for (const e of encoders) await assertFiniteEncoder(e, model.encodersDir!);
    const attributes = encoders.map((e) => ({
      name: e.attribute,
      group: e.group,
      values: e.values.map((v) => ({ name: v.name, unit: v.unit, range: v.range })),
    }));
    const wanted = typeof options.measure === 'function' ? options.measure(attributes) : options.measure;
    const measure = typeof wanted === 'boolean' ? wanted : wanted.length > 0;
    if (measure) runtimes = await loadModelAttributes(model, ctx, typeof wanted === 'boolean' ? undefined : wanted);
    const controller = new enc.Controller({
      generator: model.generator,
      layout: controllerLayout(model.generator),
      encoders,
      attributes: measure ? runtimes : undefined,
    });
    owned = true;
    return {
      label: where.label,
      model,
      controller,
      attributes,
      groups: model.groups,
      runtimes,
      generate({ set, keep, seed, count, truncation, extrapolate = false }) {
        try {
          const r = controller.generate({
            set,
            keep,
            seed,
            count,
            truncation: truncation === 1 ? undefined : truncation,
            fill: measure ? 'measured' : 'mean',
            outOfRange: extrapolate ? 'allow' : 'error',
          });
          r.ws.dispose();
          return { images: r.images };
        } catch (err) {
          throw (
            outOfRangeError(
              err,
              'the encoder was trained on that range of generated images; request a value inside it, or pass --extrapolate to go beyond it',
            ) ?? err
          );
        }
      },
      dispose() {
        controller.dispose();
        for (const a of Object.values(runtimes)) a.dispose();
        model.dispose();
      },
    };
  } catch (err) {
    if (!owned) for (const e of encoders) e.dispose();
    for (const a of Object.values(runtimes)) a.dispose();
    model.dispose();
    throw err;
  }
}
