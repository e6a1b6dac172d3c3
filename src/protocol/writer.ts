/**
 * A growable little-endian byte writer. One Buffer, doubled on demand; `finish()` hands out a view without a copy.
 */

const INITIAL_CAPACITY = 4096;

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

  /** Zig-zag signed VarInt (the old binary settings form, PROTOCOL.md §4.6). */
  varInt64(v: bigint): void {
    this.varUInt64(BigInt.asUintN(64, (v << 1n) ^ (v >> 63n)));
  }

  /** String: VarUInt byte length, then UTF-8 bytes. */
  string(s: string): void {
    // A JS string of n UTF-16 units needs at most 3n UTF-8 bytes; reserve that instead of measuring twice.
    const maxBytes = s.length * 3;
    this.reserve(maxBytes + 10);
    if (maxBytes < 0x80) {
      // One-byte length prefix: write the bytes first, then the length before them.
      const start = this.length + 1;
      const written = this.buf.write(s, start, 'utf8');
      this.buf[this.length] = written;
      this.length = start + written;
      return;
    }
    const byteLength = Buffer.byteLength(s, 'utf8');
    this.varUInt(byteLength);
    this.length += this.buf.write(s, this.length, 'utf8');
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
