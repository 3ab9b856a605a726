/**
 * Feature scales: the position and size embeddings are divided by the dataset's standard deviation
 * of the factor (measured on 4000 images at 32 px: x/W and y/W 0.164–0.165, size 0.0574), so the
 * three attributes' distances share one scale and the official λ = 1 suits all three.
 */
export const POSITION_SCALE = 0.165;
export const SIZE_SCALE = 0.0574;

/**
 * Default τ+ / τ− of the shapes attributes, in each attribute's distance units, chosen from the
 * distance distributions measured on the dataset by `scripts/measure-thresholds.ts` (README,
 * "Thresholds"): τ− = the 10th percentile of the distance between independent images; τ+ = the
 * smaller of the distance of the control target (hue 5°, position 1 px at 32 px, size 5% of the
 * mean size) and τ−/4. Positive pairs of the dataset (same factor, all else redrawn) measure ≈ 0,
 * since the read-outs are analytic.
 */
export const THRESHOLDS = {
  color: { tauPlus: 0.0038, tauMinus: 0.04 },
  position: { tauPlus: 0.0359, tauMinus: 0.465 },
  size: { tauPlus: 0.0084, tauMinus: 0.0336 },
} as const;
