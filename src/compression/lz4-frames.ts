/**
 * LZ4 frames packed into one buffer (PROTOCOL.md §5.2), the work of compressing a block's body: each frame is a
 * CityHash128 checksum, the 9-byte header (method 0x82, compressed_size, decompressed_size) and an LZ4 block of at
 * most `frameInput` input bytes. Shared by the main thread and the frame worker (frame-worker.ts), so it imports
 * nothing but the compressors and the hash: the native addon's (native.ts) when it loaded, else lz4-napi and ours.
 */
import { compressSync as lz4CompressPrefixed } from 'lz4-napi';
import { cityHash128Into } from './cityhash.js';
import { native, type NativeCodecs } from './native.js';

const CHECKSUM = 16;
const HEADER = 9;
const METHOD_LZ4 = 0x82;

export interface PackedFrames {
  /** The frames, one after another: in `into` when they fit, else a buffer of their own (a worker transfers it). */
  bytes: Buffer;
  /** The end offset of each frame in `bytes`. */
  ends: number[];
}

/**
 * Compresses `data` into LZ4 frames of at most `frameInput` input bytes each: into `into` (from its start) when they
 * fit, else into one new buffer (`into` may then have been written to: it is scratch the caller lent). Why `into`:
 * a fresh buffer per block is memory the kernel must fault in and zero page by page; measured here 8 ms per 3.4 MB
 * of frames (a 100k-row block), against 0.07 ms to copy them into a buffer reused from block to block.
 */
export function packLz4Frames(data: Uint8Array, frameInput: number, into?: Uint8Array): PackedFrames {
  if (native) return packLz4FramesNative(native, data, frameInput, into);
  const payloads: Buffer[] = [];
  let total = 0;
  for (let at = 0; at < data.length; at += frameInput) {
    const chunk = data.subarray(at, Math.min(at + frameInput, data.length));
    // lz4-napi puts the block's size (UInt32 LE) in front of it; the frame header carries that size itself.
    const payload = lz4CompressPrefixed(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)).subarray(4);
    payloads.push(payload);
    total += CHECKSUM + HEADER + payload.length;
  }
  const bytes =
    into && into.length >= total ? Buffer.from(into.buffer, into.byteOffset, total) : Buffer.allocUnsafeSlow(total);
  const ends: number[] = [];
  let pos = 0;
  for (let i = 0; i < payloads.length; i++) {
    const payload = payloads[i]!;
    const inputBytes = Math.min(frameInput, data.length - i * frameInput);
    bytes[pos + CHECKSUM] = METHOD_LZ4;
    bytes.writeUInt32LE(HEADER + payload.length, pos + CHECKSUM + 1);
    bytes.writeUInt32LE(inputBytes, pos + CHECKSUM + 5);
    bytes.set(payload, pos + CHECKSUM + HEADER);
    const end = pos + CHECKSUM + HEADER + payload.length;
    // The checksum covers the header and the payload, everything after itself (§5.2).
    cityHash128Into(bytes, pos + CHECKSUM, end, bytes, pos);
    ends.push(end);
    pos = end;
  }
  return { bytes, ends };
}

/** The most bytes the LZ4 frames of `n` input bytes can take: LZ4_COMPRESSBOUND per frame plus its 25-byte head. */
function lz4FramesBound(n: number, frameInput: number): number {
  return n + Math.ceil(n / 255) + Math.ceil(n / frameInput) * (16 + CHECKSUM + HEADER);
}

/**
 * packLz4Frames with the addon: one call into C compresses and checksums every frame straight into `into` (or one
 * new buffer of the bound's size when `into` is too small), where lz4-napi allocated each payload and we copied it.
 * bench/codecs.ts, app-shaped rows into reused memory: 713 MB/s against lz4-napi's 267 (CPU time, same run).
 */
function packLz4FramesNative(
  addon: NativeCodecs,
  data: Uint8Array,
  frameInput: number,
  into: Uint8Array | undefined,
): PackedFrames {
  let size = into ? addon.packLz4Frames(data, frameInput, into) : -1;
  let bytes: Buffer;
  if (size >= 0) {
    bytes = Buffer.from(into!.buffer, into!.byteOffset, size);
  } else {
    const out = Buffer.allocUnsafeSlow(lz4FramesBound(data.length, frameInput));
    size = addon.packLz4Frames(data, frameInput, out);
    if (size < 0) throw new Error(`LZ4 frames of ${data.length} bytes overran their bound`);
    bytes = out.subarray(0, size);
  }
  const ends: number[] = [];
  for (let end = 0; end < size;) {
    end += CHECKSUM + bytes.readUInt32LE(end + CHECKSUM + 1);
    ends.push(end);
  }
  return { bytes, ends };
}

/** The frames of a PackedFrames as views of its buffer. */
export function framesOf(packed: PackedFrames): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (const end of packed.ends) {
    out.push(packed.bytes.subarray(start, end));
    start = end;
  }
  return out;
}
