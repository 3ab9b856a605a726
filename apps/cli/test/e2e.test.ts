// End to end: the built CLI (dist/cli.js from the real tsup config) run as a subprocess.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, emptyProject, runCli, tempProject } from './cli-harness.js';

const COMMANDS = ['demo', 'generate', 'evaluate', 'train', 'encoders', 'calibrate', 'refine', 'plugins', 'plugin', 'convert', 'inspect'];
const cleanup: string[] = [];

beforeAll(() => {
  buildCli();
});
afterAll(() => {
  for (const d of cleanup) rmSync(d, { recursive: true, force: true });
});

describe('help and usage', () => {
  it('prints help with an example for every command', async () => {
    const top = await runCli(['--help']);
    expect(top.code).toBe(0);
    for (const c of COMMANDS) expect(top.stdout).toContain(c);
    for (const c of COMMANDS) {
      const r = await runCli([c, '--help']);
      expect(r.code, c).toBe(0);
      expect(r.stdout, c).toMatch(/Examples:\n\s+gan-control /);
    }
  });

  it('exits 2 on an unknown command, an unknown flag and a missing argument', async () => {
    const cmd = await runCli(['frobnicate']);
    expect(cmd.code).toBe(2);
    expect(cmd.stderr).toMatch(/unknown command 'frobnicate'.*commands: demo, generate/);
    const flag = await runCli(['generate', '--frobnicate']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('Unknown option `--frobnicate`');
    const arg = await runCli(['inspect']);
    expect(arg.code).toBe(2);
    expect(arg.stderr).toContain('missing required args');
    const backend = await runCli(['generate', '--backend', 'gpu']);
    expect(backend.code).toBe(2);
    expect(backend.stderr).toContain('--backend must be one of auto, tensorflow, wasm, cpu');
    expect(backend.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('generate: argument errors', () => {
  it('a bad --set value exits 1 with one line and no stack', async () => {
    const r = await runCli(['generate', '--set', 'color.hue=red']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe("error: bad --set 'color.hue=red': 'red' is not a number; use for example --set color.hue=30");
  });

  it('--verbose adds the stack', async () => {
    const r = await runCli(['generate', '--set', 'color.hue=red', '--verbose']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\n\s+at /);
  });

  it('a bad --sweep range exits 1', async () => {
    const r = await runCli(['generate', '--sweep', 'color.hue=0:360']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("bad --sweep 'color.hue=0:360': the range must be <from>:<to>:<steps>");
  });

  it('a missing model file exits 1 naming the path', async () => {
    const dir = emptyProject();
    cleanup.push(dir);
    const r = await runCli(['generate', '--model', './no-such-model', '--out', 'x.png'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`model './no-such-model' not found: ${join(dir, 'no-such-model')} does not exist`);
  });

  it('an unwritable --out exits 1 before any work', async () => {
    const dir = emptyProject();
    cleanup.push(dir);
    writeFileSync(join(dir, 'a-file'), 'x');
    const r = await runCli(['generate', '--out', 'a-file/grid.png'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot write --out ${join(dir, 'a-file', 'grid.png')}: ${join(dir, 'a-file')} is a file, not a folder`);
  });
});

describe('plugins', () => {
  it('lists installed plugins from their manifests, as a table and as JSON', async () => {
    const dir = tempProject();
    cleanup.push(dir);
    const table = await runCli(['plugins'], { cwd: dir });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^color\s+@gan-control\/domain-shapes@\S+\s+hue \(deg\)$/m);
    const json = await runCli(['plugins', '--json'], { cwd: dir });
    expect(json.code).toBe(0);
    const list = JSON.parse(json.stdout) as { package: string; attributes: { name: string; values: { name: string; unit: string }[] }[] }[];
    const shapes = list.find((p) => p.package === '@gan-control/domain-shapes');
    expect(shapes?.attributes.map((a) => a.name)).toEqual(['color', 'position', 'size']);
  });

  it('says so when none are installed', async () => {
    const dir = emptyProject();
    cleanup.push(dir);
    const r = await runCli(['plugins'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('no attribute plugins installed');
  });
});

describe('plugin new', () => {
  it('scaffolds a package whose own test passes and that `plugins` lists', async () => {
    const dir = tempProject();
    cleanup.push(dir);
    const r = await runCli(['plugin', 'new', 'brightness'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const pkgDir = join(dir, 'gan-control-attribute-brightness');
    const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
    expect(pkg.ganControl.attributes[0].name).toBe('brightness');
    const out = execFileSync(process.execPath, ['--test', 'test/plugin.test.js'], {
      cwd: pkgDir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(out).toMatch(/# pass 5/);
    expect(out).toMatch(/# fail 0/);
    const again = await runCli(['plugin', 'new', 'brightness'], { cwd: dir });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('the folder is not empty');
    const bad = await runCli(['plugin', 'new', 'Bad Name'], { cwd: dir });
    expect(bad.code).toBe(2);
    const action = await runCli(['plugin', 'remove', 'x'], { cwd: dir });
    expect(action.code).toBe(2);
    expect(action.stderr).toContain("the only action is 'new'");
  });
});
