import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { color, position, size } from '../src/index.js';

it("each plugin's version is the package.json version", () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  for (const plugin of [color, position, size]) expect(plugin.version, plugin.name).toBe(pkg.version);
});
