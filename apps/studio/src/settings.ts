/**
 * The studio's settings and their URL form, so that a link reproduces the picture. Pure: no DOM,
 * no tensors (tested in Node).
 *
 * ```
 * ?seed=3&truncation=0.8&color.hue=120&position.x=14.5&position.y=16&size.size=0.3
 *  &sample=size&seed.other=9&backend=wasm&model=https://example.org/my-model/
 * ```
 * - `<attribute>.<value>=<number>`: a requested value (the controls' aria-labels use the same name);
 * - `sample=<attribute>,…`: attributes whose sub-vector is sampled instead of set;
 * - `seed=<n>`: the seed of every latent group; `seed.<group>=<n>`: one group reseeded;
 * - `truncation=<ψ>`; `backend=webgpu|webgl|wasm|cpu`; `model=<url>` (default: the served model);
 *   `steps=<n>`: Adam steps of the projection of a user's image (default 300, as `gan-control invert`);
 * - `latent=<base64url>`: a projected picture — its w (`[wDim]` float32, little-endian, base64url), so
 *   a link to an edit of the user's own image reproduces it; `resampled=<group>,…`: groups of it
 *   drawn from their seeds since.
 */

/** What a settings parser needs to know about a model. */
export interface SettingsModel {
  readonly groups: readonly { readonly name: string }[];
  readonly attributes: readonly {
    readonly name: string;
    readonly group: string;
    readonly values: readonly {
      readonly name: string;
      readonly range: readonly [number, number];
      readonly circular: boolean;
      readonly mean: number;
    }[];
  }[];
}

export interface Settings {
  seed: number;
  /** Groups reseeded apart from `seed`. */
  groupSeeds: Record<string, number>;
  truncation: number;
  /** Requested values by attribute, in the encoder's value order. */
  values: Record<string, number[]>;
  /** Attributes whose sub-vector is sampled (not set). */
  sampled: Set<string>;
}

/** A projected picture: its w and the groups reseeded since (their slices come from their seeds). */
export interface ProjectedLatent {
  readonly ws: readonly number[];
  readonly resampled: ReadonlySet<string>;
}

/** Extra URL fields that are not picture settings. */
export const PAGE_KEYS = ['backend', 'model', 'steps'] as const;

/** The seed of a latent group. */
export function seedOf(settings: Settings, group: string): number {
  return settings.groupSeeds[group] ?? settings.seed;
}

/** A value brought into an encoder's range: wrapped for circular values, clamped for linear ones. */
export function clampValue(x: number, v: { range: readonly [number, number]; circular: boolean }): number {
  const [lo, hi] = v.range;
  if (v.circular) {
    const p = hi - lo;
    return lo + ((((x - lo) % p) + p) % p);
  }
  return Math.min(hi, Math.max(lo, x));
}

function nonNegativeInt(text: string | null): number | undefined {
  if (text === null || !/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * Settings from a URL query, completed from `defaults` (values the caller picked, e.g. measured on
 * the seed's picture). Unknown keys are ignored; numbers are brought into range.
 *
 * @example
 * const s = parseSettings(new URLSearchParams('seed=3&color.hue=120'), model, defaults);
 */
export function parseSettings(query: URLSearchParams, model: SettingsModel, defaults?: Partial<Settings>): Settings {
  const seed = nonNegativeInt(query.get('seed')) ?? defaults?.seed ?? 0;
  const groupSeeds: Record<string, number> = {};
  for (const g of model.groups) {
    const s = nonNegativeInt(query.get(`seed.${g.name}`)) ?? defaults?.groupSeeds?.[g.name];
    if (s !== undefined && s !== seed) groupSeeds[g.name] = s;
  }
  const t = Number(query.get('truncation'));
  const truncation = query.has('truncation') && Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : (defaults?.truncation ?? 1);
  const values: Record<string, number[]> = {};
  for (const a of model.attributes) {
    values[a.name] = a.values.map((v, i) => {
      const text = query.get(`${a.name}.${v.name}`);
      const x = text === null || text.trim() === '' ? NaN : Number(text);
      const fallback = defaults?.values?.[a.name]?.[i];
      // Rounded as the URL writes it, so that the link reproduces exactly what is rendered.
      return Number(formatNumber(clampValue(Number.isFinite(x) ? x : Number.isFinite(fallback) ? fallback! : v.mean, v)));
    });
  }
  const sampled = new Set<string>();
  const list = query.get('sample');
  const names = list === null ? [...(defaults?.sampled ?? [])] : list.split(',');
  for (const name of names) if (model.attributes.some((a) => a.name === name)) sampled.add(name);
  return { seed, groupSeeds, truncation, values, sampled };
}

/** A short decimal for a URL (at most 4 significant decimals, no trailing zeros). */
export function formatNumber(x: number): string {
  return String(Number(x.toFixed(Math.abs(x) >= 100 ? 2 : 4)));
}

/**
 * The URL query of the settings (plus page fields such as `backend` and `model`).
 *
 * @example
 * history.replaceState(null, '', `?${formatSettings(settings, model, { backend: 'wasm' })}`);
 */
export function formatSettings(
  settings: Settings,
  model: SettingsModel,
  page: Partial<Record<(typeof PAGE_KEYS)[number], string>> = {},
): string {
  const q = new URLSearchParams();
  q.set('seed', String(settings.seed));
  for (const g of model.groups) {
    const s = settings.groupSeeds[g.name];
    if (s !== undefined && s !== settings.seed) q.set(`seed.${g.name}`, String(s));
  }
  if (settings.truncation !== 1) q.set('truncation', formatNumber(settings.truncation));
  for (const a of model.attributes) {
    if (settings.sampled.has(a.name)) continue;
    a.values.forEach((v, i) => q.set(`${a.name}.${v.name}`, formatNumber(settings.values[a.name][i])));
  }
  const sampled = model.attributes.filter((a) => settings.sampled.has(a.name)).map((a) => a.name);
  if (sampled.length) q.set('sample', sampled.join(','));
  for (const k of PAGE_KEYS) if (page[k]) q.set(k, page[k]!);
  return q.toString();
}

/** w as base64url of its float32 little-endian bytes (exact for float32 values). */
export function encodeLatent(ws: readonly number[]): string {
  const bytes = new Uint8Array(ws.length * 4);
  const view = new DataView(bytes.buffer);
  ws.forEach((x, i) => view.setFloat32(i * 4, x, true));
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The w of a `latent=` field, or `undefined` unless it is exactly `wDim` finite float32 values. */
export function decodeLatent(text: string, wDim: number): number[] | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length !== Math.ceil((wDim * 4 * 4) / 3)) return undefined;
  let binary: string;
  try {
    binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  } catch {
    return undefined;
  }
  if (binary.length !== wDim * 4) return undefined;
  const view = new DataView(Uint8Array.from(binary, (c) => c.charCodeAt(0)).buffer);
  const ws = Array.from({ length: wDim }, (_, i) => view.getFloat32(i * 4, true));
  return ws.every(Number.isFinite) ? ws : undefined;
}

/**
 * The projected picture a URL names (`latent=`, `resampled=`), or `undefined` when it names none
 * or a `latent` that does not fit this model (wrong length, not finite: ignored, as other junk is).
 *
 * @example
 * const projected = parseProjected(new URLSearchParams(location.search), model.generator.wDim, model);
 */
export function parseProjected(query: URLSearchParams, wDim: number, model: SettingsModel): ProjectedLatent | undefined {
  const text = query.get('latent');
  if (text === null) return undefined;
  const ws = decodeLatent(text, wDim);
  if (!ws) return undefined;
  const names = (query.get('resampled') ?? '').split(',');
  return { ws, resampled: new Set(model.groups.map((g) => g.name).filter((g) => names.includes(g))) };
}

/** The URL fields of a projected picture (appended after the settings' own). */
export function formatProjected(projected: ProjectedLatent, model: SettingsModel): string {
  const q = new URLSearchParams();
  q.set('latent', encodeLatent(projected.ws));
  const resampled = model.groups.map((g) => g.name).filter((g) => projected.resampled.has(g));
  if (resampled.length) q.set('resampled', resampled.join(','));
  return q.toString();
}
