// A model.json is a file from a stranger: an absurd network size fails at validation, fast,
// naming the field and the limit (issue: `mapping.numLayers: 100000` hung; `layerFeatures: 1e6`
// took 9 s and 610 MB before the weights were checked).
import { describe, expect, it } from 'vitest';
import { expectNoLeaks } from '@gan-control/test-utils';
import { CONFIG_LIMITS, createGenerator, parseGanControlArgs } from '../src/index.js';

const base = { zDim: 8, wDim: 8, resolution: 8, mapping: { numLayers: 2 }, synthesis: { channelBase: 64, channelMax: 8 } };

describe('network config limits', () => {
  it.each([
    ['mapping.numLayers', { mapping: { numLayers: 100000 } }, /mapping\.numLayers: at most 64 \(mappingLayers limit/],
    ['mapping.layerFeatures', { mapping: { numLayers: 2, layerFeatures: 1e6 } }, /mapping\.layerFeatures: at most 16384 \(features limit/],
    ['resolution', { resolution: 1 << 20 }, /resolution: at most 4096 \(resolution limit/],
    ['zDim', { zDim: 1e7 }, /zDim: at most 16384/],
    ['synthesis.channelBase', { synthesis: { channelBase: 1e12, channelMax: 8 } }, /synthesis\.channelBase: at most 1048576/],
  ])('%s beyond its limit is STYLEGAN2_INVALID_CONFIG naming the field, before any tensor', (_name, patch, message) => {
    expectNoLeaks(() => {
      const t0 = performance.now();
      let err: unknown;
      try {
        createGenerator({ ...base, ...patch } as never, { seed: 0 }).dispose();
      } catch (e) {
        err = e;
      }
      expect(err).toMatchObject({ code: 'STYLEGAN2_INVALID_CONFIG', message: expect.stringMatching(message) });
      expect(performance.now() - t0).toBeLessThan(1000);
    });
  });

  it('the limits are far above released models (a 1024 px, 8×512 mapping config passes validation)', () => {
    expect(CONFIG_LIMITS.resolution).toBeGreaterThanOrEqual(1024);
    expect(CONFIG_LIMITS.mappingLayers).toBeGreaterThanOrEqual(8);
    expect(CONFIG_LIMITS.features).toBeGreaterThanOrEqual(512);
  });

  it('official GAN-Control args are bounded too', () => {
    expect(() => parseGanControlArgs({ model_config: { size: 1 << 16, latent_size: 512, n_mlp: 8 } })).toThrow(/at most 4096/);
    expect(() => parseGanControlArgs({ model_config: { size: 64, latent_size: 512, n_mlp: 100000 } })).toThrow(/at most 64/);
  });
});
