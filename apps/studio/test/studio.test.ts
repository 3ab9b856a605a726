/**
 * The studio in a real browser: Debian's `chromium` driven by playwright-core, the app built with
 * Vite and served by `gan-control studio`'s own server. The picture is checked from the canvas
 * pixels, measured here in Node with the shapes domain's own plugins: the hue follows the slider,
 * position and size hold their targets, the page logs no error, and every request stays on
 * localhost. Screenshots for the README are taken from the same run.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createAttribute, type Attribute } from '@gan-control/contrastive-loss';
import { color, position, size } from '@gan-control/domain-shapes';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, startStudioServer, type StudioServer } from 'gan-control';
import { trackPageTensors } from '@gan-control/test-utils';
import {
  CHROMIUM,
  REPO,
  SHAPES_MODEL,
  STUDIO_DIR,
  buildStudio,
  haveChromium,
  launch,
  move,
  readCanvas,
  settled,
  stats,
} from './helpers.js';

const available = haveChromium();
if (!available)
  console.warn(
    `[studio browser tests] skipped: no Chromium at ${CHROMIUM} (install Debian's chromium: apt-get install -y chromium, or set CHROMIUM=/path/to/chrome)`,
  );

/** Circular distance in degrees. */
const hueError = (a: number, b: number) => Math.abs(((((a - b) % 360) + 540) % 360) - 180);

describe.skipIf(!available)('studio in Chromium', () => {
  let appDir: string;
  let server: StudioServer;
  let browser: Browser;
  let plugins: { color: Attribute; position: Attribute; size: Attribute };
  const screenshots = join(STUDIO_DIR, 'screenshots');

  beforeAll(async () => {
    appDir = buildStudio();
    server = await startStudioServer({ appDir, modelDir: SHAPES_MODEL, port: 0 });
    browser = await launch();
    plugins = { color: await createAttribute(color), position: await createAttribute(position), size: await createAttribute(size) };
    mkdirSync(screenshots, { recursive: true });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    for (const p of Object.values(plugins ?? {})) p.dispose();
    if (appDir) rmSync(appDir, { recursive: true, force: true });
  });

  /** A page with listeners that collect console errors, uncaught errors and requests off localhost. */
  async function open(query: string): Promise<{ page: Page; errors: string[]; foreign: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const errors: string[] = [];
    const foreign: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
    page.on('request', (r) => {
      const u = new URL(r.url());
      const local = (u.protocol === 'http:' && u.hostname === '127.0.0.1') || u.protocol === 'blob:' || u.protocol === 'data:';
      if (!local) foreign.push(r.url());
    });
    await page.goto(`${server.url}${query}`);
    return { page, errors, foreign };
  }

  /** The shown picture measured in Node by the domain's own plugins. */
  async function measureShown(page: Page): Promise<{ hue: number; x: number; y: number; size: number; settings: URLSearchParams }> {
    const { width, height, rgb, settings } = await readCanvas(page);
    const values = tf.tidy(() => {
      const img = tf.sub(tf.div(tf.tensor4d(Float32Array.from(rgb), [1, height, width, 3]), 127.5), 1) as tf.Tensor4D;
      return [plugins.color.measure!(img), plugins.position.measure!(img), plugins.size.measure!(img)].map((t) => Array.from(t.dataSync()));
    });
    return { hue: values[0][0], x: values[1][0], y: values[1][1], size: values[2][0], settings: new URLSearchParams(settings) };
  }

  it('wasm: the hue follows color.hue within 5°, position and size hold their targets, no errors, nothing off localhost', async () => {
    const { page, errors, foreign } = await open('?backend=wasm&seed=3');
    const first = await settled(page, 1);
    expect(first.backend).toBe('wasm');
    const shown0 = await measureShown(page);
    const target = {
      x: Number(shown0.settings.get('position.x')),
      y: Number(shown0.settings.get('position.y')),
      size: Number(shown0.settings.get('size.size')),
    };
    expect(Number.isFinite(target.x) && Number.isFinite(target.y) && Number.isFinite(target.size)).toBe(true);
    const leaks = await trackPageTensors(page);

    const report: string[] = [];
    for (const hue of [0, 45, 120, 200, 300]) {
      await move(page, 'color.hue', hue);
      const shown = await measureShown(page);
      // The canvas shows the frame of these settings (not a stale one).
      expect(Number(shown.settings.get('color.hue'))).toBe(hue);
      report.push(
        `hue ${hue}: shown ${shown.hue.toFixed(1)}°, x ${shown.x.toFixed(2)}, y ${shown.y.toFixed(2)}, size ${shown.size.toFixed(3)}`,
      );
      expect(hueError(shown.hue, hue), report.at(-1)).toBeLessThanOrEqual(5);
      expect(Math.abs(shown.x - target.x), report.at(-1)).toBeLessThanOrEqual(1);
      expect(Math.abs(shown.y - target.y), report.at(-1)).toBeLessThanOrEqual(1);
      expect(Math.abs(shown.size - target.size) / target.size, report.at(-1)).toBeLessThanOrEqual(0.05);
      // The page's own measured value (the plugin run in the browser) agrees with Node's.
      const inPage = Number(await page.locator('output[aria-label="color.hue measured"]').getAttribute('data-measured'));
      expect(hueError(inPage, shown.hue)).toBeLessThan(1);
      if (hue === 200) await page.screenshot({ path: join(screenshots, 'studio.png') });
    }
    console.info(`[studio wasm] target x ${target.x}, y ${target.y}, size ${target.size}\n  ${report.join('\n  ')}`);

    // No tensor survives a frame: the count is the same as after the first picture.
    await leaks.expectAlive(0, 'the page after the frames');
    expect(errors).toEqual([]);
    expect(foreign).toEqual([]);
    await page.close();
  }, 300_000);

  it('wasm: the link reproduces the picture; sample mode and reseeding change only what they should', async () => {
    const { page, errors, foreign } = await open('?backend=wasm&seed=5&color.hue=150');
    await settled(page, 1);
    const a = await readCanvas(page);
    expect(new URLSearchParams(a.settings).get('color.hue')).toBe('150');
    const again = await open(`?${a.settings}`);
    await settled(again.page, 1);
    const b = await readCanvas(again.page);
    expect(b.settings).toBe(a.settings);
    expect(Buffer.from(b.rgb).equals(Buffer.from(a.rgb))).toBe(true);

    // Reseeding "other" changes the picture but not the set values.
    const shown = await measureShown(again.page);
    const before = (await stats(again.page)).frames;
    await again.page.locator('button[aria-label="reseed other"]').click();
    await settled(again.page, before + 1);
    const reseeded = await measureShown(again.page);
    expect(reseeded.settings.get('seed.other')).not.toBeNull();
    expect(Buffer.from((await readCanvas(again.page)).rgb).equals(Buffer.from(b.rgb))).toBe(false);
    expect(hueError(reseeded.hue, 150)).toBeLessThanOrEqual(5);
    expect(Math.abs(reseeded.x - shown.x)).toBeLessThanOrEqual(1.5);

    // Switching color to "sampled" drops its value from the URL.
    const n = (await stats(again.page)).frames;
    await again.page.locator('input[aria-label="color set"]').uncheck();
    await settled(again.page, n + 1);
    const sampled = new URLSearchParams((await readCanvas(again.page)).settings);
    expect(sampled.get('sample')).toBe('color');
    expect(sampled.get('color.hue')).toBeNull();

    expect([...errors, ...again.errors]).toEqual([]);
    expect([...foreign, ...again.foreign]).toEqual([]);
    await page.close();
    await again.page.close();
  }, 300_000);

  it('auto backend (WebGL here): first image and a hue move, no errors', async () => {
    const { page, errors, foreign } = await open('?seed=3');
    const first = await settled(page, 1, 240_000);
    expect(['webgpu', 'webgl']).toContain(first.backend);
    await move(page, 'color.hue', 120, 240_000);
    const shown = await measureShown(page);
    expect(hueError(shown.hue, 120)).toBeLessThanOrEqual(5);
    const s = await stats(page);
    console.info(
      `[studio ${s.backend}] first image ${Math.round(s.firstImageMs!)} ms, frames ${s.frameMs.map((x) => Math.round(x)).join(', ')} ms`,
    );
    await page.screenshot({ path: join(screenshots, `studio-${s.backend}.png`) });
    expect(errors).toEqual([]);
    expect(foreign).toEqual([]);
    await page.close();
  }, 600_000);

  it('a converted official GAN-Control model opens and its imported controller drives sliders', async () => {
    // The official fixture (apps/cli/testdata) converted by the CLI, as a user would.
    const official = join(REPO, 'apps/cli/testdata/gan-control-official');
    const work = mkdtempSync(join(tmpdir(), 'studio-official-'));
    const out: string[] = [];
    const io = { cwd: work, stdout: { write: (c: string) => out.push(c) }, stderr: { write: (c: string) => out.push(c) } };
    const code = await main(
      [
        'convert',
        join(official, 'G.safetensors'),
        '--args',
        join(official, 'args.json'),
        '--encoder',
        `orientation=${join(official, 'controller_orientation.pt')}`,
        '--out',
        'gc',
        '--backend',
        'cpu',
      ],
      io,
    );
    expect(code, out.join('')).toBe(0);
    const own = await startStudioServer({ appDir, modelDir: join(work, 'gc'), port: 0 });
    const page = await browser.newPage();
    const errors: string[] = [];
    const missing: string[] = [];
    page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().includes('404')) errors.push(m.text());
    });
    page.on('response', (r) => {
      if (r.status() === 404) missing.push(new URL(r.url()).pathname);
    });
    try {
      await page.goto(`${own.url}?backend=wasm`);
      await settled(page, 1);
      const labels = await page.locator('input[type=range]').evaluateAll((xs) => xs.map((x) => x.getAttribute('aria-label')));
      expect(labels).toEqual(['truncation', 'orientation.yaw', 'orientation.pitch', 'orientation.roll']);
      const before = await readCanvas(page);
      await move(page, 'orientation.yaw', 10);
      const after = await readCanvas(page);
      expect(new URLSearchParams(after.settings).get('orientation.yaw')).toBe('10');
      expect(Buffer.from(after.rgb).equals(Buffer.from(before.rgb))).toBe(false);
      // model.json names no attributes, so the page looked for an encoder per latent group: the
      // only misses are those lookups.
      expect(missing.sort()).toEqual(['/model/encoders/age.json', '/model/encoders/id.json', '/model/encoders/other.json']);
      expect(errors).toEqual([]);

      // The same folder opened from disk (the folder picker) in a studio that started on shapes.
      const { page: shapes, errors: shapesErrors, foreign } = await open('?backend=wasm');
      await settled(shapes, 1);
      const n = (await stats(shapes)).frames;
      await shapes.locator('#open-folder').setInputFiles(join(work, 'gc'));
      await settled(shapes, n + 1);
      expect(await shapes.locator('#model-name').textContent()).toContain('gc');
      const fromDisk = await shapes.locator('input[type=range]').evaluateAll((xs) => xs.map((x) => x.getAttribute('aria-label')));
      expect(fromDisk).toEqual(['truncation', 'orientation.yaw', 'orientation.pitch', 'orientation.roll']);
      await move(shapes, 'orientation.yaw', 10);
      // Same model, same settings, same backend: the same picture as served over http.
      expect(Buffer.from((await readCanvas(shapes)).rgb).equals(Buffer.from(after.rgb))).toBe(true);
      expect(shapesErrors).toEqual([]);
      expect(foreign).toEqual([]);
      await shapes.close();
    } finally {
      await page.close();
      await own.close();
      rmSync(work, { recursive: true, force: true });
    }
  }, 300_000);
});
