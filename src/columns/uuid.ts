/**
 * UUID (docs/protocol.md §6.6): 16 bytes per row, the two 64-bit halves of the canonical UUID, high half first, each
 * little endian; that is, canonical bytes 0–7 reversed, then bytes 8–15 reversed.
 *
 * Read: the canonical lowercase string '61f0c404-5cb3-11e7-907b-a6006ad3dba0'.
 * Write: a string in the canonical 8-4-4-4-12 hex form (either case).
 */
import { InvalidValueError } from '../errors.js';
import type { ByteReader } from '../protocol/reader.js';
import type { ByteWriter } from '../protocol/writer.js';
import { BaseCodec, ZERO, type ColumnCodec, type ColumnValues } from './codec.js';
import { expectNoArgs, type CodecFactory } from './factory.js';
import { describe } from './values.js';

/** The two ASCII hex digits of each byte value, low byte first then high byte of a UInt16. */
const DIGITS = '0123456789abcdef';
const HEX_PAIR = new Uint16Array(256);
for (let i = 0; i < 256; i++) HEX_PAIR[i] = DIGITS.charCodeAt(i >> 4) | (DIGITS.charCodeAt(i & 15) << 8);

/** The text of one UUID is assembled here (dashes stay in place), then made a string in one call. */
const text = Buffer.alloc(36, '-');

/** Hex digit value by char code, -1 for anything else. */
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX_VALUE[48 + i] = i;
for (let i = 0; i < 6; i++) HEX_VALUE[65 + i] = HEX_VALUE[97 + i] = 10 + i;

/** Where each canonical byte's two hex digits start in the 36-character text. */
const TEXT_AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
/** The wire position of each canonical byte: each 8-byte half is reversed. */
const WIRE_AT = [7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8];

export class UuidCodec extends BaseCodec implements ColumnCodec {
  override readonly flat = true;
  constructor(readonly type: string) {
    super();
  }

  async read(reader: ByteReader, rows: number): Promise<string[]> {
    const b = await reader.take(rows * 16);
    let p = 0;
    const out = new Array<string>(rows);
    for (let i = 0; i < rows; i++, p += 16) {
      for (let k = 0; k < 16; k++) {
        const pair = HEX_PAIR[b[p + WIRE_AT[k]!]!]!;
        const t = TEXT_AT[k]!;
        text[t] = pair & 0xff;
        text[t + 1] = pair >> 8;
      }
      // Measured: about 3x faster than concatenating 16 two-digit strings (one flat string, no cons tree).
      out[i] = (text as Buffer & { latin1Slice(start: number, end: number): string }).latin1Slice(0, 36);
    }
    return out;
  }

  write(writer: ByteWriter, values: ColumnValues, rows: number): void {
    const region = writer.claim(rows * 16);
    for (let i = 0; i < rows;) {
      // A run of strings of UUID length is parsed from the UTF-8 bytes of their concatenation (one native write):
      // measured 2x faster than reading 36 characters of each with charCodeAt.
      let batch = '';
      let n = 0;
      for (; n < BATCH && i + n < rows; n++) {
        const v = values[i + n];
        if (typeof v !== 'string' || v.length !== 36) break;
        batch += v;
      }
      if (n > 0 && decodeBatch(batch, n, region, i * 16)) {
        i += n;
        continue;
      }
      // One by one: a row that is not a UUID-length string, or a batch with a bad value somewhere (which throws).
      for (const end = i + Math.max(n, 1); i < end; i++) {
        const v = values[i];
        const at = i * 16;
        if (v === ZERO) {
          region.fill(0, at, at + 16);
        } else if (typeof v !== 'string' || !encodeUuid(v, region, at)) {
          throw new InvalidValueError(
            `expected a UUID string like '61f0c404-5cb3-11e7-907b-a6006ad3dba0', got ${describe(v)}`,
            { row: i },
          );
        }
      }
    }
  }
}

/** UUID strings per batch. */
const BATCH = 128;
/**
 * A batch's UTF-8 bytes. Four bytes more than an ASCII batch takes: UTF-8 is written in whole characters (up to 4
 * bytes), so a batch that is not all ASCII always writes more than 36 bytes per UUID, and the count says so.
 */
const batchBytes = Buffer.allocUnsafe(36 * BATCH + 4) as Buffer & { utf8Write(s: string, offset: number): number };
/** Hex digit value by byte, 0x100 for anything else (so that a pair of digits with a bad one is above 0xff). */
const HEX_OR_BAD = new Uint16Array(256).fill(0x100);
for (let i = 0; i < 10; i++) HEX_OR_BAD[48 + i] = i;
for (let i = 0; i < 6; i++) HEX_OR_BAD[65 + i] = HEX_OR_BAD[97 + i] = 10 + i;

/** The byte of two hex digits at b[p], or a value above 0xff when either is not one. */
function hexPair(b: Uint8Array, p: number): number {
  return (HEX_OR_BAD[b[p]!]! << 4) | HEX_OR_BAD[b[p + 1]!]!;
}

/**
 * Writes the wire bytes of `n` concatenated 36-character strings at `at`; false (having written some bytes) when
 * any of them is not a canonical UUID, which the caller then finds by parsing them one by one.
 */
function decodeBatch(batch: string, n: number, out: Uint8Array, at: number): boolean {
  const b = batchBytes;
  if (b.utf8Write(batch, 0) !== 36 * n) return false; // a character beyond ASCII
  const DASH = 45;
  let bad = 0;
  for (let p = 0, end = 36 * n; p < end; p += 36, at += 16) {
    if ((b[p + 8]! ^ DASH) | (b[p + 13]! ^ DASH) | (b[p + 18]! ^ DASH) | (b[p + 23]! ^ DASH)) return false;
    for (let k = 0; k < 16; k++) {
      const byte = hexPair(b, p + TEXT_AT[k]!);
      out[at + WIRE_AT[k]!] = byte;
      bad |= byte;
    }
  }
  return bad <= 0xff;
}

/** Writes the wire bytes of a canonical UUID string at `at`; false when the text is not one. */
function encodeUuid(text: string, out: Uint8Array, at: number): boolean {
  if (text.length !== 36) return false;
  const DASH = 45;
  if (text.charCodeAt(8) !== DASH || text.charCodeAt(13) !== DASH) return false;
  if (text.charCodeAt(18) !== DASH || text.charCodeAt(23) !== DASH) return false;
  for (let k = 0; k < 16; k++) {
    const t = TEXT_AT[k]!;
    const hi = HEX_VALUE[text.charCodeAt(t) & 0x7f]!;
    const lo = HEX_VALUE[text.charCodeAt(t + 1) & 0x7f]!;
    if (hi < 0 || lo < 0 || text.charCodeAt(t) > 0x7f || text.charCodeAt(t + 1) > 0x7f) return false;
    out[at + WIRE_AT[k]!] = (hi << 4) | lo;
  }
  return true;
}

export const uuidFamily: CodecFactory = (node, type) => {
  expectNoArgs(node, type);
  return new UuidCodec(type);
};
