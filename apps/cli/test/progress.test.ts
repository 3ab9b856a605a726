import { describe, expect, it } from 'vitest';
import { createProgress, formatDuration, renderBar } from '../src/progress.js';

describe('renderBar', () => {
  it('shows fraction, counts and an ETA from the elapsed rate', () => {
    expect(renderBar({ label: 'gen', done: 5, total: 10, elapsedMs: 2000, width: 10 })).toBe('gen [#####.....]  50% 5/10 eta 2s');
    expect(renderBar({ label: 'gen', done: 0, total: 10, elapsedMs: 0, width: 4 })).toBe('gen [....]   0% 0/10 eta --');
    expect(renderBar({ label: 'gen', done: 10, total: 10, elapsedMs: 65_000, width: 4, info: 'loss 0.5' })).toBe(
      'gen [####] 100% 10/10 in 1m05s  loss 0.5',
    );
  });

  it('formats durations', () => {
    expect(formatDuration(59.4)).toBe('59s');
    expect(formatDuration(125)).toBe('2m05s');
    expect(formatDuration(3 * 3600 + 120)).toBe('3h02m');
    expect(formatDuration(Number.NaN)).toBe('--');
  });
});

function fakeStream(isTTY: boolean) {
  const chunks: string[] = [];
  return { stream: { isTTY, columns: 80, write: (c: string) => chunks.push(c) }, chunks };
}

describe('createProgress', () => {
  it('draws on a TTY, throttled, and ends the line', () => {
    const { stream, chunks } = fakeStream(true);
    let t = 0;
    const bar = createProgress({ label: 'x', total: 4, stream, now: () => t, minIntervalMs: 100 });
    t = 10;
    bar.update(1);
    t = 20;
    bar.update(2); // throttled
    t = 200;
    bar.update(3);
    bar.finish();
    const frames = chunks.filter((c) => c.startsWith('\r'));
    expect(frames).toHaveLength(3);
    expect(frames[0]).toContain('1/4');
    expect(frames[1]).toContain('3/4');
    expect(frames[2]).toContain('4/4 in');
    expect(chunks[chunks.length - 1]).toBe('\n');
  });

  it('stop() ends the line where the work stopped, not at 100 %', () => {
    const { stream, chunks } = fakeStream(true);
    const bar = createProgress({ label: 'x', total: 4, stream, now: () => 0, minIntervalMs: 100 });
    bar.update(1);
    bar.stop('stopped');
    const frames = chunks.filter((c) => c.startsWith('\r'));
    expect(frames.at(-1)).toContain('1/4');
    expect(frames.at(-1)).toContain('stopped');
    expect(frames.join('')).not.toContain('4/4');
    expect(chunks.at(-1)).toBe('\n');
  });

  it('is silent when not a TTY or disabled (--json)', () => {
    for (const [isTTY, enabled] of [
      [false, true],
      [true, false],
    ] as const) {
      const { stream, chunks } = fakeStream(isTTY);
      const bar = createProgress({ label: 'x', total: 2, stream, enabled });
      bar.update(1);
      bar.finish();
      expect(chunks.filter((c) => c.startsWith('\r'))).toHaveLength(0);
    }
  });

  it('log() prints plain lines unless disabled', () => {
    const on = fakeStream(false);
    createProgress({ label: 'x', total: 2, stream: on.stream }).log('hello');
    expect(on.chunks).toEqual(['hello\n']);
    const off = fakeStream(false);
    createProgress({ label: 'x', total: 2, stream: off.stream, enabled: false }).log('hello');
    expect(off.chunks).toEqual([]);
  });
});
