// A tiny GAN-Control model folder built with the libraries (random weights, 16 px): enough to drive
// every command end to end in seconds. Used until/alongside the bundled shapes model.
import { createGenerator } from '@gan-control/stylegan2';
import { writeModelFolder } from '@gan-control/stylegan2/node';

export const TINY_RESOLUTION = 16;

export async function writeTinyModel(dir: string): Promise<void> {
  const G = createGenerator(
    {
      zDim: 16,
      wDim: 16,
      resolution: TINY_RESOLUTION,
      mapping: {
        numLayers: 2,
        layerFeatures: 8,
        groups: [
          { name: 'color', size: 4 },
          { name: 'position', size: 4 },
          { name: 'size', size: 4 },
          { name: 'other', size: 4 },
        ],
      },
      synthesis: { channelBase: 64, channelMax: 8, useNoise: false },
    },
    { seed: 3 },
  );
  try {
    await writeModelFolder(dir, {
      name: 'tiny-test',
      generator: { kind: 'stylegan2', config: G.config, stateDict: G.stateDict() },
      latent: {
        groups: [
          { name: 'color', size: 4 },
          { name: 'position', size: 4 },
          { name: 'size', size: 4 },
          { name: 'other', size: 4, controlled: false },
        ],
      },
      attributes: [{ name: 'color' }, { name: 'position' }, { name: 'size' }],
    });
  } finally {
    G.dispose();
  }
}
