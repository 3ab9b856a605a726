import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

// Tests import sibling packages from source: `@gan-control/x` -> packages/x/src/index.ts,
// and `@gan-control/x/sub` -> packages/x/src/sub.ts, so `npm test` never needs a build.
const root = import.meta.dirname;
const alias: { find: RegExp; replacement: string }[] = [];
for (const dir of ['packages', 'apps']) {
  for (const name of readdirSync(join(root, dir))) {
    const pkgFile = join(root, dir, name, 'package.json');
    if (!existsSync(pkgFile)) continue;
    const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'));
    const src = resolve(root, dir, name, 'src');
    const esc = pkg.name.replace(/[/\\^$*+?.()|[\]{}]/g, '\\$&');
    alias.push({ find: new RegExp(`^${esc}/(.+)$`), replacement: `${src}/$1.ts` });
    alias.push({ find: new RegExp(`^${esc}$`), replacement: `${src}/index.ts` });
  }
}

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts'],
    setupFiles: [resolve(root, 'vitest.setup.ts')],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
