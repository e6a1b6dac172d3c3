/**
 * SimpleAggregateFunction(f, T) and AggregateFunction(f, T…) (docs/protocol.md §6.19).
 *
 * SimpleAggregateFunction(f, T): the bytes of T; reads and writes exactly as T.
 *
 * AggregateFunction(f, T…): per row the function's own state, concatenated with no length prefix, so a reader
 * must know each state's layout to find where a row ends. States are passed through as opaque bytes:
 *   Read: a Buffer per row holding that row's state bytes.
 *   Write: a Uint8Array per row, which must frame as exactly one state of the type (checked, never guessed).
 * The type name may start with a state version number (`AggregateFunction(1, sumMap, …)`), which is skipped.
 * Framing is known for these functions (layouts checked against ClickHouse 26.7 states):
 *   count                      VarUInt
 *   sum, sumWithOverflow       the sum type's fixed bytes (8 for ≤ 64-bit integers and floats, 16 for 128-bit
 *                              and Decimal32/64/128, 32 for 256-bit; sumWithOverflow keeps the argument's width)
 *   avg                        sum's bytes, then a VarUInt count
 *   min, max, any, anyLast     UInt8 has-value flag, then (if set) the value's fixed bytes (FixedString: N
 *                              bytes); for String an Int32 size (the trailing zero included, -1 for no
 *                              value) and the bytes, without a flag
 *   argMin, argMax             two such single values (the result, then the compared value)
 *   uniq                       UInt8 skip degree, VarUInt count, count × UInt32 hashes
 *   uniqExact                  VarUInt count, then count × the argument's fixed bytes (16-byte hashes for
 *                              String and multiple arguments)
 *   groupArray                 VarUInt count, then the elements (fixed bytes, or VarUInt-prefixed strings)
 * with fixed-width arguments (integers, floats, Bool, Decimal, Date/Date32/DateTime/DateTime64, UUID, IPv4/6,
 * Enum) and String. A Nullable argument adds a leading UInt8 flag before the nested state (the -Null wrapper),
 * except for count; the -If combinator (sumIf …, last argument the condition) has the plain function's layout.
 * Every other function (quantiles, uniqCombined, sumMap, topK, …) is refused with an UnsupportedError, since
 * the stream cannot be resynchronized after a wrong guess: read such columns finalized (`finalizeAggregation(c)`)
 * or as `-Merge` results.
 */
import { InvalidValueError, ProtocolError, UnsupportedError } from '../errors.js';
import type { ByteReader } from '../protocol/reader.js';
import type { ByteWriter } from '../protocol/writer.js';
import { BaseCodec, ZERO, type ColumnCodec, type ColumnValues } from './codec.js';
import { badType, type CodecFactory } from './factory.js';
import type { TypeNode } from './type-parser.js';
import { describe } from './values.js';

/**
 * Finds the end of one state starting at `pos` in `buf` (bytes up to `end` are available). Returns the end
 * position, or -1 when the state runs past `end`. Throws ProtocolError for bytes that cannot be a state.
 */
type Framer = (buf: Uint8Array, pos: number, end: number) => number;

/** The end of a VarUInt at pos and its value, or -1 when incomplete. */
function varUInt(buf: Uint8Array, pos: number, end: number, out: { value: number }): number {
  let value = 0;
  let scale = 1;
  for (let k = 0; k < 10; k++) {
    if (pos >= end) return -1;
    const byte = buf[pos++]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      out.value = value;
      return pos;
    }
    scale *= 0x80;
  }
  throw new ProtocolError('Malformed VarUInt in an aggregate function state: more than 10 bytes');
}

const counter = { value: 0 };
/** The most elements or bytes one state may claim (a lying count must not make us wait for terabytes). */
const MAX_STATE_COUNT = 1 << 30;

function readCount(buf: Uint8Array, pos: number, end: number): number {
  const next = varUInt(buf, pos, end, counter);
  if (next >= 0 && counter.value > MAX_STATE_COUNT) {
    throw new ProtocolError(
      `An aggregate function state claims ${counter.value} elements; the cap is ${MAX_STATE_COUNT}`,
    );
  }
  return next;
}

const fixed =
  (size: number): Framer =>
  (_buf, pos, end) =>
    pos + size <= end ? pos + size : -1;

const varUIntFramer: Framer = (buf, pos, end) => readCount(buf, pos, end);

function sequence(...parts: Framer[]): Framer {
  return (buf, pos, end) => {
    for (const part of parts) {
      pos = part(buf, pos, end);
      if (pos < 0) return -1;
    }
    return pos;
  };
}

/** UInt8 flag, then `inner` when the flag is set. */
function optional(inner: Framer): Framer {
  return (buf, pos, end) => {
    if (pos >= end) return -1;
    return buf[pos] === 0 ? pos + 1 : inner(buf, pos + 1, end);
  };
}

/** VarUInt count, then count × `element`. */
function repeated(element: Framer, elementSize?: number): Framer {
  return (buf, pos, end) => {
    pos = readCount(buf, pos, end);
    if (pos < 0) return -1;
    const n = counter.value;
    if (elementSize !== undefined) return pos + n * elementSize <= end ? pos + n * elementSize : -1;
    for (let i = 0; i < n; i++) {
      pos = element(buf, pos, end);
      if (pos < 0) return -1;
    }
    return pos;
  };
}

/** SingleValueDataString: Int32 size (the trailing zero included; -1 or 0 when there is no value), the bytes. */
const sizedString: Framer = (buf, pos, end) => {
  if (pos + 4 > end) return -1;
  const size = buf[pos]! | (buf[pos + 1]! << 8) | (buf[pos + 2]! << 16) | (buf[pos + 3]! << 24);
  if (size <= 0) return pos + 4;
  if (size > MAX_STATE_COUNT) throw new ProtocolError(`An aggregate function state claims a ${size}-byte string`);
  return pos + 4 + size <= end ? pos + 4 + size : -1;
};

const varString: Framer = (buf, pos, end) => {
  pos = readCount(buf, pos, end);
  if (pos < 0) return -1;
  return pos + counter.value <= end ? pos + counter.value : -1;
};

const FIXED_SIZES: Record<string, number> = {
  UInt8: 1,
  Int8: 1,
  Bool: 1,
  Enum8: 1,
  UInt16: 2,
  Int16: 2,
  Date: 2,
  Enum16: 2,
  BFloat16: 2,
  UInt32: 4,
  Int32: 4,
  Float32: 4,
  Date32: 4,
  DateTime: 4,
  IPv4: 4,
  Time: 4,
  UInt64: 8,
  Int64: 8,
  Float64: 8,
  DateTime64: 8,
  Time64: 8,
  UInt128: 16,
  Int128: 16,
  UUID: 16,
  IPv6: 16,
  UInt256: 32,
  Int256: 32,
  Decimal32: 4,
  Decimal64: 8,
  Decimal128: 16,
  Decimal256: 32,
};

/** The fixed byte width of a type, or undefined for a variable-size one. */
function fixedSize(node: TypeNode): number | undefined {
  if (node.name === 'Decimal') {
    const precision = node.args[0]?.kind === 'number' ? node.args[0].value : 0;
    return precision <= 9 ? 4 : precision <= 18 ? 8 : precision <= 38 ? 16 : 32;
  }
  if (node.name === 'FixedString') return undefined;
  return FIXED_SIZES[node.name];
}

/** The width of sum's accumulator for an argument type. */
function sumSize(node: TypeNode): number | undefined {
  const size = fixedSize(node);
  if (size === undefined) return undefined;
  if (/^(U?Int(8|16|32|64)|Float(32|64)|BFloat16|Bool)$/.test(node.name)) return 8;
  if (/^U?Int(128|256)$/.test(node.name)) return size;
  if (node.name.startsWith('Decimal')) return size <= 16 ? 16 : 32;
  return undefined;
}

/** SingleValueData for one argument type. */
function singleValue(node: TypeNode): Framer | undefined {
  if (node.name === 'String') return sizedString;
  if (node.name === 'FixedString') {
    const size = node.args[0]?.kind === 'number' ? node.args[0].value : 0;
    return size > 0 ? optional(fixed(size)) : undefined;
  }
  const size = fixedSize(node);
  return size === undefined ? undefined : optional(fixed(size));
}

function framerFor(name: string, args: TypeNode[]): Framer | undefined {
  if (name.endsWith('If') && name !== 'If' && args.length > 0) return framerFor(name.slice(0, -2), args.slice(0, -1));
  if (name === 'count') return varUIntFramer;
  const nullable = args.some((a) => a.name === 'Nullable');
  const plainArgs = args.map((a) => (a.name === 'Nullable' && a.args[0]?.kind === 'type' ? a.args[0].type : a));
  const inner = plainFramer(name, plainArgs);
  return inner && nullable ? sequence(fixed(1), inner) : inner;
}

function plainFramer(name: string, args: TypeNode[]): Framer | undefined {
  const [first, second] = args;
  switch (name) {
    case 'sum': {
      const size = args.length === 1 ? sumSize(first!) : undefined;
      return size === undefined ? undefined : fixed(size);
    }
    case 'sumWithOverflow': {
      const size = args.length === 1 && sumSize(first!) !== undefined ? fixedSize(first!) : undefined;
      return size === undefined ? undefined : fixed(size);
    }
    case 'avg': {
      const size = args.length === 1 ? sumSize(first!) : undefined;
      return size === undefined ? undefined : sequence(fixed(size), varUIntFramer);
    }
    case 'min':
    case 'max':
    case 'any':
    case 'anyLast':
      return args.length === 1 ? singleValue(first!) : undefined;
    case 'argMin':
    case 'argMax': {
      const a = first && singleValue(first);
      const b = second && singleValue(second);
      return args.length === 2 && a && b ? sequence(a, b) : undefined;
    }
    case 'uniq':
      return args.length > 0 ? sequence(fixed(1), repeated(fixed(4), 4)) : undefined;
    case 'uniqExact': {
      const size = args.length === 1 && first!.name !== 'String' ? fixedSize(first!) : 16;
      return size === undefined ? undefined : repeated(fixed(size), size);
    }
    case 'groupArray': {
      if (args.length !== 1) return undefined;
      if (first!.name === 'String') return repeated(varString);
      const size = fixedSize(first!);
      return size === undefined ? undefined : repeated(fixed(size), size);
    }
    default:
      return undefined;
  }
}

export class AggregateFunctionCodec extends BaseCodec implements ColumnCodec {
  constructor(
    readonly type: string,
    private readonly frame: Framer,
  ) {
    super();
  }

  async read(reader: ByteReader, rows: number): Promise<Buffer[]> {
    const out: Buffer[] = [];
    const cap = reader.limits.maxStringBytes;
    while (out.length < rows) {
      const window = reader.window();
      let pos = 0;
      while (out.length < rows) {
        const end = this.frame(window, pos, window.length);
        if (end < 0) break;
        out.push(window.subarray(pos, end));
        pos = end;
      }
      reader.advance(pos);
      if (out.length === rows) break;
      // The next state is not whole in the window: join the queued chunks to it, or wait for more bytes.
      if (window.length - pos > cap) throw new ProtocolError(`${this.type}: a state of more than ${cap} bytes`);
      await reader.widen();
    }
    return out;
  }

  write(writer: ByteWriter, values: ColumnValues, rows: number): void {
    for (let i = 0; i < rows; i++) {
      const v = values[i];
      if (!(v instanceof Uint8Array) || v === (ZERO as unknown)) {
        throw new InvalidValueError(`expected the state bytes (a Uint8Array) of ${this.type}, got ${describe(v)}`, {
          row: i,
        });
      }
      let end: number;
      try {
        end = this.frame(v, 0, v.length);
      } catch {
        end = -1;
      }
      if (end !== v.length) {
        throw new InvalidValueError(`the ${v.length} bytes are not exactly one state of ${this.type}`, { row: i });
      }
      writer.bytes(v);
    }
  }
}

export const aggregateFunctionFamily: CodecFactory = (node, type) => {
  const args = node.args[0]?.kind === 'number' ? node.args.slice(1) : node.args;
  const fn = args[0];
  if (!fn || fn.kind !== 'type') throw badType(type, 'AggregateFunction takes a function and its argument types');
  const argTypes: TypeNode[] = [];
  for (const arg of args.slice(1)) {
    if (arg.kind !== 'type') throw badType(type, 'AggregateFunction arguments must be types');
    argTypes.push(arg.type);
  }
  const framer = fn.type.args.length === 0 ? framerFor(fn.type.name, argTypes) : undefined;
  if (!framer) {
    throw new UnsupportedError(
      `Unsupported type ${type}: the state layout of ${fn.type.name} is not known, so its rows cannot be framed; ` +
        'select finalizeAggregation(column) or the -Merge result instead',
    );
  }
  return new AggregateFunctionCodec(type, framer);
};

export const simpleAggregateFunctionFamily: CodecFactory = (node, type, resolve) => {
  const [fn, arg] = node.args;
  if (node.args.length !== 2 || fn?.kind !== 'type' || arg?.kind !== 'type') {
    throw badType(type, 'SimpleAggregateFunction takes a function and one type: SimpleAggregateFunction(sum, UInt64)');
  }
  // The same codec under the aggregate's own type name.
  return Object.create(resolve(arg.type), { type: { value: type } }) as ColumnCodec;
};
