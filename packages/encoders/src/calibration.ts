import { z } from 'zod';
import { formatZodIssues } from '@gan-control/errors';
import { EncodersError } from './errors.js';
import type { EncoderInput } from './encoder.js';

/**
 * Input calibration of an encoder: for each value column, offsets at knots (linear interpolation
 * between knots; constant beyond the end knots of a linear value; wrapping for a circular one).
 * `encode(y)` feeds `y + offset(y)` to the network, so the generated images measure `y` on average
 * (the offsets cancel the encoder's measured bias; `calibrateEncoders` fits them). A column of
 * `null` is not calibrated.
 */
export const calibrationSchema = z.object({
  method: z.literal('input-offset'),
  columns: z.array(
    z
      .object({
        knots: z.array(z.number()).min(2),
        offsets: z.array(z.number()),
      })
      .refine((c) => c.offsets.length === c.knots.length, { message: 'offsets must have one entry per knot', path: ['offsets'] })
      .refine((c) => c.knots.every((k, i) => i === 0 || k > c.knots[i - 1]), {
        message: 'knots must be strictly increasing',
        path: ['knots'],
      })
      .nullable(),
  ),
  /** How it was fitted (images per knot, iterations, seed, mean error before/after per column). */
  fit: z.record(z.string(), z.unknown()).optional(),
});
export type Calibration = z.output<typeof calibrationSchema>;

/** Checks a calibration against an encoder's values (one column each, knots inside a circular period). */
export function checkCalibration(attribute: string, values: readonly EncoderInput[], calibration: Calibration): void {
  const parsed = calibrationSchema.safeParse(calibration);
  if (!parsed.success) {
    throw new EncodersError('ENCODERS_INVALID_OPTIONS', `encoder '${attribute}': invalid calibration: ${formatZodIssues(parsed.error)}`);
  }
  if (calibration.columns.length !== values.length) {
    throw new EncodersError(
      'ENCODERS_SHAPE_MISMATCH',
      `encoder '${attribute}': calibration has ${calibration.columns.length} columns, the encoder takes ${values.length} values (${values.map((v) => v.name).join(', ')})`,
    );
  }
  calibration.columns.forEach((c, i) => {
    const v = values[i];
    if (c && v.kind === 'circular' && (c.knots[0] < 0 || c.knots[c.knots.length - 1] >= v.period)) {
      throw new EncodersError(
        'ENCODERS_INVALID_OPTIONS',
        `encoder '${attribute}': calibration.columns.${i}.knots must lie in [0, ${v.period}) for the circular value '${v.name}'`,
      );
    }
  });
}

/** Offset of one column at `y` (piecewise linear; circular columns wrap around the period). */
export function calibrationOffset(column: { knots: readonly number[]; offsets: readonly number[] }, y: number, period?: number): number {
  const { knots: k, offsets: o } = column;
  const n = k.length;
  if (!Number.isFinite(y)) return 0;
  if (period) {
    const v = ((y % period) + period) % period;
    // Segments k[i] → k[i+1], and the wrap segment k[n-1] → k[0] + period.
    let i = n - 1;
    for (let j = 0; j < n - 1; j++) {
      if (v >= k[j] && v < k[j + 1]) {
        i = j;
        break;
      }
    }
    const a = k[i];
    const b = i === n - 1 ? k[0] + period : k[i + 1];
    const vv = i === n - 1 && v < k[0] ? v + period : v;
    const f = (vv - a) / (b - a);
    return o[i] * (1 - f) + o[(i + 1) % n] * f;
  }
  if (y <= k[0]) return o[0];
  if (y >= k[n - 1]) return o[n - 1];
  let i = 0;
  while (y > k[i + 1]) i++;
  const f = (y - k[i]) / (k[i + 1] - k[i]);
  return o[i] * (1 - f) + o[i + 1] * f;
}

/** Applies a calibration to rows `[B][V]` (a new array). */
export function applyCalibration(
  values: readonly EncoderInput[],
  calibration: Calibration,
  rows: readonly (readonly number[])[],
): number[][] {
  return rows.map((r) =>
    r.map((y, c) => {
      const col = calibration.columns[c];
      if (!col) return y;
      const v = values[c];
      return y + calibrationOffset(col, y, v.kind === 'circular' ? v.period : undefined);
    }),
  );
}
