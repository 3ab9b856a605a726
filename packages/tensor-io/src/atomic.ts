import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

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
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
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
