import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { entryToTensor, readSafetensors, tensorToEntry, writeSafetensors } from '@gan-control/tensor-io';
import { writeFileAtomic } from '@gan-control/tensor-io/node';
import { TrainerError } from './config.js';

/** Writes one file atomically (injectable so tests can simulate a crash mid-save). */
export type FileWriter = (path: string, data: Uint8Array | string) => Promise<void>;

/** The JSON half of a checkpoint; `tensorsSha256` ties it to its safetensors file. */
export interface CheckpointMeta {
  readonly format: 'gan-control-trainer-checkpoint';
  readonly version: 1;
  readonly name: string;
  readonly tensorsFile: string;
  readonly tensorsSha256: string;
  readonly state: Record<string, unknown>;
}

const POINTER = 'latest.json';

/** Checkpoint names sort by image count: `ckpt-000012345`. */
export function checkpointName(images: number): string {
  return `ckpt-${String(images).padStart(9, '0')}`;
}

/**
 * Saves a checkpoint into `dir` so that a crash at any moment leaves the previous one usable:
 * 1. `<name>.safetensors` (all tensors) and 2. `<name>.json` (state + the tensors' SHA-256), each
 * written atomically (temp file in the same folder, fsync, rename); 3. only then `latest.json`
 * (atomically) points at the new checkpoint; 4. checkpoints beyond `keep` are deleted.
 * A checkpoint is therefore visible only once complete, and `loadLatestCheckpoint` also verifies
 * the hash, falling back to the newest complete checkpoint if the pointer is missing or stale.
 *
 * @example
 * await saveCheckpoint('runs/a', checkpointName(5000), { 'G/x': tensor }, { step: 312 }, { keep: 3 });
 */
export async function saveCheckpoint(
  dir: string,
  name: string,
  tensors: Record<string, tf.Tensor>,
  state: Record<string, unknown>,
  options: { keep?: number; write?: FileWriter } = {},
): Promise<void> {
  const write = options.write ?? writeFileAtomic;
  await mkdir(dir, { recursive: true });
  const entries: Record<string, Awaited<ReturnType<typeof tensorToEntry>>> = {};
  for (const [k, t] of Object.entries(tensors)) entries[k] = await tensorToEntry(t);
  const bytes = writeSafetensors(entries, { format: 'gan-control-trainer-checkpoint' });
  const tensorsFile = `${name}.safetensors`;
  const meta: CheckpointMeta = {
    format: 'gan-control-trainer-checkpoint',
    version: 1,
    name,
    tensorsFile,
    tensorsSha256: createHash('sha256').update(bytes).digest('hex'),
    state,
  };
  await write(join(dir, tensorsFile), bytes);
  await write(join(dir, `${name}.json`), JSON.stringify(meta, null, 1));
  await write(join(dir, POINTER), JSON.stringify({ checkpoint: name }));
  if (options.keep) await pruneCheckpoints(dir, options.keep);
}

async function listCheckpoints(dir: string): Promise<string[]> {
  let files: string[];
  try {
    files = await readdir(dir);
  } catch {
    return [];
  }
  return files
    .filter((f) => /^ckpt-\d+\.json$/.test(f))
    .map((f) => f.slice(0, -5))
    .sort();
}

async function pruneCheckpoints(dir: string, keep: number): Promise<void> {
  const names = await listCheckpoints(dir);
  for (const name of names.slice(0, Math.max(0, names.length - keep))) {
    // JSON first: a checkpoint without its JSON is invisible; a stray tensors file is harmless.
    await unlink(join(dir, `${name}.json`)).catch(() => undefined);
    await unlink(join(dir, `${name}.safetensors`)).catch(() => undefined);
  }
}

/** A loaded checkpoint: its state and tensors (the caller disposes the tensors). */
export interface LoadedCheckpoint {
  readonly name: string;
  readonly state: Record<string, unknown>;
  readonly tensors: Record<string, tf.Tensor>;
}

async function tryLoad(dir: string, name: string): Promise<LoadedCheckpoint | string> {
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(await readFile(join(dir, `${name}.json`), 'utf8')) as CheckpointMeta;
  } catch (err) {
    return `${name}.json unreadable (${err instanceof Error ? err.message : String(err)})`;
  }
  if (meta.format !== 'gan-control-trainer-checkpoint') return `${name}.json is not a trainer checkpoint`;
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(join(dir, meta.tensorsFile)));
  } catch (err) {
    return `${meta.tensorsFile} unreadable (${err instanceof Error ? err.message : String(err)})`;
  }
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== meta.tensorsSha256) return `${meta.tensorsFile} does not match the hash in ${name}.json`;
  const file = readSafetensors(bytes);
  const tensors: Record<string, tf.Tensor> = Object.create(null); // names from a file: `__proto__` is a name
  for (const [k, e] of Object.entries(file.tensors)) tensors[k] = entryToTensor(e, k);
  return { name, state: meta.state, tensors };
}

/**
 * Loads the newest complete checkpoint of `dir` (the one `latest.json` names, else the newest
 * whose JSON and tensors agree), or null when there is none.
 *
 * @example
 * const ckpt = await loadLatestCheckpoint('runs/a');
 * if (ckpt) console.log(ckpt.state.step);
 */
export async function loadLatestCheckpoint(dir: string): Promise<LoadedCheckpoint | null> {
  const problems: string[] = [];
  let pointed: string | null = null;
  try {
    pointed = (JSON.parse(await readFile(join(dir, POINTER), 'utf8')) as { checkpoint: string }).checkpoint;
  } catch {
    /* no pointer yet */
  }
  const candidates = (await listCheckpoints(dir)).reverse();
  if (pointed) candidates.unshift(pointed);
  for (const name of [...new Set(candidates)]) {
    const r = await tryLoad(dir, name);
    if (typeof r !== 'string') return r;
    problems.push(r);
  }
  if (problems.length) {
    throw new TrainerError(
      'TRAINER_CHECKPOINT_CORRUPT',
      `trainer: no usable checkpoint in ${dir}: ${problems.join('; ')}. Start a new run (without resume) or restore the files.`,
    );
  }
  return null;
}
