/**
 * Shared by the browser test and the timing script: build the studio, serve it with the CLI's own
 * server, drive it in a Chromium through playwright-core, and read the picture back.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { Stats } from '../src/main.js';

export const STUDIO_DIR = resolve(import.meta.dirname, '..');
export const REPO = resolve(STUDIO_DIR, '../..');
export const SHAPES_MODEL = join(REPO, 'packages/domain-shapes/model');

/** The Chromium the tests drive: `$CHROMIUM`, else Debian's `chromium` package. */
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

export function haveChromium(): boolean {
  return existsSync(CHROMIUM);
}

/**
 * `vite build` of the studio into a fresh temporary folder (never the checkout's dist/, which a
 * running `gan-control studio` may be serving). Returns the folder.
 */
export function buildStudio(): string {
  const outDir = mkdtempSync(join(tmpdir(), 'gan-control-studio-'));
  const vite = join(REPO, 'node_modules/vite/bin/vite.js');
  const r = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn', '--outDir', outDir, '--emptyOutDir'], {
    cwd: STUDIO_DIR,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`vite build failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return outDir;
}

/**
 * Chromium flags: headless, no sandbox (containers), WebGL on SwiftShader where there is no GPU, and
 * none of the browser's own network traffic (so every request the test sees comes from the page).
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-default-apps',
  '--disable-sync',
  '--no-first-run',
  '--no-default-browser-check',
];

export async function launch(executablePath = CHROMIUM, headless = true): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath, headless, args: headless ? CHROMIUM_ARGS : CHROMIUM_ARGS.filter((a) => a !== '--headless') });
}

/** What the page exposes as `window.studio` (its type lives with the page, src/main.ts). */
export type PageStats = Stats;

export function stats(page: Page): Promise<PageStats> {
  return page.evaluate(() => JSON.parse(JSON.stringify((window as unknown as { studio: unknown }).studio)) as PageStats);
}

/** Waits until the page shows at least `frames` frames and renders nothing more (variations included). */
export async function settled(page: Page, frames: number, timeout = 120_000): Promise<PageStats> {
  await page.waitForFunction(
    (n) => {
      const s = (window as unknown as { studio?: PageStats }).studio;
      return Boolean(s && (s.error || (s.frames >= n && !s.busy)));
    },
    frames,
    { timeout, polling: 50 },
  );
  const s = await stats(page);
  if (s.error) throw new Error(`the page shows an error: ${s.error}`);
  return s;
}

/** Moves a control (a range input, found by its aria-label) and waits for the frame it causes. */
export async function move(page: Page, label: string, value: number, timeout?: number): Promise<PageStats> {
  const before = (await stats(page)).frames;
  await page.locator(`input[aria-label="${label}"]`).fill(String(value));
  return settled(page, before + 1, timeout);
}

/** The main canvas' pixels: RGB bytes `[h, w, 3]` and the settings query they were rendered from. */
export async function readCanvas(page: Page): Promise<{ width: number; height: number; rgb: Uint8Array; settings: string }> {
  const r = await page.evaluate(() => {
    const canvas = document.getElementById('image') as HTMLCanvasElement;
    const { data, width, height } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    return { width, height, rgba: Array.from(data), settings: canvas.dataset.settings ?? '' };
  });
  const rgb = new Uint8Array(r.width * r.height * 3);
  for (let i = 0; i < r.width * r.height; i++) for (let c = 0; c < 3; c++) rgb[i * 3 + c] = r.rgba[i * 4 + c];
  return { width: r.width, height: r.height, rgb, settings: r.settings };
}
