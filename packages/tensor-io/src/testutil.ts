// Test helpers (not exported from the package): build zip archives and pickles byte by byte, so
// tests can craft checkpoints (ZIP64, strided storages, malicious globals) without Python.
import { crc32, deflateRawSync } from 'node:zlib';

export interface ZipInput {
  readonly name: string;
  readonly data: Uint8Array;
  readonly deflate?: boolean;
}

/**
 * Writes a zip the way PyTorch's PyTorchStreamWriter does: bit 3 set (zero CRC/sizes in the
 * local header, a data descriptor after the data), data 64-byte aligned through a "FB" (0x4246)
 * extra field; with `zip64`, every central entry stores its sizes/offset in a ZIP64 extra field and
 * the archive ends with a ZIP64 end record + locator and a saturated classic end record.
 */
export function buildZip(entries: readonly ZipInput[], { zip64 = false } = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  let offset = 0;
  const push = (b: Uint8Array) => {
    parts.push(b);
    offset += b.length;
  };
  const central: Uint8Array[] = [];
  const enc = new TextEncoder();
  for (const e of entries) {
    const name = enc.encode(e.name);
    const body = e.deflate ? new Uint8Array(deflateRawSync(e.data)) : e.data;
    const crc = crc32(e.data);
    const headerStart = offset;
    const base = headerStart + 30 + name.length + 4;
    const padLen = (64 - (base % 64)) % 64;
    const local = new Uint8Array(30 + name.length + 4 + padLen);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, zip64 ? 45 : 20, true);
    lv.setUint16(6, 0x0808, true);
    lv.setUint16(8, e.deflate ? 8 : 0, true);
    lv.setUint16(26, name.length, true);
    lv.setUint16(28, 4 + padLen, true);
    local.set(name, 30);
    lv.setUint16(30 + name.length, 0x4246, true);
    lv.setUint16(32 + name.length, padLen, true);
    local.fill(0x5a, 34 + name.length);
    push(local);
    push(body);
    const desc = new Uint8Array(zip64 ? 24 : 16);
    const dv = new DataView(desc.buffer);
    dv.setUint32(0, 0x08074b50, true);
    dv.setUint32(4, crc, true);
    if (zip64) {
      dv.setBigUint64(8, BigInt(body.length), true);
      dv.setBigUint64(16, BigInt(e.data.length), true);
    } else {
      dv.setUint32(8, body.length, true);
      dv.setUint32(12, e.data.length, true);
    }
    push(desc);
    const extra = zip64 ? 4 + 24 : 0;
    const c = new Uint8Array(46 + name.length + extra);
    const cv = new DataView(c.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, zip64 ? 45 : 20, true);
    cv.setUint16(6, zip64 ? 45 : 20, true);
    cv.setUint16(8, 0x0808, true);
    cv.setUint16(10, e.deflate ? 8 : 0, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, zip64 ? 0xffffffff : body.length, true);
    cv.setUint32(24, zip64 ? 0xffffffff : e.data.length, true);
    cv.setUint16(28, name.length, true);
    cv.setUint16(30, extra, true);
    cv.setUint32(42, zip64 ? 0xffffffff : headerStart, true);
    c.set(name, 46);
    if (zip64) {
      const x = 46 + name.length;
      cv.setUint16(x, 0x0001, true);
      cv.setUint16(x + 2, 24, true);
      cv.setBigUint64(x + 4, BigInt(e.data.length), true);
      cv.setBigUint64(x + 12, BigInt(body.length), true);
      cv.setBigUint64(x + 20, BigInt(headerStart), true);
    }
    central.push(c);
  }
  const cdOffset = offset;
  for (const c of central) push(c);
  const cdSize = offset - cdOffset;
  if (zip64) {
    const rec = new Uint8Array(56);
    const rv = new DataView(rec.buffer);
    const recOffset = offset;
    rv.setUint32(0, 0x06064b50, true);
    rv.setBigUint64(4, 44n, true);
    rv.setUint16(12, 45, true);
    rv.setUint16(14, 45, true);
    rv.setBigUint64(24, BigInt(entries.length), true);
    rv.setBigUint64(32, BigInt(entries.length), true);
    rv.setBigUint64(40, BigInt(cdSize), true);
    rv.setBigUint64(48, BigInt(cdOffset), true);
    push(rec);
    const loc = new Uint8Array(20);
    const lv = new DataView(loc.buffer);
    lv.setUint32(0, 0x07064b50, true);
    lv.setBigUint64(8, BigInt(recOffset), true);
    lv.setUint32(16, 1, true);
    push(loc);
  }
  const eocd = new Uint8Array(22);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, zip64 ? 0xffff : entries.length, true);
  ev.setUint16(10, zip64 ? 0xffff : entries.length, true);
  ev.setUint32(12, zip64 ? 0xffffffff : cdSize, true);
  ev.setUint32(16, zip64 ? 0xffffffff : cdOffset, true);
  push(eocd);
  const out = new Uint8Array(offset);
  let p = 0;
  for (const b of parts) {
    out.set(b, p);
    p += b.length;
  }
  return out;
}

/** Emits pickle opcodes (protocol 2 binary forms). */
export class PickleWriter {
  private readonly bytes: number[] = [];
  op(...b: number[]): this {
    this.bytes.push(...b);
    return this;
  }
  proto(p = 2): this {
    return this.op(0x80, p);
  }
  mark(): this {
    return this.op(0x28);
  }
  stop(): this {
    return this.op(0x2e);
  }
  global(module: string, name: string): this {
    return this.op(0x63, ...new TextEncoder().encode(`${module}\n${name}\n`));
  }
  str(s: string): this {
    const b = new TextEncoder().encode(s);
    return this.op(0x58, b.length & 0xff, (b.length >> 8) & 0xff, (b.length >> 16) & 0xff, b.length >>> 24, ...b);
  }
  int(n: number): this {
    if (n >= 0 && n < 256) return this.op(0x4b, n);
    if (n >= 0 && n < 65536) return this.op(0x4d, n & 0xff, n >> 8);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, n, true);
    return this.op(0x4a, ...b);
  }
  tuple(...items: ((w: this) => void)[]): this {
    this.mark();
    for (const f of items) f(this);
    return this.op(0x74);
  }
  emptyTuple(): this {
    return this.op(0x29);
  }
  reduce(): this {
    return this.op(0x52);
  }
  orderedDict(): this {
    return this.global('collections', 'OrderedDict').emptyTuple().reduce();
  }
  /** `_rebuild_tensor_v2(("storage", torch.<type>, key, location, numel), offset, size, stride, False, OrderedDict())` */
  tensor(o: {
    type: string;
    key: string;
    location: string;
    numel: number;
    offset: number;
    size: number[];
    stride: number[];
    parameter?: boolean;
  }): this {
    if (o.parameter) this.global('torch._utils', '_rebuild_parameter').mark();
    this.global('torch._utils', '_rebuild_tensor_v2').mark();
    this.mark().str('storage').global('torch', o.type).str(o.key).str(o.location).int(o.numel).op(0x74).op(0x51);
    this.int(o.offset);
    this.mark();
    for (const s of o.size) this.int(s);
    this.op(0x74).mark();
    for (const s of o.stride) this.int(s);
    this.op(0x74).op(0x89).orderedDict().op(0x74).reduce();
    if (o.parameter) this.op(0x88).orderedDict().op(0x74).reduce();
    return this;
  }
  build(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

/**
 * Raw deflate that inflates to `size` zero bytes: one fixed-Huffman block (RFC 1951 3.2.6) of a
 * literal 0, then copies of length 258 from distance 1 (13 bits per 258 bytes, ~160:1), the
 * remainder as literals. Builds decompression bombs without allocating what they expand to.
 */
export function zeroDeflate(size: number): Uint8Array {
  const copies = size > 0 ? Math.floor((size - 1) / 258) : 0;
  const literals = size > 0 ? size - copies * 258 : 0;
  const out = new Uint8Array(Math.ceil((3 + literals * 8 + copies * 13 + 7) / 8) + 1);
  let bit = 0;
  const put = (value: number, n: number) => {
    // LSB first
    for (let i = 0; i < n; i++, bit++) if ((value >> i) & 1) out[bit >> 3] |= 1 << (bit & 7);
  };
  const huff = (code: number, n: number) => {
    // Huffman codes go MSB first
    for (let i = n - 1; i >= 0; i--, bit++) if ((code >> i) & 1) out[bit >> 3] |= 1 << (bit & 7);
  };
  put(1, 1); // BFINAL
  put(1, 2); // BTYPE = fixed Huffman
  if (literals > 0) huff(0x30, 8);
  for (let i = 0; i < copies; i++) {
    huff(0xc5, 8); // length code 285 = 258
    huff(0, 5); // distance code 0 = 1
  }
  for (let i = 1; i < literals; i++) huff(0x30, 8);
  huff(0, 7); // end of block
  return out.subarray(0, (bit + 7) >> 3);
}

/** `zeroDeflate` in a zlib wrapper (RFC 1950): what a PNG's IDAT holds. Adler-32 of n zeros is `(n mod 65521) << 16 | 1`. */
export function zeroZlib(size: number): Uint8Array {
  const body = zeroDeflate(size);
  const out = new Uint8Array(body.length + 6);
  out[0] = 0x78;
  out[1] = 0x01;
  out.set(body, 2);
  new DataView(out.buffer).setUint32(body.length + 2, (((size % 65521) << 16) | 1) >>> 0);
  return out;
}

/** A valid 8-bit RGB PNG of `width` × `height` black pixels whose IDAT is a zero bomb. */
export function blackPng(width: number, height: number): Uint8Array {
  const chunk = (type: string, body: Uint8Array) => {
    const c = new Uint8Array(12 + body.length);
    const v = new DataView(c.buffer);
    v.setUint32(0, body.length);
    for (let i = 0; i < 4; i++) c[4 + i] = type.charCodeAt(i);
    c.set(body, 8);
    v.setUint32(8 + body.length, crc32(c.subarray(4, 8 + body.length)));
    return c;
  };
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, width);
  new DataView(ihdr.buffer).setUint32(4, height);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const parts = [
    Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zeroZlib(height * (1 + width * 3))),
    chunk('IEND', new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
