// Outcomes of the fuzz suite and their table: plain JavaScript, so that both the vitest subset
// (through harness.ts) and the `npm run fuzz` parent process (no TypeScript loader) use this one copy.

/** The readers under test, in table order. */
export const TARGETS = ['safetensors', 'torch', 'zip', 'pickle', 'image'];
/** Every outcome, in table order. */
export const OUTCOMES = ['accept', 'coded', 'generic', 'crash', 'hang', 'memory', 'wrong'];
/** The outcomes that pass: a correct accept or a coded TensorIoError. */
export const PASSING = new Set(['accept', 'coded']);

/** A table of outcome counts per target (and the slowest case), as `npm run fuzz` prints it. */
export function formatTable(results) {
  const head = ['target', ...OUTCOMES, 'max ms'];
  const lines = [head];
  for (const t of [...TARGETS, 'total']) {
    const rs = results.filter((r) => t === 'total' || r.target === t);
    const maxMs = rs.reduce((m, r) => Math.max(m, r.ms), 0);
    lines.push([t, ...OUTCOMES.map((o) => String(rs.filter((r) => r.outcome === o).length)), maxMs.toFixed(0)]);
  }
  const widths = head.map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  return lines.map((l) => l.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')).join('\n');
}

/** How often each error code came up, most frequent first (shows which checks the fuzz reaches). */
export function codeCounts(results) {
  const m = new Map();
  for (const r of results) if (r.code) m.set(r.code, (m.get(r.code) ?? 0) + 1);
  return new Map([...m].sort((a, b) => b[1] - a[1]));
}
