/**
 * Compressed frames (docs/protocol.md §5.2): how compressed data travels in both directions.
 *
 *   offset size
 *   0      16  CityHash128 v1.0.2 of bytes [16 .. 16+compressed_size): low64 LE, then high64 LE
 *   16     1   method byte (0x02 NONE, 0x82 LZ4, 0x90 ZSTD)
 *   17     4   compressed_size   UInt32 LE = 9 + payload length (the checksum is not counted)
 *   21     4   decompressed_size UInt32 LE
 *   25     n   payload
 */
import { ProtocolError } from '../errors.js';
import type { ByteReader, ChunkSource } from '../protocol/reader.js';
import { cityHash128, cityHash128Equals, cityHash128Into } from './cityhash.js';
import { lz4FramesInWorker } from './frame-pool.js';
import { framesOf, packLz4Frames } from './lz4-frames.js';
import { lz4hcCompressBlock } from './lz4hc.js';
import { native } from './native.js';
import {
  type Compression,
  describeMethodByte,
  lz4CompressBlockAsync,
  lz4DecompressSizePrefixed,
  lz4MaxDecompressedSize,
  METHOD_LZ4,
  METHOD_NONE,
  METHOD_ZSTD,
  methodByte,
  resolveCompression,
  zstdCompress,
  zstdDecompress,
  zstdOutputBound,
} from './codecs.js';

export type { Compression, CompressionMethod, CompressionOptions } from './codecs.js';

/** Bytes of the checksum in front of every frame. */
export const CHECKSUM_SIZE = 16;
/** Bytes of method + compressed_size + decompressed_size; counted in compressed_size. */
export const FRAME_HEADER_SIZE = 9;
/** Checksum + header: the bytes before the payload. */
export const FRAME_OVERHEAD = CHECKSUM_SIZE + FRAME_HEADER_SIZE;

/**
 * Most input bytes per frame: the server's DBMS_DEFAULT_BUFFER_SIZE (1 MiB). ClickHouse's own writer emits a frame
 * whenever its 1 MiB buffer fills, so larger data becomes several frames.
 */
export const MAX_FRAME_INPUT = 1 << 20;

/** Largest `maxFrameInput` accepted: even incompressible data stays far below the 1 GiB frame cap. */
const MAX_FRAME_INPUT_OPTION = 1 << 29;

/** DBMS_MAX_COMPRESSED_SIZE: the server refuses frames above 1 GiB (header + payload). */
export const DBMS_MAX_COMPRESSED_SIZE = 0x40000000;

/** Caps applied to a frame's header before anything is allocated for it. */
export interface FrameLimits {
  /** Largest compressed_size (9-byte header + payload) accepted. */
  maxCompressedBytes: number;
  /** Largest decompressed_size accepted (also bounds what a ZSTD payload may expand to). */
  maxDecompressedBytes: number;
}

export const DEFAULT_FRAME_LIMITS: Readonly<FrameLimits> = Object.freeze({
  maxCompressedBytes: DBMS_MAX_COMPRESSED_SIZE,
  maxDecompressedBytes: DBMS_MAX_COMPRESSED_SIZE,
});

export interface CompressOptions {
  /** Input bytes per frame (default MAX_FRAME_INPUT = 1 MiB). */
  maxFrameInput?: number;
  /**
   * Shared memory that LZ4 frames made on the frame worker are written into when they fit (frame-pool.ts); the
   * frames returned are then views of it, and the caller must keep it unchanged until they are written.
   */
  into?: Uint8Array;
}

function frameInputSize(options: CompressOptions | undefined): number {
  const size = options?.maxFrameInput ?? MAX_FRAME_INPUT;
  if (!Number.isInteger(size) || size < 1 || size > MAX_FRAME_INPUT_OPTION) {
    throw new RangeError(`maxFrameInput must be an integer in [1, ${MAX_FRAME_INPUT_OPTION}], got ${size}`);
  }
  return size;
}

/** Assembles one frame around `payload` and checksums it: one allocation, one copy of the payload. */
function buildFrame(method: number, payload: Uint8Array, decompressedSize: number): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_OVERHEAD + payload.length);
  frame[16] = method;
  frame.writeUInt32LE(FRAME_HEADER_SIZE + payload.length, 17);
  frame.writeUInt32LE(decompressedSize, 21);
  frame.set(payload, FRAME_OVERHEAD);
  // The checksum covers the header and the payload, i.e. everything after itself (§5.2).
  if (native) native.cityHash128(frame, CHECKSUM_SIZE, frame.length, frame, 0);
  else cityHash128Into(frame, CHECKSUM_SIZE, frame.length, frame, 0);
  return frame;
}

/** Where the addon writes a checksum to compare (used synchronously, so one for the process). */
const checksumScratch = new Uint8Array(16);

/** True when the frame's first 16 bytes are the CityHash128 of the rest. */
function checksumMatches(frame: Buffer): boolean {
  if (!native) return cityHash128Equals(frame, CHECKSUM_SIZE, frame.length, frame, 0);
  native.cityHash128(frame, CHECKSUM_SIZE, frame.length, checksumScratch, 0);
  for (let i = 0; i < 16; i++) if (checksumScratch[i] !== frame[i]) return false;
  return true;
}

function checksumMismatch(frame: Buffer, frameStart: number, method: number): ProtocolError {
  const actual = cityHash128(frame, CHECKSUM_SIZE, frame.length);
  return new ProtocolError(
    `Checksum mismatch in compressed frame at byte ${frameStart} (${frame.length - CHECKSUM_SIZE} bytes, method ` +
      `${describeMethodByte(method)}): expected (low ${hex64(frame.readBigUInt64LE(0))}, high ` +
      `${hex64(frame.readBigUInt64LE(8))}) as sent, actual (low ${hex64(actual.low)}, high ` +
      `${hex64(actual.high)}): the data is corrupted`,
  );
}

/** Splits `data` into frame-sized views (none for empty data: ClickHouse never emits an empty frame either). */
function chunks(data: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, Math.min(i + size, data.length)));
  return out;
}

/**
 * Compresses `data` with LZ4 or NONE into frames, synchronously (the insert hot path: no promise per block).
 * Each frame holds at most `maxFrameInput` input bytes.
 */
export function compressToFramesSync(data: Uint8Array, method: 'lz4' | 'none', options?: CompressOptions): Buffer[] {
  const size = frameInputSize(options);
  const byte = methodByte(method);
  if (byte === METHOD_LZ4) return data.length === 0 ? [] : framesOf(packLz4Frames(data, size));
  return chunks(data, size).map((chunk) => buildFrame(byte, chunk, chunk.length));
}

/** Below this size LZ4 runs on the calling thread: a hop to another thread costs more than it saves. */
const LZ4_THREAD_POOL_MIN_BYTES = 256 * 1024;

/**
 * Compresses `data` into frames, each holding at most `maxFrameInput` (1 MiB) input bytes. ZSTD frames, and LZ4
 * frames of data of 256 KiB or more, are compressed concurrently on the libuv thread pool. LZ4HC runs on this
 * thread (our own match finder, see lz4hc.ts), one frame per event-loop turn so that other work interleaves.
 * `compression` is a method name or `{ method, level }` (a RangeError names a bad level). Empty data gives no frame.
 */
export async function compressToFrames(
  data: Uint8Array,
  compression: Compression,
  options?: CompressOptions,
): Promise<Buffer[]> {
  const { method, level } = resolveCompression(compression);
  const size = frameInputSize(options);
  if (method === 'lz4hc') {
    const frames: Buffer[] = [];
    for (const chunk of chunks(data, size)) {
      if (frames.length > 0) await new Promise((resolve) => setImmediate(resolve));
      frames.push(buildFrame(METHOD_LZ4, lz4hcCompressBlock(chunk, level), chunk.length));
    }
    return frames;
  }
  if (method !== 'zstd' && !(method === 'lz4' && data.length >= LZ4_THREAD_POOL_MIN_BYTES)) {
    return compressToFramesSync(data, method, options);
  }
  if (method === 'lz4') {
    // Large LZ4 data is compressed and checksummed on the frame worker, or else on the libuv thread pool: the
    // insert pipeline encodes the next block meanwhile.
    const framed = lz4FramesInWorker(data, size, options?.into);
    if (framed) return framed;
    // The addon makes the same frames as the worker would, in one call here (bench/codecs.ts: several times
    // lz4-napi's speed): no hop to the thread pool and back per frame.
    if (native) return framesOf(packLz4Frames(data, size, options?.into));
    return Promise.all(
      chunks(data, size).map(async (chunk) => buildFrame(METHOD_LZ4, await lz4CompressBlockAsync(chunk), chunk.length)),
    );
  }
  return Promise.all(
    chunks(data, size).map(async (chunk) => buildFrame(METHOD_ZSTD, await zstdCompress(chunk, level), chunk.length)),
  );
}

function resolveLimits(limits: Partial<FrameLimits> | undefined): FrameLimits {
  if (!limits) return DEFAULT_FRAME_LIMITS;
  return {
    maxCompressedBytes: limits.maxCompressedBytes ?? DEFAULT_FRAME_LIMITS.maxCompressedBytes,
    maxDecompressedBytes: limits.maxDecompressedBytes ?? DEFAULT_FRAME_LIMITS.maxDecompressedBytes,
  };
}

/** `ensure` with the frame's context added when the stream stops early (a ConnectionError passes through as is). */
function ensureFrameBytes(raw: ByteReader, n: number, frameStart: number, what: string): Promise<void> {
  return withFrameContext(raw.ensure(n), frameStart, what);
}

/** `buffer` (nothing joined) with the frame's context, as ensureFrameBytes. */
function bufferFrameBytes(raw: ByteReader, n: number, frameStart: number, what: string): Promise<void> {
  return raw.available >= n ? Promise.resolve() : withFrameContext(raw.buffer(n), frameStart, what);
}

async function withFrameContext(wait: Promise<void>, frameStart: number, what: string): Promise<void> {
  try {
    await wait;
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    throw new ProtocolError(
      `Truncated compressed frame at byte ${frameStart}: the stream stopped inside its ${what}: ${error.message}`,
      { cause: error },
    );
  }
}

/**
 * Frames up to this size are copied into one scratch buffer shared by every connection (each copy is used
 * synchronously, before the next frame is read): ClickHouse's frames hold at most 1 MiB of input, LZ4 may grow
 * incompressible input by 0.4%. Larger frames get memory of their own, so a rare huge frame is not kept alive.
 */
const FRAME_SCRATCH_MAX = 2 * MAX_FRAME_INPUT;
let sharedFrameScratch = Buffer.allocUnsafeSlow(0);

function frameScratch(size: number): Buffer {
  if (size > FRAME_SCRATCH_MAX) return Buffer.allocUnsafeSlow(size);
  if (sharedFrameScratch.length < size) {
    sharedFrameScratch = Buffer.allocUnsafeSlow(
      Math.min(FRAME_SCRATCH_MAX, Math.max(size, 2 * sharedFrameScratch.length)),
    );
  }
  return sharedFrameScratch;
}

function hex64(v: bigint): string {
  return `0x${v.toString(16).padStart(16, '0')}`;
}

/**
 * Reads exactly one frame from `raw` and returns its decompressed bytes. Validates, in the server's order
 * (CompressedReadBufferBase): the header's sizes against the caps before allocating or waiting for the payload,
 * the checksum of every frame, the method byte, and that decompression yields exactly decompressed_size bytes.
 * Any violation is a ProtocolError. A NONE frame's bytes are returned as a view into the raw reader's chunk, or
 * as a copy when the frame spanned chunks.
 */
export async function readFrame(raw: ByteReader, limits?: Partial<FrameLimits>): Promise<Buffer> {
  const { maxCompressedBytes, maxDecompressedBytes } = resolveLimits(limits);
  const frameStart = raw.offset;

  await ensureFrameBytes(raw, FRAME_OVERHEAD, frameStart, 'header');
  const header = raw.buf;
  const at = raw.pos;
  const method = header[at + 16]!;
  const compressedSize = header.readUInt32LE(at + 17);
  const decompressedSize = header.readUInt32LE(at + 21);
  if (compressedSize < FRAME_HEADER_SIZE || compressedSize > maxCompressedBytes) {
    throw new ProtocolError(
      `Compressed frame at byte ${frameStart} claims compressed_size ${compressedSize}: ` +
        `it must be between ${FRAME_HEADER_SIZE} and ${maxCompressedBytes} bytes (the cap, limits.max_compressed_frame_bytes)`,
    );
  }
  if (decompressedSize > maxDecompressedBytes) {
    throw new ProtocolError(
      `Compressed frame at byte ${frameStart} claims decompressed_size ${decompressedSize}, ` +
        `over the cap of ${maxDecompressedBytes} bytes (limits.max_decompressed_frame_bytes)`,
    );
  }

  if (method === METHOD_LZ4) {
    // Checked from the header alone, before waiting for the payload: a few bytes cannot claim a gigabyte.
    const payloadSize = compressedSize - FRAME_HEADER_SIZE;
    const most = lz4MaxDecompressedSize(payloadSize);
    if (decompressedSize > most) {
      throw new ProtocolError(
        `LZ4 frame at byte ${frameStart} claims decompressed_size ${decompressedSize} for a ${payloadSize}-byte ` +
          `payload; an LZ4 block of ${payloadSize} bytes decompresses to at most ${most} bytes`,
      );
    }
  }

  // The whole frame contiguous: the checksum runs over it in one pass, and LZ4 reads the header's size field. A frame
  // that spans socket chunks is copied into memory reused from frame to frame (see takeCopy), not joined into fresh
  // memory: what is decoded from it below is copied out of it before anything else can reuse it.
  const frameSize = CHECKSUM_SIZE + compressedSize;
  await bufferFrameBytes(raw, frameSize, frameStart, `${compressedSize - FRAME_HEADER_SIZE}-byte payload`);
  const scratch = frameScratch(frameSize);
  // The frame from its checksum (offset 0) to its end.
  const frame = raw.takeCopy(frameSize, scratch);
  const copied = frame.buffer === scratch.buffer;
  if (method === METHOD_LZ4 && native) {
    // One call into C checks the checksum and decodes the block straight into memory of the frame's exact size (the
    // reader's own chunk: takeAligned may move a column onto an aligned address in it).
    const out = Buffer.allocUnsafe(decompressedSize);
    const got = native.decodeLz4Frame(frame, out);
    if (got === -1) throw checksumMismatch(frame, frameStart, method);
    if (got !== decompressedSize) {
      throw new ProtocolError(
        `Cannot decompress the LZ4 frame at byte ${frameStart}: its block is malformed (a length or offset ` +
          `outside the ${compressedSize - FRAME_HEADER_SIZE}-byte block or the output so far), or it does not ` +
          `decompress to the ${decompressedSize} bytes its header says`,
      );
    }
    return out;
  }
  if (!checksumMatches(frame)) throw checksumMismatch(frame, frameStart, method);
  const payload = frame.subarray(FRAME_OVERHEAD);

  let out: Buffer;
  if (method === METHOD_NONE) {
    // A view into the raw reader's chunk (it never writes into its chunks; a reader of the decompressed bytes may
    // move bytes it has consumed, behind the raw reader's position), or a copy out of the scratch.
    out = copied ? Buffer.from(payload) : payload;
  } else if (method === METHOD_LZ4) {
    // [decompressed_size UInt32 LE][LZ4 block] is already laid out in the frame: bytes 21 .. end.
    out = decode(frameStart, 'LZ4', () => lz4DecompressSizePrefixed(frame.subarray(21)));
  } else if (method === METHOD_ZSTD) {
    const bound = zstdOutputBound(frame, FRAME_OVERHEAD, frameSize);
    if (bound > maxDecompressedBytes) {
      throw new ProtocolError(
        `ZSTD payload of the compressed frame at byte ${frameStart} could expand to ${bound} bytes, ` +
          `over the cap of ${maxDecompressedBytes} bytes (limits.max_decompressed_frame_bytes)`,
      );
    }
    // Decompressed on the thread pool while other connections read frames: never from the shared scratch.
    out = await decodeAsync(frameStart, 'ZSTD', () =>
      zstdDecompress(copied ? Buffer.from(payload) : payload, decompressedSize),
    );
  } else {
    throw new ProtocolError(
      `Compressed frame at byte ${frameStart} uses method byte ${describeMethodByte(method)}: ` +
        `only NONE (0x02), LZ4 (0x82) and ZSTD (0x90) are valid on the wire`,
    );
  }
  if (out.length !== decompressedSize) {
    throw new ProtocolError(
      `Compressed frame at byte ${frameStart} (method ${describeMethodByte(method)}) decompressed to ` +
        `${out.length} bytes, but its header says ${decompressedSize}`,
    );
  }
  return out;
}

function decode(frameStart: number, codec: string, run: () => Buffer): Buffer {
  try {
    return run();
  } catch (error) {
    throw new ProtocolError(`Cannot decompress the ${codec} frame at byte ${frameStart}: ${String(error)}`, {
      cause: error,
    });
  }
}

async function decodeAsync(frameStart: number, codec: string, run: () => Promise<Buffer>): Promise<Buffer> {
  try {
    return await run();
  } catch (error) {
    throw new ProtocolError(`Cannot decompress the ${codec} frame at byte ${frameStart}: ${String(error)}`, {
      cause: error,
    });
  }
}

/**
 * A pull source of decompressed bytes, one frame per pull: `new ByteReader({ pull: decompressingSource(raw) })`
 * reads the decompressed stream. The caller decides when to stop pulling; a block never ends inside a frame, so the
 * raw reader is left on a frame boundary.
 */
export function decompressingSource(raw: ByteReader, limits?: Partial<FrameLimits>): ChunkSource {
  const resolved = resolveLimits(limits);
  return () => readFrame(raw, resolved);
}
