import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { defineConfig, type Options } from 'tsup';
import { getTsupConfig } from '../../scripts/tsup-config.mjs';

// The CLI ships as one self-contained bundle: the @gan-control/* workspace packages are compiled in
// from their sources (so `dist/cli.js` runs without building every package first), while npm
// dependencies (tfjs, sharp, zod, cac) stay external and load from node_modules.
const root = import.meta.dirname;
const repo = resolve(root, '../..');
const require = createRequire(import.meta.url);

function workspaceSource(spec: string): string | undefined {
  const m = /^@gan-control\/([^/]+)(?:\/(.+))?$/.exec(spec);
  if (!m) return undefined;
  const [, name, sub] = m;
  if (sub === 'package.json') return join(repo, 'packages', name, 'package.json');
  const file = join(repo, 'packages', name, 'src', `${sub ?? 'index'}.ts`);
  return existsSync(file) ? file : undefined;
}

const base = getTsupConfig({ root, entry: { cli: 'src/cli.ts', index: 'src/index.ts' }, dts: false });

export default defineConfig({
  ...base,
  // Commands load lazily: each command's module (and the libraries it pulls) is its own chunk.
  splitting: true,
  // Bundled workspace code imports tfjs-core's ESM gradient files (extension-less imports that
  // plain Node cannot load); they are compiled in too and register into tfjs's global registry.
  noExternal: [/^@gan-control\//, /^@tensorflow\/tfjs-core\/dist\//],
  external: [
    /^@tensorflow\/tfjs-core$/,
    /^@tensorflow\/tfjs-backend-(cpu|wasm)$/,
    /^@tensorflow\/tfjs-node(-gpu)?$/,
    'zod',
    'cac',
    'sharp',
    /^@vladmandic\//,
  ],
  banner: { js: '#!/usr/bin/env node' },
  dts: { entry: { index: 'src/index.ts' } },
  // The end-to-end tests build into their own folder (no declarations) so they never race a real build.
  ...(process.env.GAN_CONTROL_CLI_OUT_DIR ? { outDir: process.env.GAN_CONTROL_CLI_OUT_DIR, dts: false, sourcemap: false } : {}),
  esbuildPlugins: [
    {
      name: 'gan-control-sources',
      setup(build) {
        build.onResolve({ filter: /^@gan-control\// }, (args) => {
          const file = workspaceSource(args.path);
          return file ? { path: file } : undefined;
        });
        // @gan-control/backend finds its native addon and build scripts relative to its own module
        // (import.meta.url). Compiled into the CLI, that would point into the CLI's dist; point it
        // at the installed @gan-control/backend package instead (its package.json is in `exports`).
        build.onLoad({ filter: /[\\/]packages[\\/]backend[\\/]src[\\/].*\.ts$/ }, async (args) => {
          const source = await readFile(args.path, 'utf8');
          if (!source.includes('import.meta.url')) return undefined;
          const prelude =
            "import { createRequire as __ganCreateRequire } from 'node:module';\n" +
            "import { pathToFileURL as __ganPathToFileURL } from 'node:url';\n" +
            "const __ganBackendUrl = __ganPathToFileURL(__ganCreateRequire(import.meta.url).resolve('@gan-control/backend/package.json')).href;\n";
          return { contents: prelude + source.replaceAll('import.meta.url', '__ganBackendUrl'), loader: 'ts' };
        });
        build.onResolve({ filter: /^@tensorflow\/tfjs-core\/dist\// }, (args) => ({
          path: require.resolve(args.path.endsWith('.js') ? args.path : `${args.path}.js`),
        }));
      },
    },
  ],
} satisfies Options);
