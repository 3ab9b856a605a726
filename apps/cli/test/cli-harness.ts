// Builds the CLI once (into its own folder, with the real tsup config) and runs it as a subprocess.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createGenerator } from '@gan-control/stylegan2';
import { writeSafetensors } from '@gan-control/tensor-io';

export const cliDir = resolve(import.meta.dirname, '..');
export const repoRoot = resolve(cliDir, '../..');

let built: string | undefined;

/** A fingerprint of everything the bundle is built from (names, sizes, mtimes). */
function sourceStamp(): string {
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else hash.update(`${p}:${st.size}:${st.mtimeMs}\n`);
    }
  };
  walk(join(cliDir, 'src'));
  for (const pkg of readdirSync(join(repoRoot, 'packages')).sort()) {
    walk(join(repoRoot, 'packages', pkg, 'src'));
    const manifest = join(repoRoot, 'packages', pkg, 'package.json');
    if (existsSync(manifest)) hash.update(readFileSync(manifest));
  }
  hash.update(readFileSync(join(cliDir, 'tsup.config.ts')));
  hash.update(readFileSync(join(cliDir, 'package.json')));
  return hash.digest('hex');
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * Builds `dist/cli.js` with the real tsup config into `.e2e-dist/current` once for all test files
 * (a lock folder serialises parallel test workers; an up-to-date build is reused).
 */
export function buildCli(): string {
  if (built) return built;
  const root = join(cliDir, '.e2e-dist');
  const outDir = join(root, 'current');
  const lock = join(root, 'lock');
  mkdirSync(root, { recursive: true });
  const stamp = sourceStamp();
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) rmSync(lock, { recursive: true, force: true });
      sleep(200);
    }
  }
  try {
    const stampFile = join(outDir, 'stamp');
    if (!existsSync(stampFile) || readFileSync(stampFile, 'utf8') !== stamp) {
      rmSync(outDir, { recursive: true, force: true });
      const tsup = join(repoRoot, 'node_modules', 'tsup', 'dist', 'cli-default.js');
      execFileSync(process.execPath, [tsup, '--silent'], {
        cwd: cliDir,
        env: { ...process.env, GAN_CONTROL_CLI_OUT_DIR: outDir },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      writeFileSync(stampFile, stamp);
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
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

/**
 * A tiny StyleGAN2-ADA generator in NVIDIA's layout (8 px, seed 1) in `dir`: `G.safetensors` and
 * `config.json` with its `G_kwargs`, as `gan-control convert G.safetensors --kwargs config.json` reads.
 */
export function writeTinyNvidiaGenerator(dir: string): void {
  const G = createGenerator(
    { zDim: 8, wDim: 8, resolution: 8, mapping: { numLayers: 2 }, synthesis: { channelBase: 32, channelMax: 8 } },
    { seed: 1 },
  );
  writeFileSync(join(dir, 'G.safetensors'), writeSafetensors(G.stateDict()));
  G.dispose();
  const kwargs = {
    G_kwargs: {
      z_dim: 8,
      c_dim: 0,
      w_dim: 8,
      img_resolution: 8,
      img_channels: 3,
      mapping_kwargs: {
        num_layers: 2,
        embed_features: null,
        layer_features: null,
        activation: 'lrelu',
        lr_multiplier: 0.01,
        w_avg_beta: 0.995,
      },
      synthesis_kwargs: {
        channel_base: 32,
        channel_max: 8,
        num_fp16_res: 0,
        architecture: 'skip',
        resample_filter: [1, 3, 3, 1],
        conv_clamp: null,
        fp16_channels_last: false,
        kernel_size: 3,
        use_noise: true,
        activation: 'lrelu',
      },
    },
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(kwargs));
}
