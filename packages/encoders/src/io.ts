import * as tf from '@tensorflow/tfjs-core';
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { entryToTensor, readSafetensors, tensorToEntry, writeFileAtomic, writeSafetensors } from '@gan-control/tensor-io';
import { EncodersError, formatZodIssues } from './errors';
import { AttributeEncoder, encoderFromWeights, encoderMetadataSchema } from './encoder';
import type { EncoderMetadata } from './encoder';

/**
 * Saves an encoder as `<dir>/<group>.safetensors` (official FcStack names
 * `fc_stack.<i>.weight [out, in]`, `fc_stack.<i>.bias [out]`, float32) and `<dir>/<group>.json`
 * (attribute, group, w slice, values with units, kind, normalisation and range, architecture,
 * training summary). Both files are written atomically, weights first, so a JSON file always
 * points at complete weights. Returns the JSON path.
 *
 * @example
 * await saveEncoder(encoder, 'runs/shapes/encoders'); // → runs/shapes/encoders/hue.json
 */
export async function saveEncoder(encoder: AttributeEncoder, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const weightsFile = `${encoder.group}.safetensors`;
  const weights = encoder.weights();
  try {
    const entries: Record<string, Awaited<ReturnType<typeof tensorToEntry>>> = {};
    for (const [name, t] of Object.entries(weights)) entries[name] = await tensorToEntry(t);
    await writeFileAtomic(join(dir, weightsFile), writeSafetensors(entries, { format: 'gan-control-encoder', attribute: encoder.attribute, group: encoder.group }));
  } finally {
    tf.dispose(Object.values(weights));
  }
  const jsonPath = join(dir, `${encoder.group}.json`);
  await writeFileAtomic(jsonPath, JSON.stringify(encoder.toMetadata(weightsFile), null, 2) + '\n');
  return jsonPath;
}

/**
 * Loads an encoder from its JSON file (and the safetensors file it names).
 *
 * @example
 * const hue = await loadEncoder('runs/shapes/encoders/hue.json');
 */
export async function loadEncoder(jsonPath: string): Promise<AttributeEncoder> {
  const metadata = parseMetadata(await readText(jsonPath), jsonPath);
  const weightsPath = join(dirname(jsonPath), metadata.weights);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(weightsPath));
  } catch (e) {
    throw new EncodersError('ENCODERS_BAD_FILE', `${jsonPath} names weights '${metadata.weights}', but ${weightsPath} cannot be read (${(e as Error).message})`, { cause: e });
  }
  let file;
  try {
    file = readSafetensors(bytes);
  } catch (e) {
    throw new EncodersError('ENCODERS_BAD_FILE', `${weightsPath}: not a readable safetensors file (${(e as Error).message})`, { cause: e });
  }
  const tensors: Record<string, tf.Tensor> = {};
  try {
    for (const [name, entry] of Object.entries(file.tensors)) tensors[name] = entryToTensor(entry, `${basename(weightsPath)}:${name}`);
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

/**
 * Loads every encoder of a folder (each `*.json` whose `format` is `gan-control-encoder`),
 * sorted by group name.
 *
 * @example
 * const encoders = await loadEncoders('runs/shapes/encoders');
 */
export async function loadEncoders(dir: string): Promise<AttributeEncoder[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  } catch (e) {
    throw new EncodersError('ENCODERS_BAD_FILE', `cannot list encoders in ${dir} (${(e as Error).message})`, { cause: e });
  }
  const out: AttributeEncoder[] = [];
  try {
    for (const n of names) {
      const text = await readText(join(dir, n));
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        continue; // not ours
      }
      if ((json as { format?: unknown } | null)?.format !== 'gan-control-encoder') continue;
      out.push(await loadEncoder(join(dir, n)));
    }
  } catch (e) {
    for (const enc of out) enc.dispose();
    throw e;
  }
  if (out.length === 0) {
    throw new EncodersError('ENCODERS_BAD_FILE', `no encoders in ${dir} (expected <group>.json + <group>.safetensors written by saveEncoder)`);
  }
  return out;
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
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
  if (!parsed.success) throw new EncodersError('ENCODERS_BAD_FILE', formatZodIssues(`${path} is not an encoder file`, parsed.error));
  return parsed.data;
}
