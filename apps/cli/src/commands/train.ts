/** `gan-control train`: a GAN-Control model from a config file or a preset, through @gan-control/trainer. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { numberFlag, stringFlag } from '../args.js';
import { prepareBackend } from '../backend.js';
import type { Context } from '../context.js';
import { CliError, usageError } from '../errors.js';
import { builtinPackages } from '../model.js';
import { prepareOut } from '../output.js';
import { loadPlugin, resolvePlugin, type LoadedPlugin } from '../plugins.js';
import { interruptible } from '../interrupt.js';
import { createProgress } from '../progress.js';

interface AttributeEntry {
  name: string;
  plugin?: string;
  options?: Record<string, unknown>;
}

/** Reads the config: a JSON file (relative plugin paths resolve from its folder) or a preset. */
async function readConfig(
  file: string | undefined,
  presetName: string | undefined,
  cwd: string,
): Promise<{ config: Record<string, unknown>; base: string; label: string }> {
  const trainer = await import('@gan-control/trainer');
  if (file && presetName) throw usageError('give a config file or --preset, not both');
  if (!file && !presetName) {
    throw usageError(
      `train needs a config file or --preset <name> (presets: ${Object.keys(trainer.presets).join(', ')}); for example: gan-control train --preset shapes-32 --out runs/shapes`,
    );
  }
  if (presetName) {
    const config = (trainer.presets as Record<string, unknown>)[presetName];
    if (!config)
      throw new CliError('CLI_UNKNOWN_PRESET', `unknown preset '${presetName}'; presets: ${Object.keys(trainer.presets).join(', ')}`);
    return { config: structuredClone(config) as Record<string, unknown>, base: cwd, label: `preset ${presetName}` };
  }
  const path = resolve(cwd, file!);
  if (!existsSync(path)) throw new CliError('CLI_FILE_NOT_FOUND', `config file ${path} does not exist; check the path`);
  let config: unknown;
  try {
    config = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new CliError('CLI_BAD_FILE', `config file ${path} is not valid JSON (${(err as Error).message})`);
  }
  if (!config || typeof config !== 'object' || Array.isArray(config))
    throw new CliError('CLI_BAD_FILE', `config file ${path} must hold a JSON object`);
  return { config: config as Record<string, unknown>, base: dirname(path), label: path };
}

/** Resolves each attribute's plugin (`plugin` field, else its name) from the user's project. */
async function resolvePlugins(
  entries: AttributeEntry[],
  base: string,
  cwd: string,
): Promise<{ plugins: LoadedPlugin[]; specs: Map<string, string> }> {
  const builtins = builtinPackages();
  const plugins: LoadedPlugin[] = [];
  const specs = new Map<string, string>();
  for (const [i, entry] of entries.entries()) {
    if (!entry || typeof entry.name !== 'string')
      throw new CliError('CLI_BAD_FILE', `invalid config: attributes[${i}].name: expected the name of a latent group`);
    const spec = entry.plugin ?? entry.name;
    const local = spec.startsWith('.') || isAbsolute(spec);
    const resolved = resolvePlugin(local ? resolve(base, spec) : spec, cwd, builtins);
    if (!entry.plugin) resolved.attribute ??= entry.name;
    const plugin = await loadPlugin(resolved, builtins);
    if (plugin.name !== entry.name) {
      throw new CliError(
        'CLI_PLUGIN_MISMATCH',
        `invalid config: attributes[${i}]: plugin '${spec}' provides the attribute '${plugin.name}', but the entry is named '${entry.name}'; name the attribute (and its latent group) '${plugin.name}'`,
      );
    }
    plugins.push(plugin);
    if (entry.plugin) specs.set(entry.name, local ? resolve(base, spec) : spec);
  }
  return { plugins, specs };
}

/** Each attribute's plugin spec as the exported model.json records it (a path relative to the model folder). */
function recordedPlugins(modelDir: string, specs: ReadonlyMap<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, spec] of specs) out[name] = isAbsolute(spec) ? `./${relative(modelDir, spec).split('\\').join('/')}` : spec;
  return out;
}

export async function trainCommand([file]: string[], opts: Record<string, unknown>, ctx: Context): Promise<void> {
  const { config, base, label } = await readConfig(file, stringFlag(opts.preset, '--preset'), ctx.cwd);
  const kimg = opts.kimg === undefined ? undefined : numberFlag(opts.kimg, '--kimg', { min: 0.001, max: 1e6, fallback: 0 });
  if (kimg !== undefined) config.totalKimg = kimg;
  // The flags the bundled model was trained with (packages/domain-shapes/model/README.md).
  // cac keeps '--r1-gamma' as 'r1-gamma' (it camel-cases only letter-dash-letter).
  const r1Flag = opts['r1-gamma'] ?? opts.r1Gamma;
  const r1Gamma = r1Flag === undefined ? undefined : numberFlag(r1Flag, '--r1-gamma', { min: 0, max: 1e6, fallback: 0 });
  if (r1Gamma !== undefined) config.r1Gamma = r1Gamma;
  const lr = opts.lr === undefined ? undefined : numberFlag(opts.lr, '--lr', { min: 1e-9, max: 10, fallback: 0 });
  if (lr !== undefined) config.optim = { ...(config.optim as Record<string, unknown> | undefined), gLr: lr, dLr: lr };
  // cac camel-cases '--clamp-output' to clampOutput (letter-dash-letter).
  const clampOutput = Boolean(opts.clampOutput);
  if (clampOutput) config.generator = { ...(config.generator as Record<string, unknown> | undefined), clampOutput: true };
  const minutes = opts.minutes === undefined ? undefined : numberFlag(opts.minutes, '--minutes', { min: 0.001, max: 1e6, fallback: 0 });
  const trainer = await import('@gan-control/trainer');
  // Validate before any work, so config errors come by field path.
  const parsed = trainer.trainConfigSchema.safeParse(config);
  if (!parsed.success) {
    const { formatZodIssues } = await import('../errors.js');
    throw new CliError('CLI_BAD_CONFIG', `invalid training config (${label}): ${formatZodIssues(parsed.error.issues)}`);
  }
  const outDir = prepareOut(stringFlag(opts.out, '--out') ?? join('runs', parsed.data.name), ctx.cwd, { allowFile: false }).path;
  if (!opts.resume && existsSync(join(outDir, 'checkpoints', 'latest.json'))) {
    throw new CliError(
      'CLI_RESUME_NEEDED',
      `${outDir} already holds a training run; pass --resume to continue it, or choose another --out`,
    );
  }
  if (opts.resume && !hasCheckpoint(outDir)) {
    throw new CliError(
      'CLI_NOTHING_TO_RESUME',
      `--resume: ${outDir} holds no training checkpoint to continue from (no checkpoints/latest.json or ckpt-*.json); check --out, or leave out --resume to start a new run there`,
    );
  }
  const { plugins, specs } = await resolvePlugins((config.attributes ?? []) as AttributeEntry[], base, ctx.cwd);
  await prepareBackend(ctx);
  const json = Boolean(opts.json);
  const totalImages = Math.round(parsed.data.totalKimg * 1000);
  const bar = createProgress({ label: 'train', total: totalImages, enabled: !json && ctx.isTTY });
  if (!json) ctx.info(`training ${parsed.data.name} (${label}) for ${parsed.data.totalKimg} kimg into ${outDir}`);
  const stop = interruptible(ctx.info, 'training');
  const timeUp = minutes === undefined ? undefined : AbortSignal.timeout(Math.round(minutes * 60_000));
  let result: Awaited<ReturnType<typeof trainer.train>>;
  try {
    result = await trainer.train(config, {
      outDir,
      signal: timeUp ? AbortSignal.any([stop.signal, timeUp]) : stop.signal,
      resume: Boolean(opts.resume),
      allowConfigChange: Boolean(opts.allowConfigChange),
      plugins: plugins as never,
      attributePlugins: recordedPlugins(join(outDir, 'model'), specs),
      datasets: (await import('@gan-control/domain-shapes')).shapesDatasets,
      log: (line) => bar.log(line),
      onProgress: (p) => {
        const m = p.metrics;
        const c = Number.isNaN(m.gContrastive) ? '-' : m.gContrastive.toFixed(3);
        bar.update(p.images, `${p.imagesPerSecond.toFixed(1)} img/s  G ${m.gAdv.toFixed(3)}  C ${c}  D ${m.d.toFixed(3)}`, p.totalImages);
      },
    });
  } catch (err) {
    if ((err as { code?: string }).code === 'TRAINER_RESUME') {
      throw new CliError(
        'CLI_RESUME_CONFIG',
        `cannot resume ${outDir}: it was trained with a different config; use the same config, another --out, or --allow-config-change to continue with the new one (the run then mixes both)`,
        { cause: err },
      );
    }
    throw err;
  } finally {
    stop.done();
  }
  if (result.finished) bar.finish();
  else bar.stop('stopped');
  // The resumed run must aim for the same length: --kimg overrides the config's, so it is repeated.
  const overrides = [
    kimg === undefined ? '' : ` --kimg ${kimg}`,
    r1Gamma === undefined ? '' : ` --r1-gamma ${r1Gamma}`,
    lr === undefined ? '' : ` --lr ${lr}`,
    clampOutput ? ' --clamp-output' : '',
  ].join('');
  const resume = `gan-control train ${file ?? `--preset ${String(opts.preset)}`} --out ${relative(ctx.cwd, outDir) || '.'} --resume${overrides}`;
  if (json) ctx.out(JSON.stringify({ ...result, outDir }, null, 2));
  else {
    ctx.out(
      `${result.finished ? 'trained' : 'stopped after'} ${result.images} images in ${result.seconds.toFixed(1)} s (${result.step} steps); model: ${result.modelDir}`,
    );
    ctx.out(`samples: ${join(outDir, 'samples', 'latest.png')}; metrics: ${join(outDir, 'metrics.jsonl')}`);
    if (result.finished)
      ctx.out(`next: gan-control encoders --model ${relative(ctx.cwd, result.modelDir) || '.'}${pluginFlags(specs, ctx.cwd)}`);
  }
  if (!result.finished && timeUp?.aborted && !stop.signal.aborted) {
    ctx.info(`--minutes ${minutes}: stopped after ${result.images} of ${totalImages} images with a checkpoint; continue with: ${resume}`);
  } else if (!result.finished) {
    throw new CliError(
      'CLI_INTERRUPTED',
      `training stopped (Ctrl-C) after ${result.images} of ${totalImages} images; its checkpoint is saved; continue with: ${resume}`,
    );
  }
}

/**
 * `--plugin` flags for the plugins the config named by path: model.json records them, but a model
 * folder may only name installed packages, so commands on the model need them named again.
 *
 * @example
 * pluginFlags(new Map([['brightness', '/work/p/gan-control-attribute-brightness']]), '/work/p'); // ' --plugin brightness=./gan-control-attribute-brightness'
 */
export function pluginFlags(specs: ReadonlyMap<string, string>, cwd: string): string {
  let flags = '';
  for (const [name, spec] of specs) {
    if (!isAbsolute(spec)) continue;
    const rel = relative(cwd, spec).split('\\').join('/');
    flags += ` --plugin ${name}=${rel.startsWith('.') ? rel : `./${rel}`}`;
  }
  return flags;
}

/** Whether a run folder holds a checkpoint `--resume` can continue from (the trainer's file names). */
function hasCheckpoint(outDir: string): boolean {
  const dir = join(outDir, 'checkpoints');
  if (existsSync(join(dir, 'latest.json'))) return true;
  try {
    return readdirSync(dir).some((f) => /^ckpt-\d+\.json$/.test(f));
  } catch {
    return false;
  }
}
