// Fuzz of the one model-folder reader (issue: files from strangers): deterministic from a seed,
// mutated model.json files (field deletions, wrong types, huge and negative numbers, prototype
// keys, names that leave the folder, oversized configs) and mutated weight bytes (flipped bytes,
// truncation, a forged header length), read from memory through `readModelFolder`. Each case must
// end in the project's own coded error or a correct load, within a second and without a leaked
// tensor; a generic error (TypeError, RangeError…), a hang or a leak fails the test.
import { isGanControlError } from '@gan-control/errors';
import { createRng, type Rng } from '@gan-control/latent';
import { TINY_CONFIG, TINY_LATENT } from './helpers.js';
import { describe, expect, it } from 'vitest';
import { expectNoLeaks } from '@gan-control/test-utils';
import { createGenerator, encodeModelFolder, readModelFolder, type ModelFolderFiles } from '../src/index.js';

/** Hostile or broken values a field may be replaced with. */
const VALUES: unknown[] = [
  null,
  true,
  -1,
  0,
  1e9,
  2 ** 53,
  Number.MAX_VALUE,
  1.5,
  '',
  'x',
  '../../etc/passwd',
  '/etc/passwd',
  'https://example.org/w',
  '__proto__',
  [],
  [1, 2],
  {},
  { __proto__: { polluted: 1 } },
  'generator.safetensors',
  1e6,
  100000,
  4096,
  8192,
];
/** Keys worth attacking in model.json and in its generator config. */
const KEYS = ['format', 'version', 'weights', 'encoders', 'latent', 'attributes', 'files', 'generator', 'name', '__proto__', 'constructor'];
const CONFIG_KEYS = [
  'zDim',
  'wDim',
  'resolution',
  'mapping',
  'synthesis',
  'numLayers',
  'layerFeatures',
  'channelBase',
  'channelMax',
  'groups',
  'size',
  'name',
];

function pick<T>(rng: Rng, list: readonly T[]): T {
  return list[rng.nextInt(list.length)];
}

/** Every object in a JSON value, for picking a place to mutate. */
function objects(v: unknown, out: Record<string, unknown>[] = []): Record<string, unknown>[] {
  if (v && typeof v === 'object') {
    out.push(v as Record<string, unknown>);
    for (const x of Object.values(v)) objects(x, out);
  }
  return out;
}

function mutateJson(text: string, rng: Rng): string {
  const json = JSON.parse(text) as Record<string, unknown>;
  const steps = 1 + rng.nextInt(3);
  for (let s = 0; s < steps; s++) {
    const target = pick(rng, objects(json));
    const keys = Object.keys(target);
    const kind = rng.nextInt(4);
    if (kind === 0 && keys.length) delete target[pick(rng, keys)];
    else if (kind === 1 && keys.length) target[pick(rng, keys)] = structuredClone(pick(rng, VALUES));
    else if (kind === 2)
      Object.defineProperty(target, pick(rng, [...KEYS, ...CONFIG_KEYS]), {
        value: structuredClone(pick(rng, VALUES)),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    else if (keys.length) {
      const k = pick(rng, keys);
      if (typeof target[k] === 'number') target[k] = (target[k] as number) * pick(rng, [-1, 0, 1000, 1e6]);
    }
  }
  let out = JSON.stringify(json);
  // Raw-text mutations too: a literal __proto__ key and truncation.
  if (rng.nextInt(8) === 0) out = out.replace('{', '{"__proto__":{"polluted":1},');
  if (rng.nextInt(10) === 0) out = out.slice(0, rng.nextInt(out.length));
  return out;
}

function mutateBytes(bytes: Uint8Array, rng: Rng): Uint8Array {
  const out = bytes.slice();
  const kind = rng.nextInt(4);
  if (kind === 0) for (let i = 0; i < 1 + rng.nextInt(8); i++) out[rng.nextInt(out.length)] ^= 1 + rng.nextInt(255);
  else if (kind === 1) return out.subarray(0, rng.nextInt(out.length));
  else if (kind === 2)
    new DataView(out.buffer).setUint32(0, rng.nextUint32(), true); // forged header length
  else new DataView(out.buffer).setFloat32(out.length - 4, NaN, true);
  return out;
}

type Outcome = 'accept' | 'coded' | 'generic' | 'slow';

/** `npm test` runs 400 cases; a longer run: `GAN_CONTROL_FUZZ_CASES=5000 GAN_CONTROL_FUZZ_SEED=1 npx vitest run packages/stylegan2/test/model-folder.fuzz.test.ts`. */
const CASES = Number(process.env.GAN_CONTROL_FUZZ_CASES ?? 400);
const SEED = Number(process.env.GAN_CONTROL_FUZZ_SEED ?? 20261205);

describe('model-folder reader fuzz (seeded)', () => {
  it(`${CASES} mutated folders: only coded errors or correct loads, each under a second, no leak`, async () => {
    const G = createGenerator(TINY_CONFIG, { seed: 7 });
    const { files } = await encodeModelFolder({
      name: 'tiny',
      generator: { kind: 'stylegan2', config: TINY_CONFIG, stateDict: G.stateDict() },
      latent: TINY_LATENT,
      attributes: [{ name: 'hue' }],
    });
    G.dispose();
    const original = new Map(files.map((f) => [f.name, typeof f.data === 'string' ? new TextEncoder().encode(f.data) : f.data]));
    const rng = createRng(SEED);
    const counts: Record<Outcome, number> = { accept: 0, coded: 0, generic: 0, slow: 0 };
    const generic: string[] = [];
    await expectNoLeaks(async () => {
      for (let c = 0; c < CASES; c++) {
        const folder = new Map(original);
        const which = rng.nextInt(3);
        if (which !== 1)
          folder.set('model.json', new TextEncoder().encode(mutateJson(new TextDecoder().decode(original.get('model.json')!), rng)));
        if (which !== 0) folder.set('generator.safetensors', mutateBytes(original.get('generator.safetensors')!, rng));
        const source: ModelFolderFiles = {
          label: `case-${c}`,
          bytes: async (name) => {
            const b = folder.get(name);
            if (!b) throw Object.assign(new Error(`ENOENT: ${name}`), { code: 'ENOENT' });
            return b;
          },
          text: async (name) => new TextDecoder().decode(await source.bytes(name)),
        };
        const t0 = performance.now();
        let outcome: Outcome;
        try {
          const m = await readModelFolder(source);
          m.generator.dispose();
          outcome = 'accept';
        } catch (e) {
          if (isGanControlError(e)) outcome = 'coded';
          else {
            outcome = 'generic';
            generic.push(`case ${c}: ${(e as Error)?.name}: ${String((e as Error)?.message).slice(0, 160)}`);
          }
        }
        if (performance.now() - t0 > 1000) outcome = 'slow';
        counts[outcome]++;
        expect(({} as Record<string, unknown>).polluted, `case ${c} polluted Object.prototype`).toBeUndefined();
      }
      console.info(`[model-folder fuzz] ${JSON.stringify(counts)}`);
      expect(generic).toEqual([]);
      expect(counts.slow).toBe(0);
      expect(counts.coded).toBeGreaterThan(CASES / 2);
    });
  }, 300_000);
});
