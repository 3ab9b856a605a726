// The trust model of a model folder: it names no code to run and no file outside itself, and its weights are finite.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readSafetensors, writeSafetensors } from '@gan-control/tensor-io';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectCommand, inspectModel } from '../src/commands/inspect.js';
import type { Context } from '../src/context.js';
import { writeTinyModel } from './tiny-model.js';
import { checkEncoderFiles, loadModel, loadModelAttributes, readModelManifest, type ModelManifest } from '../src/model.js';

let work: string;
let project: string;
let marker: string;

/** A plugin file whose import leaves a marker file (so a test sees whether it ran), and whose setup fails with a code. */
const evilPlugin = (markerFile: string) =>
  `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(markerFile)}, 'imported');\n` +
  `export default { name: 'color', version: '1.0.0', apiVersion: 1, options: { safeParse: (x) => ({ success: true, data: x }) }, async setup() { throw Object.assign(new Error('setup reached'), { code: 'TEST_SETUP_REACHED' }); } };\n`;

const ctx = (plugins?: Map<string, string>): Context => ({
  cwd: project,
  out: () => {},
  info: () => {},
  isTTY: false,
  verbose: false,
  backend: 'cpu',
  plugins,
});

function modelFolder(name: string, manifest: Record<string, unknown>): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'model.json'),
    JSON.stringify({ format: 'gan-control-model', version: 1, generator: { zDim: 4, wDim: 4, resolution: 8 }, ...manifest }),
  );
  return dir;
}

const model = (dir: string, attributes: { name: string; plugin?: string }[]) => ({
  dir,
  label: dir,
  manifest: { attributes: attributes.map((a) => ({ ...a, options: {} })) } as unknown as ModelManifest,
});

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'cli-model-trust-'));
  project = join(work, 'project');
  marker = join(work, 'ran');
  // An installed package that is not an attribute-plugin package (no "ganControl" field), whose import would run.
  const pkg = join(project, 'node_modules', 'not-a-plugin');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'not-a-plugin', version: '1.0.0', type: 'module', main: 'index.js' }));
  writeFileSync(join(pkg, 'index.js'), evilPlugin(marker));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('plugins named by a model folder', () => {
  it('a path, an absolute path or a file URL in model.json is never imported: a coded error says why', async () => {
    const dir = modelFolder('evil', {});
    writeFileSync(join(dir, 'x.mjs'), evilPlugin(marker));
    for (const plugin of ['./x.mjs', join(dir, 'x.mjs'), pathToFileURL(join(dir, 'x.mjs')).href, '../evil/x.mjs']) {
      const err = await loadModelAttributes(model(dir, [{ name: 'color', plugin }]), ctx()).catch((e: unknown) => e);
      expect(err, plugin).toMatchObject({ code: 'CLI_PLUGIN_UNTRUSTED' });
      expect((err as Error).message).toContain(`attribute 'color' names the plugin '${plugin}'`);
      expect((err as Error).message).toContain('a model folder may only name installed plugin packages');
      expect((err as Error).message).toContain('--plugin color=');
      expect(existsSync(marker)).toBe(false);
    }
    // A bare file name reads as a package name: looked up in node_modules only, not in the folder.
    await expect(loadModelAttributes(model(dir, [{ name: 'color', plugin: 'x.mjs' }]), ctx())).rejects.toMatchObject({
      code: 'CLI_PLUGIN_NOT_FOUND',
    });
    expect(existsSync(marker)).toBe(false);
  });

  it('an installed package that is not an attribute-plugin package is not imported either', async () => {
    const dir = modelFolder('names-package', {});
    const err = await loadModelAttributes(model(dir, [{ name: 'color', plugin: 'not-a-plugin' }]), ctx()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CLI_PLUGIN_UNTRUSTED' });
    expect((err as Error).message).toContain('without a "ganControl" field');
    expect(existsSync(marker)).toBe(false);
  });

  it('a plugin package shipped inside the model folder (its own node_modules) is not imported, even run from inside it', async () => {
    const dir = modelFolder('ships-node-modules', {});
    const pkg = join(dir, 'node_modules', 'gan-control-attribute-color');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(
      join(pkg, 'package.json'),
      JSON.stringify({
        name: 'gan-control-attribute-color',
        version: '1.0.0',
        type: 'module',
        main: 'index.js',
        ganControl: { attributes: [{ name: 'color' }] },
      }),
    );
    writeFileSync(join(pkg, 'index.js'), evilPlugin(marker));
    const err = await loadModelAttributes(model(dir, [{ name: 'color' }]), { ...ctx(), cwd: dir }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'CLI_PLUGIN_UNTRUSTED',
      message: expect.stringContaining('inside the model folder itself (a node_modules that came with it)'),
    });
    expect(existsSync(marker)).toBe(false);
  });

  it('a plugin file runs only when the user names it with --plugin', async () => {
    const dir = modelFolder('trusted', {});
    writeFileSync(join(dir, 'x.mjs'), evilPlugin(marker));
    const err = await loadModelAttributes(
      model(dir, [{ name: 'color', plugin: './x.mjs' }]),
      ctx(new Map([['color', join(dir, 'x.mjs')]])),
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TEST_SETUP_REACHED' });
    expect(existsSync(marker)).toBe(true);
    rmSync(marker);
    await expect(loadModelAttributes(model(dir, [{ name: 'color' }]), ctx(new Map([['colour', './x.mjs']])))).rejects.toMatchObject({
      code: 'CLI_UNKNOWN_ATTRIBUTE',
      message: expect.stringContaining("has no attribute 'colour'; its attributes are color"),
    });
  });
});

describe('inspect', () => {
  it('shows a plugin path in model.json as not loaded', async () => {
    const dir = join(work, 'inspect-path');
    await writeTinyModel(dir);
    const file = join(dir, 'model.json');
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as { attributes: { name: string; plugin?: string }[] };
    manifest.attributes[0].plugin = './x.mjs';
    writeFileSync(file, JSON.stringify(manifest));
    const lines: string[] = [];
    await inspectCommand([dir], {}, { ...ctx(), out: (l) => lines.push(l) });
    const table = lines.join('\n');
    expect(table).toContain('./x.mjs (a path: not loaded; name a plugin with --plugin color=…)');
    expect(table).toMatch(/position +position /);
  });
});

describe('file names in a model folder stay inside it', () => {
  it('model.json weights and encoders: no absolute path, no .., no link out of the folder', () => {
    writeFileSync(join(work, 'secret'), 'secret bytes');
    for (const [weights, why] of [
      ['../secret', "leaves the folder ('..')"],
      ['a/../../secret', "leaves the folder ('..')"],
      ['/etc/passwd', 'is an absolute path'],
    ] as const) {
      const dir = modelFolder('w', { weights });
      expect(() => readModelManifest(dir), weights).toThrow(
        expect.objectContaining({ code: 'CLI_MODEL_UNSAFE_PATH', message: expect.stringContaining(`"weights" '${weights}' ${why}`) }),
      );
    }
    const linked = modelFolder('linked', {});
    symlinkSync(join(work, 'secret'), join(linked, 'generator.safetensors'));
    expect(() => readModelManifest(linked)).toThrow(
      expect.objectContaining({
        code: 'CLI_MODEL_UNSAFE_PATH',
        message: expect.stringContaining(`is a link to ${join(work, 'secret')}, outside the folder`),
      }),
    );
    const linkedJson = join(work, 'linked-json');
    mkdirSync(linkedJson);
    symlinkSync(join(work, 'secret'), join(linkedJson, 'model.json'));
    const err = (() => {
      try {
        readModelManifest(linkedJson);
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toMatchObject({
      code: 'CLI_MODEL_UNSAFE_PATH',
      message: expect.stringContaining(`model.json 'model.json' is a link to ${join(work, 'secret')}, outside the folder`),
    });
    expect(err?.message).not.toContain('secret bytes');
    const enc = modelFolder('enc', { encoders: '../project' });
    expect(() => readModelManifest(enc)).toThrow(
      expect.objectContaining({ code: 'CLI_MODEL_UNSAFE_PATH', message: expect.stringContaining(`"encoders" '../project'`) }),
    );
    // Inside the folder is fine, links included.
    const ok = modelFolder('ok', { weights: 'weights/g.safetensors' });
    mkdirSync(join(ok, 'weights'));
    symlinkSync(join(ok, 'weights'), join(ok, 'alias'));
    expect(readModelManifest(ok).manifest.weights).toBe('weights/g.safetensors');
  });

  it('an attribute named __proto__ (or constructor, prototype) is refused by field path', () => {
    const dir = modelFolder('proto', { attributes: [{ name: 'color' }, { name: '__proto__' }] });
    expect(() => readModelManifest(dir)).toThrow(
      expect.objectContaining({
        code: 'CLI_MODEL_CORRUPT',
        message: expect.stringContaining('attributes[1].name: __proto__, constructor and prototype are reserved names'),
      }),
    );
  });

  it("an encoder JSON's weights stay inside the encoders folder", () => {
    const dir = join(work, 'encoders-out');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'hue.json'), JSON.stringify({ format: 'gan-control-encoder', weights: 'hue.safetensors' }));
    expect(() => checkEncoderFiles(dir)).not.toThrow();
    writeFileSync(join(dir, 'hue.safetensors'), 'root:x:0:0:root:/root:/bin/bash\n');
    expect(() => checkEncoderFiles(dir)).toThrow(
      expect.objectContaining({
        code: 'CLI_MODEL_CORRUPT',
        message: expect.stringContaining('hue.safetensors are not a safetensors file'),
      }),
    );
    writeFileSync(join(dir, 'hue.safetensors'), writeSafetensors({ a: { dtype: 'F32', shape: [2], data: new Float32Array(2) } } as never));
    expect(() => checkEncoderFiles(dir)).not.toThrow();
    writeFileSync(join(dir, 'size.json'), JSON.stringify({ format: 'gan-control-encoder', weights: '../../secret' }));
    expect(() => checkEncoderFiles(dir)).toThrow(
      expect.objectContaining({
        code: 'CLI_MODEL_UNSAFE_PATH',
        message: expect.stringContaining(`"weights" '../../secret' leaves the folder`),
      }),
    );
  });

  it('a truncated encoder JSON is an error naming the file, not skipped silently', () => {
    const dir = join(work, 'encoders-truncated');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'hue.json'), '{"format": "gan-control-encoder", "weig');
    expect(() => checkEncoderFiles(dir)).toThrow(
      expect.objectContaining({
        code: 'CLI_MODEL_CORRUPT',
        message: expect.stringContaining(`corrupt encoder ${join(dir, 'hue.json')}: not valid JSON`),
      }),
    );
  });

  it('weights that are not safetensors are a clear error that does not print the file as a number', async () => {
    const dir = modelFolder('text-weights', {});
    const text = 'root:x:0:0:root:/root:/bin/bash\n';
    writeFileSync(join(dir, 'generator.safetensors'), text);
    const n = new DataView(new TextEncoder().encode(text).buffer).getBigUint64(0, true);
    const err = await inspectModel(dir, work).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CLI_MODEL_CORRUPT', message: expect.stringContaining('is not a safetensors file') });
    expect((err as Error).message).not.toContain(String(n));
    // A real safetensors file cut short is called truncated, still without numbers from the file.
    writeFileSync(
      join(dir, 'generator.safetensors'),
      writeSafetensors({ a: { dtype: 'F32', shape: [64], data: new Float32Array(64) } } as never).subarray(0, 40),
    );
    await expect(inspectModel(dir, work)).rejects.toMatchObject({
      message: expect.stringContaining('is a truncated safetensors file (its header runs past the end of the file)'),
    });
  });
});

describe('weights are checked on load', () => {
  it('a NaN in the generator weights is CLI_MODEL_CORRUPT naming the file and tensor', async () => {
    const dir = join(work, 'nan-model');
    await writeTinyModel(dir);
    const file = join(dir, 'generator.safetensors');
    const { tensors } = readSafetensors(new Uint8Array(readFileSync(file)));
    const name = Object.keys(tensors).find((k) => (tensors[k].data as Float32Array).length > 3)!;
    const data = Float32Array.from(tensors[name].data as Float32Array);
    data[3] = Number.NaN;
    writeFileSync(file, writeSafetensors({ ...tensors, [name]: { ...tensors[name], data } } as never));
    // The changed file no longer matches its checksum: that is reported first, naming the file.
    await expect(loadModel({ path: dir, label: 'nan-model' })).rejects.toMatchObject({
      code: 'CLI_MODEL_CORRUPT',
      message: expect.stringContaining(`corrupt model ${dir}: ${file} does not match the checksum model.json records for it`),
    });
    // A folder written before checksums existed: the NaN itself is found.
    const manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as Record<string, unknown>;
    delete manifest.files;
    writeFileSync(join(dir, 'model.json'), JSON.stringify(manifest));
    await expect(loadModel({ path: dir, label: 'nan-model' })).rejects.toMatchObject({
      code: 'CLI_MODEL_CORRUPT',
      message: `corrupt model ${dir}: ${file}: tensor '${name}' holds NaN (element 3); the weights are damaged or come from a diverged run; restore the file or re-export the model`,
    });
  });
});
