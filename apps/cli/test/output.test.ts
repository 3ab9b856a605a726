import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exitCodeOf } from '../src/errors.js';
import { ensureOut, prepareOut } from '../src/output.js';

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
    expect(() => prepareOut('plain/x.png', dir, { allowFile: true })).toThrow(
      `cannot write --out ${join(dir, 'plain', 'x.png')}: ${join(dir, 'plain')} is a file, not a folder`,
    );
    expect(() => prepareOut('plain', dir, { allowFile: false })).toThrow('a file with that name exists; give a folder');
    expect(() => prepareOut('grid.png', dir, { allowFile: false })).toThrow(
      'looks like a file; this command writes several files: give a folder',
    );
  });
});

describe('--out fails fast and clearly', () => {
  // As root, access() allows writing into /proc, and Node's recursive mkdir then spins forever.
  it.skipIf(!existsSync('/proc/self'))(
    'a folder that cannot be created (/proc/forbidden) is refused up front, and ensureOut does not hang',
    () => {
      for (const [out, allowFile] of [
        ['/proc/forbidden/a.png', true],
        ['/proc/forbidden/deeper/dir', false],
      ] as const) {
        const started = Date.now();
        expect(() => prepareOut(out, dir, { allowFile })).toThrow(
          expect.objectContaining({
            code: 'CLI_OUT_NOT_WRITABLE',
            message: expect.stringMatching(
              /^cannot write --out \/proc\/forbidden.*: (cannot create a folder in \/proc|\/proc is not writable)/,
            ),
          }),
        );
        expect(Date.now() - started).toBeLessThan(1000);
      }
      expect(() => ensureOut({ kind: 'dir', path: '/proc/forbidden/x' })).toThrow(
        expect.objectContaining({
          code: 'CLI_OUT_NOT_WRITABLE',
          message: expect.stringContaining('cannot create --out /proc/forbidden/x'),
        }),
      );
      expect(existsSync('/proc/forbidden')).toBe(false);
    },
  );

  it('the writability probe leaves nothing behind', () => {
    expect(prepareOut('new/deep/folder', dir, { allowFile: false })).toEqual({ kind: 'dir', path: join(dir, 'new', 'deep', 'folder') });
    expect(existsSync(join(dir, 'new'))).toBe(false);
  });

  it('another image extension is not taken for a folder name; an empty --out is a usage error', () => {
    expect(() => prepareOut('e.jpg', dir, { allowFile: true })).toThrow(
      expect.objectContaining({
        code: 'CLI_BAD_VALUE',
        message: '--out e.jpg: images are written as PNG only; give a name ending in .png (e.png) or a folder',
      }),
    );
    expect(() => prepareOut('out/E.JPEG', dir, { allowFile: true })).toThrow('images are written as PNG only');
    expect(() => prepareOut('grids.webp', dir, { allowFile: false })).toThrow(
      'looks like a file; this command writes several files: give a folder',
    );
    expect(existsSync(join(dir, 'e.jpg'))).toBe(false);
    expect(() => prepareOut('', dir, { allowFile: true })).toThrow(
      expect.objectContaining({ code: 'CLI_USAGE', message: '--out is empty; give a file name ending in .png or a folder' }),
    );
    expect(
      exitCodeOf(
        ((): unknown => {
          try {
            prepareOut('', dir, { allowFile: true });
          } catch (e) {
            return e;
          }
        })(),
      ),
    ).toBe(2);
    expect(() => prepareOut('  ', dir, { allowFile: false })).toThrow('--out is empty; give a folder');
    // A dot elsewhere is still a folder.
    expect(prepareOut('run.v2', dir, { allowFile: true })).toEqual({ kind: 'dir', path: join(dir, 'run.v2') });
  });
});
