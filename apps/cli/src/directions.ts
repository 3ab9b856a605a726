/**
 * Post-hoc control of any model folder through `@gan-control/directions`: sampling w from the
 * generator (the seed's z through the mapping, the whole w for a GAN-Control model), measuring
 * it with the model's attribute plugins, and `<model>/directions.json`.
 *
 * The seed → w stream is the Controller's (`sampleLatents(zDim, n, createRng(seed))` through the
 * mapping), so `generate --seed 3 --shift …` edits the picture `generate --seed 3` shows.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import type { Attribute } from '@gan-control/contrastive-loss';
import type { Direction, DirectionSet, ValueSpecInput } from '@gan-control/directions';
import { CliError } from './errors.js';
import { BUNDLED_MODELS, insideFolder, type InferenceGenerator } from './model.js';

/** The file `gan-control directions` writes into a model folder. */
export const DIRECTIONS_FILE = 'directions.json';

/**
 * Reads and validates `<dir>/directions.json`: missing → `CLI_NO_DIRECTIONS` (run
 * `gan-control directions`), invalid → `CLI_DIRECTIONS_CORRUPT` naming the bad field.
 *
 * @example
 * const set = readDirections(model.dir, model.label);
 */
export async function readDirections(dir: string, label: string): Promise<DirectionSet> {
  const file = insideFolder(dir, DIRECTIONS_FILE, 'directions file', join(dir, DIRECTIONS_FILE));
  if (!existsSync(file)) {
    const how =
      label in BUNDLED_MODELS
        ? `fit them on a copy: cp -r ${dir} my-model && gan-control directions --model my-model`
        : `fit them first: gan-control directions --model ${label}`;
    throw new CliError('CLI_NO_DIRECTIONS', `model ${label} has no fitted directions (${file} is missing); ${how}`);
  }
  const { parseDirections } = await import('@gan-control/directions');
  try {
    return parseDirections(readFileSync(file, 'utf8'), file);
  } catch (err) {
    if ((err as { code?: string }).code !== 'DIRECTIONS_BAD_FILE') throw err;
    throw new CliError(
      'CLI_DIRECTIONS_CORRUPT',
      `corrupt directions: ${(err as Error).message.replace(/\s*\n\s*/g, ' ')}; refit them: gan-control directions --model ${label}`,
      { cause: err },
    );
  }
}

/**
 * The directions of `set` for a `--shift`/`--set` name: `attribute.value`, or `attribute` when it
 * has one fitted value. Throws `CLI_UNKNOWN_ATTRIBUTE` listing the fitted names.
 *
 * @example
 * findDirection(set, 'color.hue', '--shift', 'shapes'); // the hue direction
 */
export function findDirection(set: Pick<DirectionSet, 'directions'>, name: string, flag: string, label: string): Direction {
  const exact = set.directions.find((d) => `${d.attribute}.${d.value}` === name);
  if (exact) return exact;
  const byAttribute = set.directions.filter((d) => d.attribute === name);
  if (byAttribute.length === 1) return byAttribute[0];
  const names = set.directions.map((d) => `${d.attribute}.${d.value} (${d.kind}${d.unit ? `, ${d.unit}` : ''})`).join(', ');
  if (byAttribute.length > 1) {
    throw new CliError(
      'CLI_BAD_VALUE',
      `${flag} ${name}=…: '${name}' has ${byAttribute.length} fitted values (${byAttribute.map((d) => d.value).join(', ')}); name one, e.g. ${flag} ${name}.${byAttribute[0].value}=…`,
    );
  }
  throw new CliError(
    'CLI_UNKNOWN_ATTRIBUTE',
    `unknown direction '${name}' in ${flag}: the directions.json of model ${label} has ${names || 'no directions'}`,
  );
}

/** The fit spec of each measured value of the plugins (`circular` where the value is an angle). */
export async function valueSpecs(
  runtimes: Record<string, Attribute>,
): Promise<{ key: string; index: number; spec: ValueSpecInput & { period?: number } }[]> {
  const { circularPeriod } = await import('@gan-control/encoders');
  return Object.entries(runtimes).flatMap(([key, a]) =>
    (a.values ?? []).map((v, index) => {
      const period = circularPeriod(a.name, v);
      const spec: ValueSpecInput & { period?: number } = period
        ? { kind: 'circular', attribute: key, value: v.name, unit: v.unit, period }
        : { kind: 'linear', attribute: key, value: v.name, unit: v.unit };
      return { key, index, spec };
    }),
  );
}

/**
 * w `[count, wDim]` (row-major) of a seed: the Controller's stream, truncated toward `wAvg` by ψ.
 *
 * @example
 * const w = await sampleW(model.generator, 3, 4); // the w of `generate --seed 3 --count 4`
 */
export async function sampleW(G: InferenceGenerator, seed: number, count: number, truncation = 1): Promise<Float32Array> {
  const tfc = await import('@tensorflow/tfjs-core');
  const { createRng, sampleLatents } = await import('@gan-control/latent');
  const w = tfc.tidy(() => {
    const z = sampleLatents(G.zDim, count, createRng(seed)) as tf.Tensor2D;
    let w2 = G.mapW(z);
    if (truncation !== 1) {
      if (!G.wAvg)
        throw new CliError(
          'CLI_BAD_VALUE',
          "--truncation needs the generator's running mean of w (wAvg), which this model does not have; leave --truncation at 1",
        );
      const avg = tfc.reshape(G.wAvg, [1, G.wDim]);
      w2 = tfc.add(avg, tfc.mul(truncation, tfc.sub(w2, avg))) as tf.Tensor2D;
    }
    return w2;
  });
  try {
    return Float32Array.from(await w.data());
  } finally {
    w.dispose();
  }
}

/** Images NHWC `[n, H, W, C]` in [-1, 1] of n row-major w (the same w on every style input). */
export async function renderW(G: InferenceGenerator, w: Float32Array): Promise<tf.Tensor4D> {
  const tfc = await import('@tensorflow/tfjs-core');
  const n = w.length / G.wDim;
  return tfc.tidy(() => {
    const ws = tfc.tile(tfc.reshape(tfc.tensor2d(w, [n, G.wDim]), [n, 1, G.wDim]), [1, G.numWs, 1]) as tf.Tensor3D;
    return G.synthesis(ws, { noiseMode: 'const' });
  });
}

/** Measures every runtime on `images` (not owned): rows of values per attribute key. */
export async function measureAll(runtimes: Record<string, Attribute>, images: tf.Tensor4D): Promise<Record<string, Float32Array>> {
  const tfc = await import('@tensorflow/tfjs-core');
  const out: Record<string, Float32Array> = {};
  for (const [key, a] of Object.entries(runtimes)) {
    const t = tfc.tidy(() => a.measure!(images) as tf.Tensor);
    try {
      out[key] = Float32Array.from(await t.data());
    } finally {
      t.dispose();
    }
    const V = a.values?.length ?? 0;
    if (out[key].length !== images.shape[0] * V) {
      throw new CliError(
        'CLI_PLUGIN_INVALID',
        `attribute '${key}': its plugin's measure returned ${out[key].length} numbers for ${images.shape[0]} images × ${V} values`,
      );
    }
  }
  return out;
}

/**
 * Seed of the b-th sampling batch of a fit: disjoint from `evaluate`'s streams (seed·1000003 + r,
 * and + 10⁶ + b for its ranges), so a fit is never scored on its own samples.
 */
export const fitBatchSeed = (seed: number, b: number) => seed * 1_000_003 + 3_000_000 + b;

/**
 * Samples `count` w (batches of 64 from `fitBatchSeed`), renders and measures them: row-major w
 * `[rows, D]` and values `[rows, specs]` in `specs`' order. Rows with a value that could not be
 * measured (not finite) are left out (`dropped`).
 *
 * @example
 * const { w, y, rows } = await sampleAndMeasure(model.generator, runtimes, await valueSpecs(runtimes), 2048, 0);
 */
export async function sampleAndMeasure(
  G: InferenceGenerator,
  runtimes: Record<string, Attribute>,
  specs: readonly { key: string; index: number }[],
  count: number,
  seed: number,
  onProgress?: (done: number) => void,
): Promise<{ w: Float32Array; y: Float32Array; rows: number; dropped: number }> {
  const D = G.wDim;
  const K = specs.length;
  const w = new Float32Array(count * D);
  const y = new Float32Array(count * K);
  let rows = 0;
  for (let i = 0, b = 0; i < count; i += 64, b++) {
    const n = Math.min(64, count - i);
    const wb = await sampleW(G, fitBatchSeed(seed, b), n);
    const images = await renderW(G, wb);
    let measured: Record<string, Float32Array>;
    try {
      measured = await measureAll(runtimes, images);
    } finally {
      images.dispose();
    }
    for (let r = 0; r < n; r++) {
      const values = specs.map((s) => measured[s.key][r * (runtimes[s.key].values?.length ?? 0) + s.index]);
      // A failed measurement (NaN: nothing detected) cannot label a sample.
      if (!values.every(Number.isFinite)) continue;
      w.set(wb.subarray(r * D, (r + 1) * D), rows * D);
      y.set(values, rows * K);
      rows++;
    }
    onProgress?.(i + n);
    await new Promise((res) => setImmediate(res));
  }
  if (rows < 16)
    throw new CliError(
      'CLI_MEASURE_FAILED',
      `only ${rows} of ${count} samples could be measured (every value finite); the plugins cannot label this model's images`,
    );
  return { w: w.slice(0, rows * D), y: y.slice(0, rows * K), rows, dropped: count - rows };
}

/**
 * GANSpace as absolute control, for `evaluate --method ganspace`: each value is fitted (the same
 * ridge fits as InterFaceGAN) on the scores of the components named for it (`nameComponents`),
 * and the fit is written back as a w-space direction whose normal lies in their span:
 * y ≈ b + βᵀVₛ(w − μ) gives normal Vₛᵀβ/‖β‖ (Vₛ orthonormal, so slope ‖β‖) and intercept
 * b − βᵀVₛμ. Edits along it move w only along those components. Values without a named component
 * are left out (their attribute is not controlled).
 *
 * @example
 * const dirs = await ganspaceDirections(set, w, y, specs);
 */
export async function ganspaceDirections(
  set: DirectionSet,
  w: Float32Array,
  y: Float32Array,
  specs: readonly { spec: ValueSpecInput }[],
): Promise<Direction[]> {
  const lib = await import('@gan-control/directions');
  const p = set.components;
  if (!p?.names)
    throw new CliError(
      'CLI_NO_DIRECTIONS',
      'directions.json has no named GANSpace components; fit them: gan-control directions --method ganspace',
    );
  const D = set.dim;
  const W = lib.matrix(w, D);
  const N = W.rows;
  const scores = lib.projectComponents(W, p);
  const out: Direction[] = [];
  specs.forEach(({ spec }, j) => {
    const key = `${spec.attribute}.${spec.value}`;
    const picked = p.names!.filter((n) => n.label.slice(1) === key).map((n) => n.index);
    if (picked.length === 0) return;
    const sub = new Float64Array(N * picked.length);
    for (let r = 0; r < N; r++) picked.forEach((c, k) => (sub[r * picked.length + k] = scores.data[r * scores.cols + c]));
    const yj = Float64Array.from({ length: N }, (_, r) => y[r * specs.length + j]);
    const fit = lib.fitDirection(lib.matrix(sub, picked.length), yj, spec);
    const toW = (m: { normal: readonly number[]; slope: number; intercept: number }) => {
      const beta = m.normal.map((x) => x * m.slope);
      const v = Array.from({ length: D }, (_, a) => picked.reduce((s, c, k) => s + beta[k] * p.components[c][a], 0));
      const norm = Math.hypot(...v);
      const shiftMean = picked.reduce((s, c, k) => s + beta[k] * p.components[c].reduce((t, x, a) => t + x * p.mean[a], 0), 0);
      return { normal: v.map((x) => x / norm), slope: norm, intercept: m.intercept - shiftMean };
    };
    if (fit.kind === 'circular') out.push({ ...fit, cos: toW(fit.cos), sin: toW(fit.sin) });
    else out.push({ ...fit, model: toW(fit.model) } as Direction);
  });
  return out;
}

/**
 * Edits each row of `w` by the `--shift` (relative) and `--set` (absolute, `setTo`) requests in
 * order. With `keepOthers`, InterFaceGAN's conditional edit: every other fitted direction's value
 * is held; without it, only the values already edited by an earlier request are held (so
 * `--set position.x=… --set position.y=…` does not undo x when it moves y).
 */
export async function editW(
  w: Float32Array,
  set: DirectionSet,
  requests: readonly { direction: Direction; mode: 'shift' | 'set'; value: number }[],
  { keepOthers = false }: { keepOthers?: boolean } = {},
): Promise<Float32Array> {
  const lib = await import('@gan-control/directions');
  let out = w;
  const done: Direction[] = [];
  for (const r of requests) {
    const keep = (keepOthers ? set.directions : done).filter((d) => d !== r.direction);
    out = r.mode === 'shift' ? lib.shift(out, r.direction, r.value, { keep }) : lib.setTo(out, r.direction, r.value, { keep });
    done.push(r.direction);
  }
  return out;
}

/**
 * InterFaceGAN's absolute edits as a `ControlMethod` of `@gan-control/encoders`' evaluation: the
 * seed's first w, each attribute's values set along its fitted directions (`setTo`, one value
 * after the other, the earlier ones held), rendered. Attributes with a threshold direction have
 * no absolute mapping and are not controlled.
 *
 * @example
 * const report = await evaluateMethod(await interfaceganMethod(model.generator, set, runtimes), runtimes);
 */
export async function interfaceganMethod(
  G: InferenceGenerator,
  set: DirectionSet,
  runtimes: Record<string, Attribute>,
  { keepOthers = false } = {},
): Promise<import('@gan-control/encoders').ControlMethod> {
  const dirsOf = (key: string): Direction[] | undefined => {
    const a = runtimes[key];
    if (!a) return undefined;
    const ds = (a.values ?? []).map((v) => set.directions.find((d) => d.attribute === key && d.value === v.name));
    return ds.every((d): d is Direction => d !== undefined && d.kind !== 'threshold') ? ds : undefined;
  };
  // The protocol calls sample/setValues synchronously: the libraries are loaded first.
  const [tfc, lib, latent] = await Promise.all([
    import('@tensorflow/tfjs-core'),
    import('@gan-control/directions'),
    import('@gan-control/latent'),
  ]);
  const wOf = (seed: number, count: number): tf.Tensor2D =>
    tfc.tidy(() => {
      const z = latent.sampleLatents(G.zDim, count, latent.createRng(seed)) as tf.Tensor2D;
      return G.mapW(z);
    });
  const render = (w: tf.Tensor2D) =>
    tfc.tidy(() => G.synthesis(tfc.tile(tfc.reshape(w, [w.shape[0], 1, G.wDim]), [1, G.numWs, 1]) as tf.Tensor3D, { noiseMode: 'const' }));
  return {
    describe: () =>
      Object.keys(runtimes)
        .filter((k) => dirsOf(k))
        .map(
          (k) =>
            `${k}: ${dirsOf(k)!
              .map((d) => `${d.value} (${d.kind}, ${d.unit})`)
              .join(', ')}`,
        )
        .join('\n') || 'nothing (directions.json has no linear or circular direction for a measured attribute)',
    valueCount: (key) => dirsOf(key)?.length,
    sample({ seed, count, truncation }) {
      if (truncation !== undefined) throw new CliError('CLI_BAD_VALUE', 'evaluate --method interfacegan samples without truncation');
      const w = wOf(seed, count);
      try {
        return render(w);
      } finally {
        w.dispose();
      }
    },
    setValues({ seed, key, rows }) {
      const dirs = dirsOf(key)!;
      const w0t = wOf(seed, 1);
      const w0 = w0t.dataSync() as Float32Array;
      w0t.dispose();
      const D = G.wDim;
      const edited = new Float32Array(rows.length * D);
      const others = keepOthers ? set.directions.filter((d) => !dirs.includes(d)) : [];
      rows.forEach((row, i) => {
        let w: Float32Array = w0;
        dirs.forEach((d, c) => {
          w = lib.setTo(w, d, row[c], { keep: [...others, ...dirs.slice(0, c)] });
        });
        edited.set(w, i * D);
      });
      const wt = tfc.tensor2d(edited, [rows.length, D]);
      try {
        return render(wt);
      } finally {
        wt.dispose();
      }
    },
  };
}
