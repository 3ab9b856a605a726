import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import plugin from '../src/index.js';

it("the plugin's version is its package.json version", () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  expect(plugin.version).toBe(pkg.version);
});
