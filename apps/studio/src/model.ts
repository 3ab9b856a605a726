/**
 * Opens a model folder in the page: the generator, its encoders and (where the browser has them)
 * the attribute plugins that measure generated images. Everything goes through the libraries'
 * public main entries; this file only finds the files (a URL folder or files picked from disk).
 *
 * A model folder is what `gan-control train`, `gan-control encoders` and `gan-control convert`
 * write, read here by the one model-folder reader (`readModelFolder` of @gan-control/stylegan2:
 * model.json validated, checksums, finite weights, tensor names, layout order) plus
 * `<encoders>/<group>.json` + `.safetensors` per controlled group. A URL folder has no listing, so encoders are looked up by
 * the latent groups' names, as `saveEncoder` names them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createAttribute, type Attribute, type AttributePlugin } from '@gan-control/contrastive-loss';
import { shapesPlugins } from '@gan-control/domain-shapes';
import { Controller, encoderFromWeights, encoderMetadataSchema, type EncoderLike } from '@gan-control/encoders';
import { checkFolderName, readModelFolder, type StyleGenerator } from '@gan-control/stylegan2';
import { entryToTensor, isNotFound, joinLocation, readBytes, readSafetensors, readText } from '@gan-control/tensor-io';

/** Where a model folder's files come from. */
export interface ModelSource {
  /** What the page shows as the model's origin (a URL or a folder name). */
  readonly label: string;
  /** A URL that reopens this model (undefined for files from disk). */
  readonly url?: string;
  bytes(name: string): Promise<Uint8Array>;
  text(name: string): Promise<string>;
}

/**
 * A model folder behind a URL (relative to the page, or absolute): files are fetched. `page` is
 * the address a relative URL is read against (a worker passes the page's own).
 */
export function urlSource(base: string, page: string | undefined = globalThis.location?.href): ModelSource {
  const folder = new URL(base.endsWith('/') ? base : `${base}/`, page).href;
  return {
    label: base,
    url: base,
    bytes: (name) => readBytes(joinLocation(folder, name)),
    text: (name) => readText(joinLocation(folder, name)),
  };
}

/**
 * A model folder picked from disk (`<input webkitdirectory>` or a dropped folder): files keyed by
 * their path inside the folder. A path given with the folder's own name first is accepted too.
 */
export function fileSource(label: string, files: ReadonlyMap<string, Blob>): ModelSource {
  const find = (name: string): Blob => {
    const f = files.get(name);
    if (f) return f;
    const err = new Error(`${label}/${name} is not in the opened folder`) as Error & { code: string };
    err.code = 'LOCATION_NOT_FOUND';
    throw err;
  };
  return {
    label,
    bytes: async (name) => new Uint8Array(await find(name).arrayBuffer()),
    text: async (name) => find(name).text(),
  };
}

/**
 * A model source as data, so that it can be posted to a worker (which opens its own copy of the
 * model to project images): a URL read against `page`, or picked files (Files clone across).
 */
export type SourceSpec =
  { readonly url: string; readonly page: string } | { readonly label: string; readonly files: ReadonlyMap<string, Blob> };

/** The source a spec describes. */
export function sourceOf(spec: SourceSpec): ModelSource {
  return 'url' in spec ? urlSource(spec.url, spec.page) : fileSource(spec.label, spec.files);
}

/** One value of a controllable attribute, as its encoder was trained. */
export interface ValueInfo {
  readonly name: string;
  readonly unit: string;
  readonly range: readonly [number, number];
  readonly circular: boolean;
  /** The encoder's training mean (linear values) or the mid-range (circular ones). */
  readonly mean: number;
}

/** An attribute the studio can set: one encoder, maybe a plugin that measures it. */
export interface ControlAttribute {
  readonly name: string;
  readonly group: string;
  readonly values: readonly ValueInfo[];
  /** The plugin runtime whose `measure` reads the values back from an image, when the browser has it. */
  readonly runtime?: Attribute;
  /** Why there is no runtime (shown instead of the measured value). */
  readonly noMeasure?: string;
}

/** A model opened in the page. */
export interface StudioModel {
  readonly label: string;
  readonly url?: string;
  readonly name: string;
  readonly resolution: number;
  readonly zDim: number;
  readonly generator: StyleGenerator;
  readonly groups: readonly { readonly name: string; readonly size: number; readonly offset: number }[];
  readonly attributes: readonly ControlAttribute[];
  readonly controller: Controller;
  /** Notes for the user (skipped files, plugins that cannot run here). */
  readonly notes: readonly string[];
  dispose(): void;
}

/** Plugins that run in the browser, by `model.json` spec (`name`, `package`, `package:name`). */
const BROWSER_PLUGINS: { packageName: string; plugins: readonly AttributePlugin[] }[] = [
  { packageName: '@gan-control/domain-shapes', plugins: shapesPlugins },
];

function browserPlugin(spec: string): AttributePlugin | undefined {
  const [pkg, name] = spec.includes(':') ? spec.split(':') : spec.startsWith('@') ? [spec, undefined] : [undefined, spec];
  for (const entry of BROWSER_PLUGINS) {
    if (pkg !== undefined && pkg !== entry.packageName) continue;
    const found = entry.plugins.find((p) => p.name === name);
    if (found) return found;
  }
  return undefined;
}

async function tryText(source: ModelSource, name: string): Promise<string | undefined> {
  try {
    return await source.text(name);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

async function loadEncoder(source: ModelSource, file: string, folder: string): Promise<EncoderLike> {
  const json = JSON.parse(await source.text(file)) as Record<string, unknown>;
  const parsed = encoderMetadataSchema.safeParse(json);
  if (!parsed.success)
    throw new Error(
      `${file}: not a gan-control encoder (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})`,
    );
  const weights = `${folder}/${checkFolderName(parsed.data.weights, '"weights"', file)}`;
  const { tensors: entries } = readSafetensors(await source.bytes(weights));
  const tensors: Record<string, tf.Tensor> = {};
  try {
    for (const [name, entry] of Object.entries(entries)) tensors[name] = entryToTensor(entry, `${weights}:${name}`);
    return encoderFromWeights(parsed.data, tensors);
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

/**
 * Opens a model folder: generator, encoders found for its latent groups, and the browser-side
 * plugins of its attributes. The caller disposes the result.
 *
 * @example
 * const model = await openModel(urlSource('model/'));
 */
export async function openModel(source: ModelSource): Promise<StudioModel> {
  const model = await readModelFolder(source);
  const info = model.manifest;
  const notes: string[] = [];
  const generator: StyleGenerator = model.generator;
  const encoders: EncoderLike[] = [];
  const runtimes: Record<string, Attribute> = {};
  try {
    const groups = model.groups.map((g) => ({ name: g.name, size: g.size, offset: g.offset }));
    const folder = info.encoders;
    // A URL folder has no listing: look for the encoders of the groups model.json calls controlled
    // (its attributes, latent groups marked controlled), else of every group.
    const entries = info.attributes;
    const named = new Set([...entries.map((e) => e.name), ...(info.latent?.groups ?? []).filter((x) => x.controlled).map((x) => x.name)]);
    for (const group of groups.filter((x) => named.size === 0 || named.has(x.name))) {
      const file = `${folder}/${group.name}.json`;
      const text = await tryText(source, file);
      if (text === undefined) continue;
      if ((JSON.parse(text) as { format?: unknown }).format !== 'gan-control-encoder') continue;
      encoders.push(await loadEncoder(source, file, folder));
    }
    const attributes: ControlAttribute[] = [];
    for (const enc of encoders) {
      const entry = entries.find((e) => e.name === enc.group || e.name === enc.attribute);
      const spec = entry?.plugin ?? entry?.name ?? enc.attribute;
      const plugin = browserPlugin(spec);
      let runtime: Attribute | undefined;
      if (plugin) {
        runtime = await createAttribute(plugin as never, (entry?.options ?? {}) as never);
        runtimes[enc.group] = runtime;
      }
      const values = enc.values.map((v) => ({
        name: v.name,
        unit: v.unit,
        range: [v.range[0], v.range[1]] as const,
        circular: v.kind === 'circular',
        mean: v.kind === 'linear' ? v.mean : (v.range[0] + v.range[1]) / 2,
      }));
      attributes.push({
        name: enc.attribute,
        group: enc.group,
        values,
        runtime,
        noMeasure: runtime
          ? undefined
          : `the plugin '${spec}' does not run in the browser (only ${BROWSER_PLUGINS.map((p) => p.packageName).join(', ')})`,
      });
    }
    if (encoders.length === 0)
      notes.push(`no encoders in ${source.label}/${folder}/: every group can only be sampled (train them with gan-control encoders)`);
    const controller = new Controller({
      generator,
      layout: { groups },
      encoders,
      attributes: runtimes,
    });
    const training = info.training as { name?: unknown } | undefined;
    return {
      label: source.label,
      url: source.url,
      name: typeof info.name === 'string' ? info.name : typeof training?.name === 'string' ? training.name : source.label,
      resolution: generator.resolution,
      zDim: generator.zDim,
      generator,
      groups,
      attributes,
      controller,
      notes,
      dispose() {
        controller.dispose();
        for (const a of Object.values(runtimes)) a.dispose();
        generator.dispose();
      },
    };
  } catch (e) {
    for (const enc of encoders) enc.dispose();
    for (const a of Object.values(runtimes)) a.dispose();
    generator.dispose();
    throw e;
  }
}
