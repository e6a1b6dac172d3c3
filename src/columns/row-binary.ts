/**
 * Single values in RowBinary form: a value as ClickHouse writes one row of one column, with no prefix (a Nullable
 * flag byte, a VarUInt count before Array and Map elements, a Variant's discriminator, then the nested values; a
 * fixed-width or String value as its column body would hold it). Dynamic's shared variant and JSON's shared data
 * store each value this way, after its binary type (binary-type.ts). Checked against chdb (ClickHouse 26.7).
 */
import { InvalidValueError, ProtocolError, UnsupportedError } from '../errors.js';
import { ByteReader, NEED_MORE } from '../protocol/reader.js';
import type { ByteWriter } from '../protocol/writer.js';
import { readBinaryType, typeArgs, writeBinaryType } from './binary-type.js';
import { ZERO, type ColumnCodec } from './codec.js';
import { formatType, parseType, type TypeNode } from './type-parser.js';
import { describe, isTypedArray } from './values.js';
import { NULL_DISCRIMINATOR, VariantCodec, VariantValue } from './variant.js';

/**
 * A type name's codec (the registry's cache, handed over by a factory's `resolve`: importing the registry here
 * would be an import cycle).
 */
export type CodecLookup = (type: string) => ColumnCodec;

const GEO_BASE: Record<string, string> = {
  Ring: 'Array(Point)',
  LineString: 'Array(Point)',
  MultiLineString: 'Array(Ring)',
  Polygon: 'Array(Ring)',
  MultiPolygon: 'Array(Polygon)',
  Point: 'Tuple(Float64, Float64)',
};

function elementsOf(node: TypeNode): { types: TypeNode[]; names?: string[] } {
  const types: TypeNode[] = [];
  const names: string[] = [];
  for (const a of node.args) {
    if (a.kind === 'named') {
      names.push(a.name);
      types.push(a.type);
    } else if (a.kind === 'type') types.push(a.type);
  }
  return names.length > 0 ? { types, names } : { types };
}

/** Leaf types whose column has a prefix, so that a single value has no RowBinary form here. */
const WITH_PREFIX = new Set(['Dynamic', 'JSON']);

/** Writes one value of `node` in RowBinary form. */
export function writeBinaryValue(w: ByteWriter, node: TypeNode, v: unknown, getCodec: CodecLookup): void {
  const geo = GEO_BASE[node.name];
  if (geo) return writeBinaryValue(w, parseType(geo), v, getCodec);
  switch (node.name) {
    case 'Nullable':
      if (v === null || v === ZERO) w.u8(1);
      else {
        w.u8(0);
        writeBinaryValue(w, typeArgs(node)[0]!, v, getCodec);
      }
      return;
    case 'LowCardinality':
      return writeBinaryValue(w, typeArgs(node)[0]!, v, getCodec);
    case 'Array': {
      if (!Array.isArray(v) && !isTypedArray(v)) {
        throw new InvalidValueError(`expected an array, got ${describe(v)}`, { row: 0 });
      }
      const items = v as ArrayLike<unknown>;
      w.varUInt(items.length);
      const inner = typeArgs(node)[0]!;
      for (let i = 0; i < items.length; i++) writeBinaryValue(w, inner, items[i], getCodec);
      return;
    }
    case 'Tuple': {
      const { types, names } = elementsOf(node);
      const isArray = Array.isArray(v) || isTypedArray(v);
      if (!isArray && !(names && typeof v === 'object' && v !== null)) {
        throw new InvalidValueError(`expected a tuple, got ${describe(v)}`, { row: 0 });
      }
      types.forEach((t, i) =>
        writeBinaryValue(
          w,
          t,
          isArray ? (v as ArrayLike<unknown>)[i] : (v as Record<string, unknown>)[names![i]!],
          getCodec,
        ),
      );
      return;
    }
    case 'Map': {
      const [k, val] = typeArgs(node);
      let entries: [unknown, unknown][];
      if (v instanceof Map) entries = [...(v as Map<unknown, unknown>)];
      else if (Array.isArray(v)) entries = v as [unknown, unknown][];
      else if (typeof v === 'object' && v !== null) entries = Object.entries(v);
      else throw new InvalidValueError(`expected a Map, got ${describe(v)}`, { row: 0 });
      w.varUInt(entries.length);
      for (const [ek, ev] of entries) {
        writeBinaryValue(w, k!, ek, getCodec);
        writeBinaryValue(w, val!, ev, getCodec);
      }
      return;
    }
    case 'Variant': {
      const codec = getCodec(formatType(node)) as VariantCodec;
      const d = codec.discriminator(v, 0);
      w.u8(d);
      if (d !== NULL_DISCRIMINATOR) {
        writeBinaryValue(w, parseType(codec.names[d]!), v instanceof VariantValue ? v.value : v, getCodec);
      }
      return;
    }
    default: {
      const codec = getCodec(formatType(node));
      if (WITH_PREFIX.has(node.name))
        throw new UnsupportedError(`a ${codec.type} value in RowBinary form is not supported`);
      codec.write(w, [v], 1);
    }
  }
}

/** Reads one value of `node` in RowBinary form from a fully buffered reader. */
export async function readBinaryValue(r: ByteReader, node: TypeNode, getCodec: CodecLookup): Promise<unknown> {
  const geo = GEO_BASE[node.name];
  if (geo) return readBinaryValue(r, parseType(geo), getCodec);
  const take = <T>(decode: () => T): T => {
    const out = r.tryAtomic(decode);
    if (out === NEED_MORE) throw new ProtocolError('a value ends early');
    return out;
  };
  switch (node.name) {
    case 'Nullable':
      return take(() => r.u8()) !== 0 ? null : readBinaryValue(r, typeArgs(node)[0]!, getCodec);
    case 'LowCardinality':
      return readBinaryValue(r, typeArgs(node)[0]!, getCodec);
    case 'Array': {
      const n = take(() => r.varUInt());
      if (n > r.available) throw new ProtocolError(`an array claims ${n} elements in ${r.available} bytes`);
      const inner = typeArgs(node)[0]!;
      const out: unknown[] = [];
      for (let i = 0; i < n; i++) out.push(await readBinaryValue(r, inner, getCodec));
      // As Array(T) reads: a TypedArray for fixed-width numeric T.
      const Ctor = getCodec(formatType(inner)).typedArray as { from(a: unknown[]): unknown } | undefined;
      return Ctor ? Ctor.from(out) : out;
    }
    case 'Tuple': {
      const { types, names } = elementsOf(node);
      const items: unknown[] = [];
      for (const t of types) items.push(await readBinaryValue(r, t, getCodec));
      if (!names) return items;
      return Object.fromEntries(names.map((name, i) => [name, items[i]]));
    }
    case 'Map': {
      const [k, val] = typeArgs(node);
      const n = take(() => r.varUInt());
      if (n > r.available) throw new ProtocolError(`a map claims ${n} entries in ${r.available} bytes`);
      const pairs: [unknown, unknown][] = [];
      for (let i = 0; i < n; i++)
        pairs.push([await readBinaryValue(r, k!, getCodec), await readBinaryValue(r, val!, getCodec)]);
      const map = new Map(pairs);
      return map.size === pairs.length ? map : pairs;
    }
    case 'Variant': {
      const codec = getCodec(formatType(node)) as VariantCodec;
      const d = take(() => r.u8());
      if (d === NULL_DISCRIMINATOR) return null;
      const name = codec.names[d];
      if (name === undefined) throw new ProtocolError(`discriminator ${d} names no variant of ${codec.type}`);
      return readBinaryValue(r, parseType(name), getCodec);
    }
    default: {
      const codec = getCodec(formatType(node));
      if (WITH_PREFIX.has(node.name))
        throw new UnsupportedError(`a ${codec.type} value in RowBinary form is not supported`);
      return (await codec.read(r, 1))[0];
    }
  }
}

/**
 * Writes one self-describing value as a String: its binary type, then its RowBinary value (an element of Dynamic's
 * shared variant or of JSON's shared data). `scratch` is reused. A value its type does not take throws
 * InvalidValueError.
 */
export function writeTypedValue(
  writer: ByteWriter,
  scratch: ByteWriter,
  type: string,
  value: unknown,
  getCodec: CodecLookup,
): void {
  scratch.reset();
  const node = parseType(type);
  writeBinaryType(scratch, node);
  writeBinaryValue(scratch, node, value instanceof VariantValue ? value.value : value, getCodec);
  writer.stringBytes(scratch.view());
}

/** Reads one self-describing value (a String: binary type, RowBinary value); bad bytes are a ProtocolError on `what`. */
export async function readTypedValue(
  reader: ByteReader,
  what: string,
  getCodec: CodecLookup,
): Promise<{ type: string; value: unknown }> {
  const bytes = await reader.atomic(() => reader.stringBytes());
  const one = ByteReader.from(bytes, reader.limits);
  const node = one.tryAtomic(() => readBinaryType(one, 0));
  if (node === NEED_MORE) throw new ProtocolError(`${what} ends inside its type`);
  const type = formatType(node);
  let value: unknown;
  try {
    value = await readBinaryValue(one, node, getCodec);
  } catch (error) {
    if (error instanceof ProtocolError || error instanceof UnsupportedError) {
      throw new ProtocolError(`${what} (${type}): ${error.message}`, { cause: error });
    }
    throw error;
  }
  if (!one.drained) throw new ProtocolError(`${what} (${type}) has ${one.available} bytes left over`);
  return { type, value };
}
