import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256, sha256Pure } from '../src/sha256.js';

describe('sha256', () => {
  it('matches node:crypto for every padding case, with Web Crypto and without', async () => {
    expect(sha256Pure(new TextEncoder().encode('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 100_003]) {
      const bytes = new Uint8Array(n).map((_, i) => (i * 131 + 7) & 0xff);
      const expected = createHash('sha256').update(bytes).digest('hex');
      expect(sha256Pure(bytes), `${n} bytes`).toBe(expected);
      expect(await sha256(bytes), `${n} bytes`).toBe(expected);
      // A view into a larger buffer hashes only its own bytes.
      const padded = new Uint8Array(n + 10);
      padded.set(bytes, 5);
      expect(sha256Pure(padded.subarray(5, 5 + n))).toBe(expected);
    }
  });
});
