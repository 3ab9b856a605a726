import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { floatToHalf, halfToFloat, readSafetensors, writeSafetensors } from '../src/safetensors.js';

const testdata = join(import.meta.dirname, '..', 'testdata');

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

describe('readSafetensors / writeSafetensors', () => {
  it('reads the official E_orientation fixture (numpy-written) with names, shapes and order', () => {
    const bytes = new Uint8Array(readFileSync(join(testdata, 'E_orientation.safetensors')));
    const { tensors } = readSafetensors(bytes);
    expect(Object.keys(tensors)).toEqual([
      'fc_stack.0.weight',
      'fc_stack.0.bias',
      'fc_stack.1.weight',
      'fc_stack.1.bias',
      'fc_stack.2.weight',
      'fc_stack.2.bias',
      'fc_stack.3.weight',
      'fc_stack.3.bias',
    ]);
    expect(tensors['fc_stack.0.weight'].shape).toEqual([32, 3]);
    expect(tensors['fc_stack.3.weight'].shape).toEqual([16, 32]);
    expect(tensors['fc_stack.0.weight'].dtype).toBe('F32');
    const w = tensors['fc_stack.0.weight'].data as Float32Array;
    expect(w).toBeInstanceOf(Float32Array);
    expect(w.every(Number.isFinite)).toBe(true);
    // Re-encoding and re-reading gives the same tensors.
    const again = readSafetensors(writeSafetensors(tensors));
    for (const [k, v] of Object.entries(tensors)) {
      expect(again.tensors[k].shape).toEqual(v.shape);
      expect(Array.from(again.tensors[k].data as Float32Array)).toEqual(Array.from(v.data as Float32Array));
    }
  });

  it('round-trips every dtype, metadata, empty and scalar tensors', () => {
    const input = {
      f32: { shape: [2, 3], data: new Float32Array([1, -2, 3.5, 0, -0, 1e-30]) },
      f64: { shape: [2], data: new Float64Array([Math.PI, -1e300]) },
      i32: { shape: [3], data: new Int32Array([-2147483648, 0, 2147483647]) },
      i64: { shape: [2], data: new BigInt64Array([-(2n ** 62n), 5n]) },
      u8: { shape: [2, 2], data: new Uint8Array([0, 1, 254, 255]) },
      bool: { shape: [3], data: [1, 0, 1], dtype: 'BOOL' as const },
      f16: { shape: [4], data: [1, -2, 65504, 0.000061035156], dtype: 'F16' as const },
      bf16: { shape: [2], data: [1, -3.140625], dtype: 'BF16' as const },
      scalar: { shape: [], data: new Float32Array([7]) },
      empty: { shape: [0, 4], data: new Float32Array(0) },
    };
    const bytes = writeSafetensors(input, { format: 'pt', note: 'x' });
    const view = new DataView(bytes.buffer);
    expect(Number(view.getBigUint64(0, true)) % 8).toBe(0);
    const { tensors, metadata } = readSafetensors(bytes);
    expect(metadata).toEqual({ format: 'pt', note: 'x' });
    expect(Object.keys(tensors)).toEqual(Object.keys(input));
    expect(Array.from(tensors.f32.data as Float32Array)).toEqual(Array.from(input.f32.data));
    expect(Array.from(tensors.f64.data as Float64Array)).toEqual([Math.PI, -1e300]);
    expect(Array.from(tensors.i32.data as Int32Array)).toEqual([-2147483648, 0, 2147483647]);
    expect(tensors.i64.data).toBeInstanceOf(BigInt64Array);
    expect(Array.from(tensors.i64.data as BigInt64Array)).toEqual([-(2n ** 62n), 5n]);
    expect(Array.from(tensors.u8.data as Uint8Array)).toEqual([0, 1, 254, 255]);
    expect(tensors.bool.dtype).toBe('BOOL');
    expect(Array.from(tensors.bool.data as Uint8Array)).toEqual([1, 0, 1]);
    expect(tensors.f16.dtype).toBe('F16');
    expect(tensors.f16.data).toBeInstanceOf(Float32Array);
    expect(Array.from(tensors.f16.data as Float32Array)).toEqual([1, -2, 65504, 2 ** -14]);
    expect(Array.from(tensors.bf16.data as Float32Array)).toEqual([1, -3.140625]);
    expect(tensors.scalar.shape).toEqual([]);
    expect(Array.from(tensors.scalar.data as Float32Array)).toEqual([7]);
    expect(tensors.empty.shape).toEqual([0, 4]);
    expect(tensors.empty.data.length).toBe(0);
  });

  it('returns I64 as numbers on request and refuses unsafe values', () => {
    const bytes = writeSafetensors({ a: { shape: [2], data: new BigInt64Array([-3n, 2n ** 40n]) } });
    const { tensors } = readSafetensors(bytes, { int64: 'number' });
    expect(Array.from(tensors.a.data as Float64Array)).toEqual([-3, 2 ** 40]);
    const big = writeSafetensors({ a: { shape: [1], data: new BigInt64Array([2n ** 60n]) } });
    expect(() => readSafetensors(big, { int64: 'number' })).toThrow(/does not fit a JavaScript number/);
  });

  it('converts float16 like IEEE 754 (normals, subnormals, inf, NaN, rounding)', () => {
    expect(halfToFloat(0x3c00)).toBe(1);
    expect(halfToFloat(0xc000)).toBe(-2);
    expect(halfToFloat(0x7bff)).toBe(65504);
    expect(halfToFloat(0x0001)).toBe(2 ** -24);
    expect(halfToFloat(0x7c00)).toBe(Infinity);
    expect(halfToFloat(0xfc00)).toBe(-Infinity);
    expect(Number.isNaN(halfToFloat(0x7e00))).toBe(true);
    for (let h = 0; h < 0x7c00; h += 7) expect(floatToHalf(halfToFloat(h))).toBe(h);
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00); // tie -> even
    expect(floatToHalf(1e6)).toBe(0x7c00);
  });

  it('reports truncated and corrupt files with clear errors', () => {
    const good = writeSafetensors({ a: { shape: [4], data: new Float32Array([1, 2, 3, 4]) } });
    expect(codeOf(() => readSafetensors(good.subarray(0, 5)))).toBe('SAFETENSORS_TRUNCATED');
    expect(codeOf(() => readSafetensors(good.subarray(0, 20)))).toBe('SAFETENSORS_TRUNCATED');
    expect(() => readSafetensors(good.subarray(0, good.length - 1))).toThrow(/tensor "a" ends at byte 16 .* only 15 bytes/);

    const make = (header: string, dataBytes = 0) => {
      const json = new TextEncoder().encode(header);
      const out = new Uint8Array(8 + json.length + dataBytes);
      new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
      out.set(json, 8);
      return out;
    };
    expect(() => readSafetensors(make('{"a": '))).toThrow(/not valid JSON/);
    expect(() => readSafetensors(make('[1,2]'))).toThrow(/not a JSON object/);
    expect(() => readSafetensors(make('{"a":{"dtype":"F8","shape":[1],"data_offsets":[0,1]}}', 1))).toThrow(/unsupported dtype "F8"/);
    expect(() => readSafetensors(make('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}', 4))).toThrow(
      /needs 8 bytes but data_offsets span 4/,
    );
    expect(() => readSafetensors(make('{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', 4))).toThrow(/shape must be/);
    expect(() =>
      readSafetensors(
        make('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', 8),
      ),
    ).toThrow(/"a" and "b" overlap/);
    expect(() => readSafetensors(make('{"__metadata__":{"k":1}}'))).toThrow(/must be a string/);
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 2n ** 40n, true);
    expect(codeOf(() => readSafetensors(huge))).toBe('SAFETENSORS_CORRUPT');
  });

  it('validates writer input', () => {
    expect(() => writeSafetensors({ a: { shape: [3], data: new Float32Array(2) } })).toThrow(/has 3 elements but data has 2/);
    expect(() => writeSafetensors({ __metadata__: { shape: [0], data: new Float32Array(0) } })).toThrow(/reserved/);
  });

  it('reads tensors whose data is not aligned in the input buffer', () => {
    const good = writeSafetensors({ a: { shape: [2], data: new Float32Array([1.5, -2.5]) } });
    const shifted = new Uint8Array(good.length + 1);
    shifted.set(good, 1);
    expect(Array.from(readSafetensors(shifted.subarray(1)).tensors.a.data as Float32Array)).toEqual([1.5, -2.5]);
  });
});
