/**
 * Builds the studio: a static page (dist/) that runs a model folder in the browser.
 *
 * - The libraries come from their public main entries, read from source (`@gan-control/x` →
 *   packages/x/src/index.ts, as in the root vitest config), so the app builds from a fresh clone
 *   without their dist/ and always matches the checkout.
 * - The bundled shapes model (packages/domain-shapes/model: model.json, generator weights,
 *   encoders) and tfjs-backend-wasm's .wasm files are copied into the build as static files
 *   (`dist/model/`, `dist/tfjs-wasm/`), so the page works offline and nothing is duplicated in git.
 *   The dev server serves the same paths from those folders.
 */
import { cpSync, createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { createRequire } from 'node:module';
import { defineConfig, type Plugin } from 'vite';

const here = import.meta.dirname;
const root = resolve(here, '../..');
const require = createRequire(import.meta.url);

/** Model files the page reads; images and READMEs of the model folder are not shipped. */
export const MODEL_FILE = /^(model\.json|[^/]+\.safetensors|encoders\/[^/]+\.(json|safetensors))$/;
const bundledModel = resolve(root, 'packages/domain-shapes/model');
const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')) + '/dist';

function sourceAliases(): { find: RegExp; replacement: string }[] {
  const alias: { find: RegExp; replacement: string }[] = [];
  for (const name of readdirSync(join(root, 'packages'))) {
    const pkgFile = join(root, 'packages', name, 'package.json');
    if (!existsSync(pkgFile)) continue;
    const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { name: string };
    const src = resolve(root, 'packages', name, 'src');
    const esc = pkg.name.replace(/[/\\^$*+?.()|[\]{}]/g, '\\$&');
    alias.push({ find: new RegExp(`^${esc}$`), replacement: `${src}/index.ts` });
  }
  return alias;
}

/** Static folders of the app: URL prefix → folder and the files of it that are served. */
const statics = [
  { prefix: 'model/', dir: bundledModel, keep: (rel: string) => MODEL_FILE.test(rel) },
  // The threaded build is never used (see src/backend.ts): SIMD, and plain wasm for browsers without SIMD.
  { prefix: 'tfjs-wasm/', dir: wasmDir, keep: (rel: string) => rel.endsWith('.wasm') && !rel.includes('threaded') },
];

const TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.safetensors': 'application/octet-stream',
};

function listFiles(dir: string, base = dir): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? listFiles(p, base) : [relative(base, p).split(sep).join('/')];
  });
}

function staticFiles(): Plugin {
  let outDir = '';
  return {
    name: 'gan-control-studio:static-files',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const path = decodeURIComponent((req.url ?? '').split('?')[0]).replace(/^\//, '');
        for (const s of statics) {
          if (!path.startsWith(s.prefix)) continue;
          const rel = path.slice(s.prefix.length);
          if (!s.keep(rel) || rel.split('/').includes('..')) break;
          const file = join(s.dir, rel);
          if (!existsSync(file)) break;
          res.setHeader('Content-Type', TYPES[extname(file)] ?? 'application/octet-stream');
          createReadStream(file).pipe(res);
          return;
        }
        next();
      });
    },
    writeBundle() {
      for (const s of statics) {
        for (const rel of listFiles(s.dir).filter(s.keep)) {
          const dest = join(outDir, s.prefix, rel);
          mkdirSync(dirname(dest), { recursive: true });
          cpSync(join(s.dir, rel), dest);
        }
      }
    },
  };
}

export default defineConfig({
  root: here,
  base: './',
  resolve: { alias: sourceAliases() },
  plugins: [staticFiles()],
  // The projection worker (src/project-worker.ts) imports the backends lazily, as the page does:
  // an ES-module worker keeps those chunks split.
  worker: { format: 'es' },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 4096 },
});
