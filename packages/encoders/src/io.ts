// Loading encoders from a folder on disk (Node) or a URL (fetch). Saving them is Node-only:
// `saveEncoder` in save.ts, exported from `@gan-control/encoders/node`.
import * as tf from '@tensorflow/tfjs-core';
import { checkFolderName } from '@gan-control/stylegan2';
import {
  baseName,
  entryToTensor,
  isNotFound,
  joinLocation,
  linkOutside,
  listFolder,
  parentLocation,
  readBytes,
  readSafetensors,
  readText,
  type FileLocation,
} from '@gan-control/tensor-io';
import { formatZodIssues } from '@gan-control/errors';
import { EncodersError } from './errors.js';
import { AttributeEncoder, encoderFromWeights, encoderMetadataSchema } from './encoder.js';
import type { EncoderMetadata } from './encoder.js';

/**
 * Loads an encoder from its JSON file (and the safetensors file it names): a path (Node) or a URL.
 *
 * @example
 * const hue = await loadEncoder('runs/shapes/encoders/hue.json');
 * const size = await loadEncoder('https://example.org/shapes/encoders/size.json');
 */
export async function loadEncoder(jsonPath: FileLocation): Promise<AttributeEncoder> {
  const metadata = parseMetadata(await readFileText(jsonPath), String(jsonPath));
  // The weights an encoder names stay inside its folder (the model-folder rule), links included.
  checkFolderName(metadata.weights, '"weights"', String(jsonPath));
  const outside = await linkOutside(parentLocation(jsonPath), metadata.weights);
  if (outside !== undefined) {
    throw new EncodersError(
      'ENCODERS_BAD_FILE',
      `${jsonPath}: "weights" '${metadata.weights}' is a link to ${outside}, outside the encoders folder; an encoder may only name files inside its folder`,
    );
  }
  const weightsPath = joinLocation(parentLocation(jsonPath), metadata.weights);
  let bytes: Uint8Array;
  try {
    bytes = await readBytes(weightsPath);
  } catch (e) {
    throw new EncodersError(
      'ENCODERS_BAD_FILE',
      `${jsonPath} names weights '${metadata.weights}', but ${weightsPath} cannot be read (${(e as Error).message})`,
      { cause: e },
    );
  }
  let file;
  try {
    file = readSafetensors(bytes);
  } catch (e) {
    throw new EncodersError('ENCODERS_BAD_FILE', `${weightsPath}: not a readable safetensors file (${(e as Error).message})`, { cause: e });
  }
  const tensors: Record<string, tf.Tensor> = {};
  try {
    for (const [name, entry] of Object.entries(file.tensors)) tensors[name] = entryToTensor(entry, `${baseName(weightsPath)}:${name}`);
    return encoderFromWeights(metadata, tensors);
  } catch (e) {
    if ((e as { code?: string }).code === 'ENCODERS_SHAPE_MISMATCH') {
      throw new EncodersError('ENCODERS_SHAPE_MISMATCH', `${weightsPath}: ${(e as Error).message}`, { cause: e });
    }
    throw e;
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

/** Options of `loadEncoders`. */
export interface LoadEncodersOptions {
  /**
   * Latent groups to look for (`<group>.json`) where the folder cannot be listed (a URL); missing
   * ones are skipped. A folder on disk is listed and this is not needed.
   */
  readonly groups?: readonly string[];
}

/**
 * Loads every encoder of a folder (each `*.json` whose `format` is `gan-control-encoder`),
 * sorted by group name. A folder on disk (Node) is listed; behind a URL, where nothing can be
 * listed, the encoders of `options.groups` are fetched (`<group>.json`).
 *
 * @example
 * const encoders = await loadEncoders('runs/shapes/encoders');
 * const remote = await loadEncoders('https://example.org/shapes/encoders', { groups: ['color', 'size'] });
 */
export async function loadEncoders(dir: FileLocation, options: LoadEncodersOptions = {}): Promise<AttributeEncoder[]> {
  let names: string[];
  let optional = false;
  try {
    names = (await listFolder(dir)).filter((n) => n.endsWith('.json')).sort();
  } catch (e) {
    if ((e as { code?: unknown }).code !== 'LOCATION_UNSUPPORTED' || !options.groups) {
      throw new EncodersError('ENCODERS_BAD_FILE', `cannot list encoders in ${dir} (${(e as Error).message})`, { cause: e });
    }
    names = options.groups.map((g) => `${g}.json`).sort();
    optional = true;
  }
  const out: AttributeEncoder[] = [];
  try {
    for (const n of names) {
      let text: string;
      try {
        text = await readText(joinLocation(dir, n));
      } catch (e) {
        if (optional && isNotFound(e)) continue; // this group has no encoder
        throw new EncodersError('ENCODERS_BAD_FILE', `cannot read ${joinLocation(dir, n)} (${(e as Error).message})`, { cause: e });
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        continue; // not ours
      }
      if ((json as { format?: unknown } | null)?.format !== 'gan-control-encoder') continue;
      out.push(await loadEncoder(joinLocation(dir, n)));
    }
  } catch (e) {
    for (const enc of out) enc.dispose();
    throw e;
  }
  if (out.length === 0) {
    throw new EncodersError(
      'ENCODERS_BAD_FILE',
      `no encoders in ${dir} (expected <group>.json + <group>.safetensors written by saveEncoder)`,
    );
  }
  return out;
}

async function readFileText(path: FileLocation): Promise<string> {
  try {
    return await readText(path);
  } catch (e) {
    throw new EncodersError('ENCODERS_BAD_FILE', `cannot read ${path} (${(e as Error).message})`, { cause: e });
  }
}

function parseMetadata(text: string, path: string): EncoderMetadata {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new EncodersError('ENCODERS_BAD_FILE', `${path} is not valid JSON (${(e as Error).message})`);
  }
  const parsed = encoderMetadataSchema.safeParse(json);
  if (!parsed.success) throw new EncodersError('ENCODERS_BAD_FILE', `${path} is not an encoder file: ${formatZodIssues(parsed.error)}`);
  return parsed.data;
}
