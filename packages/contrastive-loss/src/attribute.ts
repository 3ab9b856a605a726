import { z } from 'zod';
import { formatZodIssues } from '@gan-control/latent';
import { ContrastiveLossError } from './errors.js';
import { PLUGIN_API_VERSION, type Attribute, type AttributePlugin, type PluginOptions } from './contract.js';
import { DISTANCE_NAMES, isDistance } from './distances.js';

const fn = (what: string) => z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', `must be a function (${what})`);
const finite = z.number({ error: 'must be a finite number' }).refine(Number.isFinite, 'must be a finite number');
const distance = z.custom((v) => isDistance(v), `must be one of ${DISTANCE_NAMES.join(', ')} or a function (features) => [B, B]`);
const weight = finite.refine((v) => v >= 0, 'must be ≥ 0');

const layerSpecSchema = z.object({
  tauPlus: finite,
  tauMinus: finite,
  weight,
  focus: z.enum(['same_as_last_layer', 'not_same_as_last_layer']).optional(),
  distance: distance.optional(),
});

/** What `validateAttribute` checks (shapes of fields; the tensors are checked when used). */
const attributeSchema = z.object({
  name: z.string().min(1, 'must be a non-empty string').optional(),
  latentSize: z.number().int('must be an integer').positive('must be > 0'),
  embed: fn('images [B, H, W, C] → features'),
  distance,
  thresholds: z.object({ tauPlus: finite, tauMinus: finite }),
  weight,
  intermediateLayers: z.array(layerSpecSchema).optional(),
  measure: fn('images → [B, V]').optional(),
  values: z.array(z.object({ name: z.string().min(1), unit: z.string(), range: z.tuple([finite, finite]).optional() })).optional(),
  dispose: fn('releases weights'),
});

const pluginSchema = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/i, 'must be a non-empty name of letters, digits, _ or - (used in CLI flags)'),
  version: z.string().min(1, 'must be a version string such as "1.0.0"'),
  apiVersion: z.number({ error: `must be a number (this core implements ${PLUGIN_API_VERSION})` }),
  options: z.custom(
    (v) => typeof (v as { safeParse?: unknown } | null)?.safeParse === 'function',
    'must be a zod schema (for example z.object({...}))',
  ),
  setup: fn('async (options) => Attribute'),
  description: z.string().optional(),
});

/**
 * Checks that `plugin` is a well-formed {@link AttributePlugin} for this core. Throws
 * `GanControlError` `PLUGIN_INVALID` (fields by path) or `PLUGIN_API_VERSION`.
 *
 * @example
 * ```ts
 * validatePlugin(meanColourPlugin); // throws when a field is missing or apiVersion differs
 * ```
 */
export function validatePlugin(plugin: unknown): asserts plugin is AttributePlugin {
  const label = typeof (plugin as { name?: unknown } | null)?.name === 'string' ? `"${(plugin as { name: string }).name}"` : '(unnamed)';
  const result = pluginSchema.safeParse(plugin);
  if (!result.success) {
    throw new ContrastiveLossError(
      'PLUGIN_INVALID',
      `Attribute plugin ${label} is not a valid plugin object:\n${formatZodIssues(result.error.issues)}\nA plugin is { name, version, apiVersion: ${PLUGIN_API_VERSION}, options: zodSchema, setup(options) }; see "Writing an attribute plugin" in the @gan-control/contrastive-loss README.`,
      { details: { plugin: label } },
    );
  }
  const p = plugin as AttributePlugin;
  if (p.apiVersion !== PLUGIN_API_VERSION) {
    throw new ContrastiveLossError(
      'PLUGIN_API_VERSION',
      `Attribute plugin "${p.name}"@${p.version} was written for plugin API ${p.apiVersion}, but this @gan-control/contrastive-loss implements API ${PLUGIN_API_VERSION}. ` +
        (p.apiVersion > PLUGIN_API_VERSION
          ? 'Upgrade @gan-control/contrastive-loss.'
          : `Use a version of "${p.name}" written for API ${PLUGIN_API_VERSION}.`),
      { details: { plugin: p.name, apiVersion: p.apiVersion, expected: PLUGIN_API_VERSION } },
    );
  }
}

/**
 * Checks an attribute runtime (what `setup` returns, or a hand-made one). Throws
 * `GanControlError` `ATTRIBUTE_INVALID` listing every bad field by path.
 *
 * @example
 * ```ts
 * validateAttribute(runtime, 'my-plugin');
 * ```
 */
export function validateAttribute(attribute: unknown, source = 'attribute'): asserts attribute is Attribute {
  const result = attributeSchema.safeParse(attribute);
  const problems = result.success ? [] : [...result.error.issues];
  const a = attribute as Partial<Attribute> | null;
  if (result.success && a?.measure && !a.values) {
    problems.push({ path: ['values'], message: 'is required when measure is given (name and unit of each column)' } as never);
  }
  if (problems.length) {
    throw new ContrastiveLossError(
      'ATTRIBUTE_INVALID',
      `${source} returned an invalid attribute runtime:\n${formatZodIssues(problems)}\nSee the Attribute interface in @gan-control/contrastive-loss (contract.ts).`,
      { details: { source } },
    );
  }
}

/**
 * Validates `options` against the plugin's zod schema (defaults applied), checks the plugin's
 * `apiVersion`, runs `setup` and returns the checked runtime, with `name` filled in from the
 * plugin when the runtime omits it.
 *
 * Errors (`GanControlError`): `PLUGIN_INVALID`, `PLUGIN_API_VERSION`,
 * `PLUGIN_OPTIONS_INVALID` (each bad option by field path, naming the plugin),
 * `PLUGIN_SETUP_FAILED` (setup threw; the original error is the `cause`), `ATTRIBUTE_INVALID`.
 *
 * @example
 * ```ts
 * import meanColour from './mean-colour.js';
 * const attribute = await createAttribute(meanColour, { weight: 0.5 });
 * const features = attribute.embed(images);
 * attribute.dispose();
 * ```
 */
export async function createAttribute<P extends AttributePlugin>(plugin: P, options?: PluginOptions<P>): Promise<Attribute> {
  validatePlugin(plugin);
  const parsed = plugin.options.safeParse(options ?? {});
  if (!parsed.success) {
    throw new ContrastiveLossError(
      'PLUGIN_OPTIONS_INVALID',
      `Invalid options for attribute plugin "${plugin.name}":\n${formatZodIssues(parsed.error.issues)}`,
      { details: { plugin: plugin.name, issues: parsed.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })) } },
    );
  }
  let runtime: Attribute;
  try {
    runtime = await plugin.setup(parsed.data);
  } catch (error) {
    if (typeof (error as { code?: unknown })?.code === 'string' && error instanceof Error) throw error;
    throw new ContrastiveLossError(
      'PLUGIN_SETUP_FAILED',
      `Attribute plugin "${plugin.name}"@${plugin.version} failed in setup: ${(error as Error)?.message ?? String(error)}`,
      { cause: error, details: { plugin: plugin.name } },
    );
  }
  validateAttribute(runtime, `Attribute plugin "${plugin.name}" setup()`);
  return wrapRuntime(runtime, plugin.name);
}

/** A view of `rt` with `name` set; reads go to `rt` live, methods are called on `rt`. */
function wrapRuntime(rt: Attribute, fallbackName: string): Attribute {
  const name = rt.name ?? fallbackName;
  if (rt.name === name) return rt;
  const view: Attribute = {
    name,
    get latentSize() {
      return rt.latentSize;
    },
    get distance() {
      return rt.distance;
    },
    get thresholds() {
      return rt.thresholds;
    },
    get weight() {
      return rt.weight;
    },
    get intermediateLayers() {
      return rt.intermediateLayers;
    },
    get values() {
      return rt.values;
    },
    embed: (images) => rt.embed(images),
    dispose: () => rt.dispose(),
  };
  if (rt.measure) (view as { measure?: Attribute['measure'] }).measure = (images) => rt.measure!(images);
  return view;
}
