// A restricted unpickler: a pickle virtual machine (Python's Lib/pickle.py, protocols 2-5 binary
// opcodes) that never imports or calls anything. GLOBAL/STACK_GLOBAL resolve only names on an
// explicit allow-list, each backed by a pure TypeScript implementation; anything else is refused at
// the opcode that names it, before any later opcode is looked at.
import { TensorIoError } from './errors.js';
import { limitError, resolveLimits, type TensorIoLimits } from './limits.js';

/** A reference to an allowed global (what GLOBAL pushes). */
export class PickleGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
    /** Implementation called by REDUCE; absent for globals that may not be called (e.g. storage types). */
    readonly call?: (args: unknown[]) => unknown,
  ) {}
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** Options of `restrictedUnpickle`. */
export interface UnpickleOptions {
  /** Allowed globals by `module.name`. */
  readonly globals: ReadonlyMap<string, PickleGlobal>;
  /** Resolves a persistent id (BINPERSID); absent → persistent ids are refused. */
  readonly persistentLoad?: (pid: unknown) => unknown;
  /** Names the source in error messages. */
  readonly source?: string;
  /** `maxPickleDepth`, `maxMemoEntries`, `maxIntBytes` and `maxKeyLength` apply (see `TensorIoLimits`). */
  readonly limits?: TensorIoLimits;
  /** @internal The function named in limit errors (readTorchCheckpoint passes its own name). */
  readonly caller?: string;
}

/** Attribute state set by BUILD on a dict (e.g. a state_dict's `_metadata`); not enumerable. */
export const PICKLE_STATE = Symbol.for('gan-control.tensor-io.pickle-state');

const MARK = Symbol('mark');

const OPCODE_NAMES: Record<number, string> = {
  0x28: 'MARK',
  0x2e: 'STOP',
  0x30: 'POP',
  0x31: 'POP_MARK',
  0x32: 'DUP',
  0x46: 'FLOAT',
  0x49: 'INT',
  0x4a: 'BININT',
  0x4b: 'BININT1',
  0x4c: 'LONG',
  0x4d: 'BININT2',
  0x4e: 'NONE',
  0x50: 'PERSID',
  0x51: 'BINPERSID',
  0x52: 'REDUCE',
  0x53: 'STRING',
  0x54: 'BINSTRING',
  0x55: 'SHORT_BINSTRING',
  0x56: 'UNICODE',
  0x58: 'BINUNICODE',
  0x61: 'APPEND',
  0x62: 'BUILD',
  0x63: 'GLOBAL',
  0x64: 'DICT',
  0x7d: 'EMPTY_DICT',
  0x65: 'APPENDS',
  0x67: 'GET',
  0x68: 'BINGET',
  0x69: 'INST',
  0x6a: 'LONG_BINGET',
  0x6c: 'LIST',
  0x5d: 'EMPTY_LIST',
  0x6f: 'OBJ',
  0x70: 'PUT',
  0x71: 'BINPUT',
  0x72: 'LONG_BINPUT',
  0x73: 'SETITEM',
  0x74: 'TUPLE',
  0x29: 'EMPTY_TUPLE',
  0x75: 'SETITEMS',
  0x47: 'BINFLOAT',
  0x80: 'PROTO',
  0x81: 'NEWOBJ',
  0x82: 'EXT1',
  0x83: 'EXT2',
  0x84: 'EXT4',
  0x85: 'TUPLE1',
  0x86: 'TUPLE2',
  0x87: 'TUPLE3',
  0x88: 'NEWTRUE',
  0x89: 'NEWFALSE',
  0x8a: 'LONG1',
  0x8b: 'LONG4',
  0x42: 'BINBYTES',
  0x43: 'SHORT_BINBYTES',
  0x8c: 'SHORT_BINUNICODE',
  0x8d: 'BINUNICODE8',
  0x8e: 'BINBYTES8',
  0x8f: 'EMPTY_SET',
  0x90: 'ADDITEMS',
  0x91: 'FROZENSET',
  0x92: 'NEWOBJ_EX',
  0x93: 'STACK_GLOBAL',
  0x94: 'MEMOIZE',
  0x95: 'FRAME',
  0x96: 'BYTEARRAY8',
  0x97: 'NEXT_BUFFER',
  0x98: 'READONLY_BUFFER',
};

function isDict(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

function isContainer(v: unknown): v is object {
  return Array.isArray(v) || isDict(v);
}

/** Python's kind of a dict key: keys of different kinds are different keys even when they print alike. */
type KeyKind = 'str' | 'num' | 'bool' | 'none' | 'tuple';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * Runs a pickle under the restrictions above and returns the unpickled value: `None` → null,
 * bool/int/float/str as JS values (ints beyond ±2^53 as bigint), bytes → Uint8Array,
 * tuples and lists → arrays, dicts → plain objects (keys as strings, insertion order).
 *
 * @example
 * ```ts
 * const value = restrictedUnpickle(pkl, { globals: new Map() }); // plain data only
 * ```
 */
export function restrictedUnpickle(bytes: Uint8Array, options: UnpickleOptions): unknown {
  const source = options.source ?? 'pickle';
  const caller = options.caller ?? 'restrictedUnpickle';
  const limits = resolveLimits(options.limits, caller, 'INVALID_OPTION');
  if (!(bytes instanceof Uint8Array)) throw new TensorIoError('PICKLE_CORRUPT', `${source}: restrictedUnpickle expects a Uint8Array.`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  let pos = 0;
  let op = 0;
  let opAt = 0;

  const corrupt = (msg: string) =>
    new TensorIoError(
      'PICKLE_CORRUPT',
      `${source}: malformed pickle at byte ${opAt} (${OPCODE_NAMES[op] ?? `0x${op.toString(16)}`}): ${msg}`,
    );
  const need = (n: number) => {
    if (pos + n > bytes.length) throw corrupt(`needs ${n} more bytes but the pickle ends at ${bytes.length}.`);
  };
  const u8 = () => {
    need(1);
    return bytes[pos++];
  };
  const u16 = () => {
    need(2);
    const v = view.getUint16(pos, true);
    pos += 2;
    return v;
  };
  const u32 = () => {
    need(4);
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const i32 = () => {
    need(4);
    const v = view.getInt32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = () => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(bytes.length)) throw corrupt(`length ${v} exceeds the pickle size.`);
    return Number(v);
  };
  const take = (n: number) => {
    need(n);
    const b = bytes.subarray(pos, pos + n);
    pos += n;
    return b;
  };
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const str = (n: number) => {
    try {
      return utf8.decode(take(n));
    } catch {
      throw corrupt('invalid UTF-8 string.');
    }
  };
  const latin1 = (b: Uint8Array) => Array.from(b, (c) => String.fromCharCode(c)).join('');
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) throw corrupt('unterminated line.');
    const s = latin1(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const pop = () => {
    if (stack.length === 0 || (marks.length && stack.length <= marks[marks.length - 1])) throw corrupt('stack underflow.');
    return stack.pop();
  };
  const top = () => {
    if (stack.length === 0) throw corrupt('stack underflow.');
    return stack[stack.length - 1];
  };
  const popMark = () => {
    const m = marks.pop();
    if (m === undefined) throw corrupt('no MARK on the stack.');
    const items = stack.splice(m);
    if (stack[stack.length - 1] !== MARK) throw corrupt('MARK bookkeeping broken.');
    stack.pop();
    return items;
  };
  const memoGet = (i: number) => {
    if (!memo.has(i)) throw corrupt(`memo entry ${i} does not exist.`);
    return memo.get(i);
  };
  const memoPut = (i: number, v: unknown) => {
    if (memo.size >= limits.maxMemoEntries && !memo.has(i)) {
      throw limitError(
        caller,
        'maxMemoEntries',
        memo.size + 1,
        limits.maxMemoEntries,
        `${source}: memo entry number ${memo.size + 1} at byte ${opAt}`,
      );
    }
    memo.set(i, v);
  };
  const resolveGlobal = (module: string, name: string) => {
    const g = options.globals.get(`${module}.${name}`);
    if (!g) {
      const allowed = [...options.globals.keys()].join(', ');
      throw new TensorIoError(
        'PICKLE_FORBIDDEN_GLOBAL',
        `${source}: refusing the pickle global "${clip(`${module}.${name}`)}" (byte ${opAt}): only ${allowed} are allowed. ` +
          'Nothing was executed. A checkpoint that needs other globals is not a plain state_dict checkpoint and could run code when loaded with torch.load; ' +
          're-save only the state_dicts (torch.save({"g_ema": G.state_dict(), ...})) from a trusted environment.',
      );
    }
    return g;
  };
  // Two's complement little-endian → number (bigint beyond ±2^53). Built from one hex string, which
  // is linear in the length; shifting a BigInt byte by byte would be quadratic.
  const signedLE = (b: Uint8Array): number | bigint => {
    if (b.length === 0) return 0;
    if (b.length > limits.maxIntBytes)
      throw limitError(
        caller,
        'maxIntBytes',
        b.length,
        limits.maxIntBytes,
        `${source}: a ${b.length}-byte pickled integer at byte ${opAt}`,
      );
    const parts = new Array<string>(b.length);
    for (let i = 0; i < b.length; i++) parts[i] = HEX[b[b.length - 1 - i]];
    let v = BigInt(`0x${parts.join('')}`);
    if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  // Containers are built bottom-up (Python's pickler finishes a list, dict or tuple before it puts
  // it into another), so a container is sealed once it is inside another: its depth is then final
  // and the depth of every container is exact, computed in O(1) per insertion. A pickle that changes
  // a container after nesting it, or puts a container into itself, builds cycles; those are refused.
  const depths = new WeakMap<object, number>();
  const sealed = new WeakSet<object>();
  const depthOf = (v: unknown): number => (isContainer(v) ? (depths.get(v) ?? 1) : 0);
  const setDepth = (c: object, d: number) => {
    if (d > limits.maxPickleDepth)
      throw limitError(caller, 'maxPickleDepth', d, limits.maxPickleDepth, `${source}: containers nested ${d} deep at byte ${opAt}`);
    depths.set(c, d);
  };
  const made = <T extends object>(c: T, items: readonly unknown[] = []): T => {
    let d = 0;
    for (const item of items) {
      if (item === c) throw corrupt('a container that contains itself is not read.');
      if (isContainer(item)) {
        sealed.add(item);
        d = Math.max(d, depthOf(item));
      }
    }
    setDepth(c, d + 1);
    return c;
  };
  const insert = (parent: object, child: unknown) => {
    if (child === parent) throw corrupt('a container that contains itself is not read.');
    if (sealed.has(parent)) throw corrupt('a list or dict is changed after it was put into another container (a cycle); not read.');
    if (isContainer(child)) {
      sealed.add(child);
      const d = depthOf(child) + 1;
      if (d > depthOf(parent)) setDepth(parent, d);
    }
  };
  const keyKinds = new WeakMap<object, Map<string, KeyKind>>();
  // A tuple key written as JSON (the reader's format for tuple keys), iteratively and within maxKeyLength.
  const tupleKey = (key: readonly unknown[]): string => {
    let out = '';
    const work: unknown[] = [key];
    const CLOSE = Symbol('close');
    const COMMA = Symbol('comma');
    while (work.length > 0) {
      const v = work.pop();
      if (v === CLOSE) out += ']';
      else if (v === COMMA) out += ',';
      else if (typeof v === 'string') out += JSON.stringify(v);
      else if (typeof v === 'number') out += JSON.stringify(v);
      else if (typeof v === 'bigint') out += `"${v}"`;
      else if (typeof v === 'boolean' || v === null) out += String(v);
      else if (Array.isArray(v) && Object.isFrozen(v)) {
        out += '[';
        work.push(CLOSE);
        for (let i = v.length - 1; i >= 0; i--) {
          work.push(v[i]);
          if (i > 0) work.push(COMMA);
        }
      } else {
        throw new TensorIoError(
          'PICKLE_UNSUPPORTED_KEY',
          `${source}: a dict key at byte ${opAt} holds ${v instanceof Uint8Array ? 'bytes' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : typeof v}; only str, int, float, bool, None and tuples of them are read as keys.`,
        );
      }
      if (out.length > limits.maxKeyLength) {
        throw limitError(
          caller,
          'maxKeyLength',
          out.length,
          limits.maxKeyLength,
          `${source}: a tuple dict key at byte ${opAt} is longer than ${limits.maxKeyLength} characters written out`,
        );
      }
    }
    return out;
  };
  /** Sets a key without ever touching the prototype chain (a key "__proto__" stays a plain key). */
  const setKey = (obj: Record<string, unknown>, key: unknown, value: unknown): void => {
    let k: string;
    let kind: KeyKind;
    if (typeof key === 'string') [k, kind] = [key, 'str'];
    else if (typeof key === 'number' || typeof key === 'bigint') [k, kind] = [String(key), 'num'];
    else if (key === null) [k, kind] = ['None', 'none'];
    else if (typeof key === 'boolean') [k, kind] = [key ? 'True' : 'False', 'bool'];
    else if (Array.isArray(key) && Object.isFrozen(key)) [k, kind] = [tupleKey(key), 'tuple'];
    else {
      throw new TensorIoError(
        'PICKLE_UNSUPPORTED_KEY',
        `${source}: a dict key at byte ${opAt} is ${key instanceof Uint8Array ? 'bytes' : Array.isArray(key) ? 'a list' : 'an object'}; only str, int, float, bool, None and tuples of them are read as keys.`,
      );
    }
    // Keys become strings; two keys Python tells apart (1 and "1", None and "None") must not
    // silently become one entry, so a key whose string is taken by a key of another kind is refused.
    let kinds = keyKinds.get(obj);
    if (Object.hasOwn(obj, k)) {
      const before = kinds?.get(k) ?? 'str';
      if (before !== kind) {
        throw new TensorIoError(
          'PICKLE_UNSUPPORTED_KEY',
          `${source}: dict keys ${describeKey(k, before)} and ${describeKey(k, kind)} (byte ${opAt}) would both become the key "${k.length > 100 ? `${k.slice(0, 100)}…` : k}"; a dict that mixes them is not read.`,
        );
      }
    }
    if (kind !== 'str') {
      if (!kinds) keyKinds.set(obj, (kinds = new Map()));
      kinds.set(k, kind);
    }
    if (isContainer(key)) sealed.add(key);
    insert(obj, value);
    Object.defineProperty(obj, k, { value, enumerable: true, writable: true, configurable: true });
  };

  for (;;) {
    opAt = pos;
    if (pos >= bytes.length) throw corrupt('the pickle ends without STOP.');
    op = bytes[pos++];
    switch (op) {
      case 0x80: {
        // PROTO
        const p = u8();
        if (p < 2 || p > 5) throw corrupt(`unsupported protocol ${p} (2 to 5 are read).`);
        break;
      }
      case 0x95:
        u64();
        break; // FRAME: framing is transparent here
      case 0x2e: {
        // STOP
        const v = pop();
        return v;
      }
      case 0x28:
        marks.push(stack.length + 1);
        stack.push(MARK);
        break;
      case 0x30:
        pop();
        break;
      case 0x31:
        popMark();
        break;
      case 0x32:
        stack.push(top());
        break;
      case 0x4e:
        stack.push(null);
        break;
      case 0x88:
        stack.push(true);
        break;
      case 0x89:
        stack.push(false);
        break;
      case 0x4a:
        stack.push(i32());
        break;
      case 0x4b:
        stack.push(u8());
        break;
      case 0x4d:
        stack.push(u16());
        break;
      case 0x8a:
        stack.push(signedLE(take(u8())));
        break;
      case 0x8b: {
        const n = i32();
        if (n < 0) throw corrupt('negative LONG4 length.');
        if (n > limits.maxIntBytes)
          throw limitError(caller, 'maxIntBytes', n, limits.maxIntBytes, `${source}: a ${n}-byte pickled integer (LONG4) at byte ${opAt}`);
        stack.push(signedLE(take(n)));
        break;
      }
      case 0x47: {
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      } // big-endian
      case 0x58:
        stack.push(str(u32()));
        break;
      case 0x8c:
        stack.push(str(u8()));
        break;
      case 0x8d:
        stack.push(str(u64()));
        break;
      case 0x55:
        stack.push(latin1(take(u8())));
        break;
      case 0x54: {
        const n = i32();
        if (n < 0) throw corrupt('negative BINSTRING length.');
        stack.push(latin1(take(n)));
        break;
      }
      case 0x43:
        stack.push(take(u8()).slice());
        break;
      case 0x42:
        stack.push(take(u32()).slice());
        break;
      case 0x8e:
        stack.push(take(u64()).slice());
        break;
      case 0x7d:
        stack.push(made({}));
        break;
      case 0x5d:
        stack.push(made([]));
        break;
      case 0x29:
        stack.push(made(Object.freeze([])));
        break;
      case 0x74: {
        const items = popMark();
        stack.push(Object.freeze(made(items, items)));
        break;
      }
      case 0x85: {
        const a = [pop()];
        stack.push(Object.freeze(made(a, a)));
        break;
      }
      case 0x86: {
        const b = pop();
        const a = pop();
        const t = [a, b];
        stack.push(Object.freeze(made(t, t)));
        break;
      }
      case 0x87: {
        const c = pop();
        const b = pop();
        const a = pop();
        const t = [a, b, c];
        stack.push(Object.freeze(made(t, t)));
        break;
      }
      case 0x6c: {
        const items = popMark();
        stack.push(made(items, items));
        break;
      }
      case 0x64: {
        const items = popMark();
        if (items.length % 2) throw corrupt('DICT with an odd number of items.');
        const d: Record<string, unknown> = made({});
        for (let i = 0; i < items.length; i += 2) setKey(d, items[i], items[i + 1]);
        stack.push(d);
        break;
      }
      case 0x61: {
        const v = pop();
        const list = top();
        if (!Array.isArray(list) || Object.isFrozen(list)) throw corrupt('APPEND target is not a list.');
        insert(list, v);
        list.push(v);
        break;
      }
      case 0x65: {
        const items = popMark();
        const list = top();
        if (!Array.isArray(list) || Object.isFrozen(list)) throw corrupt('APPENDS target is not a list.');
        // One by one: push(...items) passes every item as an argument and overflows the stack for ~10^5 items.
        for (const item of items) {
          insert(list, item);
          list.push(item);
        }
        break;
      }
      case 0x73: {
        const v = pop();
        const k = pop();
        const d = top();
        if (!isDict(d)) throw corrupt('SETITEM target is not a dict.');
        setKey(d, k, v);
        break;
      }
      case 0x75: {
        const items = popMark();
        const d = top();
        if (!isDict(d)) throw corrupt('SETITEMS target is not a dict.');
        if (items.length % 2) throw corrupt('SETITEMS with an odd number of items.');
        for (let i = 0; i < items.length; i += 2) setKey(d, items[i], items[i + 1]);
        break;
      }
      case 0x68:
        stack.push(memoGet(u8()));
        break;
      case 0x6a:
        stack.push(memoGet(u32()));
        break;
      case 0x71:
        memoPut(u8(), top());
        break;
      case 0x72:
        memoPut(u32(), top());
        break;
      case 0x94:
        memoPut(memo.size, top());
        break;
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line();
        const name = line();
        stack.push(resolveGlobal(module, name));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') throw corrupt('STACK_GLOBAL needs two strings.');
        stack.push(resolveGlobal(module, name));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const fn = pop();
        if (!(fn instanceof PickleGlobal)) throw corrupt('REDUCE on something that is not an allowed global.');
        if (!Array.isArray(args)) throw corrupt(`REDUCE of ${fn.qualifiedName} without an argument tuple.`);
        if (!fn.call) throw corrupt(`${fn.qualifiedName} may not be called.`);
        const result = fn.call([...args]);
        stack.push(isContainer(result) ? made(result) : result);
        break;
      }
      case 0x62: {
        // BUILD: only plain attribute state on dicts (OrderedDict._metadata)
        const state = pop();
        const inst = top();
        if (!isDict(inst) || !isDict(state)) {
          throw corrupt("BUILD is only accepted for attribute state on a dict (a state_dict's _metadata).");
        }
        insert(inst, state);
        Object.defineProperty(inst, PICKLE_STATE, { value: state, enumerable: false, configurable: true });
        break;
      }
      case 0x51: {
        // BINPERSID
        const pid = pop();
        if (!options.persistentLoad) throw corrupt('persistent ids are not allowed here.');
        stack.push(options.persistentLoad(pid));
        break;
      }
      default:
        throw new TensorIoError(
          'PICKLE_UNSUPPORTED_OPCODE',
          `${source}: pickle opcode ${OPCODE_NAMES[op] ?? 'unknown'} (0x${op.toString(16).padStart(2, '0')}) at byte ${opAt} is not supported by the restricted reader ` +
            '(only the binary opcodes of plain-data state_dict checkpoints are). Nothing was executed; re-save the checkpoint with torch.save(state_dict) using torch >= 1.6.',
        );
    }
  }
}

function clip(s: string, n = 200): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

function describeKey(k: string, kind: KeyKind): string {
  const shown = clip(k, 100);
  return kind === 'str' ? JSON.stringify(shown) : kind === 'tuple' ? `the tuple ${shown}` : kind === 'none' ? 'None' : shown;
}
