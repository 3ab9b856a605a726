import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { formatZodIssues, GanControlError, isGanControlError, type GanControlErrorConstructor } from '../src/index.js';

type ThingCode = 'THING_MISSING' | 'THING_BROKEN';
const ThingError: GanControlErrorConstructor<ThingCode> = GanControlError;

describe('GanControlError', () => {
  it('carries a code, frozen details and the cause', () => {
    const cause = new Error('low level');
    const e = new ThingError('THING_MISSING', 'no thing', { details: { name: 'x', range: [0, 1] }, cause });
    expect(e).toBeInstanceOf(GanControlError);
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('GanControlError');
    expect(e.code).toBe('THING_MISSING');
    expect(e.message).toBe('no thing');
    expect(e.details).toEqual({ name: 'x', range: [0, 1] });
    expect(Object.isFrozen(e.details)).toBe(true);
    expect(e.cause).toBe(cause);
    expect(new ThingError('THING_BROKEN', 'm').details).toBeUndefined();
    expect('cause' in new ThingError('THING_BROKEN', 'm')).toBe(false);
  });

  it('is recognised by its code, also across copies of the class', () => {
    const e = new GanControlError('A_B', 'm');
    expect(isGanControlError(e)).toBe(true);
    expect(isGanControlError(e, 'A_B')).toBe(true);
    expect(isGanControlError(e, 'A_C')).toBe(false);
    const copy = Object.assign(new Error('from another installed copy'), { code: 'A_B' });
    expect(isGanControlError(copy, 'A_B')).toBe(true);
    expect(isGanControlError({ code: 'A_B', message: 'not an Error' })).toBe(false);
    expect(isGanControlError(Object.assign(new Error('x'), { code: 3 }))).toBe(false);
    expect(isGanControlError(null)).toBe(false);
  });
});

describe('formatZodIssues', () => {
  it('names each field by its path, numbers as indices, the root as (root)', () => {
    const schema = z.object({ groups: z.array(z.object({ size: z.number().positive(), name: z.string() })) });
    const r = schema.safeParse({
      groups: [
        { size: 1, name: 'a' },
        { size: -1, name: 2 },
      ],
    });
    expect(r.success).toBe(false);
    const text = formatZodIssues(r.error!);
    expect(text).toMatch(/^groups\[1\]\.size: .+; groups\[1\]\.name: .+$/);
    expect(formatZodIssues(r.error!.issues)).toBe(text);
    expect(formatZodIssues([{ path: [], message: 'm' }])).toBe('(root): m');
    expect(formatZodIssues([{ path: [0, 'a', 2], message: 'm' }])).toBe('[0].a[2]: m');
  });
});
