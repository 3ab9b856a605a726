import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { describe, expect, it, vi } from 'vitest';
import {
  AttributeRegistry,
  createAttribute,
  PLUGIN_API_VERSION,
  isGanControlError,
  type Attribute,
  type AttributePlugin,
} from '@gan-control/contrastive-loss';

function runtime(overrides: Partial<Attribute> = {}): Attribute {
  return {
    name: 'r',
    latentSize: 4,
    embed: (x) => tf.mean(x, [1, 2]),
    distance: 'l1-mean',
    thresholds: { tauPlus: 0.1, tauMinus: 0.5 },
    weight: 1,
    dispose: () => {},
    ...overrides,
  };
}

function plugin(over: Partial<AttributePlugin> = {}, rt: () => unknown = () => runtime()): AttributePlugin {
  return {
    name: 'thing',
    version: '1.2.3',
    apiVersion: PLUGIN_API_VERSION,
    options: z.object({ weight: z.number().default(1), nested: z.object({ k: z.number().int() }).optional() }),
    setup: async () => rt() as Attribute,
    ...over,
  } as AttributePlugin;
}

async function rejection(p: Promise<unknown>): Promise<Error & { code?: string; cause?: unknown }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

describe('createAttribute', () => {
  it('validates options with defaults and passes them to setup', async () => {
    const setup = vi.fn(async (o: { weight: number }) => runtime({ weight: o.weight }));
    const a = await createAttribute(plugin({ setup } as never), { nested: { k: 2 } } as never);
    expect(setup).toHaveBeenCalledWith({ weight: 1, nested: { k: 2 } });
    expect(a.weight).toBe(1);
  });

  it('names the plugin and the field path of bad options', async () => {
    const e = await rejection(createAttribute(plugin(), { weight: 'x', nested: { k: 1.5 } } as never));
    expect(e.code).toBe('PLUGIN_OPTIONS_INVALID');
    expect(e.message).toContain('Invalid options for attribute plugin "thing"');
    expect(e.message).toMatch(/(^|; |\n)weight: /);
    expect(e.message).toMatch(/(^|; |\n)nested\.k: /);
  });

  it('checks apiVersion in both directions and says what to do', async () => {
    const newer = await rejection(createAttribute(plugin({ apiVersion: 2 as never })));
    expect(newer.code).toBe('PLUGIN_API_VERSION');
    expect(newer.message).toMatch(/"thing"@1.2.3 was written for plugin API 2.*implements API 1.*Upgrade @gan-control\/contrastive-loss/);
    const older = await rejection(createAttribute(plugin({ apiVersion: 0 as never })));
    expect(older.message).toContain('Use a version of "thing" written for API 1');
  });

  it('rejects malformed plugin objects by field', async () => {
    const e = await rejection(createAttribute({ name: 'bad', version: '1', apiVersion: 1, options: {} } as never));
    expect(e.code).toBe('PLUGIN_INVALID');
    expect(e.message).toContain('Attribute plugin "bad"');
    expect(e.message).toMatch(/(^|; |\n)options: must be a zod schema/);
    expect(e.message).toMatch(/(^|; |\n)setup: must be a function/);
  });

  it('wraps setup failures with the plugin name and keeps the cause', async () => {
    const boom = new Error('weights file missing');
    const e = await rejection(createAttribute(plugin({ setup: async () => Promise.reject(boom) })));
    expect(e.code).toBe('PLUGIN_SETUP_FAILED');
    expect(e.message).toContain('"thing"@1.2.3 failed in setup: weights file missing');
    expect(e.cause).toBe(boom);
  });

  it('rejects invalid runtimes by field path', async () => {
    const e = await rejection(
      createAttribute(
        plugin({}, () => ({
          ...runtime(),
          thresholds: { tauPlus: 'a' },
          distance: 'euclid',
          intermediateLayers: [{ tauPlus: 0, tauMinus: 1, weight: -1 }],
        })),
      ),
    );
    expect(e.code).toBe('ATTRIBUTE_INVALID');
    expect(e.message).toMatch(/(^|; |\n)thresholds\.tauPlus: /);
    expect(e.message).toMatch(/(^|; |\n)thresholds\.tauMinus: /);
    expect(e.message).toMatch(/(^|; |\n)distance: must be one of squared-l2/);
    expect(e.message).toMatch(/(^|; |\n)intermediateLayers\[0\]\.weight: must be ≥ 0/);
    const noValues = await rejection(createAttribute(plugin({}, () => runtime({ measure: (x) => tf.mean(x, [1, 2]) as tf.Tensor2D }))));
    expect(noValues.message).toMatch(/(^|; |\n)values: is required when measure is given/);
  });

  it('fills in the name from the plugin, keeping reads live and methods bound', async () => {
    let disposed = 0;
    class Runtime {
      latentSize = 3;
      distance = 'l1-mean' as const;
      thresholds = { tauPlus: 0, tauMinus: 1 };
      weight = 0.5;
      #scale = 2;
      embed(x: tf.Tensor4D) {
        return tf.mul(tf.mean(x, [1, 2]), this.#scale);
      }
      dispose() {
        disposed++;
      }
    }
    const rt = new Runtime();
    const a = await createAttribute(plugin({}, () => rt));
    expect(a.name).toBe('thing');
    expect(a.measure).toBeUndefined();
    rt.weight = 0.25;
    expect(a.weight).toBe(0.25);
    const x = tf.ones([1, 2, 2, 3]) as tf.Tensor4D;
    const y = a.embed(x) as tf.Tensor;
    expect(Array.from(y.dataSync())).toEqual([2, 2, 2]);
    a.dispose();
    expect(disposed).toBe(1);
    tf.dispose([x, y]);
    expect(isGanControlError(new Error('x'))).toBe(false);
  });
});

describe('AttributeRegistry', () => {
  it('registers, lists, gets and creates by name', async () => {
    const registry = new AttributeRegistry({ warn: () => {} }).register(plugin()).register(plugin({ name: 'other' }));
    expect(registry.list()).toEqual(['thing', 'other']);
    expect(registry.has('thing')).toBe(true);
    expect(registry.get('other').name).toBe('other');
    expect(registry.plugins()).toHaveLength(2);
    expect((await registry.create('thing', { weight: 3 })).name).toBe('r');
    expect(registry.unregister('other')).toBe(true);
    expect(registry.list()).toEqual(['thing']);
  });

  it('warns on duplicates (the last registration wins)', () => {
    const warn = vi.fn();
    const registry = new AttributeRegistry({ warn });
    registry.register(plugin()).register(plugin({ version: '2.0.0' }));
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toMatch(
      /"thing" is already registered \(version 1.2.3\); the new registration \(version 2.0.0\) replaces it/,
    );
    expect(registry.get('thing').version).toBe('2.0.0');
  });

  it('lists the known names for an unknown one', () => {
    const registry = new AttributeRegistry().register(plugin()).register(plugin({ name: 'age' }));
    try {
      registry.get('pose');
      expect.unreachable();
    } catch (e) {
      expect(isGanControlError(e, 'ATTRIBUTE_NOT_FOUND')).toBe(true);
      expect((e as Error).message).toContain('No attribute plugin named "pose" is registered. Registered: thing, age.');
    }
    expect(() => new AttributeRegistry().get('x')).toThrow(/None is registered yet/);
    expect(() => new AttributeRegistry().register({ name: '' } as never)).toThrow(/(^|; |\n)name: /);
  });
});
