import { readFileSync } from 'node:fs';

/**
 * The CLI's version, read from its package.json (one folder up from both src/ and dist/), so a
 * changesets release needs no second edit.
 */
export const VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
