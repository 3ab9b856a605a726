import { randomBytes } from 'node:crypto';
import { open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

const TMP_SUFFIX = '.tmp';
/** `.<name>.<pid>.<12 hex>.tmp`: the temporary files `writeFileAtomic` makes. */
const TMP_NAME = /^\..+\.(\d+)\.[0-9a-f]{12}\.tmp$/;

/**
 * Writes a file so that readers never see a partial file: the bytes go to a temporary file in
 * the same directory (same file system, so `rename` is atomic), which is fsync-ed, closed and
 * renamed over `path`; the directory is then fsync-ed (best effort) so the rename survives a
 * crash. On any error the temporary file is removed and the previous `path` (if any) is intact.
 *
 * @example
 * ```ts
 * await writeFileAtomic('out/G.safetensors', writeSafetensors(tensors));
 * await writeFileAtomic('out/config.json', JSON.stringify(config, null, 2));
 * ```
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}${TMP_SUFFIX}`);
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(tmp, 'wx', 0o644);
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(tmp, path);
  } catch (error) {
    if (handle) await handle.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
  // Persist the directory entry; not supported on every platform (e.g. Windows), hence best effort.
  try {
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    /* directory fsync unsupported here */
  }
}

/**
 * Removes the temporary files `writeFileAtomic` left in `dir` when its process was killed between
 * writing and renaming (`kill -9`): those of processes that no longer run. The finished files are
 * never touched. Returns the names removed; a missing folder is nothing to clean.
 *
 * @example
 * ```ts
 * await removeStaleTemporaries('runs/shapes/checkpoints'); // e.g. ['.ckpt-000016.safetensors.4242.a1b2c3d4e5f6.tmp']
 * ```
 */
export async function removeStaleTemporaries(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = TMP_NAME.exec(name);
    if (!m || processRuns(Number(m[1]))) continue;
    await unlink(join(dir, name)).catch(() => undefined);
    removed.push(name);
  }
  return removed;
}

/** Whether a process with this id runs (signal 0 checks without signalling). */
function processRuns(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
