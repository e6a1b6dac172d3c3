/**
 * String (docs/protocol.md §6.3, the classic layout every revision we advertise uses): per row a VarUInt byte length,
 * then the bytes. ClickHouse does not validate UTF-8.
 *
 * Read: string[], UTF-8 decoded. Bytes that are not UTF-8 become U+FFFD: such columns do not survive a read
 * (a raw-bytes read mode would be a separate option).
 * Write: a string (UTF-8 encoded), or a Uint8Array/Buffer written as raw bytes.
 */
import { isAscii } from 'node:buffer';
import { InvalidValueError, ProtocolError } from '../errors.js';
import { NEED_MORE, type ByteReader } from '../protocol/reader.js';
import type { ByteWriter } from '../protocol/writer.js';
import { BaseCodec, ZERO, type ColumnCodec, type ColumnValues } from './codec.js';
import { expectNoArgs, type CodecFactory } from './factory.js';
import { describe } from './values.js';

interface Utf8Buffer extends Buffer {
  utf8Slice(start: number, end: number): string;
  latin1Slice(start: number, end: number): string;
}

/**
 * Decodes buf[start, end) as UTF-8. Buffer's own utf8Slice (what toString('utf8') calls after its argument checks)
 * already has an ASCII fast path; measured on Node 20 it beats an ASCII check plus latin1Slice, String.fromCharCode
 * and TextDecoder for short and long strings alike (about 6-7 M strings/s, bounded by string allocation).
 */
export function decodeUtf8(buf: Buffer, start: number, end: number): string {
  return (buf as Utf8Buffer).utf8Slice(start, end);
}

export class StringCodec extends BaseCodec implements ColumnCodec {
  constructor(readonly type: string) {
    super();
  }

  async read(reader: ByteReader, rows: number): Promise<string[]> {
    // Sized by the bytes that arrived, not by the claim (every string takes at least its length byte): an array
    // made at its final size, rather than grown by push through copies in V8's large-object space.
    const out = new Array<string>(Math.min(rows, Math.max(16, reader.available)));
    let n = 0;
    for (;;) {
      n = decodeBuffered(reader, out, n, rows);
      if (n === rows) {
        if (out.length > rows) out.length = rows;
        return out;
      }
      // The next string is not whole in the current window: gather it from queued chunks, or wait for more.
      const value = reader.tryAtomic(() => reader.string());
      if (value === NEED_MORE) await reader.waitForMore();
      else out[n++] = value;
    }
  }

  write(writer: ByteWriter, values: ColumnValues, rows: number): void {
    for (let i = 0; i < rows; i++) {
      // Runs of strings are written in bulk; the writer stops at anything else.
      i = writer.strings(values, i, rows);
      if (i === rows) break;
      const v = values[i];
      if (v instanceof Uint8Array) writer.stringBytes(v);
      else if (v === ZERO) writer.u8(0);
      else throw new InvalidValueError(`expected a string or a Uint8Array, got ${describe(v)}`, { row: i });
    }
  }
}

/** Most strings of one run decoded by the ASCII path (their offsets wait in RUN_STARTS/RUN_ENDS). */
const RUN = 4096;
const RUN_STARTS = new Int32Array(RUN);
const RUN_ENDS = new Int32Array(RUN);
/**
 * Strings shorter than this are cut out of one latin1 string of their whole run: V8 copies a substring of fewer than
 * 13 characters into a string of its own. Longer ones each get their own native decode: a substring of them would
 * be a slice that keeps the whole run's text alive for as long as the application keeps the value.
 */
const SHORT = 13;

/**
 * Decodes the strings that are whole inside the reader's window, synchronously, into out[n..) until it holds
 * `rows`; returns the new count. Stops (having advanced to the start of the unfinished string) when the next one
 * runs past the window.
 *
 * Runs of strings under 128 bytes (a one-byte length) are decoded together: their offsets are found first, then
 * one check says whether the run is ASCII (length bytes included: below 0x80 too). An ASCII run's short strings
 * are cut out of one latin1 decode of the run (a copy per value instead of a native call per value); anything
 * else is decoded as UTF-8 one value at a time.
 */
function decodeBuffered(reader: ByteReader, out: string[], n: number, rows: number): number {
  const buf = reader.window() as Utf8Buffer;
  const end = buf.length;
  const cap = reader.limits.maxStringBytes;
  let pos = 0;
  while (n < rows && pos < end) {
    // A run of one-byte-length strings that are whole in the window.
    let count = 0;
    let p = pos;
    let short = 0;
    const most = Math.min(RUN, rows - n);
    while (count < most && p < end) {
      const len = buf[p]!;
      if (len >= 0x80 || p + 1 + len > end) break;
      RUN_STARTS[count] = p + 1;
      RUN_ENDS[count] = p + 1 + len;
      if (len < SHORT) short++;
      count++;
      p += 1 + len;
    }
    if (count > 0) {
      if (isAscii(buf.subarray(pos, p))) {
        const text = short > 0 ? buf.latin1Slice(pos, p) : '';
        for (let k = 0; k < count; k++) {
          const a = RUN_STARTS[k]!;
          const b = RUN_ENDS[k]!;
          out[n++] = b - a < SHORT ? text.substring(a - pos, b - pos) : buf.latin1Slice(a, b);
        }
      } else {
        for (let k = 0; k < count; k++) {
          const a = RUN_STARTS[k]!;
          const b = RUN_ENDS[k]!;
          out[n++] = a === b ? '' : buf.utf8Slice(a, b);
        }
      }
      pos = p;
      continue;
    }
    // One string with a multi-byte length, or one that runs past the window.
    let len = buf[pos]!;
    p = pos + 1;
    if (len >= 0x80) {
      // Multi-byte VarUInt: at most 10 bytes, exact below 2^53.
      len &= 0x7f;
      let scale = 0x80;
      let byte = 0x80;
      for (let k = 1; byte >= 0x80; k++) {
        if (p >= end) {
          reader.advance(pos);
          return n;
        }
        if (k === 10) throw new ProtocolError(`Malformed VarUInt at byte ${reader.offset + pos}: more than 10 bytes`);
        byte = buf[p++]!;
        len += (byte & 0x7f) * scale;
        scale *= 0x80;
      }
    }
    if (len > cap) {
      reader.advance(pos);
      throw new ProtocolError(`String of ${len} bytes at byte ${reader.offset} exceeds the cap of ${cap} bytes`);
    }
    if (p + len > end) break;
    out[n++] = len === 0 ? '' : decodeUtf8(buf, p, p + len);
    pos = p + len;
  }
  reader.advance(pos);
  return n;
}

export const stringFamily: CodecFactory = (node, type) => {
  expectNoArgs(node, type);
  return new StringCodec(type);
};
