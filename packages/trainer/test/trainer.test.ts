import { mkdtemp, readFile, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { expectNoLeaks, trackTensors } from '@gan-control/test-utils';
import { buildContrastiveBatch, createRng } from '@gan-control/latent';
import { FactorizedContrastiveLoss } from '@gan-control/contrastive-loss';
import { readSafetensors, writeSafetensors } from '@gan-control/tensor-io';
import { writeFileAtomic } from '@gan-control/tensor-io/node';
import { shapesDatasets, shapesPlugins } from '@gan-control/domain-shapes';
import {
  GanControlTrainer,
  checkpointName,
  folderDataset,
  loadLatestCheckpoint,
  loadTrainedModel,
  parseTrainConfig,
  preset,
  saveCheckpoint,
  train,
  type FileWriter,
} from '../src/index.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'gc-trainer-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function values(vars: Record<string, tf.Tensor>): Promise<Record<string, Float32Array>> {
  const out: Record<string, Float32Array> = {};
  for (const [k, v] of Object.entries(vars)) out[k] = (await v.data()) as Float32Array;
  return out;
}

async function checkpointTensors(dir: string): Promise<Record<string, Float32Array>> {
  const c = await loadLatestCheckpoint(join(dir, 'checkpoints'));
  if (!c) throw new Error('no checkpoint');
  const out = await values(c.tensors);
  tf.dispose(Object.values(c.tensors));
  return out;
}

describe('datasets come from the caller', () => {
  it('a procedural dataset the caller did not give is a TRAINER_DATASET error naming what to pass', async () => {
    await expectNoLeaks(async () => {
      await expect(GanControlTrainer.create(preset('tiny-8'), { plugins: shapesPlugins })).rejects.toMatchObject({
        code: 'TRAINER_DATASET',
        message: expect.stringMatching(/no procedural dataset "shapes".*shapesDatasets/),
      });
      await expect(
        GanControlTrainer.create(preset('tiny-8'), { plugins: shapesPlugins, datasets: { waves: shapesDatasets.shapes } }),
      ).rejects.toThrow(/Given: waves/);
    });
  });
});

describe('training step (tiny config)', () => {
  it('gives finite losses, changes G and D, and leaks no tensors', async () => {
    const t = await GanControlTrainer.create(preset('tiny-8'), { plugins: shapesPlugins, datasets: shapesDatasets });
    const g0 = await values(t.G.variables());
    const d0 = await values(t.D.variables());
    const m1 = await t.step(); // step 0 runs every phase (G main, PL, D main, R1)
    for (const v of [m1.gAdv, m1.gContrastive, m1.d, m1.dReal, m1.dFake, m1.r1, m1.pl]) expect(Number.isFinite(v)).toBe(true);
    expect(Object.keys(m1.perAttribute).sort()).toEqual(['color', 'position', 'size']);
    await expectNoLeaks(async () => {
      await t.step();
      await t.step();
    });
    const g1 = await values(t.G.variables());
    const d1 = await values(t.D.variables());
    const changed = (a: Record<string, Float32Array>, b: Record<string, Float32Array>) =>
      Object.keys(a).filter((k) => a[k].some((v, i) => v !== b[k][i])).length;
    expect(changed(g0, g1)).toBeGreaterThan(Object.keys(g0).length / 2);
    expect(changed(d0, d1)).toBeGreaterThan(Object.keys(d0).length / 2);
    expect(t.images).toBe(24);
    t.dispose();
  });

  it('maps each latent batch once: the running mean w follows the forward passes, as in the NVIDIA mapping network', async () => {
    const t = await GanControlTrainer.create(preset('tiny-8'), { plugins: shapesPlugins, datasets: shapesDatasets });
    const mapped: Float32Array[] = [];
    const averaged: Float32Array[] = [];
    const mapW = t.G.mapW.bind(t.G);
    const updateWAvg = t.G.updateWAvg.bind(t.G);
    const spyMap = vi.spyOn(t.G, 'mapW').mockImplementation((z) => {
      const w = mapW(z);
      mapped.push(w.dataSync() as Float32Array);
      return w;
    });
    const spyAvg = vi.spyOn(t.G, 'updateWAvg').mockImplementation((ws) => {
      const w = tf.tidy(() => (ws.rank === 3 ? tf.squeeze(tf.slice(ws, [0, 0, 0], [ws.shape[0], 1, ws.shape[2]!]), [1]) : ws));
      averaged.push(w.dataSync() as Float32Array);
      if (w !== ws) w.dispose();
      const prev = t.G.wAvg.dataSync().slice();
      updateWAvg(ws);
      // w_avg ← mean(w) + β (w_avg − mean(w))
      const n = ws.shape[0];
      const dim = prev.length;
      const beta = t.G.config.mapping.wAvgBeta;
      const next = t.G.wAvg.dataSync();
      const flat = averaged[averaged.length - 1];
      for (let j = 0; j < dim; j += Math.max(1, Math.floor(dim / 7))) {
        let mean = 0;
        for (let i = 0; i < n; i++) mean += flat[i * dim + j] / n;
        expect(next[j]).toBeCloseTo(mean + beta * (prev[j] - mean), 5);
      }
    });
    await t.step(); // step 0: G main, path length, D main (each maps its own latents once)
    expect(spyMap).toHaveBeenCalledTimes(3);
    expect(spyAvg).toHaveBeenCalledTimes(3);
    // Each mean update averaged exactly the w a forward pass produced (not a second mapping after the update).
    for (let i = 0; i < 3; i++) expect(Array.from(averaged[i])).toEqual(Array.from(mapped[i]));
    spyMap.mockRestore();
    spyAvg.mockRestore();
    t.dispose();
  });

  it('sends the contrastive term into the generator gradients (each controlled group mapping)', async () => {
    const t = await GanControlTrainer.create(preset('tiny-8'), { plugins: shapesPlugins, datasets: shapesDatasets });
    const loss = new FactorizedContrastiveLoss({ layout: t.layout, attributes: [...t.attributes] });
    const batch = buildContrastiveBatch(t.layout, { batchSize: 8, rng: createRng(3) });
    const vars = t.G.variables();
    const trainable = Object.entries(vars).filter(([, v]) => v.trainable);
    const { value, grads } = tf.variableGrads(
      () => loss.compute(t.G.synthesis(t.G.mapping(batch.z)), batch.masks).total,
      trainable.map(([, v]) => v),
    );
    expect(value.dataSync()[0]).toBeGreaterThan(0);
    const norm = (name: string) => {
      const g = grads[vars[name].name];
      return g ? tf.tidy(() => tf.sum(tf.square(g)).dataSync()[0]) : 0;
    };
    for (const group of ['color', 'position', 'size']) {
      const names = trainable.map(([n]) => n).filter((n) => n.startsWith(`mapping.groups.${group}.`) || n.includes(`.${group}.`));
      expect(names.length, group).toBeGreaterThan(0);
      expect(Math.max(...names.map(norm)), group).toBeGreaterThan(0);
    }
    tf.dispose([value, ...Object.values(grads), batch.z, ...Object.values(batch.masks)]);
    // And the weight matters: one step with λ = 0 gives another G than with λ = 1.
    const t0 = await GanControlTrainer.create(preset('tiny-8', { contrastive: { weight: 0 } }), {
      plugins: shapesPlugins,
      datasets: shapesDatasets,
    });
    await t.step();
    await t0.step();
    const a = await values(t.G.variables());
    const b = await values(t0.G.variables());
    expect(Object.keys(a).some((k) => a[k].some((v, i) => v !== b[k][i]))).toBe(true);
    t.dispose();
    t0.dispose();
  });
});

/** One uninterrupted tiny run, shared by the resume and crash tests. */
let reference: Promise<string> | null = null;
function referenceRun(): Promise<string> {
  reference ??= (async () => {
    const dir = await tempDir();
    const r = await train(preset('tiny-8'), { outDir: dir, plugins: shapesPlugins, datasets: shapesDatasets });
    expect(r.finished).toBe(true);
    expect(r.images).toBe(32);
    return dir;
  })();
  return reference;
}

describe('checkpoints and resume', () => {
  it('round-trips tensors and state', async () => {
    const dir = await tempDir();
    const a = tf.tensor([1.5, -2, 3.25], [3]);
    const b = tf.tensor([[7]], [1, 1]);
    await saveCheckpoint(dir, checkpointName(10), { a, b }, { step: 3, rng: { s: [1, 2, 3, 4] } });
    const c = await loadLatestCheckpoint(dir);
    expect(c!.name).toBe('ckpt-000000010');
    expect(c!.state).toEqual({ step: 3, rng: { s: [1, 2, 3, 4] } });
    expect(Array.from(c!.tensors.a.dataSync())).toEqual([1.5, -2, 3.25]);
    expect(c!.tensors.b.shape).toEqual([1, 1]);
    tf.dispose([a, b, ...Object.values(c!.tensors)]);
  });

  it('resumes bit-for-bit: k steps + checkpoint + resume equals an uninterrupted run', async () => {
    const config = preset('tiny-8');
    const full = await referenceRun();

    const split = await tempDir();
    const p = await train(config, { outDir: split, plugins: shapesPlugins, datasets: shapesDatasets, stopAtImages: 16 });
    expect(p.finished).toBe(false);
    expect(p.images).toBe(16);
    const r2 = await train(config, { outDir: split, plugins: shapesPlugins, datasets: shapesDatasets, resume: true });
    expect(r2.images).toBe(32);

    const a = await checkpointTensors(full);
    const b = await checkpointTensors(split);
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    for (const k of Object.keys(a)) expect(b[k], k).toEqual(a[k]);
    // Same metrics lines (apart from timing fields).
    const strip = (t: string) =>
      t
        .trim()
        .split('\n')
        .map((l) => {
          const o = JSON.parse(l);
          delete o.seconds;
          delete o.imagesPerSecond;
          return o;
        });
    expect(strip(await readFile(join(split, 'metrics.jsonl'), 'utf8'))).toEqual(strip(await readFile(join(full, 'metrics.jsonl'), 'utf8')));
    // The exported model loads and matches the checkpoint's G_ema.
    const model = await loadTrainedModel(join(split, 'model'));
    const ema = model.generator.variables();
    for (const [k, v] of Object.entries(ema)) expect(v.dataSync(), k).toEqual(a[`G_ema/${k}`]);
    expect(model.layout.controlled).toEqual(['color', 'position', 'size']);
    model.dispose();
    // A finished run can be extended (totalKimg may change on resume; the dynamics may not).
    const longer = await train(preset('tiny-8', { totalKimg: 0.04 }), {
      outDir: split,
      plugins: shapesPlugins,
      datasets: shapesDatasets,
      resume: true,
    });
    expect(longer.images).toBe(40);
    // A checkpoint written before an option existed (here: its config has no generator.clampOutput)
    // resumes as the same config: the option takes its default, the behaviour it was trained with.
    const latest = JSON.parse(await readFile(join(split, 'checkpoints', 'latest.json'), 'utf8')) as { checkpoint: string };
    const ckptFile = join(split, 'checkpoints', `${latest.checkpoint}.json`);
    const ckpt = JSON.parse(await readFile(ckptFile, 'utf8'));
    expect(ckpt.state.config.generator.clampOutput).toBe(false);
    delete ckpt.state.config.generator.clampOutput;
    await writeFile(ckptFile, JSON.stringify(ckpt));
    const older = await train(preset('tiny-8', { totalKimg: 0.048 }), {
      outDir: split,
      plugins: shapesPlugins,
      datasets: shapesDatasets,
      resume: true,
    });
    expect(older.images).toBe(48);
    await expect(
      train(preset('tiny-8', { totalKimg: 0.056, generator: { clampOutput: true } }), {
        outDir: split,
        plugins: shapesPlugins,
        datasets: shapesDatasets,
        resume: true,
      }),
    ).rejects.toThrow(/different config/);
    await expect(
      train(preset('tiny-8', { r1Gamma: 1 }), { outDir: split, plugins: shapesPlugins, datasets: shapesDatasets, resume: true }),
    ).rejects.toThrow(/different config/);
    // Sample grids exist for each checkpoint.
    expect((await readdir(join(split, 'samples'))).sort()).toEqual([
      'ckpt-000000016.png',
      'ckpt-000000032.png',
      'ckpt-000000040.png',
      'ckpt-000000048.png',
      'latest.png',
    ]);
  });

  it('a crash between the temp write and the rename never corrupts: the previous checkpoint resumes', async () => {
    const config = preset('tiny-8');
    const dir = await tempDir();
    let crashed = false;
    // Simulates the process dying inside writeFileAtomic for the second checkpoint: the temp file
    // is (partly) written, the rename never happens.
    const crashingWrite: FileWriter = async (path, data) => {
      if (!crashed && path.endsWith('ckpt-000000032.safetensors')) {
        crashed = true;
        const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
        await writeFile(join(path, '..', `.ckpt-000000032.safetensors.${process.pid}.tmp`), bytes.subarray(0, bytes.length >> 1));
        throw new Error('simulated crash before rename');
      }
      return writeFileAtomic(path, data);
    };
    await expect(train(config, { outDir: dir, plugins: shapesPlugins, datasets: shapesDatasets, write: crashingWrite })).rejects.toThrow(
      /simulated crash/,
    );
    const survivor = await loadLatestCheckpoint(join(dir, 'checkpoints'));
    expect(survivor!.name).toBe('ckpt-000000016');
    tf.dispose(Object.values(survivor!.tensors));
    // What a `kill -9` inside writeFileAtomic leaves: a temp file of a process that no longer runs
    // (removed on resume), beside one of a running process (this one: kept).
    const stale = `.ckpt-000000032.safetensors.2147483646.0123456789ab.tmp`;
    const live = `.samples.png.${process.pid}.ba9876543210.tmp`;
    await writeFile(join(dir, 'checkpoints', stale), 'partial');
    await writeFile(join(dir, 'samples', live), 'partial');
    const r = await train(config, { outDir: dir, plugins: shapesPlugins, datasets: shapesDatasets, resume: true });
    expect(r.images).toBe(32);
    expect(await readdir(join(dir, 'checkpoints'))).not.toContain(stale);
    expect(await readdir(join(dir, 'samples'))).toContain(live);
    const a = await checkpointTensors(await referenceRun());
    const b = await checkpointTensors(dir);
    for (const k of Object.keys(a)) expect(b[k], k).toEqual(a[k]);
  });

  it('skips a checkpoint whose tensors do not match its hash', async () => {
    const dir = await tempDir();
    const t = tf.tensor([1, 2, 3]);
    await saveCheckpoint(dir, checkpointName(1), { t }, { n: 1 });
    await saveCheckpoint(dir, checkpointName(2), { t }, { n: 2 });
    await writeFile(join(dir, 'ckpt-000000002.safetensors'), new Uint8Array([1, 2, 3]));
    const c = await loadLatestCheckpoint(dir);
    expect(c!.state).toEqual({ n: 1 });
    tf.dispose([t, ...Object.values(c!.tensors)]);
  });
});

describe('datasets and config', () => {
  it('reads an image folder recursively (PNG + JPEG), crops to the resolution, resumes its stream', async () => {
    const sharp = (await import('sharp')).default;
    const dir = await tempDir();
    await mkdir(join(dir, 'sub'), { recursive: true });
    const solid = (w: number, h: number, rgb: [number, number, number]) =>
      sharp({ create: { width: w, height: h, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } });
    await solid(20, 12, [255, 0, 0]).png().toFile(join(dir, 'a.png'));
    await solid(16, 16, [0, 255, 0])
      .jpeg({ quality: 100 })
      .toFile(join(dir, 'sub', 'b.jpg'));
    await solid(9, 30, [0, 0, 255])
      .png()
      .toFile(join(dir, 'sub', 'c.png'));
    await writeFile(join(dir, 'notes.txt'), 'ignored');
    const ds = await folderDataset({ path: dir, xflip: true }, 8, 5);
    expect(ds.description).toMatch(/3 images/);
    const epoch = ds.next(3);
    expect(epoch.shape).toEqual([3, 8, 8, 3]);
    const px = epoch.dataSync();
    const colours = new Set<string>();
    for (let i = 0; i < 3; i++)
      colours.add(
        Array.from(px.slice(i * 192, i * 192 + 3))
          .map((v) => Math.round(v))
          .join(','),
      );
    expect(colours).toEqual(new Set(['1,-1,-1', '-1,1,-1', '-1,-1,1'])); // one epoch shows every image once, in [-1, 1]
    epoch.dispose();
    ds.next(2).dispose();
    const saved = ds.state();
    const expectedT = ds.next(4);
    const expected = expectedT.dataSync();
    expectedT.dispose();
    ds.restore(saved);
    const again = ds.next(4);
    expect(again.dataSync()).toEqual(expected);
    again.dispose();
    await expect(folderDataset({ path: join(dir, 'missing'), xflip: false }, 8, 0)).rejects.toThrow(/dataset\.path/);
  });

  it('names invalid config fields by path', () => {
    expect(() => parseTrainConfig({ ...preset('tiny-8'), resolution: 12 })).toThrow(/resolution: must be a power of two/);
    expect(() => parseTrainConfig({ ...preset('tiny-8'), attributes: [{ name: 'hue' }] })).toThrow(/attributes\[0\]\.name/);
    expect(() => preset('nope')).toThrow(/Presets: shapes-32, shapes-32-baseline, tiny-8/);
  });
});

describe('the bundled shapes model', () => {
  const dir = join(import.meta.dirname, '..', '..', 'domain-shapes', 'model');
  it('loads with loadTrainedModel and generates 32 px shapes images', async () => {
    let present = true;
    try {
      await readFile(join(dir, 'model.json'));
    } catch {
      present = false;
    }
    expect(present, `${dir}/model.json is committed`).toBe(true);
    const model = await loadTrainedModel(dir);
    expect(model.layout.controlled).toEqual(['color', 'position', 'size']);
    expect(model.attributes.map((a) => a.name)).toEqual(['color', 'position', 'size']);
    const z = tf.randomNormal([2, model.layout.dim], 0, 1, 'float32', 1) as tf.Tensor2D;
    model.generator.generate(z, { noiseMode: 'const' }).dispose(); // first call fills the generator's filter caches
    expectNoLeaks(() => {
      const img = model.generator.generate(z, { noiseMode: 'const' });
      expect(img.shape).toEqual([2, 32, 32, 3]);
      const v = img.dataSync();
      expect(v.every((x) => Number.isFinite(x) && Math.abs(x) < 3)).toBe(true);
      img.dispose();
    });
    z.dispose();
    model.dispose();
  });

  it('refuses a copy whose weight file has a renamed tensor, naming it (never a random layer)', async () => {
    const copy = await mkdtemp(join(tmpdir(), 'gan-control-renamed-'));
    try {
      // The bundled model.json records the weights' checksum: a changed file is refused by name first.
      const manifest = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as Record<string, unknown>;
      await writeFile(join(copy, 'model.json'), JSON.stringify(manifest));
      const file = readSafetensors(new Uint8Array(await readFile(join(dir, 'generator.safetensors'))));
      const names = Object.keys(file.tensors);
      const renamed = names.find((n) => n.endsWith('.weight'))!; // a parameter (buffers such as resample_filter are optional)
      const tensors = Object.fromEntries(names.map((n) => [n === renamed ? `${n}_renamed` : n, file.tensors[n]]));
      await writeFile(join(copy, 'generator.safetensors'), writeSafetensors(tensors as never));
      const leaks = trackTensors();
      await expect(loadTrainedModel(copy)).rejects.toMatchObject({
        code: 'MODEL_FOLDER_CHECKSUM',
        details: { file: join(copy, 'generator.safetensors') },
      });
      // Without checksums (as a folder written before them), the tensor names are what is checked.
      delete manifest.files;
      await writeFile(join(copy, 'model.json'), JSON.stringify(manifest));
      await expect(loadTrainedModel(copy)).rejects.toThrow(
        new RegExp(`missing \\(1\\): ${renamed.replace(/[.[\]]/g, '\\$&')}[\\s\\S]*${renamed.replace(/[.[\]]/g, '\\$&')}_renamed`),
      );
      leaks.expectAlive(0, 'refused loads');
      // A name from a file is a name: a tensor called `__proto__` is reported as unused, not lost.
      const proto = Object.create(null) as Record<string, unknown>;
      for (const n of names) proto[n === renamed ? '__proto__' : n] = file.tensors[n];
      await writeFile(join(copy, 'generator.safetensors'), writeSafetensors(proto as never));
      await expect(loadTrainedModel(copy)).rejects.toThrow(/not used \(1\): __proto__/);
      leaks.expectAlive(0, 'the refused __proto__ load');
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  });
});
