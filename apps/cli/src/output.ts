/** Where results go: `--out` checks done before any heavy work, and atomic file writes. */
import { accessSync, constants, existsSync, mkdirSync, rmdirSync, statSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import { CliError, usageError } from './errors.js';

/** Image extensions other than `.png`: an `--out` with one is a mistake, not a folder name. */
const OTHER_IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.webp', '.gif', '.bmp', '.tif', '.tiff', '.avif', '.svg', '.heic', '.ppm']);

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
    reason =
      (err as NodeJS.ErrnoException).code === 'EACCES' || (err as NodeJS.ErrnoException).code === 'EPERM'
        ? `${probe} is not writable`
        : (err as Error).message;
  }
  // access() says yes to root almost everywhere (/proc, /sys): try the first missing folder for real.
  if (!reason && probe !== path) {
    const first = firstMissing(path, probe);
    try {
      mkdirSync(first);
      rmdirSync(first);
    } catch (err) {
      reason = `cannot create a folder in ${probe} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
    }
  }
  if (reason) throw new CliError('CLI_OUT_NOT_WRITABLE', `cannot write ${flag} ${target}: ${reason}; choose a writable ${what}`);
}

/** The child of `existing` on the way to `path`. */
function firstMissing(path: string, existing: string): string {
  let p = path;
  while (dirname(p) !== existing && dirname(p) !== p) p = dirname(p);
  return p;
}

/**
 * Creates `dir` and its missing parents one level at a time. Node's `mkdirSync(dir, { recursive:
 * true })` loops forever where mkdir fails with ENOENT under an existing parent (`/proc` as root);
 * here each level is tried once, so a bad path is an error at once.
 */
function makeDirs(dir: string): void {
  const missing: string[] = [];
  for (let p = dir; !existsSync(p); p = dirname(p)) {
    missing.push(p);
    if (dirname(p) === p) break;
  }
  for (const p of missing.reverse()) {
    try {
      mkdirSync(p);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  if (!statSync(dir).isDirectory()) throw new Error(`${dir} is not a folder`);
}

/**
 * Resolves and checks `--out`: a path ending in `.png` is one file, anything else is a folder
 * (another image extension, like `.jpg`, is refused rather than made a folder). Fails early,
 * before models load, when it cannot be written; creates nothing that stays (see `ensureOut`).
 *
 * @example
 * const target = prepareOut('grid.png', ctx.cwd, { allowFile: true });
 */
export function prepareOut(out: string, cwd: string, { allowFile, flag = '--out' }: { allowFile: boolean; flag?: string }): OutTarget {
  if (out.trim() === '') throw usageError(`${flag} is empty; give a ${allowFile ? 'file name ending in .png or a folder' : 'folder'}`);
  const path = resolve(cwd, out);
  const ext = extname(path).toLowerCase();
  const isFile = allowFile && ext === '.png';
  if (allowFile && OTHER_IMAGE_EXTENSIONS.has(ext)) {
    throw new CliError(
      'CLI_BAD_VALUE',
      `${flag} ${out}: images are written as PNG only; give a name ending in .png (${basename(out, extname(out))}.png) or a folder`,
    );
  }
  if (!allowFile && (ext === '.png' || OTHER_IMAGE_EXTENSIONS.has(ext))) {
    throw new CliError('CLI_BAD_VALUE', `${flag} ${out} looks like a file; this command writes several files: give a folder`);
  }
  if (isFile && existsSync(path) && statSync(path).isDirectory()) {
    throw new CliError(
      'CLI_OUT_NOT_WRITABLE',
      `cannot write ${flag} ${path}: it is a folder; give a file name ending in .png or a folder without .png`,
    );
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
    makeDirs(dir);
  } catch (err) {
    throw new CliError('CLI_OUT_NOT_WRITABLE', `cannot create ${flag} ${dir}: ${(err as Error).message}; choose a writable folder`, {
      cause: err,
    });
  }
}
