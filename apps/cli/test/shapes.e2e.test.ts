// The bundled shapes model (packages/domain-shapes/model), as a user meets it: `demo`, and
// `generate --model shapes`. Skipped until the model is committed.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, pngSize, runCli } from './cli-harness.js';

const bundled = resolve(import.meta.dirname, '..', '..', '..', 'packages', 'domain-shapes', 'model');
const hasModel = existsSync(join(bundled, 'model.json')) && existsSync(join(bundled, 'encoders'));
let work: string;

describe.runIf(hasModel)('the bundled shapes model', () => {
  beforeAll(() => {
    buildCli();
    work = mkdtempSync(join(tmpdir(), 'gan-control-shapes-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('demo writes the sweep grids and the precision table', async () => {
    const r = await runCli(['demo', '--out', 'demo', '--json'], { cwd: work });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { files: { file: string }[]; precision: Record<string, { meanError: number }> };
    expect(Object.keys(out.precision).length).toBeGreaterThan(0);
    for (const f of out.files) expect(existsSync(f.file)).toBe(true);
    expect(readdirSync(join(work, 'demo')).some((f) => f.startsWith('sweep-'))).toBe(true);
  });

  it('generate --model shapes --sweep writes a grid of the model resolution', async () => {
    const info = JSON.parse((await runCli(['inspect', 'shapes', '--json'], { cwd: work })).stdout) as { resolution: number; encoders: { attribute: string; values: { name: string; range: [number, number] }[] }[] };
    const enc = info.encoders[0];
    const v = enc.values[0];
    const target = enc.values.length > 1 ? `${enc.attribute}.${v.name}` : enc.attribute;
    const r = await runCli(['generate', '--model', 'shapes', '--sweep', `${target}=${v.range[0]}:${v.range[1]}:3`, '--count', '2', '--out', 'g.png'], { cwd: work });
    expect(r.code, r.stderr).toBe(0);
    const R = info.resolution;
    expect(pngSize(new Uint8Array(readFileSync(join(work, 'g.png'))))).toEqual({ width: 3 * (R + 2) + 2, height: 2 * (R + 2) + 2 });
  });
});

describe.runIf(!hasModel)('without the bundled shapes model', () => {
  it('demo and generate say it is missing and how to make one', async () => {
    buildCli();
    const out = join(tmpdir(), `gan-control-no-demo-${process.pid}`);
    const r = await runCli(['demo', '--out', out]);
    expect(r.code).toBe(1);
    expect(existsSync(out)).toBe(false);
    expect(r.stderr).toMatch(/^error: the bundled model 'shapes' is not in this installation \(looked for .*domain-shapes.*model\.json\); .*gan-control train --preset shapes-32/m);
  });
});
