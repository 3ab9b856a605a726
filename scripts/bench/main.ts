// The benchmark behind `npm run bench` (see scripts/bench.mjs for the flags).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { removeNativeKernels, restoreStockKernels, setupBackend, type BackendInfo } from '@gan-control/backend';

/**
 * Wall ms (median, min) and CPU ms of the process (all its threads; median). On a shared machine
 * the wall figures move with the load; CPU time (work done) much less, and the project's pool
 * threads sleep rather than spin, so its CPU time is its work: project CPU ≤ PyTorch 1-thread CPU
 * means the project's wall time on a quiet machine with ≥ 1 core is ≤ PyTorch's on one thread.
 */
interface Timing {
  median: number;
  min: number;
  reps: number;
  cpu?: number;
  note?: string;
}
type Row = { name: string; results: Record<string, Timing | string>; torch?: Timing; torchPer?: Record<string, Timing> };

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

function parseArgs(argv: string[]) {
  const flag = (name: string) => argv.includes(`--${name}`);
  const value = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const quick = flag('quick');
  return {
    quick,
    full: flag('full'),
    only: new Set((value('only') ?? 'conv,gan,profile,plugins').split(',')),
    json: value('json'),
    torch: !flag('no-torch'),
    python: value('python'),
    reps: Number(value('reps') ?? (quick ? 3 : 5)),
    steps: Number(value('steps') ?? (quick ? 2 : 4)),
    resolutions: (value('resolutions') ?? (quick ? '32' : '32,64')).split(',').map(Number),
    torchThreads: (value('torch-threads') ?? `${Math.min(2, availableParallelism())},1`)
      .split(',')
      .map(Number)
      .filter((n, i, a) => n > 0 && a.indexOf(n) === i),
  };
}
type Args = ReturnType<typeof parseArgs>;

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

function time(fn: () => void, reps: number, warmup = 1): Timing {
  for (let i = 0; i < warmup; i++) fn();
  const t: number[] = [];
  const c: number[] = [];
  for (let i = 0; i < reps; i++) {
    const s = performance.now();
    const sc = cpuMs();
    fn();
    c.push(cpuMs() - sc);
    t.push(performance.now() - s);
  }
  t.sort((a, b) => a - b);
  return { median: t[Math.floor(t.length / 2)]!, min: t[0]!, reps, cpu: median(c) };
}

async function timeAsync(fn: () => Promise<unknown>, reps: number, warmup = 1): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await fn();
  const t: number[] = [];
  const c: number[] = [];
  for (let i = 0; i < reps; i++) {
    const s = performance.now();
    const sc = cpuMs();
    await fn();
    c.push(cpuMs() - sc);
    t.push(performance.now() - s);
  }
  t.sort((a, b) => a - b);
  return { median: t[Math.floor(t.length / 2)]!, min: t[0]!, reps, cpu: median(c) };
}

const sync = (t: tf.Tensor) => {
  t.dataSync();
  t.dispose();
};

// ---------------------------------------------------------------------------------------------
function findPython(args: Args): string | null {
  if (!args.torch) return null;
  for (const py of [args.python, 'python3', '/usr/bin/python3'].filter(Boolean) as string[]) {
    const r = spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' });
    if (r.status === 0) return py;
  }
  return null;
}

function runTorchOnce(py: string, args: Args, sections: string[], threads: number, faces?: string): Record<string, unknown> | string {
  try {
    const out = execFileSync(
      py,
      [
        join(here, 'torch_bench.py'),
        '--threads',
        String(threads),
        '--reps',
        String(args.reps),
        '--steps',
        String(args.steps),
        '--resolutions',
        args.resolutions.join(','),
        '--sections',
        sections.join(','),
        ...(faces ? ['--faces', faces] : []),
      ],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        maxBuffer: 1 << 24,
        env: { ...process.env, OMP_NUM_THREADS: String(threads) },
      },
    );
    return JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;
  } catch (err) {
    return `PyTorch run failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
  }
}

/**
 * PyTorch at each thread count of --torch-threads (default 2 and 1), keeping for every figure the
 * fastest: on a shared machine PyTorch's spinning OpenMP threads can make 2 threads far slower
 * than 1, and the comparison should be against PyTorch at its best on the same cores.
 */
function runTorch(py: string, args: Args, sections: string[], faces?: string): Record<string, unknown> | string {
  const runs: [number, Record<string, unknown>][] = [];
  const errors: string[] = [];
  for (const t of args.torchThreads) {
    console.error(`bench: PyTorch, ${t} thread(s) …`);
    const r = runTorchOnce(py, args, sections, t, faces);
    if (typeof r === 'string') errors.push(r);
    else runs.push([t, r]);
  }
  if (runs.length === 0) return errors.join('; ');
  const best = (values: [number, unknown][]): unknown => {
    if (values.length === 0) return undefined; // a section this run did not measure (--only)
    const timings = values.filter(([, v]) => v && typeof v === 'object' && 'median' in (v as object)) as [number, Timing][];
    if (timings.length === values.length && timings.length > 0) {
      const [t, v] = timings.reduce((a, b) => (b[1].median < a[1].median ? b : a));
      return { ...v, note: `${t} thread${t === 1 ? '' : 's'}` };
    }
    const keys = new Set(values.flatMap(([, v]) => (v && typeof v === 'object' ? Object.keys(v as object) : [])));
    if (keys.size === 0) return values[0]![1];
    return Object.fromEntries(
      [...keys].map((k) => [
        k,
        best(values.map(([t, v]) => [t, (v as Record<string, unknown>)[k]] as [number, unknown]).filter(([, v]) => v !== undefined)),
      ]),
    );
  };
  const merged = best(runs.map(([t, r]) => [t, { conv: r['conv'], gan: r['gan'], plugins: r['plugins'] }])) as Record<string, unknown>;
  // Phases of the thread count whose profiled step is fastest (one consistent run, not a mix).
  const profiled = runs
    .filter(([, r]) => r['profile'])
    .sort(([, a], [, b]) => {
      const step = (r: Record<string, unknown>) =>
        Object.values(r['profile'] as Record<string, { step: number }>).reduce((s, v) => s + v.step, 0);
      return step(a) - step(b);
    })[0];
  if (profiled)
    merged['profile'] = Object.fromEntries(
      Object.entries(profiled[1]['profile'] as Record<string, Record<string, number>>).map(([k, v]) => [k, { ...v, threads: profiled[0] }]),
    );
  return {
    torch: runs[0]![1]['torch'],
    blas: runs[0]![1]['blas'],
    threads: args.torchThreads.join(' or '),
    ...merged,
    perThreads: Object.fromEntries(runs.map(([t, r]) => [t, r])),
  };
}

// ---------------------------------------------------------------------------------------------
const CONV = { x: [16, 32, 32, 64] as [number, number, number, number], w: [3, 3, 64, 64] as [number, number, number, number] };

function convOps(reps: number, filterBatch?: number): Record<string, Timing | string> {
  const x = tf.randomNormal(CONV.x) as tf.Tensor4D;
  const w = tf.randomNormal(CONV.w) as tf.Tensor4D;
  const dy = tf.randomNormal(CONV.x) as tf.Tensor4D;
  const out: Record<string, Timing | string> = {};
  out['forward'] = time(() => sync(tf.conv2d(x, w, 1, 'same')), reps);
  out['gradInput'] = time(() => sync(tf.conv2dTranspose(dy, w, CONV.x, 1, 'same')), reps);
  const backend = tf.getBackend();
  if (!tf.getKernel('Conv2DBackpropFilter', backend)) {
    out['gradFilter'] = 'kernel missing';
  } else {
    const b = filterBatch ?? 16;
    const xs = b === 16 ? x : tf.slice(x, [0, 0, 0, 0], [b, 32, 32, 64]);
    const dys = b === 16 ? dy : tf.slice(dy, [0, 0, 0, 0], [b, 32, 32, 64]);
    const run = () =>
      sync(
        tf.engine().runKernel('Conv2DBackpropFilter', { x: xs, dy: dys }, {
          strides: 1,
          pad: 'same',
          dataFormat: 'NHWC',
          filterShape: CONV.w,
        } as never) as tf.Tensor,
      );
    const t = time(run, b === 16 ? reps : 1, b === 16 ? 1 : 0);
    out['gradFilter'] =
      b === 16
        ? t
        : {
            median: (t.median * 16) / b,
            min: (t.min * 16) / b,
            reps: 1,
            note: `batch ${b} × ${16 / b} (linear in batch); --full measures batch 16`,
          };
    if (b !== 16) tf.dispose([xs, dys]);
  }
  tf.dispose([x, w, dy]);
  return out;
}

async function convSection(args: Args): Promise<Row[]> {
  const cols: Record<string, Record<string, Timing | string>> = {};
  // Stock kernels first, before this project installs its own.
  await tf.setBackend('cpu');
  console.error('conv: stock cpu (slow: one repetition each) …');
  cols['tfjs cpu (stock)'] = convOps(1, args.full ? 16 : 1);
  const require = createRequire(import.meta.url);
  const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  if (!tf.engine().registry['wasm']) {
    setWasmPaths(
      Object.fromEntries(
        ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'].map((f) => [f, join(dist, f)]),
      ) as never,
    );
  }
  await tf.setBackend('wasm');
  console.error('conv: stock wasm …');
  cols['tfjs wasm (stock)'] = convOps(args.reps);
  const info = await setupBackend('wasm');
  if (info.native.enabled) {
    console.error(`conv: project backend (wasm + native, ${info.native.threads} threads) …`);
    cols[`project: wasm + native ×${info.native.threads}`] = convOps(args.reps);
    removeNativeKernels('wasm');
  }
  console.error('conv: project wasm kernels without the addon …');
  cols['project: wasm, no addon'] = convOps(args.reps);
  await setupBackend('wasm');
  return ['forward', 'gradInput', 'gradFilter'].map((op) => ({
    name: op,
    results: Object.fromEntries(Object.entries(cols).map(([k, v]) => [k, v[op]!])),
  }));
}

// ---------------------------------------------------------------------------------------------
async function importOptional<T>(spec: string): Promise<T | null> {
  try {
    return (await import(spec)) as T;
  } catch (err) {
    console.error(`  (${spec} not available: ${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
    return null;
  }
}

type TrainerMod = typeof import('@gan-control/trainer');
type ShapesMod = typeof import('@gan-control/domain-shapes');

async function ganSection(args: Args, variants: { label: string; prepare: () => Promise<unknown> }[]): Promise<Row[]> {
  const trainer = await importOptional<TrainerMod>('@gan-control/trainer');
  const shapes = await importOptional<ShapesMod>('@gan-control/domain-shapes');
  if (!trainer || !shapes)
    return [{ name: 'StyleGAN2 / training step', results: { all: 'skipped: @gan-control/trainer or @gan-control/domain-shapes missing' } }];
  const rows: Row[] = [];
  const plugins = [shapes.color, shapes.position, shapes.size];
  for (const res of args.resolutions) {
    const r: Record<string, Record<string, Timing | string>> = {};
    for (const v of variants) {
      await v.prepare();
      console.error(`gan ${res}px: ${v.label} …`);
      const cells: Record<string, Timing | string> = {};
      try {
        const t = await trainer.GanControlTrainer.create(trainer.preset('shapes-32', { resolution: res, dRegInterval: null }), {
          plugins,
          datasets: shapes.shapesDatasets,
        });
        const gen = (n: number) => () => {
          const img = tf.tidy(() => {
            const z = tf.randomNormal([n, t.layout.dim]) as tf.Tensor2D;
            return t.G.synthesis(t.G.mapping(z), { noiseMode: 'const' });
          });
          sync(img);
        };
        cells['generatorForward16'] = time(gen(16), args.reps);
        cells['generatorForward1'] = time(gen(1), args.reps);
        cells['stepNoR1'] = await timeAsync(() => t.step(), args.steps);
        t.dispose();
        const t1 = await trainer.GanControlTrainer.create(trainer.preset('shapes-32', { resolution: res, dRegInterval: 1 }), {
          plugins,
          datasets: shapes.shapesDatasets,
        });
        cells['stepR1'] = await timeAsync(() => t1.step(), args.steps);
        t1.dispose();
      } catch (err) {
        cells['error'] = `failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
      }
      r[v.label] = cells;
    }
    for (const op of ['generatorForward16', 'generatorForward1', 'stepNoR1', 'stepR1']) {
      rows.push({
        name: `${res}px ${op}`,
        results: Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v[op] ?? v['error'] ?? 'n/a'])),
      });
    }
    // The lazy-R1 step of the preset (R1 every 16 D steps), from the two measurements.
    rows.push({
      name: `${res}px step (preset, R1/16)`,
      results: Object.fromEntries(
        Object.entries(r).map(([k, v]) => {
          const a = v['stepNoR1'];
          const b = v['stepR1'];
          if (typeof a !== 'object' || typeof b !== 'object') return [k, 'n/a'];
          return [k, { ...lazyR1(a, b), note: 'noR1 + (R1 − noR1)/16' }];
        }),
      ),
    });
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
/** Kernel → ms and calls of one forward+backward of a plugin at batch 16 (tf.profile), per face plugin. */
const pluginKernels: Record<string, Record<string, { ms: number; calls: number }>> = {};

async function pluginSection(args: Args, variants: { label: string; prepare: () => Promise<unknown> }[]): Promise<Row[]> {
  const cl = await importOptional<typeof import('@gan-control/contrastive-loss')>('@gan-control/contrastive-loss');
  if (!cl) return [{ name: 'plugins', results: { all: 'skipped: @gan-control/contrastive-loss missing' } }];
  const shapes = await importOptional<ShapesMod>('@gan-control/domain-shapes');
  const list: [string, unknown][] = [];
  for (const pkg of ['@gan-control/attribute-age', '@gan-control/attribute-face-id', '@gan-control/attribute-pose']) {
    const m = await importOptional<{ default: unknown }>(pkg);
    if (m?.default) list.push([pkg.replace('@gan-control/attribute-', ''), m.default]);
  }
  if (shapes) list.push(['shapes:color', shapes.color], ['shapes:position', shapes.position], ['shapes:size', shapes.size]);
  const rows: Row[] = [];
  for (const [name, plugin] of list) {
    const fwd: Record<string, Timing | string> = {};
    const bwd: Record<string, Timing | string> = {};
    const res = name.startsWith('shapes') ? 32 : 128;
    for (const v of variants) {
      await v.prepare();
      console.error(`plugin ${name}: ${v.label} …`);
      try {
        const attr = await cl.createAttribute(plugin as never);
        const images = tf.tidy(() => tf.sub(tf.mul(tf.randomUniform([16, res, res, 3]), 2), 1)) as tf.Tensor4D;
        const last = (f: tf.Tensor | tf.Tensor[]) => (Array.isArray(f) ? f[f.length - 1]! : f);
        fwd[v.label] = time(() => {
          const f = attr.embed(images) as tf.Tensor | tf.Tensor[];
          last(f).dataSync();
          tf.dispose(f);
        }, args.reps);
        const backward = () => {
          const g = tf.grad((x: tf.Tensor) => tf.sum(tf.square(last(attr.embed(x as tf.Tensor4D) as tf.Tensor | tf.Tensor[]))))(images);
          sync(g);
        };
        bwd[v.label] = time(backward, args.reps);
        if (v === variants[0] && !name.startsWith('shapes')) {
          // Where the time goes, by kernel (the first variant: the project backend).
          const info = await tf.profile(() => {
            backward();
            return [];
          });
          const k: Record<string, { ms: number; calls: number }> = {};
          for (const e of info.kernels) {
            const r = (k[e.name] ??= { ms: 0, calls: 0 });
            r.ms += e.kernelTimeMs as number;
            r.calls += 1;
          }
          pluginKernels[name] = k;
        }
        images.dispose();
        attr.dispose();
      } catch (err) {
        fwd[v.label] = `failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
      }
    }
    rows.push({ name: `${name} forward (batch 16, ${res}px)`, results: fwd });
    rows.push({ name: `${name} forward+backward`, results: bwd });
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
/** The face plugins the bench compares with PyTorch: bench name → package. */
const FACE_PLUGINS = {
  age: '@gan-control/attribute-age',
  'face-id': '@gan-control/attribute-face-id',
  pose: '@gan-control/attribute-pose',
} as const;
type FaceName = keyof typeof FACE_PLUGINS;
interface FaceModule {
  default: unknown;
  faceApiModelDir(): string;
  loadModelWeights(model: string, dir: string, plugin: string): Promise<Record<string, tf.Tensor>>;
  AGE_MODEL?: string;
  FACE_RECOGNITION_MODEL?: string;
  LANDMARK_MODEL?: string;
  MEAN_FACE?: Record<number, readonly number[]>;
}
/** Tolerance of the face check on outputs: max |Δ| / max |PyTorch value|. */
const FACE_TOLERANCE = 1e-4;
/**
 * Tolerance on the input gradient: the median over the 16 images of the relative L2 error. The
 * gradient of a ReLU / max-pool network is piecewise constant: float32 rounding that flips one
 * unit near zero (or a max-pool tie) changes it in a patch of that image, so one image in a
 * batch of noise can be off by 1e-3–1e-2 while the others agree to 1e-5; a wrong layout,
 * padding or kernel moves every image by O(1).
 */
const FACE_GRAD_TOLERANCE = 1e-3;

/**
 * Writes what the PyTorch face networks need into `dir`: face-api's weights exactly as the
 * plugins load them (`loadModelWeights`, the names of face-api's manifests, tfjs layouts,
 * dequantised float32), prefixed `age/`, `id/`, `pose/`; the pose fit's mean face; one seeded
 * [16, 128, 128, 3] image batch in [-1, 1] (`images`). Raw float32 + JSON (`faces.bin`,
 * `faces.json`): nothing is downloaded on either side. Null when a face plugin is missing.
 */
async function exportFaces(dir: string): Promise<Record<FaceName, FaceModule> | null> {
  const mods: Partial<Record<FaceName, FaceModule>> = {};
  for (const [name, pkg] of Object.entries(FACE_PLUGINS) as [FaceName, string][]) {
    const m = await importOptional<FaceModule>(pkg);
    if (!m) return null;
    mods[name] = m;
  }
  const all = mods as Record<FaceName, FaceModule>;
  const tensors: Record<string, { shape: number[]; offset: number }> = {};
  const parts: Buffer[] = [];
  let offset = 0;
  const put = (name: string, t: tf.Tensor) => {
    const data = t.dataSync() as Float32Array;
    tensors[name] = { shape: t.shape, offset };
    parts.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    offset += data.byteLength;
  };
  const models: [string, FaceName, string | undefined][] = [
    ['age/', 'age', all.age.AGE_MODEL],
    ['id/', 'face-id', all['face-id'].FACE_RECOGNITION_MODEL],
    ['pose/', 'pose', all.pose.LANDMARK_MODEL],
  ];
  for (const [prefix, name, model] of models) {
    const m = all[name];
    const weights = await m.loadModelWeights(model!, m.faceApiModelDir(), name);
    for (const [k, t] of Object.entries(weights)) put(prefix + k, t);
    tf.dispose(Object.values(weights));
  }
  const images = faceImages();
  put('images', images);
  images.dispose();
  for (const [name, shape] of Object.entries(FACE_OUTPUT_SHAPES)) {
    const probe = faceProbe(name, shape);
    put(`probe/${name}`, probe);
    probe.dispose();
  }
  writeFileSync(join(dir, 'faces.json'), JSON.stringify({ tensors, meanFace: all.pose.MEAN_FACE }));
  writeFileSync(join(dir, 'faces.bin'), Buffer.concat(parts));
  return all;
}

/** The face check's image batch (seeded, the bench's shape and range). */
const faceImages = () => tf.randomUniform([16, 128, 128, 3], -1, 1, 'float32', 11) as tf.Tensor4D;
/** Each face plugin's `embed` shape on that batch. */
const FACE_OUTPUT_SHAPES: Record<FaceName, [number, number]> = { age: [16, 1], 'face-id': [16, 128], pose: [16, 3] };
/**
 * The check differentiates Σ embed ⊙ probe (a fixed random tensor), not the timings' Σ embed²:
 * face-id's rows are unit vectors, so the gradient of Σ embed² is zero up to rounding.
 */
const faceProbe = (name: string, shape: [number, number]) =>
  tf.randomNormal(shape, 0, 1, 'float32', 17 + Object.keys(FACE_OUTPUT_SHAPES).indexOf(name));

/** One face plugin on one batch: output and input gradient against PyTorch's. */
interface FaceCheck {
  /** Output: max |Δ| and max |Δ| / max |PyTorch value|. */
  outMaxAbs: number;
  outRel: number;
  /** Input gradient: max |Δ|, max |Δ| / max |PyTorch value|, per-image relative L2 error (median, worst), images beyond FACE_GRAD_TOLERANCE. */
  gradMaxAbs: number;
  gradRel: number;
  gradMedianL2: number;
  gradWorstL2: number;
  imagesBeyond: number;
  ok: boolean;
}

/**
 * Same network on both sides, checked: each face plugin's `embed` (the project backend) and the
 * PyTorch network with the same weights on the same batch (exportFaces), outputs and the input
 * gradient of Σ embed(x)² (what the timings run), compared. A mismatch beyond FACE_TOLERANCE
 * fails the bench (exit code 1) after printing the tables.
 */
async function faceCheck(py: string, dir: string, mods: Record<FaceName, FaceModule>): Promise<Record<string, FaceCheck> | string> {
  const cl = await importOptional<typeof import('@gan-control/contrastive-loss')>('@gan-control/contrastive-loss');
  if (!cl) return 'skipped: @gan-control/contrastive-loss missing';
  try {
    await setupBackend('wasm');
    execFileSync(py, [join(here, 'torch_bench.py'), '--threads', '1', '--faces', dir, '--check-faces'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, OMP_NUM_THREADS: '1' },
    });
    const read = (f: string) => {
      const b = readFileSync(join(dir, f));
      return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
    };
    /** max |Δ|, max |Δ| / max |PyTorch value|, and the relative L2 error of each of the 16 images. */
    const cmp = (ours: Float32Array, theirs: Float32Array) => {
      if (ours.length !== theirs.length) return { maxAbs: Infinity, rel: Infinity, perImage: [Infinity] };
      let d = 0;
      let m = 0;
      const per = ours.length / 16;
      const perImage: number[] = [];
      for (let b = 0; b < 16; b++) {
        let dd = 0;
        let rr = 0;
        for (let i = b * per; i < (b + 1) * per; i++) {
          const e = ours[i]! - theirs[i]!;
          d = Math.max(d, Math.abs(e));
          m = Math.max(m, Math.abs(theirs[i]!));
          dd += e * e;
          rr += theirs[i]! ** 2;
        }
        perImage.push(Math.sqrt(dd / Math.max(rr, 1e-60)));
      }
      return { maxAbs: d, rel: d / Math.max(m, 1e-30), perImage };
    };
    const out: Record<string, FaceCheck> = {};
    const images = faceImages();
    for (const name of Object.keys(FACE_PLUGINS) as FaceName[]) {
      const attr = await cl.createAttribute(mods[name].default as never);
      try {
        const y = tf.tidy(() => attr.embed(images) as tf.Tensor);
        const probe = faceProbe(name, FACE_OUTPUT_SHAPES[name]);
        const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(attr.embed(x as tf.Tensor4D) as tf.Tensor, probe)))(images);
        probe.dispose();
        const o = cmp(y.dataSync() as Float32Array, read(`${name}.out.bin`));
        const gr = cmp(g.dataSync() as Float32Array, read(`${name}.grad.bin`));
        tf.dispose([y, g]);
        const gradMedianL2 = median(gr.perImage);
        const flipped = gr.perImage.filter((e) => e > FACE_GRAD_TOLERANCE).length;
        out[name] = {
          outMaxAbs: o.maxAbs,
          outRel: o.rel,
          gradMaxAbs: gr.maxAbs,
          gradRel: gr.rel,
          gradMedianL2,
          gradWorstL2: Math.max(...gr.perImage),
          imagesBeyond: flipped,
          ok: o.rel <= FACE_TOLERANCE && gradMedianL2 <= FACE_GRAD_TOLERANCE,
        };
      } finally {
        attr.dispose();
      }
    }
    images.dispose();
    return out;
  } catch (err) {
    return `failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
  }
}

/** The preset's step with R1 every 16th step, from a step without and one with R1. */
function lazyR1(a: Timing, b: Timing): Timing {
  const mix = (x: number, y: number) => x + (y - x) / 16;
  return {
    median: mix(a.median, b.median),
    min: mix(a.min, b.min),
    reps: a.reps,
    ...(a.cpu !== undefined && b.cpu !== undefined ? { cpu: mix(a.cpu, b.cpu) } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
/**
 * Same work on both sides, checked: the project's G and D (the preset, random init) are written
 * with their official stylegan2-ada names and layouts (`stateDict()`), with a z batch and a real
 * batch; PyTorch loads them into its networks and returns G(z), D's logits and the adversarial
 * losses, compared here. (The contrastive term differs by design: PyTorch's is a stand-in.)
 */
async function sameWorkCheck(py: string, res: number): Promise<Record<string, number> | string> {
  const trainer = await importOptional<TrainerMod>('@gan-control/trainer');
  const shapes = await importOptional<ShapesMod>('@gan-control/domain-shapes');
  if (!trainer || !shapes) return 'skipped: @gan-control/trainer or @gan-control/domain-shapes missing';
  await setupBackend('wasm');
  const t = await trainer.GanControlTrainer.create(trainer.preset('shapes-32', { resolution: res }), {
    plugins: [shapes.color, shapes.position, shapes.size],
    datasets: shapes.shapesDatasets,
  });
  const dir = mkdtempSync(join(tmpdir(), 'gan-control-bench-'));
  try {
    const z = tf.randomNormal([16, t.layout.dim], 0, 1, 'float32', 7) as tf.Tensor2D;
    const reals = t.dataset.next(16);
    const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const [k, v] of Object.entries(t.G.stateDict())) tensors[`G/${k}`] = v;
    for (const [k, v] of Object.entries(t.D.stateDict())) tensors[`D/${k}`] = v;
    tensors['z'] = { shape: z.shape, data: z.dataSync() as Float32Array };
    tensors['reals'] = { shape: reals.shape, data: reals.dataSync() as Float32Array };
    const meta: Record<string, unknown> = {
      __resolution__: res,
      __groups__: t.G.groups!.map((g) => g.name),
      __sizes__: t.G.groups!.map((g) => g.size),
    };
    let offset = 0;
    const parts: Buffer[] = [];
    for (const [k, v] of Object.entries(tensors)) {
      meta[k] = { shape: v.shape, offset };
      parts.push(Buffer.from(v.data.buffer, v.data.byteOffset, v.data.byteLength));
      offset += v.data.byteLength;
    }
    writeFileSync(join(dir, 'weights.json'), JSON.stringify(meta));
    writeFileSync(join(dir, 'weights.bin'), Buffer.concat(parts));
    execFileSync(py, [join(here, 'torch_bench.py'), '--threads', '1', '--check', dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, OMP_NUM_THREADS: '1' },
    });
    const theirs = JSON.parse(readFileSync(join(dir, 'check.json'), 'utf8')) as {
      gAdv: number;
      d: number;
      fakeLogits: number[];
      realLogits: number[];
      w: number[];
    };
    const theirImg = new Float32Array(readFileSync(join(dir, 'img.bin')).buffer.slice(0));
    const ours = tf.tidy(() => {
      const img = t.G.synthesis(t.G.mapping(z), { noiseMode: 'none' });
      const fake = t.D.logits(img);
      const real = t.D.logits(reals);
      return {
        w: t.G.mapW(z).dataSync() as Float32Array,
        img: img.dataSync() as Float32Array,
        fake: fake.dataSync() as Float32Array,
        real: real.dataSync() as Float32Array,
        gAdv: generatorLoss(fake),
        d: tf.add(tf.mean(tf.softplus(fake)), tf.mean(tf.softplus(tf.neg(real)))).dataSync()[0]!,
      };
    });
    const rel = (a: ArrayLike<number>, b: ArrayLike<number>) => {
      let d = 0;
      let m = 1e-12;
      for (let i = 0; i < b.length; i++) {
        d = Math.max(d, Math.abs(a[i]! - b[i]!));
        m = Math.max(m, Math.abs(b[i]!));
      }
      return a.length === b.length ? d / m : Infinity;
    };
    tf.dispose([z, reals]);
    return {
      mappingRelErr: rel(ours.w, theirs.w),
      realLogitsRelErr: rel(ours.real, theirs.realLogits),
      imageRelErr: rel(ours.img, theirImg),
      logitsRelErr: rel(ours.fake, theirs.fakeLogits),
      gAdv: ours.gAdv,
      gAdvTorch: theirs.gAdv,
      d: ours.d,
      dTorch: theirs.d,
    };
  } catch (err) {
    return `failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
  } finally {
    t.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

function generatorLoss(fakeLogits: tf.Tensor): number {
  return tf.tidy(() => tf.mean(tf.softplus(tf.neg(fakeLogits))).dataSync()[0]!);
}

// ---------------------------------------------------------------------------------------------
/** One profiled training step: ms per phase (wall clock) and per kernel (engine timing). */
interface StepProfile {
  resolution: number;
  steps: number;
  /** Median step wall time without the profiler (ms). */
  stepMs: number;
  /** Phase → mean ms per step (no profiler running). */
  phases: Record<string, number>;
  /** Kernel → mean ms and calls per step (tf.profile; its bookkeeping inflates the total a little). */
  kernels: Record<string, { ms: number; calls: number; bytes: number }>;
  /** Mean ms per step with tf.profile on, and the part of it no kernel accounts for. */
  profiledStepMs: number;
  unattributedMs: number;
}

/**
 * Where a training step's time goes, on the project backend: phases from the trainer's own marks
 * (`step({ phases })`), kernels from `tf.profile`. The preset's step with R1 on every step
 * (`dRegInterval: 1`), so the R1 phase is visible; the lazy preset runs it every 16th step.
 */
async function profileSection(args: Args): Promise<StepProfile[]> {
  const trainer = await importOptional<TrainerMod>('@gan-control/trainer');
  const shapes = await importOptional<ShapesMod>('@gan-control/domain-shapes');
  if (!trainer || !shapes) return [];
  await setupBackend('wasm');
  const out: StepProfile[] = [];
  for (const res of args.resolutions) {
    console.error(`profile ${res}px …`);
    const t = await trainer.GanControlTrainer.create(trainer.preset('shapes-32', { resolution: res, dRegInterval: 1 }), {
      plugins: [shapes.color, shapes.position, shapes.size],
      datasets: shapes.shapesDatasets,
    });
    try {
      await t.step();
      const phases: Record<string, number> = {};
      const walls: number[] = [];
      for (let i = 0; i < args.steps; i++) {
        const s = performance.now();
        await t.step({ phases });
        walls.push(performance.now() - s);
      }
      walls.sort((a, b) => a - b);
      const kernels: StepProfile['kernels'] = {};
      let profiled = 0;
      for (let i = 0; i < args.steps; i++) {
        const s = performance.now();
        const info = await tf.profile(async () => {
          await t.step();
          return [];
        });
        profiled += performance.now() - s;
        for (const k of info.kernels) {
          const e = (kernels[k.name] ??= { ms: 0, calls: 0, bytes: 0 });
          e.ms += k.kernelTimeMs as number;
          e.calls += 1;
          e.bytes += Math.max(0, k.bytesAdded);
        }
      }
      const per = (v: number) => v / args.steps;
      for (const e of Object.values(kernels)) {
        e.ms = per(e.ms);
        e.calls = per(e.calls);
        e.bytes = per(e.bytes);
      }
      const kernelSum = Object.values(kernels).reduce((a, e) => a + e.ms, 0);
      out.push({
        resolution: res,
        steps: args.steps,
        stepMs: walls[Math.floor(walls.length / 2)]!,
        phases: Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, per(v)])),
        kernels,
        profiledStepMs: per(profiled),
        unattributedMs: per(profiled) - kernelSum,
      });
    } finally {
      t.dispose();
    }
  }
  return out;
}

/** Profile tables: phases side by side with PyTorch's, then the kernels that take the time. */
function profileTables(profiles: StepProfile[], torchPhases: Record<string, Record<string, number>> | undefined): string {
  const lines: string[] = [];
  const f = (v: number | undefined) => (v === undefined ? '' : v < 10 ? v.toFixed(2) : v.toFixed(0));
  for (const p of profiles) {
    const tp = torchPhases?.[String(p.resolution)];
    const total = Object.values(p.phases).reduce((a, b) => a + b, 0);
    lines.push(
      '',
      `### (d) profile of one ${p.resolution} px training step with R1 (project: wasm + native), mean of ${p.steps} steps: phases`,
      '',
    );
    lines.push(`step median ${f(p.stepMs)} ms${tp ? `, PyTorch ${f(tp['step'])} ms (its phases below, same boundaries)` : ''}`, '');
    lines.push(`| phase | ms | share |${tp ? ' PyTorch ms | ratio |' : ''}`, `|---|---|---|${tp ? '---|---|' : ''}`);
    for (const [k, v] of Object.entries(p.phases)) {
      const tv = tp?.[k];
      lines.push(
        `| ${k} | ${f(v)} | ${((100 * v) / total).toFixed(0)}% |${tp ? ` ${f(tv)} | ${tv ? `${(v / tv).toFixed(2)}×` : ''} |` : ''}`,
      );
    }
    const rows = Object.entries(p.kernels).sort((a, b) => b[1].ms - a[1].ms);
    const ksum = rows.reduce((a, [, e]) => a + e.ms, 0);
    lines.push(
      '',
      `### (e) the same step by kernel (tf.profile; ${f(p.profiledStepMs)} ms per step profiled, ${f(p.unattributedMs)} ms of it outside kernels: engine, tape, JS)`,
      '',
    );
    lines.push('| kernel | ms | share of kernel time | calls | MB allocated |', '|---|---|---|---|---|');
    let rest = 0;
    let restCalls = 0;
    for (const [i, [k, e]] of rows.entries()) {
      if (i >= 25) {
        rest += e.ms;
        restCalls += e.calls;
        continue;
      }
      lines.push(
        `| ${k} | ${f(e.ms)} | ${((100 * e.ms) / ksum).toFixed(1)}% | ${e.calls.toFixed(0)} | ${(e.bytes / 2 ** 20).toFixed(1)} |`,
      );
    }
    if (rest > 0)
      lines.push(`| (${rows.length - 25} other kernels) | ${f(rest)} | ${((100 * rest) / ksum).toFixed(1)}% | ${restCalls.toFixed(0)} | |`);
    lines.push(`| **all kernels** | ${f(ksum)} | | ${rows.reduce((a, [, e]) => a + e.calls, 0).toFixed(0)} | |`);
  }
  return lines.join('\n');
}

/** (f): the face plugins' forward+backward by kernel, the kernels above 2 % of any plugin's time. */
function pluginKernelTable(k: Record<string, Record<string, { ms: number; calls: number }>>, label: string): string {
  const names = Object.keys(k);
  const totals = names.map((n) => Object.values(k[n]!).reduce((a, e) => a + e.ms, 0));
  const kernels = [...new Set(names.flatMap((n) => Object.keys(k[n]!)))]
    .filter((kn) => names.some((n, i) => (k[n]![kn]?.ms ?? 0) > 0.02 * totals[i]!))
    .sort((a, b) => names.reduce((s, n) => s + (k[n]![b]?.ms ?? 0), 0) - names.reduce((s, n) => s + (k[n]![a]?.ms ?? 0), 0));
  const f = (v: number) => (v < 10 ? v.toFixed(1) : v.toFixed(0));
  const lines = [
    '',
    `### (f) face plugins' forward+backward at batch 16 by kernel (${label}; tf.profile, one call; ms / calls)`,
    '',
    `| kernel | ${names.join(' | ')} |`,
    `|---|${names.map(() => '---').join('|')}|`,
  ];
  for (const kn of kernels)
    lines.push(`| ${kn} | ${names.map((n) => (k[n]![kn] ? `${f(k[n]![kn]!.ms)} / ${k[n]![kn]!.calls}` : '')).join(' | ')} |`);
  lines.push(`| **all kernels** | ${totals.map((t) => f(t)).join(' | ')} |`);
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
const f1 = (v: number) => (v < 10 ? v.toFixed(2) : v.toFixed(0));
const fmt = (v: Timing | string | undefined) =>
  v === undefined ? '' : typeof v === 'string' ? v : `${v.median < 10 ? v.median.toFixed(2) : v.median.toFixed(0)}`;

function table(title: string, rows: Row[]): string {
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r.results)))];
  const hasTorch = rows.some((r) => r.torch);
  const per = [...new Set(rows.flatMap((r) => Object.keys(r.torchPer ?? {})))].sort((a, b) => Number(b) - Number(a));
  const head = [
    'ms (median)',
    ...cols,
    ...(hasTorch
      ? [
          'PyTorch (best threads)',
          ...cols.filter((c) => c.startsWith('project')).map((c) => `${c} / PyTorch`),
          ...per.map((t) => `PyTorch ${t} thread${t === '1' ? '' : 's'}`),
          ...(per.includes('1') ? cols.filter((c) => c.startsWith('project')).map((c) => `CPU ms: ${c} / PyTorch 1 thread`) : []),
        ]
      : []),
  ];
  const lines = [`### ${title}`, '', `| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) {
    const cells = [r.name, ...cols.map((c) => fmt(r.results[c]))];
    if (hasTorch) {
      cells.push(r.torch ? fmt(r.torch) : '');
      for (const c of cols.filter((k) => k.startsWith('project'))) {
        const v = r.results[c];
        cells.push(r.torch && typeof v === 'object' ? `${(v.median / r.torch.median).toFixed(2)}×` : '');
      }
      for (const t of per) cells.push(fmt(r.torchPer?.[t]));
      // Work, not latency: the project's process CPU ms against PyTorch's on one thread.
      const one = r.torchPer?.['1'];
      for (const c of cols.filter((k) => k.startsWith('project'))) {
        const v = r.results[c];
        cells.push(one?.cpu && typeof v === 'object' && v.cpu ? `${f1(v.cpu)} / ${f1(one.cpu)} = ${(v.cpu / one.cpu).toFixed(2)}×` : '');
      }
    }
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<void> {
  const args = parseArgs(argv);
  const started = new Date().toISOString();
  const machine = { cpu: cpus()[0]?.model, cores: availableParallelism(), loadAverage: loadavg(), node: process.version };
  console.error(`bench: ${machine.cores} cores (${machine.cpu}), load average ${machine.loadAverage.map((l) => l.toFixed(1)).join(' ')}`);
  if (machine.loadAverage[0]! > machine.cores * 1.5)
    console.error('bench: WARNING: the machine is busy; timings (and PyTorch, whose OpenMP threads spin) will be noisy.');
  const py = findPython(args);
  const sections: Record<string, Row[]> = {};
  let info: BackendInfo | null = null;
  if (args.only.has('conv')) sections['conv'] = await convSection(args);
  info = await setupBackend('wasm');
  const variants: { label: string; prepare: () => Promise<unknown> }[] = [
    { label: `project: wasm + native ×${info.native.threads}`, prepare: () => setupBackend('wasm') },
  ];
  if (!info.native.enabled) variants[0]!.label = 'project: wasm, no addon';
  else if (!args.quick) variants.push({ label: 'project: wasm, no addon', prepare: async () => removeNativeKernels('wasm') });
  // Stock tfjs: wasm cannot train (Conv2DBackpropFilter is missing, reported as the failure);
  // cpu takes minutes per step, so it runs with --full only.
  if (!args.quick)
    variants.push({
      label: 'tfjs wasm (stock)',
      prepare: async () => {
        await setupBackend('wasm');
        restoreStockKernels('wasm');
      },
    });
  if (args.full)
    variants.push({
      label: 'tfjs cpu (stock)',
      prepare: async () => {
        await setupBackend('wasm');
        await tf.setBackend('cpu');
      },
    });
  if (args.only.has('gan')) {
    sections['gan'] = await ganSection(args, variants);
    await setupBackend('wasm');
  }
  if (args.only.has('plugins')) {
    sections['plugins'] = await pluginSection(args, variants);
    await setupBackend('wasm');
  }
  const profiles = args.only.has('profile') ? await profileSection(args) : [];
  // The face networks for PyTorch: their weights and one batch, exported once for every run.
  const facesDir = py && args.only.has('plugins') ? mkdtempSync(join(tmpdir(), 'gan-control-bench-faces-')) : undefined;
  const faceMods = facesDir ? await exportFaces(facesDir) : null;
  let torch: Record<string, unknown> | string = 'not run (--no-torch)';
  if (args.torch) {
    if (!py) torch = 'PyTorch not found (`python3 -c "import torch"` fails; on Debian: apt-get install -y python3-torch)';
    else {
      torch = runTorch(
        py,
        args,
        [...args.only].filter((s) => s === 'conv' || s === 'gan' || s === 'profile' || (s === 'plugins' && faceMods)),
        faceMods ? facesDir : undefined,
      );
    }
  }
  if (typeof torch === 'object') {
    const conv = torch['conv'] as Record<string, Timing> | undefined;
    const perThreads = (torch['perThreads'] ?? {}) as Record<
      string,
      { conv?: Record<string, Timing>; gan?: Record<string, Record<string, Timing>> }
    >;
    for (const r of sections['conv'] ?? []) {
      if (conv?.[r.name]) r.torch = conv[r.name];
      r.torchPer = Object.fromEntries(Object.entries(perThreads).flatMap(([t, v]) => (v.conv?.[r.name] ? [[t, v.conv[r.name]!]] : [])));
    }
    const ganRow = (gan: Record<string, Record<string, Timing>> | undefined, name: string): Timing | undefined => {
      const m = /^(\d+)px (\w+)$/.exec(name);
      if (m) return gan?.[m[1]!]?.[m[2]!];
      const lazy = /^(\d+)px step \(preset/.exec(name);
      const g = lazy ? gan?.[lazy[1]!] : undefined;
      if (g?.['stepNoR1'] && g['stepR1']) return lazyR1(g['stepNoR1'], g['stepR1']);
      return undefined;
    };
    // Face plugin rows ('age forward (batch 16, 128px)', 'age forward+backward') ← plugins.age.forward / .forwardBackward
    const faceRow = (p: Record<string, Record<string, Timing>> | undefined, name: string): Timing | undefined => {
      const m = /^(age|face-id|pose) forward(\+backward)?/.exec(name);
      return m ? p?.[m[1]!]?.[m[2] ? 'forwardBackward' : 'forward'] : undefined;
    };
    const torchPlugins = torch['plugins'] as Record<string, Record<string, Timing>> | undefined;
    const perThreadsPlugins = perThreads as Record<string, { plugins?: Record<string, Record<string, Timing>> }>;
    for (const r of sections['plugins'] ?? []) {
      r.torch = faceRow(torchPlugins, r.name);
      r.torchPer = Object.fromEntries(
        Object.entries(perThreadsPlugins).flatMap(([t, v]) => {
          const x = faceRow(v.plugins, r.name);
          return x ? [[t, x]] : [];
        }),
      );
    }
    const gan = torch['gan'] as Record<string, Record<string, Timing>> | undefined;
    for (const r of sections['gan'] ?? []) {
      r.torch = ganRow(gan, r.name);
      r.torchPer = Object.fromEntries(
        Object.entries(perThreads).flatMap(([t, v]) => {
          const x = ganRow(v.gan, r.name);
          return x ? [[t, x]] : [];
        }),
      );
    }
  }
  const titles: Record<string, string> = {
    conv: '(a) [16,32,32,64] ⊛ 3×3×64×64, same padding',
    gan: '(b) StyleGAN2 generator forward (batch 16 / 1) and GAN-Control training step (batch 16, shapes preset)',
    plugins: '(c) attribute plugins, batch 16',
  };
  const out = [`bench ${started} — ${machine.cores} cores, ${machine.cpu}, node ${machine.node}, backend: ${info.reason}`];
  const checks: Record<string, Record<string, number> | string> = {};
  if (py && (args.only.has('gan') || args.only.has('profile'))) {
    for (const res of args.resolutions) checks[res] = await sameWorkCheck(py, res);
  }
  let faces: Record<string, FaceCheck> | string | undefined;
  if (py && facesDir) {
    faces = faceMods ? await faceCheck(py, facesDir, faceMods) : 'skipped: a face plugin package is missing';
    rmSync(facesDir, { recursive: true, force: true });
  }
  if (typeof torch === 'object') {
    out.push(
      `PyTorch ${String(torch['torch'])} (${String(torch['blas'] ?? 'BLAS unknown')}); each PyTorch figure is the faster of ${String(torch['threads'])} threads (both below and in the JSON)`,
    );
  } else out.push(torch);
  for (const [k, rows] of Object.entries(sections)) {
    out.push('', table(titles[k] ?? k, rows));
    const tp =
      typeof torch === 'object'
        ? (torch['plugins'] as Record<string, Record<string, Timing & { layout?: string }>> | undefined)
        : undefined;
    if (k === 'plugins' && tp) {
      // PyTorch's face networks: each figure the faster of the thread counts and of NCHW / channels-last memory.
      const how = (t: (Timing & { layout?: string }) | undefined) => (t ? `${t.note ?? ''}, ${t.layout ?? ''}` : 'n/a');
      out.push(
        '',
        `PyTorch face networks (the same networks and weights, NCHW or channels-last memory, whichever is faster): ${Object.entries(tp)
          .map(([n, v]) => `${n} forward ${how(v['forward'])}, forward+backward ${how(v['forwardBackward'])}`)
          .join('; ')}`,
      );
    }
  }
  for (const [res, c] of Object.entries(checks)) {
    out.push(
      '',
      typeof c === 'string'
        ? `Same-work check at ${res} px: ${c}`
        : `Same-work check at ${res} px (the project's G and D loaded into the PyTorch networks, one batch), max |Δ| / max |value|: mapping ${c['mappingRelErr']!.toExponential(1)}, images ${c['imageRelErr']!.toExponential(1)}, D logits on the reals ${c['realLogitsRelErr']!.toExponential(1)}, on the images ${c['logitsRelErr']!.toExponential(1)}; G adversarial loss ${c['gAdv']!.toFixed(6)} vs ${c['gAdvTorch']!.toFixed(6)}, D loss ${c['d']!.toFixed(6)} vs ${c['dTorch']!.toFixed(6)}`,
    );
  }
  let mismatch = false;
  if (faces !== undefined) {
    if (typeof faces === 'string') out.push('', `Same-network check, face plugins: ${faces}`);
    else {
      out.push(
        '',
        `Same-network check, face plugins (face-api's weights in the PyTorch networks, one [16, 128, 128, 3] batch; embed and the input gradient of Σ embed ⊙ probe: max |Δ| (max |Δ| / max |PyTorch value|); tolerances: output ${FACE_TOLERANCE}, gradient median ${FACE_GRAD_TOLERANCE}):`,
      );
      for (const [name, c] of Object.entries(faces)) {
        out.push(
          `- ${name}: output ${c.outMaxAbs.toExponential(1)} (${c.outRel.toExponential(1)}), input gradient ${c.gradMaxAbs.toExponential(1)} (${c.gradRel.toExponential(1)}), relative L2 per image median ${c.gradMedianL2.toExponential(1)}, worst ${c.gradWorstL2.toExponential(1)} (${c.imagesBeyond} of 16 beyond ${FACE_GRAD_TOLERANCE})${c.ok ? '' : " — MISMATCH: the PyTorch network is not the plugin's; its timings compare different work"}`,
        );
        if (!c.ok) mismatch = true;
      }
    }
  }
  if (profiles.length)
    out.push(
      profileTables(
        profiles,
        typeof torch === 'object' ? (torch['profile'] as Record<string, Record<string, number>> | undefined) : undefined,
      ),
    );
  if (Object.keys(pluginKernels).length) out.push(pluginKernelTable(pluginKernels, variants[0]!.label));
  console.log(out.join('\n'));
  const json = {
    started,
    machine,
    backend: info,
    torch,
    sections,
    profiles,
    pluginKernels,
    checks: { ...checks, ...(faces !== undefined ? { faces } : {}) },
  };
  if (args.json) writeFileSync(args.json, JSON.stringify(json, null, 2));
  if (mismatch) {
    console.error('bench: FAILED: a face plugin and its PyTorch network disagree beyond the tolerance (see "Same-network check" above).');
    process.exitCode = 1;
  }
}
