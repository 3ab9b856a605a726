/**
 * The studio page: opens a model folder, builds a control per attribute value, and regenerates on
 * every change (no button). Plain DOM: the page is one form over one render loop, so a framework
 * would add a build step and a runtime without removing any code (see README).
 */
import * as tf from '@tensorflow/tfjs-core';
import './style.css';
import { startBackend } from './backend';
import { fileSource, openModel, urlSource, type ControlAttribute, type ModelSource, type StudioModel, type ValueInfo } from './model';
import { Renderer, type Frame } from './render';
import { clampValue, formatNumber, formatSettings, parseSettings, seedOf, type Settings } from './settings';

const VARIATIONS = 6;
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** What tests and the README's timings read (`window.studio`). */
interface Stats {
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
}
const stats: Stats = { backend: '', frameMs: [], frames: 0, ready: false, busy: false };
(window as unknown as { studio: Stats }).studio = stats;

let model: StudioModel | undefined;
let renderer: Renderer | undefined;
let settings: Settings;
const query = new URLSearchParams(location.search);
const page = { backend: query.get('backend') ?? undefined, model: query.get('model') ?? undefined };

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
  const q = formatSettings(settings, model!, { backend: page.backend, model: model!.url && model!.url !== 'model/' ? model!.url : undefined });
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

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> & Record<string, unknown> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k.startsWith('aria') || k.startsWith('data-') || k === 'role' || k === 'for') e.setAttribute(k === 'ariaLabel' ? 'aria-label' : k, String(v));
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
  const truncRange = el('input', { type: 'range', min: '0', max: '1', step: '0.01', value: String(settings.truncation), ariaLabel: 'truncation' });
  const truncNumber = el('input', { type: 'number', min: '0', max: '1', step: '0.01', value: String(settings.truncation), ariaLabel: 'truncation (number)' });
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
  for (const [group, label] of seedLabels) label.textContent = `seed ${seedOf(settings, group)}`;
}

function reseedButton(group: string): HTMLElement {
  const b = el('button', { type: 'button', textContent: 'reseed', ariaLabel: `reseed ${group}` });
  b.addEventListener('click', () => {
    // A fresh seed per click, reproducible from the URL.
    settings.groupSeeds[group] = (seedOf(settings, group) * 7919 + 104729) % 1_000_000;
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
  toggle.addEventListener('change', () => {
    if (toggle.checked) settings.sampled.delete(a.name);
    else settings.sampled.add(a.name);
    box.className = toggle.checked ? '' : 'sampled';
    requestRender();
  });
  box.append(
    el('legend', {}, a.name),
    el('div', { className: 'group-tools' }, el('label', {}, toggle, ' set by value (off: sampled)'), reseedButton(a.group)),
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
      const deg = (Math.atan2(ev.clientX - (r.left + r.width / 2), (r.top + r.height / 2) - ev.clientY) * 180) / Math.PI;
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
    box.append(el('div', { className: 'row' }, el('label', { title: `${label} (${v.unit})` }, `${v.name} (${v.unit})`), range, number, measured));
    valueControls.push({ attribute: a, index, range, number, measured });
  });
  return box;
}

function buildControls(m: StudioModel): void {
  valueControls = [];
  pads = [];
  wheels = [];
  seedLabels.clear();
  const root = $('controls');
  root.replaceChildren(seedControls(), ...m.attributes.map(attributeControls));
  for (const g of m.groups) {
    if (m.attributes.some((a) => a.group === g.name)) continue;
    root.append(el('fieldset', {}, el('legend', {}, `${g.name} (sampled)`), el('div', { className: 'group-tools' }, reseedButton(g.name))));
  }
  refreshSeeds();
  placePads();
  const grid = $('variations');
  grid.replaceChildren(
    ...Array.from({ length: VARIATIONS }, (_, i) => {
      const b = el('button', { type: 'button', ariaLabel: `variation seed ${i + 1}` }, el('canvas', { width: m.resolution, height: m.resolution }));
      b.addEventListener('click', () => {
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

// ---------------------------------------------------------------- model

async function load(source: ModelSource, fromUrl: URLSearchParams): Promise<void> {
  $('model-name').textContent = `loading ${source.label}…`;
  const next = await openModel(source);
  stats.modelMs ??= performance.now();
  const nextRenderer = new Renderer(next);
  // Values the URL does not give start at what the seed's own picture shows.
  let s = parseSettings(fromUrl, next);
  const missing = next.attributes.some((a) => a.values.some((v) => !fromUrl.has(`${a.name}.${v.name}`)));
  if (missing) {
    const measured = await nextRenderer.measureSampled(s);
    s = parseSettings(fromUrl, next, { ...s, values: measured, sampled: s.sampled });
  }
  model?.dispose();
  model = next;
  renderer = nextRenderer;
  settings = s;
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
  await load(fileSource(label, files), new URLSearchParams());
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
    load(urlSource(url), new URLSearchParams()).catch(showError);
  });
  document.addEventListener('dragover', (ev) => {
    ev.preventDefault();
    document.body.classList.add('dragging');
  });
  document.addEventListener('dragleave', () => document.body.classList.remove('dragging'));
  document.addEventListener('drop', (ev) => {
    ev.preventDefault();
    document.body.classList.remove('dragging');
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
  try {
    stats.backend = await startBackend(page.backend);
    stats.backendMs = performance.now();
    $('backend').textContent = stats.backend;
    (window as unknown as { tf: typeof tf }).tf = tf;
    await load(urlSource(page.model ?? 'model/'), query);
  } catch (e) {
    showError(e);
  }
}

void start();
