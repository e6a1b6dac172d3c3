/**
 * The three codecs a network client uses inside compressed frames (docs/protocol.md §5.2): their method bytes and thin
 * wrappers over the native compressors, shaped to avoid copies.
 */
import {
  compress as lz4CompressPrefixedAsync,
  compressSync as lz4CompressPrefixed,
  uncompressSync as lz4UncompressPrefixed,
} from 'lz4-napi';
import zlib from 'node:zlib';
import { ProtocolError } from '../errors.js';
import { LZ4HC_DEFAULT_LEVEL, LZ4HC_MAX_LEVEL, LZ4HC_MIN_LEVEL } from './lz4hc.js';

/**
 * The codecs this client can send. `lz4hc` is LZ4 with a deeper match search: the same block format and method
 * byte, smaller frames, slower compression; decompression is the same.
 */
export type CompressionMethod = 'lz4' | 'lz4hc' | 'zstd' | 'none';

/** A codec with its level: `{ method: 'zstd', level: 1..22 }` or `{ method: 'lz4hc', level: 1..12 }`. */
export interface CompressionOptions {
  method: CompressionMethod;
  /** zstd: 1..22 (default 1, the server's network_zstd_compression_level); lz4hc: 1..12 (default 9). */
  level?: number;
}

/** A codec as configured: a method name (its default level) or a method with a level. */
export type Compression = CompressionMethod | CompressionOptions;

/** A validated codec: `method` and the `level` it compresses with (0 for the codecs without levels). */
export interface ResolvedCompression {
  readonly method: CompressionMethod;
  readonly level: number;
}

const LEVELS: Record<CompressionMethod, { min: number; max: number; fallback: number } | undefined> = {
  none: undefined,
  lz4: undefined,
  // ClickHouse's ZSTD(level) range and its network default (network_zstd_compression_level = 1).
  zstd: { min: 1, max: 22, fallback: 1 },
  // LZ4HC_CLEVEL_MIN..MAX of lz4hc.h as ClickHouse's LZ4HC(level) accepts it, LZ4HC_CLEVEL_DEFAULT 9.
  lz4hc: { min: LZ4HC_MIN_LEVEL, max: LZ4HC_MAX_LEVEL, fallback: LZ4HC_DEFAULT_LEVEL },
};

/**
 * Validates a codec and fills in its default level. Throws a RangeError naming what is wrong (the client's config
 * turns it into a ConfigError).
 */
export function resolveCompression(compression: Compression, what = 'compression'): ResolvedCompression {
  const options: CompressionOptions | undefined =
    typeof compression === 'string'
      ? { method: compression }
      : typeof compression === 'object' && compression !== null
        ? compression
        : undefined;
  const method = options?.method;
  if (options === undefined || typeof method !== 'string' || !Object.hasOwn(LEVELS, method)) {
    throw new RangeError(
      `${what} must be one of 'lz4', 'lz4hc', 'zstd', 'none' or { method, level }, got ${JSON.stringify(compression)}`,
    );
  }
  const range = LEVELS[method];
  if (range === undefined) {
    if (options.level !== undefined) {
      throw new RangeError(
        `${what}: '${method}' has no level, got level ${String(options.level)}` +
          (method === 'lz4' ? ` (for a higher LZ4 compression use { method: 'lz4hc', level })` : ''),
      );
    }
    return { method, level: 0 };
  }
  const level = options.level ?? range.fallback;
  if (!Number.isInteger(level) || level < range.min || level > range.max) {
    throw new RangeError(
      `${what}: the ${method} level must be an integer in [${range.min}, ${range.max}], got ${String(level)}`,
    );
  }
  if (method === 'zstd' && level !== range.fallback && builtinZstd === undefined) {
    // @mongodb-js/zstd 1.x compresses at one level whatever it is asked (fixed in its 2.x, NODE-6586); a level we
    // cannot honour is refused rather than ignored.
    throw new RangeError(
      `${what}: a zstd level other than ${range.fallback} needs the built-in zstd of Node >= 22.15 (or Bun, Deno); ` +
        `this runtime (Node ${process.versions.node}) has only @mongodb-js/zstd, which ignores levels`,
    );
  }
  return { method, level };
}

/**
 * The one form a validated codec travels in: its method name when it uses the default level (so `'none'` is
 * always the string), `{ method, level }` otherwise.
 */
export function canonicalCompression(compression: Compression, what?: string): Compression {
  const { method, level } = resolveCompression(compression, what);
  const range = LEVELS[method];
  return range === undefined || level === range.fallback ? method : Object.freeze({ method, level });
}

/** `zstd`, `lz4hc(12)`: a codec as a message or toString shows it. */
export function describeCompression(compression: Compression): string {
  return typeof compression === 'string' ? compression : `${compression.method}(${String(compression.level)})`;
}

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
    case 'lz4hc':
      return METHOD_LZ4;
    case 'zstd':
      return METHOD_ZSTD;
    default:
      throw new TypeError(
        `Unknown compression method ${JSON.stringify(method)}: expected 'lz4', 'lz4hc', 'zstd' or 'none'`,
      );
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

/**
 * Node's own zstd (zlib.zstdCompress, Node >= 22.15 and 23.8; Bun and Deno have it too), or undefined: then
 * @mongodb-js/zstd, loaded on first use only, so runtimes with the built-in never load that native addon.
 */
interface BuiltinZstd {
  zstdCompress(
    data: Uint8Array,
    options: { params: Record<number, number>; pledgedSrcSize: number },
    callback: (error: Error | null, out: Buffer) => void,
  ): void;
  zstdDecompress(
    data: Uint8Array,
    options: { maxOutputLength: number },
    callback: (error: Error | null, out: Buffer) => void,
  ): void;
  constants: { ZSTD_c_compressionLevel: number; ZSTD_c_contentSizeFlag: number };
}
// Typed here because @types/node 20 (the oldest runtime we support) does not declare the zstd API.
const zlibWithZstd = zlib as unknown as Partial<BuiltinZstd>;
const builtinZstd: BuiltinZstd | undefined =
  typeof zlibWithZstd.zstdCompress === 'function' && typeof zlibWithZstd.zstdDecompress === 'function'
    ? (zlibWithZstd as BuiltinZstd)
    : undefined;

/** One zstd implementation: standard zstd frames in and out, on the libuv thread pool. */
export interface ZstdCodec {
  readonly name: 'node:zlib' | '@mongodb-js/zstd';
  compress(data: Uint8Array, level: number): Promise<Buffer>;
  /** Decompresses into at most `decompressedSize` bytes where the implementation can cap its output. */
  decompress(payload: Uint8Array, decompressedSize: number): Promise<Buffer>;
}

type ZstdAddon = typeof import('@mongodb-js/zstd');
let zstdAddon: Promise<ZstdAddon> | undefined;
function loadZstdAddon(): Promise<ZstdAddon> {
  zstdAddon ??= import('@mongodb-js/zstd');
  return zstdAddon;
}

const addonZstdCodec: ZstdCodec = {
  name: '@mongodb-js/zstd',
  async compress(data, level) {
    return (await loadZstdAddon()).compress(asBuffer(data), level);
  },
  // No output cap here: readFrame checks zstdOutputBound first.
  async decompress(payload) {
    return (await loadZstdAddon()).decompress(asBuffer(payload));
  },
};

function builtinZstdCodec(zstd: BuiltinZstd): ZstdCodec {
  return {
    name: 'node:zlib',
    compress(data, level) {
      const params = {
        [zstd.constants.ZSTD_c_compressionLevel]: level,
        // The frame header then carries the content size, as ClickHouse's ZSTD_compress writes it.
        [zstd.constants.ZSTD_c_contentSizeFlag]: 1,
      };
      return new Promise((resolve, reject) =>
        zstd.zstdCompress(data, { params, pledgedSrcSize: data.length }, (error, out) =>
          error ? reject(error) : resolve(out),
        ),
      );
    },
    decompress(payload, decompressedSize) {
      // zlib stops with ERR_BUFFER_TOO_LARGE past maxOutputLength (at least 1; an empty frame still gives 0 bytes).
      const options = { maxOutputLength: Math.max(1, decompressedSize) };
      return new Promise((resolve, reject) =>
        zstd.zstdDecompress(payload, options, (error, out) => (error ? reject(error) : resolve(out))),
      );
    },
  };
}

/** Every zstd implementation this process can use, the one in use first (the tests cross-check them). */
export const ZSTD_CODECS: readonly ZstdCodec[] = builtinZstd
  ? [builtinZstdCodec(builtinZstd), addonZstdCodec]
  : [addonZstdCodec];
const zstdInUse = ZSTD_CODECS[0]!;

/** Which zstd implementation this process uses: `node:zlib` where it exists, else `@mongodb-js/zstd`. */
export const zstdImplementation = zstdInUse.name;

/** A standard zstd frame of `data`, compressed on the libuv thread pool. ClickHouse's network default level is 1. */
export function zstdCompress(data: Uint8Array, level = 1): Promise<Buffer> {
  return zstdInUse.compress(data, level);
}

/**
 * Decompresses zstd frames on the libuv thread pool. `decompressedSize` is the frame header's size, already capped:
 * Node's zlib is given it as its output cap, so a payload that expands beyond it fails while decompressing.
 * (@mongodb-js/zstd has no output cap: readFrame checks `zstdOutputBound` first, for both.)
 */
export function zstdDecompress(payload: Uint8Array, decompressedSize: number): Promise<Buffer> {
  return zstdInUse.decompress(payload, decompressedSize);
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
 * Why: @mongodb-js/zstd (the fallback on Node < 22.15) decompresses into a buffer that grows with the output and
 * has no output cap, and a
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
