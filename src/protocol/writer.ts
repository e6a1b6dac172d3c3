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

/**
 * V8 keeps a string of fewer than 13 characters flat (ConsString::kMinLength): such strings are copied by the JS
 * loop even in a column of strings written in bulk, where longer ones, which may be ropes, are batched.
 */
const NEVER_ROPE = 12;
/** Most strings, and characters, joined into one batch of `strings` before it is written with one call. */
const BATCH_STRINGS = 256;
const BATCH_CHARS = 16 * 1024;
/** After this many batches of one `strings` call turned out not to be ASCII, the rest is written one by one. */
const NON_ASCII_BATCHES = 2;
/** The one-character string of each length below 128: the one-byte VarUInt of that length, as an ASCII character. */
const LENGTH_PREFIX: readonly string[] = Array.from({ length: 0x80 }, (_, n) => String.fromCharCode(n));

export interface ByteWriterOptions {
  /**
   * Keep the bytes in a SharedArrayBuffer, so that another thread (the frame worker) can read a view of them
   * without a copy.
   */
  shared?: boolean;
}

export class ByteWriter {
  private buf: Buffer;
  private readonly shared: boolean;
  /** Write position; also the number of bytes written. */
  length = 0;

  constructor(initialCapacity = INITIAL_CAPACITY, options: ByteWriterOptions = {}) {
    this.shared = options.shared === true;
    this.buf = this.allocate(Math.max(16, initialCapacity));
  }

  private allocate(capacity: number): Buffer {
    return this.shared ? Buffer.from(new SharedArrayBuffer(capacity)) : Buffer.allocUnsafe(capacity);
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    const needed = this.length + n;
    if (needed <= this.buf.length) return;
    let capacity = this.buf.length * 2;
    while (capacity < needed) capacity *= 2;
    const next = this.allocate(capacity);
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
    this.buf = this.allocate(INITIAL_CAPACITY);
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

  /**
   * Strings values[start, end) in bulk, as `string` would write each; stops at the first value that is not a string
   * and returns its index (`end` when all were strings).
   *
   * Why: one native write per string costs ~50 ns of call overhead, and a string an application built by
   * concatenation is a rope that the first access flattens, allocating a flat copy the application's heap keeps.
   * Here strings under 128 characters are joined with their one-character length prefixes into one rope per batch
   * (the VarUInt of a length below 128 is one byte below 0x80, i.e. an ASCII character), and the batch is written
   * with one utf8Write: V8 flattens only the batch, a short-lived string, and leaves the application's strings as
   * they were. If every character was ASCII, the UTF-8 bytes are exactly the Native bytes, and the byte count
   * says so (any other character takes two to four bytes); otherwise the batch is written again string by string.
   * Strings of 12 characters or fewer are never ropes and are copied by a JS loop when no batch is open.
   */
  strings(values: ArrayLike<unknown>, start: number, end: number): number {
    let i = start;
    let nonAscii = 0;
    while (i < end) {
      if (nonAscii >= NON_ASCII_BATCHES) {
        // Mostly non-ASCII text: batching would write most batches twice.
        for (; i < end; i++) {
          const v = values[i];
          if (typeof v !== 'string') return i;
          this.string(v);
        }
        return i;
      }
      // Short strings before the batch opens are written at once; from the first string batched on, all are.
      let batchStart = -1;
      let batch = '';
      let chars = 0;
      let stopped = false;
      for (; i < end && chars < BATCH_CHARS && (batchStart < 0 || i - batchStart < BATCH_STRINGS); i++) {
        const v = values[i];
        if (typeof v !== 'string' || v.length >= 0x80) {
          stopped = true;
          break;
        }
        const n = v.length;
        if (batchStart < 0) {
          if (n <= NEVER_ROPE) {
            if (!this.shortAscii(v)) this.string(v);
            continue;
          }
          batchStart = i;
        }
        batch = batch + LENGTH_PREFIX[n]! + v;
        chars += n + 1;
      }
      if (chars > 0) {
        // A batch that is not ASCII may take up to three bytes per character: room for all of them, so the count
        // of bytes written is the whole batch's.
        this.reserve(chars * 3);
        const written = (this.buf as Utf8Writable).utf8Write(batch, this.length);
        if (written === chars) {
          this.length += written;
        } else {
          nonAscii++;
          for (let k = batchStart; k < i; k++) this.string(values[k] as string);
        }
      }
      if (stopped) {
        // A value that is not a string (the caller's to handle), or a string of 128+ characters.
        const v = values[i];
        if (typeof v !== 'string') return i;
        this.string(v);
        i++;
      }
    }
    return i;
  }

  /** Writes a short string (length prefix and bytes) if it is all ASCII; false (nothing written) otherwise. */
  private shortAscii(s: string): boolean {
    const n = s.length;
    this.reserve(n + 1);
    const buf = this.buf;
    const at = this.length + 1;
    for (let k = 0; k < n; k++) {
      const ch = s.charCodeAt(k);
      if (ch >= 0x80) return false;
      buf[at + k] = ch;
    }
    buf[this.length] = n;
    this.length = at + n;
    return true;
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

/**
 * A ByteWriter that keeps nothing, for validating values before any of them is sent: codecs write through it as
 * they would through a ByteWriter, so every check of theirs runs, but what costs most in a real write does not
 * happen: strings are only type-checked (no UTF-8 encoding, no flattening of ropes), bulk copies of bytes and
 * TypedArrays are skipped, and everything else lands at the start of one small scratch region, overwritten by the
 * next write. Its bytes mean nothing; only the exceptions do.
 */
export class DryWriter extends ByteWriter {
  override reserve(n: number): void {
    this.length = 0;
    super.reserve(n);
  }

  override strings(values: ArrayLike<unknown>, start: number, end: number): number {
    for (let i = start; i < end; i++) if (typeof values[i] !== 'string') return i;
    return end;
  }

  override string(_s: string): void {}

  override stringBytes(_bytes: Uint8Array): void {}

  override bytes(_bytes: Uint8Array): void {}

  override typedArray(_values: ArrayBufferView): void {}
}
