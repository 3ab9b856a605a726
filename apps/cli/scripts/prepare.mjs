#!/usr/bin/env node
// Runs on `npm install` / `npm ci` in a clone (not for registry installs): builds dist/cli.js so
// `npx gan-control demo` works right after install. Declarations are skipped (that is `npm run
// build`). A failed build warns instead of failing the whole install.
import { fileURLToPath } from 'node:url';

process.chdir(fileURLToPath(new URL('..', import.meta.url)));
const started = Date.now();
try {
  const { build } = await import('tsup');
  await build({ dts: false, sourcemap: false, silent: true });
  console.log(`gan-control: built dist/cli.js in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} catch (err) {
  console.warn(`gan-control: could not build dist/cli.js (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); run 'npm run build -w gan-control' to see why`);
}
