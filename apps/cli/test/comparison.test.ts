// The root README's "Compared with post-hoc methods" table is the committed `evaluate --compare`
// JSON of docs/comparison/, printed by formatComparisonRow: every row must be in the README as is.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatComparisonRow, type ComparisonJson } from '../src/compare.js';

const root = resolve(import.meta.dirname, '..', '..', '..');
const dir = join(root, 'docs', 'comparison');
const MODELS: Record<string, string> = { 'gan-control': 'GAN-Control (bundled)', baseline: 'baseline StyleGAN2' };
const METHODS: Record<string, string> = {
  'gan-control': "GAN-Control's encoders",
  interfacegan: 'InterFaceGAN',
  ganspace: 'GANSpace',
  regression: 'regressor (residual)',
  'regression-replace': 'regressor (replace)',
};

const files = existsSync(dir) ? readdirSync(dir).filter((f) => /^[a-z-]+\.[a-z-]+\.json$/.test(f) && !f.endsWith('-fit.json')) : [];

describe.runIf(files.length > 0)('README comparison table', () => {
  it('prints every committed evaluate --compare JSON as a row of the README, digit for digit', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    for (const f of files) {
      const [model, method] = f.replace(/\.json$/, '').split('.');
      const json = JSON.parse(readFileSync(join(dir, f), 'utf8')) as ComparisonJson & { model: string };
      expect(json.model, f).toBe(model);
      expect(json.method, f).toBe(method.replace(/-replace$/, ''));
      const row = formatComparisonRow(json, { model: MODELS[model], method: METHODS[method], attributes: ['color', 'position', 'size'] });
      expect(readme, `${f} → ${row}`).toContain(row);
    }
    // Both models, every method: 5 rows on GAN-Control, 4 post-hoc rows on the baseline.
    expect(files.length).toBe(9);
  });
});
