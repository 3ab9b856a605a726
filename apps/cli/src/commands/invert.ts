/**
 * `gan-control invert IMAGE`: projects a user's image into a model's latent (`projectImage`) and
 * saves it as `latent.json`, which `gan-control edit` (and `Controller.generate({ latent })`) edit
 * by value. Prints the reconstruction quality and the attributes measured on both pictures.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { intFlag, numberFlag, stringFlag } from '../args.js';
import { prepareBackend } from '../backend.js';
import type { Context } from '../context.js';
import { openControl, type ControlSession } from '../control.js';
import { isGanControlError } from '@gan-control/errors';
import { CliError, usageError } from '../errors.js';
import { resolveModelPath } from '../model.js';
import { ensureOut, prepareOut } from '../output.js';
import { createProgress } from '../progress.js';
import { formatTable } from '../table.js';

/** Projection flags shared by `invert` and `edit`. */
export interface ProjectionPlan {
  steps: number;
  mode: 'w' | 'groups' | 'w+';
  start: 'encoders' | 'mean';
  /** With `start: 'encoders'`: starts screened (`encoderStarts`), each for `screenSteps` steps. */
  starts: number;
  screenSteps: number;
  seed: number;
  prior: number;
  allowGrayscale: boolean;
  /** Most pixels an input image may declare (`--max-pixels`; default tensor-io's `DEFAULT_MAX_PIXELS`, 2^24). */
  maxPixels?: number;
}

/** Flags → projection settings (usage errors only). */
export function planProjection(opts: Record<string, unknown>): ProjectionPlan {
  const mode = stringFlag(opts.mode, '--mode') ?? 'groups';
  if (mode !== 'w' && mode !== 'groups' && mode !== 'w+') throw usageError(`--mode must be w, groups or w+, got '${mode}'`);
  const start = stringFlag(opts.start, '--start') ?? 'encoders';
  if (start !== 'encoders' && start !== 'mean') throw usageError(`--start must be encoders or mean, got '${start}'`);
  return {
    steps: intFlag(opts.steps, '--steps', { min: 1, max: 100_000, fallback: 300 }),
    mode,
    start,
    starts: intFlag(opts.starts, '--starts', { min: 1, max: 256, fallback: 8 }),
    screenSteps: intFlag(opts.screenSteps, '--screen-steps', { min: 1, max: 100_000, fallback: 20 }),
    seed: intFlag(opts.seed, '--seed', { min: 0, max: 2 ** 31 - 1, fallback: 0 }),
    prior: numberFlag(opts.prior, '--prior', { min: 0, max: 1e6, fallback: 0.001 }),
    allowGrayscale: Boolean(opts.allowGrayscale),
    maxPixels: opts.maxPixels === undefined ? undefined : intFlag(opts.maxPixels, '--max-pixels', { min: 1, max: 2 ** 31, fallback: 0 }),
  };
}

/** Measured values by attribute: `{ color: { hue: 204.1 }, position: { x: 14.2, y: 9.8 } }` (first image of the batch). */
export type Measured = Record<string, Record<string, number>>;

/** Every attribute the session can measure, on image `row` of `images`. */
export function measureImages(session: ControlSession, images: tf.Tensor4D, tfm: typeof tf, row = 0): Measured {
  const out: Measured = {};
  for (const [group, a] of Object.entries(session.runtimes)) {
    if (!a.measure || !a.values) continue;
    const y = tfm.tidy(() => a.measure!(images).dataSync());
    const V = a.values.length;
    const name = session.attributes.find((x) => x.group === group)?.name ?? group;
    out[name] = Object.fromEntries(a.values.map((v, i) => [v.name, y[row * V + i]]));
  }
  return out;
}

/** One table: a row per value, a column per picture. */
export function measuredTable(session: ControlSession, columns: readonly { label: string; values: Measured }[]): string {
  const rows: string[][] = [];
  for (const [attr, vals] of Object.entries(columns[0].values)) {
    for (const name of Object.keys(vals)) {
      const unit =
        Object.values(session.runtimes)
          .flatMap((a) => a.values ?? [])
          .find((v) => v.name === name)?.unit ?? '';
      rows.push([`${attr}.${name}${unit ? ` (${unit})` : ''}`, ...columns.map((c) => fmt(c.values[attr]?.[name]))]);
    }
  }
  return formatTable(['measured', ...columns.map((c) => c.label)], rows);
}

function fmt(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '—';
  return Math.abs(v) >= 10 ? v.toFixed(2) : v.toPrecision(4);
}

/**
 * The start of `--start encoders`: several starts screened (`encoderStarts`, centred on the
 * generator's w average), or, with `--starts 1` or no w average, the encoders' one start where
 * the model has encoders and the plugins measure (else none: the mean w).
 */
function projectionStart(
  session: ControlSession,
  target: tf.Tensor4D,
  plan: ProjectionPlan,
  enc: typeof import('@gan-control/encoders'),
): import('@gan-control/encoders').LatentCode | import('@gan-control/encoders').LatentCode[] | undefined {
  if (plan.starts > 1 && session.controller.generator.wAvg)
    return enc.encoderStarts(session.controller, target, session.runtimes, { count: plan.starts, seed: plan.seed });
  const hasEncoders = Object.keys(session.runtimes).length > 0 && session.controller.encoders.length > 0;
  return hasEncoders ? enc.encoderStart(session.controller, target, session.runtimes) : undefined;
}

/**
 * Reads an image file (PNG or JPEG, any size), prepares it by `prepareImage`'s rule (centred
 * square, area resize to the model's resolution) and projects it, with a progress bar.
 */
export async function projectFile(
  session: ControlSession,
  imagePath: string,
  plan: ProjectionPlan,
  ctx: Context,
  { json = false }: { json?: boolean } = {},
): Promise<{ target: tf.Tensor4D; result: import('@gan-control/encoders').ProjectionResult; ms: number }> {
  const enc = await import('@gan-control/encoders');
  const { decodeImage } = await import('@gan-control/tensor-io/node');
  const { exceededLimit } = await import('@gan-control/tensor-io');
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(imagePath));
  } catch (err) {
    throw new CliError(
      'CLI_IMAGE_NOT_FOUND',
      `cannot read the image ${imagePath}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}; give the path of a PNG or JPEG`,
      { cause: err },
    );
  }
  let raw: Awaited<ReturnType<typeof decodeImage>>;
  try {
    raw = await decodeImage(bytes, { channels: 4, maxPixels: plan.maxPixels });
  } catch (err) {
    const limit = exceededLimit(err);
    if (limit) {
      throw new CliError(
        'CLI_IMAGE_TOO_LARGE',
        `${imagePath} declares ${limit.value} pixels, more than --max-pixels ${limit.max}; downscale it, or if you trust the file pass --max-pixels ${limit.value}`,
        { cause: err, details: { limit } },
      );
    }
    throw new CliError('CLI_BAD_IMAGE', `${imagePath} is not a readable image (${(err as Error).message}); give a PNG or JPEG`, {
      cause: err,
    });
  }
  const resolution = session.model.generator.resolution;
  let target: tf.Tensor4D;
  try {
    target = enc.prepareImage(raw, resolution, { allowGrayscale: plan.allowGrayscale });
  } catch (err) {
    if (isGanControlError(err, 'ENCODERS_BAD_IMAGE')) {
      const why =
        err.details?.reason === 'greyscale' ? `${enc.GREYSCALE_REFUSAL} (or pass --allow-grayscale to project it anyway)` : err.message;
      throw new CliError('CLI_BAD_IMAGE', `${imagePath}: ${why}`, { cause: err, details: err.details });
    }
    throw err;
  }
  try {
    const start = plan.start === 'encoders' ? projectionStart(session, target, plan, enc) : undefined;
    const total = plan.steps + (Array.isArray(start) ? start.length * plan.screenSteps : 0);
    const bar = createProgress({ label: 'invert', total, enabled: !json && ctx.isTTY });
    const t0 = performance.now();
    const result = await enc.projectImage(session.controller.generator, target, {
      steps: plan.steps,
      mode: plan.mode,
      seed: plan.seed,
      start,
      screenSteps: plan.screenSteps,
      latentPrior: plan.prior,
      layout: session.controller.groups.length ? { groups: session.controller.groups } : undefined,
      onProgress: (p) => bar.update(p.step, `loss ${p.loss.toExponential(2)}`),
    });
    bar.finish();
    return { target, result, ms: performance.now() - t0 };
  } catch (err) {
    target.dispose();
    throw err;
  }
}

/** The saved latent: the latent code plus where it came from and how well it reconstructs. */
export function latentFile(
  session: ControlSession,
  image: string,
  plan: ProjectionPlan,
  result: import('@gan-control/encoders').ProjectionResult,
  measured: { original: Measured; reconstruction: Measured },
) {
  return {
    ...result.latent,
    model: session.label,
    image,
    resolution: session.model.generator.resolution,
    projection: {
      steps: plan.steps,
      mode: plan.mode,
      start: plan.start,
      starts: result.starts,
      startKept: result.startKept,
      screenSteps: plan.screenSteps,
      seed: plan.seed,
      prior: plan.prior,
    },
    psnr: result.psnr,
    mse: result.mse,
    measured,
  };
}

export async function invertCommand(args: string[], opts: Record<string, unknown>, ctx: Context): Promise<void> {
  const image = args[0];
  if (!image) throw usageError('invert needs an image: gan-control invert photo.png --model shapes');
  const plan = planProjection(opts);
  const json = Boolean(opts.json);
  const outPath = resolve(ctx.cwd, stringFlag(opts.out, '--out') ?? 'latent.json');
  if (!outPath.toLowerCase().endsWith('.json'))
    throw usageError(`--out ${stringFlag(opts.out, '--out')}: the latent is written as JSON; give a name ending in .json`);
  const png = stringFlag(opts.png, '--png');
  const pngTarget = png ? prepareOut(png, ctx.cwd, { allowFile: true, flag: '--png' }) : undefined;
  if (pngTarget && pngTarget.kind !== 'file') throw usageError(`--png ${png}: give a file name ending in .png`);
  const where = resolveModelPath(stringFlag(opts.model, '--model') ?? 'shapes', ctx.cwd);
  await prepareBackend(ctx);
  const session = await openControl(where, ctx, { measure: true });
  try {
    const tf = await import('@tensorflow/tfjs-core');
    const { tensorToPng, writeFileAtomic } = await import('@gan-control/tensor-io/node');
    const imagePath = resolve(ctx.cwd, image);
    const { target, result, ms } = await projectFile(session, imagePath, plan, ctx, { json });
    try {
      const measured = { original: measureImages(session, target, tf), reconstruction: measureImages(session, result.image, tf) };
      ensureOut({ kind: 'file', path: outPath });
      await writeFileAtomic(outPath, JSON.stringify(latentFile(session, imagePath, plan, result, measured), null, 2));
      if (pngTarget) {
        ensureOut(pngTarget, '--png');
        await writeFileAtomic(pngTarget.path, await tensorToPng(result.image));
      }
      if (json) {
        ctx.out(
          JSON.stringify(
            {
              latent: outPath,
              png: pngTarget?.path,
              psnr: result.psnr,
              mse: result.mse,
              starts: result.starts,
              startKept: result.startKept,
              seconds: ms / 1000,
              measured,
            },
            null,
            2,
          ),
        );
      } else {
        ctx.out(
          `wrote ${outPath} (${plan.mode} latent of ${image}, ${plan.steps} steps from the ${plan.start === 'encoders' ? (result.starts > 1 ? `best of ${result.starts} starts` : "encoders' start") : 'mean w'}, ${(ms / 1000).toFixed(1)} s)`,
        );
        if (pngTarget) ctx.out(`wrote ${pngTarget.path} (the reconstruction)`);
        ctx.out(`reconstruction: PSNR ${result.psnr.toFixed(2)} dB, MSE ${result.mse.toExponential(3)} (pixels in [0, 1])`);
        if (Object.keys(measured.original).length)
          ctx.out(
            measuredTable(session, [
              { label: 'original', values: measured.original },
              { label: 'reconstruction', values: measured.reconstruction },
            ]),
          );
        ctx.out(
          `edit it: gan-control edit ${relativeOr(ctx.cwd, outPath)} --model ${session.label} --set <attribute>=<value> --out edited.png`,
        );
      }
    } finally {
      tf.dispose([target, result.image]);
    }
  } finally {
    session.dispose();
  }
}

function relativeOr(cwd: string, path: string): string {
  return dirname(path) === cwd ? path.slice(cwd.length + 1) : path;
}
