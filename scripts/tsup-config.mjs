// One build configuration for every package: a tsup.config.ts only names its entry points.
// Changing the build tool (or its options) is a change to this file alone.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * @param {{ entry?: string[] | Record<string,string>, root: string, banner?: string, dts?: boolean }} opts
 * @returns {import('tsup').Options}
 */
export function getTsupConfig({ entry = ['src/index.ts'], root, banner, dts = true }) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const external = [
    ...Object.keys(pkg.dependencies ?? {}),
    ...Object.keys(pkg.peerDependencies ?? {}),
    ...Object.keys(pkg.optionalDependencies ?? {}),
    /^@tensorflow\//,
    /^@gan-control\//,
  ];
  return {
    entry,
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    sourcemap: true,
    clean: true,
    // A package with a Node-only entry beside its main one (`./node`) shares its modules through a
    // chunk, so both entries see one copy of each class (`instanceof` holds across them).
    splitting: (Array.isArray(entry) ? entry.length : Object.keys(entry).length) > 1,
    treeshake: true,
    external,
    // Declarations resolve sibling packages through their published types, not their sources.
    dts: dts ? { compilerOptions: { paths: {}, baseUrl: '.', composite: false } } : false,
    banner: banner ? { js: banner } : undefined,
    outDir: 'dist',
  };
}
