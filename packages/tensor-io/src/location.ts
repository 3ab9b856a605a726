// Where model files come from, one interface in every runtime (the transformers.js `hub.js` model):
// a URL is fetched (`fetch`, in browsers, workers and Node alike); a file path is read from disk in
// Node. This module imports no Node built-in: in Node it asks the running process for `fs`, `path`
// and `url` (`process.getBuiltinModule`, Node >= 20.16), so a browser bundle never contains them.
// In a browser a path-like string is a URL relative to the page.
import { TensorIoError } from './errors.js';

/** A file or folder: a path (Node), a URL string (`https://…`, `blob:`, `data:`) or a `URL`. */
export type FileLocation = string | URL;

interface NodeFs {
  readFile(path: string): Promise<Uint8Array>;
  readFile(path: string, encoding: 'utf8'): Promise<string>;
  readdir(path: string): Promise<string[]>;
  realpath(path: string): Promise<string>;
}
interface NodePath {
  join(...parts: string[]): string;
  relative(from: string, to: string): string;
  isAbsolute(path: string): boolean;
  dirname(path: string): string;
  basename(path: string): string;
}
interface NodeUrl {
  fileURLToPath(url: URL): string;
}
interface NodeModules {
  readonly fs: NodeFs;
  readonly path: NodePath;
  readonly url: NodeUrl;
}

let nodeModules: NodeModules | null | undefined;

/** Node's `fs/promises`, `path` and `url`, or null outside Node. */
function node(): NodeModules | null {
  if (nodeModules === undefined) {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    nodeModules =
      typeof proc?.getBuiltinModule === 'function'
        ? {
            fs: proc.getBuiltinModule('node:fs/promises') as NodeFs,
            path: proc.getBuiltinModule('node:path') as NodePath,
            url: proc.getBuiltinModule('node:url') as NodeUrl,
          }
        : null;
  }
  return nodeModules;
}

const URL_LIKE = /^(?:[a-z][a-z0-9+.-]*:\/\/|blob:|data:)/i;

type Resolved = { readonly kind: 'path'; readonly path: string; readonly node: NodeModules } | { readonly kind: 'url'; readonly url: URL };

function resolve(location: FileLocation): Resolved {
  const n = node();
  if (location instanceof URL || URL_LIKE.test(location)) {
    const url = location instanceof URL ? location : new URL(location);
    // Node's fetch reads no file: URLs; read them from disk instead.
    if (url.protocol === 'file:' && n) return { kind: 'path', path: n.url.fileURLToPath(url), node: n };
    return { kind: 'url', url };
  }
  if (n) return { kind: 'path', path: location, node: n };
  const page = (globalThis as { location?: { href?: string } }).location?.href;
  if (page) return { kind: 'url', url: new URL(location, page) };
  throw new TensorIoError(
    'LOCATION_UNSUPPORTED',
    `'${location}' is a file path, and this runtime has neither Node's file system nor a page to resolve it against; pass a URL (it is fetched) or the bytes.`,
  );
}

async function fetchOk(url: URL): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new TensorIoError('LOCATION_READ_FAILED', `cannot fetch ${url.href} (${(e as Error).message})`, { cause: e });
  }
  if (res.status === 404) throw new TensorIoError('LOCATION_NOT_FOUND', `${url.href} does not exist (HTTP 404)`);
  if (!res.ok) throw new TensorIoError('LOCATION_READ_FAILED', `cannot fetch ${url.href} (HTTP ${res.status} ${res.statusText})`);
  return res;
}

/**
 * The bytes at a location: a path (Node, `fs.readFile`), a URL (`fetch`), or bytes already in
 * memory (returned as they are; an `ArrayBuffer` is wrapped). A missing file rejects with an error
 * for which `isNotFound` is true (Node's `ENOENT` error for a path, `LOCATION_NOT_FOUND` for HTTP 404).
 *
 * @example
 * ```ts
 * const bytes = await readBytes('https://example.org/model/generator.safetensors');
 * const { tensors } = readSafetensors(bytes);
 * ```
 */
export async function readBytes(location: FileLocation | Uint8Array | ArrayBuffer): Promise<Uint8Array> {
  if (location instanceof Uint8Array) return location;
  if (location instanceof ArrayBuffer) return new Uint8Array(location);
  const r = resolve(location);
  if (r.kind === 'path') return new Uint8Array(await r.node.fs.readFile(r.path));
  return new Uint8Array(await (await fetchOk(r.url)).arrayBuffer());
}

/**
 * The UTF-8 text at a location (a path in Node, or a URL).
 *
 * @example
 * ```ts
 * const info = JSON.parse(await readText(joinLocation(modelDir, 'model.json')));
 * ```
 */
export async function readText(location: FileLocation): Promise<string> {
  const r = resolve(location);
  if (r.kind === 'path') return r.node.fs.readFile(r.path, 'utf8');
  return (await fetchOk(r.url)).text();
}

/**
 * The names in a folder. Only a folder on disk (Node) can be listed; a URL folder has no listing,
 * so callers that may run in a browser take the names from a manifest instead.
 *
 * @example
 * ```ts
 * const jsons = (await listFolder('runs/shapes/encoders')).filter((n) => n.endsWith('.json'));
 * ```
 */
export async function listFolder(location: FileLocation): Promise<string[]> {
  const r = resolve(location);
  if (r.kind === 'path') return r.node.fs.readdir(r.path);
  throw new TensorIoError(
    'LOCATION_UNSUPPORTED',
    `cannot list ${r.url.href}: a folder behind a URL has no listing; name the files instead.`,
  );
}

/**
 * `name` (a relative, `/`-separated path) inside the folder `base`: `path.join` for a path,
 * URL resolution (the base taken as a folder) for a URL.
 *
 * @example
 * ```ts
 * joinLocation('runs/shapes', 'encoders');                  // 'runs/shapes/encoders'
 * joinLocation('https://example.org/shapes', 'model.json'); // 'https://example.org/shapes/model.json'
 * ```
 */
export function joinLocation(base: FileLocation, ...names: string[]): string {
  const r = resolve(base);
  if (r.kind === 'path') return r.node.path.join(r.path, ...names);
  const folder = r.url.href.endsWith('/') ? r.url : new URL(`${r.url.href}/`);
  return new URL(names.join('/'), folder).href;
}

/**
 * The folder that holds `location` (`path.dirname`, or the URL's folder).
 *
 * @example
 * ```ts
 * parentLocation('runs/shapes/encoders/color.json'); // 'runs/shapes/encoders'
 * ```
 */
export function parentLocation(location: FileLocation): string {
  const r = resolve(location);
  if (r.kind === 'path') return r.node.path.dirname(r.path);
  return new URL('.', r.url).href;
}

/**
 * The last segment of `location` (`path.basename`, or the URL's file name).
 *
 * @example
 * ```ts
 * baseName('runs/shapes/encoders/color.safetensors'); // 'color.safetensors'
 * ```
 */
export function baseName(location: FileLocation): string {
  const r = resolve(location);
  if (r.kind === 'path') return r.node.path.basename(r.path);
  return decodeURIComponent(r.url.pathname.split('/').pop() ?? '');
}

/**
 * Whether an error from `readBytes` / `readText` / `listFolder` means "there is no such file":
 * Node's `ENOENT` for a path, `LOCATION_NOT_FOUND` (HTTP 404) for a URL.
 *
 * @example
 * ```ts
 * try { info = JSON.parse(await readText(file)); } catch (e) { if (!isNotFound(e)) throw e; }
 * ```
 */
export function isNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'LOCATION_NOT_FOUND';
}

/**
 * Where `name` inside the folder `base` is (or passes through) a link whose target lies outside
 * the folder, that target's real path; otherwise (inside, missing, or a URL, which has no links)
 * undefined. Model folders use it so that a downloaded folder can only make a reader open its
 * own files.
 *
 * @example
 * ```ts
 * const escape = await linkOutside('runs/shapes/model', 'generator.safetensors');
 * if (escape) throw new Error(`generator.safetensors is a link to ${escape}, outside the folder`);
 * ```
 */
export async function linkOutside(base: FileLocation, name: string): Promise<string | undefined> {
  const r = resolve(base);
  if (r.kind !== 'path') return undefined;
  const { fs, path } = r.node;
  let real: string;
  let folder: string;
  try {
    real = await fs.realpath(path.join(r.path, name));
    folder = await fs.realpath(r.path);
  } catch {
    return undefined; // missing: the read that follows says so
  }
  const rel = path.relative(folder, real);
  return rel.startsWith('..') || path.isAbsolute(rel) ? real : undefined;
}
