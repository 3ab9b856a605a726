#!/usr/bin/env node
// `npm run fuzz [-- --seed N --cases N --hang-ms N --mem-mb N]`: fuzzes the readers of
// @gan-control/tensor-io (safetensors, the zip and pickle reader of PyTorch checkpoints, images)
// with mutated valid files, deterministic from the seed (issue 20). Cases run one at a time in a
// child process (TypeScript through tsx, sibling packages from source): a case over the time
// budget is killed and counted as a hang, a dead child as a crash (or memory, when V8 ran out of
// heap), then a fresh child goes on with the next case. Prints the outcome table; exits 1 unless
// every case ended in a coded TensorIoError or a correct accept.
import { fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = Object.fromEntries(
  process.argv
    .slice(2)
    .join(' ')
    .split(/\s*--/)
    .filter(Boolean)
    .map((a) => a.trim().split(/[\s=]+/)),
);
const seed = Number(args.seed ?? 20);
const cases = Number(args.cases ?? 3000);
const hangMs = Number(args['hang-ms'] ?? 5000);
const memMb = Number(args['mem-mb'] ?? 100);
for (const [k, v] of Object.entries({ seed, cases, 'hang-ms': hangMs, 'mem-mb': memMb })) {
  if (!Number.isSafeInteger(v) || v < 0) {
    console.error(`fuzz: --${k} must be a non-negative integer, got ${args[k]}`);
    process.exit(2);
  }
}

const { formatTable, codeCounts, PASSING } = await import('../packages/tensor-io/test/fuzz/report.mjs');
const child = join(root, 'packages/tensor-io/test/fuzz/child.ts');
const results = [];
const failures = [];
const t0 = Date.now();

/** Runs cases from `start` in one child; resolves with the index to continue from (or `cases`). */
function runFrom(start) {
  return new Promise((resolve) => {
    const proc = fork(child, [seed, cases, start, hangMs, memMb].map(String), {
      cwd: root,
      execArgv: ['--import', 'tsx', '--max-old-space-size=2048'],
      env: { ...process.env, TSX_TSCONFIG_PATH: join(root, 'tsconfig.base.json') },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let current;
    let timer;
    let stderr = '';
    let settled = false;
    proc.stderr.on('data', (d) => {
      stderr = (stderr + d).slice(-4000);
    });
    const finish = (next) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(next);
    };
    // The first case also waits for the child to start (tsx, seed files): allow it a generous budget.
    const arm = (ms) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        if (current)
          record(
            { index: current.index, target: current.target, outcome: 'hang', ms, memBytes: 0, detail: `killed after ${ms} ms` },
            current,
          );
        proc.kill('SIGKILL');
        finish(current ? current.index + 1 : cases);
      }, ms);
    };
    arm(120_000);
    proc.on('message', (m) => {
      if (m.type === 'start') {
        current = m;
        arm(hangMs * 2 + 1000);
      } else if (m.type === 'result') {
        record(m.result, current);
        current = undefined;
        if ((m.result.index + 1) % 500 === 0)
          process.stderr.write(`fuzz: ${m.result.index + 1}/${cases} cases, ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
        arm(120_000);
      } else if (m.type === 'done') {
        finish(cases);
      }
    });
    proc.on('exit', (code, signal) => {
      if (settled) return;
      if (current) {
        const memory = /heap out of memory|Array buffer allocation failed|ERR_MEMORY/i.test(stderr);
        record(
          {
            index: current.index,
            target: current.target,
            outcome: memory ? 'memory' : 'crash',
            ms: 0,
            memBytes: 0,
            detail: `child exited (code ${code}, signal ${signal}) ${stderr.slice(-300)}`,
          },
          current,
        );
        finish(current.index + 1);
      } else {
        if (code !== 0) console.error(`fuzz: the child process failed outside a case (code ${code}):\n${stderr}`);
        finish(code === 0 ? cases : -1);
      }
    });
  });
}

function record(result, started) {
  results.push(result);
  if (!PASSING.has(result.outcome)) failures.push({ ...result, seedName: started?.seedName, mutations: started?.mutations });
}

let next = 0;
while (next >= 0 && next < cases) next = await runFrom(next);
if (next < 0) process.exit(2);

console.log(
  `fuzz: ${results.length} cases, seed ${seed}, ${((Date.now() - t0) / 1000).toFixed(1)} s (hang budget ${hangMs} ms, memory budget ${memMb} MB + 8× the file)`,
);
console.log(formatTable(results));
console.log(`coded errors by code: ${[...codeCounts(results)].map(([c, n]) => `${c} ${n}`).join(', ')}`);
for (const f of failures.slice(0, 30)) {
  console.log(`FAIL #${f.index} ${f.target} ${f.seedName ?? ''} [${(f.mutations ?? []).join(', ')}]: ${f.outcome} ${f.detail ?? ''}`);
}
if (failures.length > 0) {
  console.log(
    `${failures.length} case(s) ended otherwise than in a coded error or a correct accept; rerun one with --seed ${seed} and its index.`,
  );
  process.exit(1);
}
