import { describe, expect, it } from 'vitest';
import { checkRequest } from '../../src/model.js';
import { circularNotes, isPartial, planGenerate, withSweepValue } from '../../src/commands/generate.js';
import { sweepValues } from '../../src/commands/demo.js';

const attributes = [
  { name: 'color', group: 'color', values: [{ name: 'hue', unit: 'deg' }] },
  {
    name: 'position',
    group: 'position',
    values: [
      { name: 'x', unit: 'px' },
      { name: 'y', unit: 'px' },
    ],
  },
];
const model = { label: 'm', attributes, groups: [{ name: 'color' }, { name: 'position' }, { name: 'other' }] };

describe('planGenerate', () => {
  it('parses flags with defaults', () => {
    expect(planGenerate({ set: ['color.hue=10'], keep: 'other', sweep: 'position.x=0:4:3', count: '2' })).toEqual({
      model: 'shapes',
      set: { color: { hue: 10 } },
      keep: ['other'],
      sweep: { attribute: 'position', field: 'x', values: [0, 2, 4] },
      seed: 0,
      count: 2,
      truncation: 1,
      extrapolate: false,
      shift: [],
      keepOthers: false,
    });
  });

  it('a sweep grid is at most 4096 images in all, not only 4096 rows', () => {
    expect(() => planGenerate({ count: '4096', sweep: 'color.hue=0:300:2' })).toThrow(
      expect.objectContaining({
        code: 'CLI_USAGE',
        message:
          '--count 4096 with a 2-step --sweep is 8192 images; one call makes at most 4096: use --count 2048 or fewer (other seeds in another call with --seed)',
      }),
    );
    expect(planGenerate({ count: '2048', sweep: 'color.hue=0:300:2' }).count).toBe(2048);
    expect(planGenerate({ count: '4096' }).count).toBe(4096);
  });

  it('refuses two sweeps and a value both set and swept', () => {
    expect(() => planGenerate({ sweep: ['a=0:1:2', 'b=0:1:2'] })).toThrow('--sweep was given 2 times');
    expect(() => planGenerate({ set: 'position.x=1', sweep: 'position.x=0:1:2' })).toThrow('is also given with --set');
    expect(planGenerate({ set: 'position.y=1', sweep: 'position.x=0:1:2' }).sweep?.field).toBe('x');
  });
});

describe('sweeps and partial sets', () => {
  it('a sweep column replaces one value and keeps the rest', () => {
    expect(withSweepValue({ position: { y: 1 } }, { attribute: 'position', field: 'x', values: [] }, 5)).toEqual({
      position: { y: 1, x: 5 },
    });
    expect(withSweepValue({}, { attribute: 'color', values: [] }, 90)).toEqual({ color: 90 });
  });

  it('a set is partial when a multi-value attribute misses some values', () => {
    const plan = (set: Record<string, unknown>, sweep?: { attribute: string; field?: string; values: number[] }) => ({
      ...planGenerate({}),
      set: set as never,
      sweep,
    });
    expect(isPartial(plan({ position: { x: 1 } }), attributes)).toBe(true);
    expect(isPartial(plan({ position: { x: 1, y: 2 } }), attributes)).toBe(false);
    expect(isPartial(plan({ position: { y: 2 } }, { attribute: 'position', field: 'x', values: [1] }), attributes)).toBe(false);
    expect(isPartial(plan({ color: 3 }), attributes)).toBe(false);
  });

  it('demo sweeps cover the trained range; a circular range skips its duplicate end', () => {
    expect(sweepValues({ name: 'hue', unit: 'deg', range: [0, 360], circular: true }, 6)).toEqual([0, 60, 120, 180, 240, 300]);
    expect(sweepValues({ name: 'x', unit: 'px', range: [2, 4] }, 3)).toEqual([2, 3, 4]);
  });
});

describe('checkRequest', () => {
  it('accepts known names', () => {
    expect(() =>
      checkRequest(model, { set: { color: 10, position: { x: 1 } }, keep: ['other'], sweep: { attribute: 'position', field: 'y' } }),
    ).not.toThrow();
  });

  it('names what the model controls on an unknown attribute, value or group', () => {
    expect(() => checkRequest(model, { set: { age: 60 }, keep: [] })).toThrow(
      "unknown attribute 'age' in --set: model m controls color (hue in deg); position (x in px, y in px)",
    );
    expect(() => checkRequest(model, { set: { position: { z: 1 } }, keep: [] })).toThrow(
      "unknown value 'position.z' in --set: 'position' has x, y",
    );
    expect(() => checkRequest(model, { set: {}, keep: ['hair'] })).toThrow(
      "unknown latent group 'hair' in --keep: model m has color, position, other",
    );
  });

  it('a multi-value attribute must be set by value name', () => {
    expect(() => checkRequest(model, { set: { position: 3 }, keep: [] })).toThrow(
      "'position' has 2 values (x, y); set them by name, e.g. --set position.x=…",
    );
  });

  it('a model without encoders says how to get them', () => {
    expect(() => checkRequest({ ...model, attributes: [] }, { set: { color: 1 }, keep: [] })).toThrow(
      'it has no encoders; train them with gan-control encoders',
    );
  });
});

describe('circularNotes', () => {
  const supported = [
    { name: 'color', group: 'color', values: [{ name: 'hue', unit: 'deg', range: [0, 360] as const, circular: true }] },
    { name: 'position', group: 'position', values: [{ name: 'x', unit: 'px', range: [0, 32] as const, circular: false }] },
  ];
  it('says when a requested angle wraps (400 deg is 40 deg), and nothing for values inside the turn', () => {
    expect(circularNotes(planGenerate({ set: ['color.hue=400'] }), supported)).toEqual([
      'note: color.hue=400 deg wraps to 40 deg (hue is an angle, period 360; values in [0, 360] are used as given)',
    ]);
    expect(circularNotes(planGenerate({ set: ['color=-30'] }), supported)).toEqual([
      'note: color=-30 deg wraps to 330 deg (hue is an angle, period 360; values in [0, 360] are used as given)',
    ]);
    expect(circularNotes(planGenerate({ set: ['color.hue=360', 'position.x=40'] }), supported)).toEqual([]);
    expect(circularNotes(planGenerate({ sweep: 'color.hue=0:720:3' }), supported)).toEqual([
      'note: color.hue=720 deg wraps to 0 deg (hue is an angle, period 360; values in [0, 360] are used as given)',
    ]);
  });
});
