// Regression tests for the reader reproducers of issue 20 (files from strangers): every one fails
// fast with a coded error, or is accepted correctly. "Fast" is checked loosely (5 s on a shared
// CI core; each reproducer took > 20 s, or gigabytes, before) and memory through the process's
// ArrayBuffer bytes (each one allocated ≥ 768 MB before).
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../src/image.js';
import { isGanControlError } from '@gan-control/errors';
import { exceededLimit } from '../src/errors.js';
import { DEFAULT_LIMITS } from '../src/limits.js';
import { restrictedUnpickle } from '../src/pickle.js';
import { readSafetensors, writeSafetensors } from '../src/safetensors.js';
import { blackPng, buildZip, PickleWriter, zeroDeflate } from '../src/testutil.js';
import { readTorchCheckpoint, torchStateDict } from '../src/torch.js';
import { ZipArchive } from '../src/zip.js';

interface Coded {
  code?: string;
  message: string;
  name?: string;
  limit?: { option: string; value: number; max: number };
}

/** Runs `fn`, returns the error it threw, and checks it was quick and allocated little. */
async function refused(fn: () => unknown): Promise<Coded> {
  const before = process.memoryUsage().arrayBuffers;
  const t0 = performance.now();
  let error: Coded | undefined;
  try {
    await fn();
  } catch (e) {
    error = e as Coded;
  }
  const ms = performance.now() - t0;
  const grown = process.memoryUsage().arrayBuffers - before;
  expect(error, 'expected an error').toBeDefined();
  expect(isGanControlError(error), 'expected a coded error of the project').toBe(true);
  expect(ms).toBeLessThan(5000);
  expect(grown).toBeLessThan(100 * 2 ** 20);
  return error!;
}

const f32 = (values: number[]) => new Uint8Array(new Float32Array(values).buffer);
const text = (s: string) => new TextEncoder().encode(s);
/** A checkpoint whose `data.pkl` is `pkl` beside the given storage records. */
const checkpoint = (pkl: Uint8Array, records: { name: string; data: Uint8Array; deflate?: boolean }[] = []) =>
  buildZip([{ name: 'a/data.pkl', data: pkl }, ...records.map((r) => ({ ...r, name: `a/data/${r.name}` }))]);

/** `depth` times: DUP, TUPLE2 — a 2-byte step that doubles the tuple's written size ("billion laughs"). */
function laughs(w: PickleWriter, depth: number): PickleWriter {
  w.str('lol');
  for (let i = 0; i < depth; i++) w.op(0x32, 0x86);
  return w;
}

describe('issue 20 reproducers: CPU bombs in the unpickler', () => {
  it('a "billion laughs" dict key (2^30 copies of one string) → LIMIT_EXCEEDED maxKeyLength, at once', async () => {
    const pkl = laughs(new PickleWriter().proto().op(0x7d), 30).int(1).op(0x73).stop().build();
    expect(pkl.length).toBeLessThan(1000);
    const e = await refused(() => restrictedUnpickle(pkl, { globals: new Map() }));
    expect(e.code).toBe('LIMIT_EXCEEDED');
    expect(exceededLimit(e)?.option).toBe('maxKeyLength');
    expect(e.message).toContain('maxKeyLength');
    // The same key under the limit is read (a tuple key is written as JSON).
    const small = laughs(new PickleWriter().proto().op(0x7d), 1).int(1).op(0x73).stop().build();
    expect(Object.keys(restrictedUnpickle(small, { globals: new Map() }) as object)).toEqual(['["lol","lol"]']);
  });

  it('a "billion laughs" persistent id → a coded error whose message stays short, at once', async () => {
    const pid = laughs(new PickleWriter().proto().orderedDict().mark().str('w').mark().str('storage').global('torch', 'FloatStorage'), 40)
      .str('cpu')
      .int(1)
      .op(0x74)
      .op(0x51)
      .op(0x75)
      .stop()
      .build();
    const e = await refused(() => readTorchCheckpoint(checkpoint(pid)));
    expect(e.code).toBe('PICKLE_CORRUPT');
    expect(e.message.length).toBeLessThan(1000);
    // And a persistent id that is the bomb itself.
    const bare = laughs(new PickleWriter().proto(), 40).op(0x51).stop().build();
    const e2 = await refused(() => readTorchCheckpoint(checkpoint(bare)));
    expect(e2.code).toBe('PICKLE_CORRUPT');
    expect(e2.message).toMatch(/unsupported persistent id/);
  });

  it('a 512 KiB LONG4 → LIMIT_EXCEEDED maxIntBytes; with the limit raised it is read in linear time', async () => {
    const n = 512 * 1024;
    const body = new Uint8Array(n).fill(0x11);
    body[n - 1] = 0x7f;
    const len = new Uint8Array(4);
    new DataView(len.buffer).setInt32(0, n, true);
    const pkl = Uint8Array.from([0x80, 2, 0x8b, ...len, ...body, 0x2e]);
    const e = await refused(() => restrictedUnpickle(pkl, { globals: new Map() }));
    expect(e.code).toBe('LIMIT_EXCEEDED');
    expect(exceededLimit(e)).toEqual({ option: 'maxIntBytes', value: n, max: DEFAULT_LIMITS.maxIntBytes });
    const t0 = performance.now();
    const v = restrictedUnpickle(pkl, { globals: new Map(), limits: { maxIntBytes: n } }) as bigint;
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(v.toString(16)).toBe(`7f${'11'.repeat(n - 1)}`);
    // Negative numbers keep two's complement: 0xff 0xff → -1, 0x00 0x80 → -32768.
    expect(restrictedUnpickle(Uint8Array.from([0x80, 2, 0x8a, 2, 0x00, 0x80, 0x2e]), { globals: new Map() })).toBe(-32768);
    expect(restrictedUnpickle(Uint8Array.from([0x80, 2, 0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0x2e]), { globals: new Map() })).toBe(
      -(2n ** 64n),
    );
  });
});

describe('issue 20 reproducers: decompression and allocation bombs', () => {
  it('a .pt whose storage record claims 16 bytes but inflates to ~480 MB → ZIP_CORRUPT after one chunk', async () => {
    const pkl = new PickleWriter()
      .proto()
      .orderedDict()
      .mark()
      .str('w')
      .tensor({ type: 'FloatStorage', key: '0', location: 'cpu', numel: 4, offset: 0, size: [4], stride: [1] })
      .op(0x75)
      .stop()
      .build();
    const bomb = zeroDeflate(480_000_000);
    expect(bomb.length).toBeGreaterThan(2_900_000);
    const zip = buildZip([
      { name: 'a/data.pkl', data: pkl },
      { name: 'a/data/0', data: bomb },
    ]);
    // buildZip stores; rewrite record data/0 as deflate of 16 declared bytes.
    const archive = new ZipArchive(zip);
    const entry = archive.entries.get('a/data/0')!;
    const v = new DataView(zip.buffer);
    const cd = findCentral(zip, 'a/data/0');
    v.setUint16(cd + 10, 8, true);
    v.setUint32(cd + 24, 16, true);
    expect(entry.compressedSize).toBe(bomb.length);
    const sd = torchStateDict(readTorchCheckpoint(zip, { verifyCrc: false }));
    const e = await refused(() => sd.w.data);
    expect(e.code).toBe('ZIP_CORRUPT');
    expect(e.message).toContain('more than the 16 bytes');
  });

  it('a deflate bomb that declares its true size → LIMIT_EXCEEDED maxExpansionRatio before inflating; raised, it is read', async () => {
    const size = 64 * 1024 * 1024;
    const pkl = new PickleWriter()
      .proto()
      .orderedDict()
      .mark()
      .str('w')
      .tensor({ type: 'ByteStorage', key: '0', location: 'cpu', numel: size, offset: 0, size: [size], stride: [1] })
      .op(0x75)
      .stop()
      .build();
    const zip = buildZip([
      { name: 'a/data.pkl', data: pkl },
      { name: 'a/data/0', data: zeroDeflate(size) },
    ]);
    const cd = findCentral(zip, 'a/data/0');
    new DataView(zip.buffer).setUint16(cd + 10, 8, true);
    new DataView(zip.buffer).setUint32(cd + 24, size, true);
    const sd = torchStateDict(readTorchCheckpoint(zip, { verifyCrc: false }));
    const e = await refused(() => sd.w.data);
    expect(e.code).toBe('LIMIT_EXCEEDED');
    expect(exceededLimit(e)?.option).toBe('maxExpansionRatio');
    expect(e.message).toMatch(/readTorchCheckpoint\(bytes, \{ limits: \{ maxExpansionRatio: \d+ \} \}\)/);
    // data.pkl itself as the bomb: refused the same way.
    const pklBomb = buildZip([{ name: 'a/data.pkl', data: zeroDeflate(size) }]);
    const cd2 = findCentral(pklBomb, 'a/data.pkl');
    new DataView(pklBomb.buffer).setUint16(cd2 + 10, 8, true);
    new DataView(pklBomb.buffer).setUint32(cd2 + 24, size, true);
    expect((await refused(() => readTorchCheckpoint(pklBomb))).code).toBe('LIMIT_EXCEEDED');
    // The caller who trusts the file raises the limit and gets the tensor.
    const ok = torchStateDict(readTorchCheckpoint(zip, { verifyCrc: false, limits: { maxExpansionRatio: 1e6 } }));
    expect(ok.w.data.length).toBe(size);
    expect(ok.w.data.every((x) => x === 0)).toBe(true);
  });

  it('a tiny .pt with a stride-0 view of 2^28 elements → LIMIT_EXCEEDED on the copy, not 1 GiB', async () => {
    const pkl = new PickleWriter()
      .proto()
      .orderedDict()
      .mark()
      .str('w')
      .tensor({ type: 'FloatStorage', key: '0', location: 'cpu', numel: 1, offset: 0, size: [16384, 16384], stride: [0, 0] })
      .op(0x75)
      .stop()
      .build();
    const zip = checkpoint(pkl, [{ name: '0', data: f32([7]) }]);
    expect(zip.length).toBeLessThan(700);
    const sd = torchStateDict(readTorchCheckpoint(zip));
    const e = await refused(() => sd.w.data);
    expect(e.code).toBe('LIMIT_EXCEEDED');
    expect(exceededLimit(e)?.option).toBe('maxExpansionRatio');
    expect(exceededLimit(e)?.value).toBeGreaterThan(1_000_000);
    // A small broadcast view is still read (the existing behaviour for valid files).
    const small = new PickleWriter()
      .proto()
      .orderedDict()
      .mark()
      .str('w')
      .tensor({ type: 'FloatStorage', key: '0', location: 'cpu', numel: 1, offset: 0, size: [2, 3], stride: [0, 0] })
      .op(0x75)
      .stop()
      .build();
    expect(
      Array.from(torchStateDict(readTorchCheckpoint(checkpoint(small, [{ name: '0', data: f32([7]) }]))).w.data as Float32Array),
    ).toEqual([7, 7, 7, 7, 7, 7]);
  });

  it('a shape of 1e9 → LIMIT_EXCEEDED maxTensorElements (checkpoint and safetensors), before any allocation', async () => {
    const pkl = new PickleWriter()
      .proto()
      .orderedDict()
      .mark()
      .str('w')
      .tensor({ type: 'FloatStorage', key: '0', location: 'cpu', numel: 1, offset: 0, size: [1_000_000_000], stride: [0] })
      .op(0x75)
      .stop()
      .build();
    const e = await refused(() => readTorchCheckpoint(checkpoint(pkl, [{ name: '0', data: f32([7]) }])));
    expect(e.code).toBe('LIMIT_EXCEEDED');
    expect(exceededLimit(e)).toEqual({ option: 'maxTensorElements', value: 1e9, max: 2 ** 28 });
    expect(e.message).toContain('maxTensorElements');
    // Dimensions whose product is not even a safe integer.
    const huge = new PickleWriter()
      .proto()
      .orderedDict()
      .mark()
      .str('w')
      .tensor({
        type: 'FloatStorage',
        key: '0',
        location: 'cpu',
        numel: 1,
        offset: 0,
        size: [2 ** 31 - 1, 2 ** 31 - 1, 2 ** 31 - 1],
        stride: [0, 0, 0],
      })
      .op(0x75)
      .stop()
      .build();
    expect((await refused(() => readTorchCheckpoint(checkpoint(huge, [{ name: '0', data: f32([7]) }])))).code).toBe('LIMIT_EXCEEDED');
    const st = withHeader({ w: { dtype: 'F32', shape: [1_000_000_000], data_offsets: [0, 4_000_000_000] } }, new Uint8Array(0));
    const e2 = await refused(() => readSafetensors(st));
    expect(e2.code).toBe('LIMIT_EXCEEDED');
    expect(exceededLimit(e2)?.option).toBe('maxTensorElements');
    const overflow = withHeader({ w: { dtype: 'U8', shape: [2 ** 40, 2 ** 40, 0], data_offsets: [0, 0] } }, new Uint8Array(0));
    expect(readSafetensors(overflow).tensors.w.data.length).toBe(0);
  });

  it('4,000 views of one 1 MiB storage share it: read at once, one copy of the storage in memory', async () => {
    const numel = 262_144;
    const p = new PickleWriter().proto().orderedDict().mark();
    for (let i = 0; i < 4000; i++)
      p.str(`v${i}`).tensor({ type: 'FloatStorage', key: '0', location: 'cpu', numel, offset: 0, size: [numel], stride: [1] });
    p.op(0x75).stop();
    const storage = new Float32Array(numel).map((_, i) => i);
    const zip = checkpoint(p.build(), [{ name: '0', data: new Uint8Array(storage.buffer) }]);
    const before = process.memoryUsage().arrayBuffers;
    const t0 = performance.now();
    const sd = torchStateDict(readTorchCheckpoint(zip));
    let sum = 0;
    for (const t of Object.values(sd)) sum += (t.data as Float32Array)[numel - 1];
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(100 * 2 ** 20);
    expect(sum).toBe(4000 * (numel - 1));
    expect(sd.v0.data.buffer).toBe(sd.v3999.data.buffer);
    // 4,000 transposed views of it must each be copied: refused once the copies pass the budget.
    const q = new PickleWriter().proto().orderedDict().mark();
    for (let i = 0; i < 4000; i++)
      q.str(`t${i}`).tensor({ type: 'FloatStorage', key: '0', location: 'cpu', numel, offset: 0, size: [512, 512], stride: [1, 512] });
    q.op(0x75).stop();
    const transposed = torchStateDict(readTorchCheckpoint(checkpoint(q.build(), [{ name: '0', data: new Uint8Array(storage.buffer) }])));
    const e = await refused(() => {
      for (const t of Object.values(transposed)) void t.data;
    });
    expect(e.code).toBe('LIMIT_EXCEEDED');
    expect(transposed.t0.data[1]).toBe(512);
  });

  it('a 5 MB PNG that decodes to 805 MB → LIMIT_EXCEEDED maxPixels from its header; a 75-byte SVG of 768 MB too', async () => {
    const png = blackPng(16384, 16384);
    const e = await refused(() => decodeImage(png));
    expect(e.code).toBe('LIMIT_EXCEEDED');
    expect(exceededLimit(e)).toEqual({ option: 'maxPixels', value: 16384 * 16384, max: 2 ** 24 });
    expect(e.message).toContain('decodeImage(bytes, { maxPixels: 268435456 })');
    const svg = text('<svg xmlns="http://www.w3.org/2000/svg" width="16000" height="16000"></svg>');
    expect(svg.length).toBeLessThan(100);
    const e2 = await refused(() => decodeImage(svg));
    expect(e2.code).toBe('LIMIT_EXCEEDED');
    expect(e2.message).toContain('16000x16000');
    // Under the limit both decode as before.
    const ok = await decodeImage(blackPng(40, 30), { maxPixels: 1200 });
    expect([ok.width, ok.height, ok.channels, ok.data.length]).toEqual([40, 30, 3, 3600]);
    expect((await refused(() => decodeImage(blackPng(40, 30), { maxPixels: 1199 }))).code).toBe('LIMIT_EXCEEDED');
    expect(exceededLimit(await refused(() => decodeImage(blackPng(4, 4), { resize: { width: 5000, height: 5000 } })))?.option).toBe(
      'maxPixels',
    );
  });
});

describe('issue 20 reproducers: only coded errors leave the readers', () => {
  it('deep keys → LIMIT_EXCEEDED maxPickleDepth; self-referencing keys and containers → PICKLE_CORRUPT', async () => {
    const deep = new PickleWriter().proto().op(0x7d).int(1);
    for (let i = 0; i < 100_000; i++) deep.op(0x85);
    deep.int(2).op(0x73).stop();
    const e = await refused(() => restrictedUnpickle(deep.build(), { globals: new Map() }));
    expect(e.code).toBe('LIMIT_EXCEEDED');
    expect(exceededLimit(e)?.option).toBe('maxPickleDepth');
    // A list appended to itself, then used as a key / a value.
    const selfKey = new PickleWriter().proto().op(0x7d).op(0x5d).op(0x71, 0).op(0x68, 0).op(0x61).int(1).op(0x73).stop().build();
    expect((await refused(() => restrictedUnpickle(selfKey, { globals: new Map() }))).code).toBe('PICKLE_CORRUPT');
    // A cycle through two lists: a = [], b = [a], a.append(b).
    const cycle = new PickleWriter().proto().op(0x5d).op(0x71, 0).op(0x5d).op(0x68, 0).op(0x61).op(0x61).stop().build();
    expect((await refused(() => restrictedUnpickle(cycle, { globals: new Map() }))).message).toMatch(/cycle/);
    // Deep values (not keys) are refused by the same limit; 200 levels are read.
    const nested = (n: number) => {
      const w = new PickleWriter().proto().int(0);
      for (let i = 0; i < n; i++) w.op(0x85);
      return w.stop().build();
    };
    expect((await refused(() => restrictedUnpickle(nested(5000), { globals: new Map() }))).code).toBe('LIMIT_EXCEEDED');
    let v = restrictedUnpickle(nested(200), { globals: new Map() });
    for (let i = 0; i < 200; i++) v = (v as unknown[])[0];
    expect(v).toBe(0);
  });

  it('APPENDS of 2^17 items is read', () => {
    const w = new PickleWriter().proto().op(0x5d).mark();
    for (let i = 0; i < 2 ** 17; i++) w.op(0x4b, i & 0xff);
    const list = restrictedUnpickle(w.op(0x65).stop().build(), { globals: new Map() }) as number[];
    expect(list.length).toBe(2 ** 17);
    expect(list[2 ** 17 - 1]).toBe(0xff);
  });

  it('a zip whose extra field runs past the end of the file, or whose ZIP64 field is short → ZIP_CORRUPT', async () => {
    const zip = buildZip([{ name: 'a/data.pkl', data: new PickleWriter().proto().op(0x7d).stop().build() }], { zip64: true });
    const cd = findCentral(zip, 'a/data.pkl');
    const past = zip.slice();
    new DataView(past.buffer).setUint16(cd + 30, 0xfff0, true);
    const e = await refused(() => new ZipArchive(past));
    expect(e.code).toBe('ZIP_CORRUPT');
    expect(e.message).toMatch(/runs past the end of the file/);
    const short = zip.slice();
    new DataView(short.buffer).setUint16(cd + 46 + 'a/data.pkl'.length + 2, 8, true); // ZIP64 field claims 8 bytes, needs 24
    expect((await refused(() => new ZipArchive(short))).code).toBe('ZIP_CORRUPT');
  });

  it('corrupt deflate data → ZIP_CORRUPT (not an fflate or zlib error)', async () => {
    const good = buildZip([{ name: 'a/data.pkl', data: new PickleWriter().proto().op(0x7d).stop().build(), deflate: true }]);
    expect(readTorchCheckpoint(good)).toEqual({});
    const zip = buildZip([{ name: 'a/data.pkl', data: text('x'.repeat(100)), deflate: true }]);
    const entry = new ZipArchive(zip).entries.get('a/data.pkl')!;
    const at =
      entry.localHeaderOffset +
      30 +
      new DataView(zip.buffer).getUint16(entry.localHeaderOffset + 26, true) +
      new DataView(zip.buffer).getUint16(entry.localHeaderOffset + 28, true);
    const bad = zip.slice();
    bad[at] = 0xff; // BTYPE 11: reserved
    const e = await refused(() => readTorchCheckpoint(bad));
    expect(e.code).toBe('ZIP_CORRUPT');
    expect(e.message).toMatch(/not valid deflate data/);
    // A stream cut short is corrupt too.
    const body = deflateRawSync(text('z'.repeat(5000))).subarray(0, 5);
    const cut = buildZip([{ name: 'a/data.pkl', data: body }]);
    const cd = findCentral(cut, 'a/data.pkl');
    new DataView(cut.buffer).setUint16(cd + 10, 8, true);
    new DataView(cut.buffer).setUint32(cd + 24, 5000, true);
    expect((await refused(() => new ZipArchive(cut).read('a/data.pkl'))).code).toBe('ZIP_CORRUPT');
  });
});

describe('issue 20: prototype-safe names', () => {
  it('a safetensors tensor named __proto__ (or constructor) comes back as a tensor of that name', () => {
    const st = withHeader(
      {
        ['__proto__']: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
        constructor: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
        __metadata__: { ['__proto__']: 'meta', toString: 'x' },
      },
      f32([5, 6]),
      ['__proto__', 'constructor', '__metadata__'],
    );
    const { tensors, metadata } = readSafetensors(st);
    expect(Object.keys(tensors)).toEqual(['__proto__', 'constructor']);
    expect(Array.from(tensors.__proto__.data as Float32Array)).toEqual([5]);
    expect(Array.from(tensors['constructor' as string].data as Float32Array)).toEqual([6]);
    expect(Object.keys(metadata!)).toEqual(['__proto__', 'toString']);
    expect(metadata!.__proto__).toBe('meta');
    expect(tensors.toString).toBeUndefined(); // a missing name is missing, not Object.prototype's
    expect(({} as Record<string, unknown>).dtype).toBeUndefined();
    // Written back, the names survive a round trip.
    const again = readSafetensors(writeSafetensors(tensors as never, metadata)).tensors;
    expect(Object.keys(again)).toEqual(['__proto__', 'constructor']);
  });

  it('pickle keys 1 and "1" (or None and "None") do not collide silently; a repeated key overwrites as in Python', async () => {
    const clash = new PickleWriter().proto().op(0x7d).mark().int(1).str('a').str('1').str('b').op(0x75).stop().build();
    const e = await refused(() => restrictedUnpickle(clash, { globals: new Map() }));
    expect(e.code).toBe('PICKLE_UNSUPPORTED_KEY');
    expect(e.message).toContain('1 and "1"');
    const none = new PickleWriter().proto().op(0x7d).mark().str('None').int(1).op(0x4e).int(2).op(0x75).stop().build();
    expect((await refused(() => restrictedUnpickle(none, { globals: new Map() }))).code).toBe('PICKLE_UNSUPPORTED_KEY');
    const again = new PickleWriter().proto().op(0x7d).mark().int(1).str('a').int(1).str('b').op(0x75).stop().build();
    expect(restrictedUnpickle(again, { globals: new Map() })).toEqual({ 1: 'b' });
    // In a state_dict: two tensors under 1 and "1" → refused, not one of them lost.
    const p = new PickleWriter().proto().orderedDict().mark();
    p.int(1).tensor({ type: 'FloatStorage', key: '0', location: 'cpu', numel: 1, offset: 0, size: [1], stride: [1] });
    p.str('1').tensor({ type: 'FloatStorage', key: '0', location: 'cpu', numel: 1, offset: 0, size: [1], stride: [1] });
    p.op(0x75).stop();
    expect((await refused(() => readTorchCheckpoint(checkpoint(p.build(), [{ name: '0', data: f32([1]) }])))).code).toBe(
      'PICKLE_UNSUPPORTED_KEY',
    );
  });

  it('limits are validated: an unknown or non-positive limit is refused, not ignored', async () => {
    expect((await refused(() => readSafetensors(new Uint8Array(16), { limits: { maxTensorElemnts: 5 } as never }))).message).toMatch(
      /unknown limit "maxTensorElemnts"/,
    );
    expect((await refused(() => readTorchCheckpoint(new Uint8Array(16), { limits: { maxPickleDepth: 0 } }))).message).toMatch(
      /positive number/,
    );
  });
});

/** Offset of the central-directory entry of `name`. */
function findCentral(zip: Uint8Array, name: string): number {
  const v = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const want = text(name);
  for (let p = zip.length - 46; p >= 0; p--) {
    if (v.getUint32(p, true) !== 0x02014b50 || v.getUint16(p + 28, true) !== want.length) continue;
    if (want.every((b, i) => zip[p + 46 + i] === b)) return p;
  }
  throw new Error(`no central entry ${name}`);
}

/** A safetensors file from a header object (keys written in `order`, so "__proto__" can be one) and data bytes. */
function withHeader(header: Record<string, unknown>, data: Uint8Array, order = Object.keys(header)): Uint8Array {
  const json = text(
    `{${order.map((k) => `${JSON.stringify(k)}:${JSON.stringify(Object.getOwnPropertyDescriptor(header, k)!.value)}`).join(',')}}`,
  );
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}
