/**
 * `gan-control plugin new <name>`: writes a complete attribute-plugin package (plain ESM JavaScript
 * with JSDoc types, so it runs and tests without a build step): zod options, a differentiable
 * `embed`, a distance, thresholds, `measure` with named values and units, the `ganControl`
 * manifest the CLI lists, a passing `node --test` suite and a README.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CliError, usageError } from './errors.js';
import { ensureOut, prepareOut } from './output.js';

const PACKAGE_NAME = /^(@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/;
const ATTRIBUTE_NAME = /^[a-z][a-z0-9-]*$/;

/** Names derived from what the user typed. */
export interface ScaffoldNames {
  packageName: string;
  attribute: string;
  dirName: string;
}

/**
 * `brightness` → package `gan-control-attribute-brightness`, attribute `brightness`;
 * `@me/attribute-glow` → package `@me/attribute-glow`, attribute `glow`.
 *
 * @example
 * scaffoldNames('brightness').packageName; // 'gan-control-attribute-brightness'
 */
export function scaffoldNames(input: string): ScaffoldNames {
  if (!PACKAGE_NAME.test(input)) {
    throw usageError(
      `plugin name '${input}' is not a valid npm package name (lower case letters, digits, '-', optional @scope/); try for example 'gan-control plugin new brightness'`,
    );
  }
  const base = input.includes('/') ? input.split('/')[1] : input;
  const attribute = base.replace(/^gan-control-attribute-/, '').replace(/^attribute-/, '');
  if (!ATTRIBUTE_NAME.test(attribute)) {
    throw usageError(
      `plugin name '${input}' gives the attribute name '${attribute}', which must start with a letter and use only a-z, 0-9 and '-'`,
    );
  }
  const packageName = input.includes('/') || input.startsWith('gan-control-attribute-') ? input : `gan-control-attribute-${input}`;
  return { packageName, attribute, dirName: packageName.includes('/') ? packageName.split('/')[1] : packageName };
}

function camel(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** The files of a new plugin package, by relative path. */
export function scaffoldFiles({ packageName, attribute }: ScaffoldNames): Record<string, string> {
  const factory = `${camel(attribute)}Plugin`;
  const pkg = {
    name: packageName,
    version: '0.1.0',
    description: `gan-control attribute plugin '${attribute}': mean colour of the image centre (replace embed/measure with your own network)`,
    license: 'Apache-2.0',
    type: 'module',
    sideEffects: false,
    exports: { '.': { types: './src/index.d.ts', import: './src/index.js' }, './package.json': './package.json' },
    main: './src/index.js',
    types: './src/index.d.ts',
    files: ['src', 'README.md'],
    keywords: ['gan-control', 'gan-control-plugin', 'attribute'],
    scripts: { test: 'node --test test/plugin.test.js' },
    engines: { node: '>=20.19' },
    ganControl: {
      attributes: [
        {
          name: attribute,
          description: 'mean colour of the image centre',
          values: [
            { name: 'red', unit: 'fraction' },
            { name: 'green', unit: 'fraction' },
            { name: 'blue', unit: 'fraction' },
          ],
        },
      ],
    },
    peerDependencies: { '@tensorflow/tfjs-core': '^4.22.0', zod: '^4.0.0' },
    devDependencies: {
      '@gan-control/gradients': '^0.1.0',
      '@tensorflow/tfjs-core': '^4.22.0',
      '@tensorflow/tfjs-backend-cpu': '^4.22.0',
      zod: '^4.0.0',
    },
  };

  const index = `// @ts-check
/**
 * ${packageName}: the gan-control attribute plugin '${attribute}'.
 *
 * M_k here is the mean RGB colour of the image centre: differentiable, no weights, a working
 * starting point. Replace \`embed\` (the network whose features the contrastive loss compares) and
 * \`measure\` (the human-readable values the encoders learn to set) with your own.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';

/** The attribute name: the latent group it controls, and its name on the command line. */
export const NAME = ${JSON.stringify(attribute)};

/** Names, units and ranges of the columns \`measure\` returns (kept in sync with package.json "ganControl"). */
export const VALUES = [
  { name: 'red', unit: 'fraction', range: /** @type {[number, number]} */ ([0, 1]) },
  { name: 'green', unit: 'fraction', range: /** @type {[number, number]} */ ([0, 1]) },
  { name: 'blue', unit: 'fraction', range: /** @type {[number, number]} */ ([0, 1]) },
];

/** Options, validated by the core's createAttribute (errors name the field). */
export const optionsSchema = z
  .strictObject({
    /** Size of this attribute's latent sub-vector. */
    latentSize: z.number().int().positive().default(8),
    /** Fraction of the image side kept around the centre before averaging. */
    crop: z.number().gt(0).max(1).default(1),
    /** τ+: pairs that share this attribute's sub-vector are pushed below it (l1-mean distance). */
    tauPlus: z.number().nonnegative().default(0.05),
    /** τ−: all other pairs are pushed above it. */
    tauMinus: z.number().nonnegative().default(0.3),
    /** λ: weight of this attribute's contrastive term. */
    weight: z.number().nonnegative().default(1),
  })
  .refine((o) => o.tauPlus < o.tauMinus, { message: 'tauPlus must be smaller than tauMinus', path: ['tauPlus'] });

/**
 * Keeps the central \`crop\` fraction of NHWC images.
 * @param {tf.Tensor4D} images
 * @param {number} crop
 * @returns {tf.Tensor4D}
 */
function centre(images, crop) {
  if (crop === 1) return images;
  const [, h, w] = images.shape;
  const ch = Math.max(1, Math.round(h * crop));
  const cw = Math.max(1, Math.round(w * crop));
  return tf.slice(images, [0, Math.floor((h - ch) / 2), Math.floor((w - cw) / 2), 0], [-1, ch, cw, -1]);
}

/**
 * @param {tf.Tensor4D} images
 * @param {string} where
 */
function checkImages(images, where) {
  if (images.rank !== 4 || images.shape[3] !== 3) {
    throw new Error(\`attribute plugin '\${NAME}' \${where}: expected NHWC RGB images [B, H, W, 3] in [-1, 1], got shape [\${images.shape.join(', ')}]\`);
  }
}

/**
 * The plugin factory. The package's default export is \`${factory}()\`.
 *
 * @example
 * import * as tf from '@tensorflow/tfjs-core';
 * import plugin from '${packageName}';
 * const attribute = await plugin.setup(plugin.options.parse({}));
 * const y = attribute.measure(tf.zeros([1, 32, 32, 3])); // [[0.5, 0.5, 0.5]]
 */
export function ${factory}() {
  return {
    name: NAME,
    version: '0.1.0',
    /** @type {1} */
    apiVersion: 1,
    options: optionsSchema,
    description: 'mean colour of the image centre',
    /** @param {z.output<typeof optionsSchema>} options */
    async setup(options) {
      return {
        name: NAME,
        latentSize: options.latentSize,
        /** Features: mean colour in [-1, 1], [B, 3]. Synchronous and differentiable. @param {tf.Tensor4D} images */
        embed(images) {
          checkImages(images, 'embed');
          return tf.tidy(() => tf.mean(centre(images, options.crop), [1, 2]));
        },
        /** @type {'l1-mean'} */
        distance: 'l1-mean',
        thresholds: { tauPlus: options.tauPlus, tauMinus: options.tauMinus },
        weight: options.weight,
        /** y: mean red, green, blue in [0, 1], [B, 3]. @param {tf.Tensor4D} images */
        measure(images) {
          checkImages(images, 'measure');
          return tf.tidy(() => tf.clipByValue(tf.add(tf.mul(tf.mean(centre(images, options.crop), [1, 2]), 0.5), 0.5), 0, 1));
        },
        values: VALUES,
        dispose() {},
      };
    },
  };
}

export default ${factory}();
`;

  const dts = `import type * as tf from '@tensorflow/tfjs-core';
import type { z } from 'zod';

export declare const NAME: ${JSON.stringify(attribute)};
export declare const VALUES: { name: string; unit: string; range: [number, number] }[];
export declare const optionsSchema: z.ZodType<
  { latentSize: number; crop: number; tauPlus: number; tauMinus: number; weight: number },
  { latentSize?: number; crop?: number; tauPlus?: number; tauMinus?: number; weight?: number }
>;
export interface ${camel(attribute).replace(/^./, (c) => c.toUpperCase())}Attribute {
  readonly name: string;
  readonly latentSize: number;
  embed(images: tf.Tensor4D): tf.Tensor2D;
  readonly distance: 'l1-mean';
  readonly thresholds: { tauPlus: number; tauMinus: number };
  readonly weight: number;
  measure(images: tf.Tensor4D): tf.Tensor2D;
  readonly values: typeof VALUES;
  dispose(): void;
}
export declare function ${factory}(): {
  readonly name: string;
  readonly version: string;
  readonly apiVersion: 1;
  readonly options: typeof optionsSchema;
  readonly description: string;
  setup(options: z.output<typeof optionsSchema>): Promise<${camel(attribute).replace(/^./, (c) => c.toUpperCase())}Attribute>;
};
declare const plugin: ReturnType<typeof ${factory}>;
export default plugin;
`;

  const test = `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-core's Node build registers no gradients; @gan-control/gradients registers them (tf.grad).
import '@gan-control/gradients';
import plugin, { optionsSchema, VALUES } from '../src/index.js';

await tf.setBackend('cpu');

/** Solid-colour NHWC images in [-1, 1] from RGB fractions in [0, 1]. */
function solid(colours, size = 8) {
  return tf.tidy(() => tf.stack(colours.map((c) => tf.add(tf.zeros([size, size, 3]), tf.sub(tf.mul(tf.tensor1d(c), 2), 1)))));
}

test('options: defaults, and errors by field path', () => {
  const o = optionsSchema.parse({});
  assert.equal(o.latentSize, 8);
  assert.ok(o.tauPlus < o.tauMinus);
  const bad = optionsSchema.safeParse({ crop: 2 });
  assert.equal(bad.success, false);
  assert.deepEqual(bad.error.issues[0].path, ['crop']);
  assert.equal(optionsSchema.safeParse({ nope: 1 }).success, false);
});

test('plugin object follows the contract', () => {
  assert.equal(plugin.apiVersion, 1);
  assert.equal(typeof plugin.setup, 'function');
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).ganControl;
  assert.equal(manifest.attributes[0].name, plugin.name);
  assert.deepEqual(manifest.attributes[0].values.map((v) => v.name), VALUES.map((v) => v.name));
});

test('measure returns the colour, embed separates colours, no leaks', async () => {
  const attribute = await plugin.setup(optionsSchema.parse({ crop: 0.5 }));
  const images = solid([[1, 0, 0], [1, 0, 0], [0, 0.5, 1]]);
  const before = tf.memory().numTensors;
  const y = attribute.measure(images);
  const f = attribute.embed(images);
  assert.deepEqual(y.shape, [3, 3]);
  const yv = await y.array();
  for (const [i, want] of [[1, 0, 0], [1, 0, 0], [0, 0.5, 1]].entries()) {
    for (let c = 0; c < 3; c++) assert.ok(Math.abs(yv[i][c] - want[c]) < 1e-5, \`row \${i} channel \${c}: \${yv[i][c]}\`);
  }
  const fv = await f.array();
  const d = (a, b) => a.reduce((s, x, k) => s + Math.abs(x - b[k]), 0) / a.length;
  assert.ok(d(fv[0], fv[1]) < attribute.thresholds.tauPlus, 'same colour is closer than tauPlus');
  assert.ok(d(fv[0], fv[2]) > attribute.thresholds.tauMinus, 'different colours are further than tauMinus');
  tf.dispose([y, f]);
  assert.equal(tf.memory().numTensors, before);
  images.dispose();
  attribute.dispose();
});

test('embed is differentiable with respect to the pixels', async () => {
  const attribute = await plugin.setup(optionsSchema.parse({}));
  const images = tf.randomUniform([2, 8, 8, 3], -1, 1, 'float32', 7);
  const grad = tf.grad((x) => tf.sum(tf.square(attribute.embed(x))))(images);
  const g = await grad.data();
  assert.ok(g.every(Number.isFinite));
  assert.ok(g.some((v) => v !== 0));
  tf.dispose([images, grad]);
});

test('wrong input shape names the plugin', async () => {
  const attribute = await plugin.setup(optionsSchema.parse({}));
  const gray = tf.zeros([1, 8, 8, 1]);
  assert.throws(() => attribute.embed(gray), new RegExp(\`attribute plugin '\${plugin.name}'\`));
  gray.dispose();
});
`;

  const readme = `# ${packageName}

A [gan-control](https://www.npmjs.com/package/gan-control) attribute plugin: the attribute
\`${attribute}\`. As generated, M_k is the **mean colour of the image centre** (differentiable, no
weights); \`measure\` returns \`red\`, \`green\`, \`blue\` as fractions in [0, 1]. Replace \`embed\` and
\`measure\` in \`src/index.js\` with your own network to control something else.

## Install

\`\`\`sh
npm install ${packageName} @tensorflow/tfjs-core zod
\`\`\`

## Use

In code, pass the plugin to the core explicitly:

\`\`\`js
import { createAttribute } from '@gan-control/contrastive-loss';
import ${camel(attribute)} from '${packageName}';
const attribute = await createAttribute(${camel(attribute)}, { latentSize: 8, crop: 0.8 });
\`\`\`

From the command line, name it in a training config (by package name once installed, or by path):

\`\`\`json
{ "attributes": { "${attribute}": { "plugin": "./${packageName.includes('/') ? packageName.split('/')[1] : packageName}", "options": { "latentSize": 8 } } } }
\`\`\`

\`gan-control plugins\` lists it (from the \`ganControl\` field of package.json) once it is installed.

## Options

| option | default | meaning |
|---|---|---|
| \`latentSize\` | 8 | size of the latent sub-vector this attribute controls |
| \`crop\` | 1 | fraction of the image side kept around the centre |
| \`tauPlus\` | 0.05 | τ+: pairs sharing this sub-vector are pushed below it (l1-mean distance of mean colours in [-1, 1]) |
| \`tauMinus\` | 0.3 | τ−: all other pairs are pushed above it |
| \`weight\` | 1 | λ of this attribute's contrastive term |

## The contract

\`embed(images)\` gets NHWC float32 images in [-1, 1] and returns features (synchronous,
differentiable; it runs inside \`tf.tidy\` and under \`tf.grad\`). \`distance\` names the pairwise
distance of those features; \`thresholds\` and \`weight\` set the contrastive hinge. \`measure\`
returns \`[B, V]\` human-readable values whose names and units are \`values\` (and the
\`ganControl.attributes[].values\` field of package.json, which the CLI reads without importing).
Keep the thresholds where pairs that share the attribute fall below τ+ and others above τ−:
measure the distribution of the distance on your images and pick them from it.

## Test

\`\`\`sh
npm test
\`\`\`
`;

  return {
    'package.json': `${JSON.stringify(pkg, null, 2)}\n`,
    'src/index.js': index,
    'src/index.d.ts': dts,
    'test/plugin.test.js': test,
    'README.md': readme,
    '.gitignore': 'node_modules/\n',
  };
}

/**
 * Writes the package to `dir` (default `./<package folder name>`); refuses a non-empty folder.
 *
 * @example
 * const { dir, files } = scaffoldPlugin('brightness', { cwd: process.cwd() });
 */
export function scaffoldPlugin(
  name: string,
  { cwd, dir }: { cwd: string; dir?: string },
): { dir: string; files: string[]; names: ScaffoldNames } {
  const names = scaffoldNames(name);
  // Fails at once on a folder that cannot be created (prepareOut), before any file is written.
  const target = prepareOut(dir ?? names.dirName, cwd, { allowFile: false, flag: '--dir' }).path;
  if (existsSync(target) && readdirSync(target).length > 0) {
    throw new CliError('CLI_DIR_NOT_EMPTY', `cannot create plugin in ${target}: the folder is not empty; choose another folder with --dir`);
  }
  const files = scaffoldFiles(names);
  try {
    for (const [rel, text] of Object.entries(files)) {
      const path = join(target, rel);
      ensureOut({ kind: 'file', path }, '--dir');
      writeFileSync(path, text);
    }
  } catch (err) {
    throw new CliError(
      'CLI_WRITE_FAILED',
      `cannot write the plugin to ${target}: ${(err as Error).message}; choose a writable folder with --dir`,
      { cause: err },
    );
  }
  return { dir: target, files: Object.keys(files).map((f) => relative(cwd, join(target, f))), names };
}
