import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { restrictedUnpickle } from '../src/pickle.js';
import { readSafetensors } from '../src/safetensors.js';
import { buildZip, PickleWriter } from '../src/testutil.js';
import { ZipArchive } from '../src/zip.js';
import { ALLOWED_TORCH_GLOBALS, pickleState, readTorchCheckpoint, torchStateDict, TorchTensor } from '../src/torch.js';

const testdata = join(import.meta.dirname, '..', 'testdata');
const read = (f: string) => new Uint8Array(readFileSync(join(testdata, f)));

function f32bytes(values: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}

function caught(fn: () => unknown): { code?: string; message: string } {
  try {
    fn();
  } catch (e) {
    return e as { code?: string; message: string };
  }
  throw new Error('expected an error');
}

describe('readTorchCheckpoint', () => {
  it('reads the official controller checkpoint identically to its safetensors twin, optimiser included', () => {
    const ckpt = readTorchCheckpoint(read('controller_orientation.pt')) as Record<string, any>;
    expect(Object.keys(ckpt)).toEqual(['controller', 'controller_optim']);
    const sd = torchStateDict(ckpt, 'controller');
    const ref = readSafetensors(read('E_orientation.safetensors')).tensors;
    expect(Object.keys(sd)).toEqual(Object.keys(ref));
    for (const [k, v] of Object.entries(ref)) {
      expect(sd[k].shape).toEqual(v.shape);
      expect(sd[k].dtype).toBe('F32');
      expect(sd[k].location).toBe('cpu');
      expect(Buffer.from((sd[k].data as Float32Array).buffer).equals(Buffer.from((v.data as Float32Array).buffer))).toBe(true);
    }
    expect(pickleState(sd)?._metadata).toBeDefined();
    const optim = ckpt.controller_optim;
    expect(optim.param_groups[0].betas.length).toBe(2);
    expect(optim.param_groups[0].eps).toBe(1e-8);
    expect(optim.param_groups[0].params).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const s0 = optim.state['0'];
    expect(s0.step).toBeInstanceOf(TorchTensor);
    expect(s0.step.shape).toEqual([]);
    expect(s0.exp_avg.shape).toEqual([32, 3]);
  });

  it('refuses a crafted malicious checkpoint (posix.system) and runs nothing', () => {
    // The classic payload: os.system("touch /tmp/pwned") via GLOBAL + REDUCE.
    const evil = new PickleWriter().proto().global('posix', 'system').str('touch /tmp/pwned').op(0x85).reduce().stop().build();
    const zip = buildZip([
      { name: 'evil/data.pkl', data: evil },
      { name: 'evil/version', data: new TextEncoder().encode('3\n') },
    ]);
    const err = caught(() => readTorchCheckpoint(zip, { source: 'evil.pt' }));
    expect(err.code).toBe('PICKLE_FORBIDDEN_GLOBAL');
    expect(err.message).toContain('"posix.system"');
    expect(err.message).toContain('evil.pt');
    expect(err.message).toContain('Nothing was executed');
  });

  it.each([
    ['builtins', 'eval'],
    ['os', 'system'],
    ['subprocess', 'Popen'],
    ['torch.nn.modules.linear', 'Linear'],
    ['numpy.core.multiarray', '_reconstruct'],
    ['torch', 'load'],
  ])('refuses the global %s.%s, also hidden inside a state_dict', (module, name) => {
    const p = new PickleWriter().proto().orderedDict().mark().str('w').global(module, name).op(0x29).reduce().op(0x75).stop().build();
    const err = caught(() => readTorchCheckpoint(buildZip([{ name: 'a/data.pkl', data: p }])));
    expect(err.code).toBe('PICKLE_FORBIDDEN_GLOBAL');
    expect(err.message).toContain(`"${module}.${name}"`);
  });

  it('refuses STACK_GLOBAL of a forbidden name and opcodes outside the allowed set', () => {
    const p4 = new PickleWriter()
      .proto(4)
      .op(0x8c, 8, ...new TextEncoder().encode('builtins'))
      .op(0x8c, 4, ...new TextEncoder().encode('exec'))
      .op(0x93)
      .stop()
      .build();
    expect(caught(() => restrictedUnpickle(p4, { globals: new Map() })).message).toContain('"builtins.exec"');
    // INST (text-mode class instantiation) and NEWOBJ are never accepted.
    const inst = new PickleWriter()
      .proto()
      .mark()
      .op(0x69, ...new TextEncoder().encode('os\nsystem\n'))
      .stop()
      .build();
    const e1 = caught(() => restrictedUnpickle(inst, { globals: new Map() }));
    expect(e1.code).toBe('PICKLE_UNSUPPORTED_OPCODE');
    expect(e1.message).toContain('INST');
    const newobj = new PickleWriter().proto().orderedDict().op(0x29).op(0x81).stop().build();
    const allowed = readTorchCheckpoint; // the checkpoint reader's own allow-list
    expect(caught(() => allowed(buildZip([{ name: 'a/data.pkl', data: newobj }]))).code).toBe('PICKLE_UNSUPPORTED_OPCODE');
    // BUILD on anything but a dict (e.g. to set attributes of an object) is refused.
    const build = new PickleWriter().proto().op(0x5d).op(0x7d).op(0x62).stop().build();
    expect(caught(() => restrictedUnpickle(build, { globals: new Map() })).message).toContain('BUILD');
    expect(ALLOWED_TORCH_GLOBALS).toContain('torch.FloatStorage');
  });

  it('reads a crafted ZIP64 checkpoint: any prefix, strides, offsets, fp16, int64, cuda tags, shared storages, deflate', () => {
    const half = new Uint16Array([0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0x0000]); // 1, -2, 0.5, 65504, 2^-24, 0
    const longs = new BigInt64Array([-5n, 2n ** 40n, 7n]);
    const p = new PickleWriter().proto().orderedDict().mark();
    // [2,3] transposed view of a 3x2 row-major storage: element (i,j) = s[1 + i + 2j]... with offset 1 into 7 floats
    p.str('transposed').tensor({ type: 'FloatStorage', key: '0', location: 'cuda:0', numel: 7, offset: 1, size: [2, 3], stride: [1, 2] });
    p.str('same_storage_row').tensor({ type: 'FloatStorage', key: '0', location: 'cuda:0', numel: 7, offset: 3, size: [2], stride: [1] });
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
    p.str('scalar').tensor({ type: 'FloatStorage', key: '0', location: 'cuda:0', numel: 7, offset: 6, size: [], stride: [] });
    p.str('broadcast').tensor({ type: 'FloatStorage', key: '0', location: 'cuda:0', numel: 7, offset: 2, size: [2, 2], stride: [0, 1] });
    p.op(0x75).stop();
    const zip = buildZip(
      [
        { name: 'my model/data.pkl', data: p.build() },
        { name: 'my model/data/0', data: f32bytes([9, 0, 1, 2, 3, 4, 5]) },
        { name: 'my model/data/1', data: new Uint8Array(half.buffer), deflate: true },
        { name: 'my model/data/2', data: new Uint8Array(longs.buffer) },
        { name: 'my model/version', data: new TextEncoder().encode('3\n') },
        { name: 'my model/byteorder', data: new TextEncoder().encode('little') },
      ],
      { zip64: true },
    );
    const archive = new ZipArchive(zip);
    expect(archive.entries.get('my model/data/0')?.size).toBe(28);
    const sd = torchStateDict(readTorchCheckpoint(zip));
    expect(Object.keys(sd)).toEqual(['transposed', 'same_storage_row', 'half', 'long', 'scalar', 'broadcast']);
    expect(Array.from(sd.transposed.data as Float32Array)).toEqual([0, 2, 4, 1, 3, 5]);
    expect(sd.transposed.location).toBe('cuda:0');
    expect(Array.from(sd.same_storage_row.data as Float32Array)).toEqual([2, 3]);
    expect(sd.half.dtype).toBe('F16');
    expect(Array.from(sd.half.data as Float32Array)).toEqual([1, -2, 0.5, 65504, 2 ** -24, 0]);
    expect(sd.long.data).toBeInstanceOf(BigInt64Array);
    expect(Array.from(sd.long.data as BigInt64Array)).toEqual([-5n, 2n ** 40n, 7n]);
    expect(sd.scalar.shape).toEqual([]);
    expect(Array.from(sd.scalar.data as Float32Array)).toEqual([5]);
    expect(Array.from(sd.broadcast.data as Float32Array)).toEqual([1, 2, 1, 2]);
  });

  it('reports legacy, foreign, truncated and incomplete files clearly', () => {
    const legacy = Uint8Array.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]);
    const e1 = caught(() => readTorchCheckpoint(legacy));
    expect(e1.code).toBe('TORCH_LEGACY_FORMAT');
    expect(e1.message).toMatch(/pre-1\.6.*re-save it with torch >= 1\.6/i);
    expect(caught(() => readTorchCheckpoint(read('E_orientation.safetensors'))).code).toBe('TORCH_NOT_A_CHECKPOINT');
    const good = read('controller_orientation.pt');
    expect(caught(() => readTorchCheckpoint(good.subarray(0, good.length - 100))).code).toBe('ZIP_CORRUPT');
    expect(caught(() => readTorchCheckpoint(good.subarray(0, 30000))).code).toBe('ZIP_CORRUPT');
    // A storage record removed → named in the error.
    const p = new PickleWriter()
      .proto()
      .orderedDict()
      .mark()
      .str('w')
      .tensor({ type: 'FloatStorage', key: '5', location: 'cpu', numel: 2, offset: 0, size: [2], stride: [1] })
      .op(0x75)
      .stop()
      .build();
    const e2 = caught(() => readTorchCheckpoint(buildZip([{ name: 'x/data.pkl', data: p }])));
    expect(e2.code).toBe('TORCH_STORAGE_MISSING');
    expect(e2.message).toContain('x/data/5');
    // A view reaching past its storage is refused, not read out of bounds.
    const q = new PickleWriter()
      .proto()
      .orderedDict()
      .mark()
      .str('w')
      .tensor({ type: 'FloatStorage', key: '0', location: 'cpu', numel: 2, offset: 1, size: [2], stride: [1] })
      .op(0x75)
      .stop()
      .build();
    expect(
      caught(() =>
        readTorchCheckpoint(
          buildZip([
            { name: 'x/data.pkl', data: q },
            { name: 'x/data/0', data: f32bytes([1, 2]) },
          ]),
        ),
      ).message,
    ).toMatch(/reaches element 2/);
    // Flipped storage bytes → CRC mismatch.
    const zip = buildZip([
      { name: 'x/data.pkl', data: p },
      { name: 'x/data/5', data: f32bytes([1, 2]) },
    ]);
    const archive = new ZipArchive(zip);
    const entry = archive.entries.get('x/data/5')!;
    const bad = zip.slice();
    const dataAt =
      entry.localHeaderOffset +
      30 +
      new DataView(zip.buffer).getUint16(entry.localHeaderOffset + 26, true) +
      new DataView(zip.buffer).getUint16(entry.localHeaderOffset + 28, true);
    bad[dataAt] ^= 0xff;
    // Storages are read (and CRC-checked) lazily, on first access of a tensor's data.
    const lazy = torchStateDict(readTorchCheckpoint(bad));
    expect(caught(() => lazy.w.data).message).toMatch(/CRC-32 mismatch in record "x\/data\/5"/);
    expect(Array.from(torchStateDict(readTorchCheckpoint(zip)).w.data as Float32Array)).toEqual([1, 2]);
  });

  it('unpickles plain values exactly (big ints, big-endian floats, __proto__ keys)', () => {
    const w = new PickleWriter().proto().op(0x7d).mark();
    w.str('__proto__').int(1);
    w.str('big').op(0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 1); // 2^64
    w.str('neg').op(0x8a, 1, 0xff); // -1
    w.str('pi').op(0x47, 0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18);
    w.str('list').op(0x5d).int(1).op(0x61).mark().int(2).int(70000).int(-3).op(0x65);
    w.op(0x75).stop();
    const v = restrictedUnpickle(w.build(), { globals: new Map() }) as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toEqual(['__proto__', 'big', 'neg', 'pi', 'list']);
    expect(v.big).toBe(2n ** 64n);
    expect(v.neg).toBe(-1);
    expect(v.pi).toBe(Math.PI);
    expect(v.list).toEqual([1, 2, 70000, -3]);
    expect(({} as Record<string, unknown>).big).toBeUndefined();
    expect(caught(() => restrictedUnpickle(Uint8Array.from([0x80, 2, 0x4b]), { globals: new Map() })).code).toBe('PICKLE_CORRUPT');
  });
});
