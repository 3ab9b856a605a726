/**
 * `gan-control demo`: the embedded default. On the bundled shapes model: a sweep grid per
 * attribute value (rows: seeds, columns: requested values), the control-precision table, and
 * where the files went.
 */
import { join } from 'node:path';
import { intFlag, stringFlag, type Sweep } from '../args.js';
import { prepareBackend } from '../backend.js';
import type { Context } from '../context.js';
import { openControl } from '../control.js';
import { CliError } from '../errors.js';
import { noEncoders, resolveModelPath, type ModelAttribute } from '../model.js';
import { ensureOut, prepareOut } from '../output.js';
import { createProgress } from '../progress.js';
import { renderPlan } from './generate.js';

const STEPS = 6;
const ROWS = 4;

/** Evenly spaced values over an encoder's trained range (a circular range skips its duplicate end). */
export function sweepValues(value: ModelAttribute['values'][number] & { circular?: boolean }, steps = STEPS): number[] {
  const [lo, hi] = value.range ?? [0, 1];
  const n = value.circular ? steps + 1 : steps;
  // Exact (not rounded) values, so the ends stay inside the range the encoder accepts.
  return Array.from({ length: steps }, (_, i) => Math.min(hi, Math.max(lo, lo + ((hi - lo) * i) / (n - 1))));
}

export async function demoCommand(_args: string[], opts: Record<string, unknown>, ctx: Context): Promise<void> {
  const json = Boolean(opts.json);
  const seed = intFlag(opts.seed, '--seed', { min: 0, max: 2 ** 31 - 1, fallback: 0 });
  const spec = stringFlag(opts.model, '--model') ?? 'shapes';
  const target = prepareOut(stringFlag(opts.out, '--out') ?? 'gan-control-demo', ctx.cwd, { allowFile: false });
  const out = target.path;
  const where = resolveModelPath(spec, ctx.cwd);
  const started = performance.now();
  await prepareBackend(ctx);
  const session = await openControl(where, ctx, { measure: true });
  const files: { file: string; what: string }[] = [];
  try {
    if (session.attributes.length === 0) {
      throw new CliError('CLI_MODEL_INVALID', noEncoders(where));
    }
    const { tensorToPng, writeFileAtomic } = await import('@gan-control/tensor-io/node');
    ensureOut(target);
    const tf = await import('@tensorflow/tfjs-core');
    const circular = new Map(
      session.controller.supported.flatMap((a) => a.values.map((v) => [`${a.name}.${v.name}`, v.circular] as const)),
    );
    const sweeps: Sweep[] = session.attributes.flatMap((a) =>
      a.values.length > 4
        ? []
        : a.values.map((v) => ({
            attribute: a.name,
            field: a.values.length > 1 ? v.name : undefined,
            values: sweepValues({ ...v, circular: circular.get(`${a.name}.${v.name}`) }),
          })),
    );
    const bar = createProgress({ label: 'demo', total: sweeps.length + 1, enabled: !json && ctx.isTTY });
    for (const [i, sweep] of sweeps.entries()) {
      const name = `${sweep.attribute}${sweep.field ? `.${sweep.field}` : ''}`;
      const { images, rows, cols } = await renderPlan(
        session,
        { model: spec, set: {}, keep: [], sweep, seed, count: ROWS, truncation: 1, extrapolate: false },
        ctx,
        { json: true },
      );
      try {
        const file = join(out, `sweep-${name}.png`);
        await writeFileAtomic(file, await tensorToPng(images, { grid: { rows, cols } }));
        const unit =
          session.attributes.find((a) => a.name === sweep.attribute)?.values.find((v) => !sweep.field || v.name === sweep.field)?.unit ??
          '';
        const show = (v: number) => String(Number(v.toPrecision(4)));
        files.push({
          file,
          what: `${name} from ${show(sweep.values[0])} to ${show(sweep.values[sweep.values.length - 1])} ${unit} (columns), ${rows} seeds (rows)`,
        });
      } finally {
        tf.dispose(images);
      }
      bar.update(i + 1, name);
    }
    const enc = await import('@gan-control/encoders');
    const report = await enc.evaluateControl(session.controller, session.runtimes, {
      seeds: 4,
      steps: 5,
      rangeSamples: 64,
      batchSize: 16,
      seed,
    });
    bar.finish();
    const reportFile = join(out, 'precision.json');
    await writeFileAtomic(reportFile, `${JSON.stringify(report, null, 2)}\n`);
    files.push({ file: reportFile, what: 'control precision and leakage (JSON)' });
    const seconds = (performance.now() - started) / 1000;
    if (json) {
      ctx.out(JSON.stringify({ model: where.label, out, seconds: Number(seconds.toFixed(2)), files, precision: report }, null, 2));
      return;
    }
    ctx.out(`gan-control demo on the ${where.label} model: every attribute set by value, the rest sampled\n`);
    ctx.out(enc.formatControlReport(report));
    ctx.out(
      "\n(mean/p90 err: |requested − measured| in the attribute's unit; leakage: how far the other attributes move, as a fraction of their range)\n",
    );
    ctx.out(`files in ${out}:`);
    for (const f of files) ctx.out(`  ${f.file}  ${f.what}`);
    ctx.out(
      `\ndone in ${seconds.toFixed(1)} s. Next: gan-control generate --model ${spec} --set ${session.attributes[0].values.length > 1 ? `${session.attributes[0].name}.${session.attributes[0].values[0].name}` : session.attributes[0].name}=<value> --count 4 --out mine.png`,
    );
  } finally {
    session.dispose();
  }
}
