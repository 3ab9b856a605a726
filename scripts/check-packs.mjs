#!/usr/bin/env node
// `npm run check:packs`: the packages as a user outside the monorepo gets them.
//  1. packs every workspace (`npm run pack`: build, then `npm pack` into packs/);
//  2. checks each tarball: every file its package.json `exports`/`main`/`types`/`bin` names is in it;
//  3. in an empty folder, installs the CLI's tarballs and runs `npx gan-control demo`, then type-checks
//     an import of every export path of every installed package (types resolve from the tarballs);
//  4. in another empty folder, installs only the core, the latent package, @gan-control/gradients,
//     @gan-control/errors and
//     one plugin (plus tfjs-core, tfjs-backend-cpu, zod) and differentiates the factorized contrastive
//     loss of a plugin written in plain Node ESM with respect to the images — no other import.
// Needs the npm registry (for tfjs, zod, sharp); takes about a minute on 2 cores.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const packs = join(root, 'packs');
const sh = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });

rmSync(packs, { recursive: true, force: true });
sh('npm', ['run', 'pack', '--silent'], root);

// 2. Entry points resolve inside each tarball.
const problems = [];
const tarballs = new Map();
for (const file of readdirSync(packs).filter((f) => f.endsWith('.tgz'))) {
  const listing = new Set(
    sh('tar', ['tzf', join(packs, file)], root)
      .split('\n')
      .map((l) => l.replace(/^package\//, '')),
  );
  const pkg = JSON.parse(sh('tar', ['xzOf', join(packs, file), 'package/package.json'], root));
  tarballs.set(pkg.name, join(packs, file));
  const named = [];
  const walk = (v) => (typeof v === 'string' ? named.push(v) : v && typeof v === 'object' && Object.values(v).forEach(walk));
  walk(pkg.exports);
  walk(pkg.bin);
  for (const f of [pkg.main, pkg.types]) if (f) named.push(f);
  for (const f of named) {
    const rel = f.replace(/^\.\//, '');
    if (!listing.has(rel)) problems.push(`${pkg.name}: ${f} (named in package.json) is not in ${file}`);
  }
}
if (problems.length) {
  console.error(`check-packs: ${problems.length} problem(s)\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`check-packs: ${tarballs.size} tarballs, every entry point present`);

const install = (dir, names, extra = []) => {
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'empty-project', private: true, type: 'module' }));
  sh('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...names.map((n) => tarballs.get(n)), ...extra], dir);
};
const work = mkdtempSync(join(tmpdir(), 'gan-control-packs-'));
try {
  // 3. The CLI from tarballs in an empty project.
  const cliDir = join(work, 'cli');
  sh('mkdir', ['-p', cliDir], root);
  const cliPkg = JSON.parse(sh('tar', ['xzOf', tarballs.get('gan-control'), 'package/package.json'], root));
  const needed = new Set(['gan-control']);
  for (let grew = true; grew;) {
    grew = false;
    for (const name of [...needed]) {
      const pkg = name === 'gan-control' ? cliPkg : JSON.parse(sh('tar', ['xzOf', tarballs.get(name), 'package/package.json'], root));
      for (const dep of Object.keys({ ...pkg.dependencies, ...(name === 'gan-control' ? {} : pkg.peerDependencies) })) {
        if (tarballs.has(dep) && !needed.has(dep)) {
          needed.add(dep);
          grew = true;
        }
      }
    }
  }
  install(cliDir, [...needed]);
  const demo = sh('npx', ['gan-control', 'demo', '--out', 'demo'], cliDir);
  for (const f of ['sweep-color.png', 'precision.json']) {
    if (!existsSync(join(cliDir, 'demo', f))) throw new Error(`gan-control demo (installed from tarballs) did not write demo/${f}`);
  }
  console.log(
    `check-packs: gan-control demo from ${needed.size} tarballs in an empty project:\n${demo.split('\n').slice(0, 8).join('\n')}`,
  );

  // 3b. Types resolve from the tarballs: a TypeScript consumer imports every export path of every
  // installed package (main entry and subpaths such as `/node`) under Node's ESM resolution.
  const lines = [];
  let n = 0;
  for (const name of [...needed].sort()) {
    const pkg = JSON.parse(readFileSync(join(cliDir, 'node_modules', name, 'package.json'), 'utf8'));
    const subpaths =
      pkg.exports && typeof pkg.exports === 'object'
        ? Object.keys(pkg.exports).filter((k) => k.startsWith('.') && !k.endsWith('.json'))
        : ['.'];
    for (const sub of subpaths) {
      const spec = sub === '.' ? name : `${name}/${sub.replace(/^\.\//, '')}`;
      lines.push(`import * as m${n} from '${spec}';`, `export const k${n} = Object.keys(m${n}).length;`);
      n++;
    }
  }
  writeFileSync(join(cliDir, 'types.mts'), `${lines.join('\n')}\n`);
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const compilerOptions = {
    noEmit: true,
    strict: true,
    skipLibCheck: true,
    module: 'nodenext',
    moduleResolution: 'nodenext',
    target: 'es2022',
    types: [],
  };
  writeFileSync(join(cliDir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['types.mts'] }));
  sh(process.execPath, [tsc, '-p', 'tsconfig.json'], cliDir);
  console.log(`check-packs: the types of ${n} export paths of ${needed.size} packages resolve from the tarballs (tsc, nodenext)`);

  // 4. One plugin with the core alone: tf.grad of the loss in plain Node ESM.
  const pluginDir = join(work, 'plugin');
  sh('mkdir', ['-p', pluginDir], root);
  install(
    pluginDir,
    ['@gan-control/contrastive-loss', '@gan-control/latent', '@gan-control/errors', '@gan-control/gradients', '@gan-control/domain-shapes'],
    ['@tensorflow/tfjs-core@^4.22.0', '@tensorflow/tfjs-backend-cpu@^4.22.0', 'zod@^4'],
  );
  writeFileSync(join(pluginDir, 'grad.mjs'), readFileSync(join(import.meta.dirname, 'check-packs-grad.mjs'), 'utf8'));
  const out = sh(process.execPath, ['grad.mjs'], pluginDir);
  console.log(`check-packs: a plain-Node plugin differentiates through the core: ${out.trim()}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
