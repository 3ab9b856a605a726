// Trains the bundled shapes model (preset `shapes-32`) with the project's fastest backend.
// Resumes automatically from the newest checkpoint in --out, so re-running the same command
// after an interruption continues the same run bit-for-bit.
//
//   npx tsx --tsconfig packages/trainer/tsconfig.json packages/trainer/scripts/train-shapes.ts \
//     [--out runs/shapes-32] [--kimg 200] [--backend auto] [--bundle packages/domain-shapes/model]
//     [--minutes M] [--r1-gamma G] [--lr LR] [--allow-config-change]
//
// --kimg overrides the preset's length; --minutes M stops cleanly (checkpoint) after M minutes; --bundle copies the final EMA generator (model.json +
// generator.safetensors) into the given folder when the run completes.
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setupBackend } from '@gan-control/backend';
import { shapesPlugins } from '@gan-control/domain-shapes';
import { preset, train } from '../src/index.js';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: 'runs/shapes-32' },
    kimg: { type: 'string' },
    backend: { type: 'string', default: 'auto' },
    bundle: { type: 'string' },
    preset: { type: 'string', default: 'shapes-32' },
    minutes: { type: 'string' },
    'r1-gamma': { type: 'string' },
    lr: { type: 'string' },
    'allow-config-change': { type: 'boolean', default: false },
  },
});

const backend = await setupBackend(values.backend as 'auto');
console.log(`[train-shapes] backend ${backend.name} (${backend.reason})`);
// --r1-gamma / --lr override the preset (on a resumed run they need --allow-config-change and are
// recorded in the checkpoint's configHistory).
const num = (flag: string, v: string | undefined) => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(n >= 0) || !Number.isFinite(n)) throw new Error(`--${flag} must be a non-negative number, got '${v}'`);
  return n;
};
const gamma = num('r1-gamma', values['r1-gamma']);
const lr = num('lr', values.lr);
const config = preset(values.preset!, {
  ...(values.kimg ? { totalKimg: num('kimg', values.kimg) } : {}),
  ...(gamma !== undefined ? { r1Gamma: gamma } : {}),
  ...(lr !== undefined ? { optim: { gLr: lr, dLr: lr } } : {}),
});
const t0 = Date.now();
let last = 0;
const result = await train(config, {
  outDir: values.out!,
  resume: true,
  allowConfigChange: values['allow-config-change'],
  plugins: shapesPlugins,
  // --minutes M: stop (with a checkpoint) after M minutes, e.g. to fit a time-boxed machine.
  signal: values.minutes ? AbortSignal.timeout(Math.round(Number(values.minutes) * 60_000)) : undefined,
  log: (line) => console.log(`[train-shapes] ${new Date().toISOString()} ${line}`),
  onProgress: (p) => {
    if (process.stderr.isTTY || Date.now() - last < 60_000) return;
    last = Date.now();
    const m = p.metrics;
    console.log(
      `[train-shapes] step ${p.step} ${(p.images / 1000).toFixed(2)}/${(p.totalImages / 1000).toFixed(0)} kimg ${p.imagesPerSecond.toFixed(1)} img/s ETA ${(p.etaSeconds / 60).toFixed(1)} min | G ${m.gAdv.toFixed(3)} C ${m.gContrastive.toFixed(3)} D ${m.d.toFixed(3)}`,
    );
  },
});
console.log(`[train-shapes] ${result.finished ? 'finished' : 'stopped'} at step ${result.step}, ${(result.images / 1000).toFixed(1)} kimg, run time ${(result.seconds / 60).toFixed(1)} min (this call ${((Date.now() - t0) / 60000).toFixed(1)} min)`);
if (values.bundle && result.finished) {
  await mkdir(values.bundle, { recursive: true });
  for (const f of ['model.json', 'generator.safetensors']) await copyFile(join(result.modelDir, f), join(values.bundle, f));
  console.log(`[train-shapes] model copied to ${values.bundle}`);
}
