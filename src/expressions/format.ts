/**
 * Values as ClickHouse writes them in text: toString(x), CAST(x AS String), and the quoted forms inside arrays
 * and tuples (the Values/TSV text serialization).
 */
import { UnsupportedExpressionError } from '../errors.js';
import { bytesOf, fromBytes, type Str } from './column.js';
import { formatDate, formatDateTime } from './datetime.js';
import { base, type DataType } from './types.js';

/**
 * Float64 as ClickHouse prints it: the shortest text that reads back to the same double (like JS), but with
 * `inf`/`nan`, and exponents without '+' (`1e21`, not `1e+21`).
 */
export function formatFloat64(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  return String(v).replace('e+', 'e');
}

/** Float32: the shortest decimal that reads back to the same float. */
export function formatFloat32(v: number): string {
  if (!Number.isFinite(v) || v === 0) return formatFloat64(v);
  for (let p = 1; p <= 9; p++) {
    const s = v.toPrecision(p);
    if (Math.fround(Number(s)) === v) return formatFloat64(Number(s));
  }
  return formatFloat64(v);
}

function decimalText(v: bigint, scale: number): string {
  const neg = v < 0n;
  let digits = (neg ? -v : v).toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, '0');
    digits = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  }
  return neg ? `-${digits}` : digits;
}

/** The text of a non-null value of type `t`, with the time zone used for zone-less DateTime values. */
export function formatValue(v: unknown, t: DataType, serverTz: string): Str {
  switch (t.kind) {
    case 'int':
      return String(v);
    case 'float':
      return t.bits === 32 ? formatFloat32(v as number) : formatFloat64(v as number);
    case 'bool':
      return v ? 'true' : 'false';
    case 'decimal':
      return decimalText(v as bigint, t.scale);
    case 'string':
      return v as Str;
    case 'fixedString':
      return fromBytes(v as Uint8Array);
    case 'date':
    case 'date32':
      return formatDate(v as number);
    case 'dateTime':
      return formatDateTime(t.tz ?? serverTz, v as number);
    case 'dateTime64': {
      const ticks = v as bigint;
      const scale = 10n ** BigInt(t.scale);
      let seconds = ticks / scale;
      let frac = ticks % scale;
      if (frac < 0n) {
        frac += scale;
        seconds -= 1n;
      }
      const head = formatDateTime(t.tz ?? serverTz, Number(seconds));
      return t.scale > 0 ? `${head}.${frac.toString().padStart(t.scale, '0')}` : head;
    }
    case 'uuid':
      return v as string;
    case 'ipv4': {
      const n = v as number;
      return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
    }
    case 'ipv6':
      return formatIPv6(v as Uint8Array);
    case 'enum':
      return t.entries.find((e) => e.value === v)?.name ?? String(v);
    case 'nullable':
    case 'lowCardinality':
      return v === null ? 'NULL' : formatValue(v, t.inner, serverTz);
    case 'nothing':
      return 'NULL';
    case 'array':
      return joinText(
        '[',
        (v as unknown[]).map((e) => formatQuoted(e, t.element, serverTz)),
        ']',
      );
    case 'tuple':
      return joinText(
        '(',
        (v as unknown[]).map((e, i) => formatQuoted(e, t.elements[i]!, serverTz)),
        ')',
      );
    case 'map':
      return joinText(
        '{',
        (v as Array<[unknown, unknown]>).map(([k, x]) =>
          concatStr([formatQuoted(k, t.key, serverTz), ':', formatQuoted(x, t.value, serverTz)]),
        ),
        '}',
      );
    default:
      throw new UnsupportedExpressionError(`Cannot format ${t.kind} as text`);
  }
}

function concatStr(parts: Str[]): Str {
  if (parts.every((p) => typeof p === 'string')) return (parts as string[]).join('');
  return fromBytes(Buffer.concat(parts.map(bytesOf)));
}

function joinText(open: string, items: Str[], close: string): Str {
  const parts: Str[] = [open];
  items.forEach((item, i) => {
    if (i > 0) parts.push(',');
    parts.push(item);
  });
  parts.push(close);
  return concatStr(parts);
}

const QUOTE_ESCAPES: Record<number, string> = {
  0x08: '\\b',
  0x0c: '\\f',
  0x0a: '\\n',
  0x0d: '\\r',
  0x09: '\\t',
  0x00: '\\0',
  0x5c: '\\\\',
  0x27: "\\'",
};

/** writeQuotedString: single quotes, backslash escapes for control characters, quote and backslash. */
export function quoteText(s: Str): Str {
  if (typeof s === 'string') {
    return `'${s.replace(/[\b\f\n\r\t\0\\']/g, (c) => QUOTE_ESCAPES[c.charCodeAt(0)]!)}'`;
  }
  const out: number[] = [0x27];
  for (const b of s) {
    const e = QUOTE_ESCAPES[b];
    if (e) for (const c of e) out.push(c.charCodeAt(0));
    else out.push(b);
  }
  out.push(0x27);
  return fromBytes(Uint8Array.from(out));
}

/** A value inside an array, tuple or map text: strings, dates and UUIDs quoted, numbers bare. */
export function formatQuoted(v: unknown, t: DataType, serverTz: string): Str {
  const b = base(t);
  if (v === null) return 'NULL';
  const text = formatValue(v, b, serverTz);
  switch (b.kind) {
    case 'string':
    case 'fixedString':
    case 'date':
    case 'date32':
    case 'dateTime':
    case 'dateTime64':
    case 'uuid':
    case 'enum':
    case 'ipv4':
    case 'ipv6':
      return quoteText(text);
    default:
      return text;
  }
}

/** IPv6 text as the server writes it: the longest run (2+) of zero groups as `::`, IPv4-mapped/compatible as a quad. */
export function formatIPv6(b: Uint8Array): string {
  const words = Array.from({ length: 8 }, (_, i) => (b[2 * i]! << 8) | b[2 * i + 1]!);
  let best = { base: -1, len: 0 };
  let cur = { base: -1, len: 0 };
  for (let i = 0; i < 8; i++) {
    if (words[i] === 0) {
      if (cur.base < 0) cur = { base: i, len: 1 };
      else cur.len++;
      if (cur.len > best.len) best = { ...cur };
    } else cur = { base: -1, len: 0 };
  }
  if (best.len < 2) best = { base: -1, len: 0 };
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (best.base >= 0 && i >= best.base && i < best.base + best.len) {
      if (i === best.base) out += ':';
      continue;
    }
    if (i > 0) out += ':';
    if (i === 6 && best.base === 0 && (best.len === 6 || (best.len === 5 && words[5] === 0xffff))) {
      out += `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
      return out;
    }
    out += words[i]!.toString(16);
  }
  if (best.base >= 0 && best.base + best.len === 8) out += ':';
  return out;
}
