// One fuzz worker process for `npm run fuzz` (scripts/fuzz.mjs). It rebuilds the case list from
// the seed (deterministic), runs cases from `start` one at a time and reports each before and after
// it runs, so the parent can name the case that hung (it kills this process) or crashed it.
import { makeCases, runCase, seedFiles } from './harness.js';

const [seed, count, start, hangMs, memMb] = process.argv.slice(2).map(Number);
const send = (msg: unknown) => new Promise<void>((resolve) => process.send!(msg, () => resolve()));

const files = await seedFiles();
for (let i = start; i < count; i++) {
  const [c] = makeCases(files, seed, 1, i);
  await send({ type: 'start', index: i, target: c.target, seedName: c.seedName, mutations: c.mutations });
  const result = await runCase(c, { hangMs, memBytes: memMb * 2 ** 20 });
  await send({ type: 'result', result });
}
await send({ type: 'done' });
process.exit(0);
