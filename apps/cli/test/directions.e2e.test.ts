// Direction-based control with the built CLI on a converted StyleGAN2-ADA generator (a plain
// StyleGAN2: one latent group, no encoders), its group measured by the shapes domain's colour plugin.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, pngSize, runCli, writeTinyNvidiaGenerator } from './cli-harness.js';

let work: string;

beforeAll(() => {
  buildCli();
  work = mkdtempSync(join(tmpdir(), 'gan-control-directions-e2e-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('directions on a converted StyleGAN2', () => {
  it('convert → directions → generate --shift / --set along them → evaluate --method interfacegan; the value regressor: --set and evaluate --method regression --compare', async () => {
    writeTinyNvidiaGenerator(work); // G.safetensors + config.json (G_kwargs)
    const c = await runCli(
      ['convert', 'G.safetensors', '--kwargs', 'config.json', '--attribute', 'latent=size', '--out', 'sg', '--backend', 'cpu'],
      { cwd: work },
    );
    expect(c.code, c.stderr).toBe(0);
    const shiftBefore = await runCli(['generate', '--model', 'sg', '--shift', 'latent.size=+0.05', '--out', 'x.png', '--backend', 'cpu'], {
      cwd: work,
    });
    expect(shiftBefore.code).toBe(1);
    expect(shiftBefore.stderr).toContain('gan-control directions --model sg');
    const d = await runCli(['directions', '--model', 'sg', '--samples', '128', '--json', '--backend', 'cpu'], { cwd: work });
    expect(d.code, d.stderr).toBe(0);
    const fit = JSON.parse(d.stdout) as { file: string; directions: { key: string; kind: string }[] };
    expect(fit.directions.map((x) => `${x.key}:${x.kind}`)).toEqual(['latent.size:linear']);
    expect(existsSync(join(work, 'sg', 'directions.json'))).toBe(true);
    const run = async (out: string, extra: string[]) => {
      const r = await runCli(['generate', '--model', 'sg', '--seed', '2', '--count', '4', '--out', out, '--backend', 'cpu', ...extra], {
        cwd: work,
      });
      expect(r.code, r.stderr).toBe(0);
      return r;
    };
    await run('a.png', ['--shift', 'latent.size=+0.05']);
    await run('b.png', ['--shift', 'latent=+0.05']);
    expect(readFileSync(join(work, 'a.png')).equals(readFileSync(join(work, 'b.png')))).toBe(true);
    expect(pngSize(new Uint8Array(readFileSync(join(work, 'a.png'))))).toEqual({ width: 2 * (8 + 2) + 2, height: 2 * (8 + 2) + 2 });
    const set = await run('s.png', ['--set', 'latent=0.3']);
    expect(set.stderr).toContain('--set goes along its fitted directions');
    const e = await runCli(
      [
        'evaluate',
        '--model',
        'sg',
        '--method',
        'interfacegan',
        '--samples',
        '2',
        '--steps',
        '3',
        '--range-samples',
        '16',
        '--json',
        '--backend',
        'cpu',
      ],
      { cwd: work },
    );
    expect(e.code, e.stderr).toBe(0);
    expect(Object.keys(JSON.parse(e.stdout) as object)).toEqual(['latent']);
    // The value regressor: absolute edits on the converted model without directions.json's linear fit.
    const r = await runCli(
      [
        'directions',
        '--model',
        'sg',
        '--method',
        'regression',
        '--samples',
        '128',
        '--epochs',
        '20',
        '--hidden',
        '16,16',
        '--json',
        '--backend',
        'cpu',
      ],
      { cwd: work },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(work, 'sg', 'regression', 'latent.json'))).toBe(true);
    const viaRegressor = await run('r.png', ['--set', 'latent=0.3']);
    expect(viaRegressor.stderr).toContain('--set goes through its value regressors');
    const er = await runCli(
      [
        'evaluate',
        '--model',
        'sg',
        '--method',
        'regression',
        '--compare',
        '--samples',
        '2',
        '--steps',
        '3',
        '--range-samples',
        '16',
        '--json',
        '--backend',
        'cpu',
      ],
      { cwd: work },
    );
    expect(er.code, er.stderr).toBe(0);
    const cmp = JSON.parse(er.stdout) as { method: string; attributes: object; metrics: { mig: unknown; realism?: unknown } };
    expect(cmp.method).toBe('regression');
    expect(Object.keys(cmp.attributes)).toEqual(['latent']);
    expect(cmp.metrics.mig).toBeNull(); // one attribute: no gap to measure
    expect(cmp.metrics.realism).toBeUndefined(); // no procedural dataset to compare with
    rmSync(join(work, 'sg', 'regression'), { recursive: true });
    // A corrupt file: a coded error naming the field, exit 1.
    const file = join(work, 'sg', 'directions.json');
    const json = JSON.parse(readFileSync(file, 'utf8')) as { directions: { model: { slope: number } }[] };
    json.directions[0].model.slope = -1;
    writeFileSync(file, JSON.stringify(json));
    const bad = await runCli(['generate', '--model', 'sg', '--shift', 'latent=+0.05', '--out', 'x.png', '--backend', 'cpu'], { cwd: work });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: corrupt directions: .*directions\[0\]\.model\.slope/m);
  });
});
