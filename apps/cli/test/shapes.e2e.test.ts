// The bundled shapes model (packages/domain-shapes/model), as a user meets it. Which tests run
// depends on what is committed: nothing yet, the generator only, or the generator and encoders.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, pngSize, runCli } from './cli-harness.js';

const bundled = resolve(import.meta.dirname, '..', '..', '..', 'packages', 'domain-shapes', 'model');
const hasModel = existsSync(join(bundled, 'model.json'));
const hasEncoders =
  hasModel && existsSync(join(bundled, 'encoders')) && readdirSync(join(bundled, 'encoders')).some((f) => f.endsWith('.json'));
let work: string;

beforeAll(() => {
  buildCli();
  work = mkdtempSync(join(tmpdir(), 'gan-control-shapes-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.runIf(hasModel)('the bundled shapes model', () => {
  it('inspect shapes and generate --model shapes (sampled) at the model resolution', async () => {
    const info = await runCli(['inspect', 'shapes', '--json'], { cwd: work });
    expect(info.code, info.stderr).toBe(0);
    const j = JSON.parse(info.stdout) as { resolution: number; groups: { name: string }[] };
    expect(j.groups.map((g) => g.name)).toEqual(['color', 'position', 'size', 'other']);
    const r = await runCli(['generate', '--model', 'shapes', '--count', '4', '--seed', '1', '--out', 'four.png'], { cwd: work });
    expect(r.code, r.stderr).toBe(0);
    const R = j.resolution;
    expect(pngSize(new Uint8Array(readFileSync(join(work, 'four.png'))))).toEqual({ width: 2 * (R + 2) + 2, height: 2 * (R + 2) + 2 });
  });
});

describe.runIf(hasEncoders)('the bundled shapes model with its encoders', () => {
  it('demo writes the sweep grids and the precision table', async () => {
    const r = await runCli(['demo', '--out', 'demo', '--json'], { cwd: work });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { files: { file: string }[]; precision: Record<string, { meanError: number }> };
    expect(Object.keys(out.precision).sort()).toEqual(['color', 'position', 'size']);
    for (const f of out.files) expect(existsSync(f.file)).toBe(true);
    expect(readdirSync(join(work, 'demo')).some((f) => f.startsWith('sweep-'))).toBe(true);
  });

  // The protocol and targets of packages/domain-shapes/model/README.md (issue targets: hue under 5°,
  // position under 1 px, size under 5 % of the mean size, no attribute moving 5 % of its range
  // when another is swept). Deterministic seeds: this reproduces the README's table.
  it('meets the control targets of its README (evaluate --samples 16 --steps 9 --range-samples 512)', async () => {
    const r = await runCli(['evaluate', '--samples', '16', '--steps', '9', '--range-samples', '512', '--json'], { cwd: work });
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout) as Record<string, { meanError: number; leakage: Record<string, number>; range: [number, number] }>;
    expect(rep.color.meanError).toBeLessThan(5);
    expect(rep.position.meanError).toBeLessThan(1);
    expect(rep.size.meanError).toBeLessThan(0.05 * 0.25); // dataset sizes are uniform in [0.15, 0.35]: mean 0.25
    for (const a of Object.values(rep)) for (const leak of Object.values(a.leakage)) expect(leak).toBeLessThan(0.05);
  });

  // Every hue, not just the 9 of the protocol: at each 5° the mean error over 4 latents stays under
  // the target (an encoder of an angle can fail on a narrow band where two branches of w meet).
  it('reaches every hue: evaluate --steps 72 (5° apart), each requested hue within the target', async () => {
    const r = await runCli(['evaluate', '--samples', '4', '--steps', '72', '--range-samples', '128', '--json'], { cwd: work });
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout) as Record<string, { meanError: number; requested: number[][]; stepErrors: number[] }>;
    const worst = Math.max(...rep.color.stepErrors);
    const at = rep.color.requested[rep.color.stepErrors.indexOf(worst)][0];
    console.log(`hue every 5°: mean ${rep.color.meanError.toFixed(2)}°, worst ${worst.toFixed(2)}° at ${at.toFixed(1)}°`);
    expect(rep.color.meanError).toBeLessThan(5);
    expect(worst).toBeLessThan(3 * 5);
  });

  it('generate --model shapes --sweep writes a grid of the model resolution', async () => {
    const info = JSON.parse((await runCli(['inspect', 'shapes', '--json'], { cwd: work })).stdout) as {
      resolution: number;
      encoders: { attribute: string; values: { name: string; range: [number, number] }[] }[];
    };
    const enc = info.encoders.find((e) => e.attribute === 'size') ?? info.encoders[0];
    const v = enc.values[0];
    const target = enc.values.length > 1 ? `${enc.attribute}.${v.name}` : enc.attribute;
    const r = await runCli(
      ['generate', '--model', 'shapes', '--sweep', `${target}=${v.range[0]}:${v.range[1]}:3`, '--count', '2', '--out', 'g.png'],
      { cwd: work },
    );
    expect(r.code, r.stderr).toBe(0);
    const R = info.resolution;
    expect(pngSize(new Uint8Array(readFileSync(join(work, 'g.png'))))).toEqual({ width: 3 * (R + 2) + 2, height: 2 * (R + 2) + 2 });
  });
});

describe.runIf(hasModel && !hasEncoders)('the bundled shapes model without encoders', () => {
  it('demo says the encoders are missing and how to train them on a copy', async () => {
    const r = await runCli(['demo', '--out', 'nodemo'], { cwd: work });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error: the bundled model 'shapes' has no encoders in this installation.*gan-control encoders --model my-model/m,
    );
  });
});

describe.runIf(!hasModel)('without the bundled shapes model', () => {
  it('demo says it is missing and how to make one', async () => {
    const out = join(work, 'no-demo');
    const r = await runCli(['demo', '--out', out], { cwd: work });
    expect(r.code).toBe(1);
    expect(existsSync(out)).toBe(false);
    expect(r.stderr).toMatch(
      /^error: the bundled model 'shapes' is not in this installation \(looked for .*domain-shapes.*model\.json\); .*gan-control train --preset shapes-32/m,
    );
  });
});
