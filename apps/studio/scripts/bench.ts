/**
 * Studio timings in a real browser: time to first image and time per regenerated frame, per tfjs
 * backend, for the bundled shapes model (or --model DIR).
 *
 *   npx tsx apps/studio/scripts/bench.ts                      # wasm and the page's own pick (headless, SwiftShader WebGL)
 *   npx tsx apps/studio/scripts/bench.ts --headed --backends webgpu,webgl,wasm   # your GPU, in a visible window
 *   CHROMIUM=/usr/bin/google-chrome npx tsx apps/studio/scripts/bench.ts --headed
 *
 * A frame is: a slider change → the controller's generate (encoders + synthesis) → pixels read back
 * and drawn on the canvas, and the plugins' measured values read back. The first image also counts
 * page load, backend start, model download and (WebGL/WebGPU) shader compilation.
 */
import { cpus, loadavg } from 'node:os';
import { rmSync } from 'node:fs';
import { startStudioServer } from '../../cli/src/commands/studio.js';
import { CHROMIUM, SHAPES_MODEL, buildStudio, launch, move, settled, stats } from '../test/helpers.js';

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const backends = (flag('backends') ?? 'wasm,auto').split(',');
const frames = Number(flag('frames') ?? 24);
const headed = process.argv.includes('--headed');
const modelDir = flag('model') ?? SHAPES_MODEL;

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

const appDir = buildStudio();
const server = await startStudioServer({ appDir, modelDir, port: 0 });
const browser = await launch(CHROMIUM, !headed);
console.log(
  `chromium ${browser.version()} (${CHROMIUM}${headed ? ', headed' : ', headless'}); ${cpus().length} cores, load ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
console.log('| backend | renderer | first image | frame median | frame p90 | frames |');
console.log('|---|---|---|---|---|---|');
try {
  for (const backend of backends) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}?seed=3${backend === 'auto' ? '' : `&backend=${backend}`}`);
    try {
      await settled(page, 1, 600_000);
    } catch (e) {
      console.log(`| ${backend} | — | failed: ${(e as Error).message.split('\n')[0]} | | | |`);
      await context.close();
      continue;
    }
    for (let i = 0; i < frames; i++) await move(page, 'color.hue', (i * 37) % 360, 600_000);
    const s = await stats(page);
    const renderer = await page.evaluate(() => {
      const gl = document.createElement('canvas').getContext('webgl2');
      const ext = gl?.getExtension('WEBGL_debug_renderer_info');
      return gl ? String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER)) : 'no WebGL';
    });
    const ms = s.frameMs;
    console.log(
      `| ${s.backend}${backend === 'auto' ? ' (auto)' : ''} | ${s.backend === 'wasm' ? 'cpu (wasm SIMD)' : renderer} | ${Math.round(s.firstImageMs!)} ms | ${quantile(ms, 0.5).toFixed(1)} ms | ${quantile(ms, 0.9).toFixed(1)} ms | ${ms.length} |`,
    );
    await context.close();
  }
} finally {
  console.log(
    `load after: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  await browser.close();
  await server.close();
  rmSync(appDir, { recursive: true, force: true });
}
