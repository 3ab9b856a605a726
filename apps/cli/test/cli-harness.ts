// Builds the CLI once (into its own folder, with the real tsup config) and runs it as a subprocess.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const cliDir = resolve(import.meta.dirname, '..');
export const repoRoot = resolve(cliDir, '../..');

let built: string | undefined;

/** Builds `dist/cli.js` with tsup into `.e2e-dist/<pid>` and returns its path. */
export function buildCli(): string {
  if (built) return built;
  const outDir = join(cliDir, '.e2e-dist', String(process.pid));
  const tsup = join(repoRoot, 'node_modules', 'tsup', 'dist', 'cli-default.js');
  execFileSync(process.execPath, [tsup, '--silent'], {
    cwd: cliDir,
    env: { ...process.env, GAN_CONTROL_CLI_OUT_DIR: outDir },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  built = join(outDir, 'cli.js');
  if (!existsSync(built)) throw new Error(`tsup did not write ${built}`);
  return built;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI in `cwd` (not a TTY: no progress bars). */
export function runCli(args: string[], { cwd = repoRoot, input }: { cwd?: string; input?: string } = {}): Promise<RunResult> {
  const cli = buildCli();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

/** A temporary user project whose node_modules is the repository's (so npm packages resolve). */
export function tempProject(prefix = 'gan-control-e2e-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

/** A temporary project with no node_modules at all. */
export function emptyProject(prefix = 'gan-control-empty-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  mkdirSync(join(dir, 'node_modules'));
  return dir;
}

/** PNG width and height from the IHDR chunk (and a signature check). */
export function pngSize(bytes: Uint8Array): { width: number; height: number } {
  const sig = [137, 80, 78, 71, 13, 10, 26, 10];
  if (!sig.every((b, i) => bytes[i] === b)) throw new Error('not a PNG (bad signature)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') throw new Error('not a PNG (no IHDR)');
  return { width: view.getUint32(16), height: view.getUint32(20) };
}
