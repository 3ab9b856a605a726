// The command line as a user types it: values cac would misread never reach a command as something else.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeTinyModel } from './tiny-model.js';
import { main } from '../src/main.js';

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    cwd: process.cwd(),
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
}

describe('main', () => {
  it('a negative number is a value, not a flag: the value check says what is wrong', async () => {
    const r = await run(['generate', '--count', '-3']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("error: --count must be an integer from 1 to 4096, got '-3'\n");
    const t = await run(['generate', '--truncation', '-.5']);
    expect(t.stderr).toBe("error: --truncation must be a number from 0 to 1, got '-0.5'\n");
  });

  it("--plugin is accepted by every command that measures with a model's plugins", async () => {
    for (const command of [
      ['generate'],
      ['evaluate'],
      ['demo'],
      ['encoders'],
      ['calibrate'],
      ['refine'],
      ['invert', 'in.png'],
      ['edit', 'in.png', '--set', 'color.hue=1'],
    ]) {
      const r = await run([...command, '--model', 'nowhere', '--plugin', 'color=./x.mjs']);
      expect(r.stderr, command[0]).not.toMatch(/Unknown option/i);
      expect(r.stderr, command[0]).toMatch(/^error: model 'nowhere' not found/);
    }
  });

  it('an empty --out is a usage error, not a folder named 0', async () => {
    const r = await run(['generate', '--out', '']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: --out was given an empty value; give it a value\n');
    const eq = await run(['demo', '--out=']);
    expect(eq.code).toBe(2);
    expect(eq.stderr).toMatch(/^error: option `--out <dir>` value is missing/);
  });

  it.skipIf(!existsSync('/proc/self'))(
    'an --out (or --dir) that cannot be created fails at once in generate, demo, evaluate, train, plugin new and encoders --data',
    async () => {
      for (const argv of [
        ['generate', '--out', '/proc/forbidden/a.png'],
        ['demo', '--out', '/proc/forbidden/demo'],
        ['evaluate', '--out', '/proc/forbidden/grids'],
        ['train', '--preset', 'tiny-8', '--out', '/proc/forbidden/run'],
        ['plugin', 'new', 'glow', '--dir', '/proc/forbidden/glow'],
        ['encoders', '--model', 'nowhere', '--data', '/proc/forbidden/pairs'],
      ]) {
        const r = await run(argv);
        expect(r.code, argv.join(' ')).toBe(1);
        expect(r.stderr).toMatch(
          /^error: cannot write --(out|dir|data) \/proc\/forbidden\/\S+: (cannot create a folder in \/proc|\/proc is not writable)/,
        );
      }
    },
    30_000,
  );

  it('evaluate on a model folder whose model.json names a plugin file imports nothing and says why', async () => {
    const work = mkdtempSync(join(tmpdir(), 'cli-main-untrusted-'));
    try {
      const dir = join(work, 'downloaded');
      await writeTinyModel(dir);
      const marker = join(work, 'ran');
      writeFileSync(join(dir, 'x.mjs'), `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'ran');\n`);
      const manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { attributes: { name: string; plugin?: string }[] };
      manifest.attributes[0].plugin = './x.mjs';
      writeFileSync(join(dir, 'model.json'), JSON.stringify(manifest));
      const r = await run(['evaluate', '--model', dir, '--backend', 'cpu']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        `error: ${join(dir, 'model.json')}: attribute 'color' names the plugin './x.mjs', which is a path, not an installed package`,
      );
      expect(existsSync(marker)).toBe(false);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 60_000);

  it('generate with a model naming a plugin file: a full --set needs no plugin; a partial one loads only the plugin of its own attribute, and says how to need none', async () => {
    const work = mkdtempSync(join(tmpdir(), 'cli-main-partial-'));
    try {
      const dir = join(work, 'shapes');
      cpSync(resolve(import.meta.dirname, '../../../packages/domain-shapes/model'), dir, { recursive: true });
      const marker = join(work, 'ran');
      writeFileSync(join(dir, 'x.mjs'), `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'ran');\n`);
      const manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { attributes: { name: string; plugin?: string }[] };
      manifest.attributes.find((a) => a.name === 'position')!.plugin = './x.mjs';
      writeFileSync(join(dir, 'model.json'), JSON.stringify(manifest));
      const partial = await run(['generate', '--model', dir, '--set', 'position.x=10', '--out', join(work, 'p.png'), '--backend', 'cpu']);
      expect(partial.code).toBe(1);
      expect(partial.stderr).toContain("names the plugin './x.mjs', which is a path");
      expect(partial.stderr).toContain(
        'or give every value of each attribute you set (generate measures the ones a --set leaves out), and no plugin is needed',
      );
      const full = await run([
        'generate',
        '--model',
        dir,
        '--set',
        'position.x=10',
        '--set',
        'position.y=12',
        '--out',
        join(work, 'f.png'),
        '--backend',
        'cpu',
      ]);
      expect(full.code, full.stderr).toBe(0);
      expect(existsSync(join(work, 'f.png'))).toBe(true);
      // Only the partially set attribute's plugin is needed: a path named for color does not stop a partial --set of position.
      manifest.attributes.find((a) => a.name === 'position')!.plugin = undefined;
      manifest.attributes.find((a) => a.name === 'color')!.plugin = './x.mjs';
      writeFileSync(join(dir, 'model.json'), JSON.stringify(manifest));
      const other = await run(['generate', '--model', dir, '--set', 'position.x=10', '--out', join(work, 'o.png'), '--backend', 'cpu']);
      expect(other.code, other.stderr).toBe(0);
      expect(existsSync(marker)).toBe(false);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 120_000);
});
