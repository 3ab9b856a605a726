import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CliError, exitCodeOf, formatZodIssues, reportError, usageError } from '../src/errors.js';

describe('reportError', () => {
  it('CLI errors keep their exit code; no stack unless verbose', () => {
    expect(reportError(new CliError('CLI_X', 'what; why; do this'), { verbose: false })).toEqual({
      line: 'error: what; why; do this',
      exitCode: 1,
    });
    expect(reportError(usageError('bad flag'), { verbose: false }).exitCode).toBe(2);
    expect(reportError(new CliError('CLI_X', 'm'), { verbose: true }).line).toMatch(/^error: m\n.*GanControlError/);
    expect(reportError(new CliError('CLI_INTERRUPTED', 'stopped; continue with: …'), { verbose: false }).exitCode).toBe(130);
    expect(exitCodeOf(new Error('plain'))).toBe(1);
  });

  it('zod errors are shown by field path', () => {
    const schema = z.object({ model: z.object({ groups: z.array(z.object({ size: z.number().positive() })) }) });
    const r = schema.safeParse({ model: { groups: [{ size: 1 }, { size: -1 }] } });
    expect(r.success).toBe(false);
    const { line, exitCode } = reportError(r.error, { verbose: false });
    expect(exitCode).toBe(1);
    expect(line).toMatch(/^error: invalid input: model\.groups\[1\]\.size: /);
    expect(formatZodIssues([{ path: [], message: 'm' }])).toBe('(root): m');
  });

  it('library errors with a code become one line (multi-line messages are joined)', () => {
    const err = Object.assign(new Error('Invalid generator config:\n  zDim: expected number\nFix these fields.'), {
      code: 'STYLEGAN2_INVALID_CONFIG',
    });
    expect(reportError(err, { verbose: false })).toEqual({
      line: 'error: Invalid generator config: zDim: expected number Fix these fields. [STYLEGAN2_INVALID_CONFIG]',
      exitCode: 1,
    });
  });

  it('cac parse errors are usage errors; unexpected errors ask for --verbose', () => {
    const cacErr = Object.assign(new Error('Unknown option `--x`'), { name: 'CACError' });
    expect(reportError(cacErr, { verbose: false }).exitCode).toBe(2);
    expect(reportError(new TypeError('boom'), { verbose: false }).line).toContain('rerun with --verbose');
  });
});
