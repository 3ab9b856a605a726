/**
 * The project's checkpoint format: one safetensors file whose tensors are the network's
 * official-layout `state_dict` and whose `__metadata__` holds the zod-validated JSON config.
 * One file, written atomically (temp file + fsync + rename), so a crash never leaves a
 * config that disagrees with its weights. Reading (bytes, a path in Node, or a URL) is isomorphic;
 * writing (`saveCheckpoint`, `saveNetwork`) is in the Node-only entry `@gan-control/stylegan2/node`.
 *
 * metadata: `format` = "gan-control/stylegan2", `version` = "1", `kind` = generator|discriminator,
 * `config` = JSON of the camelCase config, `extra` = JSON of caller data (optional).
 */
import { isNotFound, readBytes, readSafetensors, writeSafetensors, type FileLocation } from '@gan-control/tensor-io';
import { z } from 'zod';
import { formatZodIssues } from '@gan-control/errors';
import {
  discriminatorConfigSchema,
  generatorConfigSchema,
  StyleGan2Error,
  type DiscriminatorConfig,
  type GeneratorConfig,
} from './config.js';
import { Discriminator } from './discriminator.js';
import { Generator } from './generator.js';
import { assertComplete, toFloatRecords } from './official.js';
import type { TensorRecord } from './params.js';

export const CHECKPOINT_FORMAT = 'gan-control/stylegan2';
export const CHECKPOINT_VERSION = '1';

export type CheckpointKind = 'generator' | 'discriminator';

const headerSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('generator'), config: generatorConfigSchema, extra: z.record(z.string(), z.unknown()).optional() }).strict(),
  z
    .object({ kind: z.literal('discriminator'), config: discriminatorConfigSchema, extra: z.record(z.string(), z.unknown()).optional() })
    .strict(),
]);

/** What `saveCheckpoint` writes. `weights` may be a network (its `stateDict()` is saved). */
export type CheckpointInput =
  | {
      kind: 'generator';
      config: GeneratorConfig | z.input<typeof generatorConfigSchema>;
      weights: Record<string, TensorRecord> | Generator;
      extra?: Record<string, unknown>;
    }
  | {
      kind: 'discriminator';
      config: DiscriminatorConfig | z.input<typeof discriminatorConfigSchema>;
      weights: Record<string, TensorRecord> | Discriminator;
      extra?: Record<string, unknown>;
    };

/** What `loadCheckpoint` returns. */
export type Checkpoint =
  | { kind: 'generator'; config: GeneratorConfig; weights: Record<string, TensorRecord>; extra: Record<string, unknown> }
  | { kind: 'discriminator'; config: DiscriminatorConfig; weights: Record<string, TensorRecord>; extra: Record<string, unknown> };

/**
 * Encodes a checkpoint into safetensors bytes (validating the config first).
 *
 * @example
 * const bytes = encodeCheckpoint({ kind: 'generator', config: G.config, weights: G });
 */
export function encodeCheckpoint(input: CheckpointInput): Uint8Array {
  const weights = input.weights instanceof Generator || input.weights instanceof Discriminator ? input.weights.stateDict() : input.weights;
  const parsed = headerSchema.safeParse({ kind: input.kind, config: input.config, extra: input.extra });
  if (!parsed.success) {
    throw new StyleGan2Error(
      'STYLEGAN2_INVALID_CONFIG',
      `saveCheckpoint: invalid ${input.kind} checkpoint header:\n${formatZodIssues(parsed.error)}`,
      { cause: parsed.error },
    );
  }
  const metadata: Record<string, string> = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    kind: input.kind,
    config: JSON.stringify(parsed.data.config),
  };
  if (input.extra) metadata.extra = JSON.stringify(input.extra);
  const tensors: Record<string, { shape: number[]; data: Float32Array; dtype: 'F32' }> = {};
  for (const [name, t] of Object.entries(weights)) {
    tensors[name] = { shape: [...t.shape], data: t.data instanceof Float32Array ? t.data : Float32Array.from(t.data), dtype: 'F32' };
  }
  return writeSafetensors(tensors, metadata);
}

/**
 * Decodes checkpoint bytes; `source` names the file in errors.
 *
 * @example
 * const ckpt = decodeCheckpoint(bytes, 'G.safetensors');
 */
export function decodeCheckpoint(bytes: Uint8Array, source = 'checkpoint'): Checkpoint {
  let file;
  try {
    file = readSafetensors(bytes);
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new StyleGan2Error(
      'STYLEGAN2_BAD_CHECKPOINT',
      `${source}: not a readable checkpoint (${code ?? 'error'}): ${(e as Error).message}` +
        (code === 'SAFETENSORS_TRUNCATED' ? ' The file is truncated (interrupted copy or write?); use an earlier checkpoint.' : ''),
      { cause: e },
    );
  }
  const md = file.metadata ?? {};
  if (md.format !== CHECKPOINT_FORMAT) {
    throw new StyleGan2Error(
      'STYLEGAN2_BAD_CHECKPOINT',
      `${source}: metadata.format is ${JSON.stringify(md.format)}, expected "${CHECKPOINT_FORMAT}". ` +
        'For official stylegan2-ada-pytorch weights use loadOfficialGenerator / loadOfficialDiscriminator.',
    );
  }
  if (md.version !== CHECKPOINT_VERSION) {
    throw new StyleGan2Error(
      'STYLEGAN2_BAD_CHECKPOINT',
      `${source}: checkpoint version ${JSON.stringify(md.version)} is not supported (this build reads version ${CHECKPOINT_VERSION}).`,
    );
  }
  let header: unknown;
  try {
    header = { kind: md.kind, config: JSON.parse(md.config ?? 'null'), extra: md.extra === undefined ? undefined : JSON.parse(md.extra) };
  } catch (e) {
    throw new StyleGan2Error(
      'STYLEGAN2_BAD_CHECKPOINT',
      `${source}: metadata.config / metadata.extra is not valid JSON: ${(e as Error).message}`,
      { cause: e },
    );
  }
  const parsed = headerSchema.safeParse(header);
  if (!parsed.success) {
    throw new StyleGan2Error('STYLEGAN2_INVALID_CONFIG', `${source}: invalid checkpoint config:\n${formatZodIssues(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  const weights = toFloatRecords(file.tensors, source);
  return { ...parsed.data, weights, extra: parsed.data.extra ?? {} } as Checkpoint;
}

/**
 * Reads and validates a checkpoint (errors name the file: missing, truncated, bad config field).
 * `path` is a file path (Node) or a URL (fetched).
 *
 * @example
 * const { kind, config, weights, extra } = await loadCheckpoint('out/G.safetensors');
 * const G = await loadGenerator('https://example.org/shapes/G.safetensors');
 */
export async function loadCheckpoint(path: FileLocation): Promise<Checkpoint> {
  let bytes: Uint8Array;
  try {
    bytes = await readBytes(path);
  } catch (e) {
    if (isNotFound(e)) {
      throw new StyleGan2Error(
        'STYLEGAN2_CHECKPOINT_NOT_FOUND',
        `Checkpoint not found: ${path}. Check the path (or train/convert a model first).`,
        { cause: e },
      );
    }
    throw new StyleGan2Error('STYLEGAN2_BAD_CHECKPOINT', `Cannot read checkpoint ${path}: ${(e as Error).message}`, { cause: e });
  }
  return decodeCheckpoint(bytes, String(path));
}

/**
 * Builds the network a decoded checkpoint describes; throws on missing/leftover/mis-shaped tensors.
 *
 * @example
 * const net = networkFromCheckpoint(decodeCheckpoint(bytes, 'G.safetensors'), 'G.safetensors');
 */
export function networkFromCheckpoint(ckpt: Checkpoint, source = 'checkpoint'): Generator | Discriminator {
  const net = ckpt.kind === 'generator' ? new Generator(ckpt.config, null) : new Discriminator(ckpt.config, null);
  try {
    assertComplete(net.loadStateDict(ckpt.weights, source), source);
  } catch (e) {
    net.dispose();
    throw e;
  }
  return net;
}

/**
 * Loads a generator saved by `saveNetwork` / `saveCheckpoint`.
 *
 * @example
 * const G = await loadGenerator('out/G_ema.safetensors');
 */
export async function loadGenerator(path: FileLocation): Promise<Generator> {
  const ckpt = await loadCheckpoint(path);
  if (ckpt.kind !== 'generator') throw new StyleGan2Error('STYLEGAN2_WRONG_KIND', `${path} holds a ${ckpt.kind}, not a generator.`);
  return networkFromCheckpoint(ckpt, String(path)) as Generator;
}

/**
 * Loads a discriminator saved by `saveNetwork` / `saveCheckpoint`.
 *
 * @example
 * const D = await loadDiscriminator('out/D.safetensors');
 */
export async function loadDiscriminator(path: FileLocation): Promise<Discriminator> {
  const ckpt = await loadCheckpoint(path);
  if (ckpt.kind !== 'discriminator') throw new StyleGan2Error('STYLEGAN2_WRONG_KIND', `${path} holds a ${ckpt.kind}, not a discriminator.`);
  return networkFromCheckpoint(ckpt, String(path)) as Discriminator;
}
