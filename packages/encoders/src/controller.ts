import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { createRng, sampleLatents } from '@gan-control/latent';
import type { Attribute } from '@gan-control/contrastive-loss';
import { loadGenerator, readModelFolder, type ModelFolder } from '@gan-control/stylegan2';
import { isNotFound, joinLocation, type FileLocation } from '@gan-control/tensor-io';
import { EncodersError, parseOptions } from './errors.js';
import type { EncoderInput } from './encoder.js';
import { loadEncoders } from './io.js';
import { latentCodeSchema } from './latent-code.js';
import type { LatentCode } from './latent-code.js';
import { circularDiff, resolveGroups } from './model.js';
import type { AttributeBinding, GeneratorLike, GroupSlice, LayoutLike } from './model.js';

/**
 * What the controller needs from an encoder: `AttributeEncoder` satisfies it, and so does any
 * imported encoder (e.g. from the official controller checkpoints) that maps y → w^k.
 */
export interface EncoderLike {
  readonly attribute: string;
  readonly group: string;
  readonly wSlice: { readonly offset: number; readonly size: number };
  readonly values: readonly EncoderInput[];
  encode(y: tf.Tensor2D): tf.Tensor2D;
  dispose(): void;
}

/** What `new Controller(...)` takes. */
export interface ControllerInit {
  readonly generator: GeneratorLike;
  /** Latent layout; default: the generator's partitioned mapping groups. */
  readonly layout?: LayoutLike;
  /** One encoder per controlled attribute. The controller owns them (`dispose` releases them). */
  readonly encoders: readonly EncoderLike[];
  /**
   * Attribute runtimes with `measure`, keyed by group (or an array bound by name): needed for
   * `reference.image` and to fill unset values from the sampled image (`fill: 'measured'`).
   * Not owned by the controller.
   */
  readonly attributes?: AttributeBinding;
  /** Synthesis noise (default 'const', so the same seed gives the same image). */
  readonly noiseMode?: 'const' | 'random' | 'none';
  /** Whether `dispose` also disposes the generator (true when the controller loaded it). */
  readonly ownsGenerator?: boolean;
}

/** Options of `Controller.load`. */
export interface ControllerLoadOptions {
  /** Folder of the encoders (default `<modelDir>/encoders`): a path (Node) or a URL. */
  readonly encodersDir?: FileLocation;
  readonly attributes?: AttributeBinding;
  readonly noiseMode?: 'const' | 'random' | 'none';
}

const perRow = z.union([z.number(), z.array(z.number())]);

/** Options of `Controller.generate` (zod). */
export const generateOptionsSchema = z.object({
  /**
   * Values to set, by attribute (or group) name: a number (one-value attribute), an object of
   * named values (`{ yaw: 30 }`, missing names are filled, see `fill`), a vector of all values
   * (`[30, 0, 0]`, or an embedding), or per-row forms: a number[] for a one-value attribute,
   * number[][] rows, or named number[] columns. Per-row lengths must equal `count`.
   */
  set: z.record(z.string(), z.union([perRow, z.array(z.array(z.number())), z.record(z.string(), perRow)])).default({}),
  /** Groups whose sampled sub-vector is shared by every row (row 0's): same identity, other poses. */
  keep: z.array(z.string()).default([]),
  /** Seed of the latents of the unset groups. */
  seed: z.number().int().nonnegative().default(0),
  /**
   * Start from these latents instead of the seed's samples: one latent code (a projected image,
   * `projectImage(...).latent`, used for every row) or `count` of them. Every other option applies
   * to it as to a sampled latent: `set` replaces a group's slice (on every style input, also of a
   * W+ latent), `keep` shares row 0's sub-vectors, `truncation` pulls it toward `wAvg`, `resample`
   * draws groups from the seed.
   */
  latent: z.union([latentCodeSchema, z.array(latentCodeSchema).min(1)]).optional(),
  /** With `latent`: groups whose sub-vector is drawn from `seed` instead of taken from the latent. */
  resample: z.array(z.string()).default([]),
  count: z.number().int().positive().default(1),
  /** ψ for all groups, or per group (missing groups: 1). Applies to sampled (or given `latent`) sub-vectors, not to set ones. */
  truncation: z.union([z.number().min(0).max(1), z.record(z.string(), z.number().min(0).max(1))]).optional(),
  /** An attribute set from a reference: measured values (`[V]` or `[count, V]`) or an image to measure. */
  reference: z
    .object({
      attribute: z.string(),
      values: z.union([z.array(z.number()), z.array(z.array(z.number()))]).optional(),
      image: z.custom<tf.Tensor4D>((v) => v instanceof tf.Tensor && v.rank === 4, 'must be an NHWC tf.Tensor4D').optional(),
    })
    .optional(),
  /**
   * How values missing from a partial set are filled: `'measured'` = measured on the image the
   * seed gives without edits (needs `attributes`), `'mean'` = the encoder's training mean
   * (circular values: the mid-range). Default: measured when the attribute runtime is available.
   */
  fill: z.enum(['measured', 'mean']).optional(),
  /** `'error'` (default) rejects values outside the range the encoder was trained on. */
  outOfRange: z.enum(['error', 'allow']).default('error'),
  /**
   * Closed-loop passes (not in GAN-Control; 0 = its open-loop edit): the picture is rendered, each
   * set attribute measured on it (needs `attributes`), every encoder input moved by its row's miss
   * (circular values wrapped) and the picture rendered again. For latents the encoders were not
   * trained around — a projected picture — where the other groups pull a value off its request.
   * `values` stays what was requested.
   */
  feedback: z.number().int().min(0).max(10).default(0),
});
export type GenerateOptions = z.input<typeof generateOptionsSchema>;

/** What `generate` returns; the caller disposes `images` and `ws` (`tf.dispose(result.images)`…). */
export interface GenerateResult {
  /** NHWC in [-1, 1], `[count, H, W, C]`. */
  readonly images: tf.Tensor4D;
  /** The w+ used, `[count, numWs, wDim]` (the same w on every layer, unless a W+ `latent` was given). */
  readonly ws: tf.Tensor3D;
  /** The y given to each encoder, by group: `count` rows of V values. */
  readonly values: Record<string, number[][]>;
}

/** Description of one controllable attribute (what `supported` lists and errors print). */
export interface ControlInfo {
  readonly name: string;
  readonly group: string;
  readonly values: readonly {
    readonly name: string;
    readonly unit: string;
    readonly range: readonly [number, number];
    readonly circular: boolean;
  }[];
}

/**
 * The GAN-Control controller: composes w from explicit attribute values (through the encoders
 * E_k) and sampled sub-vectors, and renders it. The encoder's w^k replaces the group's slice on
 * every style layer (official `Controller.insert_group_w_latent`, applied to the 2-D w before
 * broadcasting, which is equivalent and works for any batch size).
 *
 * @example
 * const controller = new Controller({ generator: G, encoders: await loadEncoders('run/encoders') });
 * const { images, ws } = controller.generate({ set: { color: 120, size: 0.4 }, seed: 3, count: 4 });
 * await writeFileAtomic('out.png', await tensorToPng(images));
 * tf.dispose([images, ws]);
 */
export class Controller {
  readonly generator: GeneratorLike;
  readonly groups: readonly GroupSlice[];
  readonly encoders: readonly EncoderLike[];
  private readonly byName = new Map<string, EncoderLike>();
  private readonly runtimes = new Map<string, Attribute>();
  private readonly noiseMode: 'const' | 'random' | 'none';
  private readonly ownsGenerator: boolean;

  /**
   * Loads a model folder and its encoders. The folder is read by the one model-folder reader
   * (`readModelFolder` of @gan-control/stylegan2): model.json validated, file names kept inside
   * the folder, checksums, finite weights and every tensor name checked, the latent layout in the
   * mapping's group order. Both generator kinds load (an imported official GAN-Control generator
   * as it is: both stacks are `StyleGenerator`s). The encoders come from `<modelDir>/<encoders ?? "encoders">`.
   * Without `model.json`, `generator.safetensors` must be a stylegan2 checkpoint (`saveNetwork`).
   * The controller owns (and disposes) the generator and encoders it loaded. `modelDir` is a folder
   * on disk (Node) or a URL (fetched, in a browser too; the encoders are then looked up by latent
   * group, `<encoders>/<group>.json`, since a URL folder cannot be listed).
   *
   * @example
   * const controller = await Controller.load('packages/domain-shapes/model', { attributes: { color, size, position } });
   * const remote = await Controller.load('https://example.org/models/shapes/');
   */
  static async load(modelDir: FileLocation, options: ControllerLoadOptions = {}): Promise<Controller> {
    let folder: ModelFolder | undefined;
    try {
      folder = await readModelFolder(modelDir);
    } catch (e) {
      if (!((e as { code?: unknown }).code === 'MODEL_FOLDER_NOT_FOUND' && isNotFound((e as Error).cause))) throw e;
    }
    let generator: GeneratorLike & { dispose(): void };
    let layout: LayoutLike | undefined;
    let encodersDir = options.encodersDir ?? joinLocation(modelDir, 'encoders');
    if (folder) {
      generator = folder.generator;
      if (folder.manifest.latent) layout = { groups: folder.groups };
      if (!options.encodersDir) encodersDir = joinLocation(modelDir, folder.manifest.encoders);
    } else {
      generator = await loadGenerator(joinLocation(modelDir, 'generator.safetensors'));
    }
    try {
      // Only a URL folder needs the group names (it cannot be listed); a layout error surfaces in the constructor as before.
      let groups: string[] | undefined;
      try {
        groups = resolveGroups(generator, layout).map((g) => g.name);
      } catch {
        groups = undefined;
      }
      const encoders = await loadEncoders(encodersDir, { groups });
      try {
        return new Controller({
          generator,
          layout,
          encoders,
          attributes: options.attributes,
          noiseMode: options.noiseMode,
          ownsGenerator: true,
        });
      } catch (e) {
        for (const enc of encoders) enc.dispose();
        throw e;
      }
    } catch (e) {
      generator.dispose();
      throw e;
    }
  }

  constructor(init: ControllerInit) {
    this.generator = init.generator;
    this.ownsGenerator = init.ownsGenerator ?? false;
    this.groups = resolveGroups(init.generator, init.layout);
    this.encoders = [...init.encoders];
    this.noiseMode = init.noiseMode ?? 'const';
    for (const enc of this.encoders) {
      const g = this.groups.find((x) => x.name === enc.group);
      if (!g) {
        throw new EncodersError(
          'ENCODERS_UNKNOWN_ATTRIBUTE',
          `encoder '${enc.attribute}' is for latent group '${enc.group}', which this generator does not have; its groups are: ${this.groups.map((x) => x.name).join(', ')}`,
        );
      }
      if (g.offset !== enc.wSlice.offset || g.size !== enc.wSlice.size) {
        throw new EncodersError(
          'ENCODERS_SHAPE_MISMATCH',
          `encoder '${enc.attribute}' predicts w[${enc.wSlice.offset}:${enc.wSlice.offset + enc.wSlice.size}) but group '${g.name}' is w[${g.offset}:${g.offset + g.size}); the encoder was trained for another generator`,
        );
      }
      if (this.byName.has(enc.group)) throw new EncodersError('ENCODERS_INVALID_OPTIONS', `two encoders for latent group '${enc.group}'`);
      this.byName.set(enc.group, enc);
    }
    // Attribute names are aliases of their group when they differ and are unambiguous.
    for (const enc of this.encoders) if (!this.byName.has(enc.attribute)) this.byName.set(enc.attribute, enc);
    if (init.attributes) {
      const entries: [string, Attribute][] = Array.isArray(init.attributes)
        ? (init.attributes as readonly Attribute[]).map((a) => [a.name, a])
        : Object.entries(init.attributes as Record<string, Attribute>);
      for (const [key, a] of entries) {
        const enc = this.byName.get(key);
        this.runtimes.set(enc ? enc.group : key, a);
      }
    }
  }

  /** The controllable attributes with their values, units and accepted ranges. */
  get supported(): ControlInfo[] {
    return this.encoders.map((e) => ({
      name: e.attribute,
      group: e.group,
      values: e.values.map((v) => ({ name: v.name, unit: v.unit, range: v.range, circular: v.kind === 'circular' })),
    }));
  }

  /** One line per attribute: `pose (group pose): yaw [-40, 40] deg, pitch …`. */
  describe(): string {
    return this.supported
      .map((a) => {
        const vals =
          a.values.length > 8
            ? `${a.values.length} values (${a.values[0].unit})`
            : a.values
                .map(
                  (v) =>
                    `${v.name} ${v.circular ? `(circular, period ${v.range[1] - v.range[0]})` : `[${fmt(v.range[0])}, ${fmt(v.range[1])}]`} ${v.unit}`,
                )
                .join(', ');
        return `${a.name}${a.group !== a.name ? ` (group ${a.group})` : ''}: ${vals}`;
      })
      .join('\n');
  }

  /** The encoder for an attribute or group name, or an error listing what the model supports. */
  encoder(name: string): EncoderLike {
    const enc = this.byName.get(name);
    if (!enc) {
      throw new EncodersError(
        'ENCODERS_UNKNOWN_ATTRIBUTE',
        `unknown attribute '${name}'; this model controls:\n${this.describe()}` +
          (this.groups.some((g) => g.name === name)
            ? `\n('${name}' is a latent group without an encoder: it can be kept or truncated, not set)`
            : ''),
      );
    }
    return enc;
  }

  /**
   * Samples `count` latents from `seed` (or starts from a given `latent`), sets the requested
   * attributes, and renders.
   *
   * @example
   * const r = controller.generate({ set: { pose: { yaw: 30 }, age: 60 }, keep: ['id'], seed: 7, count: 4, truncation: { id: 0.7 } });
   * // A projected picture (projectImage), its hue set to three values:
   * const e = controller.generate({ latent, set: { color: [0, 120, 240] }, count: 3 });
   */
  generate(options: GenerateOptions = {}): GenerateResult {
    const opts = parseOptions(generateOptionsSchema, options, 'Controller.generate');
    const n = opts.count;
    const G = this.generator;
    const plan = this.planValues(opts);
    const values: Record<string, number[][]> = {};
    if (opts.feedback > 0) {
      for (const group of plan.keys()) {
        if (typeof this.runtimes.get(group)?.measure !== 'function')
          throw new EncodersError(
            'ENCODERS_NO_MEASURE',
            `feedback: ${opts.feedback} measures '${this.byName.get(group)!.attribute}' on the picture, which needs its attribute runtime (with measure) in the controller's \`attributes\`; pass it, or use feedback: 0`,
          );
      }
    }
    // A latent's noise buffers are made inside each synthesis' tidy (small; nothing to release by hand).
    const synth = (ws: tf.Tensor3D) =>
      tf.tidy(() => {
        const noise = opts.latent ? this.latentNoise(opts.latent) : undefined;
        return G.synthesis(ws, noise ? { noiseMode: this.noiseMode, noise } : { noiseMode: this.noiseMode });
      });
    const w = tf.tidy(() => {
      let w2 = this.baseW(opts);
      w2 = this.applyKeep(w2, opts.keep, plan);
      if (plan.size === 0) return w2;
      const needMeasure = [...plan.values()].some((p) => p.needsMeasure);
      let measured: Map<string, Float32Array> | undefined;
      if (needMeasure) {
        measured = new Map();
        const images = synth(this.broadcast(w2));
        for (const [group, p] of plan) {
          if (!p.needsMeasure) continue;
          const y = this.measure(group, images);
          measured.set(group, y.dataSync() as Float32Array);
        }
      }
      const parts: Record<string, tf.Tensor2D> = {};
      const inputs: Record<string, number[][]> = {};
      for (const [group, p] of plan) {
        const enc = this.byName.get(group)!;
        const rows = p.resolve(n, measured?.get(group));
        this.checkRange(enc, rows, opts.outOfRange, p.given);
        values[group] = rows;
        inputs[group] = rows;
        parts[group] = enc.encode(tf.tensor2d(rows.flat(), [n, enc.values.length]));
      }
      // Closed loop: measure what was made, move each encoder's input by the miss, encode again.
      for (let pass = 0; pass < opts.feedback; pass++) {
        const images = synth(this.broadcast(this.replaceSlices(w2, parts)));
        for (const group of plan.keys()) {
          const enc = this.byName.get(group)!;
          const got = this.measure(group, images).arraySync();
          inputs[group] = inputs[group].map((row, i) =>
            row.map((x, j) => {
              const v = enc.values[j];
              if (v.kind !== 'circular') return x + values[group][i][j] - got[i][j];
              const next = x + circularDiff(values[group][i][j], got[i][j], v.period);
              return ((next % v.period) + v.period) % v.period;
            }),
          );
          parts[group] = enc.encode(tf.tensor2d(inputs[group].flat(), [n, enc.values.length]));
        }
      }
      return this.replaceSlices(w2, parts);
    });
    const ws = this.broadcast(w);
    if (ws !== w) w.dispose();
    try {
      const images = synth(ws);
      return { images, ws, values };
    } catch (e) {
      ws.dispose();
      throw e;
    }
  }

  /**
   * Releases the encoders, and the generator when the controller loaded it (`Controller.load`);
   * attribute runtimes stay with the caller.
   */
  dispose(): void {
    for (const e of this.encoders) e.dispose();
    if (this.ownsGenerator) (this.generator as { dispose?: () => void }).dispose?.();
  }

  /**
   * The latent a generation starts from, before `keep` and `set`: w `[n, wDim]` from the seed, or
   * the given `latent` (`[n, wDim]`, or `[n, numWs, wDim]` for W+) with the `resample` groups from
   * the seed; then truncated toward the generator's w average.
   */
  private baseW(opts: z.output<typeof generateOptionsSchema>): tf.Tensor2D | tf.Tensor3D {
    const G = this.generator;
    const n = opts.count;
    const sampled = () => mapToW(G, sampleLatents(G.zDim, n, createRng(opts.seed)));
    if (!opts.latent) {
      if (opts.resample.length)
        throw new EncodersError(
          'ENCODERS_INVALID_OPTIONS',
          `resample: ${opts.resample.join(', ')} given without a latent; without one every unset group is drawn from the seed already`,
        );
      return this.truncate(sampled(), opts.truncation);
    }
    let w = this.latentW(opts.latent, n);
    if (opts.resample.length) {
      const s = sampled();
      const parts: Record<string, tf.Tensor2D> = {};
      for (const name of opts.resample) {
        const g = this.groupOf(name, 'resample');
        parts[g.name] = groupSlice(s, g) as tf.Tensor2D;
      }
      w = this.replaceSlices(w, parts);
    }
    return this.truncate(w, opts.truncation);
  }

  /** A group by its name or by the name of its attribute, or an error listing the groups. */
  private groupOf(name: string, where: string): GroupSlice {
    const g = this.groups.find((x) => x.name === name) ?? this.groups.find((x) => x.name === this.byName.get(name)?.group);
    if (!g)
      throw new EncodersError(
        'ENCODERS_UNKNOWN_ATTRIBUTE',
        `${where}: unknown latent group '${name}'; the groups are: ${this.groups.map((x) => x.name).join(', ')}`,
      );
    return g;
  }

  /** Latent codes → `[n, wDim]` (all one w per picture) or `[n, numWs, wDim]` (some W+). */
  private latentW(latent: LatentCode | LatentCode[], n: number): tf.Tensor2D | tf.Tensor3D {
    const G = this.generator;
    const codes = Array.isArray(latent) ? latent : [latent];
    if (codes.length !== 1 && codes.length !== n) {
      throw new EncodersError(
        'ENCODERS_SHAPE_MISMATCH',
        `latent: ${codes.length} latents were given but count is ${n} (give 1, used for every row, or ${n})`,
      );
    }
    for (const [i, c] of codes.entries()) {
      const rows = c.ws.length;
      if ((rows !== 1 && rows !== G.numWs) || c.ws.some((r) => r.length !== G.wDim)) {
        throw new EncodersError(
          'ENCODERS_SHAPE_MISMATCH',
          `latent${codes.length > 1 ? `[${i}]` : ''}: ws is [${rows}, ${c.ws[0]?.length}], but this generator takes [1, ${G.wDim}] (one w) or [${G.numWs}, ${G.wDim}] (W+); was it made for another model?`,
        );
      }
    }
    const plus = codes.some((c) => c.ws.length > 1);
    const rowsOf = (c: LatentCode) => (c.ws.length === 1 && plus ? Array.from({ length: G.numWs }, () => c.ws[0]) : c.ws);
    const flat = codes.flatMap((c) => rowsOf(c).flat());
    const t = plus ? tf.tensor3d(flat, [codes.length, G.numWs, G.wDim]) : tf.tensor2d(flat, [codes.length, G.wDim]);
    if (codes.length === n) return t;
    return tf.tile(t, plus ? [n, 1, 1] : [n, 1]) as tf.Tensor2D | tf.Tensor3D;
  }

  /** The latents' noise buffers (batched over rows), or undefined when none has any. */
  private latentNoise(latent: LatentCode | LatentCode[]): tf.Tensor4D[] | undefined {
    const codes = Array.isArray(latent) ? latent : [latent];
    const withNoise = codes.filter((c) => c.noise);
    if (withNoise.length === 0) return undefined;
    if (withNoise.length !== codes.length)
      throw new EncodersError(
        'ENCODERS_INVALID_OPTIONS',
        'latent: some latents carry noise buffers and some do not; give them all or none',
      );
    const layers = codes[0].noise!.length;
    if (codes.some((c) => c.noise!.length !== layers))
      throw new EncodersError('ENCODERS_SHAPE_MISMATCH', 'latent: the latents carry different numbers of noise buffers');
    return Array.from({ length: layers }, (_, l) => {
      // One picture's buffers `[1, r, r, 1]` broadcast over the rows (the generator allows N or 1).
      const per = codes.map((c) => tf.tensor4d(c.noise![l].data, c.noise![l].shape));
      return (per.length === 1 ? per[0] : tf.concat(per, 0)) as tf.Tensor4D;
    });
  }

  /** Truncation toward the generator's w average, per group (`[n, wDim]` or `[n, numWs, wDim]`). */
  private truncate<T extends tf.Tensor2D | tf.Tensor3D>(w: T, truncation: number | Record<string, number> | undefined): T {
    const G = this.generator;
    if (truncation === undefined) return w;
    const psi = new Float32Array(G.wDim).fill(1);
    if (typeof truncation === 'number') psi.fill(truncation);
    else {
      for (const [name, p] of Object.entries(truncation)) {
        const g = this.groups.find((x) => x.name === name);
        if (!g)
          throw new EncodersError(
            'ENCODERS_UNKNOWN_ATTRIBUTE',
            `truncation: unknown latent group '${name}'; the groups are: ${this.groups.map((x) => x.name).join(', ')}`,
          );
        psi.fill(p, g.offset, g.offset + g.size);
      }
    }
    if (psi.every((p) => p === 1)) return w;
    if (!G.wAvg)
      throw new EncodersError(
        'ENCODERS_INVALID_OPTIONS',
        "truncation needs the generator's wAvg (the running mean of w), which this generator does not have",
      );
    // [1, wDim] broadcasts over rows, and over style inputs of a W+ latent.
    const avg = tf.reshape(G.wAvg, [1, G.wDim]);
    return tf.add(avg, tf.mul(tf.tensor2d(psi, [1, G.wDim]), tf.sub(w, avg))) as T;
  }

  private applyKeep<T extends tf.Tensor2D | tf.Tensor3D>(w: T, keep: readonly string[], plan: Map<string, ValuePlan>): T {
    if (keep.length === 0) return w;
    const n = w.shape[0];
    const parts: Record<string, tf.Tensor> = {};
    for (const name of keep) {
      const g = this.groupOf(name, 'keep');
      if (plan.has(g.name))
        throw new EncodersError(
          'ENCODERS_INVALID_OPTIONS',
          `'${name}' is both kept and set; keep shares the sampled sub-vector, set replaces it — choose one`,
        );
      const row0 = groupSlice(tf.slice(w, 0, 1), g);
      parts[g.name] = tf.tile(row0, w.rank === 3 ? [n, 1, 1] : [n, 1]);
    }
    return this.replaceSlices(w, parts);
  }

  /**
   * w with some groups' slices replaced. A part `[n, size]` replaces the slice on every style
   * input of a W+ latent `[n, numWs, wDim]` (official `insert_group_w_latent`).
   */
  private replaceSlices<T extends tf.Tensor2D | tf.Tensor3D>(w: T, parts: Record<string, tf.Tensor>): T {
    const cols = this.groups.map((g) => {
      const p = parts[g.name];
      if (!p) return groupSlice(w, g);
      return w.rank === 3 && p.rank === 2 ? broadcastW(p as tf.Tensor2D, w.shape[1]!) : p;
    });
    return tf.concat(cols, w.rank - 1) as T;
  }

  /** ws `[n, numWs, wDim]`: a W+ latent as it is, one w per row broadcast to every style input. */
  private broadcast(w: tf.Tensor2D | tf.Tensor3D): tf.Tensor3D {
    if (w.rank === 3) return w as tf.Tensor3D;
    return tf.tidy(() => broadcastW(w as tf.Tensor2D, this.generator.numWs));
  }

  private measure(group: string, images: tf.Tensor4D): tf.Tensor2D {
    const a = this.runtimes.get(group);
    const enc = this.byName.get(group)!;
    if (!a || typeof a.measure !== 'function') {
      throw new EncodersError(
        'ENCODERS_NO_MEASURE',
        `measuring '${enc.attribute}' needs its attribute runtime (with measure) in the controller's \`attributes\`; pass it, or use fill: 'mean' / give all values`,
      );
    }
    const y = a.measure(images);
    if (y.rank !== 2 || y.shape[1] !== enc.values.length) {
      throw new EncodersError(
        'ENCODERS_SHAPE_MISMATCH',
        `attribute '${a.name}': measure returned [${y.shape.join(', ')}], the encoder expects [B, ${enc.values.length}]`,
      );
    }
    return y;
  }

  /** Validates names and shapes of `set` and `reference` before any tensor work. */
  private planValues(opts: z.output<typeof generateOptionsSchema>): Map<string, ValuePlan> {
    const plan = new Map<string, ValuePlan>();
    const n = opts.count;
    for (const [name, spec] of Object.entries(opts.set)) {
      const enc = this.encoder(name);
      if (plan.has(enc.group))
        throw new EncodersError('ENCODERS_INVALID_OPTIONS', `set: '${name}' and another key both name group '${enc.group}'`);
      plan.set(enc.group, this.planOne(enc, spec, n, opts.fill, `set.${name}`));
    }
    if (opts.reference) {
      const { attribute, values, image } = opts.reference;
      const enc = this.encoder(attribute);
      if (plan.has(enc.group))
        throw new EncodersError('ENCODERS_INVALID_OPTIONS', `'${attribute}' is given both in set and as reference; give it once`);
      if ((values === undefined) === (image === undefined)) {
        throw new EncodersError(
          'ENCODERS_INVALID_OPTIONS',
          `reference for '${attribute}': give exactly one of values (its measured values) or image (an NHWC tensor to measure)`,
        );
      }
      if (values) {
        // A reference is one measured vector (broadcast to every row) or one row per image.
        const rows = typeof values[0] === 'number' ? [values as number[]] : (values as number[][]);
        plan.set(enc.group, this.planOne(enc, rows, n, opts.fill, 'reference.values'));
      } else {
        const y = tf.tidy(() => this.measure(enc.group, image!));
        const data = y.dataSync();
        y.dispose();
        const rows = y.shape[0];
        if (rows !== 1 && rows !== n) {
          throw new EncodersError(
            'ENCODERS_SHAPE_MISMATCH',
            `reference.image has ${rows} images; give 1 (used for every row) or count = ${n}`,
          );
        }
        const V = enc.values.length;
        const out = Array.from({ length: n }, (_, r) => Array.from(data.subarray((rows === 1 ? 0 : r) * V, (rows === 1 ? 0 : r) * V + V)));
        plan.set(enc.group, { needsMeasure: false, resolve: () => out });
      }
    }
    return plan;
  }

  private planOne(enc: EncoderLike, spec: unknown, n: number, fill: 'measured' | 'mean' | undefined, where: string): ValuePlan {
    const V = enc.values.length;
    const names = enc.values.map((v) => v.name);
    const shapeError = (msg: string) =>
      new EncodersError(
        'ENCODERS_SHAPE_MISMATCH',
        `${where}: ${msg}; '${enc.attribute}' has ${V} value(s): ${V > 8 ? `${V} numbers` : names.join(', ')}`,
      );
    const rowsOf = (v: number | number[], what: string): number[] => {
      if (typeof v === 'number') return Array(n).fill(v);
      if (v.length !== n) throw shapeError(`${what} has ${v.length} per-row values but count is ${n}`);
      return v;
    };
    if (typeof spec === 'number') {
      if (V !== 1) throw shapeError('a single number was given');
      return { needsMeasure: false, resolve: () => Array.from({ length: n }, () => [spec]) };
    }
    if (Array.isArray(spec)) {
      if (spec.length > 0 && Array.isArray(spec[0])) {
        const rows = spec as number[][];
        if (rows.length !== n && rows.length !== 1)
          throw shapeError(`${rows.length} rows were given but count is ${n} (give 1 row or ${n})`);
        for (const r of rows) if (r.length !== V) throw shapeError(`a row has ${r.length} values`);
        return { needsMeasure: false, resolve: () => Array.from({ length: n }, (_, i) => [...rows[rows.length === 1 ? 0 : i]]) };
      }
      const flat = spec as number[];
      if (V === 1) {
        const col = rowsOf(flat, 'the array');
        return { needsMeasure: false, resolve: () => col.map((x) => [x]) };
      }
      if (flat.length !== V) throw shapeError(`a vector of ${flat.length} numbers was given`);
      return { needsMeasure: false, resolve: () => Array.from({ length: n }, () => [...flat]) };
    }
    const named = spec as Record<string, number | number[]>;
    const unknown = Object.keys(named).filter((k) => !names.includes(k));
    if (unknown.length) {
      throw new EncodersError(
        'ENCODERS_UNKNOWN_VALUE',
        `${where}: unknown value name(s) ${unknown.map((u) => `'${u}'`).join(', ')} for '${enc.attribute}'; its values are: ${enc.values.map((v) => `${v.name} (${v.unit})`).join(', ')}`,
      );
    }
    const cols = enc.values.map((v) => (v.name in named ? rowsOf(named[v.name], `${where}.${v.name}`) : undefined));
    const missing = cols.some((c) => c === undefined);
    const mode = fill ?? (this.runtimes.has(enc.group) ? 'measured' : 'mean');
    if (missing && mode === 'measured' && !this.runtimes.has(enc.group)) {
      throw new EncodersError(
        'ENCODERS_NO_MEASURE',
        `${where}: ${enc.values
          .filter((_, i) => !cols[i])
          .map((v) => v.name)
          .join(
            ', ',
          )} not given and fill is 'measured', but the controller has no attribute runtime for '${enc.attribute}'; pass attributes or use fill: 'mean'`,
      );
    }
    return {
      needsMeasure: missing && mode === 'measured',
      given: cols.map((c) => c !== undefined),
      resolve: (rows, measured) =>
        Array.from({ length: rows }, (_, r) =>
          enc.values.map((v, c) => {
            const col = cols[c];
            if (col) return col[r];
            if (measured) return measured[r * V + c];
            return v.kind === 'linear' ? v.mean : (v.range[0] + v.range[1]) / 2;
          }),
        ),
    };
  }

  private checkRange(enc: EncoderLike, rows: number[][], mode: 'error' | 'allow', given?: readonly boolean[]): void {
    if (mode === 'allow') return;
    const outside: OutOfRangeValue[] = [];
    enc.values.forEach((v, c) => {
      if (v.kind === 'circular' || (given && !given[c])) return;
      const [lo, hi] = v.range;
      const slack = (hi - lo) * 1e-6;
      for (const row of rows) {
        const x = row[c];
        if (!Number.isFinite(x) || x < lo - slack || x > hi + slack) {
          outside.push({ name: v.name, value: x, unit: v.unit, range: [lo, hi] });
          break;
        }
      }
    });
    if (outside.length) {
      const described = outside.map((o) => `${o.name} = ${fmt(o.value)} ${o.unit} (supported [${fmt(o.range[0])}, ${fmt(o.range[1])}])`);
      throw new EncodersError(
        'ENCODERS_VALUE_OUT_OF_RANGE',
        `'${enc.attribute}': ${described.slice(0, 8).join('; ')}${described.length > 8 ? `; and ${described.length - 8} more` : ''}. ` +
          `The range is what the generator produced in the encoder's training set; pass outOfRange: 'allow' to extrapolate anyway`,
        { details: { attribute: enc.attribute, values: outside } satisfies OutOfRangeDetails },
      );
    }
  }
}

/** What `wrapEncoder` needs to know about a bare encoder (e.g. `loadGanControlEncoder`'s). */
/** z `[n, zDim]` → w `[n, wDim]` (the mapping's output, which is the same on every layer). */
export function mapToW(G: GeneratorLike, z: tf.Tensor2D): tf.Tensor2D {
  // The mapping once, not broadcast to every style input and sliced back.
  if (G.mapW) return G.mapW(z);
  return tf.tidy(() => {
    const n = z.shape[0];
    return tf.reshape(tf.slice(G.mapping(z), [0, 0, 0], [n, 1, G.wDim]), [n, G.wDim]) as tf.Tensor2D;
  });
}

/** A group's columns of w `[n, wDim]` or of ws `[n, numWs, wDim]` (the last axis). */
function groupSlice(w: tf.Tensor, g: GroupSlice): tf.Tensor {
  const begin = w.shape.map((_, i) => (i === w.rank - 1 ? g.offset : 0));
  const size = w.shape.map((d, i) => (i === w.rank - 1 ? g.size : d));
  return tf.slice(w, begin, size);
}

/** w `[n, wDim]` → ws `[n, numWs, wDim]` (the same w on every style layer). */
export function broadcastW(w: tf.Tensor2D, numWs: number): tf.Tensor3D {
  const [n, d] = w.shape;
  return tf.tile(tf.reshape(w, [n, 1, d]), [1, numWs, 1]) as tf.Tensor3D;
}

export interface WrapEncoderInfo {
  /** Attribute name used in `set` (and errors). */
  readonly attribute: string;
  /** Latent group whose slice the encoder predicts (default: the attribute name). */
  readonly group?: string;
  /** Offset and size of the slice in w. */
  readonly wSlice: { readonly offset: number; readonly size: number };
  /** The encoder's input columns, in order, with their accepted range (and a fill value, default mid-range). */
  readonly values: readonly {
    readonly name: string;
    readonly unit: string;
    readonly range: readonly [number, number];
    readonly mean?: number;
    readonly circular?: boolean;
  }[];
}

/**
 * Gives a bare encoder (`{ encode(y), dispose() }` taking raw values, such as the official
 * GAN-Control controllers from `loadGanControlEncoder`) the names, units and ranges the
 * controller needs.
 *
 * @example
 * const E = loadGanControlEncoder(await readFile('controller_orientation.pt'));
 * const pose = wrapEncoder(E, { attribute: 'orientation', wSlice: { offset: 16, size: 16 },
 *   values: ['yaw', 'pitch', 'roll'].map((name) => ({ name, unit: 'deg', range: [-10, 10] as const })) });
 * const controller = new Controller({ generator: G, encoders: [pose] });
 */
export function wrapEncoder(encoder: { encode(y: tf.Tensor2D): tf.Tensor2D; dispose(): void }, info: WrapEncoderInfo): EncoderLike {
  const values: EncoderInput[] = info.values.map((v) =>
    v.circular
      ? { kind: 'circular', name: v.name, unit: v.unit, period: v.range[1] - v.range[0], range: [v.range[0], v.range[1]] }
      : {
          kind: 'linear',
          name: v.name,
          unit: v.unit,
          mean: v.mean ?? (v.range[0] + v.range[1]) / 2,
          std: 1,
          range: [v.range[0], v.range[1]],
        },
  );
  return {
    attribute: info.attribute,
    group: info.group ?? info.attribute,
    wSlice: { offset: info.wSlice.offset, size: info.wSlice.size },
    values,
    encode: (y) => {
      const out = encoder.encode(y);
      if (out.rank !== 2 || out.shape[1] !== info.wSlice.size) {
        const shape = out.shape.join(', ');
        out.dispose();
        throw new EncodersError(
          'ENCODERS_SHAPE_MISMATCH',
          `encoder '${info.attribute}' returned [${shape}], but its w slice has ${info.wSlice.size} columns`,
        );
      }
      return out;
    },
    dispose: () => encoder.dispose(),
  };
}

interface ValuePlan {
  readonly needsMeasure: boolean;
  /** Which columns the caller gave (only those are range-checked; filled ones come from the model). */
  readonly given?: readonly boolean[];
  resolve(rows: number, measured?: Float32Array): number[][];
}

/** One requested value outside the range an encoder was trained on. */
export interface OutOfRangeValue {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** The values the generator produced in the encoder's training set, `[lo, hi]`. */
  readonly range: readonly [number, number];
}

/** `details` of an `ENCODERS_VALUE_OUT_OF_RANGE` error. */
export interface OutOfRangeDetails {
  readonly attribute: string;
  readonly values: readonly OutOfRangeValue[];
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toPrecision(4);
}
