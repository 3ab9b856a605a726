// Fuzzing the readers of tensor-io with mutated valid files (issue 20). Everything is derived from
// one seed through the project's PRNG (`createRng` of @gan-control/latent), so a failing case is
// reproduced by its seed and index alone. Used in-process by the fast subset in `npm test`
// (test/fuzz.test.ts) and, one case at a time in a watched child process, by `npm run fuzz`
// (scripts/fuzz.mjs → test/fuzz/child.ts), which can also tell hangs and crashes apart.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isGanControlError } from '@gan-control/errors';
import { createRng, type Rng } from '@gan-control/latent';
import sharp from 'sharp';
import { decodeImage } from '../../src/image.js';
import { PickleGlobal, restrictedUnpickle } from '../../src/pickle.js';
import { encodePng } from '../../src/png.js';
import { readSafetensors, writeSafetensors } from '../../src/safetensors.js';
import { buildZip, PickleWriter } from '../../src/testutil.js';
import { readTorchCheckpoint, TorchTensor } from '../../src/torch.js';
import { ZipArchive } from '../../src/zip.js';

// The readers under test (`zip` is `ZipArchive` reading every record; `torch` also reads every
// tensor's data) and the outcomes. Only `accept` and `coded` pass: `generic` is an error that is
// not a `TensorIoError` with a code, `crash` a dead process (or a non-Error thrown), `hang` a case
// over the time budget, `memory` one over the memory budget or killed for memory, `wrong` a valid
// seed file that was refused.
import { codeCounts, formatTable, OUTCOMES, type Outcome, PASSING, type Target, TARGETS } from './report.mjs';

export { codeCounts, formatTable, OUTCOMES, PASSING, TARGETS };
export type { Outcome, Target };

export interface SeedFile {
  readonly target: Target;
  readonly name: string;
  readonly bytes: Uint8Array;
}

export interface FuzzCase {
  readonly index: number;
  readonly target: Target;
  readonly seedName: string;
  /** The mutations applied, in order (empty: the valid seed file itself). */
  readonly mutations: readonly string[];
  readonly bytes: Uint8Array;
}

export interface CaseResult {
  readonly index: number;
  readonly target: Target;
  readonly outcome: Outcome;
  readonly ms: number;
  /** ArrayBuffer plus heap bytes the call left allocated (with its result still referenced). */
  readonly memBytes: number;
  readonly code?: string;
  readonly detail?: string;
}

export interface Budgets {
  /** A case slower than this is a hang (default 5,000 ms; `npm run fuzz` also kills it there). */
  readonly hangMs: number;
  /** A case may allocate this much beyond 8× its input (default 100 MB, the bar). */
  readonly memBytes: number;
}
export const DEFAULT_BUDGETS: Budgets = { hangMs: 5000, memBytes: 100 * 2 ** 20 };

const testdata = join(import.meta.dirname, '..', '..', 'testdata');
const enc = (s: string) => new TextEncoder().encode(s);

/** A plain-data pickle touching most opcodes the reader knows (memo, marks, every int and string form). */
function plainPickle(): Uint8Array {
  const w = new PickleWriter().proto(2).op(0x7d).op(0x71, 0).mark();
  w.str('ints').op(0x5d).op(0x71, 1).mark().int(0).int(255).int(65535).int(-7).op(0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 1).op(0x65);
  w.str('floats').op(0x47, 0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18).op(0x86);
  w.str('bytes').op(0x43, 3, 1, 2, 3);
  w.str('nested').mark().op(0x88).op(0x89).op(0x4e).op(0x8c, 2, 0x68, 0x69).op(0x74);
  w.int(7).op(0x68, 1);
  w.mark().int(1).int(2).op(0x74).str('tuple key');
  w.str('long4').op(0x8b, 3, 0, 0, 0, 1, 2, 0x83);
  w.op(0x75).stop();
  return w.build();
}

function f32(values: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}

/** A crafted checkpoint: strided and broadcast views, shared storages, fp16 deflated, int64, ZIP64. */
function craftedCheckpoint(zip64: boolean): Uint8Array {
  const half = new Uint16Array([0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0x0000]);
  const longs = new BigInt64Array([-5n, 2n ** 40n, 7n]);
  const p = new PickleWriter().proto().orderedDict().mark();
  p.str('transposed').tensor({ type: 'FloatStorage', key: '0', location: 'cuda:0', numel: 7, offset: 1, size: [2, 3], stride: [1, 2] });
  p.str('row').tensor({ type: 'FloatStorage', key: '0', location: 'cuda:0', numel: 7, offset: 3, size: [2], stride: [1] });
  p.str('half').tensor({
    type: 'HalfStorage',
    key: '1',
    location: 'cpu',
    numel: 6,
    offset: 0,
    size: [3, 2],
    stride: [2, 1],
    parameter: true,
  });
  p.str('long').tensor({ type: 'LongStorage', key: '2', location: 'cpu', numel: 3, offset: 0, size: [3], stride: [1] });
  p.str('broadcast').tensor({ type: 'FloatStorage', key: '0', location: 'cuda:0', numel: 7, offset: 2, size: [2, 2], stride: [0, 1] });
  p.op(0x75).stop();
  return buildZip(
    [
      { name: 'm/data.pkl', data: p.build() },
      { name: 'm/data/0', data: f32([9, 0, 1, 2, 3, 4, 5]) },
      { name: 'm/data/1', data: new Uint8Array(half.buffer), deflate: true },
      { name: 'm/data/2', data: new Uint8Array(longs.buffer) },
      { name: 'm/version', data: enc('3\n') },
      { name: 'm/byteorder', data: enc('little') },
    ],
    { zip64 },
  );
}

/** The valid files every case starts from. */
export async function seedFiles(): Promise<SeedFile[]> {
  const pt = new Uint8Array(readFileSync(join(testdata, 'controller_orientation.pt')));
  const st = new Uint8Array(readFileSync(join(testdata, 'E_orientation.safetensors')));
  const mixed = writeSafetensors(
    {
      w: { shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
      h: { shape: [2], dtype: 'F16', data: [0.5, -2] },
      b: { shape: [2], dtype: 'BF16', data: [1, 3] },
      i: { shape: [2], data: new BigInt64Array([-1n, 2n ** 40n]) },
      m: { shape: [3], dtype: 'BOOL', data: [1, 0, 1] },
      e: { shape: [0, 4], data: new Float32Array(0) },
    },
    { format: 'pt' },
  );
  const pattern = (w: number, h: number, c: number) => Uint8Array.from({ length: w * h * c }, (_, i) => (i * 37) & 0xff);
  const rgb = await encodePng({ width: 13, height: 7, channels: 3, data: pattern(13, 7, 3) });
  const rgba = await encodePng({ width: 5, height: 9, channels: 4, data: pattern(5, 9, 4) });
  const grey = await encodePng({ width: 8, height: 8, channels: 1, data: pattern(8, 8, 1) });
  const jpeg = new Uint8Array(
    await sharp(pattern(16, 12, 3), { raw: { width: 16, height: 12, channels: 3 } })
      .jpeg({ quality: 80 })
      .toBuffer(),
  );
  const svg = enc(
    '<svg xmlns="http://www.w3.org/2000/svg" width="12" height="10"><rect x="2" y="2" width="6" height="5" fill="#c33"/></svg>',
  );
  const plainZip = craftedCheckpoint(false);
  return [
    { target: 'safetensors', name: 'E_orientation', bytes: st },
    { target: 'safetensors', name: 'mixed', bytes: mixed },
    { target: 'torch', name: 'controller_orientation', bytes: pt },
    { target: 'torch', name: 'crafted', bytes: plainZip },
    { target: 'torch', name: 'crafted-zip64', bytes: craftedCheckpoint(true) },
    { target: 'zip', name: 'controller_orientation', bytes: pt },
    { target: 'zip', name: 'crafted-zip64', bytes: craftedCheckpoint(true) },
    { target: 'pickle', name: 'plain', bytes: plainPickle() },
    {
      target: 'pickle',
      name: 'controller_orientation.data.pkl',
      bytes: new ZipArchive(pt).read(new ZipArchive(pt).names().find((n) => n.endsWith('data.pkl'))!),
    },
    { target: 'image', name: 'rgb.png', bytes: rgb },
    { target: 'image', name: 'rgba.png', bytes: rgba },
    { target: 'image', name: 'grey.png', bytes: grey },
    { target: 'image', name: 'pattern.jpg', bytes: jpeg },
    { target: 'image', name: 'rect.svg', bytes: svg },
  ];
}

// ---- mutations -------------------------------------------------------------------------------

const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x2e, 0x28, 0x8b, 0x95, 0x5d];
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[rng.nextInt(xs.length)];

function bigValues(len: number): number[] {
  return [0, 1, len + 1, len * 2, len * 1000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff, 2 ** 40, 2 ** 53 - 1];
}

/** Writes `value` at `at` as an unsigned integer of `width` bytes (LE or BE), clipped to the buffer. */
function writeInt(out: Uint8Array, at: number, value: number, width: 2 | 4 | 8, bigEndian: boolean): void {
  let v = BigInt(value) & ((1n << BigInt(8 * width)) - 1n);
  for (let i = 0; i < width; i++) {
    const pos = bigEndian ? at + width - 1 - i : at + i;
    if (pos >= 0 && pos < out.length) out[pos] = Number(v & 0xffn);
    v >>= 8n;
  }
}

function insert(bytes: Uint8Array, at: number, chunk: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length + chunk.length);
  out.set(bytes.subarray(0, at));
  out.set(chunk, at);
  out.set(bytes.subarray(at), at + chunk.length);
  return out;
}

/** Offsets of the central-directory entries of a zip (empty if there is none to find). */
function centralEntries(bytes: Uint8Array): number[] {
  const out: number[] = [];
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let p = 0; p + 46 <= bytes.length; p++) if (v.getUint32(p, true) === 0x02014b50) out.push(p);
  return out;
}

/** Positions where a length or count lives, by format: inflating them is the classic bomb. */
function lengthFields(target: Target, bytes: Uint8Array): { at: number; width: 2 | 4 | 8; be: boolean }[] {
  const fields: { at: number; width: 2 | 4 | 8; be: boolean }[] = [];
  if (target === 'safetensors') fields.push({ at: 0, width: 8, be: false });
  if (target === 'torch' || target === 'zip') {
    for (const c of centralEntries(bytes)) {
      for (const [off, width] of [
        [20, 4],
        [24, 4],
        [28, 2],
        [30, 2],
        [32, 2],
        [42, 4],
      ] as const)
        fields.push({ at: c + off, width, be: false });
    }
    for (let p = bytes.length - 22; p >= 0 && p >= bytes.length - 200; p--) {
      if (bytes[p] === 0x50 && bytes[p + 1] === 0x4b && bytes[p + 2] === 0x05 && bytes[p + 3] === 0x06) {
        for (const [off, width] of [
          [8, 2],
          [10, 2],
          [12, 4],
          [16, 4],
        ] as const)
          fields.push({ at: p + off, width, be: false });
      }
    }
  }
  if (target === 'image' && bytes[0] === 0x89) {
    fields.push({ at: 16, width: 4, be: true }, { at: 20, width: 4, be: true }, { at: 33, width: 4, be: true });
  }
  if (target === 'pickle') {
    // After a length-prefixed opcode: BINUNICODE, BINBYTES, LONG4, FRAME, BINUNICODE8.
    for (let p = 0; p < bytes.length - 1; p++) {
      if (bytes[p] === 0x58 || bytes[p] === 0x42 || bytes[p] === 0x8b) fields.push({ at: p + 1, width: 4, be: false });
      if (bytes[p] === 0x95 || bytes[p] === 0x8d) fields.push({ at: p + 1, width: 8, be: false });
    }
  }
  return fields;
}

/** Replaces numbers in a safetensors JSON header (shapes, offsets) with huge or odd ones. */
function inflateJsonNumber(rng: Rng, bytes: Uint8Array): Uint8Array | undefined {
  if (bytes.length < 8) return undefined;
  const len = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  if (len > bytes.length - 8) return undefined;
  const json = new TextDecoder().decode(bytes.subarray(8, 8 + len));
  const runs = [...json.matchAll(/\d+/g)];
  if (runs.length === 0) return undefined;
  const r = pick(rng, runs);
  const repl = pick(rng, ['1000000000', '99999999999999999999', '-1', '1e9', '9007199254740993', '0', '4294967296', '[1]', 'null', '"x"']);
  const text = json.slice(0, r.index) + repl + json.slice(r.index! + r[0].length);
  const body = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + body.length + bytes.length - 8 - len);
  new DataView(out.buffer).setBigUint64(0, BigInt(body.length), true);
  out.set(body, 8);
  out.set(bytes.subarray(8 + len), 8 + body.length);
  return out;
}

/**
 * A self-contained pickle fragment from the attacks of issue 20 (billion laughs as a key or a
 * persistent id, deep nesting, a huge LONG4, APPENDS of 2^17 items, a list in itself, keys 1 and
 * "1"). Inserted right after PROTO and followed by POP, it leaves the rest of the pickle intact.
 */
function attackFragment(rng: Rng): { ops: Uint8Array; what: string } {
  const w = new PickleWriter();
  const kind = rng.nextInt(7);
  const laughs = (depth: number) => {
    w.str('lol');
    for (let i = 0; i < depth; i++) w.op(0x32, 0x86);
  };
  let what: string;
  if (kind === 0) {
    const depth = 20 + rng.nextInt(30);
    w.op(0x7d);
    laughs(depth);
    w.op(0x4e, 0x73);
    what = `laughs-key(${depth})`;
  } else if (kind === 1) {
    const depth = 20 + rng.nextInt(30);
    laughs(depth);
    w.op(0x51);
    what = `laughs-pid(${depth})`;
  } else if (kind === 2) {
    const depth = pick(rng, [150, 201, 1000, 100_000]);
    w.op(0x4e);
    for (let i = 0; i < depth; i++) w.op(rng.nextInt(2) === 0 ? 0x85 : 0x5d);
    what = `deep(${depth})`;
    // Mixed TUPLE1 / EMPTY_LIST: an EMPTY_LIST pushes a new list, so only TUPLE1 runs nest; keep it a chain.
    const bytes = w.build().map((b, i) => (i > 0 && b === 0x5d ? 0x85 : b));
    return { ops: bytes, what };
  } else if (kind === 3) {
    const n = pick(rng, [1024, 1025, 65_536, 512 * 1024]);
    const len = new Uint8Array(4);
    new DataView(len.buffer).setInt32(0, n, true);
    w.op(0x8b, ...len);
    const body = new Uint8Array(n).fill(rng.nextInt(256));
    return { ops: Uint8Array.from([...w.build(), ...body]), what: `long4(${n})` };
  } else if (kind === 4) {
    w.op(0x5d).mark();
    const out = new Uint8Array(2 ** 17 * 2);
    for (let i = 0; i < 2 ** 17; i++) out.set([0x4b, i & 0xff], i * 2);
    return { ops: Uint8Array.from([...w.build(), ...out, 0x65]), what: 'appends(2^17)' };
  } else if (kind === 5) {
    w.op(0x5d, 0x72, 0xf0, 0xff, 0xff, 0x0f, 0x6a, 0xf0, 0xff, 0xff, 0x0f, 0x61);
    what = 'self-list';
  } else {
    w.op(0x7d).mark().int(1).op(0x4e).str('1').op(0x4e).op(0x75);
    what = 'keys-1-"1"';
  }
  return { ops: w.build(), what };
}

function withAttack(rng: Rng, pkl: Uint8Array): { bytes: Uint8Array; what: string } {
  const { ops, what } = attackFragment(rng);
  const at = pkl[0] === 0x80 ? 2 : 0;
  return { bytes: insert(pkl, at, Uint8Array.from([...ops, 0x30])), what: `attack:${what}` };
}

/**
 * A generated state_dict of views over the checkpoint's own storages: odd shapes, strides and
 * offsets (broadcast, transposed, huge, empty), many views of one storage, names that clash.
 */
function viewsPickle(rng: Rng, storages: { key: string; bytes: number }[]): Uint8Array {
  const p = new PickleWriter().proto().orderedDict().mark();
  const n = 1 + rng.nextInt(rng.nextInt(4) === 0 ? 3000 : 8);
  const dims = [0, 1, 2, 3, 7, 512, 16384, 1_000_000, 2 ** 31 - 1];
  for (let i = 0; i < n; i++) {
    const s = pick(rng, storages);
    const numel = Math.max(1, Math.floor(s.bytes / 4));
    const rank = rng.nextInt(4);
    const size = Array.from({ length: rank }, () => pick(rng, dims));
    const stride = Array.from({ length: rank }, () => pick(rng, [0, 1, 2, 3, 512, numel]));
    const name = pick(rng, [`t${i}`, '__proto__', 'constructor', `t${i % 3}`]);
    p.str(name).tensor({ type: 'FloatStorage', key: s.key, location: 'cpu', numel, offset: pick(rng, [0, 0, 1, numel - 1]), size, stride });
  }
  return p.op(0x75).stop().build();
}

/**
 * Rebuilds a checkpoint with its records mutated and valid CRC-32s, so the unpickler and the
 * storage reader really run on the mutation: data.pkl mutated as a pickle, a storage cut or grown,
 * a record duplicated or dropped, records deflated, ZIP64 or not.
 */
function mutateRecords(rng: Rng, bytes: Uint8Array): { bytes: Uint8Array; what: string } | undefined {
  let records: { name: string; data: Uint8Array; deflate?: boolean }[];
  try {
    const zip = new ZipArchive(bytes);
    records = zip.names().map((name) => ({ name, data: zip.read(name) }));
  } catch {
    return undefined; // an earlier mutation broke the archive
  }
  const pkl = records.find((r) => r.name.endsWith('data.pkl'));
  if (!pkl) return undefined;
  const what: string[] = [];
  const steps = 1 + rng.nextInt(2);
  for (let i = 0; i < steps; i++) {
    const op = rng.nextInt(8);
    if (op === 6) {
      const m = withAttack(rng, pkl.data);
      pkl.data = m.bytes;
      what.push(`pkl:${m.what}`);
    } else if (op === 7) {
      const prefix = pkl.name.slice(0, pkl.name.length - 'data.pkl'.length);
      const storages = records
        .filter((r) => r.name.startsWith(`${prefix}data/`))
        .map((r) => ({ key: r.name.slice(prefix.length + 5), bytes: r.data.length }));
      if (storages.length === 0) continue;
      pkl.data = viewsPickle(rng, storages);
      what.push('pkl:views');
    } else if (op <= 1) {
      const m = mutateOnce(rng, 'pickle', pkl.data);
      pkl.data = m.bytes;
      what.push(`pkl:${m.what}`);
    } else if (op === 2) {
      const r = pick(rng, records);
      const n = rng.nextInt(2) === 0 ? rng.nextInt(r.data.length + 1) : r.data.length + 1 + rng.nextInt(64);
      const grown = new Uint8Array(n);
      grown.set(r.data.subarray(0, n));
      r.data = grown;
      what.push(`resize:${r.name}=${n}`);
    } else if (op === 3) {
      const r = pick(rng, records);
      records.splice(rng.nextInt(records.length + 1), 0, { ...r, data: rng.nextInt(2) === 0 ? r.data : new Uint8Array(r.data.length + 8) });
      what.push(`dup:${r.name}`);
    } else if (op === 4) {
      const r: (typeof records)[number] = pick(rng, records);
      records.splice(records.indexOf(r), 1);
      if (r === pkl) records.push({ name: `${pkl.name}.moved`, data: pkl.data });
      what.push(`drop:${r.name}`);
    } else {
      for (const r of records) r.deflate = rng.nextInt(2) === 0;
      what.push('deflate');
    }
  }
  const zip64 = rng.nextInt(2) === 0;
  return { bytes: buildZip(records, { zip64 }), what: `records[${what.join(' ')}${zip64 ? ' zip64' : ''}]` };
}

function mutateOnce(rng: Rng, target: Target, bytes: Uint8Array): { bytes: Uint8Array; what: string } {
  const len = bytes.length;
  const kind = rng.nextInt(target === 'torch' || target === 'zip' ? 9 : target === 'safetensors' || target === 'pickle' ? 8 : 7);
  switch (kind) {
    case 0: {
      const out = bytes.slice();
      const n = 1 + rng.nextInt(8);
      for (let i = 0; i < n && len > 0; i++) out[rng.nextInt(len)] ^= 1 << rng.nextInt(8);
      return { bytes: out, what: `bitflip×${n}` };
    }
    case 1: {
      const out = bytes.slice();
      const n = 1 + rng.nextInt(4);
      for (let i = 0; i < n && len > 0; i++) out[rng.nextInt(len)] = rng.nextInt(4) === 0 ? rng.nextInt(256) : pick(rng, INTERESTING_BYTES);
      return { bytes: out, what: `bytes×${n}` };
    }
    case 2: {
      const at = rng.nextInt(len + 1);
      return { bytes: bytes.slice(0, at), what: `truncate@${at}` };
    }
    case 3: {
      const out = bytes.slice();
      const fields = lengthFields(target, bytes);
      const value = pick(rng, bigValues(len));
      if (fields.length > 0 && rng.nextInt(4) !== 0) {
        const f = pick(rng, fields);
        writeInt(out, f.at, value, f.width, f.be);
        return { bytes: out, what: `length@${f.at}=${value}` };
      }
      const at = rng.nextInt(Math.max(1, len));
      const width = pick(rng, [2, 4, 8] as const);
      writeInt(out, at, value, width, rng.nextInt(2) === 1);
      return { bytes: out, what: `int${width * 8}@${at}=${value}` };
    }
    case 4: {
      // Duplicated record: a zip central entry (count fixed up) or any slice, copied once or many times.
      const entries = target === 'zip' || target === 'torch' ? centralEntries(bytes) : [];
      if (entries.length > 0 && rng.nextInt(2) === 0) {
        const c = pick(rng, entries);
        const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        const size = 46 + v.getUint16(c + 28, true) + v.getUint16(c + 30, true) + v.getUint16(c + 32, true);
        const out = insert(bytes, c, bytes.slice(c, c + size));
        for (let p = out.length - 22; p >= 0 && p >= out.length - 100; p--) {
          const ov = new DataView(out.buffer);
          if (ov.getUint32(p, true) === 0x06054b50) {
            ov.setUint16(p + 8, ov.getUint16(p + 8, true) + 1, true);
            ov.setUint16(p + 10, ov.getUint16(p + 10, true) + 1, true);
            ov.setUint32(p + 12, ov.getUint32(p + 12, true) + size, true);
            break;
          }
        }
        return { bytes: out, what: `dup-central@${c}` };
      }
      const a = rng.nextInt(len + 1);
      const k = Math.min(len - a, 1 + rng.nextInt(256));
      const times = rng.nextInt(4) === 0 ? 1 + rng.nextInt(64) : 1;
      let out = bytes;
      const at = rng.nextInt(len + 1);
      const chunk = bytes.slice(a, a + k);
      for (let i = 0; i < times; i++) out = insert(out, at, chunk);
      return { bytes: out, what: `dup[${a},+${k}]×${times}@${at}` };
    }
    case 5: {
      const a = rng.nextInt(len + 1);
      const k = Math.min(len - a, 1 + rng.nextInt(64));
      const out = new Uint8Array(len - k);
      out.set(bytes.subarray(0, a));
      out.set(bytes.subarray(a + k), a);
      return { bytes: out, what: `delete[${a},+${k}]` };
    }
    case 6: {
      // Opcodes or chunk bytes that start structures (pickle opcodes, zip signatures, PNG chunk names).
      const seqs = [
        [0x28],
        [0x5d],
        [0x7d],
        [0x32],
        [0x85],
        [0x86],
        [0x61],
        [0x65],
        [0x73],
        [0x75],
        [0x94],
        [0x68, 0],
        [0x71, 0],
        [0x51],
        [0x52],
        [0x62],
        [0x50, 0x4b, 0x01, 0x02],
        [0x50, 0x4b, 0x05, 0x06],
        [0x49, 0x44, 0x41, 0x54],
      ];
      const s = Uint8Array.from(pick(rng, seqs));
      const at = rng.nextInt(len + 1);
      const times = 1 + rng.nextInt(rng.nextInt(4) === 0 ? 2000 : 4);
      const chunk = new Uint8Array(s.length * times);
      for (let i = 0; i < times; i++) chunk.set(s, i * s.length);
      return { bytes: insert(bytes, at, chunk), what: `ops[${Array.from(s, (b) => b.toString(16))}]×${times}@${at}` };
    }
    case 7: {
      if (target === 'pickle') return withAttack(rng, bytes);
      const out = target === 'safetensors' ? inflateJsonNumber(rng, bytes) : undefined;
      return out ? { bytes: out, what: 'json-number' } : mutateOnce(rng, target, bytes);
    }
    default:
      return mutateRecords(rng, bytes) ?? mutateOnce(rng, target, bytes);
  }
}

/**
 * The `count` cases of a seed: round-robin over the targets, a random seed file of the target, one
 * to three stacked mutations (every 50th case is the untouched seed file, which must be read back).
 */
export function makeCases(seedFilesList: readonly SeedFile[], seed: number, count: number, start = 0): FuzzCase[] {
  const cases: FuzzCase[] = [];
  for (let index = start; index < start + count; index++) {
    // One generator per case, so case i is the same however many cases run before it.
    const rng = createRng(seed * 1_000_003 + index);
    const target = TARGETS[index % TARGETS.length];
    const files = seedFilesList.filter((f) => f.target === target);
    const file = pick(rng, files);
    let bytes = file.bytes;
    const mutations: string[] = [];
    if (index % 50 !== 0 && (target === 'torch' || target === 'zip') && rng.nextInt(2) === 0) {
      // Half the archive cases are structural: records mutated, then a valid archive around them.
      const m = mutateRecords(rng, bytes)!;
      bytes = m.bytes;
      mutations.push(m.what);
    } else if (index % 50 !== 0) {
      const n = 1 + rng.nextInt(3);
      for (let i = 0; i < n; i++) {
        const m = mutateOnce(rng, target, bytes);
        bytes = m.bytes;
        mutations.push(m.what);
      }
    }
    cases.push({ index, target, seedName: file.name, mutations, bytes });
  }
  return cases;
}

// ---- running ---------------------------------------------------------------------------------

/** Stand-ins for the torch globals, so the bare unpickler runs a checkpoint's data.pkl to the end. */
const PICKLE_GLOBALS = new Map<string, PickleGlobal>([
  ['collections.OrderedDict', new PickleGlobal('collections', 'OrderedDict', () => ({}))],
  ['torch._utils._rebuild_tensor_v2', new PickleGlobal('torch._utils', '_rebuild_tensor_v2', (args) => ({ tensor: args.length }))],
  ['torch._utils._rebuild_parameter', new PickleGlobal('torch._utils', '_rebuild_parameter', (args) => args[0])],
  ...['FloatStorage', 'HalfStorage', 'LongStorage'].map((n) => [`torch.${n}`, new PickleGlobal('torch', n)] as [string, PickleGlobal]),
]);

/** Reads with the target's reader and touches everything it made (lazy tensors included). */
async function exercise(target: Target, bytes: Uint8Array): Promise<unknown> {
  switch (target) {
    case 'safetensors': {
      const f = readSafetensors(bytes);
      return Object.entries(f.tensors).map(([k, t]) => [k, t.shape, t.data.length]);
    }
    case 'zip': {
      const zip = new ZipArchive(bytes);
      return zip.names().map((n) => zip.read(n, true).length);
    }
    case 'pickle':
      return restrictedUnpickle(bytes, {
        globals: PICKLE_GLOBALS,
        persistentLoad: (pid) => ({ pid: Array.isArray(pid) ? pid.length : 0 }),
      });
    case 'image': {
      const img = await decodeImage(bytes, { channels: 4 });
      return [img.width, img.height, img.data.length];
    }
    case 'torch': {
      const root = readTorchCheckpoint(bytes);
      // Every tensor's data, through a walk that visits each object once (the value may be a DAG).
      const seen = new Set<unknown>();
      const work: unknown[] = [root];
      const out: unknown[] = [];
      while (work.length > 0) {
        const v = work.pop();
        if (typeof v !== 'object' || v === null || seen.has(v)) continue;
        seen.add(v);
        if (v instanceof TorchTensor) out.push(v.data.length);
        else if (!ArrayBuffer.isView(v)) for (const x of Array.isArray(v) ? v : Object.values(v)) work.push(x);
      }
      return out;
    }
  }
}

/** Runs one case in this process and classifies it (a real hang blocks: the child runner kills those). */
export async function runCase(c: FuzzCase, budgets: Budgets = DEFAULT_BUDGETS): Promise<CaseResult> {
  const before = process.memoryUsage();
  const t0 = performance.now();
  let result: unknown;
  let error: unknown;
  let threw = false;
  try {
    result = await exercise(c.target, c.bytes);
  } catch (e) {
    threw = true;
    error = e;
  }
  const ms = performance.now() - t0;
  const after = process.memoryUsage();
  const memBytes = Math.max(0, after.arrayBuffers - before.arrayBuffers) + Math.max(0, after.heapUsed - before.heapUsed);
  const base = { index: c.index, target: c.target, ms, memBytes };
  if (ms > budgets.hangMs) return { ...base, outcome: 'hang', detail: `${ms.toFixed(0)} ms` };
  if (memBytes > budgets.memBytes + 8 * c.bytes.length)
    return { ...base, outcome: 'memory', detail: `${(memBytes / 2 ** 20).toFixed(0)} MB` };
  if (threw) {
    const e = error as { name?: unknown; code?: unknown; message?: unknown } | undefined;
    if (!(error instanceof Error)) return { ...base, outcome: 'crash', detail: `threw ${String(error)}` };
    const message = String(e?.message).slice(0, 300);
    if (isGanControlError(error)) {
      if (c.mutations.length === 0) return { ...base, outcome: 'wrong', code: error.code, detail: `valid seed refused: ${message}` };
      return { ...base, outcome: 'coded', code: error.code };
    }
    return { ...base, outcome: 'generic', detail: `${String(e?.name)}: ${message}` };
  }
  void result; // kept alive until here, so memBytes counts what the reader returned
  return { ...base, outcome: 'accept' };
}
