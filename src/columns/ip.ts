/**
 * IPv4 and IPv6 (docs/protocol.md §6.2).
 * IPv4: UInt32 little endian of the numeric address (192.168.1.10 = 0xC0A8010A → 0a 01 a8 c0).
 *   Read: the dotted string '192.168.1.10'.
 *   Write: a dotted string, or the address as an integer number 0 to 2^32 - 1.
 * IPv6: the 16 address bytes in network order.
 *   Read: the text ClickHouse prints: lower-case hex, the longest run (two or more) of zero groups as '::', and
 *   IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible addresses with a dotted tail.
 *   Write: any IPv6 text ('2001:db8::1', '::ffff:1.2.3.4'), an IPv4 dotted string (stored IPv4-mapped, as
 *   ClickHouse does), or a Uint8Array of the 16 bytes.
 */
import { InvalidValueError } from '../errors.js';
import type { ByteReader } from '../protocol/reader.js';
import type { ByteWriter } from '../protocol/writer.js';
import { BaseCodec, ZERO, type ColumnCodec, type ColumnValues } from './codec.js';
import { expectNoArgs, type CodecFactory } from './factory.js';
import { describe } from './values.js';

const IPV4_TEXT = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** The numeric address of a dotted IPv4 string, or -1. */
export function parseIPv4(text: string): number {
  const m = IPV4_TEXT.exec(text);
  if (!m) return -1;
  let value = 0;
  for (let k = 1; k <= 4; k++) {
    const octet = Number(m[k]);
    if (octet > 255) return -1;
    value = value * 256 + octet;
  }
  return value;
}

function formatIPv4(a: number, b: number, c: number, d: number): string {
  return `${a}.${b}.${c}.${d}`;
}

export class IPv4Codec extends BaseCodec implements ColumnCodec {
  override readonly flat = true;
  constructor(readonly type: string) {
    super();
  }

  async read(reader: ByteReader, rows: number): Promise<string[]> {
    const buf = await reader.take(rows * 4);
    let pos = 0;
    const out = new Array<string>(rows);
    for (let i = 0; i < rows; i++, pos += 4)
      out[i] = formatIPv4(buf[pos + 3]!, buf[pos + 2]!, buf[pos + 1]!, buf[pos]!);
    return out;
  }

  write(writer: ByteWriter, values: ColumnValues, rows: number): void {
    const region = writer.claim(rows * 4);
    for (let i = 0; i < rows; i++) {
      const v = values[i];
      let value = -1;
      if (typeof v === 'string') value = parseIPv4(v);
      else if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff) value = v;
      else if (v === ZERO) value = 0;
      if (value < 0) {
        throw new InvalidValueError(`expected an IPv4 address like '192.168.1.10' or a UInt32, got ${describe(v)}`, {
          row: i,
        });
      }
      region.writeUInt32LE(value, i * 4);
    }
  }
}

/** The 16 bytes of an IPv6 (or IPv4, mapped) text into `out` at `at`; false when it is not an address. */
export function parseIPv6(text: string, out: Uint8Array, at: number): boolean {
  if (text.length > 45) return false;
  if (!text.includes(':')) {
    const v4 = parseIPv4(text);
    if (v4 < 0) return false;
    out.fill(0, at, at + 10);
    out[at + 10] = out[at + 11] = 0xff;
    out[at + 12] = v4 >>> 24;
    out[at + 13] = (v4 >>> 16) & 0xff;
    out[at + 14] = (v4 >>> 8) & 0xff;
    out[at + 15] = v4 & 0xff;
    return true;
  }
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const groups: number[][] = [];
  for (const half of halves) {
    const words: number[] = [];
    if (half !== '') {
      const parts = half.split(':');
      for (let k = 0; k < parts.length; k++) {
        const part = parts[k]!;
        if (k === parts.length - 1 && part.includes('.') && half === halves[halves.length - 1]) {
          const v4 = parseIPv4(part);
          if (v4 < 0) return false;
          words.push(v4 >>> 16, v4 & 0xffff);
        } else if (/^[0-9A-Fa-f]{1,4}$/.test(part)) {
          words.push(parseInt(part, 16));
        } else {
          return false;
        }
      }
    }
    groups.push(words);
  }
  const head = groups[0]!;
  const tail = groups[1] ?? [];
  const total = head.length + tail.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return false;
  const words = [...head, ...new Array<number>(8 - total).fill(0), ...tail];
  for (let k = 0; k < 8; k++) {
    out[at + 2 * k] = words[k]! >>> 8;
    out[at + 2 * k + 1] = words[k]! & 0xff;
  }
  return true;
}

const words = new Uint16Array(8);

/** ClickHouse's formatIPv6: the longest zero run (at least two groups, the first of equals) as '::'. */
export function formatIPv6(buf: Uint8Array, at: number): string {
  for (let k = 0; k < 8; k++) words[k] = (buf[at + 2 * k]! << 8) | buf[at + 2 * k + 1]!;
  let bestBase = -1;
  let bestLength = 0;
  let base = -1;
  for (let k = 0; k < 8; k++) {
    if (words[k] === 0) {
      if (base < 0) base = k;
      if (k - base + 1 > bestLength) {
        bestLength = k - base + 1;
        bestBase = base;
      }
    } else {
      base = -1;
    }
  }
  if (bestLength < 2) bestBase = -1;
  let text = '';
  for (let k = 0; k < 8; k++) {
    if (bestBase >= 0 && k >= bestBase && k < bestBase + bestLength) {
      if (k === bestBase) text += ':';
      continue;
    }
    if (k > 0) text += ':';
    if (k === 6 && bestBase === 0 && (bestLength === 6 || (bestLength === 5 && words[5] === 0xffff))) {
      return text + formatIPv4(buf[at + 12]!, buf[at + 13]!, buf[at + 14]!, buf[at + 15]!);
    }
    text += words[k]!.toString(16);
  }
  if (bestBase >= 0 && bestBase + bestLength === 8) text += ':';
  return text;
}

export class IPv6Codec extends BaseCodec implements ColumnCodec {
  override readonly flat = true;
  constructor(readonly type: string) {
    super();
  }

  async read(reader: ByteReader, rows: number): Promise<string[]> {
    const buf = await reader.take(rows * 16);
    let pos = 0;
    const out = new Array<string>(rows);
    for (let i = 0; i < rows; i++, pos += 16) out[i] = formatIPv6(buf, pos);
    return out;
  }

  write(writer: ByteWriter, values: ColumnValues, rows: number): void {
    const region = writer.claim(rows * 16);
    for (let i = 0; i < rows; i++) {
      const v = values[i];
      const at = i * 16;
      if (typeof v === 'string' && parseIPv6(v, region, at)) continue;
      if (v instanceof Uint8Array && v.length === 16) {
        region.set(v, at);
        continue;
      }
      if (v === ZERO) {
        region.fill(0, at, at + 16);
        continue;
      }
      throw new InvalidValueError(
        `expected an IPv6 address like '2001:db8::1', an IPv4 address, or 16 bytes, got ${describe(v)}`,
        { row: i },
      );
    }
  }
}

export const ipv4Family: CodecFactory = (node, type) => {
  expectNoArgs(node, type);
  return new IPv4Codec(type);
};

export const ipv6Family: CodecFactory = (node, type) => {
  expectNoArgs(node, type);
  return new IPv6Codec(type);
};
