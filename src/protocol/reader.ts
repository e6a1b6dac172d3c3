/**
 * An incremental, bounds-checked byte reader fed by socket chunks (or by decompressed frames).
 *
 * Decoders read synchronously from the bytes already buffered (`u8`, `varUInt`, `string`, `view`, ...). When the
 * buffered bytes run short, a primitive throws the `NEED_MORE` sentinel *without consuming anything of the unit
 * being decoded*; the async wrappers (`atomic`, `ensure`) then wait for the next chunk and resume. So a decoder
 * awaits only when the socket has nothing more yet (once per chunk, never per primitive), and it never re-parses
 * what it already decoded: `atomic` units are small (a packet header, a column header, one string), and bulk column
 * data is read with `ensure(n)` for its exact size or row by row with the row loop's own state.
 */
import { ProtocolError } from '../errors.js';

/** Thrown (never escapes `atomic`/`ensure`) when a synchronous read needs bytes that have not arrived. */
export const NEED_MORE: unique symbol = Symbol('NEED_MORE');

const EMPTY = Buffer.alloc(0);

/** Caps on sizes read from the wire, checked before anything is allocated for them. */
export interface ReaderLimits {
  /** Largest String (or FixedString, or raw byte run) accepted from the wire. */
  maxStringBytes: number;
  /** Most elements an Array/Map column may claim in one block (the last cumulative offset). */
  maxArrayElements: number;
  /** Most keys a LowCardinality dictionary may claim in one block. */
  maxDictionaryKeys: number;
  /** Deepest type nesting accepted in a column type name. */
  maxNestingDepth: number;
}

/**
 * A size read from the wire is over its cap: the ProtocolError says what was claimed (`claim`, e.g. "Block claims
 * 5000000 rows"), the cap, and the client option (`limits.<option>`) that sets it. The caller throws it before allocating anything for the claim.
 */
export function capExceeded(claim: string, cap: number, option: string): ProtocolError {
  return new ProtocolError(`${claim}, which exceeds the cap of ${cap} (limits.${option})`);
}

export const DEFAULT_READER_LIMITS: ReaderLimits = {
  maxStringBytes: 1 << 30,
  maxArrayElements: 2 ** 32 - 1,
  maxDictionaryKeys: 1 << 30,
  maxNestingDepth: 64,
};

/** Pulls the next chunk for a reader that is not pushed to by a socket; null means the stream ended. */
export type ChunkSource = () => Promise<Buffer | null>;

export class ByteReader {
  /** The contiguous window of buffered bytes; decoders may read `buf` directly between `pos` and `buf.length`. */
  buf: Buffer = EMPTY;
  /** Read position inside `buf`. */
  pos = 0;
  readonly limits: ReaderLimits;

  /** Absolute stream offset of buf[0]; lets `atomic` restore its start after a compaction. */
  private base = 0;
  /** While an atomic unit is being decoded, the absolute offset it started at (compaction keeps it). */
  private anchor = -1;
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private ended = false;
  private failure: Error | null = null;
  private wake: (() => void) | null = null;
  private readonly pull: ChunkSource | undefined;
  /** The chunks are this reader's own: bytes it has consumed may be overwritten (see takeAligned). */
  private readonly ownsChunks: boolean;
  /**
   * Index in `buf` up to which views were handed out (take, view, takeCopy, and what `advance` consumed of a
   * window): those bytes may still be in use. Only consumed bytes past it may be overwritten (takeAligned).
   */
  private lentEnd = 0;
  /** Called when the reader starts waiting for bytes (lets a paused socket resume). */
  onStarve: (() => void) | undefined;

  constructor(options: { pull?: ChunkSource; limits?: Partial<ReaderLimits>; ownsChunks?: boolean } = {}) {
    this.pull = options.pull;
    this.ownsChunks = options.ownsChunks === true;
    this.limits = { ...DEFAULT_READER_LIMITS, ...options.limits };
  }

  /** A reader over complete bytes: reading past their end is a ProtocolError. */
  static from(bytes: Uint8Array, limits?: Partial<ReaderLimits>): ByteReader {
    const reader = new ByteReader({ limits });
    reader.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    reader.end();
    return reader;
  }

  /** Appends a chunk that arrived from the socket. */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.pos === this.buf.length && this.queue.length === 0) {
      this.base += this.buf.length;
      this.buf = chunk;
      this.pos = 0;
      this.lentEnd = 0;
    } else {
      this.queue.push(chunk);
      this.queued += chunk.length;
    }
    this.wakeUp();
  }

  /** The stream ended cleanly: reads beyond the buffered bytes fail with a ProtocolError. */
  end(): void {
    this.ended = true;
    this.wakeUp();
  }

  /** The stream broke: pending and later reads that need more bytes fail with `error`. */
  fail(error: Error): void {
    if (!this.failure) this.failure = error;
    this.wakeUp();
  }

  /** Bytes buffered and not yet read. */
  get available(): number {
    return this.buf.length - this.pos + this.queued;
  }

  /** True when nothing is buffered. */
  get drained(): boolean {
    return this.available === 0;
  }

  /** Total bytes consumed since the reader was created. */
  get offset(): number {
    return this.base + this.pos;
  }

  private wakeUp(): void {
    const wake = this.wake;
    if (wake) {
      this.wake = null;
      wake();
    }
  }

  /** Makes `n` bytes contiguous at `pos`, or throws NEED_MORE. Synchronous. */
  gather(n: number): void {
    if (this.buf.length - this.pos >= n) return;
    if (this.available < n) throw NEED_MORE;
    const keepFrom = this.anchor >= 0 ? this.anchor - this.base : this.pos;
    let have = this.buf.length - keepFrom;
    const need = n + (this.pos - keepFrom);
    const parts: Buffer[] = [this.buf.subarray(keepFrom)];
    while (have < need) {
      const chunk = this.queue.shift()!;
      this.queued -= chunk.length;
      parts.push(chunk);
      have += chunk.length;
    }
    this.buf = Buffer.concat(parts, have);
    this.lentEnd = 0;
    this.base += keepFrom;
    this.pos -= keepFrom;
  }

  /** Waits until at least one more byte than now is buffered. */
  async waitForMore(): Promise<void> {
    const before = this.available;
    while (this.available <= before) {
      if (this.failure) throw this.failure;
      if (this.pull) {
        const chunk = await this.pull();
        if (chunk === null) this.ended = true;
        else this.push(chunk);
      }
      if (this.available > before) return;
      if (this.failure) throw this.failure;
      if (this.ended) {
        throw new ProtocolError(
          `Unexpected end of data at byte ${this.offset}: the stream ended with ${this.available} bytes left unread`,
        );
      }
      if (!this.pull) {
        this.onStarve?.();
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    }
  }

  /** Waits until `n` bytes are buffered, wherever they sit (nothing is joined). */
  async buffer(n: number): Promise<void> {
    while (this.available < n) await this.waitForMore();
  }

  /**
   * Consumes `n` buffered bytes (the caller made sure `available >= n`): a view when they are contiguous, else a
   * copy into `target` (at least `n` bytes, which the caller may reuse), where `gather` would allocate a joined
   * buffer and keep it as the window. A compressed frame of 1 MiB spans ~16 socket chunks of 64 KiB: joining them
   * into fresh memory per frame was 14% of reading UInt64 blocks (bench/profile-read.ts).
   */
  takeCopy(n: number, target: Buffer): Buffer {
    if (this.buf.length - this.pos >= n) {
      const start = this.pos;
      this.pos = start + n;
      this.lentEnd = this.pos;
      return this.buf.subarray(start, start + n);
    }
    if (this.available < n || target.length < n) throw new RangeError(`takeCopy(${n}) beyond the buffered bytes`);
    let done = 0;
    for (;;) {
      const here = Math.min(this.buf.length - this.pos, n - done);
      target.set(this.buf.subarray(this.pos, this.pos + here), done);
      done += here;
      this.pos += here;
      if (done === n) return target.subarray(0, n);
      const chunk = this.queue.shift()!;
      this.queued -= chunk.length;
      this.base += this.buf.length;
      this.buf = chunk;
      this.pos = 0;
      this.lentEnd = 0;
    }
  }

  /** Waits until `n` bytes are buffered and makes them contiguous at `pos`. */
  async ensure(n: number): Promise<void> {
    while (this.available < n) await this.waitForMore();
    this.gather(n);
  }

  /**
   * Waits until `n` bytes are buffered and consumes them, returning them as one contiguous view (no copy): bulk
   * column data whose size the decoder knows and has capped (no String cap applies). Decoders read the view and
   * never move `pos` themselves.
   */
  async take(n: number): Promise<Buffer> {
    if (this.buf.length - this.pos < n) await this.ensure(n);
    const start = this.pos;
    this.pos = start + n;
    this.lentEnd = this.pos;
    return this.buf.subarray(start, start + n);
  }

  /**
   * `take`, for a TypedArray of elements of `align` bytes: when the bytes sit at an address that is not a multiple of
   * `align`, and this reader owns its chunks, they are moved back in place onto the aligned address just before them
   * if the bytes they move over were consumed and never handed out (a block's header, the name and type before a
   * column: `lentEnd`), so that the caller can view them without a copy. A UInt64 column right after its block's header (26 bytes into a
   * decompressed frame) was copied into fresh memory for every block: measured with bench/profile-read.ts, the
   * copy cost 11% of reading UInt64 blocks, the move a memmove within memory already in cache.
   */
  async takeAligned(n: number, align: number): Promise<Buffer> {
    if (this.buf.length - this.pos < n) await this.ensure(n);
    let start = this.pos;
    this.pos = start + n;
    const misaligned = (this.buf.byteOffset + start) % align;
    if (misaligned !== 0 && this.ownsChunks && start - misaligned >= this.lentEnd) {
      this.buf.copyWithin(start - misaligned, start, start + n);
      start -= misaligned;
    }
    this.lentEnd = this.pos;
    return this.buf.subarray(start, start + n);
  }

  /**
   * The bytes buffered contiguously from the read position (a view), for a decoder of values of varying size
   * (String, aggregate function states): it decodes the values that are whole in the window, `advance`s past them,
   * and `widen`s the window when the next value runs past its end.
   */
  window(): Buffer {
    return this.buf.subarray(this.pos);
  }

  /** Consumes `n` bytes of the window. */
  advance(n: number): void {
    if (n < 0 || n > this.buf.length - this.pos) {
      throw new RangeError(`advance(${n}) beyond the ${this.buf.length - this.pos} bytes of the window`);
    }
    this.pos += n;
    // The caller may keep views of what it consumed through the window (aggregate function states do).
    this.lentEnd = this.pos;
  }

  /** Makes the window longer: joins the chunks already queued to it, or waits for the next one. */
  async widen(): Promise<void> {
    if (this.available > this.buf.length - this.pos) this.gather(this.available);
    else await this.waitForMore();
  }

  /**
   * Runs a small synchronous decoder. If it runs out of bytes, the reader rewinds to where the unit started,
   * waits for more, and runs it again: keep units small (a header, a short packet).
   */
  async atomic<T>(decode: () => T): Promise<T> {
    for (;;) {
      const start = this.base + this.pos;
      this.anchor = start;
      try {
        const value = decode();
        this.anchor = -1;
        return value;
      } catch (error) {
        this.anchor = -1;
        if (error !== NEED_MORE) throw error;
        this.pos = start - this.base;
        await this.waitForMore();
      }
    }
  }

  /** Same as `atomic`, but returns synchronously when the unit is already buffered (no microtask). */
  tryAtomic<T>(decode: () => T): T | typeof NEED_MORE {
    const start = this.base + this.pos;
    this.anchor = start;
    try {
      const value = decode();
      return value;
    } catch (error) {
      if (error !== NEED_MORE) throw error;
      this.pos = start - this.base;
      return NEED_MORE;
    } finally {
      this.anchor = -1;
    }
  }

  // ---- synchronous primitives: each is bounds-checked and throws NEED_MORE when short ----

  u8(): number {
    if (this.pos >= this.buf.length) this.gather(1);
    return this.buf[this.pos++]!;
  }

  i8(): number {
    const v = this.u8();
    return v > 127 ? v - 256 : v;
  }

  u16(): number {
    if (this.buf.length - this.pos < 2) this.gather(2);
    const v = this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }

  i16(): number {
    if (this.buf.length - this.pos < 2) this.gather(2);
    const v = this.buf.readInt16LE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(): number {
    if (this.buf.length - this.pos < 4) this.gather(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  i32(): number {
    if (this.buf.length - this.pos < 4) this.gather(4);
    const v = this.buf.readInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  u64(): bigint {
    if (this.buf.length - this.pos < 8) this.gather(8);
    const v = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return v;
  }

  i64(): bigint {
    if (this.buf.length - this.pos < 8) this.gather(8);
    const v = this.buf.readBigInt64LE(this.pos);
    this.pos += 8;
    return v;
  }

  f32(): number {
    if (this.buf.length - this.pos < 4) this.gather(4);
    const v = this.buf.readFloatLE(this.pos);
    this.pos += 4;
    return v;
  }

  f64(): number {
    if (this.buf.length - this.pos < 8) this.gather(8);
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  /** Unsigned LEB128 as a number (exact up to 2^53). At most 10 bytes. */
  varUInt(): number {
    const buf = this.buf;
    let pos = this.pos;
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= buf.length) {
        // Not all of the VarUInt is in the window: gather up to its end (at most 10 bytes) and start over.
        this.gather(Math.min(10, this.available));
        if (this.buf.length - this.pos <= i) throw NEED_MORE;
        return this.varUInt();
      }
      const byte = buf[pos++]!;
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        this.pos = pos;
        return result;
      }
      scale *= 0x80;
    }
    throw new ProtocolError(`Malformed VarUInt at byte ${this.offset}: more than 10 bytes`);
  }

  /** Unsigned LEB128 as a 64-bit bigint. */
  varUInt64(): bigint {
    const start = this.pos;
    const small = this.varUInt();
    if (small <= Number.MAX_SAFE_INTEGER) return BigInt(small);
    // Re-read exactly (rare: only values above 2^53).
    let result = 0n;
    let shift = 0n;
    for (let p = start; p < this.pos; p++) {
      result |= BigInt(this.buf[p]! & 0x7f) << shift;
      shift += 7n;
    }
    return BigInt.asUintN(64, result);
  }

  /** Raw bytes as a view into the buffer (no copy). */
  view(n: number): Buffer {
    if (n > this.limits.maxStringBytes) {
      throw new ProtocolError(
        `Size ${n} at byte ${this.offset} exceeds the cap of ${this.limits.maxStringBytes} bytes (limits.max_string_bytes)`,
      );
    }
    if (this.buf.length - this.pos < n) this.gather(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    this.lentEnd = this.pos;
    return out;
  }

  /** Skips `n` bytes. */
  skip(n: number): void {
    this.view(n);
  }

  /** String: VarUInt length, then UTF-8 bytes, decoded. */
  string(): string {
    const start = this.offset;
    const len = this.varUInt();
    if (len > this.limits.maxStringBytes) {
      throw new ProtocolError(
        `String of ${len} bytes at byte ${this.offset} exceeds the cap of ${this.limits.maxStringBytes} bytes ` +
          `(limits.max_string_bytes)`,
      );
    }
    if (this.buf.length - this.pos < len) {
      if (this.available < len) {
        this.pos = start - this.base;
        throw NEED_MORE;
      }
      this.gather(len);
    }
    const s = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return s;
  }

  /** String as raw bytes (a view, no copy). */
  stringBytes(): Buffer {
    const start = this.offset;
    const len = this.varUInt();
    if (this.available < len && len <= this.limits.maxStringBytes) {
      this.pos = start - this.base;
      throw NEED_MORE;
    }
    return this.view(len);
  }
}
