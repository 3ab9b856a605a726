/**
 * `gan-control edit IMAGE|latent.json`: sets attributes by value on a user's picture. An image is
 * projected first (as `invert` does); a `latent.json` from `invert` is used as it is. Every
 * `generate` operation applies to the projected latent: `--set`, `--sweep`, `--keep`,
 * `--truncation`, and `--resample` (draw a group from `--seed` instead).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { asList, numberFlag, parseSet, parseSweep, stringFlag, intFlag } from '../args.js';
import { prepareBackend } from '../backend.js';
import type { Context } from '../context.js';
import { openControl, outOfRangeError } from '../control.js';
import { CliError, formatZodIssues, usageError } from '../errors.js';
import { checkRequest, resolveModelPath } from '../model.js';
import { ensureOut, fileNumber, prepareOut } from '../output.js';
import { createProgress } from '../progress.js';
import { withSweepValue } from './generate.js';
import { latentFile, measureImages, measuredTable, planProjection, projectFile, type Measured } from './invert.js';

export async function editCommand(args: string[], opts: Record<string, unknown>, ctx: Context): Promise<void> {
  const input = args[0];
  if (!input)
    throw usageError(
      'edit needs an image or a latent.json: gan-control edit photo.png --model shapes --set color.hue=200 --out edited.png',
    );
  const set = parseSet(asList(opts.set));
  const sweeps = asList(opts.sweep);
  if (sweeps.length > 1) throw usageError(`--sweep was given ${sweeps.length} times; edit sweeps one value (a row of pictures)`);
  const sweep = sweeps.length ? parseSweep(sweeps[0]) : undefined;
  const keep = asList(opts.keep);
  const resample = asList(opts.resample);
  const truncation = numberFlag(opts.truncation, '--truncation', { min: 0, max: 1, fallback: 1 });
  if (Object.keys(set).length === 0 && !sweep && resample.length === 0 && truncation === 1) {
    throw usageError(
      'edit needs something to change: --set <attribute>=<value>, --sweep, --resample <group> or --truncation below 1; e.g. --set color.hue=200',
    );
  }
  const seed = intFlag(opts.seed, '--seed', { min: 0, max: 2 ** 31 - 1, fallback: 0 });
  const feedbackFlag = opts.feedback === undefined ? undefined : intFlag(opts.feedback, '--feedback', { min: 0, max: 10, fallback: 1 });
  const plan = planProjection(opts);
  const json = Boolean(opts.json);
  const target = prepareOut(stringFlag(opts.out, '--out') ?? 'edited.png', ctx.cwd, { allowFile: true });
  if (target.kind !== 'file') throw usageError(`--out ${stringFlag(opts.out, '--out')}: give a file name ending in .png`);
  const saveLatent = stringFlag(opts.saveLatent, '--save-latent');
  const where = resolveModelPath(stringFlag(opts.model, '--model') ?? 'shapes', ctx.cwd);
  await prepareBackend(ctx);
  const session = await openControl(where, ctx, { measure: true });
  try {
    checkRequest(session, { set, sweep, keep });
    const tf = await import('@tensorflow/tfjs-core');
    const enc = await import('@gan-control/encoders');
    const { tensorToPng, writeFileAtomic } = await import('@gan-control/tensor-io/node');
    const inputPath = resolve(ctx.cwd, input);

    // 1. The latent: projected from the image, or read from invert's latent.json.
    let latent: import('@gan-control/encoders').LatentCode;
    let original: Measured | undefined;
    let quality: { psnr: number; mse: number } | undefined;
    const owned: tf.Tensor[] = [];
    try {
      if (input.toLowerCase().endsWith('.json')) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(await readFile(inputPath, 'utf8'));
        } catch (err) {
          throw new CliError(
            'CLI_BAD_LATENT',
            `cannot read the latent ${inputPath}: ${(err as Error).message}; give a latent.json written by gan-control invert, or an image`,
            { cause: err },
          );
        }
        const r = enc.latentCodeSchema.safeParse(parsed);
        if (!r.success) {
          throw new CliError('CLI_BAD_LATENT', `${inputPath} is not a latent written by gan-control invert (${formatZodIssues(r.error)})`);
        }
        latent = r.data;
        const meta = parsed as { measured?: { original?: Measured }; psnr?: number; mse?: number };
        original = meta.measured?.original;
        if (typeof meta.psnr === 'number' && typeof meta.mse === 'number') quality = { psnr: meta.psnr, mse: meta.mse };
      } else {
        const p = await projectFile(session, inputPath, plan, ctx, { json });
        owned.push(p.target, p.result.image);
        latent = p.result.latent;
        original = measureImages(session, p.target, tf);
        quality = { psnr: p.result.psnr, mse: p.result.mse };
        if (saveLatent) {
          const path = resolve(ctx.cwd, saveLatent);
          ensureOut({ kind: 'file', path }, '--save-latent');
          await writeFileAtomic(
            path,
            JSON.stringify(
              latentFile(session, inputPath, plan, p.result, { original, reconstruction: measureImages(session, p.result.image, tf) }),
              null,
              2,
            ),
          );
          if (!json) ctx.out(`wrote ${path} (the latent)`);
        }
      }

      // 2. The edits, on the latent exactly as on a sampled one; one closed-loop pass by default
      // where the plugins can measure (a projected picture's other groups pull values off).
      const canMeasure = session.controller.encoders.every((e) => typeof session.runtimes[e.group]?.measure === 'function');
      const base = {
        feedback: feedbackFlag ?? (canMeasure ? 1 : 0),
        latent,
        keep,
        resample,
        seed,
        truncation: truncation === 1 ? undefined : truncation,
        fill: 'measured' as const,
        outOfRange: opts.extrapolate ? ('allow' as const) : ('error' as const),
      };
      const generate = (s: typeof set) => {
        try {
          return session.controller.generate({ ...base, set: s });
        } catch (err) {
          throw outOfRangeError(err, 'request a value inside it, or pass --extrapolate') ?? err;
        }
      };
      const recon = session.controller.generate({ latent, seed });
      owned.push(recon.images, recon.ws);
      const reconstruction = measureImages(session, recon.images, tf);
      const values = sweep ? sweep.values : [undefined];
      const columns: tf.Tensor4D[] = [];
      const bar = createProgress({ label: 'edit', total: values.length, enabled: !json && ctx.isTTY && values.length > 1 });
      for (const [i, v] of values.entries()) {
        const r = generate(v === undefined ? set : withSweepValue(set, sweep!, v));
        r.ws.dispose();
        columns.push(r.images);
        owned.push(r.images);
        bar.update(i + 1);
      }
      bar.finish();
      const images = columns.length === 1 ? columns[0] : (tf.concat(columns, 0) as tf.Tensor4D);
      if (images !== columns[0]) owned.push(images);
      const edits = columns.map((c) => measureImages(session, c, tf));
      ensureOut(target);
      await writeFileAtomic(
        target.path,
        await tensorToPng(images, columns.length === 1 ? {} : { grid: { rows: 1, cols: columns.length } }),
      );

      const label = (v: number | undefined) =>
        v === undefined ? 'edit' : `${sweep!.attribute}${sweep!.field ? `.${sweep!.field}` : ''}=${fileNumber(v)}`;
      if (json) {
        ctx.out(
          JSON.stringify(
            {
              out: target.path,
              psnr: quality?.psnr,
              mse: quality?.mse,
              measured: { original, reconstruction, edits: edits.map((m, i) => ({ value: values[i], measured: m })) },
            },
            null,
            2,
          ),
        );
      } else {
        ctx.out(
          `wrote ${target.path} (${columns.length === 1 ? 'the edited picture' : `a row of ${columns.length}: ${values.map(label).join(', ')}`})`,
        );
        if (quality) ctx.out(`reconstruction: PSNR ${quality.psnr.toFixed(2)} dB, MSE ${quality.mse.toExponential(3)} (pixels in [0, 1])`);
        const cols = [
          ...(original ? [{ label: 'original', values: original }] : []),
          { label: 'reconstruction', values: reconstruction },
          ...edits.map((m, i) => ({ label: label(values[i]), values: m })),
        ];
        if (Object.keys(reconstruction).length) ctx.out(measuredTable(session, cols));
      }
    } finally {
      tf.dispose(owned);
    }
  } finally {
    session.dispose();
  }
}
