/** `gan-control inspect <model>`: resolution, latent groups, attributes and encoders, without loading weights into tfjs. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from '../context.js';
import { CliError } from '../errors.js';
import { modelGroups, parseGanControlArgs } from '@gan-control/stylegan2';
import {
  insideFolder,
  isPackageSpec,
  modelFolderError,
  modelName,
  readModelManifest,
  resolveModelPath,
  safetensorsFramingProblem,
} from '../model.js';
import { formatTable } from '../table.js';

/** What `inspect` reports (also its `--json` output). */
export interface ModelInfo {
  model: string;
  dir: string;
  name: string;
  kind: string;
  resolution: number;
  zDim: number;
  wDim: number;
  groups: { name: string; offset: number; size: number; controlled: boolean }[];
  attributes: { name: string; plugin: string; options: Record<string, unknown> }[];
  encoders: {
    attribute: string;
    group: string;
    values: { name: string; unit: string; range: [number, number]; seam?: number }[];
    valError?: number;
    baselineValError?: number;
    calibrated: boolean;
  }[];
  weights: { file: string; tensors: number; parameters: number; bytes: number };
}

function readHeader(path: string): { tensors: number; parameters: number; bytes: number } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new CliError(
      'CLI_MODEL_CORRUPT',
      `corrupt model: cannot read ${path} (${(err as Error).message}); restore the file or re-export the model`,
    );
  }
  const fail = (why: string) =>
    new CliError(
      'CLI_MODEL_CORRUPT',
      `corrupt model: ${path} is not a readable safetensors file (${why}); restore the file or re-export the model`,
    );
  // The framing check never quotes the first 8 bytes: for a file that is not safetensors they are its content.
  const problem = safetensorsFramingProblem(bytes);
  if (problem) throw new CliError('CLI_MODEL_CORRUPT', `corrupt model: ${path} is ${problem}; restore the file or re-export the model`);
  const n = Number(bytes.readBigUInt64LE(0));
  let header: Record<string, { shape?: number[]; data_offsets?: [number, number] }>;
  try {
    header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
  } catch {
    throw fail('the header is not JSON');
  }
  let tensors = 0;
  let parameters = 0;
  for (const [k, v] of Object.entries(header)) {
    if (k === '__metadata__') continue;
    tensors++;
    parameters += (v.shape ?? []).reduce((a, b) => a * b, 1);
    if (v.data_offsets && 8 + n + v.data_offsets[1] > bytes.length) throw fail(`tensor '${k}' ends past the end of the file (truncated)`);
  }
  return { tensors, parameters, bytes: bytes.length };
}

/** Reads a model folder's description (no tfjs). */
export async function inspectModel(spec: string, cwd: string): Promise<ModelInfo> {
  const where = resolveModelPath(spec, cwd);
  const { dir, manifest } = readModelManifest(where.path);
  const g = manifest.generator;
  let resolution: number;
  let zDim: number;
  let wDim: number;
  if (g.kind === 'stylegan2') {
    ({ resolution, zDim, wDim } = g.config);
  } else {
    const c = parseGanControlArgs(g.args, join(dir, 'model.json'));
    resolution = c.resolution;
    zDim = c.latentSize;
    wDim = c.latentSize;
  }
  let groups: ModelInfo['groups'];
  try {
    groups = modelGroups(manifest, join(dir, 'model.json'));
  } catch (err) {
    throw modelFolderError(err, dir);
  }
  const encodersDir = join(dir, manifest.encoders);
  const encoders: ModelInfo['encoders'] = [];
  if (existsSync(encodersDir)) {
    const { encoderMetadataSchema } = await import('@gan-control/encoders');
    for (const f of readdirSync(encodersDir)
      .filter((x) => x.endsWith('.json'))
      .sort()) {
      const file = insideFolder(encodersDir, f, 'encoder file', join(encodersDir, f));
      let meta;
      try {
        meta = encoderMetadataSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
      } catch (err) {
        throw new CliError(
          'CLI_MODEL_CORRUPT',
          `corrupt encoder ${join(encodersDir, f)}: ${(err as Error).message.replace(/\s*\n\s*/g, ' ')}; retrain it with gan-control encoders`,
        );
      }
      const t = meta.training as { valError?: number; baselineValError?: number } | undefined;
      encoders.push({
        attribute: meta.attribute,
        group: meta.group,
        values: meta.values.map((v) => ({
          name: v.name,
          unit: v.unit,
          range: v.range as [number, number],
          ...(v.kind === 'circular' && v.seam !== undefined ? { seam: v.seam } : {}),
        })),
        ...(typeof t?.valError === 'number' ? { valError: t.valError } : {}),
        ...(typeof t?.baselineValError === 'number' ? { baselineValError: t.baselineValError } : {}),
        calibrated: meta.calibration !== undefined,
      });
    }
  }
  return {
    model: where.label,
    dir,
    name: modelName(manifest, dir),
    kind: g.kind,
    resolution,
    zDim,
    wDim,
    groups,
    attributes: manifest.attributes.map((a) => ({ name: a.name, plugin: a.plugin ?? a.name, options: a.options })),
    encoders,
    weights: { file: manifest.weights, ...readHeader(join(dir, manifest.weights)) },
  };
}

const num = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : Number(x.toPrecision(3)).toString());

export async function inspectCommand([spec]: string[], opts: Record<string, unknown>, ctx: Context): Promise<void> {
  const info = await inspectModel(spec, ctx.cwd);
  if (opts.json) {
    ctx.out(JSON.stringify(info, null, 2));
    return;
  }
  ctx.out(`model       ${info.name} (${info.dir})`);
  ctx.out(
    `generator   ${info.kind}, ${info.resolution}×${info.resolution} px, z ${info.zDim}, w ${info.wDim}; ${info.weights.file}: ${info.weights.tensors} tensors, ${info.weights.parameters.toLocaleString('en-US')} parameters`,
  );
  ctx.out('');
  ctx.out(
    formatTable(
      ['latent group', 'w slice', 'controlled'],
      info.groups.map((g) => [g.name, `[${g.offset}, ${g.offset + g.size})`, g.controlled ? 'yes' : 'no']),
    ),
  );
  ctx.out('');
  if (info.attributes.length) {
    // A path is shown for what it is: the CLI never loads it from the model (see loadModelAttributes).
    const plugin = (a: ModelInfo['attributes'][number]) =>
      isPackageSpec(a.plugin) ? a.plugin : `${a.plugin} (a path: not loaded; name a plugin with --plugin ${a.name}=…)`;
    ctx.out(
      formatTable(
        ['attribute', 'plugin', 'options'],
        info.attributes.map((a) => [a.name, plugin(a), JSON.stringify(a.options)]),
      ),
    );
  } else ctx.out('attributes  none recorded');
  ctx.out('');
  if (info.encoders.length) {
    ctx.out(
      formatTable(
        ['encoder', 'values (unit, trained range)', 'val error (w)', 'mean predictor', 'calibrated'],
        info.encoders.map((e) => [
          e.attribute === e.group ? e.attribute : `${e.attribute} (${e.group})`,
          e.values.length > 4
            ? `${e.values.length} values (${e.values[0].unit})`
            : e.values
                .map(
                  (v) =>
                    `${v.name} ${v.unit} [${num(v.range[0])}, ${num(v.range[1])}]${v.seam === undefined ? '' : ` seam ${num(v.seam)}`}`,
                )
                .join(', '),
          e.valError === undefined ? '-' : num(e.valError),
          e.baselineValError === undefined ? '-' : num(e.baselineValError),
          e.calibrated ? 'yes' : 'no',
        ]),
      ),
    );
  } else ctx.out(`encoders    none (train them: gan-control encoders --model ${spec})`);
}
