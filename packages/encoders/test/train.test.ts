import { describe, expect, it } from 'vitest';
import { expectNoLeaks } from '@gan-control/test-utils';
import { trainEncoder, trainEncoders } from '../src/index.js';
import type { AttributeRows, TrainProgress } from '../src/index.js';
import { createRng } from '@gan-control/latent';

/** Rows where w = f(y) (learnable) or w independent of y (nothing to learn). */
function rows(n: number, learnable: boolean, seed = 1): AttributeRows {
  const rng = createRng(seed);
  const y = new Float32Array(n * 2);
  const w = new Float32Array(n * 3);
  for (let r = 0; r < n; r++) {
    const a = rng.nextNormal() * 10 + 50;
    const b = rng.nextNormal();
    y[2 * r] = a;
    y[2 * r + 1] = b;
    const u = learnable ? (a - 50) / 10 : rng.nextNormal();
    const v = learnable ? b : rng.nextNormal();
    w[3 * r] = u;
    w[3 * r + 1] = Math.tanh(u + v);
    w[3 * r + 2] = learnable ? 0.5 * v : rng.nextNormal();
  }
  return {
    group: 'g',
    attribute: 'thing',
    values: [
      { name: 'a', unit: 'years' },
      { name: 'b', unit: 'units' },
    ],
    wSlice: { offset: 4, size: 3 },
    rows: n,
    y,
    w,
  };
}

describe('trainEncoder', () => {
  it('learns, stores the normalisation and the training range, and leaks nothing', async () => {
    await expectNoLeaks(async () => {
      const progress: TrainProgress[] = [];
      const { encoder, metrics } = await trainEncoder({
        data: rows(256, true),
        architecture: { hidden: [16, 16] },
        batchSize: 32,
        epochs: 12,
        learningRate: 1e-2,
        onProgress: (p) => progress.push(p),
      });
      expect(metrics.relativeValError).toBeLessThan(0.3);
      expect(metrics.valError).toBe(Math.min(...progress.map((p) => p.valError)));
      expect(progress[metrics.bestEpoch - 1].valError).toBe(metrics.valError);
      const a = encoder.values[0];
      expect(a.kind).toBe('linear');
      if (a.kind === 'linear') {
        expect(a.mean).toBeGreaterThan(48);
        expect(a.mean).toBeLessThan(52);
        expect(a.std).toBeGreaterThan(8);
        expect(a.range[0]).toBeLessThan(30);
      }
      expect(encoder.training).toMatchObject({ loss: 'l1', learningRate: 1e-2, batchSize: 32, bestEpoch: metrics.bestEpoch });
      encoder.dispose();
    });
  });

  it('stops early when the validation error stops improving, keeping the best epoch', async () => {
    const progress: TrainProgress[] = [];
    const { encoder, metrics } = await trainEncoder({
      data: rows(160, false),
      architecture: { hidden: [32] },
      batchSize: 16,
      epochs: 40,
      patience: 3,
      learningRate: 3e-2,
      onProgress: (p) => progress.push(p),
    });
    expect(metrics.stoppedEarly).toBe(true);
    expect(metrics.epochsRun).toBe(metrics.bestEpoch + 3);
    expect(progress.length).toBe(metrics.epochsRun);
    // Nothing to learn: no better than predicting the mean.
    expect(metrics.relativeValError).toBeGreaterThan(0.8);
    encoder.dispose();
  });

  it('drops rows with non-finite values and rejects too few rows, unknown groups and bad options', async () => {
    const data = rows(60, true);
    data.y[0] = NaN;
    data.y[7] = Infinity;
    const { encoder, metrics } = await trainEncoder({ data, architecture: { hidden: [4] }, epochs: 1 });
    expect(metrics.droppedRows).toBe(2);
    expect(metrics.trainRows + metrics.valRows).toBe(58);
    encoder.dispose();
    await expectNoLeaks(async () => {
      await expect(trainEncoder({ data: rows(1, true), epochs: 1 })).rejects.toThrow(
        /attribute 'thing': 1 usable rows \(of 1\) are too few/,
      );
      await expect(trainEncoder({ data, epochs: 0 })).rejects.toThrow(/invalid options for trainEncoder\('thing'\): epochs: /);
      await expect(trainEncoders({ dataset: { attributes: { g: data } }, only: ['pose'] })).rejects.toThrow(
        /no attribute for group 'pose'; it has: g/,
      );
      const ctl = new AbortController();
      ctl.abort();
      await expect(trainEncoder({ data, architecture: { hidden: [4] }, signal: ctl.signal })).rejects.toMatchObject({
        code: 'ENCODERS_ABORTED',
      });
    });
  });
});
