import { describe, expect, it } from 'vitest';
import { expectNoLeaks } from '@gan-control/test-utils';
import { shapesDatasets } from '@gan-control/domain-shapes';
import { GanControlTrainer, preset } from '../src/index.js';

describe('shapes-32-baseline preset', () => {
  it('is shapes-32 without the partition and the contrastive loss: one mapping group, no attributes, finite steps', async () => {
    const base = preset('shapes-32');
    const bl = preset('shapes-32-baseline');
    expect(bl.latent.groups).toEqual([{ name: 'other', size: 40, controlled: false }]);
    expect(bl.attributes).toEqual([]);
    expect(bl.generator).toEqual(base.generator);
    expect(bl.discriminator).toEqual(base.discriminator);
    expect({ ...bl.optim, r1: bl.r1Gamma, batch: bl.batchSize, dataset: bl.dataset }).toEqual({
      ...base.optim,
      r1: base.r1Gamma,
      batch: base.batchSize,
      dataset: base.dataset,
    });
    await expectNoLeaks(async () => {
      const t = await GanControlTrainer.create(
        preset('shapes-32-baseline', {
          resolution: 8,
          generator: { channelBase: 64, channelMax: 8 },
          discriminator: { channelBase: 64, channelMax: 8 },
        }),
        { datasets: shapesDatasets },
      );
      const m = await t.step();
      expect(Number.isFinite(m.gAdv) && Number.isFinite(m.d)).toBe(true);
      expect(Object.keys(m.perAttribute)).toEqual([]);
      t.dispose();
    });
  });
});
