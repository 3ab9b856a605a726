/**
 * Models on disk and `--model <bundled name | path>`: the CLI's side of model folders.
 *
 * A model folder is what `@gan-control/trainer` exports (`train()` writes `<run>/model/`), what
 * `gan-control convert` writes, and what ships as `shapes`. Its format — the model.json schema,
 * the reader (checksums, finite weights, tensor names, layout order, names kept inside the folder)
 * and the writer — is the model-folder module of `@gan-control/stylegan2`; this file adds what
 * only the CLI decides: bundled model names, which plugins a folder may name (`loadModelAttributes`),
 * links checked synchronously before any work starts, and the messages with what to do.
 */
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readFileSync, readSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import {
  checkFolderName,
  MODEL_FILE,
  parseModelManifest,
  readModelFolder,
  safetensorsFramingProblem,
  type ModelManifest,
  type StyleGenerator,
} from '@gan-control/stylegan2';
import type { SetRequest } from './args.js';
import type { Context } from './context.js';
import { CliError, formatZodIssues } from './errors.js';
import { loadPlugin, manifestSchema, resolvePlugin, type BuiltinPackage } from './plugins.js';

/** Models that ship with the CLI, addressable by name. */
export const BUNDLED_MODELS: Record<string, { packageName: string; folder: string; description: string }> = {
  shapes: {
    packageName: '@gan-control/domain-shapes',
    folder: 'model',
    description: 'coloured shapes, 32 px: color (hue), position (x, y), size',
  },
};

// The format itself (schema, reader, writer) is @gan-control/stylegan2's model-folder module.
export { MODEL_FILE };
export type { ModelManifest };

/**
 * A model-folder error of the library as the CLI reports it: a path that leaves the folder is
 * `CLI_MODEL_UNSAFE_PATH`, anything else wrong with the files `CLI_MODEL_CORRUPT`, each with what
 * to do; schema errors are listed by field path. Other errors pass through.
 */
export function modelFolderError(err: unknown, dir: string): unknown {
  const e = err as Error & { code?: unknown };
  const code = typeof e?.code === 'string' ? e.code : '';
  const text = (m: string) => m.replace(/\s*\n\s*/g, ' ');
  if (code === 'MODEL_FOLDER_UNSAFE_PATH')
    return new CliError('CLI_MODEL_UNSAFE_PATH', `unsafe model ${text(e.message)}; restore the file or re-export the model`, {
      cause: err,
    });
  if (code === 'MODEL_FOLDER_INVALID') {
    const issues = (e.cause as { issues?: { path: PropertyKey[]; message: string }[] } | undefined)?.issues;
    const file = (e as { details?: { file?: unknown } }).details?.file ?? join(dir, MODEL_FILE);
    if (issues) return new CliError('CLI_MODEL_CORRUPT', `invalid model ${file}: ${formatZodIssues(issues)}`, { cause: err });
    return new CliError('CLI_MODEL_CORRUPT', `corrupt model ${text(e.message)}; restore it or re-export the model`, { cause: err });
  }
  if (/^(MODEL_FOLDER_|STYLEGAN2_|GAN_CONTROL_|SAFETENSORS_)/.test(code)) {
    return new CliError('CLI_MODEL_CORRUPT', `corrupt model ${dir}: ${text(e.message)}; restore the file or re-export the model`, {
      cause: err,
    });
  }
  return err;
}

/** A model's display name: its `name`, its training config's name, or its folder. */
export function modelName(manifest: ModelManifest, dir: string): string {
  const training = (manifest as Record<string, unknown>).training as { name?: unknown } | undefined;
  return manifest.name ?? (typeof training?.name === 'string' ? training.name : basename(dir));
}

/** One controllable attribute of a loaded model. */
export interface ModelAttribute {
  name: string;
  group: string;
  values: { name: string; unit: string; range?: readonly [number, number] }[];
}

/** The generator of a loaded model: either StyleGAN2 stack, through the one interface they share. */
export type InferenceGenerator = StyleGenerator;

/** A loaded model. */
export interface LoadedModel {
  label: string;
  dir: string;
  manifest: ModelManifest;
  generator: InferenceGenerator;
  groups: { name: string; size: number }[];
  /** Encoders' folder, when it holds encoders. */
  encodersDir?: string;
  dispose(): void;
}

/** Finds the folder of a bundled model (inside its package, found from the CLI's own location). */
export function bundledModelDir(name: string): string | undefined {
  const entry = BUNDLED_MODELS[name];
  if (!entry) return undefined;
  const require = createRequire(import.meta.url);
  try {
    return join(dirname(require.resolve(`${entry.packageName}/package.json`)), entry.folder);
  } catch {
    return undefined;
  }
}

/** Packages compiled into the CLI whose plugins load from the bundle (their manifests are read from disk). */
export function builtinPackages(): BuiltinPackage[] {
  const require = createRequire(import.meta.url);
  const out: BuiltinPackage[] = [];
  try {
    const pkg = JSON.parse(readFileSync(require.resolve('@gan-control/domain-shapes/package.json'), 'utf8')) as { ganControl?: unknown };
    const manifest = manifestSchema.safeParse(pkg.ganControl);
    if (manifest.success) {
      out.push({
        packageName: '@gan-control/domain-shapes',
        manifest: manifest.data,
        load: async () => (await import('@gan-control/domain-shapes')) as unknown as Record<string, unknown>,
      });
    }
  } catch {
    // Not installed next to the CLI: its plugins then resolve from the user's project only.
  }
  return out;
}

/** `--model` → an absolute path (bundled names first), or a clear error. */
export function resolveModelPath(spec: string, cwd: string): { path: string; label: string } {
  if (spec in BUNDLED_MODELS) {
    const dir = bundledModelDir(spec);
    if (!dir || !existsSync(join(dir, MODEL_FILE))) {
      throw new CliError(
        'CLI_MODEL_NOT_FOUND',
        `the bundled model '${spec}' is not in this installation (looked for ${dir ? join(dir, MODEL_FILE) : `${BUNDLED_MODELS[spec].packageName}/${BUNDLED_MODELS[spec].folder}`}); reinstall gan-control, or train one (gan-control train --preset shapes-32 --out runs/shapes, then gan-control encoders --model runs/shapes/model) and pass --model runs/shapes/model`,
      );
    }
    return { path: dir, label: spec };
  }
  const path = resolve(cwd, spec);
  if (!existsSync(path)) {
    throw new CliError(
      'CLI_MODEL_NOT_FOUND',
      `model '${spec}' not found: ${path} does not exist; pass a bundled model (${Object.keys(BUNDLED_MODELS).join(', ')}) or a model folder written by 'gan-control train' or 'gan-control convert'`,
    );
  }
  // Fail on a broken model.json now, before a backend starts or weights load.
  readModelManifest(path);
  return { path, label: spec };
}

/** The error text for a model without encoders (a bundled one cannot be trained in place). */
export function noEncoders(where: { path: string; label: string }): string {
  return where.label in BUNDLED_MODELS
    ? `the bundled model '${where.label}' has no encoders in this installation, so nothing can be set by value; train them on a copy: cp -r ${where.path} my-model && gan-control encoders --model my-model`
    : `model ${where.label} has no encoders, so nothing can be set by value; train them first: gan-control encoders --model ${where.label}`;
}

/** Reads and validates `<dir>/model.json` (`parseModelManifest`), its file names checked inside the folder, links included. */
export function readModelManifest(path: string): { dir: string; manifest: ModelManifest } {
  const dir = existsSync(path) && statSync(path).isDirectory() ? path : dirname(path);
  const file = join(dir, MODEL_FILE);
  if (!existsSync(file)) {
    throw new CliError(
      'CLI_MODEL_INVALID',
      `${path} is not a gan-control model: ${file} is missing; pass a model folder written by 'gan-control train' or 'gan-control convert' (convert imports official checkpoints)`,
    );
  }
  // A model.json linked to a file elsewhere would be read, and JSON.parse quotes what it read.
  insideFolder(dir, MODEL_FILE, 'model.json', file);
  let manifest: ModelManifest;
  try {
    manifest = parseModelManifest(readFileSync(file, 'utf8'), file);
  } catch (err) {
    throw modelFolderError(err, dir);
  }
  insideFolder(dir, manifest.weights, `"weights"`, file);
  insideFolder(dir, manifest.encoders, `"encoders"`, file);
  return { dir, manifest };
}

/**
 * Resolves a file name that a model folder's own JSON gives (model.json `weights` and `encoders`,
 * an encoder's `weights`) and checks that it stays inside `dir`: relative, no `..`, and, where it
 * exists, not a link out of the folder. A downloaded folder can then only make the CLI read its
 * own files.
 *
 * @example
 * const weights = insideFolder(dir, manifest.weights, '"weights"', join(dir, 'model.json'));
 */
export function insideFolder(dir: string, name: string, field: string, file: string): string {
  const fail = (why: string) =>
    new CliError(
      'CLI_MODEL_UNSAFE_PATH',
      `unsafe model ${file}: ${field} '${name}' ${why}; a model folder may only name files inside itself (relative names without '..'); restore the file or re-export the model`,
    );
  try {
    checkFolderName(name, field, file);
  } catch (err) {
    throw modelFolderError(err, dir);
  }
  const path = resolve(dir, name);
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return path; // missing: the read that follows says so
  }
  const rel = relative(realpathSync(dir), real);
  if (rel.startsWith('..') || isAbsolute(rel)) throw fail(`is a link to ${real}, outside the folder`);
  return path;
}

/**
 * Checks every encoder JSON of a model's encoders folder before `@gan-control/encoders` reads it:
 * each is valid JSON, the files themselves and the `weights` each names stay inside the folder, and
 * those weights are framed as safetensors.
 */
export function checkEncoderFiles(encodersDir: string): void {
  for (const name of readdirSync(encodersDir).filter((n) => n.endsWith('.json'))) {
    const file = insideFolder(encodersDir, name, 'encoder file', join(encodersDir, name));
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      // The encoders package would skip it; a truncated encoder must not vanish silently.
      throw new CliError(
        'CLI_MODEL_CORRUPT',
        `corrupt encoder ${file}: not valid JSON (${(err as Error).message}); restore it or retrain the encoders (gan-control encoders)`,
      );
    }
    const weights = (json as { weights?: unknown } | null)?.weights;
    if ((json as { format?: unknown } | null)?.format !== 'gan-control-encoder' || typeof weights !== 'string') continue;
    const path = insideFolder(encodersDir, weights, `"weights"`, file);
    // Checked here so the reader's error, which quotes the header length, never sees a non-safetensors file.
    const problem = fileFramingProblem(path);
    if (problem)
      throw new CliError(
        'CLI_MODEL_CORRUPT',
        `corrupt encoder ${file}: its weights ${path} are ${problem}; restore the file or retrain the encoders (gan-control encoders)`,
      );
  }
}

export { safetensorsFramingProblem };

/** `safetensorsFramingProblem` of a file from its first 9 bytes and its size (unreadable: left to the reader). */
function fileFramingProblem(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const head = new Uint8Array(9);
    const got = readSync(fd, head, 0, 9, 0);
    return safetensorsFramingProblem(head.subarray(0, got), fstatSync(fd).size);
  } finally {
    closeSync(fd);
  }
}

/**
 * Loads a model folder's generator through the library's one reader (`readModelFolder`: checksums,
 * finite weights, every tensor name, the layout's group order) and finds its encoders.
 *
 * @example
 * const model = await loadModel(resolveModelPath('shapes', process.cwd()));
 */
export async function loadModel({ path, label }: { path: string; label: string }): Promise<LoadedModel> {
  const { dir } = readModelManifest(path);
  let folder: Awaited<ReturnType<typeof readModelFolder>>;
  try {
    folder = await readModelFolder(dir);
  } catch (err) {
    throw modelFolderError(err, dir);
  }
  const { manifest } = folder;
  const generator: InferenceGenerator = folder.generator;
  const groups = folder.groups.map((g) => ({ name: g.name, size: g.size }));
  const encodersDir = join(dir, manifest.encoders);
  const hasEncoders = existsSync(encodersDir) && statSync(encodersDir).isDirectory();
  if (hasEncoders) {
    try {
      checkEncoderFiles(encodersDir);
    } catch (err) {
      generator.dispose();
      throw err;
    }
  }
  return {
    label,
    dir,
    manifest,
    generator,
    groups,
    encodersDir: hasEncoders ? encodersDir : undefined,
    dispose: () => generator.dispose(),
  };
}

/** A package spec (`name`, `@scope/name`, either with `:attribute`): what a model folder may name as a plugin. */
const PACKAGE_SPEC = /^(?:@[\w-][\w.-]*\/)?[\w-][\w.-]*(?::[A-Za-z_][\w-]*)?$/;

/**
 * Whether a model.json `plugin` is a package spec the CLI may load (not a path or URL).
 *
 * @example
 * isPackageSpec('@gan-control/attribute-pose'); // true
 * isPackageSpec('./x.mjs'); // false
 */
export function isPackageSpec(spec: string): boolean {
  return PACKAGE_SPEC.test(spec);
}

/**
 * Sets up the model's attribute plugins (for measuring), bound by latent group.
 *
 * Trust model: a model folder is data. Its `attributes[].plugin` may only name an installed plugin
 * package (one whose package.json has a `ganControl` field) or one bundled with the CLI; a path or
 * URL is never imported (`CLI_PLUGIN_UNTRUSTED`), whatever it points at. Code from a path runs only
 * when the user names it: `plugins` (default `ctx.plugins`, the `--plugin <attribute>=<package|path>`
 * flags) replaces what model.json says for that attribute.
 *
 * @example
 * const runtimes = await loadModelAttributes(model, ctx, undefined, new Map([['brightness', './my-plugin']]));
 */
export async function loadModelAttributes(
  model: Pick<LoadedModel, 'dir' | 'label' | 'manifest'>,
  ctx: Context,
  only?: readonly string[],
  plugins: ReadonlyMap<string, string> = ctx.plugins ?? new Map(),
): Promise<Record<string, import('@gan-control/contrastive-loss').Attribute>> {
  const names = model.manifest.attributes.map((a) => a.name);
  for (const group of plugins.keys()) {
    if (!names.includes(group)) {
      throw new CliError(
        'CLI_UNKNOWN_ATTRIBUTE',
        `--plugin ${group}=…: model ${model.label} has no attribute '${group}'; its attributes are ${names.join(', ') || 'none'}`,
      );
    }
  }
  const { createAttribute } = await import('@gan-control/contrastive-loss');
  const builtins = builtinPackages();
  const out: Record<string, import('@gan-control/contrastive-loss').Attribute> = Object.create(null);
  try {
    for (const entry of model.manifest.attributes) {
      if (only && !only.includes(entry.name)) continue;
      const given = plugins.get(entry.name);
      let resolved: ReturnType<typeof resolvePlugin>;
      if (given !== undefined) {
        resolved = resolvePlugin(given, ctx.cwd, builtins);
        resolved.attribute ??= entry.name;
      } else {
        resolved = resolveModelPlugin(entry, model, ctx.cwd, builtins);
      }
      const plugin = await loadPlugin(resolved, builtins);
      out[entry.name] = await createAttribute(plugin as never, entry.options as never);
    }
  } catch (err) {
    for (const a of Object.values(out)) a.dispose();
    throw err;
  }
  return out;
}

/** Resolves the plugin a model.json entry names, refusing anything but an installed or bundled plugin package. */
function resolveModelPlugin(
  entry: { name: string; plugin?: string },
  model: Pick<LoadedModel, 'dir'>,
  cwd: string,
  builtins: readonly BuiltinPackage[],
): ReturnType<typeof resolvePlugin> {
  const file = join(model.dir, MODEL_FILE);
  const spec = entry.plugin ?? entry.name;
  const trustHint = `if you trust it, name it yourself: --plugin ${entry.name}=<package or path>, or install it (npm install <its folder>) and name the package in model.json`;
  if (!isPackageSpec(spec)) {
    throw new CliError(
      'CLI_PLUGIN_UNTRUSTED',
      `${file}: attribute '${entry.name}' names the plugin '${spec}', which is a path, not an installed package; a model folder may only name installed plugin packages, so opening one never runs code from it. Nothing was imported; ${trustHint}`,
    );
  }
  const resolved = resolvePlugin(spec, cwd, builtins);
  if (!resolved.manifest) {
    throw new CliError(
      'CLI_PLUGIN_UNTRUSTED',
      `${file}: attribute '${entry.name}' names '${spec}', which resolves to ${resolved.source}, a package without a "ganControl" field in its package.json (not an attribute-plugin package); nothing was imported; ${trustHint}`,
    );
  }
  // Run from inside the folder, Node's lookup would find a node_modules shipped with it.
  if (!resolved.entry.startsWith('builtin:') && isInside(resolved.entry, model.dir)) {
    throw new CliError(
      'CLI_PLUGIN_UNTRUSTED',
      `${file}: attribute '${entry.name}' names '${spec}', which resolves to ${resolved.entry}, inside the model folder itself (a node_modules that came with it), not a package installed in your project; nothing was imported; ${trustHint}`,
    );
  }
  if (!entry.plugin) resolved.attribute ??= entry.name;
  return resolved;
}

/** Whether `path` is inside `dir`, links resolved. */
function isInside(path: string, dir: string): boolean {
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return resolve(p);
    }
  };
  const rel = relative(real(dir), real(path));
  return rel === '' || !(rel.startsWith('..') || isAbsolute(rel));
}

/** Checks `--set`/`--sweep`/`--keep` names against the model, listing what it supports. */
export function checkRequest(
  model: { label: string; attributes: ModelAttribute[]; groups: { name: string }[] },
  plan: { set: SetRequest; keep: string[]; sweep?: { attribute: string; field?: string } },
): void {
  const describe = () =>
    model.attributes.length
      ? model.attributes.map((a) => `${a.name} (${a.values.map((v) => `${v.name} in ${v.unit}`).join(', ')})`).join('; ')
      : 'nothing (it has no encoders; train them with gan-control encoders)';
  const check = (flag: string, attribute: string, field?: string) => {
    const attr = model.attributes.find((a) => a.name === attribute || a.group === attribute);
    if (!attr)
      throw new CliError(
        'CLI_UNKNOWN_ATTRIBUTE',
        `unknown attribute '${attribute}' in ${flag}: model ${model.label} controls ${describe()}`,
      );
    if (field !== undefined && !attr.values.some((v) => v.name === field)) {
      throw new CliError(
        'CLI_UNKNOWN_ATTRIBUTE',
        `unknown value '${attribute}.${field}' in ${flag}: '${attribute}' has ${attr.values.map((v) => v.name).join(', ')}`,
      );
    }
    if (field === undefined && attr.values.length > 1) {
      throw new CliError(
        'CLI_BAD_VALUE',
        `${flag} ${attribute}=…: '${attribute}' has ${attr.values.length} values (${attr.values
          .slice(0, 4)
          .map((v) => v.name)
          .join(', ')}${attr.values.length > 4 ? ', …' : ''}); set them by name, e.g. ${flag} ${attribute}.${attr.values[0].name}=…`,
      );
    }
  };
  for (const [attribute, value] of Object.entries(plan.set)) {
    if (typeof value === 'number') check('--set', attribute);
    else for (const field of Object.keys(value)) check('--set', attribute, field);
  }
  if (plan.sweep) check('--sweep', plan.sweep.attribute, plan.sweep.field);
  for (const k of plan.keep) {
    if (!model.groups.some((g) => g.name === k) && !model.attributes.some((a) => a.name === k)) {
      throw new CliError(
        'CLI_UNKNOWN_ATTRIBUTE',
        `unknown latent group '${k}' in --keep: model ${model.label} has ${model.groups.map((g) => g.name).join(', ')}`,
      );
    }
  }
}
