/**
 * A growable little-endian byte writer. One Buffer, doubled on demand; `finish()` hands out a view without a copy.
 */

const INITIAL_CAPACITY = 4096;

/** Buffer's own UTF-8 writer (what `write(s, offset, 'utf8')` calls after its argument checks); returns bytes written. */
interface Utf8Writable extends Buffer {
  utf8Write(s: string, offset: number): number;
}
/** Strings up to this many characters are tried as ASCII by a JS loop (crossover with Buffer.write measured ~24). */
const SHORT_STRING = 24;

export class ByteWriter {
  private buf: Buffer;
  /** Write position; also the number of bytes written. */
  length = 0;

  constructor(initialCapacity = INITIAL_CAPACITY) {
    this.buf = Buffer.allocUnsafe(Math.max(16, initialCapacity));
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    const needed = this.length + n;
    if (needed <= this.buf.length) return;
    let capacity = this.buf.length * 2;
    while (capacity < needed) capacity *= 2;
    const next = Buffer.allocUnsafe(capacity);
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  /** The bytes written so far, as a view (valid until the next write). */
  view(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  /** The bytes written so far; the writer is reset and must not be used to modify the returned bytes. */
  finish(): Buffer {
    const out = this.buf.subarray(0, this.length);
    this.buf = Buffer.allocUnsafe(INITIAL_CAPACITY);
    this.length = 0;
    return out;
  }

  /** Forgets the written bytes and keeps the capacity. */
  reset(): void {
    this.length = 0;
  }

  u8(v: number): void {
    this.reserve(1);
    this.buf[this.length++] = v;
  }

  i8(v: number): void {
    this.reserve(1);
    this.buf.writeInt8(v, this.length);
    this.length += 1;
  }

  u16(v: number): void {
    this.reserve(2);
    this.buf.writeUInt16LE(v, this.length);
    this.length += 2;
  }

  i16(v: number): void {
    this.reserve(2);
    this.buf.writeInt16LE(v, this.length);
    this.length += 2;
  }

  u32(v: number): void {
    this.reserve(4);
    this.buf.writeUInt32LE(v, this.length);
    this.length += 4;
  }

  i32(v: number): void {
    this.reserve(4);
    this.buf.writeInt32LE(v, this.length);
    this.length += 4;
  }

  u64(v: bigint): void {
    this.reserve(8);
    this.buf.writeBigUInt64LE(v, this.length);
    this.length += 8;
  }

  i64(v: bigint): void {
    this.reserve(8);
    this.buf.writeBigInt64LE(v, this.length);
    this.length += 8;
  }

  f32(v: number): void {
    this.reserve(4);
    this.buf.writeFloatLE(v, this.length);
    this.length += 4;
  }

  f64(v: number): void {
    this.reserve(8);
    this.buf.writeDoubleLE(v, this.length);
    this.length += 8;
  }

  /** Unsigned LEB128 of a non-negative safe integer. */
  varUInt(v: number): void {
    this.reserve(10);
    const buf = this.buf;
    let pos = this.length;
    while (v >= 0x80) {
      buf[pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    buf[pos++] = v;
    this.length = pos;
  }

  /** Unsigned LEB128 of a 64-bit value. */
  varUInt64(v: bigint): void {
    if (v <= BigInt(Number.MAX_SAFE_INTEGER)) {
      this.varUInt(Number(v));
      return;
    }
    this.reserve(10);
    while (v >= 0x80n) {
      this.buf[this.length++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.length++] = Number(v);
  }

  /** Zig-zag signed VarInt (the old binary settings form, docs/protocol.md §4.6). */
  varInt64(v: bigint): void {
    this.varUInt64(BigInt.asUintN(64, (v << 1n) ^ (v >> 63n)));
  }

  /** String: VarUInt byte length, then UTF-8 bytes. */
  string(s: string): void {
    // A JS string of n UTF-16 units needs at most 3n UTF-8 bytes; reserve that instead of measuring twice.
    const n = s.length;
    const maxBytes = n * 3;
    this.reserve(maxBytes + 10);
    if (n <= SHORT_STRING) {
      // Short ASCII strings are copied by a JS loop: measured 4-5x faster than a native write call for a few
      // characters (the call costs ~50 ns). The first non-ASCII character falls through to the UTF-8 encoder.
      const buf = this.buf;
      const at = this.length + 1;
      let k = 0;
      for (; k < n; k++) {
        const ch = s.charCodeAt(k);
        if (ch >= 0x80) break;
        buf[at + k] = ch;
      }
      if (k === n) {
        buf[this.length] = n;
        this.length = at + n;
        return;
      }
    }
    if (n < 0x80) {
      // Write the bytes first, then the length before them: one native call, no measuring pass.
      const buf = this.buf as Utf8Writable;
      const start = this.length + 1;
      const written = buf.utf8Write(s, start);
      if (written < 0x80) {
        buf[this.length] = written;
        this.length = start + written;
        return;
      }
      // Under 128 characters but 128+ bytes (not ASCII): a two-byte length, so the bytes move by one.
      buf.copyWithin(start + 1, start, start + written);
      buf[this.length] = (written & 0x7f) | 0x80;
      buf[this.length + 1] = written >>> 7;
      this.length = start + 1 + written;
      return;
    }
    const byteLength = Buffer.byteLength(s, 'utf8');
    this.varUInt(byteLength);
    this.length += (this.buf as Utf8Writable).utf8Write(s, this.length);
  }

  /** String from raw bytes: VarUInt length, then the bytes. */
  stringBytes(bytes: Uint8Array): void {
    this.varUInt(bytes.length);
    this.bytes(bytes);
  }

  /** Raw bytes. */
  bytes(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.length);
    this.length += bytes.length;
  }

  /** UTF-8 bytes of `s` without a length prefix; returns the byte count. */
  utf8(s: string): number {
    this.reserve(s.length * 3);
    const written = this.buf.write(s, this.length, 'utf8');
    this.length += written;
    return written;
  }

  /** Copies the bytes of a TypedArray (little-endian platforms: its memory is the wire layout). */
  typedArray(values: ArrayBufferView): void {
    this.bytes(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  }

  /**
   * Hands out `n` writable bytes at the current position and advances past them, for codecs that fill a
   * region in bulk (TypedArray views, FixedString). The view is valid until the next write.
   */
  claim(n: number): Buffer {
    this.reserve(n);
    const out = this.buf.subarray(this.length, this.length + n);
    this.length += n;
    return out;
  }
}
