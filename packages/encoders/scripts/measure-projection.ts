// Projection and editing of images the model did not make, on the bundled shapes model: a test
// set drawn by an independent renderer (SVG rasterised by sharp through tensor-io's decodeImage, at
// 4× the model's resolution, then prepared by `prepareImage`'s rule), with known hue, position,
// size and kind. For each projection setting: reconstruction PSNR/MSE, the factors measured on the
// reconstruction vs the true ones, and for edits of each attribute to several values the edited
// attribute's error and how far the other factors moved (as a share of their range).
//
//   npx tsx --tsconfig packages/encoders/tsconfig.json packages/encoders/scripts/measure-projection.ts \
//     [--steps 300] [--configs groups:encoders,w:encoders,w+:encoders,groups:mean] [--json out.json] [--grid out.png]
//     [--attribute-weight λ]   (adds the shapes plugins' embeddings as loss terms, λ each)
//     [--prior λ]              (projectImage's latentPrior)
//     [--starts n]             (from the encoders: n starts screened, encoderStarts; default 1)
//     [--feedback n]           (closed-loop passes of the edits, Controller.generate's feedback; default 0)
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@gan-control/backend';
import { createAttribute } from '@gan-control/contrastive-loss';
import type { Attribute } from '@gan-control/contrastive-loss';
import { color, position, size } from '@gan-control/domain-shapes';
import { decodeImage, tensorToPng } from '@gan-control/tensor-io/node';
import { Controller, encoderStarts, prepareImage, projectImage } from '../src/index.js';
import type { ProjectionMode } from '../src/index.js';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: 'packages/domain-shapes/model' },
    steps: { type: 'string', default: '300' },
    configs: { type: 'string', default: 'groups:encoders,w:encoders,w+:encoders,groups:mean' },
    only: { type: 'string' },
    json: { type: 'string' },
    grid: { type: 'string' },
    backend: { type: 'string', default: 'auto' },
    'attribute-weight': { type: 'string', default: '0' },
    prior: { type: 'string', default: '0' },
    starts: { type: 'string', default: '1' },
    feedback: { type: 'string', default: '0' },
  },
});
const backend = await setupBackend(args.backend as 'auto');
const STEPS = Number(args.steps);
const LAMBDA = Number(args['attribute-weight']);
const STARTS = Number(args.starts);
const FEEDBACK = Number(args.feedback);
const R = 32;
const CANVAS = 128; // the SVG is drawn at 4× and brought to 32 px by prepareImage (area average)
const K = CANVAS / R;

type Kind = 'circle' | 'square' | 'triangle';
interface Shape {
  kind: Kind;
  hue: number;
  x: number;
  y: number;
  size: number;
  rotation: number;
}
interface Case {
  name: string;
  band: 'in' | 'edge' | 'out';
  shapes: Shape[];
  background?: string;
  fill?: string;
}

/** The domain's colour definition (render.ts): channel k = 0.5 + 0.5·cos(hue − 120°·k). */
function fillOf(hue: number): string {
  const c = [0, 1, 2].map((k) => Math.round(255 * (0.5 + 0.5 * Math.cos(((hue - 120 * k) * Math.PI) / 180))));
  return `rgb(${c.join(',')})`;
}

/** One shape as SVG, in canvas pixels; size = √(area) / side (the dataset's factor). */
function svgShape(s: Shape, fill: string): string {
  const cx = s.x * K,
    cy = s.y * K,
    side = s.size * CANVAS;
  if (s.kind === 'circle') return `<circle cx="${cx}" cy="${cy}" r="${side / Math.sqrt(Math.PI)}" fill="${fill}"/>`;
  const n = s.kind === 'square' ? 4 : 3;
  // Square: circumradius a/√2 with a = side; equilateral triangle of area side²: a = side·√(4/√3), circumradius a/√3.
  const radius = s.kind === 'square' ? side / Math.SQRT2 : (side * Math.sqrt(4 / Math.sqrt(3))) / Math.sqrt(3);
  const phase = s.kind === 'square' ? Math.PI / 4 : -Math.PI / 2;
  const pts = Array.from({ length: n }, (_, k) => {
    const a = phase + (s.rotation * Math.PI) / 180 + (2 * Math.PI * k) / n;
    return `${(cx + radius * Math.cos(a)).toFixed(3)},${(cy + radius * Math.sin(a)).toFixed(3)}`;
  });
  return `<polygon points="${pts.join(' ')}" fill="${fill}"/>`;
}

function svgOf(c: Case): Uint8Array {
  const bg = c.background ?? '<rect width="100%" height="100%" fill="black"/>';
  const body = c.shapes.map((s) => svgShape(s, c.fill ?? fillOf(s.hue))).join('');
  return new TextEncoder().encode(`<svg xmlns="http://www.w3.org/2000/svg" width="${CANVAS}" height="${CANVAS}">${bg}${body}</svg>`);
}

const S = (kind: Kind, hue: number, x: number, y: number, sz: number, rotation = 0): Shape => ({ kind, hue, x, y, size: sz, rotation });
const cases: Case[] = [
  // Inside the training distribution (sizes 0.15–0.35, centres 0.2–0.8 of the side, any hue).
  { name: 'circle h20', band: 'in', shapes: [S('circle', 20, 16, 16, 0.25)] },
  { name: 'circle h150', band: 'in', shapes: [S('circle', 150, 12, 20, 0.22)] },
  { name: 'circle h265', band: 'in', shapes: [S('circle', 265, 20, 11, 0.3)] },
  { name: 'square h60', band: 'in', shapes: [S('square', 60, 18, 14, 0.26, 20)] },
  { name: 'square h200', band: 'in', shapes: [S('square', 200, 11, 12, 0.2, 0)] },
  { name: 'square h320', band: 'in', shapes: [S('square', 320, 21, 21, 0.28, 35)] },
  { name: 'triangle h100', band: 'in', shapes: [S('triangle', 100, 15, 18, 0.27, 10)] },
  { name: 'triangle h230', band: 'in', shapes: [S('triangle', 230, 20, 15, 0.23, 200)] },
  { name: 'triangle h350', band: 'in', shapes: [S('triangle', 350, 13, 13, 0.31, 75)] },
  // At the edges of the distribution.
  { name: 'edge small', band: 'edge', shapes: [S('circle', 45, 8, 24, 0.15)] },
  { name: 'edge large', band: 'edge', shapes: [S('square', 290, 16, 16, 0.35, 10)] },
  { name: 'edge corner', band: 'edge', shapes: [S('triangle', 175, 24.5, 7.5, 0.17, 0)] },
  // Out of it.
  { name: 'two shapes', band: 'out', shapes: [S('circle', 120, 10, 10, 0.2), S('square', 300, 22, 22, 0.2, 0)] },
  {
    name: 'striped background',
    band: 'out',
    shapes: [S('circle', 30, 16, 16, 0.28)],
    background: `<rect width="100%" height="100%" fill="black"/>${Array.from({ length: 16 }, (_, i) => `<rect x="${i * 8}" width="4" height="100%" fill="rgb(40,40,70)"/>`).join('')}`,
  },
  { name: 'pure red (off the colour circle)', band: 'out', shapes: [S('circle', 0, 17, 15, 0.25)], fill: 'rgb(255,0,0)' },
];

const attributes: Record<string, Attribute> = {
  color: await createAttribute(color),
  position: await createAttribute(position),
  size: await createAttribute(size),
};
const controller = await Controller.load(args.model!, { attributes });
const range = (group: string, value: string) =>
  controller.supported.find((a) => a.group === group)!.values.find((v) => v.name === value)!.range;
const ranges = { hue: 360, x: span(range('position', 'x')), y: span(range('position', 'y')), size: span(range('size', 'size')) };
function span(r: readonly [number, number]) {
  return r[1] - r[0];
}

type F = { hue: number; x: number; y: number; size: number };
function measure(images: tf.Tensor4D): F {
  return tf.tidy(() => {
    const xy = attributes.position.measure!(images).dataSync();
    return {
      hue: attributes.color.measure!(images).dataSync()[0],
      x: xy[0],
      y: xy[1],
      size: attributes.size.measure!(images).dataSync()[0],
    };
  });
}
const hueDiff = (a: number, b: number) => Math.abs(((a - b + 540) % 360) - 180);
const errors = (a: F, b: F) => ({
  hue: hueDiff(a.hue, b.hue),
  pos: Math.hypot(a.x - b.x, a.y - b.y),
  size: Math.abs(a.size - b.size) / b.size,
});
const moved = (a: F, b: F) => ({
  hue: hueDiff(a.hue, b.hue) / ranges.hue,
  x: Math.abs(a.x - b.x) / ranges.x,
  y: Math.abs(a.y - b.y) / ranges.y,
  size: Math.abs(a.size - b.size) / ranges.size,
});

const configs = args.configs!.split(',').map((c) => {
  const [mode, start] = c.split(':');
  const terms =
    (Number(args['attribute-weight']) > 0 ? `, plugin terms λ ${args['attribute-weight']}` : '') +
    (Number(args.prior) > 0 ? `, latent prior ${args.prior}` : '') +
    (STARTS > 1 && start === 'encoders' ? `, ${STARTS} starts` : '') +
    (FEEDBACK > 0 ? `, feedback ${FEEDBACK}` : '');
  return {
    mode: mode as ProjectionMode,
    start: start as 'encoders' | 'mean',
    label: `${mode} from ${start === 'mean' ? 'mean w' : 'encoders'}${terms}`,
  };
});
const only = args.only ? new Set(args.only.split(',')) : undefined;

interface EditRow {
  attribute: 'hue' | 'x' | 'size';
  requested: number;
  error: number;
  others: Record<string, number>;
}
interface Row {
  config: string;
  image: string;
  band: string;
  truth?: F;
  input: F;
  recon: F;
  psnr: number;
  mse: number;
  seconds: number;
  edits: EditRow[];
}
const rows: Row[] = [];
const gridImages: tf.Tensor4D[] = [];

for (const c of cases) {
  if (only && !only.has(c.name)) continue;
  const target = prepareImage(await decodeImage(svgOf(c), { channels: 4 }), R);
  const input = measure(target);
  const truth =
    c.shapes.length === 1 && !c.fill ? { hue: c.shapes[0].hue, x: c.shapes[0].x, y: c.shapes[0].y, size: c.shapes[0].size } : undefined;
  for (const cfg of configs) {
    const start = cfg.start === 'encoders' ? encoderStarts(controller, target, attributes, { count: STARTS }) : undefined;
    const t0 = performance.now();
    const terms = LAMBDA > 0 ? { attributes, attributeWeights: { color: LAMBDA, position: LAMBDA, size: LAMBDA } } : {};
    const r = await projectImage(controller.generator, target, {
      steps: STEPS,
      mode: cfg.mode,
      start,
      seed: 0,
      latentPrior: Number(args.prior),
      ...terms,
    });
    const seconds = (performance.now() - t0) / 1000;
    const recon = measure(r.image);
    const edits: EditRow[] = [];
    const hueTargets = [200, (recon.hue + 120) % 360, (recon.hue + 240) % 360];
    const xTargets = [9, 16, 23];
    const sizeTargets = [0.18, 0.25, 0.32];
    const requests: { attribute: EditRow['attribute']; requested: number; set: Record<string, number | Record<string, number>> }[] = [
      ...hueTargets.map((h) => ({ attribute: 'hue' as const, requested: h, set: { color: h } })),
      ...xTargets.map((x) => ({ attribute: 'x' as const, requested: x, set: { position: { x } } })),
      ...sizeTargets.map((s) => ({ attribute: 'size' as const, requested: s, set: { size: s } })),
    ];
    const editImages: tf.Tensor4D[] = [];
    for (const q of requests) {
      const e = controller.generate({ latent: r.latent, set: q.set, fill: 'measured', outOfRange: 'allow', feedback: FEEDBACK });
      const m = measure(e.images);
      const mv = moved(m, recon);
      const error =
        q.attribute === 'hue'
          ? hueDiff(m.hue, q.requested)
          : q.attribute === 'x'
            ? Math.abs(m.x - q.requested)
            : Math.abs(m.size - q.requested) / q.requested;
      const others: Record<string, number> = {};
      for (const k of ['hue', 'x', 'y', 'size'] as const) if (k !== q.attribute) others[k] = mv[k];
      edits.push({ attribute: q.attribute, requested: q.requested, error, others });
      if (q.attribute === 'hue' && q.requested === 200) editImages.push(e.images);
      else e.images.dispose();
      e.ws.dispose();
    }
    rows.push({ config: cfg.label, image: c.name, band: c.band, truth, input, recon, psnr: r.psnr, mse: r.mse, seconds, edits });
    if (args.grid) gridImages.push(tf.clone(target), r.image, ...editImages);
    else {
      r.image.dispose();
      tf.dispose(editImages);
    }
    const e = truth ? errors(recon, truth) : undefined;
    process.stderr.write(
      `${c.name} | ${cfg.label}: PSNR ${r.psnr.toFixed(2)} dB${e ? `, hue ${e.hue.toFixed(2)}°, pos ${e.pos.toFixed(2)} px, size ${(100 * e.size).toFixed(1)} %` : ''} (${seconds.toFixed(1)} s)\n`,
    );
  }
  target.dispose();
}

// Summary per config: in-distribution images (truth known), edges, out of distribution.
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const max = (xs: number[]) => (xs.length ? Math.max(...xs) : NaN);
const f = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '—');
const lines: string[] = [];
lines.push(
  `Shapes model ${args.model}, ${STEPS} steps per projection, backend ${backend.name}; ${cases.length} images (9 in distribution, 3 at its edges, 3 out of it).`,
);
lines.push('');
lines.push(
  '| setting | images | PSNR dB (mean, min) | hue err ° (mean, max) | position err px (mean, max) | size err % (mean, max) | recon within all 3 targets | s / projection |',
);
lines.push('|---|---|---|---|---|---|---|---|');
for (const cfg of configs) {
  for (const band of ['in', 'edge', 'out'] as const) {
    const rs = rows.filter((r) => r.config === cfg.label && r.band === band);
    if (!rs.length) continue;
    const withTruth = rs.filter((r) => r.truth);
    const errs = withTruth.map((r) => errors(r.recon, r.truth!));
    const ok = errs.filter((e) => e.hue < 5 && e.pos < 1 && e.size < 0.05).length;
    lines.push(
      `| ${cfg.label} | ${band} (${rs.length}) | ${f(mean(rs.map((r) => r.psnr)))}, ${f(Math.min(...rs.map((r) => r.psnr)))} | ${f(mean(errs.map((e) => e.hue)))}, ${f(max(errs.map((e) => e.hue)))} | ${f(mean(errs.map((e) => e.pos)))}, ${f(max(errs.map((e) => e.pos)))} | ${f(100 * mean(errs.map((e) => e.size)), 1)}, ${f(100 * max(errs.map((e) => e.size)), 1)} | ${withTruth.length ? `${ok}/${withTruth.length}` : '—'} | ${f(mean(rs.map((r) => r.seconds)), 1)} |`,
    );
  }
}
lines.push('');
lines.push(
  'Edits on the projected latents (in-distribution and edge images; hue to 200°, +120°, +240°; position.x to 9, 16, 23 px; size to 0.18, 0.25, 0.32): error of the edited value (hue °, x px, size % of the requested) and how far the other factors moved, as a share of their range (hue 360°, x, y and size: the range the encoders were trained on).',
);
lines.push('');
lines.push('| setting | edit | error (mean, max) | within target | others moved, mean (max) | others < 5 % of range |');
lines.push('|---|---|---|---|---|---|');
for (const cfg of configs) {
  for (const attribute of ['hue', 'x', 'size'] as const) {
    const es = rows
      .filter((r) => r.config === cfg.label && r.band !== 'out')
      .flatMap((r) => r.edits.filter((e) => e.attribute === attribute));
    if (!es.length) continue;
    const limit = attribute === 'hue' ? 5 : attribute === 'x' ? 1 : 0.05;
    const scale = attribute === 'size' ? 100 : 1;
    const within = es.filter((e) => e.error < limit).length;
    const otherKeys = Object.keys(es[0].others);
    const others = otherKeys
      .map((k) => `${k} ${f(100 * mean(es.map((e) => e.others[k])), 1)} % (${f(100 * max(es.map((e) => e.others[k])), 1)})`)
      .join(', ');
    const quiet = es.filter((e) => Object.values(e.others).every((v) => v < 0.05)).length;
    lines.push(
      `| ${cfg.label} | ${attribute} | ${f(scale * mean(es.map((e) => e.error)))}, ${f(scale * max(es.map((e) => e.error)))} | ${within}/${es.length} | ${others} | ${quiet}/${es.length} |`,
    );
  }
}
const table = lines.join('\n');
console.log(table);
if (args.json) await writeFile(args.json, JSON.stringify({ steps: STEPS, backend: backend.name, configs, rows, table }, null, 2));
if (args.grid && gridImages.length) {
  const per = gridImages.length / rows.length;
  const all = tf.concat(gridImages, 0) as tf.Tensor4D;
  await writeFile(args.grid, await tensorToPng(all, { grid: { rows: rows.length, cols: per } }));
  tf.dispose([all, ...gridImages]);
}
controller.dispose();
for (const a of Object.values(attributes)) a.dispose();
