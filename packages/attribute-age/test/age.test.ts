import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAttribute, type Attribute } from '@gan-control/contrastive-loss';
import ageAttribute, { agePlugin, disposeAgeNet, faceApiModelDir, loadAgeNet, predictAge, type AgeOptionsInput } from '../src/index.js';
import { expectNoLeaks, pairGradient, photoFixtures } from '@gan-control/test-utils';

const photos = photoFixtures(join(import.meta.dirname, '..', 'testdata'));
const reference = photos.reference<{ age: Record<string, number> }>();
const setup = (opts: AgeOptionsInput = {}) => ageAttribute.setup(ageAttribute.options.parse(opts)) as Promise<Attribute>;

describe('attribute-age', () => {
  let attr: Attribute;
  beforeAll(async () => {
    attr = (await createAttribute(ageAttribute)) as Attribute;
  });
  afterAll(() => attr.dispose());

  it('is a plugin object named "age", with a factory and a package.json manifest', () => {
    expect(ageAttribute.name).toBe('age');
    expect(ageAttribute.apiVersion).toBe(1);
    expect(agePlugin()).not.toBe(ageAttribute);
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8'));
    expect(pkg.ganControl.attributes).toEqual([{ name: 'age', values: [{ name: 'age', unit: 'years' }] }]);
    expect(attr.values!.map(({ name, unit }) => ({ name, unit }))).toEqual([{ name: 'age', unit: 'years' }]);
    expect(attr.distance).toBe('l1-mean');
  });

  it('rebuilt network equals upstream face-api AgeGenderNet; plausible ages; bounded change under mirroring, crop and brightness; no leaks', async () => {
    const net = await loadAgeNet(faceApiModelDir(), 'age');
    const pixels = photos.pixels(['astronaut', 'camera']);
    const faces = photos.faces(['astronaut', 'camera']);
    const batch = tf.tidy(() => {
      const astro = tf.slice(faces, [0, 0, 0, 0], [1, -1, -1, -1]);
      const shifted = tf.image.resizeBilinear(tf.slice(astro, [0, 4, 4, 0], [1, 156, 156, 3]), [160, 160]);
      return tf.concat([faces, tf.reverse(astro, 2), tf.clipByValue(tf.add(shifted, 0.24), -1, 1)]) as tf.Tensor4D;
    });
    const [e, y] = expectNoLeaks(() => {
      // the network alone on one photo (short on cpu); the plugin path on both
      const exact = tf.tidy(() => predictAge(net, tf.image.resizeBilinear(tf.slice(pixels, [0, 5, 5, 0], [1, 150, 150, 3]), [112, 112])));
      const years = attr.measure!(batch);
      const rows = [exact.arraySync(), years.arraySync().map((r) => r[0])] as const;
      tf.dispose([exact, years]);
      return rows;
    });
    tf.dispose([pixels, faces, batch]);
    disposeAgeNet(net);
    expect(Math.abs(e[0] - reference.age.astronaut) / reference.age.astronaut).toBeLessThan(1e-6);
    for (const [i, name] of ['astronaut', 'camera'].entries()) {
      expect(Math.abs(y[i] - reference.age[name]) / reference.age[name]).toBeLessThan(1e-4);
    }
    // Eileen Collins was born in 1956; NASA's portrait is from the mid-1990s (≈ 39). The cameraman is a young adult.
    expect(y[0]).toBeGreaterThan(30);
    expect(y[0]).toBeLessThan(50);
    expect(y[1]).toBeGreaterThan(18);
    expect(y[1]).toBeLessThan(40);
    // the network's own noise under nuisance changes reaches ~10 years (calibration max 9.6; this
    // photo mirrored moves ~8 years), far less than the spread of real ages
    expect(Math.abs(y[2] - y[0])).toBeLessThan(10); // mirrored
    expect(Math.abs(y[3] - y[0])).toBeLessThan(10); // shifted crop, brighter
  });

  it('gradient of the contrastive loss reaches the pixels, finite and non-zero, without leaks', () => {
    const faces = photos.faces(['astronaut', 'camera']);
    const { finite, maxAbs } = pairGradient(attr, faces);
    faces.dispose();
    expect(finite).toBe(true);
    expect(maxAbs).toBeGreaterThan(0);
  });

  it('rejects wrong shapes, value ranges and options with errors naming the plugin', async () => {
    expect(() => attr.embed(tf.zeros([160, 160, 3]) as unknown as tf.Tensor4D)).toThrow(/^age: .*\[batch, height, width, 3\]/);
    expect(() => attr.embed(tf.zeros([0, 160, 160, 3]))).toThrow(expect.objectContaining({ code: 'FACE_INPUT_SHAPE' }));
    expect(() => attr.embed(tf.fill([1, 160, 160, 3], -255))).toThrow(
      expect.objectContaining({ code: 'FACE_INPUT_RANGE', message: expect.stringMatching(/^age: /) }),
    );
    expect(() => attr.embed(tf.fill([1, 160, 160, 3], Number.NaN))).toThrow(/^age: images contain NaN/);
    expect(() => ageAttribute.options.parse({ cropFraction: 0 })).toThrow(/cropFraction/);
    expect(() => ageAttribute.options.parse({ weight: 'heavy' })).toThrow(/weight/);
    await expect(createAttribute(ageAttribute, { cropFraction: 1.5 })).rejects.toMatchObject({
      code: 'PLUGIN_OPTIONS_INVALID',
      message: expect.stringMatching(/cropFraction/),
    });
    await expect(setup({ modelDir: '/nonexistent' })).rejects.toMatchObject({
      code: 'FACE_WEIGHTS_MISSING',
      message: expect.stringMatching(/^age: /),
    });
  });

  it('rejects use after dispose', async () => {
    const a = await setup({ checkRange: false });
    a.dispose();
    a.dispose();
    expect(() => a.embed(tf.zeros([1, 160, 160, 3]))).toThrow(
      expect.objectContaining({ code: 'FACE_DISPOSED', message: expect.stringMatching(/^age: the attribute was disposed/) }),
    );
  });
});
