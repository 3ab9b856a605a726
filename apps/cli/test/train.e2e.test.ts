// `train` end to end: a preset, and a config naming a plugin scaffolded by `plugin new` (as generated).
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, pngSize, runCli, tempProject } from './cli-harness.js';

let project: string;

beforeAll(() => {
  buildCli();
  project = tempProject('gan-control-train-');
});
afterAll(() => rmSync(project, { recursive: true, force: true }));

/** A tiny 8 px run with one attribute (the scaffolded plugin) and an uncontrolled group. */
const config = {
  name: 'brightness-tiny',
  seed: 0,
  resolution: 8,
  batchSize: 4,
  latent: {
    groups: [
      { name: 'brightness', size: 4 },
      { name: 'other', size: 4, controlled: false },
    ],
  },
  attributes: [{ name: 'brightness', plugin: './gan-control-attribute-brightness', options: { latentSize: 4 } }],
  generator: { channelBase: 64, channelMax: 8, mappingLayers: 2, mappingHidden: 8, useNoise: false },
  discriminator: { channelBase: 64, channelMax: 8, mbstdGroupSize: 2 },
  r1Gamma: 0.01,
  totalKimg: 0.008,
  checkpointEvery: 8,
  grid: { rows: 1, cols: 2, seed: 1 },
  metricsEvery: 1,
  dataset: { kind: 'procedural', name: 'shapes', seed: 0, options: {} },
};

describe('train', () => {
  it('trains a config whose attribute is a freshly scaffolded plugin, then resumes', async () => {
    const scaffold = await runCli(['plugin', 'new', 'brightness'], { cwd: project });
    expect(scaffold.code, scaffold.stderr).toBe(0);
    writeFileSync(join(project, 'train.json'), JSON.stringify(config));
    const r = await runCli(['train', 'train.json', '--out', 'run', '--backend', 'cpu'], { cwd: project });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/trained 8 images .* \(2 steps\); model: .*run\/model/);
    const model = JSON.parse(readFileSync(join(project, 'run', 'model', 'model.json'), 'utf8')) as {
      attributes: { name: string; plugin: string }[];
    };
    expect(model.attributes).toEqual(
      [{ name: 'brightness', plugin: '../../gan-control-attribute-brightness', options: { latentSize: 4 } }].map((a) => ({
        ...a,
        plugin: a.plugin.replace(/^/, './'),
      })),
    );
    expect(pngSize(new Uint8Array(readFileSync(join(project, 'run', 'samples', 'latest.png'))))).toEqual({
      width: 2 * 10 + 2,
      height: 10 + 2,
    });
    const metrics = readFileSync(join(project, 'run', 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { contrastive: Record<string, number> });
    expect(Number.isFinite(metrics[metrics.length - 1].contrastive.brightness)).toBe(true);

    const again = await runCli(['train', 'train.json', '--out', 'run', '--backend', 'cpu'], { cwd: project });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already holds a training run; pass --resume');
    const resumed = await runCli(['train', 'train.json', '--out', 'run', '--resume', '--json', '--backend', 'cpu'], { cwd: project });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ images: 8, step: 2, finished: true });
    // The schedule may grow on resume; other config changes need --allow-config-change.
    const longer = await runCli(['train', 'train.json', '--out', 'run', '--resume', '--kimg', '0.012', '--json', '--backend', 'cpu'], {
      cwd: project,
    });
    expect(longer.code, longer.stderr).toBe(0);
    expect(JSON.parse(longer.stdout)).toMatchObject({ images: 12, step: 3, finished: true });
    writeFileSync(join(project, 'train.json'), JSON.stringify({ ...config, totalKimg: 0.012, r1Gamma: 0.02 }));
    const changed = await runCli(['train', 'train.json', '--out', 'run', '--resume', '--backend', 'cpu'], { cwd: project });
    expect(changed.code).toBe(1);
    expect(changed.stderr).toContain(
      'it was trained with a different config; use the same config, another --out, or --allow-config-change',
    );
    const allowed = await runCli(
      ['train', 'train.json', '--out', 'run', '--resume', '--allow-config-change', '--json', '--backend', 'cpu'],
      { cwd: project },
    );
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(JSON.parse(allowed.stdout)).toMatchObject({ images: 12, finished: true });
  });

  it('--minutes stops cleanly with exit 0 and a resume hint that keeps --r1-gamma, --lr and --clamp-output; a resumed override needs --allow-config-change', async () => {
    writeFileSync(join(project, 'long.json'), JSON.stringify({ ...config, totalKimg: 4 }));
    const r = await runCli(
      [
        'train',
        'long.json',
        '--out',
        'long',
        '--minutes',
        '0.001',
        '--r1-gamma',
        '0.05',
        '--lr',
        '0.001',
        '--clamp-output',
        '--backend',
        'cpu',
      ],
      { cwd: project },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /--minutes 0\.001: stopped after \d+ of 4000 images with a checkpoint; continue with: gan-control train long\.json --out long --resume --r1-gamma 0\.05 --lr 0\.001 --clamp-output/,
    );
    const ckpt = JSON.parse(readFileSync(join(project, 'long', 'checkpoints', 'latest.json'), 'utf8')) as {
      config?: { r1Gamma: number; optim: { gLr: number; dLr: number }; generator: { clampOutput: boolean } };
    };
    const saved =
      ckpt.config ??
      (JSON.parse(readFileSync(join(project, 'long', 'config.json'), 'utf8')) as {
        r1Gamma: number;
        optim: { gLr: number; dLr: number };
        generator: { clampOutput: boolean };
      });
    expect(saved).toMatchObject({ r1Gamma: 0.05, optim: { gLr: 0.001, dLr: 0.001 }, generator: { clampOutput: true } });
    // The exported model clamps its images as it was trained to.
    const exported = JSON.parse(readFileSync(join(project, 'long', 'model', 'model.json'), 'utf8')) as {
      generator: { synthesis: { clampOutput: boolean } };
    };
    expect(exported.generator.synthesis.clampOutput).toBe(true);
    const other = await runCli(
      ['train', 'long.json', '--out', 'long', '--resume', '--minutes', '0.001', '--r1-gamma', '0.5', '--backend', 'cpu'],
      { cwd: project },
    );
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('--allow-config-change');
    const bad = await runCli(['train', 'long.json', '--out', 'long2', '--lr', '-1'], { cwd: project });
    expect(bad.code).toBe(2);
  });

  it('config errors come by field path; unknown presets and plugins are listed', async () => {
    writeFileSync(
      join(project, 'bad.json'),
      JSON.stringify({ ...config, batchSize: 3, latent: { groups: [{ name: 'brightness', size: -1 }] } }),
    );
    const bad = await runCli(['train', 'bad.json'], { cwd: project });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: invalid training config \(.*bad\.json\): .*latent\.groups\[0\]\.size: /m);
    const preset = await runCli(['train', '--preset', 'nope'], { cwd: project });
    expect(preset.code).toBe(1);
    expect(preset.stderr).toMatch(/unknown preset 'nope'; presets: shapes-32, shapes-32-baseline, tiny-8/);
    writeFileSync(
      join(project, 'unknown.json'),
      JSON.stringify({
        ...config,
        latent: {
          groups: [
            { name: 'glow', size: 4 },
            { name: 'other', size: 4, controlled: false },
          ],
        },
        attributes: [{ name: 'glow' }],
      }),
    );
    const unknown = await runCli(['train', 'unknown.json', '--out', 'u'], { cwd: project });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(
      /unknown attribute plugin 'glow': .*installed: .*brightness|unknown attribute plugin 'glow': .*color, position, size \(@gan-control\/domain-shapes\)/,
    );
    expect(existsSync(join(project, 'u', 'checkpoints'))).toBe(false);
    const none = await runCli(['train'], { cwd: project });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('train needs a config file or --preset <name>');
  });
});
