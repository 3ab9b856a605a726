/**
 * Attribute plugins by name, from the user's project: listing (from the `ganControl` manifest field
 * of each installed package.json, without importing anything) and loading (`pose` →
 * `@gan-control/attribute-pose`, a full package name, or a local path).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, parse as parsePath, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { CliError, formatZodIssues } from './errors.js';

/** The `ganControl` manifest field of a plugin package's package.json. */
export const manifestSchema = z.object({
  attributes: z
    .array(
      z.looseObject({
        name: z.string().min(1),
        description: z.string().optional(),
        /** Named export holding this attribute's plugin (or factory); default export when absent. */
        export: z.string().min(1).optional(),
        values: z.array(z.looseObject({ name: z.string().min(1), unit: z.string() })).default([]),
      }),
    )
    .min(1),
});

/** A validated manifest. */
export type Manifest = z.output<typeof manifestSchema>;

/** One installed plugin package. */
export interface InstalledPlugin {
  packageName: string;
  version: string;
  dir: string;
  description?: string;
  manifest?: Manifest;
  /** Set when the manifest is present but invalid (by field path). */
  problem?: string;
}

interface PackageJson {
  name?: string;
  version?: string;
  description?: string;
  main?: string;
  exports?: unknown;
  ganControl?: unknown;
}

function readPackageJson(dir: string): PackageJson | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
  } catch {
    return undefined;
  }
}

/** Node's lookup order: `<dir>/node_modules` for the directory and each of its parents. */
export function nodeModulesChain(from: string): string[] {
  const dirs: string[] = [];
  let dir = resolve(from);
  for (;;) {
    if (parsePath(dir).base !== 'node_modules') dirs.push(join(dir, 'node_modules'));
    const parent = dirname(dir);
    if (parent === dir) return dirs;
    dir = parent;
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function toInstalled(dir: string, pkg: PackageJson): InstalledPlugin {
  const parsed = manifestSchema.safeParse(pkg.ganControl);
  return {
    packageName: pkg.name ?? dir,
    version: pkg.version ?? '0.0.0',
    dir,
    description: pkg.description,
    manifest: parsed.success ? parsed.data : undefined,
    problem: parsed.success ? undefined : `invalid "ganControl" field in package.json: ${formatZodIssues(parsed.error.issues)}`,
  };
}

/**
 * Lists the attribute-plugin packages visible from `cwd` (closest `node_modules` first; a package
 * name is listed once). Reads package.json files only; nothing is imported.
 *
 * @example
 * for (const p of listInstalledPlugins(process.cwd())) console.log(p.packageName, p.manifest?.attributes);
 */
export function listInstalledPlugins(cwd: string): InstalledPlugin[] {
  const seen = new Map<string, InstalledPlugin>();
  for (const nm of nodeModulesChain(cwd)) {
    if (!isDir(nm)) continue;
    for (const entry of readdirSync(nm)) {
      if (entry.startsWith('.')) continue;
      const dirs = entry.startsWith('@')
        ? isDir(join(nm, entry))
          ? readdirSync(join(nm, entry)).map((e) => join(nm, entry, e))
          : []
        : [join(nm, entry)];
      for (const dir of dirs) {
        const pkg = readPackageJson(dir);
        if (!pkg || pkg.ganControl === undefined || !pkg.name || seen.has(pkg.name)) continue;
        seen.set(pkg.name, toInstalled(dir, pkg));
      }
    }
  }
  return [...seen.values()].sort((a, b) => a.packageName.localeCompare(b.packageName));
}

/** Finds an installed package's folder from `cwd` the way Node does. */
export function findPackageDir(name: string, cwd: string): string | undefined {
  for (const nm of nodeModulesChain(cwd)) {
    const dir = join(nm, ...name.split('/'));
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  return undefined;
}

function pickCondition(target: unknown): string | undefined {
  if (typeof target === 'string') return target;
  if (Array.isArray(target)) return target.map(pickCondition).find(Boolean);
  if (target && typeof target === 'object') {
    const t = target as Record<string, unknown>;
    for (const key of ['import', 'node', 'default']) if (key in t) return pickCondition(t[key]);
  }
  return undefined;
}

/** The ESM entry file of a package folder (exports `.` → import/node/default, else main, else index.js). */
export function packageEntry(dir: string, pkg: PackageJson): string {
  let rel: string | undefined;
  const exp = pkg.exports;
  if (exp !== undefined) {
    const root = typeof exp === 'object' && exp !== null && !Array.isArray(exp) && '.' in exp ? (exp as Record<string, unknown>)['.'] : exp;
    rel = pickCondition(root);
  }
  return join(dir, rel ?? pkg.main ?? 'index.js');
}

/** Where a plugin spec points. */
export interface ResolvedPlugin {
  /** What the user wrote. */
  spec: string;
  /** Package name, or the path for a local file. */
  source: string;
  /** The file to import. */
  entry: string;
  /** The named export holding the plugin; default export when absent. */
  exportName?: string;
  /** The attribute asked for, when the package provides several. */
  attribute?: string;
  manifest?: Manifest;
}

/** A package bundled into the CLI (its plugins load from the bundle, not from node_modules). */
export interface BuiltinPackage {
  packageName: string;
  manifest: Manifest;
  load: () => Promise<Record<string, unknown>>;
}

function installedNames(cwd: string): string {
  const installed = listInstalledPlugins(cwd).filter((p) => p.manifest);
  if (installed.length === 0) return 'no attribute plugins are installed here';
  return `installed: ${installed.map((p) => `${p.manifest!.attributes.map((a) => a.name).join(', ')} (${p.packageName})`).join('; ')}`;
}

function resolveFromDir(spec: string, dir: string, attribute?: string): ResolvedPlugin {
  const pkg = readPackageJson(dir);
  if (!pkg)
    throw new CliError(
      'CLI_PLUGIN_NOT_FOUND',
      `attribute plugin '${spec}': ${dir} has no readable package.json; point at a plugin package folder or its entry file`,
    );
  const parsed = pkg.ganControl === undefined ? undefined : manifestSchema.safeParse(pkg.ganControl);
  if (parsed && !parsed.success) {
    throw new CliError(
      'CLI_PLUGIN_MANIFEST',
      `attribute plugin '${spec}' (${pkg.name ?? dir}): invalid "ganControl" field in package.json: ${formatZodIssues(parsed.error.issues)}`,
    );
  }
  const manifest = parsed?.data;
  const attr = attribute
    ? manifest?.attributes.find((a) => a.name === attribute)
    : manifest?.attributes.length === 1
      ? manifest.attributes[0]
      : undefined;
  return {
    spec,
    source: pkg.name ?? dir,
    entry: packageEntry(dir, pkg),
    exportName: attr?.export,
    attribute: attribute ?? attr?.name,
    manifest,
  };
}

/**
 * Resolves a plugin spec from the user's project: a local path (`./my-plugin`, absolute path, file or
 * package folder), a package name (`@scope/pkg`, `gan-control-attribute-x`), or a short attribute
 * name (`pose` → `@gan-control/attribute-pose` → `gan-control-attribute-pose` → any installed
 * package, or bundled package, whose manifest lists an attribute `pose`).
 *
 * @example
 * const resolved = resolvePlugin('pose', process.cwd());
 */
export function resolvePlugin(spec: string, cwd: string, builtins: readonly BuiltinPackage[] = []): ResolvedPlugin {
  if (spec.startsWith('.') || isAbsolute(spec)) {
    const path = resolve(cwd, spec);
    if (!existsSync(path))
      throw new CliError(
        'CLI_PLUGIN_NOT_FOUND',
        `attribute plugin '${spec}': ${path} does not exist; check the path (it is relative to ${cwd})`,
      );
    if (isDir(path)) return resolveFromDir(spec, path);
    return { spec, source: path, entry: path };
  }
  const [pkgPart, attribute] = spec.includes(':') ? (spec.split(':', 2) as [string, string]) : [spec, undefined];
  const candidates =
    pkgPart.includes('/') || pkgPart.startsWith('@')
      ? [pkgPart]
      : [`@gan-control/attribute-${pkgPart}`, `gan-control-attribute-${pkgPart}`, pkgPart];
  for (const name of candidates) {
    const builtin = builtins.find((b) => b.packageName === name);
    if (builtin) {
      const attr = attribute ? builtin.manifest.attributes.find((a) => a.name === attribute) : undefined;
      return { spec, source: name, entry: `builtin:${name}`, manifest: builtin.manifest, exportName: attr?.export, attribute };
    }
    const dir = findPackageDir(name, cwd);
    if (dir) return resolveFromDir(spec, dir, attribute);
  }
  if (!pkgPart.includes('/')) {
    // A short name that is an attribute of a multi-attribute package (e.g. `hue` in a domain package).
    for (const p of listInstalledPlugins(cwd)) {
      const attr = p.manifest?.attributes.find((a) => a.name === pkgPart);
      if (attr)
        return {
          spec,
          source: p.packageName,
          entry: packageEntry(p.dir, readPackageJson(p.dir)!),
          exportName: attr.export,
          attribute: attr.name,
          manifest: p.manifest,
        };
    }
    for (const b of builtins) {
      const attr = b.manifest.attributes.find((a) => a.name === pkgPart);
      if (attr)
        return {
          spec,
          source: b.packageName,
          entry: `builtin:${b.packageName}`,
          exportName: attr.export,
          attribute: attr.name,
          manifest: b.manifest,
        };
    }
  }
  throw new CliError(
    'CLI_PLUGIN_NOT_FOUND',
    `unknown attribute plugin '${spec}': not found as ${candidates.join(', ')} from ${cwd} (${installedNames(cwd)}); install it (npm install @gan-control/attribute-${pkgPart}) or pass a local path`,
  );
}

/** The parts of a plugin object the CLI checks before handing it to the core. */
export interface LoadedPlugin {
  name: string;
  version: string;
  apiVersion: number;
  options: { safeParse: (input: unknown) => unknown };
  setup: (options: unknown) => Promise<unknown>;
  description?: string;
}

function isPlugin(value: unknown): value is LoadedPlugin {
  const v = value as Partial<LoadedPlugin> | null;
  return (
    !!v &&
    typeof v === 'object' &&
    typeof v.name === 'string' &&
    typeof v.setup === 'function' &&
    typeof v.apiVersion === 'number' &&
    !!v.options
  );
}

/**
 * Imports a resolved plugin and returns its plugin object (a factory export is called with no
 * arguments). Errors name the spec and the file.
 *
 * @example
 * const plugin = await loadPlugin(resolvePlugin('pose', process.cwd()));
 */
export async function loadPlugin(resolved: ResolvedPlugin, builtins: readonly BuiltinPackage[] = []): Promise<LoadedPlugin> {
  let mod: Record<string, unknown>;
  if (resolved.entry.startsWith('builtin:')) {
    const b = builtins.find((x) => `builtin:${x.packageName}` === resolved.entry);
    if (!b)
      throw new CliError(
        'CLI_PLUGIN_NOT_FOUND',
        `attribute plugin '${resolved.spec}': bundled package ${resolved.source} is missing from this build`,
      );
    mod = await b.load();
  } else {
    if (!existsSync(resolved.entry)) {
      throw new CliError(
        'CLI_PLUGIN_NOT_BUILT',
        `attribute plugin '${resolved.spec}' (${resolved.source}): its entry file ${resolved.entry} does not exist; build the package first (npm run build in its folder)`,
      );
    }
    try {
      mod = (await import(pathToFileURL(resolved.entry).href)) as Record<string, unknown>;
    } catch (err) {
      throw new CliError(
        'CLI_PLUGIN_IMPORT',
        `attribute plugin '${resolved.spec}' (${resolved.entry}) failed to load: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
  // Where the plugin lives: the manifest's `export`, else a named export called like the attribute,
  // else the default export (a plugin, a factory, or a list of plugins to pick from by name).
  const want = resolved.attribute;
  const pick = (value: unknown): unknown => {
    if (Array.isArray(value)) return want ? value.find((p) => isPlugin(p) && p.name === want) : value.length === 1 ? value[0] : undefined;
    if (typeof value === 'function' && !isPlugin(value)) return pick((value as () => unknown)());
    return value;
  };
  let key = resolved.exportName ?? 'default';
  let value = pick(mod[key]);
  if (!resolved.exportName && want && isPlugin(pick(mod[want])) && !(isPlugin(value) && value.name === want)) {
    key = want;
    value = pick(mod[want]);
  }
  if (!isPlugin(value)) {
    throw new CliError(
      'CLI_PLUGIN_INVALID',
      `attribute plugin '${resolved.spec}' (${resolved.source}): ${key === 'default' ? 'the default export' : `export '${key}'`} is not an attribute plugin${want ? ` named '${want}'` : ''} (needs name, apiVersion, options, setup); see the core's plugin contract`,
    );
  }
  return value;
}
