/**
 * One frame: settings → `Controller.generate` → RGBA pixels and the values each attribute's own
 * plugin measures on the picture.
 *
 * Per-group seeds: the partitioned mapping maps each group's slice of z on its own, so a latent
 * whose groups come from different seeds is z assembled slice by slice (each slice as
 * `sampleLatents(zDim, 1, createRng(seed))` draws it), mapped once, and handed to the controller
 * as a latent code (`generate({ latent })`). With one seed for every group this is exactly the
 * latent of `generate({ seed })` (and of `gan-control generate --seed`). The mapped w is cached
 * per seed set, so a slider move costs the encoders and the synthesis only.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GenerateOptions } from '@gan-control/encoders';
import { createRng, sampleLatents } from '@gan-control/latent';
import type { StudioModel } from './model.js';
import { seedOf, type Settings } from './settings.js';

/** A rendered picture: RGBA bytes, and per attribute the measured values (when it has a plugin). */
export interface Frame {
  readonly width: number;
  readonly height: number;
  readonly rgba: Uint8ClampedArray;
  readonly measured: Record<string, number[]>;
}

/** Row 0 of z `[1, zDim]` for one seed (cached: sampling is cheap, but not free at 512 dims). */
function zRow(model: StudioModel, seed: number, cache: Map<number, Float32Array>): Float32Array {
  let row = cache.get(seed);
  if (!row) {
    const z = sampleLatents(model.zDim, 1, createRng(seed));
    row = z.dataSync() as Float32Array;
    z.dispose();
    cache.set(seed, row);
    if (cache.size > 256) cache.delete(cache.keys().next().value!);
  }
  return row;
}

/** Renders frames of one model; holds the per-seed caches. */
export class Renderer {
  private readonly zCache = new Map<number, Float32Array>();
  private readonly wCache = new Map<string, number[]>();
  /**
   * A projected picture being edited (`projectImage`'s per-group w): row 0 starts from it instead
   * of the seeds, except the groups reseeded since (`resampled`), whose slices come from their
   * seeds as in a sampled latent.
   */
  projected: { readonly ws: readonly number[]; readonly resampled: Set<string> } | undefined;

  constructor(readonly model: StudioModel) {}

  /** The w `[wDim]` of the latent whose groups come from `seeds` (group → seed). */
  latentW(seeds: (group: string) => number): number[] {
    const { model } = this;
    const key = model.groups.map((g) => seeds(g.name)).join(',');
    let w = this.wCache.get(key);
    if (!w) {
      const z = new Float32Array(model.zDim);
      for (const g of model.groups) z.set(zRow(model, seeds(g.name), this.zCache).subarray(g.offset, g.offset + g.size), g.offset);
      const t = tf.tidy(() => model.generator.mapW(tf.tensor2d(z, [1, model.zDim])));
      w = Array.from(t.dataSync());
      t.dispose();
      this.wCache.set(key, w);
      if (this.wCache.size > 64) this.wCache.delete(this.wCache.keys().next().value!);
    }
    return w;
  }

  /** The projected w with the reseeded groups' slices drawn from their seeds. */
  private projectedW(seeds: (group: string) => number): number[] {
    const { ws, resampled } = this.projected!;
    const w = [...ws];
    if (resampled.size === 0) return w;
    const sampled = this.latentW(seeds);
    for (const g of this.model.groups) if (resampled.has(g.name)) for (let i = g.offset; i < g.offset + g.size; i++) w[i] = sampled[i];
    return w;
  }

  /** The controller options of `settings`, for `count` pictures whose seeds are `seedsOf(row)`. */
  options(settings: Settings, seedsOf: (row: number) => (group: string) => number, count: number): GenerateOptions {
    // `set` by rows (`number[][]`, one row per picture), so that one- and many-value attributes read alike.
    const set: Record<string, number[][]> = {};
    for (const a of this.model.attributes)
      if (!settings.sampled.has(a.name)) set[a.name] = Array.from({ length: count }, () => settings.values[a.name]);
    const latent = Array.from({ length: count }, (_, r) => ({
      mode: 'groups' as const,
      ws: [r === 0 && this.projected ? this.projectedW(seedsOf(0)) : this.latentW(seedsOf(r))],
    }));
    return {
      set,
      latent: count === 1 ? latent[0] : latent,
      count,
      truncation: settings.truncation < 1 ? settings.truncation : undefined,
    };
  }

  /**
   * Renders `count` pictures (row 0 with the settings' seeds, row r with `seedsOf(r)`), reads
   * them back and measures row 0.
   */
  async render(settings: Settings, count = 1, seedsOf?: (row: number) => (group: string) => number): Promise<Frame[]> {
    const { model } = this;
    const rows = seedsOf ?? (() => (g: string) => seedOf(settings, g));
    const { images, ws } = model.controller.generate(this.options(settings, rows, count));
    ws.dispose();
    const measures: { name: string; t: tf.Tensor2D }[] = [];
    let packed: tf.Tensor1D | undefined;
    try {
      const first = tf.tidy(() => tf.slice(images, [0, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D);
      try {
        for (const a of model.attributes)
          if (a.runtime?.measure) measures.push({ name: a.name, t: tf.tidy(() => a.runtime!.measure!(first)) });
      } finally {
        first.dispose();
      }
      // NHWC [-1, 1] → bytes: (x + 1) · 127.5, rounded, as the CLI's PNG writer does; the pixels
      // and every measured value travel in one tensor, so a GPU backend syncs and reads back once.
      packed = tf.tidy(() =>
        tf.concat([
          tf.reshape(tf.clipByValue(tf.round(tf.mul(tf.add(images, 1), 127.5)), 0, 255), [-1]),
          ...measures.map((m) => tf.reshape(m.t, [-1])),
        ]),
      ) as tf.Tensor1D;
      const all = await packed.data();
      const [n, h, w, c] = images.shape;
      const measured: Record<string, number[]> = {};
      let at = n * h * w * c;
      for (const m of measures) {
        measured[m.name] = Array.from(all.subarray(at, at + m.t.size));
        at += m.t.size;
      }
      const frames: Frame[] = [];
      for (let r = 0; r < n; r++) {
        const rgba = new Uint8ClampedArray(h * w * 4);
        for (let i = 0, o = r * h * w * c; i < h * w; i++, o += c) {
          rgba[i * 4] = all[o];
          rgba[i * 4 + 1] = all[o + (c > 1 ? 1 : 0)];
          rgba[i * 4 + 2] = all[o + (c > 2 ? 2 : 0)];
          rgba[i * 4 + 3] = 255;
        }
        frames.push({ width: w, height: h, rgba, measured: r === 0 ? measured : {} });
      }
      return frames;
    } finally {
      images.dispose();
      packed?.dispose();
      for (const m of measures) m.t.dispose();
    }
  }

  /** Measures the seed's own picture (nothing set): the values a fresh page starts from. */
  async measureSampled(settings: Settings): Promise<Record<string, number[]>> {
    const all: Settings = { ...settings, sampled: new Set(this.model.attributes.map((a) => a.name)) };
    const [frame] = await this.render(all);
    return frame.measured;
  }
}
