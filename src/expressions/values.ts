/**
 * Between the insert's JS values and the evaluator's internal forms (column.ts). Inputs go through the column
 * codec first, so the evaluator sees exactly what the server would receive (a DateTime given as a string is parsed
 * the way the codec parses it, a Float32 is rounded, ...).
 */
import { getCodec } from '../columns/registry.js';
import { ByteWriter } from '../protocol/writer.js';
import { UnsupportedExpressionError } from '../errors.js';
import { type Column, full } from './column.js';
import { base, typeName, type DataType } from './types.js';

const TYPED: Record<string, { new (buffer: ArrayBuffer): ArrayLike<number | bigint>; BYTES_PER_ELEMENT: number }> = {
  UInt8: Uint8Array,
  UInt16: Uint16Array,
  UInt32: Uint32Array,
  UInt64: BigUint64Array,
  Int8: Int8Array,
  Int16: Int16Array,
  Int32: Int32Array,
  Int64: BigInt64Array,
  Float32: Float32Array,
  Float64: Float64Array,
};

/** The wire bytes of a column, as the codec writes them (validating every value). */
function encode(type: DataType, values: ArrayLike<unknown>, rows: number): Buffer {
  const writer = new ByteWriter(rows * 8 + 64);
  getCodec(typeName(type)).write(writer, values, rows);
  return writer.finish();
}

function fixedWidth(
  type: DataType,
  values: ArrayLike<unknown>,
  rows: number,
  name: string,
): ArrayLike<number | bigint> {
  const C = TYPED[name]!;
  const bytes = encode(type, values, rows);
  const copy = new ArrayBuffer(rows * C.BYTES_PER_ELEMENT);
  new Uint8Array(copy).set(bytes.subarray(0, copy.byteLength));
  return new C(copy);
}

/** Internal values of a user column of type `type`. */
export function toInternal(type: DataType, values: ArrayLike<unknown>, rows: number): ArrayLike<unknown> {
  const t = type.kind === 'lowCardinality' ? type.inner : type;
  switch (t.kind) {
    case 'int':
    case 'float': {
      if (TYPED[t.name] && values instanceof (TYPED[t.name] as unknown as typeof Uint8Array)) return values;
      return fixedWidth(t, values, rows, t.name);
    }
    case 'string': {
      for (let i = 0; i < rows; i++) {
        const v = values[i];
        if (typeof v !== 'string' && !(v instanceof Uint8Array)) {
          encode(t, [v], 1); // throws the codec's InvalidValueError
        }
      }
      return values;
    }
    case 'date':
      return fixedWidth(t, values, rows, 'UInt16');
    case 'date32':
      return fixedWidth(t, values, rows, 'Int32');
    case 'bool':
      return fixedWidth(t, values, rows, 'UInt8');
    case 'ipv4':
      return fixedWidth(t, values, rows, 'UInt32');
    case 'dateTime64':
      // Ticks, as the codec reads a Date, a string or a number of seconds for this scale and zone.
      return fixedWidth(t, values, rows, 'Int64');
    case 'decimal': {
      // Scaled integers, as the codec parses the user's text or number (never rounded).
      const bytes = encode(t, values, rows);
      const width = t.precision <= 9 ? 4 : t.precision <= 18 ? 8 : t.precision <= 38 ? 16 : 32;
      const out = new Array<bigint>(rows);
      for (let i = 0; i < rows; i++) {
        let v = 0n;
        for (let b = width - 1; b >= 0; b--) v = (v << 8n) | BigInt(bytes[i * width + b]!);
        out[i] = BigInt.asIntN(width * 8, v);
      }
      return out;
    }
    case 'map': {
      // Through the codec's own reading of a row (a Map, [key, value] pairs or a plain object), then key and
      // value columns like any other: what the evaluator sees is what the server would receive.
      const codec = getCodec(typeName(t)) as unknown as { entriesOf(v: unknown, row: number): [unknown, unknown][] };
      const keys: unknown[] = [];
      const vals: unknown[] = [];
      const lengths = new Array<number>(rows);
      for (let i = 0; i < rows; i++) {
        const entries = codec.entriesOf(values[i], i);
        lengths[i] = entries.length;
        for (const [k, v] of entries) {
          keys.push(k);
          vals.push(v);
        }
      }
      const ck = toInternal(t.key, keys, keys.length);
      const cv = toInternal(t.value, vals, vals.length);
      const out = new Array(rows);
      let k = 0;
      for (let i = 0; i < rows; i++) {
        const row = new Array(lengths[i]!);
        for (let j = 0; j < lengths[i]!; j++, k++) row[j] = [ck[k], cv[k]];
        out[i] = row;
      }
      return out;
    }
    case 'dateTime':
      return fixedWidth(t, values, rows, 'UInt32');
    case 'enum': {
      const v = fixedWidth(t, values, rows, t.bits === 8 ? 'Int8' : 'Int16');
      return Array.from(v as ArrayLike<number>);
    }
    case 'fixedString': {
      const bytes = encode(t, values, rows);
      return Array.from({ length: rows }, (_, i) => bytes.subarray(i * t.n, (i + 1) * t.n));
    }
    case 'uuid': {
      const bytes = encode(t, values, rows);
      // The wire form is two little-endian UInt64 halves, high first.
      const out = new Array<string>(rows);
      for (let i = 0; i < rows; i++) {
        const hi = bytes
          .readBigUInt64LE(i * 16)
          .toString(16)
          .padStart(16, '0');
        const lo = bytes
          .readBigUInt64LE(i * 16 + 8)
          .toString(16)
          .padStart(16, '0');
        const h = hi + lo;
        out[i] = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
      }
      return out;
    }
    case 'nullable': {
      const present: number[] = [];
      const inner: unknown[] = [];
      for (let i = 0; i < rows; i++) {
        const v = values[i];
        if (v !== null && v !== undefined) {
          present.push(i);
          inner.push(v);
        }
      }
      const converted = toInternal(t.inner, inner, inner.length);
      const out = new Array(rows).fill(null);
      present.forEach((row, k) => (out[row] = converted[k]));
      return out;
    }
    case 'array': {
      const flat: unknown[] = [];
      const lengths = new Array<number>(rows);
      for (let i = 0; i < rows; i++) {
        const v = values[i];
        if (!Array.isArray(v) && !ArrayBuffer.isView(v)) encode(t, [v], 1);
        const arr = v as ArrayLike<unknown>;
        lengths[i] = arr.length;
        for (let j = 0; j < arr.length; j++) flat.push(arr[j]);
      }
      const converted = toInternal(t.element, flat, flat.length);
      const out = new Array(rows);
      let k = 0;
      for (let i = 0; i < rows; i++) {
        out[i] = Array.from({ length: lengths[i]! }, () => converted[k++]);
      }
      return out;
    }
    default:
      throw new UnsupportedExpressionError(`Columns of type ${typeName(type)} are not supported as expression inputs`);
  }
}

/**
 * An evaluated column in the form the insert's codecs take fastest: fixed-width numbers, Date and DateTime as their
 * TypedArrays (copied in bulk by the codec), strings and raw bytes as they are; other types as toPublic gives them.
 */
export function toCodecValues(col: Column, rows: number): ArrayLike<unknown> {
  const t = col.type.kind === 'lowCardinality' ? col.type.inner : col.type;
  if (col.constant) return toPublic(col, rows);
  const v = col.values;
  switch (t.kind) {
    case 'int':
    case 'float': {
      const C = TYPED[t.name];
      if (C && v instanceof (C as unknown as typeof Uint8Array)) return v;
      return toPublic(col, rows);
    }
    case 'date':
      return v instanceof Uint16Array ? v : Uint16Array.from(v as ArrayLike<number>);
    case 'dateTime':
      return v instanceof Uint32Array ? v : Uint32Array.from(v as ArrayLike<number>);
    case 'string':
      // The String codec writes JS strings as UTF-8 and byte arrays as they are.
      return Array.isArray(v) ? v : Array.from(v);
    default:
      return toPublic(col, rows);
  }
}

/**
 * Public JS values of an evaluated column, in the forms the codecs write and users read: TypedArrays for
 * fixed-width numbers at the top level, bigint for 64-bit integers, Date for Date/DateTime, Buffer for
 * FixedString, the entry name for Enum.
 */
export function toPublic(col: Column, rows: number, top = true): ArrayLike<unknown> {
  const t = col.type.kind === 'lowCardinality' ? col.type.inner : col.type;
  const n = rows;
  const src = col.constant ? Array.from({ length: n }, () => col.values[0]) : col.values;
  switch (t.kind) {
    case 'int':
    case 'float': {
      const C = TYPED[t.name];
      if (top && C) {
        const out = new (C as unknown as { new (n: number): { [i: number]: unknown; length: number } })(n);
        for (let i = 0; i < n; i++) out[i] = src[i];
        return out as ArrayLike<unknown>;
      }
      return Array.from(src);
    }
    case 'bool':
      return Array.from(src, (v) => v === 1);
    case 'decimal':
      // The codec reads a bigint as an integer: the scaled value goes as its exact decimal text.
      return Array.from(src, (v) => scaledText(v as bigint, t.scale));
    case 'date':
      return Array.from(src, (v) => new Date((v as number) * 86400000));
    case 'dateTime':
      return Array.from(src, (v) => new Date((v as number) * 1000));
    case 'fixedString':
    case 'ipv6':
      return Array.from(src, (v) => Buffer.from(v as Uint8Array));
    case 'string':
      return Array.from(src, (v) => (typeof v === 'string' ? v : Buffer.from(v as Uint8Array)));
    case 'enum': {
      const names = new Map(t.entries.map((e) => [e.value, e.name]));
      return Array.from(src, (v) => names.get(v as number) ?? v);
    }
    case 'nullable': {
      const inner = toPublic(
        full(
          t.inner,
          Array.from(src, (v) => v ?? zeroFor(t.inner)),
        ),
        n,
        false,
      );
      return Array.from(src, (v, i) => (v === null ? null : inner[i]));
    }
    case 'array': {
      return Array.from(src, (v) => {
        const arr = v as unknown[];
        return Array.from(toPublic(full(t.element, arr), arr.length, false));
      });
    }
    case 'tuple':
      return Array.from(src, (v) => (v as unknown[]).map((x, i) => toPublic(full(t.elements[i]!, [x]), 1, false)[0]));
    case 'map':
      return Array.from(src, (v) =>
        (v as Array<[unknown, unknown]>).map(([k, x]) => [
          toPublic(full(t.key, [k]), 1, false)[0],
          toPublic(full(t.value, [x]), 1, false)[0],
        ]),
      );
    default:
      return Array.from(src);
  }
}

import { zeroOf } from './column.js';

/** A scaled decimal integer as text with `scale` fraction digits: 150n, 2 → '1.50'. */
function scaledText(v: bigint, scale: number): string {
  if (scale === 0) return v.toString();
  const neg = v < 0n;
  const digits = (neg ? -v : v).toString().padStart(scale + 1, '0');
  return `${neg ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}
const zeroFor = (t: DataType): unknown => zeroOf(base(t));
