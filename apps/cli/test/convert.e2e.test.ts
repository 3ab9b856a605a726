// convert / inspect / generate on official weights: the official GAN-Control generator from the
// shared fixture (testdata/), and a StyleGAN2-ADA-format generator written here with the library.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, pngSize, runCli, writeTinyNvidiaGenerator } from './cli-harness.js';

const testdata = resolve(import.meta.dirname, '..', 'testdata');
let work: string;

beforeAll(() => {
  buildCli();
  work = mkdtempSync(join(tmpdir(), 'gan-control-convert-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('convert', () => {
  it('imports an official GAN-Control generator + args.json; inspect and generate use it', async () => {
    const r = await runCli(
      [
        'convert',
        join(testdata, 'gan-control-official', 'G.safetensors'),
        '--args',
        join(testdata, 'gan-control-official', 'args.json'),
        '--attribute',
        'orientation=pose',
        '--out',
        'gc',
        '--backend',
        'cpu',
      ],
      { cwd: work },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('(32 px, groups id, orientation, age, other)');
    const info = await runCli(['inspect', 'gc', '--json'], { cwd: work });
    expect(info.code, info.stderr).toBe(0);
    const j = JSON.parse(info.stdout) as {
      kind: string;
      resolution: number;
      groups: { name: string; offset: number; size: number; controlled: boolean }[];
      attributes: { name: string; plugin: string }[];
    };
    expect(j.kind).toBe('gan-control-official');
    expect(j.resolution).toBe(32);
    expect(j.groups.map((g) => `${g.name}:${g.offset}+${g.size}:${g.controlled}`)).toEqual([
      'id:0+16:true',
      'orientation:16+16:true',
      'age:32+16:true',
      'other:48+16:false',
    ]);
    expect(j.attributes).toEqual([{ name: 'orientation', plugin: 'pose', options: {} }]);
    const g = await runCli(['generate', '--model', 'gc', '--count', '2', '--truncation', '0.7', '--out', 'gc.png', '--backend', 'cpu'], {
      cwd: work,
    });
    expect(g.code, g.stderr).toBe(0);
    expect(pngSize(new Uint8Array(readFileSync(join(work, 'gc.png'))))).toEqual({ width: 2 * 34 + 2, height: 34 + 2 }); // 2 images: a 1 × 2 grid
  });

  it('imports an official controller with --encoder; generate sets its values and refuses out-of-range ones', async () => {
    const official = join(testdata, 'gan-control-official');
    const r = await runCli(
      [
        'convert',
        join(official, 'G.safetensors'),
        '--args',
        join(official, 'args.json'),
        '--encoder',
        `orientation=${join(official, 'controller_orientation.pt')}`,
        '--out',
        'gc-enc',
        '--backend',
        'cpu',
      ],
      { cwd: work },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("encoder 'orientation' (yaw deg, pitch deg, roll deg)");
    const g = await runCli(
      [
        'generate',
        '--model',
        'gc-enc',
        '--set',
        'orientation.yaw=5',
        '--set',
        'orientation.pitch=0',
        '--set',
        'orientation.roll=-3',
        '--count',
        '2',
        '--out',
        'enc.png',
        '--backend',
        'cpu',
      ],
      { cwd: work },
    );
    expect(g.code, g.stderr).toBe(0);
    expect(pngSize(new Uint8Array(readFileSync(join(work, 'enc.png'))))).toEqual({ width: 2 * 34 + 2, height: 34 + 2 });
    const bad = await runCli(
      [
        'generate',
        '--model',
        'gc-enc',
        '--set',
        'orientation.yaw=500',
        '--set',
        'orientation.pitch=0',
        '--set',
        'orientation.roll=0',
        '--out',
        'bad.png',
        '--backend',
        'cpu',
      ],
      { cwd: work },
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('yaw = 500 deg (supported [-90, 90])');
    const noNames = await runCli(
      [
        'convert',
        join(official, 'G.safetensors'),
        '--args',
        join(official, 'args.json'),
        '--encoder',
        `id=${join(official, 'controller_orientation.pt')}`,
        '--out',
        'gc-id',
        '--backend',
        'cpu',
      ],
      { cwd: work },
    );
    expect(noNames.code).toBe(2);
    expect(noNames.stderr).toContain("name the controller's inputs for group 'id'");
  });

  it('imports a StyleGAN2-ADA generator state_dict + G_kwargs', async () => {
    writeTinyNvidiaGenerator(work); // G.safetensors + config.json (G_kwargs)
    const r = await runCli(['convert', 'G.safetensors', '--kwargs', 'config.json', '--out', 'sg', '--backend', 'cpu'], { cwd: work });
    expect(r.code, r.stderr).toBe(0);
    const g = await runCli(['generate', '--model', 'sg', '--seed', '4', '--out', 'sg.png', '--backend', 'cpu'], { cwd: work });
    expect(g.code, g.stderr).toBe(0);
    expect(pngSize(new Uint8Array(readFileSync(join(work, 'sg.png'))))).toEqual({ width: 8, height: 8 });
  });

  it('errors: missing --args, missing file, mismatched weights', async () => {
    const noArgs = await runCli(['convert', join(testdata, 'gan-control-official', 'G.safetensors')], { cwd: work });
    expect(noArgs.code).toBe(2);
    expect(noArgs.stderr).toContain('--args <args.json> for a GAN-Control generator, or --kwargs');
    const missing = await runCli(['convert', 'nope.pt', '--args', join(testdata, 'gan-control-official', 'args.json'), '--out', 'x'], {
      cwd: work,
    });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`checkpoint ${join(work, 'nope.pt')} does not exist`);
    const wrong = await runCli(
      ['convert', 'G.safetensors', '--args', join(testdata, 'gan-control-official', 'args.json'), '--out', 'y', '--backend', 'cpu'],
      { cwd: work },
    );
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^error: .*(missing|shape)/m);
    expect(wrong.stderr).not.toMatch(/\n\s+at /);
  });
});
