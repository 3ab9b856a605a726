import { createRequire } from 'node:module';
import { defineConfig } from 'tsup';
import { getTsupConfig } from '../../scripts/tsup-config.mjs';

// tfjs-core's stock gradient files (`@tensorflow/tfjs-core/dist/…`, ESM with extension-less
// imports) are compiled into dist here, once, at build time; tfjs-core itself stays external.
const require = createRequire(import.meta.url);
const base = getTsupConfig({ root: import.meta.dirname });

export default defineConfig({
  ...base,
  platform: 'neutral',
  external: [/^@tensorflow\/tfjs-core$/],
  noExternal: [/^@tensorflow\/tfjs-core\/dist\//],
  esbuildPlugins: [
    {
      name: 'tfjs-core-dist-extensions',
      setup(build) {
        build.onResolve({ filter: /^@tensorflow\/tfjs-core\/dist\// }, (args) => ({
          path: require.resolve(args.path.endsWith('.js') ? args.path : `${args.path}.js`),
        }));
      },
    },
  ],
});
