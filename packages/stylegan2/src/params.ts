/**
 * Named parameters and buffers of a network, stored as TF.js variables in TF.js layouts, with the
 * mapping to and from the official PyTorch `state_dict` layout (names are the official ones).
 */
import * as tf from '@tensorflow/tfjs-core';
import { StyleGan2Error } from './config.js';

/** How an official tensor maps onto the TF.js variable. */
export type Layout =
  | 'plain' // same shape and order
  | 'fc' // official [out, in] ↔ TF.js [in, out]
  | 'conv' // official [O, I, kh, kw] ↔ TF.js [kh, kw, I, O]
  | 'const'; // official [C, H, W] ↔ TF.js [H, W, C]

interface Entry {
  variable: tf.Variable;
  layout: Layout;
  officialShape: number[];
  trainable: boolean;
}

const PERM: Record<Exclude<Layout, 'plain'>, { toTf: number[]; toOfficial: number[] }> = {
  fc: { toTf: [1, 0], toOfficial: [1, 0] },
  conv: { toTf: [2, 3, 1, 0], toOfficial: [3, 2, 0, 1] },
  const: { toTf: [1, 2, 0], toOfficial: [2, 0, 1] },
};

function tfShape(officialShape: number[], layout: Layout): number[] {
  return layout === 'plain' ? officialShape : PERM[layout].toTf.map((i) => officialShape[i]);
}

/** A plain tensor record as read from / written to safetensors. */
export interface TensorRecord {
  dtype?: string;
  shape: number[];
  data: Float32Array | ArrayLike<number>;
}

/** Result of loading a state dict: official names not present in the file, and extra names. */
export interface LoadReport {
  missing: string[];
  unexpected: string[];
}

export class ParamStore {
  private readonly entries = new Map<string, Entry>();

  /** Creates a variable from `init` (given in the official layout/shape). */
  add(name: string, officialShape: number[], layout: Layout, trainable: boolean, init: () => tf.Tensor): void {
    const v = tf.tidy(() => {
      const t = init();
      if (!tf.util.arraysEqual(t.shape, officialShape)) throw new Error(`init of ${name}: shape ${t.shape} ≠ ${officialShape}`);
      return tf.variable(layout === 'plain' ? t : tf.transpose(t, PERM[layout].toTf), trainable);
    });
    this.entries.set(name, { variable: v, layout, officialShape, trainable });
  }

  get(name: string): tf.Variable {
    const e = this.entries.get(name);
    if (!e) throw new Error(`stylegan2: no parameter named '${name}'`);
    return e.variable;
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  variables(): Record<string, tf.Variable> {
    return Object.fromEntries([...this.entries].map(([n, e]) => [n, e.variable]));
  }

  trainableVariables(): tf.Variable[] {
    return [...this.entries.values()].filter((e) => e.trainable).map((e) => e.variable);
  }

  isTrainable(name: string): boolean {
    return this.entries.get(name)?.trainable ?? false;
  }

  officialShape(name: string): number[] {
    return this.entries.get(name)!.officialShape;
  }

  /** Copies every value from `other` (same names and shapes). */
  copyFrom(other: ParamStore): void {
    for (const [name, e] of this.entries) e.variable.assign(other.get(name));
  }

  /**
   * Assigns values given in the official layout. Every name of this network must be present
   * (`missing` otherwise) and every given name must be used (`unexpected` otherwise); names
   * matched by `ignore` are consumed without being assigned (e.g. `resample_filter` buffers,
   * which the caller checks). Throws on a wrong shape, naming the tensor.
   */
  assignOfficial(tensors: Record<string, TensorRecord>, ignore: (name: string) => boolean, source: string): LoadReport {
    const missing: string[] = [];
    for (const [name, e] of this.entries) {
      const t = tensors[name];
      if (!t) {
        missing.push(name);
        continue;
      }
      if (!tf.util.arraysEqual(t.shape, e.officialShape)) {
        throw new StyleGan2Error(
          'STYLEGAN2_SHAPE_MISMATCH',
          `${source}: tensor '${name}' has shape [${t.shape.join(', ')}], but the configured network expects [${e.officialShape.join(', ')}]. ` +
            'Check that the config (resolution, channelBase, channelMax, zDim, wDim, mapping) matches the one the weights were trained with.',
        );
      }
    }
    const unexpected = Object.keys(tensors).filter((n) => !this.entries.has(n) && !ignore(n));
    if (missing.length === 0 && unexpected.length === 0) {
      for (const [name, e] of this.entries) {
        const t = tensors[name];
        tf.tidy(() => {
          const data = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data);
          const raw = tf.tensor(data, e.officialShape);
          e.variable.assign(e.layout === 'plain' ? raw : tf.transpose(raw, PERM[e.layout].toTf));
        });
      }
    }
    return { missing, unexpected };
  }

  /** Every parameter and buffer in the official layout, as plain records. */
  toOfficial(): Record<string, { shape: number[]; data: Float32Array }> {
    const out: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const [name, e] of this.entries) {
      const t = e.layout === 'plain' ? e.variable : tf.transpose(e.variable, PERM[e.layout].toOfficial);
      out[name] = { shape: e.officialShape, data: t.dataSync() as Float32Array };
      if (t !== e.variable) t.dispose();
    }
    return out;
  }

  dispose(): void {
    for (const e of this.entries.values()) e.variable.dispose();
    this.entries.clear();
  }
}

export { tfShape };

/** Seed for parameter `index` of a network built with `seed` (deterministic, distinct). */
export function paramSeed(seed: number, index: number): number {
  return (Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0;
}
