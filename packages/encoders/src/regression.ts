import * as tf from '@tensorflow/tfjs-core';
import { createRng, sampleLatents } from '@gan-control/latent';
import type { AttributeEncoder } from './encoder.js';
import { EncodersError } from './errors.js';
import type { ControlMethod } from './evaluate.js';
import { bindMeasured } from './evaluate.js';
import type { AttributeBinding, GeneratorLike } from './model.js';
import type { AttributeRows } from './sampler.js';

/**
 * The folder of a model where `gan-control directions --method regression` saves its value
 * regressors (one `<attribute>.json` + `.safetensors` each, the encoders' file format).
 */
export const REGRESSION_FOLDER = 'regression';

/**
 * How a regressor sets a value on a sampled w:
 * - `residual` (default): w' = w + E_k(y*) − E_k(ŷ_k(w)), ŷ_k(w) the value measured on G(w). What
 *   E_k does not explain of w (the rest of the image) is kept, as GAN-Control's `keep` keeps the
 *   other groups' slices;
 * - `replace`: w' = E_k(y*), GAN-Control's encoders without the partition taken literally (the
 *   "slice" is all of w, so nothing of the seed is kept).
 */
export type RegressionMode = 'residual' | 'replace';

/**
 * Training rows of a value regressor in an unpartitioned W: GAN-Control's encoder E_k (same MLP,
 * trainer and file format, `trainEncoder`) trained on pairs (y^k, w) whose target is the whole w
 * (`wSlice` = [0, wDim)) instead of the group's slice w^k. The rows' `group` is the attribute's
 * name (it names the saved files).
 *
 * @example
 * const rows = regressionRows({ attribute: 'size', values: [{ name: 'size', unit: 'fraction' }], y, w, wDim: 40 });
 * const { encoder } = await trainEncoder({ data: rows, epochs: 60 });
 */
export function regressionRows(args: {
  readonly attribute: string;
  readonly values: AttributeRows['values'];
  /** `[rows, values.length]` row-major. */
  readonly y: Float32Array;
  /** `[rows, wDim]` row-major. */
  readonly w: Float32Array;
  readonly wDim: number;
}): AttributeRows {
  const V = args.values.length;
  const rows = args.y.length / Math.max(V, 1);
  if (V === 0 || !Number.isInteger(rows) || args.w.length !== rows * args.wDim) {
    throw new EncodersError(
      'ENCODERS_SHAPE_MISMATCH',
      `regressionRows('${args.attribute}'): y has ${args.y.length} numbers for ${V} values and w ${args.w.length} for wDim ${args.wDim}; they must hold the same rows`,
    );
  }
  return {
    group: args.attribute,
    attribute: args.attribute,
    values: args.values,
    wSlice: { offset: 0, size: args.wDim },
    rows,
    y: args.y,
    w: args.w,
  };
}

/**
 * Sets attribute values on one w (`[wDim]`) with a regressor (`regressionRows`): one edited w per
 * row of `rows`, row-major `[rows.length, wDim]`. `measured` (the values of G(w)) is needed by the
 * `residual` mode (see `RegressionMode`).
 *
 * @example
 * const edited = regressionEdit(regressor, w0, [[0.2], [0.3]], { mode: 'residual', measured: [0.25] });
 */
export function regressionEdit(
  regressor: AttributeEncoder,
  w: Float32Array,
  rows: readonly (readonly number[])[],
  { mode = 'residual', measured }: { mode?: RegressionMode; measured?: readonly number[] } = {},
): Float32Array {
  const D = regressor.wSlice.size;
  const V = regressor.valueCount;
  if (regressor.wSlice.offset !== 0 || w.length !== D) {
    throw new EncodersError(
      'ENCODERS_SHAPE_MISMATCH',
      `regressor '${regressor.attribute}' writes w[${regressor.wSlice.offset}, ${regressor.wSlice.offset + D}) but w has ${w.length} dims; a regressor maps a value to the whole w`,
    );
  }
  if (rows.some((r) => r.length !== V) || (mode === 'residual' && measured?.length !== V)) {
    throw new EncodersError(
      'ENCODERS_SHAPE_MISMATCH',
      `regressor '${regressor.attribute}' takes ${V} values per row${mode === 'residual' ? ' (and the measured values of the base image)' : ''}`,
    );
  }
  const out = tf.tidy(() => {
    const target = regressor.encode(
      tf.tensor2d(
        rows.map((r) => [...r]),
        [rows.length, V],
      ),
    );
    if (mode === 'replace') return target;
    const base = regressor.encode(tf.tensor2d([[...measured!]], [1, V]));
    return tf.add(tf.tensor2d(w, [1, D]), tf.sub(target, base));
  });
  try {
    return Float32Array.from(out.dataSync());
  } finally {
    out.dispose();
  }
}

/**
 * The value regressors as a `ControlMethod` (for `evaluateMethod`): the seed's first w (the
 * Controller's stream, `sampleLatents(zDim, n, createRng(seed))` through the mapping), each
 * requested row set by `regressionEdit`; in `residual` mode the base image is rendered and measured
 * first (with the attribute's runtime in `attributes`). Works on any generator, partitioned or not.
 *
 * @example
 * const report = await evaluateMethod(regressionMethod(G, regressors, { color, size, position }), { color, size, position });
 */
export function regressionMethod(
  generator: GeneratorLike,
  regressors: readonly AttributeEncoder[],
  attributes: AttributeBinding,
  { mode = 'residual' }: { mode?: RegressionMode } = {},
): ControlMethod {
  const G = generator;
  const measured = bindMeasured(attributes);
  const of = (key: string) => regressors.find((r) => r.attribute === key);
  const wOf = (seed: number, count: number): tf.Tensor2D =>
    tf.tidy(
      () =>
        tf.reshape(tf.slice(G.mapping(sampleLatents(G.zDim, count, createRng(seed))), [0, 0, 0], [count, 1, G.wDim]), [
          count,
          G.wDim,
        ]) as tf.Tensor2D,
    );
  const render = (w: tf.Tensor2D) =>
    tf.tidy(() => G.synthesis(tf.tile(tf.reshape(w, [w.shape[0], 1, G.wDim]), [1, G.numWs, 1]) as tf.Tensor3D, { noiseMode: 'const' }));
  return {
    describe: () =>
      regressors.map((r) => `${r.attribute}: ${r.values.map((v) => `${v.name} (${v.unit})`).join(', ')} → w (${mode})`).join('\n') ||
      'nothing (no regressors)',
    valueCount: (key) => of(key)?.valueCount,
    sample({ seed, count, truncation }) {
      if (truncation !== undefined) throw new EncodersError('ENCODERS_INVALID_OPTIONS', 'the regression method samples without truncation');
      const w = wOf(seed, count);
      try {
        return render(w);
      } finally {
        w.dispose();
      }
    },
    setValues({ seed, key, rows, truncation }) {
      if (truncation !== undefined) throw new EncodersError('ENCODERS_INVALID_OPTIONS', 'the regression method samples without truncation');
      const regressor = of(key);
      if (!regressor)
        throw new EncodersError(
          'ENCODERS_UNKNOWN_ATTRIBUTE',
          `no regressor for '${key}'; the regressors set:\n${regressors.map((r) => r.attribute).join(', ')}`,
        );
      const w0t = wOf(seed, 1);
      let base: number[] | undefined;
      try {
        if (mode === 'residual') {
          const m = measured.find((x) => x.key === key);
          if (!m)
            throw new EncodersError(
              'ENCODERS_NO_MEASURE',
              `the residual regression edit measures '${key}' on the base image, but no attribute runtime with that name was given`,
            );
          const y = tf.tidy(() => m.attribute.measure!(render(w0t)));
          base = Array.from(y.dataSync());
          y.dispose();
        }
        const edited = regressionEdit(regressor, w0t.dataSync() as Float32Array, rows, { mode, measured: base });
        const wt = tf.tensor2d(edited, [rows.length, G.wDim]);
        try {
          return render(wt);
        } finally {
          wt.dispose();
        }
      } finally {
        w0t.dispose();
      }
    },
  };
}
