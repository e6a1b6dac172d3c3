/**
 * Columns inside the evaluator. A column is the values of one expression for every row of a block, in the
 * evaluator's internal form (see Value below), or one value standing for every row (a constant: literals and
 * functions of literals are computed once, as the server does with ColumnConst).
 *
 * Internal value forms, by type:
 *   UInt8..UInt32, Int8..Int32, Float32/64, Bool, Enum, Date (days), DateTime (Unix seconds), IPv4: number
 *   UInt64, Int64 and wider, DateTime64 (ticks), Decimal (scaled), Interval: bigint (Interval: number)
 *   String: string (valid UTF-8) or Uint8Array (any bytes); FixedString, IPv6: Uint8Array
 *   UUID: its canonical text; Nullable: null or the inner form; Array, Tuple: JS arrays; Map: [key, value][]
 */
import type { DataType } from './types.js';

export interface Column {
  type: DataType;
  /** One value per row, or exactly one value when `constant`. */
  values: ArrayLike<unknown>;
  constant: boolean;
}

export const constant = (type: DataType, value: unknown): Column => ({ type, values: [value], constant: true });
export const full = (type: DataType, values: ArrayLike<unknown>): Column => ({ type, values, constant: false });

export const at = (col: Column, row: number): unknown => (col.constant ? col.values[0] : col.values[row]);

/** The type's default value (what the server keeps under a NULL, and what OrZero functions return). */
export function zeroOf(type: DataType): unknown {
  switch (type.kind) {
    case 'int':
      return type.bits >= 64 ? 0n : 0;
    case 'decimal':
    case 'dateTime64':
      return 0n;
    case 'string':
      return '';
    case 'fixedString':
      return new Uint8Array(type.n);
    case 'uuid':
      return '00000000-0000-0000-0000-000000000000';
    case 'ipv6':
      return new Uint8Array(16);
    case 'enum':
      return type.entries[0]?.value ?? 0;
    case 'nullable':
    case 'nothing':
      return null;
    case 'lowCardinality':
      return zeroOf(type.inner);
    case 'array':
    case 'map':
      return [];
    case 'tuple':
      return type.elements.map(zeroOf);
    default:
      return 0;
  }
}

// ---- strings: ClickHouse strings are bytes ----------------------------------------------------------------------

export type Str = string | Uint8Array;

/** The UTF-8 bytes of a string value. */
export function bytesOf(v: Str): Uint8Array {
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
}

/** A byte string as a value: a JS string when it is valid UTF-8, else the bytes. */
export function fromBytes(bytes: Uint8Array): Str {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Pure ASCII is always valid; otherwise check the round trip.
  let ascii = true;
  for (let i = 0; i < buf.length; i++) {
    if (buf[i]! >= 0x80) {
      ascii = false;
      break;
    }
  }
  const text = buf.toString(ascii ? 'latin1' : 'utf8');
  if (ascii || (Buffer.byteLength(text, 'utf8') === buf.length && Buffer.from(text, 'utf8').equals(buf))) return text;
  return Buffer.from(buf);
}

/** Text of a string value (invalid UTF-8 becomes U+FFFD, as for any decoder). */
export const textOf = (v: Str): string => (typeof v === 'string' ? v : Buffer.from(v).toString('utf8'));

export function byteLength(v: Str): number {
  if (typeof v !== 'string') return v.length;
  // Fast path for ASCII.
  for (let i = 0; i < v.length; i++) if (v.charCodeAt(i) >= 0x80) return Buffer.byteLength(v, 'utf8');
  return v.length;
}

const hasHighSurrogate = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0xd800) return true;
  return false;
};

/** memcmp order of the UTF-8 bytes (ClickHouse compares strings as bytes). */
export function compareStr(a: Str, b: Str): number {
  // UTF-16 order equals code-point (= UTF-8 byte) order unless surrogates are involved.
  if (typeof a === 'string' && typeof b === 'string' && !hasHighSurrogate(a) && !hasHighSurrogate(b)) {
    return a < b ? -1 : a > b ? 1 : 0;
  }
  return Buffer.compare(bytesOf(a), bytesOf(b));
}

export function equalStr(a: Str, b: Str): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a === b;
  return Buffer.compare(bytesOf(a), bytesOf(b)) === 0;
}
