/**
 * `--model <bundled name | path>`: finds a model, loads its generator, encoders and attribute
 * plugins through the libraries, and checks requests against what it controls.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import type { SetRequest } from './args.js';
import type { Context } from './context.js';
import { CliError } from './errors.js';

/** Models that ship with the CLI, addressable by name. */
export const BUNDLED_MODELS: Record<string, { packageName: string; folder: string; description: string }> = {
  shapes: { packageName: '@gan-control/domain-shapes', folder: 'model', description: 'coloured shapes: color (hue), position, size' },
};

/** One controllable attribute of a loaded model. */
export interface ModelAttribute {
  name: string;
  group: string;
  values: { name: string; unit: string; range?: readonly [number, number] }[];
}

/** What the commands use from a model. */
export interface CliModel {
  label: string;
  path: string;
  resolution: number;
  groups: { name: string; size: number }[];
  /** Attributes with encoders (settable by value). */
  attributes: ModelAttribute[];
  generate(opts: { set: SetRequest; keep: string[]; seed: number; count: number; truncation: number }): { images: tf.Tensor4D };
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

/** `--model` → an absolute path (bundled names first), or a clear error. */
export function resolveModelPath(spec: string, cwd: string): { path: string; label: string } {
  if (spec in BUNDLED_MODELS) {
    const dir = bundledModelDir(spec);
    if (!dir || !existsSync(dir)) {
      throw new CliError(
        'CLI_MODEL_NOT_FOUND',
        `the bundled model '${spec}' is not in this installation (looked for ${dir ?? `${BUNDLED_MODELS[spec].packageName}/${BUNDLED_MODELS[spec].folder}`}); reinstall gan-control, or train one with 'gan-control train --preset ${spec}' and pass --model <its folder>`,
      );
    }
    return { path: dir, label: spec };
  }
  const path = resolve(cwd, spec);
  if (!existsSync(path)) {
    throw new CliError(
      'CLI_MODEL_NOT_FOUND',
      `model '${spec}' not found: ${path} does not exist; pass a bundled model (${Object.keys(BUNDLED_MODELS).join(', ')}) or the folder/checkpoint written by 'gan-control train' or 'gan-control convert'`,
    );
  }
  return { path, label: spec };
}

/** Loads a model for generation. */
export async function loadModel({ path }: { path: string; label: string }, _ctx: Context): Promise<CliModel> {
  throw new CliError('CLI_LIBRARY_MISSING', `cannot load model ${path}: the generator checkpoint loader of @gan-control/stylegan2 is not in this build yet`);
}

/** Checks `--set`/`--sweep`/`--keep` names against the model, listing what it supports. */
export function checkRequest(model: CliModel, plan: { set: SetRequest; keep: string[]; sweep?: { attribute: string; field?: string } }): void {
  const describe = () =>
    model.attributes.length
      ? model.attributes.map((a) => `${a.name} (${a.values.map((v) => `${v.name} in ${v.unit}`).join(', ')})`).join('; ')
      : 'nothing (it has no encoders; train them with gan-control encoders)';
  const check = (flag: string, attribute: string, field?: string) => {
    const attr = model.attributes.find((a) => a.name === attribute || a.group === attribute);
    if (!attr) throw new CliError('CLI_UNKNOWN_ATTRIBUTE', `unknown attribute '${attribute}' in ${flag}: model ${model.label} controls ${describe()}`);
    if (field !== undefined && !attr.values.some((v) => v.name === field)) {
      throw new CliError('CLI_UNKNOWN_ATTRIBUTE', `unknown value '${attribute}.${field}' in ${flag}: '${attribute}' has ${attr.values.map((v) => v.name).join(', ')}`);
    }
    if (field === undefined && flag !== '--keep' && attr.values.length > 1) {
      throw new CliError(
        'CLI_BAD_VALUE',
        `${flag} ${attribute}=…: '${attribute}' has ${attr.values.length} values (${attr.values.map((v) => v.name).join(', ')}); set them by name, e.g. ${flag} ${attribute}.${attr.values[0].name}=…`,
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
      throw new CliError('CLI_UNKNOWN_ATTRIBUTE', `unknown latent group '${k}' in --keep: model ${model.label} has ${model.groups.map((g) => g.name).join(', ')}`);
    }
  }
}
