// Read-only zip parser for PyTorch checkpoints (APPNOTE.TXT 6.3.x): the central directory is the
// source of truth (PyTorch's writer sets bit 3, so local headers carry zero CRC/sizes), ZIP64
// end record/locator and ZIP64 extra fields are honoured, STORED and DEFLATE entries are read.
// DEFLATE records are inflated by fflate (pure JS; inflating is deterministic, so the bytes equal
// node:zlib's), which keeps this parser free of Node built-ins.
import { Inflate } from 'fflate';
import { crc32 } from './crc32.js';
import { TensorIoError } from './errors.js';
import { ExpansionBudget, resolveLimits, type TensorIoLimits } from './limits.js';

/** One record of a zip archive, located by its central-directory entry. */
export interface ZipEntry {
  readonly name: string;
  /** 0 = stored, 8 = deflate. */
  readonly method: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly crc32: number;
  /** Offset of the local file header. */
  readonly localHeaderOffset: number;
}

const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;

function zipError(msg: string): TensorIoError {
  return new TensorIoError('ZIP_CORRUPT', `Corrupt zip archive: ${msg} The file may be truncated; re-download or re-save it.`);
}

/** Options of `new ZipArchive(bytes, options)`. */
export interface ZipArchiveOptions {
  /** `maxExpandedBytes` and `maxExpansionRatio` bound the bytes inflated from deflate records, in all. */
  readonly limits?: TensorIoLimits;
  /** @internal A budget shared with the caller (readTorchCheckpoint also charges view copies to it). */
  readonly budget?: ExpansionBudget;
}

/** Compressed bytes handed to the inflater at a time: one push can yield at most ~1032× this (deflate's maximum ratio). */
const INFLATE_CHUNK = 16_384;

function u64(view: DataView, at: number, what: string): number {
  if (at + 8 > view.byteLength) throw zipError(`${what} lies beyond the end of the file.`);
  const v = view.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw zipError(`${what} ${v} is too large.`);
  return Number(v);
}

/** A parsed zip archive over `bytes` (entries are not copied until read). */
export class ZipArchive {
  readonly entries: ReadonlyMap<string, ZipEntry>;
  private readonly bytes: Uint8Array;
  private readonly view: DataView;
  private readonly budget: ExpansionBudget;

  /**
   * Parses the central directory of `bytes`.
   *
   * @example
   * ```ts
   * const zip = new ZipArchive(bytes);
   * const pkl = zip.read('archive/data.pkl');
   * ```
   */
  constructor(bytes: Uint8Array, options: ZipArchiveOptions = {}) {
    if (!(bytes instanceof Uint8Array))
      throw new TensorIoError('ZIP_CORRUPT', 'ZipArchive expects a Uint8Array (e.g. the result of fs.readFile).');
    this.budget =
      options.budget ??
      new ExpansionBudget(bytes.length, resolveLimits(options.limits, 'new ZipArchive', 'INVALID_OPTION'), 'new ZipArchive');
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.entries = this.parse();
  }

  private findEocd(): number {
    const min = Math.max(0, this.bytes.length - 22 - 0xffff);
    for (let i = this.bytes.length - 22; i >= min; i--) {
      if (this.view.getUint32(i, true) === SIG_EOCD) {
        const commentLen = this.view.getUint16(i + 20, true);
        if (i + 22 + commentLen <= this.bytes.length) return i;
      }
    }
    throw zipError('no end-of-central-directory record found.');
  }

  private parse(): Map<string, ZipEntry> {
    const v = this.view;
    if (this.bytes.length < 22) throw zipError(`only ${this.bytes.length} bytes.`);
    const eocd = this.findEocd();
    let count = v.getUint16(eocd + 10, true);
    let cdSize = v.getUint32(eocd + 12, true);
    let cdOffset = v.getUint32(eocd + 16, true);
    // A ZIP64 locator sits right before the classic EOCD; when present its record is authoritative.
    const loc = eocd - 20;
    if (loc >= 0 && v.getUint32(loc, true) === SIG_ZIP64_LOCATOR) {
      const recOffset = u64(v, loc + 8, 'ZIP64 end record offset');
      if (recOffset + 56 > this.bytes.length || v.getUint32(recOffset, true) !== SIG_ZIP64_EOCD) {
        throw zipError('the ZIP64 locator points to no ZIP64 end-of-central-directory record.');
      }
      count = u64(v, recOffset + 32, 'entry count');
      cdSize = u64(v, recOffset + 40, 'central directory size');
      cdOffset = u64(v, recOffset + 48, 'central directory offset');
    } else if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      throw zipError('the end record needs ZIP64 values but no ZIP64 locator is present.');
    }
    if (cdOffset + cdSize > this.bytes.length)
      throw zipError(`the central directory (${cdOffset}+${cdSize}) lies beyond the end of the file (${this.bytes.length} bytes).`);
    const entries = new Map<string, ZipEntry>();
    let p = cdOffset;
    const decoder = new TextDecoder('utf-8');
    for (let i = 0; i < count; i++) {
      if (p + 46 > this.bytes.length || v.getUint32(p, true) !== SIG_CENTRAL)
        throw zipError(`central directory entry ${i} is missing or malformed.`);
      const flags = v.getUint16(p + 8, true);
      const method = v.getUint16(p + 10, true);
      const crc = v.getUint32(p + 16, true);
      let compressedSize = v.getUint32(p + 20, true);
      let size = v.getUint32(p + 24, true);
      const nameLen = v.getUint16(p + 28, true);
      const extraLen = v.getUint16(p + 30, true);
      const commentLen = v.getUint16(p + 32, true);
      let localHeaderOffset = v.getUint32(p + 42, true);
      if (flags & 0x1) throw new TensorIoError('ZIP_UNSUPPORTED', 'Encrypted zip entries are not supported.');
      if (p + 46 + nameLen + extraLen + commentLen > this.bytes.length) {
        throw zipError(
          `central directory entry ${i} (name, extra field and comment: ${nameLen}+${extraLen}+${commentLen} bytes) runs past the end of the file.`,
        );
      }
      const name = decoder.decode(this.bytes.subarray(p + 46, p + 46 + nameLen));
      // ZIP64 extended information: only the fields saturated in the fixed record are present, in this order.
      let e = p + 46 + nameLen;
      const extraEnd = e + extraLen;
      while (e + 4 <= extraEnd) {
        const id = v.getUint16(e, true);
        const len = v.getUint16(e + 2, true);
        if (id === 0x0001) {
          let q = e + 4;
          const fieldEnd = Math.min(e + 4 + len, extraEnd);
          const field = (what: string) => {
            if (q + 8 > fieldEnd) throw zipError(`the ZIP64 extra field of "${name}" is too short for its ${what}.`);
            const value = u64(v, q, `the ZIP64 ${what} of "${name}"`);
            q += 8;
            return value;
          };
          if (size === 0xffffffff) size = field('size');
          if (compressedSize === 0xffffffff) compressedSize = field('compressed size');
          if (localHeaderOffset === 0xffffffff) localHeaderOffset = field('header offset');
        }
        e += 4 + len;
      }
      entries.set(name, { name, method, compressedSize, size, crc32: crc, localHeaderOffset });
      p = extraEnd + commentLen;
    }
    return entries;
  }

  /** Names of all records, in central-directory order. */
  names(): string[] {
    return [...this.entries.keys()];
  }

  /**
   * The bytes of a record (a view into the archive for stored records). Verifies the CRC-32 when
   * `verify` is true.
   */
  read(name: string, verify = false): Uint8Array {
    const entry = this.entries.get(name);
    if (!entry) throw new TensorIoError('ZIP_CORRUPT', `The archive has no record "${name}".`);
    const v = this.view;
    const at = entry.localHeaderOffset;
    if (at + 30 > this.bytes.length || v.getUint32(at, true) !== SIG_LOCAL) throw zipError(`the local header of "${name}" is missing.`);
    const start = at + 30 + v.getUint16(at + 26, true) + v.getUint16(at + 28, true);
    const end = start + entry.compressedSize;
    if (end > this.bytes.length) throw zipError(`record "${name}" ends at byte ${end} but the file has ${this.bytes.length}.`);
    let data: Uint8Array;
    if (entry.method === 0) {
      if (entry.compressedSize !== entry.size) throw zipError(`stored record "${name}" has different sizes.`);
      data = this.bytes.subarray(start, end);
    } else if (entry.method === 8) {
      data = this.inflate(entry, this.bytes.subarray(start, end));
    } else {
      throw new TensorIoError(
        'ZIP_UNSUPPORTED',
        `Zip record "${name}" uses compression method ${entry.method}; only stored (0) and deflate (8) are supported.`,
      );
    }
    if (verify && crc32(data) !== entry.crc32) throw zipError(`CRC-32 mismatch in record "${name}".`);
    return data;
  }

  /**
   * Inflates into a buffer of exactly the declared size, charged to the expansion budget before it
   * is allocated. The stream is fed in small chunks and stopped as soon as it yields more than
   * declared, so a record that lies about its size costs at most one chunk's output, not the bomb.
   */
  private inflate(entry: ZipEntry, src: Uint8Array): Uint8Array {
    const { name, size } = entry;
    this.budget.charge(size, `inflating record "${name}" (${size} bytes declared, ${src.length} compressed)`);
    const out = new Uint8Array(size);
    let got = 0;
    let done = false;
    const inflater = new Inflate((chunk, final) => {
      if (got + chunk.length > size)
        throw zipError(`record "${name}" inflates to more than the ${size} bytes its directory entry declares.`);
      out.set(chunk, got);
      got += chunk.length;
      if (final) done = true;
    });
    try {
      if (src.length === 0) inflater.push(src, true);
      for (let i = 0; i < src.length; i += INFLATE_CHUNK)
        inflater.push(src.subarray(i, i + INFLATE_CHUNK), i + INFLATE_CHUNK >= src.length);
    } catch (error) {
      if (error instanceof TensorIoError) throw error;
      throw new TensorIoError(
        'ZIP_CORRUPT',
        `Corrupt zip archive: record "${name}" is not valid deflate data (${(error as Error).message}). The file may be truncated; re-download or re-save it.`,
        { cause: error },
      );
    }
    if (!done || got !== size) throw zipError(`record "${name}" inflates to ${got} bytes, expected ${size}.`);
    return out;
  }
}
