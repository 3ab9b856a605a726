// safetensors reader/writer (https://github.com/huggingface/safetensors, "Format" section):
// u64 little-endian header length N, N bytes of UTF-8 JSON
// `{ name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__"?: { string: string } }`,
// then the raw little-endian, row-major byte buffer; offsets are relative to the byte after the
// header.
import { TensorIoError } from './errors.js';
import { describeValue, limitError, resolveLimits, type TensorIoLimits } from './limits.js';

/** Element types of the safetensors format. */
export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U64' | 'U32' | 'U16' | 'U8' | 'BOOL';

/** Bytes per element of each safetensors dtype (also the torch reader's storage sizes). */
export const DTYPE_BYTES: Record<SafetensorsDtype, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
};

/** Decoded element arrays. F16 and BF16 are widened to float32 on read. */
export type TensorData =
  | Float64Array
  | Float32Array
  | BigInt64Array
  | BigUint64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint32Array
  | Uint16Array
  | Uint8Array;

/** One tensor of a safetensors file. `dtype` is the type stored in the file. */
export interface SafetensorsEntry {
  readonly dtype: SafetensorsDtype;
  readonly shape: number[];
  readonly data: TensorData;
}

/**
 * What `readSafetensors` returns: tensors in file (data-offset) order, and the string metadata.
 * Both are null-prototype objects, so every name in the file is an own key (a tensor named
 * `__proto__` or `constructor` is a tensor like any other) and a missing name reads as `undefined`.
 */
export interface SafetensorsFile {
  readonly tensors: Record<string, SafetensorsEntry>;
  readonly metadata?: Record<string, string>;
}

/** Options of `readSafetensors`. */
export interface ReadSafetensorsOptions {
  /**
   * How I64/U64 tensors are returned: `'bigint'` (default, lossless `BigInt64Array`/`BigUint64Array`)
   * or `'number'` (`Float64Array`; throws if a value is outside ±2^53).
   */
  readonly int64?: 'bigint' | 'number';
  /**
   * Resource limits (see `TensorIoLimits`, defaults in `DEFAULT_LIMITS`): `maxHeaderBytes`,
   * `maxTensors` (entries in the header) and `maxTensorElements` (per tensor).
   */
  readonly limits?: TensorIoLimits;
}

/** A tensor name for a message: quoted, at most 200 characters. */
function nameOf(name: string): string {
  return JSON.stringify(name.length > 200 ? `${name.slice(0, 200)}…` : name);
}

function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** float16 bits → float32 value (IEEE 754 half precision, incl. subnormals, inf and NaN). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** float32 value → float16 bits (round to nearest even). */
export function floatToHalf(value: number): number {
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    let half = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}

/** Converts float16 bits to a Float32Array. */
export function halfArrayToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = halfToFloat(bits[i]);
  return out;
}

/** Converts bfloat16 bits (the high half of a float32) to a Float32Array; exact. */
export function bfloat16ArrayToFloat32(bits: Uint16Array): Float32Array {
  const u = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) u[i] = bits[i] << 16;
  return new Float32Array(u.buffer);
}

const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Copies `bytes` (little-endian elements) into a fresh, aligned typed array of `dtype`. */
export function decodeLittleEndian(
  bytes: Uint8Array,
  dtype: SafetensorsDtype,
  int64: 'bigint' | 'number' = 'bigint',
  what = 'tensor',
): TensorData {
  if (!littleEndianHost) {
    throw new TensorIoError('SAFETENSORS_INVALID_INPUT', 'tensor-io supports little-endian hosts only.');
  }
  const copy = bytes.slice().buffer;
  switch (dtype) {
    case 'F64':
      return new Float64Array(copy);
    case 'F32':
      return new Float32Array(copy);
    case 'F16':
      return halfArrayToFloat32(new Uint16Array(copy));
    case 'BF16':
      return bfloat16ArrayToFloat32(new Uint16Array(copy));
    case 'I32':
      return new Int32Array(copy);
    case 'I16':
      return new Int16Array(copy);
    case 'I8':
      return new Int8Array(copy);
    case 'U32':
      return new Uint32Array(copy);
    case 'U16':
      return new Uint16Array(copy);
    case 'U8':
    case 'BOOL':
      return new Uint8Array(copy);
    case 'I64':
    case 'U64': {
      const big = dtype === 'I64' ? new BigInt64Array(copy) : new BigUint64Array(copy);
      if (int64 === 'bigint') return big;
      const out = new Float64Array(big.length);
      for (let i = 0; i < big.length; i++) {
        const v = big[i];
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
          throw new TensorIoError(
            'SAFETENSORS_INVALID_INPUT',
            `${what}: ${dtype} value ${v} at index ${i} does not fit a JavaScript number exactly; read with { int64: 'bigint' }.`,
          );
        }
        out[i] = Number(v);
      }
      return out;
    }
  }
}

function corrupt(msg: string): TensorIoError {
  return new TensorIoError('SAFETENSORS_CORRUPT', `Corrupt safetensors file: ${msg}`);
}

/**
 * Parses a safetensors file. F16 and BF16 tensors are widened to float32 (`dtype` still says what
 * the file stored); every `data` is a fresh copy, so the input buffer may be reused.
 *
 * Throws `TensorIoError` with code `SAFETENSORS_TRUNCATED` when the file is shorter than its
 * header says, `SAFETENSORS_CORRUPT` for an invalid header (bad JSON, unknown dtype, offsets that
 * do not match the shape, overlap, or point outside the file).
 *
 * @example
 * ```ts
 * const { tensors, metadata } = readSafetensors(await readFile('G.safetensors'));
 * const w = tensors['style.id.1.weight']; // { dtype: 'F32', shape: [256, 16], data: Float32Array }
 * ```
 */
export function readSafetensors(bytes: Uint8Array, options: ReadSafetensorsOptions = {}): SafetensorsFile {
  if (!(bytes instanceof Uint8Array)) {
    throw new TensorIoError('SAFETENSORS_INVALID_INPUT', 'readSafetensors expects a Uint8Array (e.g. the result of fs.readFile).');
  }
  const fn = 'readSafetensors';
  const limits = resolveLimits(options.limits, fn, 'INVALID_OPTION');
  if (options.int64 !== undefined && options.int64 !== 'bigint' && options.int64 !== 'number') {
    throw new TensorIoError(
      'SAFETENSORS_INVALID_INPUT',
      `readSafetensors: int64 must be 'bigint' or 'number', got ${describeValue(options.int64, 40)}.`,
    );
  }
  if (bytes.length < 8) {
    throw new TensorIoError(
      'SAFETENSORS_TRUNCATED',
      `Truncated safetensors file: ${bytes.length} bytes, but the 8-byte header length alone needs 8. Re-download or re-export the file.`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen64 = view.getBigUint64(0, true);
  const headerLen = Number(headerLen64);
  if (8 + headerLen > bytes.length) {
    if (headerLen > limits.maxHeaderBytes) {
      throw corrupt(
        `header length ${headerLen64} is larger than the file and than the ${limits.maxHeaderBytes}-byte header limit (is this a safetensors file?).`,
      );
    }
    throw new TensorIoError(
      'SAFETENSORS_TRUNCATED',
      `Truncated safetensors file: the header declares ${headerLen} bytes but only ${bytes.length - 8} follow. Re-download or re-export the file.`,
    );
  }
  if (headerLen > limits.maxHeaderBytes) {
    throw limitError(fn, 'maxHeaderBytes', headerLen, limits.maxHeaderBytes, `the JSON header is ${headerLen} bytes`);
  }
  const headerText = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(8, 8 + headerLen));
  let header: unknown;
  try {
    header = JSON.parse(headerText);
  } catch (e) {
    throw corrupt(`the header is not valid JSON (${String((e as Error).message).slice(0, 200)}).`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw corrupt('the header is not a JSON object.');
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  let metadata: Record<string, string> | undefined;
  const parsed: { name: string; dtype: SafetensorsDtype; shape: number[]; begin: number; end: number }[] = [];
  // JSON.parse makes "__proto__" an own key, so Object.entries sees every name of the file.
  const entries = Object.entries(header as Record<string, unknown>);
  const count = entries.length - (Object.hasOwn(header, '__metadata__') ? 1 : 0);
  if (count > limits.maxTensors) throw limitError(fn, 'maxTensors', count, limits.maxTensors, `the header lists ${count} tensors`);
  for (const [name, raw] of entries) {
    if (name === '__metadata__') {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw corrupt('"__metadata__" must be an object of strings.');
      const meta: Record<string, string> = Object.create(null);
      for (const [k, v] of Object.entries(raw)) {
        if (typeof v !== 'string')
          throw corrupt(
            `"__metadata__.${k.length > 200 ? `${k.slice(0, 200)}…` : k}" must be a string, got ${Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v}.`,
          );
        meta[k] = v;
      }
      metadata = meta;
      continue;
    }
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (info === null || typeof info !== 'object' || Array.isArray(info)) throw corrupt(`tensor ${nameOf(name)}: entry is not an object.`);
    const dtype = info.dtype;
    if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_BYTES, dtype)) {
      throw corrupt(
        `tensor ${nameOf(name)}: unsupported dtype ${describeValue(dtype, 60)}; valid: ${Object.keys(DTYPE_BYTES).join(', ')}.`,
      );
    }
    const shape = info.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw corrupt(`tensor ${nameOf(name)}: shape must be an array of non-negative integers, got ${describeValue(shape)}.`);
    }
    // Checked product: a crafted shape must not overflow into a small, matching byte count.
    let elements = 1;
    for (const d of shape as number[]) elements *= d;
    if (shape.length > 0 && (shape as number[]).includes(0)) elements = 0;
    if (elements > limits.maxTensorElements) {
      throw limitError(
        fn,
        'maxTensorElements',
        elements,
        limits.maxTensorElements,
        `tensor ${nameOf(name)} of shape ${describeValue(shape, 120)} has ${elements} elements`,
      );
    }
    const offs = info.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isSafeInteger(o) && o >= 0) || offs[1] < offs[0]) {
      throw corrupt(`tensor ${nameOf(name)}: data_offsets must be [begin, end] with 0 <= begin <= end, got ${describeValue(offs)}.`);
    }
    const expected = elements * DTYPE_BYTES[dtype as SafetensorsDtype];
    if (offs[1] - offs[0] !== expected) {
      throw corrupt(
        `tensor ${nameOf(name)}: ${dtype}${describeValue(shape, 120)} needs ${expected} bytes but data_offsets span ${offs[1] - offs[0]}.`,
      );
    }
    if (offs[1] > dataLen) {
      throw new TensorIoError(
        'SAFETENSORS_TRUNCATED',
        `Truncated safetensors file: tensor ${nameOf(name)} ends at byte ${offs[1]} of the data section, which has only ${dataLen} bytes. Re-download or re-export the file.`,
      );
    }
    parsed.push({ name, dtype: dtype as SafetensorsDtype, shape: shape as number[], begin: offs[0], end: offs[1] });
  }
  parsed.sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < parsed.length; i++) {
    const prev = parsed[i - 1];
    const cur = parsed[i];
    if (cur.begin < prev.end) throw corrupt(`tensors ${nameOf(prev.name)} and ${nameOf(cur.name)} overlap in the data section.`);
  }
  const tensors: Record<string, SafetensorsEntry> = Object.create(null);
  for (const p of parsed) {
    const slice = bytes.subarray(dataStart + p.begin, dataStart + p.end);
    tensors[p.name] = {
      dtype: p.dtype,
      shape: p.shape,
      data: decodeLittleEndian(slice, p.dtype, options.int64, `tensor ${nameOf(p.name)}`),
    };
  }
  return metadata ? { tensors, metadata } : { tensors };
}

/** A tensor to write. `dtype` defaults from the array type (Float32Array → F32, ...). */
export interface SafetensorsInput {
  readonly shape: readonly number[];
  readonly data: TensorData | readonly number[];
  /**
   * Stored type. For F16/BF16 the data may be float values (converted, F16 rounded to nearest
   * even, BF16 rounded to nearest even) or a `Uint16Array` of raw bits.
   */
  readonly dtype?: SafetensorsDtype;
}

function defaultDtype(data: SafetensorsInput['data']): SafetensorsDtype {
  if (data instanceof Float32Array || Array.isArray(data)) return 'F32';
  if (data instanceof Float64Array) return 'F64';
  if (data instanceof Int32Array) return 'I32';
  if (data instanceof BigInt64Array) return 'I64';
  if (data instanceof BigUint64Array) return 'U64';
  if (data instanceof Int16Array) return 'I16';
  if (data instanceof Int8Array) return 'I8';
  if (data instanceof Uint32Array) return 'U32';
  if (data instanceof Uint16Array) return 'U16';
  if (data instanceof Uint8Array) return 'U8';
  throw new TensorIoError('SAFETENSORS_INVALID_INPUT', 'writeSafetensors: unsupported data array type.');
}

function floatToBf16(value: number): number {
  const f = new Float32Array([value]);
  const x = new Uint32Array(f.buffer)[0];
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return (x >>> 16) | 0x40;
  const lsb = (x >>> 16) & 1;
  return ((x + 0x7fff + lsb) >>> 16) & 0xffff;
}

function encodeData(name: string, dtype: SafetensorsDtype, data: SafetensorsInput['data']): Uint8Array {
  const arr = (data: ArrayBufferView) => new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const from = Array.from(data as ArrayLike<number | bigint>);
  switch (dtype) {
    case 'F32':
      return arr(data instanceof Float32Array ? data : Float32Array.from(from as number[]));
    case 'F64':
      return arr(data instanceof Float64Array ? data : Float64Array.from(from as number[]));
    case 'F16':
      if (data instanceof Uint16Array) return arr(data);
      return arr(Uint16Array.from(from as number[], floatToHalf));
    case 'BF16':
      if (data instanceof Uint16Array) return arr(data);
      return arr(Uint16Array.from(from as number[], floatToBf16));
    case 'I32':
      return arr(data instanceof Int32Array ? data : Int32Array.from(from as number[]));
    case 'I16':
      return arr(data instanceof Int16Array ? data : Int16Array.from(from as number[]));
    case 'I8':
      return arr(data instanceof Int8Array ? data : Int8Array.from(from as number[]));
    case 'U32':
      return arr(data instanceof Uint32Array ? data : Uint32Array.from(from as number[]));
    case 'U16':
      return arr(data instanceof Uint16Array ? data : Uint16Array.from(from as number[]));
    case 'U8':
      return arr(data instanceof Uint8Array ? data : Uint8Array.from(from as number[]));
    case 'BOOL':
      return arr(Uint8Array.from(from as number[], (v) => (v ? 1 : 0)));
    case 'I64':
      return arr(data instanceof BigInt64Array ? data : BigInt64Array.from(from, (v) => BigInt(v)));
    case 'U64':
      return arr(data instanceof BigUint64Array ? data : BigUint64Array.from(from, (v) => BigInt(v)));
  }
  throw new TensorIoError('SAFETENSORS_INVALID_INPUT', `writeSafetensors: tensor "${name}": unsupported dtype ${dtype}.`);
}

/**
 * Serialises tensors to safetensors bytes: header JSON (keys in the given order, padded with
 * spaces to a multiple of 8 bytes), then the tensors' little-endian bytes back to back.
 *
 * @example
 * ```ts
 * const bytes = writeSafetensors({ w: { shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) } }, { format: 'pt' });
 * await writeFileAtomic('w.safetensors', bytes);
 * ```
 */
export function writeSafetensors(tensors: Record<string, SafetensorsInput>, metadata?: Record<string, string>): Uint8Array {
  // Null prototype: a tensor named "__proto__" is written as a key like any other.
  const header: Record<string, unknown> = Object.create(null);
  if (metadata) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string')
        throw new TensorIoError('SAFETENSORS_INVALID_INPUT', `writeSafetensors: metadata "${k}" must be a string, got ${typeof v}.`);
    }
    header.__metadata__ = metadata;
  }
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    if (name === '__metadata__')
      throw new TensorIoError('SAFETENSORS_INVALID_INPUT', 'writeSafetensors: "__metadata__" is reserved and cannot name a tensor.');
    if (!t || !Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new TensorIoError(
        'SAFETENSORS_INVALID_INPUT',
        `writeSafetensors: tensor "${name}": shape must be an array of non-negative integers.`,
      );
    }
    const dtype = t.dtype ?? defaultDtype(t.data);
    if (!(dtype in DTYPE_BYTES))
      throw new TensorIoError('SAFETENSORS_INVALID_INPUT', `writeSafetensors: tensor "${name}": unknown dtype ${dtype}.`);
    const n = numel(t.shape);
    if (t.data.length !== n) {
      throw new TensorIoError(
        'SAFETENSORS_INVALID_INPUT',
        `writeSafetensors: tensor "${name}": shape ${JSON.stringify(t.shape)} has ${n} elements but data has ${t.data.length}.`,
      );
    }
    const enc = encodeData(name, dtype, t.data);
    header[name] = { dtype, shape: [...t.shape], data_offsets: [offset, offset + enc.byteLength] };
    chunks.push(enc);
    offset += enc.byteLength;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let pos = 8 + json.length;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.byteLength;
  }
  return out;
}
