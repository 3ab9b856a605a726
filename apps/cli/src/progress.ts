/**
 * A small progress bar with ETA on stderr. It draws only on a TTY and never under `--json`, so
 * piped output and machine-readable output stay clean.
 */

/** Formats seconds as `42s`, `3m05s` or `1h02m`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** What one frame of the bar shows. */
export interface BarState {
  label: string;
  done: number;
  total: number;
  elapsedMs: number;
  info?: string;
  width?: number;
}

/**
 * Renders one line: `label [#######.......] 45% 45/100 eta 12s  info`.
 * ETA is the elapsed time per unit of work times the work left.
 *
 * @example
 * renderBar({ label: 'generate', done: 5, total: 10, elapsedMs: 2000 });
 * // 'generate [##########..........]  50% 5/10 eta 2s'
 */
export function renderBar({ label, done, total, elapsedMs, info, width = 20 }: BarState): string {
  const frac = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
  const filled = Math.round(frac * width);
  const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
  const pct = `${Math.floor(frac * 100)}%`.padStart(4);
  const eta = done > 0 && done < total ? formatDuration(((elapsedMs / done) * (total - done)) / 1000) : done >= total ? 'done' : '--';
  const when = done >= total ? `in ${formatDuration(elapsedMs / 1000)}` : `eta ${eta}`;
  return `${label} [${bar}] ${pct} ${done}/${total} ${when}${info ? `  ${info}` : ''}`;
}

/** A running bar. */
export interface Progress {
  /** Sets the amount of work done (and an optional info text, e.g. a loss). */
  update(done: number, info?: string, total?: number): void;
  /** Prints a line above the bar (or plainly when the bar is off). */
  log(line: string): void;
  /** Draws the final frame (all work done) and ends the line. */
  finish(info?: string): void;
  /** Ends the line where the work stopped (an interrupted run: the bar does not jump to 100 %). */
  stop(info?: string): void;
}

/** Where the bar draws. */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(chunk: string): unknown;
}

/**
 * Starts a progress bar. It is silent when `enabled` is false (set it from `--json`), and when
 * `stream` is not a TTY.
 *
 * @example
 * const bar = createProgress({ label: 'train', total: 1000, enabled: !opts.json });
 * bar.update(10, 'loss 0.71');
 * bar.finish();
 */
export function createProgress({
  label,
  total,
  enabled = true,
  stream = process.stderr,
  now = () => performance.now(),
  minIntervalMs = 100,
}: {
  label: string;
  total: number;
  enabled?: boolean;
  stream?: ProgressStream;
  now?: () => number;
  minIntervalMs?: number;
}): Progress {
  const active = enabled && Boolean(stream.isTTY);
  const start = now();
  let lastDraw = -Infinity;
  let state = { done: 0, total, info: undefined as string | undefined };
  let drawn = false;

  const draw = (force: boolean) => {
    if (!active) return;
    const t = now();
    if (!force && t - lastDraw < minIntervalMs) return;
    lastDraw = t;
    const cols = Math.max(20, (stream.columns ?? 100) - 1);
    const line = renderBar({ label, ...state, elapsedMs: t - start }).slice(0, cols);
    stream.write(`\r\x1b[2K${line}`);
    drawn = true;
  };

  return {
    update(done, info, newTotal) {
      state = { done, total: newTotal ?? state.total, info: info ?? state.info };
      draw(false);
    },
    log(line) {
      if (active && drawn) stream.write('\r\x1b[2K');
      if (enabled) stream.write(`${line}\n`);
      if (active && drawn) draw(true);
    },
    finish(info) {
      state = { ...state, done: state.total, info: info ?? state.info };
      if (!active) return;
      draw(true);
      stream.write('\n');
    },
    stop(info) {
      state = { ...state, info: info ?? state.info };
      if (!active) return;
      draw(true);
      stream.write('\n');
    },
  };
}
