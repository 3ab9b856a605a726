import { formatZodIssues } from '@gan-control/errors';
import { z } from 'zod';
import { ShapesError } from './errors.js';
import { createRng, type Rng } from '@gan-control/latent';

/** The shapes the dataset can draw. */
export const SHAPE_KINDS = ['circle', 'square', 'triangle'] as const;
export type ShapeKind = (typeof SHAPE_KINDS)[number];

/**
 * Colour model. A shape's colour is a *circular* hue: channel k (R, G, B) is
 * `COLOR_MEAN + COLOR_AMPLITUDE · cos(hue − 120°·k)` in [0, 1]. With this choice the classic
 * opponent-colour angle `atan2(√3·(G − B), 2R − G − B)` equals the hue exactly, and
 * `R + G + B = 3·COLOR_MEAN` for every hue, so the coverage (alpha) of a pixel on the black
 * background is `(R + G + B) / (3·COLOR_MEAN)` — the attribute plugins invert both analytically.
 */
export const COLOR_MEAN = 0.5;
export const COLOR_AMPLITUDE = 0.5;

/** Options of the procedural dataset (zod, with defaults). */
export const shapesOptionsSchema = z
  .object({
    /** Image side in pixels (the bundled model uses 32; 64 is the other documented size). */
    resolution: z.number().int().min(8).max(512).default(32),
    /** Which shapes to draw, uniformly. */
    shapes: z
      .array(z.enum(SHAPE_KINDS))
      .min(1)
      .default([...SHAPE_KINDS]),
    /** Size factor range: √(shape area) / image side. */
    sizeRange: z.tuple([z.number().positive(), z.number().positive()]).default([0.15, 0.35]),
    /** Range of the shape centre, as a fraction of the image side (same for x and y). */
    positionRange: z.tuple([z.number().min(0), z.number().max(1)]).default([0.2, 0.8]),
    /** Hue range in degrees (the full circle by default). */
    hueRange: z.tuple([z.number(), z.number()]).default([0, 360]),
    /** Minimum distance in pixels between the shape and the image border (shapes are never cut). */
    marginPx: z.number().min(0).default(1),
    /** Anti-aliasing: n×n samples per pixel. */
    supersample: z.number().int().min(1).max(16).default(8),
  })
  .refine((o) => o.sizeRange[0] <= o.sizeRange[1], { message: 'sizeRange must be [min, max] with min ≤ max', path: ['sizeRange'] })
  .refine((o) => o.positionRange[0] <= o.positionRange[1], {
    message: 'positionRange must be [min, max] with min ≤ max',
    path: ['positionRange'],
  });

export type ShapesOptionsInput = z.input<typeof shapesOptionsSchema>;
export type ShapesOptions = z.output<typeof shapesOptionsSchema>;

/** The ground-truth factors of one image. */
export interface ShapeFactors {
  readonly shape: ShapeKind;
  /** Hue in degrees, [0, 360). */
  readonly hue: number;
  /** √(area) / image side. */
  readonly size: number;
  /** Centre (centroid) in pixels; pixel i spans [i, i+1], so its centre is i + 0.5. */
  readonly x: number;
  readonly y: number;
  /** Rotation in degrees, [0, 360) (irrelevant for circles). */
  readonly rotation: number;
}

/**
 * Parses dataset options, naming the field path on error.
 *
 * @example
 * const opts = parseShapesOptions({ resolution: 64 });
 */
export function parseShapesOptions(input: ShapesOptionsInput = {}): ShapesOptions {
  const r = shapesOptionsSchema.safeParse(input);
  if (!r.success) {
    throw new ShapesError(
      'SHAPES_INVALID_OPTIONS',
      `domain-shapes: invalid dataset options: ${formatZodIssues(r.error)}. See shapesOptionsSchema for the fields and defaults.`,
    );
  }
  return r.data;
}

/** RGB in [0, 1] of a hue in degrees (see `COLOR_MEAN`). */
export function hueToRgb(hueDeg: number): [number, number, number] {
  const h = (hueDeg * Math.PI) / 180;
  return [0, 1, 2].map((k) => COLOR_MEAN + COLOR_AMPLITUDE * Math.cos(h - (2 * Math.PI * k) / 3)) as [number, number, number];
}

/** Vertices (pixels) of a polygonal shape, or null for a circle. Counter-clockwise in image coordinates. */
function polygon(f: ShapeFactors, side: number): [number, number][] | null {
  const s = f.size * side;
  const rot = (f.rotation * Math.PI) / 180;
  let radius: number, n: number, phase: number;
  if (f.shape === 'circle') return null;
  if (f.shape === 'square') {
    radius = s / Math.SQRT2;
    n = 4;
    phase = Math.PI / 4;
  } else {
    // Equilateral triangle of area s²: side a = s·√(4/√3), circumradius a/√3; centroid = centre.
    radius = (s * Math.sqrt(4 / Math.sqrt(3))) / Math.sqrt(3);
    n = 3;
    phase = -Math.PI / 2;
  }
  const pts: [number, number][] = [];
  for (let k = 0; k < n; k++) {
    const a = phase + rot + (2 * Math.PI * k) / n;
    pts.push([f.x + radius * Math.cos(a), f.y + radius * Math.sin(a)]);
  }
  return pts;
}

function circleRadius(f: ShapeFactors, side: number): number {
  return (f.size * side) / Math.sqrt(Math.PI);
}

/** Axis-aligned bounds [x0, y0, x1, y1] of a shape in pixels. */
function bounds(f: ShapeFactors, side: number): [number, number, number, number] {
  const poly = polygon(f, side);
  if (!poly) {
    const r = circleRadius(f, side);
    return [f.x - r, f.y - r, f.x + r, f.y + r];
  }
  const xs = poly.map((p) => p[0]);
  const ys = poly.map((p) => p[1]);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}

/**
 * Draws the factors of one image from a PRNG. Centres whose shape would come closer than
 * `marginPx` to the border are redrawn (so shapes are never cut and measurements stay exact).
 */
export function sampleShapeFactors(rng: Rng, options: ShapesOptions): ShapeFactors {
  const side = options.resolution;
  const uniform = (lo: number, hi: number) => lo + (hi - lo) * rng.nextFloat();
  const shape = options.shapes[rng.nextInt(options.shapes.length)];
  const hue = ((uniform(options.hueRange[0], options.hueRange[1]) % 360) + 360) % 360;
  const size = uniform(options.sizeRange[0], options.sizeRange[1]);
  const rotation = uniform(0, 360);
  const [p0, p1] = options.positionRange;
  for (let attempt = 0; attempt < 200; attempt++) {
    const x = uniform(p0, p1) * side;
    const y = uniform(p0, p1) * side;
    const f: ShapeFactors = { shape, hue, size, x, y, rotation };
    const [x0, y0, x1, y1] = bounds(f, side);
    const m = options.marginPx;
    if (x0 >= m && y0 >= m && x1 <= side - m && y1 <= side - m) return f;
  }
  throw new ShapesError(
    'SHAPES_CANNOT_PLACE',
    `domain-shapes: could not place a ${shape} of size ${size.toFixed(3)} inside a ${side}px image with positionRange [${p0}, ${p1}] and marginPx ${options.marginPx}. ` +
      'Reduce sizeRange or marginPx, or widen positionRange.',
  );
}

/**
 * Renders one image into `out` (HWC, float32, [-1, 1]) at `offset`: a shape of the factors' hue on
 * a black background, anti-aliased by n×n supersampling inside the shape's bounding box.
 *
 * @example
 * const img = new Float32Array(32 * 32 * 3);
 * renderShape({ shape: 'circle', hue: 120, size: 0.3, x: 16, y: 16, rotation: 0 }, parseShapesOptions(), img);
 */
export function renderShape(f: ShapeFactors, options: ShapesOptions, out: Float32Array, offset = 0): void {
  const side = options.resolution;
  const n = options.supersample;
  const rgb = hueToRgb(f.hue);
  const end = offset + side * side * 3;
  out.fill(-1, offset, end);
  const [bx0, by0, bx1, by1] = bounds(f, side);
  const px0 = Math.max(0, Math.floor(bx0)),
    py0 = Math.max(0, Math.floor(by0));
  const px1 = Math.min(side - 1, Math.ceil(bx1)),
    py1 = Math.min(side - 1, Math.ceil(by1));
  const poly = polygon(f, side);
  // Half-planes of the convex polygon: inside when ax·x + ay·y + c ≥ 0 for every edge.
  const edges: [number, number, number][] = [];
  if (poly) {
    for (let k = 0; k < poly.length; k++) {
      const [x0, y0] = poly[k];
      const [x1, y1] = poly[(k + 1) % poly.length];
      const ax = -(y1 - y0),
        ay = x1 - x0;
      edges.push([ax, ay, -(ax * x0 + ay * y0)]);
    }
  }
  const r2 = poly ? 0 : circleRadius(f, side) ** 2;
  const inv = 1 / (n * n);
  for (let py = py0; py <= py1; py++) {
    for (let px = px0; px <= px1; px++) {
      let hits = 0;
      for (let sy = 0; sy < n; sy++) {
        const y = py + (sy + 0.5) / n;
        for (let sx = 0; sx < n; sx++) {
          const x = px + (sx + 0.5) / n;
          if (poly) {
            let inside = true;
            for (const [ax, ay, c] of edges) {
              if (ax * x + ay * y + c < 0) {
                inside = false;
                break;
              }
            }
            if (inside) hits++;
          } else if ((x - f.x) ** 2 + (y - f.y) ** 2 <= r2) hits++;
        }
      }
      if (hits === 0) continue;
      const alpha = hits * inv;
      const o = offset + (py * side + px) * 3;
      out[o] = 2 * alpha * rgb[0] - 1;
      out[o + 1] = 2 * alpha * rgb[1] - 1;
      out[o + 2] = 2 * alpha * rgb[2] - 1;
    }
  }
}

/** A batch of rendered images with their factors. */
export interface ShapesBatch {
  /** NHWC float32 in [-1, 1]. */
  readonly images: Float32Array;
  readonly shape: [number, number, number, number];
  readonly factors: ShapeFactors[];
}

/**
 * The factors of image `index` of the stream `seed`: each image draws from its own sub-stream of
 * the project's PRNG (`createRng(seed, index)` of `@gan-control/latent`), so any image can be
 * regenerated on its own, in any order.
 */
export function shapeFactorsAt(seed: number, index: number, options: ShapesOptions): ShapeFactors {
  return sampleShapeFactors(createRng(seed, index), options);
}

/**
 * Renders `count` images starting at `start` of the stream `seed`.
 *
 * @example
 * const { images, factors, shape } = generateShapes({ seed: 1, count: 16, resolution: 32 });
 * // images: Float32Array of 16·32·32·3 values in [-1, 1]; factors[i].hue in degrees
 */
export function generateShapes(args: ShapesOptionsInput & { seed: number; count: number; start?: number }): ShapesBatch {
  const { seed, count, start = 0, ...rest } = args;
  const options = parseShapesOptions(rest);
  return renderFactors(
    Array.from({ length: count }, (_, i) => shapeFactorsAt(seed, start + i, options)),
    options,
  );
}

/**
 * Renders given factors (e.g. a controlled sweep of one factor).
 *
 * @example
 * const b = renderFactors([{ shape: 'square', hue: 0, size: 0.25, x: 16, y: 16, rotation: 30 }], parseShapesOptions());
 */
export function renderFactors(factors: readonly ShapeFactors[], options: ShapesOptions): ShapesBatch {
  const side = options.resolution;
  const per = side * side * 3;
  const images = new Float32Array(factors.length * per);
  factors.forEach((f, i) => renderShape(f, options, images, i * per));
  return { images, shape: [factors.length, side, side, 3], factors: [...factors] };
}
