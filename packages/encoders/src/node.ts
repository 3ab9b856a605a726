// Node-only entry (`@gan-control/encoders/node`): everything that writes to disk — saving encoders,
// sampling their dataset into shards, the one-call build, and `evaluateControl` with `gridDir`
// (PNG grids). Loading a model folder, the Controller, training from a dataset, calibration and
// refinement are in the isomorphic main entry (paths in Node, URLs anywhere).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { tensorToPng, writeFileAtomic } from '@gan-control/tensor-io/node';
import type { Controller } from './controller.js';
import { evaluateControlWith, evaluateMethodWith } from './evaluate.js';
import type { ControlMethod, ControlReport, EvaluateOptions, GridWriter } from './evaluate.js';
import type { AttributeBinding } from './model.js';

export { saveEncoder } from './save.js';
export { sampleEncoderDataset } from './sample.js';
export { buildEncodersForModel } from './build.js';
export type { BuildEncodersArgs, BuildEncodersResult } from './build.js';

/** Writes each attribute's sweep grid as `<gridDir>/<attribute>.png` (folder created first). */
const pngGrids: GridWriter = {
  async prepare(dir) {
    await mkdir(dir, { recursive: true });
  },
  async write(dir, attribute, images, grid) {
    await writeFileAtomic(join(dir, `${attribute}.png`), await tensorToPng(images, { grid }));
  },
};

/**
 * `evaluateControl` of the main entry, plus `gridDir`: one PNG grid per attribute
 * (`<gridDir>/<attribute>.png`, rows = seeds, columns = requested values).
 *
 * @example
 * const report = await evaluateControl(controller, { color, size, position }, { seeds: 8, steps: 7, gridDir: 'eval' });
 * console.log(formatControlReport(report));
 */
export async function evaluateControl(
  controller: Controller,
  attributes: AttributeBinding,
  options: EvaluateOptions = {},
): Promise<ControlReport> {
  return evaluateControlWith(controller, attributes, options, pngGrids);
}

/**
 * `evaluateMethod` of the main entry, plus `gridDir` (as `evaluateControl`).
 *
 * @example
 * const report = await evaluateMethod(method, { color, size, position }, { seeds: 8, steps: 7, gridDir: 'eval' });
 */
export async function evaluateMethod(
  method: ControlMethod,
  attributes: AttributeBinding,
  options: EvaluateOptions = {},
): Promise<ControlReport> {
  return evaluateMethodWith(method, attributes, options, pngGrids);
}
