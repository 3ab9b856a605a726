// PyTorch checkpoint reader (torch.save since 1.6: a zip archive `<prefix>/data.pkl`,
// `<prefix>/data/<key>` raw storages, `<prefix>/version`), without executing pickle code.
// Format: torch/serialization.py (_save / _load) and torch/_utils.py (_rebuild_tensor_v2).
import { TensorIoError } from './errors.js';
import { describeValue, ExpansionBudget, limitError, resolveLimits, type TensorIoLimits } from './limits.js';
import { PICKLE_STATE, PickleGlobal, restrictedUnpickle } from './pickle.js';
import { decodeLittleEndian, DTYPE_BYTES, type SafetensorsDtype, type SafetensorsEntry, type TensorData } from './safetensors.js';
import { ZipArchive } from './zip.js';

const STORAGE_DTYPES: Record<string, SafetensorsDtype> = {
  DoubleStorage: 'F64',
  FloatStorage: 'F32',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
};

class StorageType {
  constructor(
    readonly name: string,
    readonly dtype: SafetensorsDtype,
  ) {}
}

/** One storage (`<prefix>/data/<key>`), decoded lazily on first use. */
class Storage {
  private decoded?: TensorData;
  constructor(
    readonly key: string,
    readonly dtype: SafetensorsDtype,
    readonly location: string,
    readonly numel: number,
    /** Reads (and CRC-checks) the record; called on first use only, so unread storages cost nothing. */
    private readonly readRaw: () => Uint8Array,
  ) {}
  get data(): TensorData {
    if (!this.decoded) {
      const raw = this.readRaw();
      const needBytes = this.numel * DTYPE_BYTES[this.dtype];
      if (raw.length < needBytes) {
        throw new TensorIoError(
          'TORCH_STORAGE_MISSING',
          `storage data/${this.key} has ${raw.length} bytes but ${this.numel} ${this.dtype} elements need ${needBytes}; the checkpoint is damaged.`,
        );
      }
      this.decoded = decodeLittleEndian(raw.subarray(0, needBytes), this.dtype, 'bigint', `storage data/${this.key}`);
    }
    return this.decoded;
  }
}

/**
 * A tensor of a PyTorch checkpoint. Shaped like a safetensors entry: `dtype` is the stored type
 * (`F32`, `F16`, `I64`, ...), `data` is contiguous row-major (strides and storage offset already
 * applied; float16/bfloat16 widened to float32; int64 as `BigInt64Array`), materialised on first
 * access, so tensors that are never read (e.g. optimiser state) cost nothing.
 */
export class TorchTensor implements SafetensorsEntry {
  readonly dtype: SafetensorsDtype;
  readonly shape: number[];
  readonly stride: number[];
  readonly storageOffset: number;
  readonly requiresGrad: boolean;
  /** Storage key (`data/<key>`) and the location tag it was saved from (`cpu`, `cuda:0`, ...). */
  readonly storageKey: string;
  readonly location: string;
  private readonly storage: Storage;
  private readonly budget?: ExpansionBudget;
  private cached?: TensorData;

  constructor(storage: Storage, offset: number, shape: number[], stride: number[], requiresGrad: boolean, budget?: ExpansionBudget) {
    this.storage = storage;
    this.budget = budget;
    this.dtype = storage.dtype;
    this.shape = shape;
    this.stride = stride;
    this.storageOffset = offset;
    this.requiresGrad = requiresGrad;
    this.storageKey = storage.key;
    this.location = storage.location;
  }

  /** Number of elements. */
  get numel(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  get data(): TensorData {
    if (this.cached) return this.cached;
    const src = this.storage.data;
    const n = this.numel;
    const rank = this.shape.length;
    let contiguous = true;
    for (let i = rank - 1, expect = 1; i >= 0; i--) {
      if (this.shape[i] !== 1 && this.stride[i] !== expect) contiguous = false;
      expect *= this.shape[i];
    }
    if (contiguous) {
      // A view of its storage, as in PyTorch: views of one storage share its memory, none copies it.
      this.cached = src.subarray(this.storageOffset, this.storageOffset + n) as TensorData;
      return this.cached;
    }
    // A strided view (transposed, broadcast with stride 0) must be copied to be row-major; the copy
    // is charged to the checkpoint's expansion budget, so views cannot multiply a small storage.
    this.budget?.charge(n * src.BYTES_PER_ELEMENT, `copying the strided view of shape [${this.shape}] of storage data/${this.storageKey}`);
    const out = new (src.constructor as { new (n: number): TensorData })(n);
    const idx = new Array<number>(rank).fill(0);
    let at = this.storageOffset;
    for (let i = 0; i < n; i++) {
      (out as unknown as unknown[])[i] = (src as unknown as unknown[])[at];
      for (let d = rank - 1; d >= 0; d--) {
        idx[d]++;
        at += this.stride[d];
        if (idx[d] < this.shape[d]) break;
        at -= this.stride[d] * this.shape[d];
        idx[d] = 0;
      }
    }
    this.cached = out;
    return out;
  }
}

/** The `_metadata` attribute that BUILD attached to a state_dict (module versions), if any. */
export function pickleState(value: object): Record<string, unknown> | undefined {
  return (value as { [PICKLE_STATE]?: Record<string, unknown> })[PICKLE_STATE];
}

/** Names of the globals a checkpoint may reference. */
export const ALLOWED_TORCH_GLOBALS: readonly string[] = [
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  ...Object.keys(STORAGE_DTYPES).map((s) => `torch.${s}`),
];

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

const LEGACY_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

/** Options of `readTorchCheckpoint`. */
export interface ReadTorchCheckpointOptions {
  /** Name used in error messages (e.g. the file path). */
  readonly source?: string;
  /** Verify the CRC-32 of each storage record when it is first read (unread storages are never touched); default true. */
  readonly verifyCrc?: boolean;
  /**
   * Resource limits (see `TensorIoLimits`, defaults in `DEFAULT_LIMITS`): `maxExpandedBytes` and
   * `maxExpansionRatio` (inflated records plus strided-view copies), `maxTensorElements`,
   * `maxTensors` (views), and the pickle's `maxPickleDepth`, `maxMemoEntries`, `maxIntBytes`, `maxKeyLength`.
   */
  readonly limits?: TensorIoLimits;
}

/**
 * Reads a PyTorch zip checkpoint (`torch.save` with torch >= 1.6) **without executing any pickle
 * code**: `data.pkl` runs in a restricted unpickler that knows only `collections.OrderedDict`,
 * `torch._utils._rebuild_tensor_v2`, `torch._utils._rebuild_parameter` and the storage types
 * (`torch.FloatStorage`, `HalfStorage`, `LongStorage`, ...). Any other global (`os.system`,
 * `builtins.eval`, `torch.nn.*` classes, numpy) is refused with `PICKLE_FORBIDDEN_GLOBAL`.
 *
 * Returns the pickled object as plain JS: dicts/OrderedDicts → objects (keys as strings, in
 * order), lists/tuples → arrays, tensors → `TorchTensor`. The archive prefix (`archive/`,
 * `checkpoint/`, `000800/`...) is found from `*\/data.pkl`; the location tag of storages
 * (`cpu`, `cuda:0`) is kept as an opaque string.
 *
 * @example
 * ```ts
 * const ckpt = readTorchCheckpoint(await readFile('000800.pt')) as Record<string, unknown>;
 * const gEma = torchStateDict(ckpt, 'g_ema'); // Record<string, TorchTensor>
 * gEma['style.id.1.weight'].data;              // Float32Array
 * ```
 */
export function readTorchCheckpoint(bytes: Uint8Array, options: ReadTorchCheckpointOptions = {}): unknown {
  const source = options.source ?? 'checkpoint';
  if (!(bytes instanceof Uint8Array)) {
    throw new TensorIoError(
      'TORCH_NOT_A_CHECKPOINT',
      `${source}: readTorchCheckpoint expects a Uint8Array (e.g. the result of fs.readFile).`,
    );
  }
  const fn = 'readTorchCheckpoint';
  const limits = resolveLimits(options.limits, fn, 'INVALID_OPTION');
  const budget = new ExpansionBudget(bytes.length, limits, fn);
  let views = 0;
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) {
    // zip: fall through
  } else if (bytes.length >= 2 && bytes[0] === 0x80) {
    const legacy = LEGACY_MAGIC.every((b, i) => bytes[i] === b);
    throw new TensorIoError(
      'TORCH_LEGACY_FORMAT',
      `${source}: this is ${legacy ? 'a legacy (pre-1.6, non-zip) PyTorch checkpoint' : 'a bare pickle, not a zip checkpoint'}. ` +
        'Only the zip format is read. Re-save it with torch >= 1.6 in a trusted environment: torch.save(torch.load(path, map_location="cpu"), new_path).',
    );
  } else if (bytes.length > 262 && String.fromCharCode(...bytes.subarray(257, 262)) === 'ustar') {
    throw new TensorIoError(
      'TORCH_LEGACY_FORMAT',
      `${source}: this is a legacy tar-format PyTorch checkpoint (torch < 0.4). Re-save it with torch >= 1.6.`,
    );
  } else {
    throw new TensorIoError(
      'TORCH_NOT_A_CHECKPOINT',
      `${source}: not a PyTorch checkpoint (expected a zip archive starting with "PK\\x03\\x04"; a safetensors file is read with readSafetensors).`,
    );
  }
  const zip = new ZipArchive(bytes, { budget });
  const pkls = zip.names().filter((n) => n === 'data.pkl' || n.endsWith('/data.pkl'));
  if (pkls.length === 0) {
    throw new TensorIoError(
      'TORCH_NOT_A_CHECKPOINT',
      `${source}: the zip has no "<prefix>/data.pkl" record (records: ${zip.names().slice(0, 5).join(', ')}...). Not a torch.save checkpoint.`,
    );
  }
  pkls.sort((a, b) => a.split('/').length - b.split('/').length);
  const pklName = pkls[0];
  const prefix = pklName.slice(0, pklName.length - 'data.pkl'.length);
  if (zip.entries.has(`${prefix}byteorder`)) {
    const order = new TextDecoder().decode(zip.read(`${prefix}byteorder`)).trim();
    if (order !== 'little') {
      throw new TensorIoError(
        'TORCH_UNSUPPORTED_STORAGE',
        `${source}: storages are ${order}-endian; only little-endian checkpoints are read. Re-save it on a little-endian machine.`,
      );
    }
  }
  const verify = options.verifyCrc ?? true;
  const storages = new Map<string, Storage>();

  const persistentLoad = (pid: unknown): Storage => {
    if (!Array.isArray(pid) || pid[0] !== 'storage') {
      throw new TensorIoError(
        'PICKLE_CORRUPT',
        `${source}: unsupported persistent id ${describe(pid)}; only ("storage", type, key, location, numel) is read.`,
      );
    }
    const [, type, key, location, numel] = pid as unknown[];
    if (!(type instanceof StorageType)) {
      throw new TensorIoError(
        'TORCH_UNSUPPORTED_STORAGE',
        `${source}: persistent id names storage type ${describe(type)}, expected one of ${Object.keys(STORAGE_DTYPES).join(', ')}.`,
      );
    }
    if (typeof key !== 'string' || typeof location !== 'string' || !isInt(numel)) {
      throw new TensorIoError('PICKLE_CORRUPT', `${source}: malformed storage persistent id ${describe(pid)}.`);
    }
    const known = storages.get(key);
    if (known) {
      if (known.dtype !== type.dtype)
        throw new TensorIoError('PICKLE_CORRUPT', `${source}: storage ${key} is referenced as ${known.dtype} and as ${type.dtype}.`);
      return known;
    }
    const record = `${prefix}data/${key}`;
    if (!zip.entries.has(record)) {
      throw new TensorIoError(
        'TORCH_STORAGE_MISSING',
        `${source}: storage record "${record}" is missing from the archive; the file is incomplete. Re-download or re-save it.`,
      );
    }
    const entry = zip.entries.get(record)!;
    const needBytes = numel * DTYPE_BYTES[type.dtype];
    if (entry.size < needBytes) {
      throw new TensorIoError(
        'TORCH_STORAGE_MISSING',
        `${source}: storage "${record}" has ${entry.size} bytes but ${numel} ${type.name} elements need ${needBytes}.`,
      );
    }
    const s = new Storage(key, type.dtype, location, numel, () => zip.read(record, verify));
    storages.set(key, s);
    return s;
  };

  const rebuildTensor = (args: unknown[]): TorchTensor => {
    const [storage, offset, size, stride, requiresGrad] = args;
    if (
      args.length < 4 ||
      args.length > 7 ||
      !(storage instanceof Storage) ||
      !isInt(offset) ||
      !Array.isArray(size) ||
      !Array.isArray(stride) ||
      !size.every(isInt) ||
      !stride.every(isInt) ||
      size.length !== stride.length
    ) {
      throw new TensorIoError(
        'PICKLE_CORRUPT',
        `${source}: torch._utils._rebuild_tensor_v2 called with unexpected arguments ${describe(args)}.`,
      );
    }
    const shape = size as number[];
    const strides = stride as number[];
    if (++views > limits.maxTensors) {
      throw limitError(fn, 'maxTensors', views, limits.maxTensors, `${source}: tensor view number ${views}`);
    }
    let n = 1;
    for (const d of shape) {
      n *= d;
      if (n > limits.maxTensorElements) {
        // Stop multiplying at once: the product of a crafted shape need not even be a safe integer.
        const total = shape.reduce((a, b) => a * b, 1);
        throw limitError(
          fn,
          'maxTensorElements',
          total,
          limits.maxTensorElements,
          `${source}: a tensor of shape [${shape.length > 16 ? `${shape.slice(0, 16)},…` : shape}] has ${total} elements`,
        );
      }
    }
    let last = offset;
    for (let i = 0; i < shape.length; i++) last += (shape[i] - 1) * strides[i];
    if (n > 0 && last >= storage.numel) {
      throw new TensorIoError(
        'PICKLE_CORRUPT',
        `${source}: a tensor of shape [${shape}] (stride [${strides}], offset ${offset}) reaches element ${last} of storage data/${storage.key}, which has ${storage.numel}.`,
      );
    }
    return new TorchTensor(storage, offset, shape, strides, requiresGrad === true, budget);
  };

  const globals = new Map<string, PickleGlobal>();
  globals.set(
    'collections.OrderedDict',
    new PickleGlobal('collections', 'OrderedDict', (args) => {
      if (args.length !== 0)
        throw new TensorIoError('PICKLE_CORRUPT', `${source}: collections.OrderedDict called with arguments; only OrderedDict() is read.`);
      return {};
    }),
  );
  globals.set('torch._utils._rebuild_tensor_v2', new PickleGlobal('torch._utils', '_rebuild_tensor_v2', rebuildTensor));
  globals.set(
    'torch._utils._rebuild_parameter',
    new PickleGlobal('torch._utils', '_rebuild_parameter', (args) => {
      if (!(args[0] instanceof TorchTensor))
        throw new TensorIoError('PICKLE_CORRUPT', `${source}: torch._utils._rebuild_parameter expects a tensor.`);
      return args[0];
    }),
  );
  for (const name of Object.keys(STORAGE_DTYPES)) globals.set(`torch.${name}`, new PickleGlobal('torch', name));
  // The storage type globals are markers inside persistent ids, never called.
  const storageTypeOf = new Map<PickleGlobal, StorageType>();
  for (const [name, dtype] of Object.entries(STORAGE_DTYPES))
    storageTypeOf.set(globals.get(`torch.${name}`)!, new StorageType(name, dtype));

  return restrictedUnpickle(zip.read(pklName, true), {
    globals,
    limits,
    caller: fn,
    source: `${source} (${pklName})`,
    persistentLoad: (pid) => {
      const mapped = Array.isArray(pid) ? pid.map((x) => (x instanceof PickleGlobal ? (storageTypeOf.get(x) ?? x) : x)) : pid;
      return persistentLoad(mapped);
    },
  });
}

/** Bounded (≤ 200 characters), iterative and cycle-safe: the value may be a crafted "billion laughs". */
function describe(v: unknown): string {
  if (v instanceof StorageType) return `torch.${v.name}`;
  if (Array.isArray(v)) v = v.map((x) => (x instanceof StorageType ? { qualifiedName: `torch.${x.name}` } : x));
  return describeValue(v, 200);
}

/**
 * Picks a state_dict (an object whose values are all tensors) out of a checkpoint read by
 * `readTorchCheckpoint`, e.g. `g_ema` of a GAN-Control trainer checkpoint. Without `key` the
 * checkpoint itself must be a state_dict.
 *
 * @example
 * ```ts
 * const gEma = torchStateDict(readTorchCheckpoint(bytes), 'g_ema');
 * ```
 */
export function torchStateDict(checkpoint: unknown, key?: string, source = 'checkpoint'): Record<string, TorchTensor> {
  let value = checkpoint;
  if (key !== undefined) {
    if (typeof checkpoint !== 'object' || checkpoint === null || Array.isArray(checkpoint) || !Object.hasOwn(checkpoint, key)) {
      const keys = typeof checkpoint === 'object' && checkpoint !== null ? Object.keys(checkpoint) : [];
      throw new TensorIoError('TORCH_NOT_A_CHECKPOINT', `${source}: has no entry "${key}" (entries: ${keys.join(', ') || 'none'}).`);
    }
    value = (checkpoint as Record<string, unknown>)[key];
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TensorIoError(
      'TORCH_NOT_A_CHECKPOINT',
      `${source}: ${key ? `"${key}"` : 'the checkpoint'} is not a state_dict (a dict of tensors).`,
    );
  }
  for (const [name, t] of Object.entries(value)) {
    if (!(t instanceof TorchTensor)) {
      throw new TensorIoError(
        'TORCH_NOT_A_CHECKPOINT',
        `${source}: ${key ? `"${key}"` : 'the checkpoint'} entry "${name}" is not a tensor, so this is not a state_dict.`,
      );
    }
  }
  return value as Record<string, TorchTensor>;
}
