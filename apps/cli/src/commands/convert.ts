/**
 * `gan-control convert`: official checkpoints → a model folder.
 * - GAN-Control (amazon-science/gan-control): trainer `checkpoint.pt` (or a safetensors of its
 *   `g_ema`) + the run's `args.json`; read without executing pickle code.
 * - StyleGAN2-ADA (NVlabs): a generator state_dict as safetensors + its `G_kwargs` JSON.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { asList, stringFlag } from '../args.js';
import { prepareBackend } from '../backend.js';
import type { Context } from '../context.js';
import { CliError, usageError } from '../errors.js';
import { MODEL_FILE, saveModel } from '../model.js';
import { prepareOut } from '../output.js';

function readInput(path: string, what: string): Uint8Array {
  if (!existsSync(path)) throw new CliError('CLI_FILE_NOT_FOUND', `${what} ${path} does not exist; check the path`);
  return new Uint8Array(readFileSync(path));
}

function readJson(path: string, flag: string): Record<string, unknown> {
  const bytes = readInput(path, `${flag} file`);
  try {
    const v = JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (err) {
    throw new CliError('CLI_BAD_FILE', `${flag} ${path} is not a JSON object (${(err as Error).message}); pass the official file`);
  }
}

/** `--attribute group=plugin` flags → model.json attribute entries. */
function parseAttributes(values: string[], groups: readonly string[]): { name: string; plugin?: string }[] {
  return values.map((raw) => {
    const [name, plugin] = raw.includes('=') ? raw.split('=', 2) : [raw, undefined];
    if (!groups.includes(name)) throw new CliError('CLI_UNKNOWN_ATTRIBUTE', `--attribute ${raw}: the model has no latent group '${name}'; its groups are ${groups.join(', ')}`);
    return plugin ? { name, plugin } : { name };
  });
}

/** Input names of the official controllers whose inputs the official code fixes. */
const OFFICIAL_CONTROLLER_VALUES: Record<string, { name: string; unit: string; range: [number, number] }[]> = {
  orientation: ['yaw', 'pitch', 'roll'].map((name) => ({ name, unit: 'deg', range: [-90, 90] as [number, number] })),
  pose: ['yaw', 'pitch', 'roll'].map((name) => ({ name, unit: 'deg', range: [-90, 90] as [number, number] })),
  age: [{ name: 'age', unit: 'years', range: [0, 100] }],
};

/**
 * `--encoder group=controller.pt` or `--encoder group=controller.pt@name:unit:min:max,…` → what
 * to import. Names default to the official inputs of `orientation`/`pose` (yaw, pitch, roll in
 * degrees) and `age` (years); other groups must name their inputs.
 */
function parseEncoders(values: string[], groups: readonly { name: string; offset: number }[], cwd: string) {
  return values.map((raw) => {
    const eq = raw.indexOf('=');
    if (eq <= 0) throw usageError(`--encoder ${raw}: expected group=controller.pt (for example orientation=controller_orientation.pt)`);
    const name = raw.slice(0, eq);
    const [file, spec] = raw.slice(eq + 1).split('@', 2);
    const group = groups.find((g) => g.name === name);
    if (!group) throw new CliError('CLI_UNKNOWN_ATTRIBUTE', `--encoder ${raw}: the model has no latent group '${name}'; its groups are ${groups.map((g) => g.name).join(', ')}`);
    let inputs = OFFICIAL_CONTROLLER_VALUES[name];
    if (spec !== undefined) {
      inputs = spec.split(',').map((part) => {
        const [vName, unit, lo, hi] = part.split(':');
        const range: [number, number] = [Number(lo), Number(hi)];
        if (!vName || unit === undefined || !Number.isFinite(range[0]) || !Number.isFinite(range[1]) || range[0] >= range[1]) {
          throw usageError(`--encoder ${raw}: each input is name:unit:min:max (for example yaw:deg:-90:90), got '${part}'`);
        }
        return { name: vName, unit, range };
      });
    }
    if (!inputs) throw usageError(`--encoder ${raw}: name the controller's inputs for group '${name}': ${name}=${file}@name:unit:min:max,…`);
    return { group: name, offset: group.offset, path: resolve(cwd, file), values: inputs };
  });
}

export async function convertCommand([input]: string[], opts: Record<string, unknown>, ctx: Context): Promise<void> {
  const inputPath = resolve(ctx.cwd, input);
  const argsFlag = stringFlag(opts.args, '--args');
  const kwargsFlag = stringFlag(opts.kwargs, '--kwargs');
  const attributeFlags = asList(opts.attribute);
  const encoderFlags = asList(opts.encoder);
  if (encoderFlags.length > 0 && !argsFlag) throw usageError('--encoder imports official GAN-Control controllers: it needs a GAN-Control checkpoint with --args');
  if (argsFlag && kwargsFlag) throw usageError('give --args (a GAN-Control checkpoint) or --kwargs (a StyleGAN2-ADA generator), not both');
  if (!argsFlag && !kwargsFlag) {
    throw usageError(
      extname(inputPath) === '.pt'
        ? `converting a GAN-Control checkpoint needs its run config: --args <args.json> (next to the checkpoint in the official results folder)`
        : `say what ${basename(inputPath)} is: --args <args.json> for a GAN-Control generator, or --kwargs <G_kwargs.json> for a StyleGAN2-ADA generator`,
    );
  }
  const out = prepareOut(stringFlag(opts.out, '--out') ?? `${basename(inputPath, extname(inputPath))}-model`, ctx.cwd, { allowFile: false });
  if (existsSync(resolve(out.path, MODEL_FILE))) throw new CliError('CLI_DIR_NOT_EMPTY', `--out ${out.path} already holds a model; choose another folder`);
  const bytes = readInput(inputPath, 'checkpoint');
  await prepareBackend(ctx);
  const sg2 = await import('@gan-control/stylegan2');

  if (kwargsFlag) {
    const json = readJson(resolve(ctx.cwd, kwargsFlag), '--kwargs');
    const kwargs = 'G_kwargs' in json ? json.G_kwargs : json; // the whole official config.json, or G_kwargs itself
    const G = sg2.loadOfficialGenerator(bytes, kwargs, { source: basename(inputPath) });
    try {
      const groups = G.groups?.map((g) => g.name) ?? ['latent'];
      await saveModel(out.path, {
        name: basename(inputPath, extname(inputPath)),
        generator: { kind: 'stylegan2', config: G.config as unknown as Record<string, unknown>, stateDict: G.stateDict() },
        attributes: parseAttributes(attributeFlags, groups),
        source: { converted: 'stylegan2-ada', file: inputPath, kwargs: resolve(ctx.cwd, kwargsFlag) },
      });
      ctx.out(`converted StyleGAN2-ADA generator ${inputPath} (${G.resolution} px, z ${G.zDim}, w ${G.wDim}) → ${out.path}`);
    } finally {
      G.dispose();
    }
  } else {
    const args = readJson(resolve(ctx.cwd, argsFlag!), '--args');
    const io = await import('@gan-control/tensor-io');
    // The generator the official Inference uses: g_ema, from the trainer checkpoint or a safetensors of it.
    const isZip = bytes[0] === 0x50 && bytes[1] === 0x4b;
    const stateDict: Record<string, { shape: number[]; data: Float32Array }> = {};
    const raw = isZip ? io.torchStateDict(io.readTorchCheckpoint(bytes, { source: basename(inputPath) }), 'g_ema', basename(inputPath)) : io.readSafetensors(bytes).tensors;
    for (const [name, t] of Object.entries(raw)) {
      const data = (t as { data: unknown }).data;
      if (!(data instanceof Float32Array)) {
        if (data instanceof Float64Array || data instanceof Uint16Array || Array.isArray(data)) stateDict[name] = { shape: [...(t as { shape: number[] }).shape], data: Float32Array.from(data as ArrayLike<number>) };
        else continue; // integer buffers (none in g_ema) are not weights
      } else stateDict[name] = { shape: [...(t as { shape: number[] }).shape], data };
    }
    const G = sg2.loadGanControlGenerator(stateDict, args, { source: basename(inputPath) });
    try {
      const groups = G.groups?.map((g) => g.name) ?? ['latent'];
      const attributes = parseAttributes(attributeFlags, groups);
      const encoders = parseEncoders(encoderFlags, G.groups ?? [], ctx.cwd);
      const controllers = encoders.map((e) => ({ ...e, bytes: readInput(e.path, `--encoder ${e.group}`) }));
      await saveModel(out.path, {
        name: basename(inputPath, extname(inputPath)),
        generator: { kind: 'gan-control-official', args, stateDict },
        attributes,
        source: { converted: 'gan-control-official', file: inputPath, args: resolve(ctx.cwd, argsFlag!) },
      });
      ctx.out(`converted GAN-Control generator ${inputPath} (${G.resolution} px, groups ${groups.join(', ')}) → ${out.path}`);
      if (controllers.length > 0) {
        const enc = await import('@gan-control/encoders');
        for (const c of controllers) {
          const E = enc.importGanControlEncoder(c.bytes, { group: c.group, offset: c.offset, values: c.values, source: basename(c.path) });
          try {
            await enc.saveEncoder(E, resolve(out.path, 'encoders'));
          } finally {
            E.dispose();
          }
          ctx.out(`imported controller ${c.path} → encoder '${c.group}' (${c.values.map((v) => `${v.name} ${v.unit}`).join(', ')})`);
        }
      }
    } finally {
      G.dispose();
    }
  }
  ctx.out(`next: gan-control inspect ${out.path}`);
}
