import { describe, expect, it } from 'vitest';
import {
  asList,
  formatPluginFlags,
  intFlag,
  normalizeArgv,
  numberFlag,
  parsePluginFlags,
  parseSet,
  parseSweep,
  stringFlag,
} from '../src/args.js';
import { exitCodeOf } from '../src/errors.js';

describe('parseSet', () => {
  it('reads named values and single numbers', () => {
    expect(parseSet(['pose.yaw=30', 'pose.pitch=-5.5', 'age=60'])).toEqual({ pose: { yaw: 30, pitch: -5.5 }, age: 60 });
    expect(parseSet([])).toEqual({});
  });

  it.each([
    ['age', "bad --set 'age': expected <attribute>[.<value>]=<number>"],
    ['=3', "bad --set '=3': expected"],
    ['age=', "bad --set 'age=': '' is not a number"],
    ['age=sixty', "bad --set 'age=sixty': 'sixty' is not a number; use for example --set age=30"],
    ['age=Infinity', "'Infinity' is not a number"],
    ['a.b.c=1', "'a.b.c' is not <attribute> or <attribute>.<value>"],
    ['1pose=1', "'1pose' is not <attribute>"],
  ])('rejects %s', (raw, message) => {
    expect(() => parseSet([raw])).toThrow(message);
  });

  it('rejects repeated and mixed forms', () => {
    expect(() => parseSet(['age=1', 'age=2'])).toThrow("'age' is already set");
    expect(() => parseSet(['pose.yaw=1', 'pose.yaw=2'])).toThrow("'pose.yaw' is already set");
    expect(() => parseSet(['pose=1', 'pose.yaw=2'])).toThrow('set as a single number and by field');
  });

  it('errors carry a stable code and exit code 1', () => {
    try {
      parseSet(['x=y']);
      expect.unreachable();
    } catch (err) {
      expect((err as { code: string }).code).toBe('CLI_BAD_VALUE');
      expect(exitCodeOf(err)).toBe(1);
    }
  });
});

describe('parseSweep', () => {
  it('spreads steps values over [from, to], ends included', () => {
    expect(parseSweep('color.hue=0:270:4')).toEqual({ attribute: 'color', field: 'hue', values: [0, 90, 180, 270] });
    expect(parseSweep('size=0.5:0.1:3')).toEqual({ attribute: 'size', values: [0.5, 0.3, 0.1] });
    expect(parseSweep('pose.yaw=-30:30:2').values).toEqual([-30, 30]);
  });

  it.each([
    ['color.hue', 'expected <attribute>[.<value>]=<from>:<to>:<steps>'],
    ['color.hue=0:1', 'the range must be <from>:<to>:<steps>'],
    ['color.hue=a:1:3', "'a' is not a number"],
    ['color.hue=0:1:1', 'steps must be an integer from 2 to 64'],
    ['color.hue=0:1:2.5', 'steps must be an integer from 2 to 64'],
    ['color.hue=0:1:65', 'steps must be an integer from 2 to 64'],
  ])('rejects %s', (raw, message) => {
    expect(() => parseSweep(raw)).toThrow(message);
  });
});

describe('flag readers', () => {
  it('asList normalises cac values', () => {
    expect(asList(undefined)).toEqual([]);
    expect(asList('a')).toEqual(['a']);
    expect(asList(['a', 3])).toEqual(['a', '3']);
  });

  it('intFlag and numberFlag check bounds with usage errors (exit 2)', () => {
    expect(intFlag(undefined, '--count', { min: 1, fallback: 4 })).toBe(4);
    expect(intFlag('3', '--count', { min: 1, fallback: 4 })).toBe(3);
    expect(() => intFlag('0', '--count', { min: 1, fallback: 1 })).toThrow("--count must be an integer from 1 up, got '0'");
    expect(() => intFlag('1.5', '--seed', { min: 0, max: 9, fallback: 1 })).toThrow('--seed must be an integer from 0 to 9');
    expect(() => intFlag([1, 2], '--seed', { min: 0, fallback: 1 })).toThrow('--seed');
    expect(numberFlag('0.7', '--truncation', { min: 0, max: 1, fallback: 1 })).toBe(0.7);
    try {
      numberFlag('2', '--truncation', { min: 0, max: 1, fallback: 1 });
      expect.unreachable();
    } catch (err) {
      expect(exitCodeOf(err)).toBe(2);
    }
  });

  it('stringFlag rejects repeats and empty values', () => {
    expect(stringFlag(5, '--out')).toBe('5');
    expect(() => stringFlag(['a', 'b'], '--out')).toThrow('--out was given 2 times');
    expect(() => stringFlag(true, '--out')).toThrow('--out needs a value');
  });
});

describe('normalizeArgv', () => {
  it('joins a negative number to the flag before it, and refuses empty arguments', () => {
    expect(normalizeArgv(['generate', '--count', '-3', '--seed', '-1e3', '--json', '--truncation', '-.5'])).toEqual([
      'generate',
      '--count=-3',
      '--seed=-1e3',
      '--json',
      '--truncation=-.5',
    ]);
    expect(normalizeArgv(['generate', '--set', 'pose.yaw=-30', '--', '--x', '-1'])).toEqual([
      'generate',
      '--set',
      'pose.yaw=-30',
      '--',
      '--x',
      '-1',
    ]);
    expect(normalizeArgv(['generate', '-h'])).toEqual(['generate', '-h']);
    expect(() => normalizeArgv(['generate', '--out', ''])).toThrow(
      expect.objectContaining({ code: 'CLI_USAGE', message: '--out was given an empty value; give it a value' }),
    );
    expect(() => normalizeArgv(['inspect', ''])).toThrow('an empty argument ("") was given');
  });
});

describe('parsePluginFlags', () => {
  it('reads attribute=package-or-path, once per attribute', () => {
    expect(parsePluginFlags(['color=./my plugin.mjs', 'pose=@gan-control/attribute-pose'])).toEqual(
      new Map([
        ['color', './my plugin.mjs'],
        ['pose', '@gan-control/attribute-pose'],
      ]),
    );
    expect(() => parsePluginFlags(['color'])).toThrow("bad --plugin 'color': expected <attribute>=<package or path>");
    expect(() => parsePluginFlags(['color='])).toThrow('expected <attribute>=<package or path>');
    expect(() => parsePluginFlags(['a=x', 'a=y'])).toThrow("'a' is already given");
  });

  it('formats them back for next-step hints', () => {
    expect(formatPluginFlags(parsePluginFlags(['color=./c.mjs', 'pose=@gan-control/attribute-pose']))).toBe(
      ' --plugin color=./c.mjs --plugin pose=@gan-control/attribute-pose',
    );
    expect(formatPluginFlags(undefined)).toBe('');
  });
});

describe('prototype safety', () => {
  it.each(['__proto__.padding=4', '__proto__=4', 'constructor.x=1', 'pose.__proto__=1', 'prototype=2', 'pose.constructor=3'])(
    '--set %s is refused and pollutes nothing',
    (raw) => {
      expect(() => parseSet([raw])).toThrow(
        expect.objectContaining({
          code: 'CLI_BAD_VALUE',
          message: expect.stringContaining('cannot be an attribute or value name (__proto__, constructor and prototype are reserved)'),
        }),
      );
      expect(({} as Record<string, unknown>).padding).toBeUndefined();
      expect((Object as unknown as Record<string, unknown>).x).toBeUndefined();
    },
  );

  it('parseSet returns null-prototype objects; --sweep and --plugin refuse the reserved names too', () => {
    const set = parseSet(['pose.yaw=30', 'age=60']);
    expect(Object.getPrototypeOf(set)).toBeNull();
    expect(Object.getPrototypeOf(set.pose)).toBeNull();
    expect(() => parseSweep('__proto__.x=0:1:2')).toThrow(
      "bad --sweep '__proto__.x=0:1:2': '__proto__' cannot be an attribute or value name",
    );
    expect(() => parsePluginFlags(['constructor=./x.mjs'])).toThrow("'constructor' cannot be an attribute or value name");
  });
});
