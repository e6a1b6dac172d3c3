/**
 * The binary encoding of data types (ClickHouse docs, "Data types binary encoding"): one code byte per type, then
 * its parameters (a time zone, a precision, enum entries, nested types). Dynamic's shared variant and JSON's shared
 * data store each value's type this way. Checked against chdb (ClickHouse 26.7).
 */
import { ProtocolError, UnsupportedError } from '../errors.js';
import type { ByteReader } from '../protocol/reader.js';
import type { ByteWriter } from '../protocol/writer.js';
import { formatType, type TypeNode } from './type-parser.js';

const SIMPLE_CODES: Record<string, number> = {
  Nothing: 0x00,
  UInt8: 0x01,
  UInt16: 0x02,
  UInt32: 0x03,
  UInt64: 0x04,
  UInt128: 0x05,
  UInt256: 0x06,
  Int8: 0x07,
  Int16: 0x08,
  Int32: 0x09,
  Int64: 0x0a,
  Int128: 0x0b,
  Int256: 0x0c,
  Float32: 0x0d,
  Float64: 0x0e,
  Date: 0x0f,
  Date32: 0x10,
  String: 0x15,
  UUID: 0x1d,
  IPv4: 0x28,
  IPv6: 0x29,
  Bool: 0x2d,
  BFloat16: 0x31,
  Time: 0x32,
};
const SIMPLE_NAMES = new Map(Object.entries(SIMPLE_CODES).map(([name, code]) => [code, name]));
const INTERVALS = [
  'Nanosecond',
  'Microsecond',
  'Millisecond',
  'Second',
  'Minute',
  'Hour',
  'Day',
  'Week',
  'Month',
  'Quarter',
  'Year',
];
const CUSTOM_NAMES = new Set(['Point', 'Ring', 'LineString', 'MultiLineString', 'Polygon', 'MultiPolygon']);

/** The type arguments of a node (a node with other arguments has no binary encoding). */
export function typeArgs(node: TypeNode): TypeNode[] {
  return node.args.map((a) => {
    if (a.kind !== 'type') throw new UnsupportedError(`binary type encoding of ${formatType(node)}`);
    return a.type;
  });
}

function numberArg(node: TypeNode, i: number): number {
  const a = node.args[i];
  if (a?.kind !== 'number') throw new UnsupportedError(`binary type encoding of ${formatType(node)}`);
  return a.value;
}

function stringArg(node: TypeNode, i: number): string | undefined {
  const a = node.args[i];
  return a?.kind === 'string' ? a.value : undefined;
}

function decimalPrecision(node: TypeNode): [number, number] {
  switch (node.name) {
    case 'Decimal32':
      return [9, numberArg(node, 0)];
    case 'Decimal64':
      return [18, numberArg(node, 0)];
    case 'Decimal128':
      return [38, numberArg(node, 0)];
    case 'Decimal256':
      return [76, numberArg(node, 0)];
    default:
      return [numberArg(node, 0), node.args.length > 1 ? numberArg(node, 1) : 0];
  }
}

/** Writes a type in the binary type encoding (the types Dynamic values take; others throw UnsupportedError). */
export function writeBinaryType(w: ByteWriter, node: TypeNode): void {
  const simple = SIMPLE_CODES[node.name];
  if (simple !== undefined && node.args.length === 0) {
    w.u8(simple);
    return;
  }
  switch (node.name) {
    case 'DateTime': {
      const tz = stringArg(node, 0);
      if (tz === undefined) w.u8(0x11);
      else {
        w.u8(0x12);
        w.string(tz);
      }
      return;
    }
    case 'DateTime64': {
      const tz = stringArg(node, 1);
      w.u8(tz === undefined ? 0x13 : 0x14);
      w.u8(numberArg(node, 0));
      if (tz !== undefined) w.string(tz);
      return;
    }
    case 'Time64':
      w.u8(0x34);
      w.u8(numberArg(node, 0));
      return;
    case 'FixedString':
      w.u8(0x16);
      w.varUInt(numberArg(node, 0));
      return;
    case 'Enum8':
    case 'Enum16': {
      w.u8(node.name === 'Enum8' ? 0x17 : 0x18);
      w.varUInt(node.args.length);
      for (const a of node.args) {
        if (a.kind !== 'enum') throw new UnsupportedError(`binary type encoding of ${formatType(node)}`);
        w.string(a.name);
        if (node.name === 'Enum8') w.i8(a.value);
        else w.i16(a.value);
      }
      return;
    }
    case 'Decimal':
    case 'Decimal32':
    case 'Decimal64':
    case 'Decimal128':
    case 'Decimal256': {
      const [p, s] = decimalPrecision(node);
      w.u8(p <= 9 ? 0x19 : p <= 18 ? 0x1a : p <= 38 ? 0x1b : 0x1c);
      w.u8(p);
      w.u8(s);
      return;
    }
    case 'Array':
      w.u8(0x1e);
      writeBinaryType(w, typeArgs(node)[0]!);
      return;
    case 'Tuple': {
      const named = node.args.length > 0 && node.args.every((a) => a.kind === 'named');
      w.u8(named ? 0x20 : 0x1f);
      w.varUInt(node.args.length);
      for (const a of node.args) {
        if (a.kind === 'named') {
          w.string(a.name);
          writeBinaryType(w, a.type);
        } else if (a.kind === 'type') writeBinaryType(w, a.type);
        else throw new UnsupportedError(`binary type encoding of ${formatType(node)}`);
      }
      return;
    }
    case 'Nullable':
      w.u8(0x23);
      writeBinaryType(w, typeArgs(node)[0]!);
      return;
    case 'LowCardinality':
      w.u8(0x26);
      writeBinaryType(w, typeArgs(node)[0]!);
      return;
    case 'Map': {
      const [k, v] = typeArgs(node);
      w.u8(0x27);
      writeBinaryType(w, k!);
      writeBinaryType(w, v!);
      return;
    }
    case 'Variant': {
      const types = typeArgs(node);
      w.u8(0x2a);
      w.varUInt(types.length);
      for (const t of types) writeBinaryType(w, t);
      return;
    }
    default:
      if (CUSTOM_NAMES.has(node.name) && node.args.length === 0) {
        w.u8(0x2c);
        w.string(node.name);
        return;
      }
      if (node.name.startsWith('Interval') && node.args.length === 0) {
        const kind = INTERVALS.indexOf(node.name.slice('Interval'.length));
        if (kind >= 0) {
          w.u8(0x22);
          w.u8(kind);
          return;
        }
      }
      throw new UnsupportedError(`The binary type encoding of ${formatType(node)} is not supported`);
  }
}

const MAX_BINARY_TYPE_DEPTH = 32;

/** Reads a binary-encoded type (synchronous: throws NEED_MORE when short). */
export function readBinaryType(r: ByteReader, depth: number): TypeNode {
  if (depth > MAX_BINARY_TYPE_DEPTH) throw new ProtocolError('a binary type nests too deep');
  const code = r.u8();
  const simple = SIMPLE_NAMES.get(code);
  if (simple !== undefined) return { name: simple, args: [] };
  const num = (value: number) => ({ kind: 'number' as const, text: String(value), value });
  const str = (value: string) => ({ kind: 'string' as const, value });
  const sub = () => ({ kind: 'type' as const, type: readBinaryType(r, depth + 1) });
  switch (code) {
    case 0x11:
      return { name: 'DateTime', args: [] };
    case 0x12:
      return { name: 'DateTime', args: [str(r.string())] };
    case 0x13:
      return { name: 'DateTime64', args: [num(r.u8())] };
    case 0x14: {
      const p = r.u8();
      return { name: 'DateTime64', args: [num(p), str(r.string())] };
    }
    case 0x34:
      return { name: 'Time64', args: [num(r.u8())] };
    case 0x16:
      return { name: 'FixedString', args: [num(r.varUInt())] };
    case 0x17:
    case 0x18: {
      const n = r.varUInt();
      const args = [];
      for (let i = 0; i < n; i++) {
        const name = r.string();
        args.push({ kind: 'enum' as const, name, value: code === 0x17 ? r.i8() : r.i16() });
      }
      return { name: code === 0x17 ? 'Enum8' : 'Enum16', args };
    }
    case 0x19:
    case 0x1a:
    case 0x1b:
    case 0x1c: {
      const p = r.u8();
      return { name: 'Decimal', args: [num(p), num(r.u8())] };
    }
    case 0x1e:
      return { name: 'Array', args: [sub()] };
    case 0x1f:
    case 0x20: {
      const n = r.varUInt();
      const args = [];
      for (let i = 0; i < n; i++) {
        if (code === 0x20) {
          const name = r.string();
          args.push({ kind: 'named' as const, name, type: readBinaryType(r, depth + 1) });
        } else args.push(sub());
      }
      return n === 0 ? { name: 'Tuple', args, emptyParens: true } : { name: 'Tuple', args };
    }
    case 0x22: {
      const kind = INTERVALS[r.u8()];
      if (kind === undefined) throw new ProtocolError('unknown interval kind in a binary type');
      return { name: `Interval${kind}`, args: [] };
    }
    case 0x23:
      return { name: 'Nullable', args: [sub()] };
    case 0x26:
      return { name: 'LowCardinality', args: [sub()] };
    case 0x27:
      return { name: 'Map', args: [sub(), sub()] };
    case 0x2a: {
      const n = r.varUInt();
      const args = [];
      for (let i = 0; i < n; i++) args.push(sub());
      return { name: 'Variant', args };
    }
    case 0x2c: {
      const name = r.string();
      if (!CUSTOM_NAMES.has(name))
        throw new ProtocolError(`unknown custom type ${JSON.stringify(name)} in a binary type`);
      return { name, args: [] };
    }
    default:
      throw new ProtocolError(`binary type code 0x${code.toString(16)} is not supported`);
  }
}
