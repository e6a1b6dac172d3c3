/**
 * The three codecs a network client uses inside compressed frames (docs/protocol.md §5.2): their method bytes and thin
 * wrappers over the native compressors, shaped to avoid copies.
 */
import {
  compress as lz4CompressPrefixedAsync,
  compressSync as lz4CompressPrefixed,
  uncompressSync as lz4UncompressPrefixed,
} from 'lz4-napi';
import { compress as zstdCompressNative, decompress as zstdDecompressNative } from '@mongodb-js/zstd';
import { ProtocolError } from '../errors.js';

/** The codecs this client can send and receive. */
export type CompressionMethod = 'lz4' | 'zstd' | 'none';

/** Method bytes (ClickHouse `CompressionMethodByte`), the first byte of a frame's header. */
export const METHOD_NONE = 0x02;
export const METHOD_LZ4 = 0x82; // LZ4HC uses the same byte: the block format is identical
export const METHOD_ZSTD = 0x90;

/** The method byte a frame compressed with `method` carries. */
export function methodByte(method: CompressionMethod): number {
  switch (method) {
    case 'none':
      return METHOD_NONE;
    case 'lz4':
      return METHOD_LZ4;
    case 'zstd':
      return METHOD_ZSTD;
    default:
      throw new TypeError(`Unknown compression method ${JSON.stringify(method)}: expected 'lz4', 'zstd' or 'none'`);
  }
}

/** Codec names of the other method bytes, only to make an error message say what the server sent. */
const COLUMN_CODEC_NAMES: Record<number, string> = {
  0x91: 'Multiple',
  0x92: 'Delta',
  0x93: 'T64',
  0x94: 'DoubleDelta',
  0x95: 'Gorilla',
  0x96: 'AES_128_GCM_SIV',
  0x97: 'AES_256_GCM_SIV',
  0x98: 'FPC',
  0x99: 'DEFLATE_QPL',
  0x9a: 'GCD',
  0x9b: 'ZSTD_QPL',
  0x9c: 'SZ3',
};

/** "0x91 (Multiple)" for a known ClickHouse method byte, "0x42" otherwise. */
export function describeMethodByte(byte: number): string {
  const hex = `0x${byte.toString(16).padStart(2, '0')}`;
  const known =
    byte === METHOD_NONE
      ? 'NONE'
      : byte === METHOD_LZ4
        ? 'LZ4'
        : byte === METHOD_ZSTD
          ? 'ZSTD'
          : COLUMN_CODEC_NAMES[byte];
  return known ? `${hex} (${known})` : hex;
}

function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Compresses `data` into one raw LZ4 block, the payload of an LZ4 frame. lz4-napi returns a UInt32 LE size prefix
 * followed by the block; the result is a view past that prefix (no copy).
 */
export function lz4CompressBlock(data: Uint8Array): Buffer {
  return lz4CompressPrefixed(asBuffer(data)).subarray(4);
}

/** `lz4CompressBlock` on the libuv thread pool: the same bytes, off the main thread. */
export async function lz4CompressBlockAsync(data: Uint8Array): Promise<Buffer> {
  return (await lz4CompressPrefixedAsync(asBuffer(data))).subarray(4);
}

/**
 * Decompresses one raw LZ4 block given *with its UInt32 LE decompressed size in the 4 bytes before it*: the layout
 * lz4-napi expects. In a frame the header's decompressed_size field sits right before the payload, so
 * `frame.subarray(21, end)` is exactly that layout: decompression needs no copy and no size-prefixed scratch buffer.
 * The output buffer is allocated with the prefixed size, which the caller has already capped.
 */
export function lz4DecompressSizePrefixed(sizePrefixedBlock: Uint8Array): Buffer {
  return lz4UncompressPrefixed(sizePrefixedBlock);
}

/**
 * The most bytes an LZ4 block of `blockBytes` bytes can decompress to, so that a frame claiming more is refused
 * before its output is allocated. In the block format (lz4 docs, "LZ4 Block Format Description") every output
 * byte is a literal, copied from one input byte, or part of a match. A match costs a token and a 2-byte offset and
 * copies 4 + 14 bytes, or 4 + 15 plus its length-extension bytes, which add 255 each except the last (below 255,
 * or the length would go on): k extension bytes give at most 255k + 18. A match copies from output already made
 * (its offset is at least 1), so a literal comes first; and the block ends with a literals-only sequence, so a
 * final token. The most output is then one literal and one match taking every other byte (tokens and offsets of
 * further matches give 6 bytes per byte at best, extensions 255): 1 + 255(n - 5) + 18 = 255n - 1256 for n >= 5;
 * a block without a match gives at most n - 1 (a token, then literals).
 */
export function lz4MaxDecompressedSize(blockBytes: number): number {
  return Math.max(0, blockBytes - 1, 255 * blockBytes - 1256);
}

/** A standard zstd frame of `data` (runs on the libuv thread pool). ClickHouse's network default level is 1. */
export function zstdCompress(data: Uint8Array, level = 1): Promise<Buffer> {
  return zstdCompressNative(asBuffer(data), level);
}

/** Decompresses zstd frames (runs on the libuv thread pool). Check the size bound first, see `zstdOutputBound`. */
export function zstdDecompress(payload: Uint8Array): Promise<Buffer> {
  return zstdDecompressNative(asBuffer(payload));
}

/** ZSTD_BLOCKSIZE_MAX: no block of a zstd frame regenerates more than 128 KiB. */
const ZSTD_BLOCK_MAX = 128 * 1024;
const ZSTD_MAGIC = 0xfd2fb528;
const ZSTD_FCS_FIELD = [0, 2, 4, 8];
const ZSTD_DICT_FIELD = [0, 1, 2, 4];

/**
 * An upper bound on what the zstd frames in data[start .. end) decompress to, from the frame and block headers
 * alone (a few dozen bytes per MiB are read).
 *
 * Why: @mongodb-js/zstd decompresses into a buffer that grows with the output and has no output cap, and a
 * zstd payload can expand by a factor of ~30,000 (a 128 KiB block from a handful of bytes). The frame header's
 * decompressed_size is capped, but nothing forces the payload to honour it until it has been fully decompressed.
 * Raw and RLE blocks count their exact size, compressed blocks their maximum of 128 KiB, so the bound is sound.
 * Throws a ProtocolError when the headers are malformed or run past `end`.
 */
export function zstdOutputBound(data: Uint8Array, start: number, end: number): number {
  const fail = (what: string): never => {
    throw new ProtocolError(`Malformed ZSTD payload: ${what} at payload byte ${o - start}`);
  };
  const u32 = (p: number): number =>
    (data[p]! | (data[p + 1]! << 8) | (data[p + 2]! << 16) | (data[p + 3]! << 24)) >>> 0;
  let o = start;
  let bound = 0;
  if (end - start < 4) fail('too short for a zstd frame');
  while (o < end) {
    if (end - o < 8) fail('truncated frame header');
    const magic = u32(o);
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      // Skippable frame: 4-byte magic, 4-byte size, ignored content.
      o += 8 + u32(o + 4);
      if (o > end) fail('skippable frame runs past the end');
      continue;
    }
    if (magic !== ZSTD_MAGIC) fail(`bad magic 0x${magic.toString(16)}`);
    const descriptor = data[o + 4]!;
    if (descriptor & 0x08) fail('reserved bit set in the frame header descriptor');
    const singleSegment = (descriptor >> 5) & 1;
    const fcsFlag = descriptor >> 6;
    o += 5 + (singleSegment ? 0 : 1) + ZSTD_DICT_FIELD[descriptor & 3]!;
    o += fcsFlag === 0 ? singleSegment : ZSTD_FCS_FIELD[fcsFlag]!;
    for (;;) {
      if (end - o < 3) fail('truncated block header');
      const header = data[o]! | (data[o + 1]! << 8) | (data[o + 2]! << 16);
      const type = (header >> 1) & 3;
      const size = header >>> 3;
      o += 3;
      if (type === 0) {
        bound += size; // raw
        o += size;
      } else if (type === 1) {
        bound += size; // RLE: one byte repeated `size` times
        o += 1;
      } else if (type === 2) {
        bound += ZSTD_BLOCK_MAX; // compressed
        o += size;
      } else {
        fail('reserved block type');
      }
      if (o > end) fail('block runs past the end');
      if (header & 1) break; // last block
    }
    if (descriptor & 0x04) o += 4; // content checksum
    if (o > end) fail('content checksum runs past the end');
  }
  return bound;
}
