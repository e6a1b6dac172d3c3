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
  override readonly flat = true;
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

/** Where decodeStrings stopped: the byte after the last string it decoded (a second return value, no allocation). */
let decodedEnd = 0;

/**
 * Decodes the strings that are whole inside the reader's window, synchronously, into out[n..) until it holds
 * `rows`; returns the new count. Stops (having advanced to the start of the unfinished string) when the next one
 * runs past the window.
 */
function decodeBuffered(reader: ByteReader, out: string[], n: number, rows: number): number {
  const buf = reader.window() as Utf8Buffer;
  const count = decodeStrings(buf, 0, buf.length, out, n, rows, reader.limits.maxStringBytes, reader.offset);
  reader.advance(decodedEnd);
  return count;
}

/**
 * Decodes the strings of buf[pos, end) into out[n..) until it holds `rows`, or until the next string is not whole
 * before `end`; returns the new count and leaves in `decodedEnd` where it stopped. `at` is the stream offset of
 * buf[0], for errors.
 *
 * Runs of strings under 128 bytes (a one-byte length) are decoded together: their offsets are found first, then
 * one check says whether the run is ASCII (length bytes included: below 0x80 too). An ASCII run's short strings
 * are cut out of one latin1 decode of the run (a copy per value instead of a native call per value); anything
 * else is decoded as UTF-8 one value at a time.
 */
function decodeStrings(
  buf: Utf8Buffer,
  pos: number,
  end: number,
  out: string[],
  n: number,
  rows: number,
  cap: number,
  at: number,
): number {
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
    const len = stringLength(buf, pos, end, cap, at);
    if (len < 0) break;
    p = lengthEnd;
    if (p + len > end) break;
    out[n++] = len === 0 ? '' : decodeUtf8(buf, p, p + len);
    pos = p + len;
  }
  decodedEnd = pos;
  return n;
}

/** Where stringLength's VarUInt ended (a second return value). */
let lengthEnd = 0;

/**
 * The VarUInt length at buf[pos], at most 10 bytes and exact below 2^53, checked against `cap`; -1 when it runs past
 * `end`. Leaves in `lengthEnd` the position of the string's first byte.
 */
function stringLength(buf: Uint8Array, pos: number, end: number, cap: number, at: number): number {
  let p = pos + 1;
  let len = buf[pos]!;
  if (len >= 0x80) {
    len &= 0x7f;
    let scale = 0x80;
    let byte = 0x80;
    for (let k = 1; byte >= 0x80; k++) {
      if (p >= end) return -1;
      if (k === 10) throw new ProtocolError(`Malformed VarUInt at byte ${at + pos}: more than 10 bytes`);
      byte = buf[p++]!;
      len += (byte & 0x7f) * scale;
      scale *= 0x80;
    }
  }
  if (len > cap) throw new ProtocolError(`String of ${len} bytes at byte ${at + pos} exceeds the cap of ${cap} bytes`);
  lengthEnd = p;
  return len;
}

/**
 * A top-level String column read for the row iterator (ResultSet's `for await`): its bytes are kept (views of the
 * decompressed frames, in pieces of whole strings) and decoded a run of 4096 strings at a time as the rows are made,
 * in order. Decoded a block at a time, a block's 65 536 strings outlived several young-generation collections while
 * its rows were consumed, were copied by each and promoted: garbage collection was half the CPU of reading strings
 * as rows (bench/profile-read.ts). A run's strings die young with their rows. `values` decodes them all, for any
 * other use.
 */
export class LazyStringColumn {
  /** Piece being decoded, and the byte position and strings left in it. */
  private piece = -1;
  private pos = 0;
  private left = 0;
  private run: string[] = [];
  /** Row index of run[0]. */
  private runStart = 0;
  private all: string[] | undefined;

  constructor(
    readonly name: string,
    readonly type: string,
    private readonly pieces: readonly Buffer[],
    private readonly counts: readonly number[],
    readonly rows: number,
    private readonly cap: number,
  ) {}

  /** Row `row`'s string. Cheapest in order (a run at a time); anything else decodes the whole column once. */
  get(row: number): string {
    const k = row - this.runStart;
    if (k >= 0 && k < this.run.length) return this.run[k]!;
    if (k === this.run.length && row < this.rows && this.all === undefined) return this.nextRun()[0]!;
    return this.values[row]!;
  }

  /** Every string of the column, decoded once. */
  get values(): string[] {
    if (this.all === undefined) {
      const out = new Array<string>(this.rows);
      let n = 0;
      for (let p = 0; p < this.pieces.length; p++) {
        const buf = this.pieces[p] as Utf8Buffer;
        n = decodeStrings(buf, 0, buf.length, out, n, n + this.counts[p]!, this.cap, 0);
      }
      this.all = out;
    }
    return this.all;
  }

  private nextRun(): string[] {
    const start = this.runStart + this.run.length;
    while (this.left === 0) {
      this.piece++;
      this.pos = 0;
      this.left = this.counts[this.piece]!;
    }
    const buf = this.pieces[this.piece] as Utf8Buffer;
    const count = Math.min(RUN, this.left);
    const run = new Array<string>(count);
    decodeStrings(buf, this.pos, buf.length, run, 0, count, this.cap, 0);
    this.pos = decodedEnd;
    this.left -= count;
    this.run = run;
    this.runStart = start;
    return run;
  }
}

/**
 * Reads a String column's bytes without decoding them (see LazyStringColumn): finds where each piece of whole
 * strings in the window ends, keeps the piece as a view, and widens the window for a string that runs past it.
 */
export async function readLazyStrings(reader: ByteReader, name: string, type: string, rows: number) {
  const cap = reader.limits.maxStringBytes;
  const pieces: Buffer[] = [];
  const counts: number[] = [];
  let n = 0;
  while (n < rows) {
    const buf = reader.window();
    const end = buf.length;
    let pos = 0;
    let count = 0;
    const want = rows - n;
    while (count < want && pos < end) {
      const len = buf[pos]!;
      if (len < 0x80) {
        if (pos + 1 + len > end) break;
        pos += 1 + len;
      } else {
        const long = stringLength(buf, pos, end, cap, reader.offset);
        if (long < 0 || lengthEnd + long > end) break;
        pos = lengthEnd + long;
      }
      count++;
    }
    if (count > 0) {
      pieces.push(buf.subarray(0, pos));
      counts.push(count);
      reader.advance(pos);
      n += count;
    }
    if (n < rows) await reader.widen();
  }
  return new LazyStringColumn(name, type, pieces, counts, rows, cap);
}

export const stringFamily: CodecFactory = (node, type) => {
  expectNoArgs(node, type);
  return new StringCodec(type);
};
