/** Where results go: `--out` checks done before any heavy work, and atomic file writes. */
import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { CliError } from './errors.js';

/** A checked `--out`: one file or a folder. */
export type OutTarget = { kind: 'file'; path: string } | { kind: 'dir'; path: string };

function nearestExisting(path: string): string {
  let p = path;
  while (!existsSync(p)) {
    const parent = dirname(p);
    if (parent === p) break;
    p = parent;
  }
  return p;
}

function assertWritable(path: string, target: string, flag: string, what: string): void {
  const probe = nearestExisting(path);
  let reason: string | undefined;
  try {
    if (!statSync(probe).isDirectory()) reason = `${probe} is a file, not a folder`;
    else accessSync(probe, constants.W_OK);
  } catch (err) {
    reason = (err as NodeJS.ErrnoException).code === 'EACCES' || (err as NodeJS.ErrnoException).code === 'EPERM' ? `${probe} is not writable` : (err as Error).message;
  }
  if (reason) throw new CliError('CLI_OUT_NOT_WRITABLE', `cannot write ${flag} ${target}: ${reason}; choose a writable ${what}`);
}

/**
 * Resolves and checks `--out`: a path ending in `.png` is one file, anything else is a folder.
 * Fails early, before models load, when it cannot be written; creates nothing (see `ensureOut`).
 *
 * @example
 * const target = prepareOut('grid.png', ctx.cwd, { allowFile: true });
 */
export function prepareOut(out: string, cwd: string, { allowFile, flag = '--out' }: { allowFile: boolean; flag?: string }): OutTarget {
  const path = resolve(cwd, out);
  const isFile = allowFile && extname(path).toLowerCase() === '.png';
  if (!allowFile && extname(path).toLowerCase() === '.png') {
    throw new CliError('CLI_BAD_VALUE', `${flag} ${out} looks like a file; this command writes several files: give a folder`);
  }
  if (isFile && existsSync(path) && statSync(path).isDirectory()) {
    throw new CliError('CLI_OUT_NOT_WRITABLE', `cannot write ${flag} ${path}: it is a folder; give a file name ending in .png or a folder without .png`);
  }
  if (!isFile && existsSync(path) && !statSync(path).isDirectory()) {
    throw new CliError('CLI_OUT_NOT_WRITABLE', `cannot write ${flag} ${path}: a file with that name exists; give a folder`);
  }
  assertWritable(isFile ? dirname(path) : path, path, flag, isFile ? 'file path' : 'folder');
  return isFile ? { kind: 'file', path } : { kind: 'dir', path };
}

/** A number for a file name: `30`, `-12.5`, `0.25`. */
export function fileNumber(v: number): string {
  return String(Number(v.toPrecision(6)));
}

/**
 * Creates the folder of a checked `--out` (right before the first write, so a failed command
 * leaves no empty folders behind).
 *
 * @example
 * ensureOut(target, '--out');
 */
export function ensureOut(target: OutTarget, flag = '--out'): void {
  const dir = target.kind === 'file' ? dirname(target.path) : target.path;
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new CliError('CLI_OUT_NOT_WRITABLE', `cannot create ${flag} ${dir}: ${(err as Error).message}; choose a writable folder`, { cause: err });
  }
}
