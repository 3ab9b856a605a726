import { describe, expect, it } from 'vitest';
import { decodeWeights, type ManifestGroup } from '../src/index.js';

function bytesOf(parts: (ArrayBufferView | number[])[]): Uint8Array {
  const arrays = parts.map((p) => (Array.isArray(p) ? new Uint8Array(p) : new Uint8Array(p.buffer, p.byteOffset, p.byteLength)));
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.byteLength, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.byteLength;
  }
  return out;
}

describe('tfjs weights manifest decoding', () => {
  it('decodes float32, int32, uint8/uint16 (q·scale + min) and float16, packed without alignment', () => {
    const manifest: ManifestGroup[] = [
      {
        paths: ['x.bin'],
        weights: [
          { name: 'q8', shape: [3], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.5, min: -1 } },
          { name: 'f32', shape: [2], dtype: 'float32' },
          { name: 'q16', shape: [2], dtype: 'float32', quantization: { dtype: 'uint16', scale: 0.25, min: 10 } },
          { name: 'f16', shape: [2], dtype: 'float32', quantization: { dtype: 'float16' } },
          { name: 'i32', shape: [1], dtype: 'int32' },
        ],
      },
    ];
    const bin = bytesOf([
      [0, 2, 255],
      new Float32Array([1.5, -2.25]),
      new Uint16Array([0, 1000]),
      new Uint16Array([0x3c00, 0xc000]),
      new Int32Array([-7]),
    ]);
    const w = decodeWeights(manifest, [bin], 'face');
    expect(Array.from(w.get('q8')!.values)).toEqual([-1, 0, 126.5]);
    expect(Array.from(w.get('f32')!.values)).toEqual([1.5, -2.25]);
    expect(Array.from(w.get('q16')!.values)).toEqual([10, 260]);
    expect(Array.from(w.get('f16')!.values)).toEqual([1, -2]);
    expect(Array.from(w.get('i32')!.values)).toEqual([-7]);
    expect(() => decodeWeights(manifest, [bin.subarray(0, 10)], 'face')).toThrow(
      expect.objectContaining({ code: 'FACE_WEIGHTS_TRUNCATED', message: expect.stringMatching(/^face: weight 'f32'/) }),
    );
    expect(() => decodeWeights(manifest, [bytesOf([bin, [0]])], 'face')).toThrow(/^face: shard group 0/);
    const noScale: ManifestGroup[] = [
      { paths: ['y.bin'], weights: [{ name: 'q', shape: [1], dtype: 'float32', quantization: { dtype: 'uint8' } }] },
    ];
    expect(() => decodeWeights(noScale, [new Uint8Array([1])], 'face')).toThrow(
      expect.objectContaining({ code: 'FACE_WEIGHTS_QUANTIZATION' }),
    );
  });
});
