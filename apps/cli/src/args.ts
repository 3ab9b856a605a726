/**
 * Flag values → plain data for the library calls. Pure functions: every error is a CliError that
 * quotes the flag and shows a correct example.
 */
import { CliError, usageError } from './errors.js';

/** Values requested for one attribute: one number (`age=60`) or named fields (`pose.yaw=30`). */
export type AttributeRequest = number | Record<string, number>;

/** `--set` values by attribute name. */
export type SetRequest = Record<string, AttributeRequest>;

/** A repeated cac flag arrives as a string, an array, a number or undefined: make it a string list. */
export function asList(value: unknown): string[] {
  if (value === undefined || value === null || value === false) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((v) => String(v));
}

const NAME = /^[A-Za-z_][\w-]*$/;

/** A negative number as a flag value: `-3`, `-0.5`, `-.5`, `-1e3`. */
const NEGATIVE = /^-(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;

/**
 * Prepares argv for cac: `--count -3` becomes `--count=-3` (cac would read `-3` as a flag and
 * report "Unknown option `-3`", so the value's own check can say what is wrong with it), and an
 * empty argument (`--out ""`, which cac turns into 0) is a usage error.
 *
 * @example
 * normalizeArgv(['generate', '--count', '-3']); // ['generate', '--count=-3']
 */
export function normalizeArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (arg === '') {
      const after = argv[i - 1];
      throw usageError(
        after?.startsWith('-')
          ? `${after} was given an empty value; give it a value`
          : `an empty argument ("") was given; remove it or give it a value`,
      );
    }
    const next = argv[i + 1];
    if (arg.startsWith('--') && !arg.includes('=') && next !== undefined && NEGATIVE.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

function parseNumber(text: string, flag: string, raw: string, example: string): number {
  const trimmed = text.trim();
  const n = trimmed === '' ? Number.NaN : Number(trimmed);
  if (!Number.isFinite(n)) {
    throw new CliError('CLI_BAD_VALUE', `bad ${flag} '${raw}': '${text}' is not a number; use for example ${flag} ${example}`);
  }
  return n;
}

/** Names that would reach an object's prototype machinery if used as keys: never attribute or value names. */
const RESERVED = new Set(['__proto__', 'constructor', 'prototype']);

function checkNotReserved(name: string, flag: string, raw: string): void {
  if (RESERVED.has(name)) {
    throw new CliError(
      'CLI_BAD_VALUE',
      `bad ${flag} '${raw}': '${name}' cannot be an attribute or value name (__proto__, constructor and prototype are reserved)`,
    );
  }
}

function parseTarget(target: string, flag: string, raw: string, example: string): { attribute: string; field?: string } {
  const parts = target.split('.');
  if (parts.length > 2 || !parts.every((p) => NAME.test(p))) {
    throw new CliError(
      'CLI_BAD_VALUE',
      `bad ${flag} '${raw}': '${target}' is not <attribute> or <attribute>.<value>; use for example ${flag} ${example}`,
    );
  }
  for (const p of parts) checkNotReserved(p, flag, raw);
  return parts.length === 2 ? { attribute: parts[0], field: parts[1] } : { attribute: parts[0] };
}

/**
 * Parses repeated `--set attribute.field=value` / `--set attribute=value` flags.
 *
 * Returns null-prototype objects; `__proto__`, `constructor` and `prototype` are refused as names.
 *
 * @example
 * parseSet(['pose.yaw=30', 'pose.pitch=0', 'age=60']); // { pose: { yaw: 30, pitch: 0 }, age: 60 }
 */
export function parseSet(values: readonly string[]): SetRequest {
  // Null-prototype objects: names come from the command line (and are checked by parseTarget too).
  const out: SetRequest = Object.create(null) as SetRequest;
  for (const raw of values) {
    const eq = raw.indexOf('=');
    if (eq <= 0) {
      throw new CliError(
        'CLI_BAD_VALUE',
        `bad --set '${raw}': expected <attribute>[.<value>]=<number>; use for example --set pose.yaw=30 or --set age=60`,
      );
    }
    const { attribute, field } = parseTarget(raw.slice(0, eq), '--set', raw, 'pose.yaw=30');
    const value = parseNumber(raw.slice(eq + 1), '--set', raw, `${raw.slice(0, eq)}=30`);
    const prev = out[attribute];
    if (field === undefined) {
      if (prev !== undefined)
        throw new CliError('CLI_BAD_VALUE', `bad --set '${raw}': '${attribute}' is already set; give each attribute value once`);
      out[attribute] = value;
    } else {
      if (typeof prev === 'number') {
        throw new CliError('CLI_BAD_VALUE', `bad --set '${raw}': '${attribute}' was set as a single number and by field; use one form`);
      }
      const fields = prev ?? (Object.create(null) as Record<string, number>);
      if (field in fields)
        throw new CliError('CLI_BAD_VALUE', `bad --set '${raw}': '${attribute}.${field}' is already set; give each value once`);
      fields[field] = value;
      out[attribute] = fields;
    }
  }
  return out;
}

/** One `--shift attribute[.value]=±delta` request (a relative edit along a fitted direction). */
export interface ShiftRequest {
  /** `attribute` or `attribute.value`, as given. */
  name: string;
  delta: number;
}

/**
 * Parses repeated `--shift attribute[.value]=±delta` flags, in order (each value at most once).
 *
 * @example
 * parseShift(['color.hue=+40', 'size=-0.05']); // [{ name: 'color.hue', delta: 40 }, { name: 'size', delta: -0.05 }]
 */
export function parseShift(values: readonly string[]): ShiftRequest[] {
  const out: ShiftRequest[] = [];
  for (const raw of values) {
    const eq = raw.indexOf('=');
    if (eq <= 0)
      throw new CliError(
        'CLI_BAD_VALUE',
        `bad --shift '${raw}': expected <attribute>[.<value>]=<±number>; use for example --shift color.hue=+40`,
      );
    const { attribute, field } = parseTarget(raw.slice(0, eq), '--shift', raw, 'color.hue=+40');
    const name = field === undefined ? attribute : `${attribute}.${field}`;
    const delta = parseNumber(raw.slice(eq + 1), '--shift', raw, `${name}=+40`);
    if (out.some((r) => r.name === name))
      throw new CliError(
        'CLI_BAD_VALUE',
        `bad --shift '${raw}': '${name}' is already shifted; give each value once (shifts add up: give the sum)`,
      );
    out.push({ name, delta });
  }
  return out;
}

/**
 * Parses repeated `--plugin <attribute>=<package|path>` flags: the plugin the user trusts for an
 * attribute of the model, in place of the one its model.json names.
 *
 * @example
 * parsePluginFlags(['brightness=./gan-control-attribute-brightness']); // Map { 'brightness' => './gan-control-attribute-brightness' }
 */
export function parsePluginFlags(values: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of values) {
    const eq = raw.indexOf('=');
    const name = raw.slice(0, eq);
    if (eq <= 0 || eq === raw.length - 1 || !NAME.test(name)) {
      throw usageError(
        `bad --plugin '${raw}': expected <attribute>=<package or path>; use for example --plugin brightness=./gan-control-attribute-brightness`,
      );
    }
    checkNotReserved(name, '--plugin', raw);
    if (out.has(name)) throw usageError(`bad --plugin '${raw}': '${name}' is already given; name one plugin per attribute`);
    out.set(name, raw.slice(eq + 1));
  }
  return out;
}

/**
 * `--plugin` flags as they were given, for the next-step hints a command prints.
 *
 * @example
 * formatPluginFlags(new Map([['brightness', './b']])); // ' --plugin brightness=./b'
 */
export function formatPluginFlags(plugins: ReadonlyMap<string, string> | undefined): string {
  return [...(plugins ?? [])].map(([name, spec]) => ` --plugin ${name}=${spec}`).join('');
}

/** A parsed `--sweep`: one attribute value from `from` to `to` in `steps` columns. */
export interface Sweep {
  attribute: string;
  field?: string;
  values: number[];
}

/**
 * Parses `--sweep attribute.field=from:to:steps` (`steps` ≥ 2 evenly spaced values, ends included).
 *
 * @example
 * parseSweep('hue.hue=0:270:4'); // { attribute: 'hue', field: 'hue', values: [0, 90, 180, 270] }
 */
export function parseSweep(raw: string): Sweep {
  const example = 'pose.yaw=-30:30:5';
  const eq = raw.indexOf('=');
  if (eq <= 0)
    throw new CliError(
      'CLI_BAD_VALUE',
      `bad --sweep '${raw}': expected <attribute>[.<value>]=<from>:<to>:<steps>; use for example --sweep ${example}`,
    );
  const target = parseTarget(raw.slice(0, eq), '--sweep', raw, example);
  const range = raw.slice(eq + 1).split(':');
  if (range.length !== 3) {
    throw new CliError('CLI_BAD_VALUE', `bad --sweep '${raw}': the range must be <from>:<to>:<steps>; use for example --sweep ${example}`);
  }
  const from = parseNumber(range[0], '--sweep', raw, example);
  const to = parseNumber(range[1], '--sweep', raw, example);
  const steps = parseNumber(range[2], '--sweep', raw, example);
  if (!Number.isInteger(steps) || steps < 2 || steps > 64) {
    throw new CliError('CLI_BAD_VALUE', `bad --sweep '${raw}': steps must be an integer from 2 to 64, got '${range[2]}'`);
  }
  // Interpolated as from·(1−t) + to·t, which cannot overflow (to − from can: 1e308:-1e308 gave NaN);
  // rounded to 12 significant digits so 0.1-steps print as 0.3, not 0.30000000000000004.
  const values = Array.from({ length: steps }, (_, i) => {
    const t = i / (steps - 1);
    return Number((from * (1 - t) + to * t).toPrecision(12));
  });
  return { ...target, values };
}

/**
 * Reads an integer flag within bounds; `undefined` gives the default.
 *
 * @example
 * intFlag(opts.count, '--count', { min: 1, fallback: 1 });
 */
export function intFlag(
  value: unknown,
  flag: string,
  { min, max = Number.MAX_SAFE_INTEGER, fallback }: { min: number; max?: number; fallback: number },
): number {
  if (value === undefined) return fallback;
  const n = typeof value === 'number' ? value : Number(String(value));
  if (Array.isArray(value) || !Number.isInteger(n) || n < min || n > max) {
    throw usageError(
      `${flag} must be an integer from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}, got '${String(value)}'`,
    );
  }
  return n;
}

/**
 * Reads a number flag within bounds; `undefined` gives the default.
 *
 * @example
 * numberFlag(opts.truncation, '--truncation', { min: 0, max: 2, fallback: 1 });
 */
export function numberFlag(value: unknown, flag: string, { min, max, fallback }: { min: number; max: number; fallback: number }): number {
  if (value === undefined) return fallback;
  const n = typeof value === 'number' ? value : Number(String(value));
  if (Array.isArray(value) || !Number.isFinite(n) || n < min || n > max) {
    throw usageError(`${flag} must be a number from ${min} to ${max}, got '${String(value)}'`);
  }
  return n;
}

/**
 * Reads a string flag (cac turns `--out 5` into a number; a repeated flag into an array).
 *
 * @example
 * stringFlag(opts.out, '--out'); // 'grid.png' or undefined
 */
export function stringFlag(value: unknown, flag: string): string | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) throw usageError(`${flag} was given ${value.length} times; give it once`);
  if (value === true || value === '') throw usageError(`${flag} needs a value`);
  return String(value);
}
