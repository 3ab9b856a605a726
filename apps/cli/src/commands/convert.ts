/**
 * `gan-control convert`: official checkpoints → a model folder.
 * - GAN-Control (amazon-science/gan-control): trainer `checkpoint.pt` (or a safetensors of its
 *   `g_ema`) + the run's `args.json`; read without executing pickle code.
 * - StyleGAN2-ADA (NVlabs): a generator state_dict as safetensors + its `G_kwargs` JSON.
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmdirSync, rmSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { asList, stringFlag } from '../args.js';
import { prepareBackend } from '../backend.js';
import type { Context } from '../context.js';
import { CliError, usageError } from '../errors.js';
import { MODEL_FILE } from '../model.js';
import { ensureOut, prepareOut } from '../output.js';

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

/**
 * Whether a file starts like JSON text (`{` or `[` after whitespace, and no NUL byte in its
 * first bytes, which a safetensors header length — its first 8 bytes — always has).
 */
export function looksLikeJson(head: Uint8Array): boolean {
  const first = head.findIndex((b) => b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0xef && b !== 0xbb && b !== 0xbf);
  return first >= 0 && (head[first] === 0x7b || head[first] === 0x5b) && !head.subarray(0, 8).includes(0);
}

function readHead(path: string, n = 64): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const head = new Uint8Array(n);
    return head.subarray(0, readSync(fd, head, 0, n, 0));
  } finally {
    closeSync(fd);
  }
}

/**
 * Whether tensor names are a discriminator's rather than a generator's: StyleGAN2-ADA's
 * (`b<res>.fromrgb`, `b4.fc`, `b4.out`, no `mapping.`/`synthesis.`) or the rosinality-based
 * GAN-Control one (`final_conv`, `final_linear`).
 */
export function looksLikeDiscriminator(names: readonly string[]): boolean {
  if (names.some((n) => /^(mapping|synthesis|style|to_rgb1?|to_rgbs|conv1|input)\./.test(n))) return false;
  return names.some((n) => /^(final_conv|final_linear)\./.test(n) || /^b\d+\.fromrgb\./.test(n) || /^b4\.(fc|out)\./.test(n));
}

function discriminatorError(inputPath: string): CliError {
  return new CliError(
    'CLI_BAD_FILE',
    `${inputPath} looks like a discriminator (its tensors are named like b<res>.fromrgb, b4.out or final_linear), not a generator; convert the generator: g_ema in a GAN-Control checkpoint.pt, or the G (G_ema) state_dict of a StyleGAN2-ADA run`,
  );
}

/**
 * Moves a finished model folder from `staging` to `dest` (an absent or existing folder without a
 * model), model.json last, so `dest` never holds a model.json that points at missing files.
 */
function publish(staging: string, dest: string): void {
  if (!existsSync(dest)) {
    renameSync(staging, dest);
    return;
  }
  if (readdirSync(dest).length === 0) {
    rmdirSync(dest);
    renameSync(staging, dest);
    return;
  }
  const names = readdirSync(staging).sort((a, b) => Number(a === MODEL_FILE) - Number(b === MODEL_FILE));
  for (const name of names) {
    if (existsSync(join(dest, name)))
      throw new CliError('CLI_DIR_NOT_EMPTY', `--out ${dest} already holds ${name}; choose another folder or remove it`);
  }
  for (const name of names) renameSync(join(staging, name), join(dest, name));
  rmSync(staging, { recursive: true, force: true });
}

/**
 * The floating-point tensors of a state_dict as Float32 records (integer buffers, none in g_ema,
 * are not weights). A null-prototype object: the names come from the file, and one named
 * `__proto__` must stay a name.
 *
 * @example
 * const stateDict = floatStateDict(readSafetensors(bytes).tensors);
 */
export function floatStateDict(raw: Record<string, unknown>): Record<string, { shape: number[]; data: Float32Array }> {
  const out = Object.create(null) as Record<string, { shape: number[]; data: Float32Array }>;
  for (const [name, t] of Object.entries(raw)) {
    const { shape, data } = t as { shape: number[]; data: unknown };
    if (data instanceof Float32Array) out[name] = { shape: [...shape], data };
    else if (data instanceof Float64Array || data instanceof Uint16Array || Array.isArray(data))
      out[name] = { shape: [...shape], data: Float32Array.from(data as ArrayLike<number>) };
  }
  return out;
}

/** `--attribute group=plugin` flags → model.json attribute entries. */
function parseAttributes(values: string[], groups: readonly string[]): { name: string; plugin?: string }[] {
  return values.map((raw) => {
    const [name, plugin] = raw.includes('=') ? raw.split('=', 2) : [raw, undefined];
    if (!groups.includes(name))
      throw new CliError(
        'CLI_UNKNOWN_ATTRIBUTE',
        `--attribute ${raw}: the model has no latent group '${name}'; its groups are ${groups.join(', ')}`,
      );
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
    if (!group)
      throw new CliError(
        'CLI_UNKNOWN_ATTRIBUTE',
        `--encoder ${raw}: the model has no latent group '${name}'; its groups are ${groups.map((g) => g.name).join(', ')}`,
      );
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
    if (!inputs)
      throw usageError(`--encoder ${raw}: name the controller's inputs for group '${name}': ${name}=${file}@name:unit:min:max,…`);
    return { group: name, offset: group.offset, path: resolve(cwd, file), values: inputs };
  });
}

export async function convertCommand([input]: string[], opts: Record<string, unknown>, ctx: Context): Promise<void> {
  const inputPath = resolve(ctx.cwd, input);
  if (existsSync(inputPath) && looksLikeJson(readHead(inputPath))) {
    throw new CliError(
      'CLI_BAD_FILE',
      `${inputPath} is JSON, not a checkpoint: give the weights as the input (a GAN-Control checkpoint.pt or a safetensors of its g_ema, or a StyleGAN2-ADA generator .safetensors) and the JSON with --args (GAN-Control args.json) or --kwargs (StyleGAN2-ADA G_kwargs)`,
    );
  }
  const argsFlag = stringFlag(opts.args, '--args');
  const kwargsFlag = stringFlag(opts.kwargs, '--kwargs');
  const attributeFlags = asList(opts.attribute);
  const encoderFlags = asList(opts.encoder);
  if (encoderFlags.length > 0 && !argsFlag)
    throw usageError('--encoder imports official GAN-Control controllers: it needs a GAN-Control checkpoint with --args');
  if (argsFlag && kwargsFlag) throw usageError('give --args (a GAN-Control checkpoint) or --kwargs (a StyleGAN2-ADA generator), not both');
  if (!argsFlag && !kwargsFlag) {
    throw usageError(
      extname(inputPath) === '.pt'
        ? `converting a GAN-Control checkpoint needs its run config: --args <args.json> (next to the checkpoint in the official results folder)`
        : `say what ${basename(inputPath)} is: --args <args.json> for a GAN-Control generator, or --kwargs <G_kwargs.json> for a StyleGAN2-ADA generator`,
    );
  }
  const out = prepareOut(stringFlag(opts.out, '--out') ?? `${basename(inputPath, extname(inputPath))}-model`, ctx.cwd, {
    allowFile: false,
  });
  if (existsSync(resolve(out.path, MODEL_FILE)))
    throw new CliError('CLI_DIR_NOT_EMPTY', `--out ${out.path} already holds a model; choose another folder`);
  const bytes = readInput(inputPath, 'checkpoint');
  await prepareBackend(ctx);
  // Everything is written into a sibling folder first and moved into --out at the end: a failed
  // conversion (a bad --encoder file, say) leaves nothing that blocks the corrected retry.
  removeStaleStaging(out.path);
  const staging = join(dirname(out.path), `.${basename(out.path)}.converting-${process.pid}`);
  try {
    const lines = await convertInto(staging, out.path, { inputPath, bytes, argsFlag, kwargsFlag, attributeFlags, encoderFlags }, ctx);
    publish(staging, out.path);
    for (const line of lines) ctx.out(line);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }
  ctx.out(`next: gan-control inspect ${out.path}`);
}

/** Removes staging folders for `dest` left by conversions whose process is gone (killed with kill -9, say). */
function removeStaleStaging(dest: string): void {
  const prefix = `.${basename(dest)}.converting-`;
  let names: string[];
  try {
    names = readdirSync(dirname(dest));
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    if (!Number.isSafeInteger(pid) || pid <= 0 || isAlive(pid)) continue;
    rmSync(join(dirname(dest), name), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Converts into `staging`; returns the report lines (naming `dest`, where the folder goes). */
async function convertInto(
  staging: string,
  dest: string,
  {
    inputPath,
    bytes,
    argsFlag,
    kwargsFlag,
    attributeFlags,
    encoderFlags,
  }: { inputPath: string; bytes: Uint8Array; argsFlag?: string; kwargsFlag?: string; attributeFlags: string[]; encoderFlags: string[] },
  ctx: Context,
): Promise<string[]> {
  const lines: string[] = [];
  ensureOut({ kind: 'file', path: staging });
  const sg2 = await import('@gan-control/stylegan2');
  const { writeModelFolder } = await import('@gan-control/stylegan2/node');

  if (kwargsFlag) {
    const json = readJson(resolve(ctx.cwd, kwargsFlag), '--kwargs');
    const kwargs = 'G_kwargs' in json ? json.G_kwargs : json; // the whole official config.json, or G_kwargs itself
    let G: ReturnType<typeof sg2.loadOfficialGenerator>;
    try {
      G = sg2.loadOfficialGenerator(bytes, kwargs, { source: basename(inputPath) });
    } catch (err) {
      let names: string[] = [];
      try {
        names = Object.keys((await import('@gan-control/tensor-io')).readSafetensors(bytes).tensors);
      } catch {
        // not readable: the loader's own error says why
      }
      throw looksLikeDiscriminator(names) ? discriminatorError(inputPath) : err;
    }
    try {
      const groups = G.groups?.map((g) => g.name) ?? ['latent'];
      await writeModelFolder(staging, {
        name: basename(inputPath, extname(inputPath)),
        generator: { kind: 'stylegan2', config: G.config, stateDict: G.stateDict() },
        attributes: parseAttributes(attributeFlags, groups),
        extra: { source: { converted: 'stylegan2-ada', file: inputPath, kwargs: resolve(ctx.cwd, kwargsFlag) } },
      });
      lines.push(`converted StyleGAN2-ADA generator ${inputPath} (${G.resolution} px, z ${G.zDim}, w ${G.wDim}) → ${dest}`);
    } finally {
      G.dispose();
    }
  } else {
    const args = readJson(resolve(ctx.cwd, argsFlag!), '--args');
    const io = await import('@gan-control/tensor-io');
    // The generator the official Inference uses: g_ema, from the trainer checkpoint or a safetensors of it.
    const isZip = bytes[0] === 0x50 && bytes[1] === 0x4b;
    const raw = isZip
      ? io.torchStateDict(io.readTorchCheckpoint(bytes, { source: basename(inputPath) }), 'g_ema', basename(inputPath))
      : io.readSafetensors(bytes).tensors;
    if (looksLikeDiscriminator(Object.keys(raw))) throw discriminatorError(inputPath);
    const stateDict = floatStateDict(raw);
    const G = sg2.loadGanControlGenerator(stateDict, args, { source: basename(inputPath) });
    try {
      const groups = G.groups?.map((g) => g.name) ?? ['latent'];
      const attributes = parseAttributes(attributeFlags, groups);
      const encoders = parseEncoders(encoderFlags, G.groups ?? [], ctx.cwd);
      const controllers = encoders.map((e) => ({ ...e, bytes: readInput(e.path, `--encoder ${e.group}`) }));
      await writeModelFolder(staging, {
        name: basename(inputPath, extname(inputPath)),
        generator: { kind: 'gan-control-official', args, stateDict },
        attributes,
        extra: { source: { converted: 'gan-control-official', file: inputPath, args: resolve(ctx.cwd, argsFlag!) } },
      });
      lines.push(`converted GAN-Control generator ${inputPath} (${G.resolution} px, groups ${groups.join(', ')}) → ${dest}`);
      if (controllers.length > 0) {
        const enc = await import('@gan-control/encoders');
        for (const c of controllers) {
          const E = enc.importGanControlEncoder(c.bytes, { group: c.group, offset: c.offset, values: c.values, source: basename(c.path) });
          try {
            await (await import('@gan-control/encoders/node')).saveEncoder(E, resolve(staging, 'encoders'));
          } finally {
            E.dispose();
          }
          lines.push(`imported controller ${c.path} → encoder '${c.group}' (${c.values.map((v) => `${v.name} ${v.unit}`).join(', ')})`);
        }
      }
    } finally {
      G.dispose();
    }
  }
  return lines;
}
