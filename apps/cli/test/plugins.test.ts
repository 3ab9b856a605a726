import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listInstalledPlugins, loadPlugin, resolvePlugin } from '../src/plugins.js';

const PLUGIN_JS = (name: string) =>
  `export const ${name.replace(/-/g, '_')} = { name: '${name}', version: '1.0.0', apiVersion: 1, options: { safeParse: (x) => ({ success: true, data: x }) }, async setup() { return {}; } };\n`;

let project: string;

function pkg(dir: string, json: Record<string, unknown>, files: Record<string, string> = {}) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify(json));
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
}

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'cli-plugins-'));
  const nm = join(project, 'node_modules');
  pkg(
    join(nm, '@gan-control', 'attribute-glow'),
    {
      name: '@gan-control/attribute-glow',
      version: '0.2.0',
      type: 'module',
      exports: { '.': { types: './x.d.ts', import: './index.js' } },
      ganControl: { attributes: [{ name: 'glow', values: [{ name: 'level', unit: 'lux' }] }] },
    },
    { 'index.js': `${PLUGIN_JS('glow')}export default glow;\n` },
  );
  pkg(
    join(nm, 'shapes-domain'),
    {
      name: 'shapes-domain',
      version: '1.0.0',
      type: 'module',
      main: 'main.js',
      ganControl: {
        attributes: [
          { name: 'hue', values: [{ name: 'hue', unit: 'deg' }] },
          { name: 'size', values: [] },
        ],
      },
    },
    { 'main.js': `${PLUGIN_JS('hue')}${PLUGIN_JS('size')}export default [hue, size];\n` },
  );
  pkg(join(nm, 'broken-plugin'), { name: 'broken-plugin', version: '1.0.0', ganControl: { attributes: [{ values: [] }] } });
  pkg(join(nm, 'unbuilt-plugin'), {
    name: 'unbuilt-plugin',
    version: '1.0.0',
    exports: './dist/index.js',
    ganControl: { attributes: [{ name: 'unbuilt' }] },
  });
  pkg(join(nm, 'not-a-plugin'), { name: 'not-a-plugin', version: '1.0.0' });
  pkg(
    join(nm, 'fake-plugin'),
    { name: 'fake-plugin', version: '1.0.0', type: 'module', ganControl: { attributes: [{ name: 'fake' }] } },
    { 'index.js': 'export default { name: 42 };\n' },
  );
  pkg(
    join(project, 'local-plugin'),
    { name: 'local-plugin', version: '0.0.1', type: 'module', ganControl: { attributes: [{ name: 'local' }] } },
    { 'index.js': `${PLUGIN_JS('local')}export default local;\n` },
  );
});
afterAll(() => rmSync(project, { recursive: true, force: true }));

describe('listInstalledPlugins', () => {
  it('reads manifests only, flags invalid ones by field path', () => {
    const list = listInstalledPlugins(join(project, 'local-plugin'));
    expect(list.map((p) => p.packageName)).toEqual([
      '@gan-control/attribute-glow',
      'broken-plugin',
      'fake-plugin',
      'shapes-domain',
      'unbuilt-plugin',
    ]);
    const glow = list.find((p) => p.packageName === '@gan-control/attribute-glow')!;
    expect(glow.manifest?.attributes[0]).toMatchObject({ name: 'glow', values: [{ name: 'level', unit: 'lux' }] });
    expect(list.find((p) => p.packageName === 'broken-plugin')!.problem).toMatch(/attributes\[0\]\.name: /);
  });
});

describe('resolvePlugin and loadPlugin', () => {
  it('short name → @gan-control/attribute-<name>', async () => {
    const r = resolvePlugin('glow', project);
    expect(r.source).toBe('@gan-control/attribute-glow');
    expect(r.entry).toBe(join(project, 'node_modules', '@gan-control', 'attribute-glow', 'index.js'));
    expect((await loadPlugin(r)).name).toBe('glow');
  });

  it('full package name, and an attribute of a multi-attribute package (default export list)', async () => {
    expect((await loadPlugin(resolvePlugin('@gan-control/attribute-glow', project))).name).toBe('glow');
    const size = resolvePlugin('size', project);
    expect(size.source).toBe('shapes-domain');
    expect((await loadPlugin(size)).name).toBe('size');
    expect((await loadPlugin(resolvePlugin('shapes-domain:hue', project))).name).toBe('hue');
  });

  it('local path (folder with package.json)', async () => {
    const r = resolvePlugin('./local-plugin', project);
    expect((await loadPlugin(r)).name).toBe('local');
  });

  it('unknown names list what is installed', () => {
    expect(() => resolvePlugin('pose', project)).toThrow(
      /unknown attribute plugin 'pose': not found as @gan-control\/attribute-pose, gan-control-attribute-pose, pose from .*installed: glow \(@gan-control\/attribute-glow\).*hue, size \(shapes-domain\)/,
    );
    expect(() => resolvePlugin('./nope', project)).toThrow(/attribute plugin '\.\/nope': .* does not exist/);
  });

  it('unbuilt packages, invalid manifests and non-plugins get clear errors', async () => {
    await expect(loadPlugin(resolvePlugin('unbuilt-plugin', project))).rejects.toThrow(
      /entry file .*dist\/index\.js does not exist; build the package first/,
    );
    expect(() => resolvePlugin('broken-plugin', project)).toThrow(/invalid "ganControl" field in package.json: attributes\[0\]\.name/);
    await expect(loadPlugin(resolvePlugin('fake-plugin', project))).rejects.toThrow(
      /the default export is not an attribute plugin named 'fake'/,
    );
  });
});
