import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureOut, prepareOut } from './output.js';

const dir = mkdtempSync(join(tmpdir(), 'cli-out-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('prepareOut', () => {
  it('a .png is a file, anything else a folder; nothing is created until ensureOut', () => {
    const file = prepareOut('a/b/grid.png', dir, { allowFile: true });
    expect(file).toEqual({ kind: 'file', path: join(dir, 'a', 'b', 'grid.png') });
    expect(existsSync(join(dir, 'a'))).toBe(false);
    ensureOut(file);
    expect(existsSync(join(dir, 'a', 'b'))).toBe(true);
    expect(prepareOut('frames', dir, { allowFile: true })).toEqual({ kind: 'dir', path: join(dir, 'frames') });
  });

  it('refuses a file where a folder must go, and the other way round', () => {
    writeFileSync(join(dir, 'plain'), 'x');
    expect(() => prepareOut('plain/x.png', dir, { allowFile: true })).toThrow(`cannot write --out ${join(dir, 'plain', 'x.png')}: ${join(dir, 'plain')} is a file, not a folder`);
    expect(() => prepareOut('plain', dir, { allowFile: false })).toThrow('a file with that name exists; give a folder');
    expect(() => prepareOut('grid.png', dir, { allowFile: false })).toThrow('looks like a file; this command writes several files: give a folder');
  });
});
