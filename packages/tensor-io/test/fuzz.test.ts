// The fast subset of the fuzz suite (issue 20): a few hundred mutated files over every reader,
// deterministic from a fixed seed. Each must end in a coded TensorIoError or a correct accept,
// within the time and memory budgets. `npm run fuzz` runs thousands, in a watched child process.
import { describe, expect, it } from 'vitest';
import { type CaseResult, codeCounts, formatTable, makeCases, PASSING, runCase, seedFiles } from './fuzz/harness.js';

const SEED = 20;
const COUNT = 500;

describe('fuzz (fast subset)', () => {
  it(`${COUNT} mutated files (seed ${SEED}): only coded errors or correct accepts`, async () => {
    const cases = makeCases(await seedFiles(), SEED, COUNT);
    const results: CaseResult[] = [];
    for (const c of cases) results.push(await runCase(c));
    const bad = results.filter((r) => !PASSING.has(r.outcome));
    if (bad.length > 0) {
      console.log(formatTable(results));
      for (const r of bad.slice(0, 20)) {
        const c = cases[r.index];
        console.log(`#${r.index} ${r.target} ${c.seedName} [${c.mutations.join(', ')}]: ${r.outcome} ${r.detail ?? ''}`);
      }
    }
    expect(bad.map((r) => `#${r.index} ${r.target}: ${r.outcome} ${r.detail ?? ''}`)).toEqual([]);
    // The suite must reach the readers' checks, not only fail at the first byte.
    const codes = codeCounts(results);
    expect(codes.size).toBeGreaterThan(6);
    expect(results.filter((r) => r.outcome === 'accept').length).toBeGreaterThan(COUNT / 20);
  });
});
