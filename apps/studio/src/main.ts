/**
 * The studio page: opens a model folder, builds a control per attribute value, and regenerates on
 * every change (no button). Plain DOM: the page is one form over one render loop, so a framework
 * would add a build step and a runtime without removing any code (see README).
 */
import * as tf from '@tensorflow/tfjs-core';
import { prepareImage } from '@gan-control/encoders';
import type { RawImage } from '@gan-control/tensor-io';
import './style.css';
import { startBackend } from './backend.js';
import { openModel, sourceOf, type ControlAttribute, type SourceSpec, type StudioModel, type ValueInfo } from './model.js';
import type { ProjectJob, ProjectMessage } from './project-worker.js';
import { Renderer, type Frame } from './render.js';
import {
  clampValue,
  formatNumber,
  formatProjected,
  formatSettings,
  parseProjected,
  parseSettings,
  seedOf,
  type Settings,
} from './settings.js';

const VARIATIONS = 6;
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** What tests and the README's timings read (`window.studio`). */
export interface Stats {
  backend: string;
  /** ms from navigation start to: the backend started, the model opened, the first picture on screen. */
  backendMs?: number;
  modelMs?: number;
  firstImageMs?: number;
  /** ms of each regenerated main frame (settings → pixels on the canvas and measured values). */
  frameMs: number[];
  frames: number;
  ready: boolean;
  /** Whether a frame or the variations grid is being rendered (tests wait for false). */
  busy: boolean;
  error?: string;
  /** The projection of a user's image: its state, last step and loss, and the result's quality. */
  projection?: {
    state: 'preparing' | 'running' | 'done' | 'cancelled' | 'error';
    step: number;
    steps: number;
    loss?: number;
    psnr?: number;
    ms?: number;
    /** The worker's tf.memory().numTensors after the projection (the same after each: no leak). */
    workerTensors?: number;
  };
  /** Whether the main image is a projected picture (true) or a sampled one. */
  projected: boolean;
}
const stats: Stats = { backend: '', frameMs: [], frames: 0, ready: false, busy: false, projected: false };
(window as unknown as { studio: Stats }).studio = stats;

let model: StudioModel | undefined;
let renderer: Renderer | undefined;
let settings: Settings;
const query = new URLSearchParams(location.search);
const page = { backend: query.get('backend') ?? undefined, model: query.get('model') ?? undefined, steps: query.get('steps') ?? undefined };
/** Where the open model came from (the projection worker opens its own copy from it). */
let modelSpec: SourceSpec | undefined;

function showError(e: unknown): void {
  const message = e instanceof Error ? e.message : String(e);
  stats.error = message;
  const el = $('error');
  el.textContent = message;
  el.hidden = false;
  console.error(e);
}

function clearError(): void {
  $('error').hidden = true;
  stats.error = undefined;
}

/** The settings' URL (replaces the address without a reload) and the link to copy. */
function syncUrl(): string {
  let q = formatSettings(settings, model!, {
    backend: page.backend,
    model: model!.url && model!.url !== 'model/' ? model!.url : undefined,
    steps: page.steps,
  });
  // A projected picture travels in the link too (its w), so the edit of a user's image is shareable.
  if (renderer?.projected) q += `&${formatProjected(renderer.projected, model!)}`;
  history.replaceState(null, '', `?${q}`);
  ($('link') as HTMLAnchorElement).href = location.href;
  return q;
}

function draw(canvas: HTMLCanvasElement, frame: Frame): void {
  if (canvas.width !== frame.width || canvas.height !== frame.height) {
    canvas.width = frame.width;
    canvas.height = frame.height;
  }
  canvas.getContext('2d')!.putImageData(new ImageData(frame.rgba as Uint8ClampedArray<ArrayBuffer>, frame.width, frame.height), 0, 0);
}

// ---------------------------------------------------------------- render loop

let dirty = false;
let running = false;
let variationTimer: ReturnType<typeof setTimeout> | undefined;
let generation = 0;

/** Asks for a new frame; changes made while one renders are coalesced into the next. */
function requestRender(): void {
  dirty = true;
  clearTimeout(variationTimer);
  if (!running) void loop();
}

async function loop(): Promise<void> {
  running = true;
  stats.busy = true;
  try {
    while (dirty && renderer) {
      dirty = false;
      const q = syncUrl();
      const t0 = performance.now();
      try {
        const [frame] = await renderer.render(settings);
        draw($('image'), frame);
        showMeasured(frame.measured);
        clearError();
      } catch (e) {
        showError(e);
        continue;
      }
      const ms = performance.now() - t0;
      stats.frames++;
      if (stats.firstImageMs === undefined) {
        stats.firstImageMs = performance.now();
        $('first-ms').textContent = `${Math.round(stats.firstImageMs)} ms`;
      } else {
        stats.frameMs.push(ms);
      }
      const recent = stats.frameMs.slice(-20).sort((a, b) => a - b);
      const median = recent.length ? recent[recent.length >> 1] : ms;
      $('frame-ms').textContent = `${ms.toFixed(1)} ms (median ${median.toFixed(1)})`;
      // What is on the canvas now, for tests: the settings' query and a frame counter.
      $('image').dataset.settings = q;
      document.body.dataset.frames = String(stats.frames);
    }
  } finally {
    running = false;
  }
  variationTimer = setTimeout(() => void renderVariations(), 120);
}

/** The grid: the same settings with every group's seed moved to seed + row. */
async function renderVariations(): Promise<void> {
  if (!renderer || dirty || running) return;
  const mine = ++generation;
  stats.busy = true;
  const base = settings;
  const seeds = (r: number) => (g: string) => (r === 0 ? seedOf(base, g) : base.seed + r);
  try {
    const frames = await renderer.render(base, VARIATIONS + 1, seeds);
    if (mine !== generation || dirty) return;
    const buttons = $('variations').querySelectorAll('button');
    frames.slice(1).forEach((f, i) => draw(buttons[i].querySelector('canvas')!, f));
  } catch (e) {
    showError(e);
  } finally {
    if (mine === generation && !dirty && !running) stats.busy = false;
  }
}

// ---------------------------------------------------------------- controls

interface ValueControl {
  readonly attribute: ControlAttribute;
  readonly index: number;
  readonly range: HTMLInputElement;
  readonly number: HTMLInputElement;
  readonly measured: HTMLOutputElement;
}
let valueControls: ValueControl[] = [];
let pads: { attribute: ControlAttribute; dot: HTMLElement; mark: HTMLElement; pad: HTMLElement }[] = [];
let wheels: { attribute: ControlAttribute; index: number; dot: HTMLElement; mark: HTMLElement }[] = [];
/** The "set" switch of each attribute, by name. */
const toggles = new Map<string, HTMLInputElement>();

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]> & Record<string, unknown> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k.startsWith('aria') || k.startsWith('data-') || k === 'role' || k === 'for')
      e.setAttribute(k === 'ariaLabel' ? 'aria-label' : k, String(v));
    else (e as unknown as Record<string, unknown>)[k] = v;
  }
  e.append(...children);
  return e;
}

function stepOf(v: ValueInfo): number {
  const span = v.range[1] - v.range[0];
  if (v.unit === 'deg') return 1;
  if (v.unit === 'px') return 0.1;
  return Number((10 ** Math.floor(Math.log10(span / 200))).toPrecision(1));
}

function setValue(attribute: ControlAttribute, index: number, x: number): void {
  const v = attribute.values[index];
  const value = Number(formatNumber(clampValue(x, v)));
  settings.values[attribute.name][index] = value;
  // On a projected picture every attribute starts as projected (not set): moving its control sets it.
  if (renderer?.projected && settings.sampled.has(attribute.name) && attribute.values.length <= 8) {
    settings.sampled.delete(attribute.name);
    const t = toggles.get(attribute.name);
    if (t) {
      t.checked = true;
      t.closest('fieldset')!.className = '';
    }
  }
  for (const c of valueControls) {
    if (c.attribute !== attribute || c.index !== index) continue;
    if (document.activeElement !== c.range) c.range.value = String(value);
    if (document.activeElement !== c.number) c.number.value = String(value);
  }
  placePads();
  requestRender();
}

/** Two values named x and y in px: an x/y pad beside the sliders. */
function isXY(a: ControlAttribute): boolean {
  return a.values.length === 2 && a.values[0].name === 'x' && a.values[1].name === 'y';
}

/** A point on a wheel: `deg` clockwise from the top (where CSS conic gradients start), in % of the box. */
function onWheel(el: HTMLElement, deg: number): void {
  const r = (deg * Math.PI) / 180;
  el.style.left = `${50 + 40 * Math.sin(r)}%`;
  el.style.top = `${50 - 40 * Math.cos(r)}%`;
}

function placePads(measured?: Record<string, number[]>): void {
  for (const w of wheels) {
    onWheel(w.dot, settings.values[w.attribute.name][w.index]);
    const m = measured?.[w.attribute.name]?.[w.index];
    if (m !== undefined) onWheel(w.mark, m);
  }
  for (const p of pads) {
    const [vx, vy] = p.attribute.values;
    const fx = (x: number) => `${(100 * (x - vx.range[0])) / (vx.range[1] - vx.range[0])}%`;
    const fy = (y: number) => `${(100 * (y - vy.range[0])) / (vy.range[1] - vy.range[0])}%`;
    const [x, y] = settings.values[p.attribute.name];
    p.dot.style.left = fx(x);
    p.dot.style.top = fy(y);
    const m = measured?.[p.attribute.name];
    if (m) {
      p.mark.style.left = fx(m[0]);
      p.mark.style.top = fy(m[1]);
    }
  }
}

function showMeasured(measured: Record<string, number[]>): void {
  for (const c of valueControls) {
    const m = measured[c.attribute.name]?.[c.index];
    if (m === undefined) {
      c.measured.value = c.attribute.noMeasure ? 'not measured' : '';
      c.measured.title = c.attribute.noMeasure ?? '';
      continue;
    }
    const v = c.attribute.values[c.index];
    const want = settings.values[c.attribute.name][c.index];
    let err = m - want;
    if (v.circular) {
      const p = v.range[1] - v.range[0];
      err = ((((err + p / 2) % p) + p) % p) - p / 2;
    }
    const sampled = settings.sampled.has(c.attribute.name);
    const digits = v.unit === 'deg' ? 1 : v.unit === 'px' ? 2 : 3;
    const size = Math.abs(err).toFixed(digits);
    const sign = Number(size) === 0 ? '±' : err > 0 ? '+' : '−';
    c.measured.value = sampled ? `measured ${m.toFixed(digits)}` : `measured ${m.toFixed(digits)} (${sign}${size})`;
    c.measured.dataset.measured = String(m);
    // Outside 2 % of the range (5° for a hue): marked, so precision is visible, not claimed.
    c.measured.classList.toggle('off', !sampled && Math.abs(err) > (v.circular ? 5 : 0.02 * (v.range[1] - v.range[0])));
  }
  placePads(measured);
}

function seedControls(): HTMLElement {
  const seed = el('input', { type: 'number', min: '0', step: '1', value: String(settings.seed), ariaLabel: 'seed' });
  seed.addEventListener('input', () => {
    const n = Number(seed.value);
    if (seed.value.trim() === '' || !Number.isSafeInteger(n) || n < 0) return;
    settings.seed = n;
    settings.groupSeeds = {};
    refreshSeeds();
    requestRender();
  });
  const next = el('button', { type: 'button', textContent: 'next seed', ariaLabel: 'next seed' });
  next.addEventListener('click', () => {
    seed.value = String(settings.seed + 1);
    seed.dispatchEvent(new Event('input'));
  });
  const truncRange = el('input', {
    type: 'range',
    min: '0',
    max: '1',
    step: '0.01',
    value: String(settings.truncation),
    ariaLabel: 'truncation',
  });
  const truncNumber = el('input', {
    type: 'number',
    min: '0',
    max: '1',
    step: '0.01',
    value: String(settings.truncation),
    ariaLabel: 'truncation (number)',
  });
  const onTrunc = (src: HTMLInputElement, other: HTMLInputElement) => () => {
    const t = Number(src.value);
    if (!Number.isFinite(t)) return;
    settings.truncation = Math.min(1, Math.max(0, t));
    other.value = String(settings.truncation);
    requestRender();
  };
  truncRange.addEventListener('input', onTrunc(truncRange, truncNumber));
  truncNumber.addEventListener('input', onTrunc(truncNumber, truncRange));
  return el(
    'fieldset',
    { className: 'global' },
    el('legend', {}, 'sampling'),
    el('div', { className: 'row' }, el('label', {}, 'seed'), seed, next, el('span')),
    el('div', { className: 'row' }, el('label', {}, 'truncation ψ'), truncRange, truncNumber, el('span')),
  );
}

const seedLabels = new Map<string, HTMLElement>();
function refreshSeeds(): void {
  const projected = renderer?.projected;
  for (const [group, label] of seedLabels)
    label.textContent = projected && !projected.resampled.has(group) ? 'projected' : `seed ${seedOf(settings, group)}`;
}

function reseedButton(group: string): HTMLElement {
  const b = el('button', { type: 'button', textContent: 'reseed', ariaLabel: `reseed ${group}` });
  b.addEventListener('click', () => {
    // A fresh seed per click, reproducible from the URL.
    settings.groupSeeds[group] = (seedOf(settings, group) * 7919 + 104729) % 1_000_000;
    // On a projected picture: this group's slice now comes from that seed.
    renderer?.projected?.resampled.add(group);
    refreshSeeds();
    requestRender();
  });
  const label = el('span', { className: 'seed' });
  seedLabels.set(group, label);
  return el('span', {}, b, ' ', label);
}

function attributeControls(a: ControlAttribute): HTMLElement {
  const box = el('fieldset', { className: settings.sampled.has(a.name) ? 'sampled' : '' });
  const toggle = el('input', { type: 'checkbox', checked: !settings.sampled.has(a.name), role: 'switch', ariaLabel: `${a.name} set` });
  toggles.set(a.name, toggle);
  toggle.addEventListener('change', () => {
    if (toggle.checked) settings.sampled.delete(a.name);
    else settings.sampled.add(a.name);
    box.className = toggle.checked ? '' : 'sampled';
    requestRender();
  });
  box.append(
    el('legend', {}, a.name),
    el(
      'div',
      { className: 'group-tools' },
      el('label', {}, toggle, renderer?.projected ? ' set by value (off: as projected)' : ' set by value (off: sampled)'),
      reseedButton(a.group),
    ),
  );
  if (a.values.length > 8) {
    box.append(el('p', {}, `${a.values.length} values (an embedding): set from the sampled picture only.`));
    toggle.checked = false;
    toggle.disabled = true;
    settings.sampled.add(a.name);
    return box;
  }
  if (isXY(a)) {
    const pad = el('div', { className: 'pad', role: 'presentation' });
    const dot = el('div', { className: 'dot' });
    const mark = el('div', { className: 'measured', title: 'measured' });
    pad.append(dot, mark);
    const move = (ev: PointerEvent) => {
      const r = pad.getBoundingClientRect();
      const [vx, vy] = a.values;
      setValue(a, 0, vx.range[0] + ((ev.clientX - r.left) / r.width) * (vx.range[1] - vx.range[0]));
      setValue(a, 1, vy.range[0] + ((ev.clientY - r.top) / r.height) * (vy.range[1] - vy.range[0]));
    };
    pad.addEventListener('pointerdown', (ev) => {
      pad.setPointerCapture(ev.pointerId);
      move(ev);
    });
    pad.addEventListener('pointermove', (ev) => {
      if (pad.hasPointerCapture(ev.pointerId)) move(ev);
    });
    box.append(pad);
    pads.push({ attribute: a, dot, mark, pad });
  }
  // An angle in degrees over a full circle (a hue) also gets a wheel: drag around it.
  a.values.forEach((v, index) => {
    if (!(v.circular && v.unit === 'deg' && v.range[1] - v.range[0] === 360)) return;
    const wheel = el('div', { className: 'wheel', role: 'presentation' });
    const dot = el('div', { className: 'dot' });
    const mark = el('div', { className: 'measured', title: 'measured' });
    wheel.append(dot, mark);
    const turn = (ev: PointerEvent) => {
      const r = wheel.getBoundingClientRect();
      const deg = (Math.atan2(ev.clientX - (r.left + r.width / 2), r.top + r.height / 2 - ev.clientY) * 180) / Math.PI;
      setValue(a, index, v.range[0] + ((Math.round(deg) + 360) % 360));
    };
    wheel.addEventListener('pointerdown', (ev) => {
      wheel.setPointerCapture(ev.pointerId);
      turn(ev);
    });
    wheel.addEventListener('pointermove', (ev) => {
      if (wheel.hasPointerCapture(ev.pointerId)) turn(ev);
    });
    box.append(wheel);
    wheels.push({ attribute: a, index, dot, mark });
  });
  a.values.forEach((v, index) => {
    const label = `${a.name}.${v.name}`;
    const value = String(settings.values[a.name][index]);
    const common = { min: String(v.range[0]), max: String(v.range[1]), step: String(stepOf(v)), value };
    const range = el('input', { type: 'range', ...common, ariaLabel: label, className: v.circular && v.unit === 'deg' ? 'hue' : '' });
    const number = el('input', { type: 'number', ...common, ariaLabel: `${label} (number)` });
    const measured = el('output', { ariaLabel: `${label} measured` });
    range.addEventListener('input', () => setValue(a, index, Number(range.value)));
    number.addEventListener('input', () => {
      if (number.value.trim() !== '' && Number.isFinite(Number(number.value))) setValue(a, index, Number(number.value));
    });
    box.append(
      el('div', { className: 'row' }, el('label', { title: `${label} (${v.unit})` }, `${v.name} (${v.unit})`), range, number, measured),
    );
    valueControls.push({ attribute: a, index, range, number, measured });
  });
  return box;
}

function buildControls(m: StudioModel): void {
  valueControls = [];
  pads = [];
  wheels = [];
  toggles.clear();
  seedLabels.clear();
  const root = $('controls');
  root.replaceChildren(seedControls(), ...m.attributes.map(attributeControls));
  for (const g of m.groups) {
    if (m.attributes.some((a) => a.group === g.name)) continue;
    root.append(
      el(
        'fieldset',
        {},
        el('legend', {}, `${g.name} (${renderer?.projected ? 'as projected' : 'sampled'})`),
        el('div', { className: 'group-tools' }, reseedButton(g.name)),
      ),
    );
  }
  refreshSeeds();
  placePads();
  const grid = $('variations');
  grid.replaceChildren(
    ...Array.from({ length: VARIATIONS }, (_, i) => {
      const b = el(
        'button',
        { type: 'button', ariaLabel: `variation seed ${i + 1}` },
        el('canvas', { width: m.resolution, height: m.resolution }),
      );
      b.addEventListener('click', () => {
        // The variations are sampled pictures: choosing one leaves a projected picture.
        if (renderer?.projected) leaveProjection();
        settings.seed += i + 1;
        settings.groupSeeds = {};
        (root.querySelector('input[aria-label="seed"]') as HTMLInputElement).value = String(settings.seed);
        refreshSeeds();
        requestRender();
      });
      return b;
    }),
  );
  $('notes').textContent = [...m.notes, ...m.attributes.filter((a) => a.noMeasure).map((a) => `${a.name}: ${a.noMeasure}`)].join(' ');
}

// ---------------------------------------------------------------- projection

/** Adam steps of a projection: `?steps=`, else `gan-control invert`'s default. */
const DEFAULT_STEPS = 300;
/** The picture being optimised is shown every this many steps. */
const PREVIEW_EVERY = 5;

let worker: Worker | undefined;
/** The job the worker runs now (a newer job or Cancel replaces it). */
let job = 0;

function isImageFile(f: File): boolean {
  return f.type.startsWith('image/') || /\.(png|jpe?g)$/i.test(f.name);
}

function projectionSteps(): number {
  const n = Number(page.steps);
  return page.steps !== undefined && Number.isSafeInteger(n) && n >= 1 && n <= 100_000 ? n : DEFAULT_STEPS;
}

/**
 * A PNG or JPEG → RGBA bytes, decoded by the browser (`createImageBitmap`, EXIF orientation and
 * colour management as the browser applies them) and read back from a canvas.
 */
async function decodeFile(file: File): Promise<RawImage> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch (e) {
    throw new Error(
      `${file.name} is not a readable image (the browser cannot decode it: ${e instanceof Error ? e.message : String(e)}); give a PNG or JPEG`,
    );
  }
  try {
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(bitmap, 0, 0);
    const { data, width, height } = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
    return { width, height, channels: 4, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } finally {
    bitmap.close();
  }
}

function setStatus(text: string): void {
  $('project-status').textContent = text;
}

/** Decodes and prepares the user's image, then projects it in the worker. */
async function projectFile(file: File): Promise<void> {
  if (!model || !renderer || !modelSpec) return;
  const mine = ++job;
  if (stats.projection?.state === 'running') {
    // A new image replaces the one being projected (its loop cannot be interrupted: end the worker).
    worker?.terminate();
    worker = undefined;
  }
  const R = model.resolution;
  stats.projection = { state: 'preparing', step: 0, steps: projectionSteps() };
  let target: Float32Array;
  try {
    const raw = await decodeFile(file);
    // The library's rule (centre square, area average to R × R) and its errors for tiny or
    // colourless pictures: shown on the page like any other error.
    const t = prepareImage(raw, R);
    try {
      target = (await t.data()) as Float32Array;
    } finally {
      t.dispose();
    }
  } catch (e) {
    if (mine !== job) return;
    stats.projection.state = 'error';
    showError(
      new Error(`${file.name}: ${e instanceof Error ? e.message : String(e)}`.replace(`${file.name}: ${file.name} `, `${file.name} `)),
    );
    return;
  }
  if (mine !== job) return;
  clearError();
  $('projection').hidden = false;
  draw($('target'), { width: R, height: R, rgba: rgbaOf(target, R), measured: {} });
  $<HTMLCanvasElement>('reconstruction').getContext('2d')!.clearRect(0, 0, R, R);
  $('project-cancel').hidden = false;
  const progress = $<HTMLProgressElement>('project-progress');
  progress.value = 0;
  setStatus(`projecting ${file.name}…`);
  stats.projection.state = 'running';
  worker ??= new Worker(new URL('./project-worker.ts', import.meta.url), { type: 'module' });
  const w = worker;
  w.onmessage = (ev: MessageEvent<ProjectMessage>) => {
    if (mine !== job || !stats.projection) return;
    const m = ev.data;
    if (m.type === 'loading') setStatus(`loading ${m.what} for the projection…`);
    else if (m.type === 'progress') {
      stats.projection.step = m.step;
      stats.projection.loss = m.loss;
      progress.value = m.step / m.steps;
      setStatus(`step ${m.step}/${m.steps} · loss ${m.loss.toExponential(2)} · ${(m.elapsedMs / 1000).toFixed(1)} s`);
      if (m.preview) draw($('reconstruction'), { width: R, height: R, rgba: m.preview, measured: {} });
    } else if (m.type === 'error') {
      stats.projection.state = 'error';
      $('project-cancel').hidden = true;
      setStatus('projection failed');
      showError(new Error(`projecting ${file.name}: ${m.message}`));
    } else {
      draw($('reconstruction'), { width: R, height: R, rgba: m.image, measured: {} });
      $('project-cancel').hidden = true;
      $('project-status').dataset.psnr = String(m.psnr);
      setStatus(
        `PSNR ${m.psnr.toFixed(2)} dB · ${m.steps} steps from the best of ${m.starts} starts (${m.start === 'encoders' ? "the encoders' values" : 'no encoders'}) · ${(m.ms / 1000).toFixed(1)} s on ${m.backend}`,
      );
      Object.assign(stats.projection, { state: 'done', step: m.steps, psnr: m.psnr, ms: m.ms, workerTensors: m.tensors });
      void enterProjection(m.latent.ws[0]).catch(showError);
    }
  };
  w.onerror = (ev) => {
    if (mine !== job || !stats.projection) return;
    ev.preventDefault();
    stats.projection.state = 'error';
    showError(new Error(`the projection worker failed: ${ev.message || 'it did not start'}`));
  };
  const msg: ProjectJob = {
    type: 'project',
    backend: stats.backend,
    page: location.href,
    source: modelSpec,
    target,
    resolution: R,
    steps: projectionSteps(),
    previewEvery: PREVIEW_EVERY,
  };
  w.postMessage(msg, [target.buffer]);
}

/** `prepareImage`'s [-1, 1] RGB → RGBA bytes for a canvas. */
function rgbaOf(x: Float32Array, R: number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(R * R * 4);
  for (let i = 0; i < R * R; i++) {
    for (let c = 0; c < 3; c++) out[i * 4 + c] = Math.round((x[i * 3 + c] + 1) * 127.5);
    out[i * 4 + 3] = 255;
  }
  return out;
}

/**
 * The projected w becomes the main picture: every attribute starts "as projected" (its slice of
 * the projected w, not set), with its control at the value measured on the reconstruction; moving
 * a control sets that attribute on the projected latent.
 */
async function enterProjection(ws: readonly number[]): Promise<void> {
  if (!renderer || !model) return;
  renderer.projected = { ws, resampled: new Set() };
  settings.groupSeeds = {};
  settings.sampled = new Set(model.attributes.map((a) => a.name));
  const measured = await renderer.render(settings).then(([f]) => f.measured);
  for (const a of model.attributes) {
    const m = measured[a.name];
    if (m && m.every(Number.isFinite)) settings.values[a.name] = a.values.map((v, i) => Number(formatNumber(clampValue(m[i], v))));
  }
  stats.projected = true;
  document.body.classList.add('projected');
  $('back-to-samples').hidden = false;
  buildControls(model);
  requestRender();
}

/** Back to sampled pictures (the seeds' latents). */
function leaveProjection(render = true): void {
  if (renderer) renderer.projected = undefined;
  stats.projected = false;
  document.body.classList.remove('projected');
  $('back-to-samples').hidden = true;
  if (stats.projection?.state !== 'running' && stats.projection?.state !== 'preparing') $('projection').hidden = true;
  if (render && model) {
    buildControls(model);
    requestRender();
  }
}

/** Stops a running projection: the worker is ended (its loop cannot be interrupted otherwise). */
function cancelProjection(why = 'cancelled'): void {
  if (stats.projection?.state !== 'running' && stats.projection?.state !== 'preparing') return;
  job++;
  worker?.terminate();
  worker = undefined;
  stats.projection.state = 'cancelled';
  $('project-cancel').hidden = true;
  setStatus(`projection ${why}`);
  if (!renderer?.projected) $('projection').hidden = true;
}

function wireProjection(): void {
  $<HTMLInputElement>('open-image').addEventListener('change', (ev) => {
    const input = ev.target as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (file) void projectFile(file);
  });
  $('project-cancel').addEventListener('click', () => cancelProjection());
  $('back-to-samples').addEventListener('click', () => leaveProjection());
}

// ---------------------------------------------------------------- model

async function load(spec: SourceSpec, fromUrl: URLSearchParams): Promise<void> {
  const source = sourceOf(spec);
  $('model-name').textContent = `loading ${source.label}…`;
  const next = await openModel(source);
  // A projected latent belongs to the model it was found for.
  cancelProjection('a new model was opened');
  leaveProjection(false);
  modelSpec = spec;
  stats.modelMs ??= performance.now();
  const nextRenderer = new Renderer(next);
  // Values the URL does not give start at what the seed's own picture shows.
  let s = parseSettings(fromUrl, next);
  const missing = next.attributes.some((a) => a.values.some((v) => !fromUrl.has(`${a.name}.${v.name}`)));
  if (missing) {
    const measured = await nextRenderer.measureSampled(s);
    s = parseSettings(fromUrl, next, { ...s, values: measured, sampled: s.sampled });
  }
  // A link to a projected picture: its w, and every attribute it leaves "as projected" shown at
  // the value measured on that picture.
  const projected = parseProjected(fromUrl, next.generator.wDim, next);
  if (projected) {
    nextRenderer.projected = { ws: projected.ws, resampled: new Set(projected.resampled) };
    const measured = await nextRenderer.render(s).then(([f]) => f.measured);
    for (const a of next.attributes) {
      const m = measured[a.name];
      if (s.sampled.has(a.name) && m && m.every(Number.isFinite))
        s.values[a.name] = a.values.map((v, i) => Number(formatNumber(clampValue(m[i], v))));
    }
  }
  model?.dispose();
  model = next;
  renderer = nextRenderer;
  settings = s;
  if (projected) {
    stats.projected = true;
    document.body.classList.add('projected');
    $('back-to-samples').hidden = false;
  }
  $('model-name').textContent = `${next.name} · ${next.resolution} px · ${source.label}`;
  buildControls(next);
  stats.ready = true;
  requestRender();
}

function filesFromInput(list: FileList): { label: string; files: Map<string, File> } {
  const files = new Map<string, File>();
  let label = 'folder';
  for (const f of Array.from(list)) {
    const parts = (f.webkitRelativePath || f.name).split('/');
    if (parts.length > 1) label = parts[0];
    files.set(parts.slice(parts.length > 1 ? 1 : 0).join('/'), f);
  }
  return { label, files };
}

async function filesFromEntry(entry: FileSystemEntry, prefix: string, out: Map<string, File>): Promise<void> {
  if (entry.isFile) {
    out.set(prefix + entry.name, await new Promise<File>((res, rej) => (entry as FileSystemFileEntry).file(res, rej)));
    return;
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((res, rej) => reader.readEntries(res, rej));
    if (batch.length === 0) break;
    for (const e of batch) await filesFromEntry(e, `${prefix}${entry.name}/`, out);
  }
}

async function openFiles(label: string, files: Map<string, File>): Promise<void> {
  // A dropped folder's paths start with its own name: strip it when model.json sits under it.
  if (!files.has('model.json')) {
    const top = [...files.keys()].find((k) => k.endsWith('/model.json'));
    if (top) {
      const dir = top.slice(0, -'model.json'.length);
      label = dir.replace(/\/$/, '');
      files = new Map([...files].filter(([k]) => k.startsWith(dir)).map(([k, f]) => [k.slice(dir.length), f]));
    }
  }
  page.model = undefined;
  await load({ label, files }, new URLSearchParams());
}

function wireOpen(): void {
  $<HTMLInputElement>('open-folder').addEventListener('change', (ev) => {
    const input = ev.target as HTMLInputElement;
    if (!input.files?.length) return;
    const { label, files } = filesFromInput(input.files);
    openFiles(label, files).catch(showError);
  });
  $<HTMLFormElement>('open-url').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const url = (new FormData(ev.target as HTMLFormElement).get('url') as string).trim();
    if (!url) return;
    page.model = url;
    load({ url, page: location.href }, new URLSearchParams()).catch(showError);
  });
  document.addEventListener('dragover', (ev) => {
    ev.preventDefault();
    document.body.classList.add('dragging');
  });
  document.addEventListener('dragleave', () => document.body.classList.remove('dragging'));
  document.addEventListener('drop', (ev) => {
    ev.preventDefault();
    document.body.classList.remove('dragging');
    const dropped = Array.from(ev.dataTransfer?.files ?? []);
    // One image file: project it; anything else is a model folder.
    if (dropped.length === 1 && isImageFile(dropped[0])) {
      void projectFile(dropped[0]);
      return;
    }
    const items = Array.from(ev.dataTransfer?.items ?? []);
    const entries = items.map((i) => i.webkitGetAsEntry()).filter((e): e is FileSystemEntry => e !== null);
    (async () => {
      const files = new Map<string, File>();
      for (const e of entries) await filesFromEntry(e, '', files);
      await openFiles(entries[0]?.name ?? 'folder', files);
    })().catch(showError);
  });
  $('download').addEventListener('click', () => {
    $<HTMLCanvasElement>('image').toBlob((blob) => {
      if (!blob) return;
      const a = el('a', { href: URL.createObjectURL(blob), download: `gan-control-seed${settings.seed}.png` });
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 1000);
    }, 'image/png');
  });
}

async function start(): Promise<void> {
  wireOpen();
  wireProjection();
  try {
    stats.backend = await startBackend(page.backend);
    stats.backendMs = performance.now();
    $('backend').textContent = stats.backend;
    (window as unknown as { tf: typeof tf }).tf = tf;
    await load({ url: page.model ?? 'model/', page: location.href }, query);
  } catch (e) {
    showError(e);
  }
}

void start();
