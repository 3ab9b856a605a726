#!/usr/bin/env node
// Project lint: enforces the rules a type checker cannot see.
//  - the dependency direction of DESIGN.md (a plugin never imports another plugin or the trainer;
//    stylegan2 and tensor-io stand alone, on the floor that errors and gradients own; libraries never import the CLI);
//  - every @gan-control import is declared in the importing package's package.json;
//  - no deep imports into a sibling's src/; no focused tests (`.only`) left behind;
//  - one test placement: tests live in the package's test/ folder, never beside the sources in src/;
//  - one import-specifier style: relative imports name the emitted file (`./x.js`, `./dir/index.js`);
//  - one leak check: tests never read tf.memory().numTensors themselves; they use expectNoLeaks /
//    trackTensors / trackPageTensors from @gan-control/test-utils.
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const pkgDir = resolve(process.argv[2] ?? '.');
const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
const declared = new Set([
  ...Object.keys(pkg.dependencies ?? {}),
  ...Object.keys(pkg.peerDependencies ?? {}),
  ...Object.keys(pkg.devDependencies ?? {}),
  ...Object.keys(pkg.optionalDependencies ?? {}),
]);
const forbidden = {
  // The floor: the one error class, and gradient registration.
  '@gan-control/errors': [/^@gan-control\//],
  '@gan-control/gradients': [/^@gan-control\/(?!errors$)/],
  '@gan-control/latent': [/^@gan-control\/(?!latent$|gradients$|errors$)/],
  '@gan-control/stylegan2': [/^@gan-control\/(?!stylegan2$|gradients$|errors$|tensor-io$|test-utils$)/],
  '@gan-control/tensor-io': [/^@gan-control\/(?!errors$)/],
  '@gan-control/backend': [/^@gan-control\/(?!gradients$|errors$|test-utils$)/],
  '@gan-control/contrastive-loss': [/^@gan-control\/(?!latent$|gradients$|errors$|test-utils$)/],
  // The trainer takes any dataset and any plugins from its caller; it imports no plugin or domain.
  '@gan-control/trainer': [/^@gan-control\/(attribute-|domain-|encoders$)/, /^gan-control$/],
};
const pluginRule = [
  /^@gan-control\/attribute-/,
  /^@gan-control\/domain-/,
  /^@gan-control\/trainer/,
  /^@gan-control\/encoders/,
  /^gan-control$/,
];
const rules = forbidden[pkg.name] ?? (pkg.name.startsWith('@gan-control/attribute-') ? pluginRule : [/^gan-control$/]);
// The one package whose tests may count tensors themselves: test-utils owns the shared leak check (and tests it).
const ownLeakCount = new Set(['@gan-control/test-utils']);

const problems = [];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (/\.(ts|mts|tsx|js|mjs)$/.test(name) && !name.endsWith('.d.ts')) check(p);
  }
}
function check(file) {
  // Imports in doc comments (@example blocks) are documentation, not dependencies.
  const text = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  const rel = relative(pkgDir, file);
  const isTest = /\.(test|bench)\.ts$/.test(file) || rel.startsWith('test');
  if (/\.test\.ts$/.test(file) && rel.startsWith('src')) problems.push(`${rel}: a test in src/; tests live in test/ (one placement)`);
  for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*)['"]([^'"]+)['"]/g)) {
    const spec = m[1];
    if (spec.startsWith('.') || spec.startsWith('node:')) {
      if (spec.startsWith('.') && !/\.(js|mjs|cjs|json|css|wasm)$/.test(spec))
        problems.push(`${rel}: relative import '${spec}' without its file extension; write '${spec}.js' (or '${spec}/index.js')`);
      if (/\.\.\/\.\.\/(packages|apps)\//.test(spec) || /^\.\.\/\.\.\/[a-z-]+\/src/.test(spec))
        problems.push(`${rel}: deep import '${spec}' into another package; import it by its package name`);
      continue;
    }
    const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
    if (name === pkg.name) continue;
    if (!isTest) {
      for (const r of rules)
        if (r.test(name)) problems.push(`${rel}: ${pkg.name} must not import '${name}' (dependency direction, DESIGN.md)`);
    }
    if (name.startsWith('@gan-control/') || name === 'gan-control') {
      if (!declared.has(name)) problems.push(`${rel}: imports '${name}' but package.json does not declare it`);
    }
  }
  if (isTest && /\b(it|test|describe)\.only\(/.test(text)) problems.push(`${rel}: focused test (.only) left in`);
  if (/^test[\\/]/.test(rel) && !ownLeakCount.has(pkg.name) && /\bnumTensors\b/.test(text))
    problems.push(`${rel}: reads numTensors; check leaks with expectNoLeaks or trackTensors from @gan-control/test-utils (one leak check)`);
}
if (existsSync(join(pkgDir, 'src'))) walk(join(pkgDir, 'src'));
if (existsSync(join(pkgDir, 'test'))) walk(join(pkgDir, 'test'));
if (problems.length) {
  console.error(`lint ${pkg.name}: ${problems.length} problem(s)\n  ` + problems.join('\n  '));
  process.exit(1);
}
console.log(`lint ${pkg.name}: ok`);
