// Node only (`@gan-control/encoders/node`): writes an encoder to a folder on disk.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { tensorToEntry, writeSafetensors } from '@gan-control/tensor-io';
import { writeFileAtomic } from '@gan-control/tensor-io/node';
import type { AttributeEncoder } from './encoder.js';

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
    await writeFileAtomic(
      join(dir, weightsFile),
      writeSafetensors(entries, { format: 'gan-control-encoder', attribute: encoder.attribute, group: encoder.group }),
    );
  } finally {
    tf.dispose(Object.values(weights));
  }
  const jsonPath = join(dir, `${encoder.group}.json`);
  await writeFileAtomic(jsonPath, JSON.stringify(encoder.toMetadata(weightsFile), null, 2) + '\n');
  return jsonPath;
}
