// The inference path is isomorphic (DESIGN.md "Node and browser"): the main entry of every library
// package bundles for a browser with no Node built-in and no native module. Node-only code (file
// writing, sharp, the native addon) lives behind `/node` entries, which this test does not bundle.
// `@gan-control/backend` (native addon, wasm files from disk) and `@gan-control/trainer` (training
// runs on disk) are Node-only packages; private packages (this one) are not published.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../../..');
const NODE_ONLY = new Set(['@gan-control/backend', '@gan-control/trainer']);
/** Native modules (and packages that load one) that a browser cannot run. */
const NATIVE = [/^sharp(\/|$)/, /^canvas(\/|$)/, /^@tensorflow\/tfjs-node/, /\.node$/];
const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

interface Pkg {
  readonly name: string;
  readonly dir: string;
}

const packages: Pkg[] = readdirSync(join(root, 'packages'))
  .map((d) => join(root, 'packages', d))
  .filter((dir) => existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src/index.ts')))
  .map((dir) => ({ dir, pkg: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string; private?: boolean } }))
  .filter(({ pkg }) => !pkg.private && !NODE_ONLY.has(pkg.name))
  .map(({ dir, pkg }) => ({ name: pkg.name, dir }));

/** Resolves `@gan-control/x[/sub]` to the workspace sources, as the vitest aliases do. */
function workspaceSources(): Plugin {
  return {
    name: 'gan-control-sources',
    setup(b) {
      b.onResolve({ filter: /^@gan-control\// }, (args) => {
        const [, name, sub] = /^@gan-control\/([^/]+)(?:\/(.+))?$/.exec(args.path)!;
        return { path: join(root, 'packages', name, 'src', `${sub ?? 'index'}.ts`) };
      });
    },
  };
}

/** Records every Node built-in or native module the bundle imports, and keeps bundling. */
function forbidden(found: string[]): Plugin {
  return {
    name: 'node-only-imports',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (BUILTINS.has(args.path) || args.path.startsWith('node:') || NATIVE.some((re) => re.test(args.path))) {
          found.push(`${args.path} (imported by ${relative(root, args.importer)})`);
          return { path: args.path, external: true };
        }
        return undefined;
      });
    },
  };
}

async function nodeOnlyImports(entry: string): Promise<string[]> {
  const found: string[] = [];
  await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    platform: 'browser',
    format: 'esm',
    logLevel: 'silent',
    // Peer dependencies the application provides (tfjs-core runs in browsers; zod is pure JS).
    external: ['@tensorflow/*', 'zod'],
    plugins: [workspaceSources(), forbidden(found)],
  });
  return [...new Set(found)].sort();
}

describe('browser bundle of each library main entry', () => {
  it('finds the library packages', () => {
    expect(packages.map((p) => p.name)).toContain('@gan-control/stylegan2');
  });

  it.each(packages)('$name bundles for the browser without Node built-ins or native modules', async ({ dir }) => {
    const imports = await nodeOnlyImports(join(dir, 'src/index.ts'));
    expect(imports, `Node-only imports in the main entry (move them behind the package's /node entry):\n${imports.join('\n')}`).toEqual([]);
  });
});
