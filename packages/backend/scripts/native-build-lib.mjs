// Shared by scripts/build-native.mjs and the lazy build of src/native/addon.ts.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, platform } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const SOURCE = join(PACKAGE_ROOT, 'native', 'gan_native.cc');
export const ADDON = join(PACKAGE_ROOT, 'build', 'gan_control_native.node');
export const STAMP = join(PACKAGE_ROOT, 'build', 'gan_control_native.json');

/** What the addon must have been built for: this source, this CPU, this platform. */
export function fingerprint() {
  let flags = '';
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    flags = (info.match(/^flags\s*:(.*)$/m)?.[1] ?? '').trim();
  } catch {
    // Not Linux: the CPU model name stands in for the feature flags.
  }
  const source = existsSync(SOURCE) ? createHash('sha256').update(readFileSync(SOURCE)).digest('hex').slice(0, 16) : 'missing';
  return {
    source,
    cpu: `${cpus()[0]?.model ?? 'unknown'}|${createHash('sha256').update(flags).digest('hex').slice(0, 16)}`,
    platform: `${platform()}-${process.arch}`,
    napi: 8,
  };
}

/** True when build/ holds an addon built from this source for this machine. */
export function upToDate() {
  if (!existsSync(ADDON) || !existsSync(STAMP)) return false;
  try {
    const stamp = JSON.parse(readFileSync(STAMP, 'utf8'));
    const now = fingerprint();
    return stamp.source === now.source && stamp.cpu === now.cpu && stamp.platform === now.platform;
  } catch {
    return false;
  }
}

function findCompiler() {
  const candidates = [process.env.CXX, 'c++', 'g++', 'clang++'].filter(Boolean);
  for (const cxx of candidates) {
    try {
      execFileSync(cxx, ['--version'], { stdio: 'ignore' });
      return cxx;
    } catch {
      // try the next one
    }
  }
  return null;
}

function findNodeHeaders() {
  const prefix = resolve(dirname(process.execPath), '..');
  const dirs = [
    process.env.GAN_CONTROL_NODE_HEADERS,
    join(prefix, 'include', 'node'),
    '/usr/include/node',
    '/usr/local/include/node',
  ].filter(Boolean);
  return dirs.find((d) => existsSync(join(d, 'node_api.h'))) ?? null;
}

/**
 * Compiles the addon. Returns { ok: true, built, path } or { ok: false, reason }; never throws.
 * @param {{ force?: boolean, log?: (m: string) => void }} [opts]
 */
export function buildNative(opts = {}) {
  try {
    return build(opts);
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
}

function build(opts) {
  const log = opts.log ?? (() => {});
  if (!opts.force && upToDate()) return { ok: true, built: false, path: ADDON };
  if (!existsSync(SOURCE)) return { ok: false, reason: `source ${SOURCE} is missing` };
  if (process.platform === 'win32')
    return { ok: false, reason: 'building on Windows is not supported yet (needs node.lib); use the wasm backend' };
  const cxx = findCompiler();
  if (!cxx) return { ok: false, reason: 'no C++ compiler found (set CXX, or install g++ / clang++)' };
  const headers = findNodeHeaders();
  if (!headers)
    return {
      ok: false,
      reason: `Node headers (node_api.h) not found next to ${process.execPath}; set GAN_CONTROL_NODE_HEADERS to the folder holding node_api.h`,
    };
  mkdirSync(dirname(ADDON), { recursive: true });
  const tmp = `${ADDON}.${process.pid}.tmp`;
  const args = [
    '-O3',
    '-std=c++17',
    '-fPIC',
    '-shared',
    '-pthread',
    '-fvisibility=hidden',
    ...(process.env.GAN_CONTROL_NATIVE_PORTABLE ? [] : ['-march=native']),
    '-DNODE_GYP_MODULE_NAME=gan_control_native',
    '-DNAPI_VERSION=8',
    `-I${headers}`,
    SOURCE,
    '-o',
    tmp,
    ...(process.platform === 'darwin' ? ['-undefined', 'dynamic_lookup'] : []),
  ];
  log(`compiling ${SOURCE} with ${cxx} (about 10-20 s)`);
  try {
    execFileSync(cxx, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    rmSync(tmp, { force: true });
    const stderr = err && typeof err === 'object' && 'stderr' in err ? String(err.stderr).split('\n').slice(0, 5).join(' ') : String(err);
    return { ok: false, reason: `${cxx} failed: ${stderr}` };
  }
  renameSync(tmp, ADDON);
  writeFileSync(STAMP, JSON.stringify(fingerprint(), null, 2));
  return { ok: true, built: true, path: ADDON };
}
