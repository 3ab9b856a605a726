import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { setupBackend } from '../src/index.js';

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('setupBackend', () => {
  it("'auto' passes over the absent tensorflow packages and says why", async () => {
    const info = await setupBackend();
    expect(tf.getBackend()).toBe(info.name);
    if (info.name !== 'tensorflow') {
      expect(info.reason).toMatch(/@tensorflow\/tfjs-node-gpu not (installed|usable)/);
      expect(info.reason).toMatch(/@tensorflow\/tfjs-node not (installed|usable)/);
      expect(info.name).toBe('wasm');
      expect(info.kernels['Conv2DBackpropFilter']).toBeDefined();
    }
  });

  it("'cpu' selects cpu and installs its fixed gradient kernels", async () => {
    const info = await setupBackend('cpu');
    expect(info.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(Object.keys(info.kernels)).toEqual(expect.arrayContaining(['ResizeNearestNeighborGrad', 'ResizeBilinearGrad']));
  });

  it('rejects an unknown preference with a stable code and the valid choices', async () => {
    await expect(setupBackend('webgl' as never)).rejects.toMatchObject({
      code: 'BACKEND_UNKNOWN',
      message: expect.stringContaining('auto, tensorflow, wasm, cpu'),
    });
  });

  it("'tensorflow' fails with BACKEND_UNAVAILABLE when tfjs-node is not installed", async () => {
    let installed = true;
    try {
      await import(/* @vite-ignore */ ['@tensorflow', 'tfjs-node'].join('/'));
    } catch {
      installed = false;
    }
    if (installed) return;
    await expect(setupBackend('tensorflow')).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
  });
});
