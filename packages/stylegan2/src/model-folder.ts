/**
 * The model folder: the one format every trained, converted or bundled model has on disk, read
 * and written here only (the trainer's export, `gan-control convert`/`train`, `Controller.load`,
 * `loadTrainedModel`, the studio and `gan-control inspect` all go through this module).
 *
 * ```
 * <model>/model.json             { format: "gan-control-model", version: 1, generator, latent?, attributes, files?, ... }
 * <model>/generator.safetensors  generator weights, official state_dict names (model.json `weights`)
 * <model>/encoders/<group>.json  encoders (@gan-control/encoders saveEncoder), optional (model.json `encoders`)
 * <model>/directions.json        edit directions, optional
 * ```
 *
 * `generator` is this package's StyleGAN2 config (with the partitioned mapping), written bare, or
 * `{ kind: "gan-control-official", args }` for an imported official GAN-Control generator (its
 * args.json; the weights are its g_ema state_dict). `latent` is the latent layout
 * (`{ groups: [{ name, size, controlled? }] }`) and must list the generator's mapping groups in
 * their w order. `attributes` names each controlled group's plugin as data (`plugin`, default the
 * group name) and its options: opening a folder never imports code; which specs to trust is the
 * application's decision (the CLI's rules are in apps/cli/src/model.ts). `files` records the
 * SHA-256 and size of each file the writer wrote; a reader checks every file it reads against it.
 * Folders written before `files` existed (no entry) load unchecked. Other fields (training
 * config, metrics, source) are kept as they are.
 *
 * Reading is isomorphic: a folder is a path (Node), a URL (fetched) or any `ModelFolderFiles`
 * (files picked in a browser, bytes in memory). Writing a folder to disk is in the Node entry
 * (`writeModelFolder` from `@gan-control/stylegan2/node`).
 */
import {
  joinLocation,
  linkOutside,
  readBytes,
  readSafetensors,
  readText,
  sha256,
  writeSafetensors,
  type FileLocation,
  type SafetensorsEntry,
} from '@gan-control/tensor-io';
import { z } from 'zod';
import { formatZodIssues } from '@gan-control/errors';
import { generatorConfigSchema, StyleGan2Error, type GeneratorConfig, type GeneratorConfigInput } from './config.js';
import { parseGanControlArgs } from './gan-control/config.js';
import { loadGanControlGenerator, type GanControlGenerator } from './gan-control/generator.js';
import { createGenerator, type Generator } from './generator.js';
import { assertComplete, toFloatRecords } from './official.js';
import type { TensorRecord } from './params.js';

export const MODEL_FORMAT = 'gan-control-model';
export const MODEL_FILE = 'model.json';
export const DEFAULT_WEIGHTS_FILE = 'generator.safetensors';

/** Codes of the errors this module throws (all `StyleGan2Error`s with `details.file`, and `details.tensor` where one is named; tensor-name and dtype errors keep their `STYLEGAN2_` codes). */
export type ModelFolderErrorCode =
  | 'MODEL_FOLDER_NOT_FOUND'
  | 'MODEL_FOLDER_INVALID'
  | 'MODEL_FOLDER_UNSAFE_PATH'
  | 'MODEL_FOLDER_CHECKSUM'
  | 'MODEL_FOLDER_BAD_WEIGHTS'
  | 'MODEL_FOLDER_NOT_FINITE'
  | 'MODEL_FOLDER_LAYOUT_MISMATCH';

/** A model-folder error; `details` names the file (and tensor, field) involved. */
function fail(code: ModelFolderErrorCode, message: string, details: Record<string, unknown> = {}, cause?: unknown): StyleGan2Error {
  return new StyleGan2Error(code, message, { details, cause });
}

const RESERVED = ['__proto__', 'constructor', 'prototype'];

const attributeEntrySchema = z.looseObject({
  /** The latent group this attribute controls (and, unless `plugin` is given, the plugin name). */
  name: z
    .string()
    .min(1)
    // Attribute names become object keys (runtimes, reports): never ones that reach a prototype.
    .refine((n) => !RESERVED.includes(n), { message: '__proto__, constructor and prototype are reserved names; rename the attribute' }),
  /** Plugin spec (data, never imported here): a package name, `package:attribute`, or a path the application may refuse. */
  plugin: z.string().min(1).optional(),
  options: z.record(z.string(), z.unknown()).default({}),
});

const latentGroupSchema = z.looseObject({ name: z.string().min(1), size: z.number().int().positive(), controlled: z.boolean().optional() });

/** The checksum the writer records for one file. */
export const fileChecksumSchema = z.strictObject({
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits'),
  bytes: z.number().int().nonnegative(),
});

/** A generator spec as read: the bare StyleGAN2 config of older writers becomes `{ kind: "stylegan2", config }`. */
export type ModelGeneratorSpec =
  | { readonly kind: 'stylegan2'; readonly config: GeneratorConfig }
  | { readonly kind: 'gan-control-official'; readonly args: Record<string, unknown> };

const generatorSchema = z.record(z.string(), z.unknown()).transform((g, ctx): ModelGeneratorSpec => {
  if (g.kind === 'gan-control-official') {
    const r = z.strictObject({ kind: z.literal('gan-control-official'), args: z.record(z.string(), z.unknown()) }).safeParse(g);
    if (r.success) return { kind: 'gan-control-official', args: r.data.args };
    for (const issue of r.error.issues) ctx.addIssue({ ...issue, code: 'custom', path: issue.path });
    return z.NEVER;
  }
  // `{ kind: "stylegan2", config }` (an early Controller.load format) or the bare config.
  const wrapped = g.kind === 'stylegan2';
  const r = generatorConfigSchema.safeParse(wrapped ? g.config : g);
  if (r.success) return { kind: 'stylegan2', config: r.data };
  for (const issue of r.error.issues) ctx.addIssue({ ...issue, code: 'custom', path: wrapped ? ['config', ...issue.path] : issue.path });
  return z.NEVER;
});

/** The schema of model.json (unknown fields are kept). */
export const modelManifestSchema = z.looseObject({
  format: z.literal(MODEL_FORMAT),
  version: z.literal(1),
  name: z.string().min(1).optional(),
  /** A StyleGAN2 generator config, or an official GAN-Control generator's args. */
  generator: generatorSchema,
  /** Weights file, relative to the model folder. */
  weights: z.string().min(1).default(DEFAULT_WEIGHTS_FILE),
  /** Latent layout, groups in w order (the trainer's `LatentLayout.toJSON()`). */
  latent: z.looseObject({ groups: z.array(latentGroupSchema).min(1) }).optional(),
  attributes: z.array(attributeEntrySchema).default([]),
  /** Encoders folder, relative to the model folder. */
  encoders: z.string().min(1).default('encoders'),
  /** SHA-256 and size of each file the writer wrote, by name relative to the folder. */
  files: z.record(z.string(), fileChecksumSchema).optional(),
});
export type ModelManifest = z.output<typeof modelManifestSchema>;
export type ModelManifestInput = z.input<typeof modelManifestSchema>;

/**
 * Checks that a file name a model folder's own JSON gives (model.json `weights`, `encoders`, a
 * `files` key, an encoder's `weights`) stays inside the folder: relative, no `..`, no scheme, no
 * NUL. Links out of a folder on disk are checked where the file is read (`linkOutside`).
 *
 * @example
 * checkFolderName(manifest.weights, '"weights"', 'model/model.json');
 */
export function checkFolderName(name: string, field: string, file: string): string {
  const unsafe = (why: string) =>
    fail(
      'MODEL_FOLDER_UNSAFE_PATH',
      `${file}: ${field} '${name}' ${why}; a model folder may only name files inside itself (relative names without '..')`,
      { file, field, name },
    );
  if (/^(?:[a-z][a-z0-9+.-]*:|[\\/])/i.test(name)) throw unsafe(/^[a-z][a-z0-9+.-]+:\/\//i.test(name) ? 'is a URL' : 'is an absolute path');
  if (name.split(/[\\/]/).includes('..') || name.includes('\0')) throw unsafe("leaves the folder ('..')");
  return name;
}

/**
 * Validates a model.json (its text or the parsed object): the schema, by field path, then that
 * every file name it gives stays inside the folder, then that `latent` lists the generator's
 * groups in their w order. Throws `MODEL_FOLDER_INVALID` or `MODEL_FOLDER_UNSAFE_PATH` /
 * `MODEL_FOLDER_LAYOUT_MISMATCH` (the ZodError is the `cause` of a schema error).
 *
 * @example
 * const manifest = parseModelManifest(await readText('model/model.json'), 'model/model.json');
 */
export function parseModelManifest(input: unknown, source = MODEL_FILE): ModelManifest {
  let json = input;
  if (typeof input === 'string') {
    try {
      json = JSON.parse(input);
    } catch (e) {
      throw fail('MODEL_FOLDER_INVALID', `${source}: not valid JSON (${(e as Error).message})`, { file: source }, e);
    }
  }
  const parsed = modelManifestSchema.safeParse(json);
  if (!parsed.success)
    throw fail(
      'MODEL_FOLDER_INVALID',
      `${source} is not a valid gan-control model:\n${formatZodIssues(parsed.error)}`,
      { file: source },
      parsed.error,
    );
  const manifest = parsed.data;
  checkFolderName(manifest.weights, '"weights"', source);
  checkFolderName(manifest.encoders, '"encoders"', source);
  for (const name of Object.keys(manifest.files ?? {})) checkFolderName(name, '"files" entry', source);
  modelGroups(manifest, source);
  return manifest;
}

/** One latent group of a model: its slice of z and w, and whether an attribute controls it. */
export interface ModelGroup {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
  readonly controlled: boolean;
}

/**
 * A model's latent groups in w order: the generator's partitioned mapping (or the official
 * args' groups), else the manifest's `latent` layout, else one group `latent`. Where the manifest
 * has a `latent` layout it must list the same groups in the same order (encoder outputs are
 * written to these slices): `MODEL_FOLDER_LAYOUT_MISMATCH` otherwise. `controlled` comes from the
 * layout, else from `attributes` (official models: every group but `other`).
 *
 * @example
 * modelGroups(manifest); // [{ name: 'color', offset: 0, size: 8, controlled: true }, …]
 */
export function modelGroups(manifest: ModelManifest, source = MODEL_FILE): ModelGroup[] {
  const g = manifest.generator;
  let own: { name: string; size: number }[] | undefined;
  let zDim: number;
  if (g.kind === 'stylegan2') {
    own = g.config.mapping.groups?.map((x) => ({ name: x.name, size: x.size }));
    zDim = g.config.zDim;
  } else {
    const c = parseGanControlArgs(g.args, `${source} generator.args`);
    own = c.groups?.map((x) => ({ name: x.name, size: x.size }));
    zDim = c.latentSize;
  }
  const layout = manifest.latent?.groups;
  const describe = (groups: readonly { name: string; size: number }[]) => groups.map((x) => `${x.name}:${x.size}`).join(', ');
  if (layout && own && (layout.length !== own.length || layout.some((x, i) => x.name !== own[i].name || x.size !== own[i].size))) {
    throw fail(
      'MODEL_FOLDER_LAYOUT_MISMATCH',
      `${source}: "latent" lists the groups ${describe(layout)}, but the generator's mapping has ${describe(own)} (in w order); encoder outputs would go to the wrong w slices. Write "latent" in the generator's group order.`,
      { file: source },
    );
  }
  if (layout && !own && layout.reduce((s, x) => s + x.size, 0) !== zDim) {
    throw fail(
      'MODEL_FOLDER_LAYOUT_MISMATCH',
      `${source}: the "latent" groups (${describe(layout)}) add up to ${layout.reduce((s, x) => s + x.size, 0)}, but the generator's zDim is ${zDim}`,
      { file: source },
    );
  }
  const groups = own ?? layout ?? [{ name: 'latent', size: zDim }];
  const attributes = new Set(manifest.attributes.map((a) => a.name));
  let offset = 0;
  return groups.map((x, i) => {
    const controlled = layout?.[i].controlled ?? (g.kind === 'gan-control-official' ? x.name !== 'other' : attributes.has(x.name));
    const out = { name: x.name, offset, size: x.size, controlled };
    offset += x.size;
    return out;
  });
}

/** Where a model folder's files come from: anything that reads a file by its name inside the folder. */
export interface ModelFolderFiles {
  /** What errors name as the folder (a path, a URL, a picked folder's name). */
  readonly label: string;
  bytes(name: string): Promise<Uint8Array>;
  text(name: string): Promise<string>;
  /** For storage with links (a folder on disk): the real path when `name` links out of the folder. */
  linkOutside?(name: string): Promise<string | undefined>;
}

/** A model folder: a path (Node), a URL, or its files. */
export type ModelFolderLocation = FileLocation | ModelFolderFiles;

/**
 * The files of a folder at a path or URL (through tensor-io's location helpers).
 *
 * @example
 * const files = modelFolderFiles('https://example.org/models/shapes/');
 */
export function modelFolderFiles(location: ModelFolderLocation): ModelFolderFiles {
  if (typeof location !== 'string' && !(location instanceof URL)) return location;
  return {
    label: String(location),
    bytes: (name) => readBytes(joinLocation(location, name)),
    text: (name) => readText(joinLocation(location, name)),
    linkOutside: (name) => linkOutside(location, name),
  };
}

function where(files: ModelFolderFiles, name: string): string {
  return `${files.label.replace(/[\\/]+$/, '')}/${name}`;
}

async function checkLink(files: ModelFolderFiles, name: string, field: string): Promise<void> {
  const target = await files.linkOutside?.(name);
  if (target !== undefined) {
    throw fail(
      'MODEL_FOLDER_UNSAFE_PATH',
      `${where(files, MODEL_FILE)}: ${field} '${name}' is a link to ${target}, outside the folder; a model folder may only name files inside itself`,
      {
        file: where(files, MODEL_FILE),
        field,
        name,
      },
    );
  }
}

/**
 * Reads and validates a folder's model.json (`parseModelManifest`), refusing a model.json, weights
 * or encoders folder that links out of a folder on disk. Loads no weights.
 *
 * @example
 * const { manifest, files } = await readModelManifest('packages/domain-shapes/model');
 */
export async function readModelManifest(location: ModelFolderLocation): Promise<{ manifest: ModelManifest; files: ModelFolderFiles }> {
  const files = modelFolderFiles(location);
  const file = where(files, MODEL_FILE);
  await checkLink(files, MODEL_FILE, 'model.json');
  let text: string;
  try {
    text = await files.text(MODEL_FILE);
  } catch (e) {
    throw fail(
      'MODEL_FOLDER_NOT_FOUND',
      `${files.label} is not a gan-control model folder: cannot read ${file} (${(e as Error).message})`,
      { file },
      e,
    );
  }
  const manifest = parseModelManifest(text, file);
  await checkLink(files, manifest.weights, '"weights"');
  await checkLink(files, manifest.encoders, '"encoders"');
  return { manifest, files };
}

/**
 * Checks `bytes` read from `name` against the checksum model.json records for it
 * (`MODEL_FOLDER_CHECKSUM` naming the file); a file without an entry passes.
 *
 * @example
 * await verifyModelFile(manifest, 'generator.safetensors', bytes, 'model/generator.safetensors');
 */
export async function verifyModelFile(manifest: ModelManifest, name: string, bytes: Uint8Array, label = name): Promise<void> {
  const expected = manifest.files?.[name];
  if (!expected) return;
  const actual = bytes.length === expected.bytes ? await sha256(bytes) : undefined;
  if (actual === expected.sha256) return;
  throw fail(
    'MODEL_FOLDER_CHECKSUM',
    `${label} does not match the checksum model.json records for it (` +
      (actual === undefined ? `${bytes.length} bytes, expected ${expected.bytes}` : `sha256 ${actual}, expected ${expected.sha256}`) +
      '); the file is damaged or was replaced after the model was written: restore it or re-export the model',
    { file: label },
  );
}

/**
 * Refuses floating-point weights holding NaN or ±Infinity (a diverged run, a damaged file): they
 * would render black images without any error. Names the file, the tensor and the element.
 *
 * @example
 * assertFiniteTensors(readSafetensors(bytes).tensors, 'model/generator.safetensors');
 */
export function assertFiniteTensors(tensors: Record<string, { readonly data: unknown }>, file: string): void {
  for (const [name, t] of Object.entries(tensors)) {
    const data = t.data;
    if (!(data instanceof Float32Array || data instanceof Float64Array)) continue;
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) {
        throw fail(
          'MODEL_FOLDER_NOT_FINITE',
          `${file}: tensor '${name}' holds ${data[i]} (element ${i}); the weights are damaged or come from a diverged run`,
          { file, tensor: name, element: i },
        );
      }
    }
  }
}

/** Options of `readModelFolder`. */
export interface ReadModelFolderOptions {
  /**
   * Load a StyleGAN2 generator whose weight file does not match it name for name: matching
   * tensors are loaded, the others keep their seed-0 initialisation and are listed in `report`.
   * Default false: any missing or unused tensor is an error naming them.
   */
  readonly partial?: boolean;
}

interface ModelFolderBase {
  /** The folder as errors name it. */
  readonly label: string;
  readonly manifest: ModelManifest;
  /** Latent groups in w order, checked against `manifest.latent` (`modelGroups`). */
  readonly groups: readonly ModelGroup[];
  /** Tensors of the generator not in the file (`missing`) and tensors of the file not used (`unused`); empty unless `partial`. */
  readonly report: { readonly missing: readonly string[]; readonly unused: readonly string[] };
  /** The folder's files (to read its encoders or directions by name). */
  readonly files: ModelFolderFiles;
  /** Releases the generator. */
  dispose(): void;
}

/** A model folder read by `readModelFolder`. */
export type ModelFolder = ModelFolderBase &
  (
    | { readonly kind: 'stylegan2'; readonly generator: Generator }
    | { readonly kind: 'gan-control-official'; readonly generator: GanControlGenerator }
  );

/**
 * Reads a model folder: model.json (`readModelManifest`), then the generator weights, checked in
 * this order: the checksum model.json records (`MODEL_FOLDER_CHECKSUM`), the safetensors framing
 * (`MODEL_FOLDER_BAD_WEIGHTS`), floating-point dtypes (`STYLEGAN2_BAD_DTYPE`: an integer tensor is
 * refused, never cast), finite values (`MODEL_FOLDER_NOT_FINITE`), and tensor names against the
 * configured generator (`STYLEGAN2_STATE_DICT_MISMATCH` listing what is missing and unused, unless
 * `partial`). The caller owns the generator (`folder.dispose()`).
 *
 * @example
 * const folder = await readModelFolder('packages/domain-shapes/model');
 * const img = tf.tidy(() => folder.generator.synthesis(folder.generator.mapping(z), { noiseMode: 'const' }));
 * folder.dispose();
 */
export async function readModelFolder(location: ModelFolderLocation, options: ReadModelFolderOptions = {}): Promise<ModelFolder> {
  const { manifest, files } = await readModelManifest(location);
  const groups = modelGroups(manifest, where(files, MODEL_FILE));
  const name = manifest.weights;
  const file = where(files, name);
  let bytes: Uint8Array;
  try {
    bytes = await files.bytes(name);
  } catch (e) {
    throw fail('MODEL_FOLDER_BAD_WEIGHTS', `${file}: cannot read the generator weights (${(e as Error).message})`, { file }, e);
  }
  await verifyModelFile(manifest, name, bytes, file);
  const framing = safetensorsFramingProblem(bytes);
  if (framing) throw fail('MODEL_FOLDER_BAD_WEIGHTS', `${file} is ${framing}`, { file });
  let tensors: Record<string, SafetensorsEntry>;
  try {
    tensors = readSafetensors(bytes).tensors;
  } catch (e) {
    throw fail('MODEL_FOLDER_BAD_WEIGHTS', `${file} could not be read: ${(e as Error).message}`, { file }, e);
  }
  const records = toFloatRecords(tensors, file);
  assertFiniteTensors(records, file);
  const base = { label: files.label, manifest, groups, files };
  const g = manifest.generator;
  if (g.kind === 'gan-control-official') {
    const generator = loadGanControlGenerator(records, g.args, { source: file });
    return { ...base, kind: g.kind, generator, report: { missing: [], unused: [] }, dispose: () => generator.dispose() };
  }
  const generator = createGenerator(g.config, { seed: 0 });
  try {
    const report = loadWeights(generator, records, file, options.partial ?? false);
    return { ...base, kind: g.kind, generator, report, dispose: () => generator.dispose() };
  } catch (e) {
    generator.dispose();
    throw e;
  }
}

/** Assigns `records`; with `partial`, only the names the generator has, the rest keeping their initial values. */
function loadWeights(
  generator: Generator,
  records: Record<string, TensorRecord>,
  file: string,
  partial: boolean,
): { missing: string[]; unused: string[] } {
  const report = generator.loadStateDict(records, file);
  if (!partial) {
    assertComplete(report, file);
    return { missing: [], unused: [] };
  }
  if (report.missing.length === 0 && report.unexpected.length === 0) return { missing: [], unused: [] };
  // The loader assigns nothing unless every name matches: complete the file with the generator's own values.
  const own = generator.stateDict();
  const merged: Record<string, TensorRecord> = Object.create(null);
  for (const n of Object.keys(own)) merged[n] = n in records ? records[n] : own[n];
  assertComplete(generator.loadStateDict(merged, file), file);
  return { missing: report.missing, unused: report.unexpected };
}

/**
 * Why `bytes` cannot be a safetensors file, without quoting its bytes (the first 8 are the header
 * length: for a file that is not safetensors, printing them as a number leaks its content).
 * `undefined` when the framing fits. `size` is the whole file's size when `bytes` is its start.
 *
 * @example
 * const problem = safetensorsFramingProblem(bytes); // 'not a safetensors file (…)' or undefined
 */
export function safetensorsFramingProblem(bytes: Uint8Array, size = bytes.length): string | undefined {
  if (size < 9 || bytes.length < 9) return 'shorter than a safetensors header';
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (n < 2n || bytes[8] !== 0x7b) return 'not a safetensors file (it does not start with a header length and a JSON header)';
  if (n > BigInt(size - 8)) return 'a truncated safetensors file (its header runs past the end of the file)';
  return undefined;
}

/** What `encodeModelFolder` / `writeModelFolder` take. */
export interface ModelFolderInput {
  /** The generator: a StyleGAN2 config or official GAN-Control args, and its state_dict (official names, float32). */
  readonly generator:
    | {
        readonly kind: 'stylegan2';
        readonly config: GeneratorConfigInput | GeneratorConfig;
        readonly stateDict: Readonly<Record<string, { readonly shape: readonly number[]; readonly data: Float32Array }>>;
      }
    | {
        readonly kind: 'gan-control-official';
        readonly args: Record<string, unknown>;
        readonly stateDict: Readonly<Record<string, { readonly shape: readonly number[]; readonly data: Float32Array }>>;
      };
  readonly name?: string;
  /** Latent layout (`{ groups: [{ name, size, controlled? }] }`, e.g. `LatentLayout.toJSON()`), groups in the generator's order. */
  readonly latent?: { readonly groups: readonly { readonly name: string; readonly size: number; readonly controlled?: boolean }[] };
  readonly attributes?: readonly { readonly name: string; readonly plugin?: string; readonly options?: Record<string, unknown> }[];
  /** Further model.json fields (training config, step, metrics, source…), written after the ones above. */
  readonly extra?: Record<string, unknown>;
}

const OWN_FIELDS = new Set(['format', 'version', 'name', 'generator', 'weights', 'latent', 'attributes', 'files']);

/** A model folder in memory: its files in write order (model.json last) and the manifest. */
export interface EncodedModelFolder {
  readonly files: readonly { readonly name: string; readonly data: Uint8Array | string }[];
  readonly manifest: ModelManifest;
}

/**
 * Builds a model folder's files in memory: the weights (safetensors), then model.json with the
 * SHA-256 of every other file, validated by `parseModelManifest` before anything is written.
 * `writeModelFolder` (Node entry) writes them.
 *
 * @example
 * const { files } = await encodeModelFolder({ generator: { kind: 'stylegan2', config: G.config, stateDict: G.stateDict() } });
 */
export async function encodeModelFolder(input: ModelFolderInput): Promise<EncodedModelFolder> {
  const g = input.generator;
  const entries: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = Object.create(null);
  for (const [n, t] of Object.entries(g.stateDict)) entries[n] = { dtype: 'F32', shape: [...t.shape], data: t.data };
  const weights = writeSafetensors(entries, { format: 'gan-control-generator', kind: g.kind });
  // The fields this function owns are never taken from `extra`.
  const extra = Object.fromEntries(Object.entries(input.extra ?? {}).filter(([k]) => !OWN_FIELDS.has(k)));
  const json = {
    format: MODEL_FORMAT,
    version: 1,
    ...(input.name ? { name: input.name } : {}),
    generator: g.kind === 'stylegan2' ? g.config : { kind: g.kind, args: g.args },
    ...(input.latent ? { latent: input.latent } : {}),
    attributes: (input.attributes ?? []).map((a) => ({ ...a, options: a.options ?? {} })),
    ...extra,
    files: { [DEFAULT_WEIGHTS_FILE]: { sha256: await sha256(weights), bytes: weights.length } },
  };
  const text = `${JSON.stringify(json, null, 2)}\n`;
  const manifest = parseModelManifest(JSON.parse(text), MODEL_FILE);
  return {
    files: [
      { name: DEFAULT_WEIGHTS_FILE, data: weights },
      { name: MODEL_FILE, data: text },
    ],
    manifest,
  };
}
