// End to end on a tiny model made in the test: encoders → generate (--set, --sweep, folders) →
// evaluate --json, and the model error cases. Runs the built CLI as a subprocess.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSafetensors } from '@gan-control/tensor-io';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, pngSize, runCli } from './cli-harness.js';
import { TINY_RESOLUTION, writeTinyModel } from './tiny-model.js';

let work: string;
let model: string;
const R = TINY_RESOLUTION;
/** A grid of rows × cols R-px images with tensor-io's 2-px padding. */
const gridSize = (rows: number, cols: number) => ({ width: cols * (R + 2) + 2, height: rows * (R + 2) + 2 });

async function expectPng(path: string, size: { width: number; height: number }) {
  const bytes = new Uint8Array(readFileSync(path));
  expect(pngSize(bytes)).toEqual(size);
  const { info, data } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
  expect([info.width, info.height, info.channels]).toEqual([size.width, size.height, 3]);
  expect(data.length).toBe(size.width * size.height * 3);
}

beforeAll(async () => {
  buildCli();
  work = mkdtempSync(join(tmpdir(), 'gan-control-model-e2e-'));
  model = join(work, 'tiny');
  await writeTinyModel(model);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('on a tiny model', () => {
  it('encoders: samples pairs, trains one encoder per attribute, reports JSON', async () => {
    const r = await runCli(
      [
        'encoders',
        '--model',
        model,
        '--samples',
        '64',
        '--epochs',
        '2',
        '--hidden',
        '16',
        '--batch',
        '32',
        '--refine',
        '2',
        '--calibrate',
        '1',
        '--calibrate-samples',
        '2',
        '--json',
        '--backend',
        'cpu',
      ],
      { cwd: work },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^backend: cpu \(requested cpu/m);
    const report = JSON.parse(r.stdout) as {
      encoders: string;
      attributes: Record<
        string,
        {
          valError: number;
          baselineValError: number;
          refine: { steps: number; seams: (number | null)[]; cycleAfter: number };
          calibration: { errorBefore: number[]; errorAfter: number[]; images: number };
        }
      >;
    };
    expect(Object.keys(report.attributes).sort()).toEqual(['color', 'position', 'size']);
    for (const a of Object.values(report.attributes)) {
      expect(Number.isFinite(a.valError)).toBe(true);
      expect(a.refine).toMatchObject({ steps: 2 });
      expect(Number.isFinite(a.refine.cycleAfter)).toBe(true);
      expect(a.calibration.errorAfter.every(Number.isFinite)).toBe(true);
    }
    // The hue (circular) got a seam; position and size (linear) none.
    expect(typeof report.attributes.color.refine.seams[0]).toBe('number');
    expect(report.attributes.position.refine.seams).toEqual([null, null]);
    expect(report.attributes.position.calibration.images).toBe(2 * 24 * 2 * 2); // 2 values × 24 knots × 2 images × 2 passes
    const saved = JSON.parse(readFileSync(join(model, 'encoders', 'color.json'), 'utf8')) as {
      calibration: { method: string; columns: { knots: number[] }[] };
    };
    expect(saved.calibration.method).toBe('input-offset');
    expect(saved.calibration.columns[0].knots).toHaveLength(24);
    expect(readdirSync(join(model, 'encoders')).sort()).toEqual([
      'color.json',
      'color.safetensors',
      'position.json',
      'position.safetensors',
      'size.json',
      'size.safetensors',
    ]);
    const again = await runCli(['encoders', '--model', model, '--samples', '64', '--backend', 'cpu'], { cwd: work });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already holds an encoder dataset; pass --resume');
  });

  it('calibrate refits the calibration of existing encoders and saves it', async () => {
    const before = JSON.parse(readFileSync(join(model, 'encoders', 'size.json'), 'utf8')) as { calibration: { fit: { seed: number } } };
    expect(before.calibration.fit.seed).toBe(0);
    const r = await runCli(
      ['calibrate', '--model', model, '--passes', '1', '--samples', '2', '--seed', '3', '--json', '--backend', 'cpu'],
      { cwd: work },
    );
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { attributes: Record<string, { errorBefore: number[]; errorAfter: number[] }> };
    expect(Object.keys(report.attributes).sort()).toEqual(['color', 'position', 'size']);
    const after = JSON.parse(readFileSync(join(model, 'encoders', 'size.json'), 'utf8')) as {
      calibration: { fit: { seed: number; iterations: number } };
    };
    expect(after.calibration.fit).toMatchObject({ seed: 3, iterations: 1 });
    const bundled = await runCli(['calibrate', '--model', 'shapes'], { cwd: work });
    expect(bundled.code).toBe(1);
    expect(bundled.stderr).toContain("the bundled model 'shapes' is calibrated already");
  });

  it('refine refines existing encoders through the generator, recalibrates and saves them', async () => {
    const before = JSON.parse(readFileSync(join(model, 'encoders', 'color.json'), 'utf8')) as { values: { seam?: number }[] };
    const seam = before.values[0].seam; // from the encoders test above
    const r = await runCli(
      [
        'refine',
        '--model',
        model,
        '--steps',
        '3',
        '--only',
        'size',
        '--calibrate',
        '1',
        '--calibrate-samples',
        '2',
        '--seed',
        '4',
        '--json',
        '--backend',
        'cpu',
      ],
      { cwd: work },
    );
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      attributes: Record<
        string,
        { refine: { steps: number; cycleBefore: number; cycleAfter: number }; calibration: { errorAfter: number[] } }
      >;
    };
    expect(Object.keys(report.attributes)).toEqual(['size']);
    expect(report.attributes.size.refine.steps).toBe(3);
    expect(Number.isFinite(report.attributes.size.refine.cycleBefore)).toBe(true);
    const size = JSON.parse(readFileSync(join(model, 'encoders', 'size.json'), 'utf8')) as { calibration: { fit: { seed: number } } };
    expect(size.calibration.fit.seed).toBe(4);
    // The other encoders were left as they were.
    const color = JSON.parse(readFileSync(join(model, 'encoders', 'color.json'), 'utf8')) as { values: { seam?: number }[] };
    expect(color.values[0].seam).toBe(seam);
    const unknown = await runCli(['refine', '--model', model, '--only', 'age', '--backend', 'cpu'], { cwd: work });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/age/);
    const bundled = await runCli(['refine', '--model', 'shapes'], { cwd: work });
    expect(bundled.code).toBe(1);
    expect(bundled.stderr).toContain("the bundled model 'shapes' is refined already");
  });

  it('generate --set writes one PNG of the model resolution, and a grid for --count', async () => {
    const one = await runCli(
      [
        'generate',
        '--model',
        model,
        '--set',
        'color.hue=120',
        '--set',
        'size=0.3',
        '--extrapolate',
        '--out',
        'one.png',
        '--backend',
        'cpu',
      ],
      { cwd: work },
    );
    expect(one.code, one.stderr).toBe(0);
    await expectPng(join(work, 'one.png'), { width: R, height: R });
    const row = await runCli(
      ['generate', '--model', model, '--set', 'position.x=8', '--count', '3', '--seed', '5', '--out', 'row.png', '--backend', 'cpu'],
      { cwd: work },
    );
    expect(row.code, row.stderr).toBe(0);
    await expectPng(join(work, 'row.png'), gridSize(2, 2));
  });

  it('generate --sweep writes a grid: a row per seed, a column per value', async () => {
    const r = await runCli(
      [
        'generate',
        '--model',
        model,
        '--sweep',
        'color.hue=0:240:4',
        '--count',
        '2',
        '--keep',
        'other',
        '--out',
        'sweep.png',
        '--backend',
        'cpu',
      ],
      { cwd: work },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('2 × 4 grid');
    expect(r.stdout).toContain('color.hue=0, color.hue=80, color.hue=160, color.hue=240');
    await expectPng(join(work, 'sweep.png'), gridSize(2, 4));
  });

  it('generate into a folder writes one PNG per image', async () => {
    const r = await runCli(
      ['generate', '--model', model, '--sweep', 'size=0.2:0.4:2', '--count', '2', '--extrapolate', '--out', 'frames', '--backend', 'cpu'],
      { cwd: work },
    );
    expect(r.code, r.stderr).toBe(0);
    const files = readdirSync(join(work, 'frames')).sort();
    expect(files).toEqual(['seed0-row0-size=0.2.png', 'seed0-row0-size=0.4.png', 'seed0-row1-size=0.2.png', 'seed0-row1-size=0.4.png']);
    for (const f of files) await expectPng(join(work, 'frames', f), { width: R, height: R });
  });

  it('--backend auto says which backend it chose and why; the same seed gives the same image', async () => {
    const a = await runCli(['generate', '--model', model, '--set', 'color.hue=200', '--seed', '9', '--out', 'a.png'], { cwd: work });
    expect(a.code, a.stderr).toBe(0);
    expect(a.stderr).toMatch(/^backend: (tensorflow|wasm|cpu) \(auto: .*using (tensorflow|wasm|cpu)/m);
    const b = await runCli(['generate', '--model', model, '--set', 'color.hue=200', '--seed', '9', '--out', 'b.png'], { cwd: work });
    expect(readFileSync(join(work, 'a.png')).equals(readFileSync(join(work, 'b.png')))).toBe(true);
  });

  it('evaluate --json prints the precision report as valid JSON', async () => {
    const r = await runCli(
      ['evaluate', '--model', model, '--json', '--samples', '2', '--steps', '3', '--range-samples', '8', '--backend', 'cpu'],
      { cwd: work },
    );
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as Record<
      string,
      { unit: string; range: [number, number]; meanError: number; p90Error: number; leakage: Record<string, number> }
    >;
    expect(Object.keys(report).sort()).toEqual(['color', 'position', 'size']);
    expect(report.color.unit).toBe('deg');
    for (const a of Object.values(report)) {
      expect(a.range).toHaveLength(2);
      expect(Number.isFinite(a.meanError)).toBe(true);
      expect(a.p90Error).toBeGreaterThanOrEqual(0);
      expect(Object.keys(a.leakage).length).toBe(2);
    }
  });

  it('evaluate prints a table and writes grids with --out', async () => {
    const r = await runCli(
      ['evaluate', '--model', model, '--samples', '2', '--steps', '2', '--range-samples', '8', '--out', 'eval', '--backend', 'cpu'],
      { cwd: work },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^attribute\s+unit\s+range\s+mean err/m);
    expect(r.stdout).toMatch(/^color\s+deg/m);
    expect(readdirSync(join(work, 'eval')).filter((f) => f.endsWith('.png')).length).toBe(3);
  });
});

describe('inspect and demo on the tiny model', () => {
  it('inspect prints resolution, groups, attributes and encoders (and --json)', async () => {
    const r = await runCli(['inspect', model], { cwd: work });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^generator\s+stylegan2, 16×16 px, z 16, w 16; generator\.safetensors: \d+ tensors/m);
    expect(r.stdout).toMatch(/^position\s+\[4, 8\)\s+yes$/m);
    expect(r.stdout).toMatch(/^other\s+\[12, 16\)\s+no$/m);
    expect(r.stdout).toMatch(/^color\s+hue deg \[0, 360\] seam [\d.]+\s.*\s+yes$/m); // refined (a seam) and calibrated by the encoders test above
    const j = await runCli(['inspect', model, '--json'], { cwd: work });
    const info = JSON.parse(j.stdout) as {
      resolution: number;
      groups: unknown[];
      attributes: { name: string }[];
      encoders: { attribute: string; calibrated: boolean }[];
    };
    expect(info.encoders.every((e) => e.calibrated)).toBe(true);
    expect(info.resolution).toBe(R);
    expect(info.groups).toHaveLength(4);
    expect(info.attributes.map((a) => a.name)).toEqual(['color', 'position', 'size']);
    expect(info.encoders.map((e) => e.attribute).sort()).toEqual(['color', 'position', 'size']);
  });

  it('demo writes a sweep grid per attribute value and the precision table', async () => {
    const r = await runCli(['demo', '--model', model, '--out', 'demo', '--backend', 'cpu'], { cwd: work });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^attribute\s+unit\s+range\s+mean err/m);
    const files = readdirSync(join(work, 'demo')).sort();
    expect(files).toEqual(['precision.json', 'sweep-color.png', 'sweep-position.x.png', 'sweep-position.y.png', 'sweep-size.png']);
    for (const f of files.filter((x) => x.endsWith('.png'))) await expectPng(join(work, 'demo', f), gridSize(4, 6));
    expect(Object.keys(JSON.parse(readFileSync(join(work, 'demo', 'precision.json'), 'utf8'))).sort()).toEqual([
      'color',
      'position',
      'size',
    ]);
    expect(r.stdout).toContain(join(work, 'demo', 'sweep-color.png'));
  });
});

describe('model errors', () => {
  it('a value outside the trained range is refused with the range (unless --extrapolate)', async () => {
    const r = await runCli(['generate', '--model', model, '--set', 'size=-5', '--out', 'x.png', '--backend', 'cpu'], { cwd: work });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error: value out of range: 'size': size = -5 fraction \(supported \[[-\d.]+, [-\d.]+\]\): .*or pass --extrapolate/m,
    );
  });

  it('an unknown attribute or value lists what the model controls', async () => {
    const attr = await runCli(['generate', '--model', model, '--set', 'age=60', '--out', 'x.png', '--backend', 'cpu'], { cwd: work });
    expect(attr.code).toBe(1);
    expect(attr.stderr).toMatch(
      /unknown attribute 'age' in --set: model .* controls color \(hue in deg\); position \(x in px, y in px\); size \(size in fraction\)/,
    );
    const field = await runCli(['generate', '--model', model, '--sweep', 'position.z=0:1:2', '--out', 'x.png', '--backend', 'cpu'], {
      cwd: work,
    });
    expect(field.code).toBe(1);
    expect(field.stderr).toContain("unknown value 'position.z' in --sweep: 'position' has x, y");
    const keep = await runCli(['generate', '--model', model, '--keep', 'hair', '--out', 'x.png', '--backend', 'cpu'], { cwd: work });
    expect(keep.code).toBe(1);
    expect(keep.stderr).toContain("unknown latent group 'hair' in --keep");
  });

  it('a corrupt checkpoint exits 1 naming the file', async () => {
    const broken = join(work, 'broken');
    cpSync(model, broken, { recursive: true });
    const weights = join(broken, 'generator.safetensors');
    writeFileSync(weights, readFileSync(weights).subarray(0, 100));
    const r = await runCli(['generate', '--model', broken, '--out', 'x.png', '--backend', 'cpu'], { cwd: work });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error: corrupt model: .*broken\/generator\.safetensors is a truncated safetensors file \(its header runs past the end of the file\)/m,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
    // A readable file with other tensors than the ones written: model.json's checksum names the file.
    writeFileSync(weights, writeSafetensors({ 'mapping.nope': { shape: [2], data: new Float32Array(2) } }));
    const changed = await runCli(['generate', '--model', broken, '--out', 'x.png', '--backend', 'cpu'], { cwd: work });
    expect(changed.code).toBe(1);
    expect(changed.stderr).toMatch(
      /^error: corrupt model .*broken: .*broken\/generator\.safetensors does not match the checksum model\.json records for it/m,
    );
    // Without checksums (a folder written before them), the tensors are checked by name when assigned.
    const manifest = JSON.parse(readFileSync(join(broken, 'model.json'), 'utf8')) as Record<string, unknown>;
    delete manifest.files;
    writeFileSync(join(broken, 'model.json'), JSON.stringify(manifest));
    const wrong = await runCli(['generate', '--model', broken, '--out', 'x.png', '--backend', 'cpu'], { cwd: work });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(
      /^error: corrupt model .*broken: .*broken\/generator\.safetensors: the tensors do not match the configured network\. .*not used \(1\): mapping\.nope/m,
    );
    writeFileSync(join(broken, 'model.json'), '{ "format": "gan-control-model", ');
    const json = await runCli(['generate', '--model', broken, '--out', 'x.png', '--backend', 'cpu'], { cwd: work });
    expect(json.code).toBe(1);
    expect(json.stderr).toMatch(/corrupt model .*model\.json: not valid JSON/);
    writeFileSync(
      join(broken, 'model.json'),
      JSON.stringify({
        format: 'gan-control-model',
        version: 1,
        generator: { zDim: 16, wDim: 16, resolution: 16 },
        attributes: [{ options: {} }],
      }),
    );
    const field = await runCli(['inspect', broken], { cwd: work });
    expect(field.code).toBe(1);
    expect(field.stderr).toMatch(/invalid model .*model\.json: attributes\[0\]\.name: /);
    expect(existsSync(join(work, 'x.png'))).toBe(false);
  });
});
