/**
 * LZ4 high compression: a raw LZ4 block (the same block format as fast LZ4, so the same 0x82 method byte,
 * ClickHouse CompressionCodecLZ4HC inherits CompressionCodecLZ4's method byte) found with a deeper match search.
 *
 * Why our own: lz4-napi (lz4_flex) has no HC mode, and no maintained HC binding installs prebuilt here. The block
 * format (lz4 docs, "LZ4 Block Format Description") is small: sequences of a token (literal length << 4 | match
 * length - 4), literal-length extension bytes, the literals, a 2-byte LE offset (1..65535), match-length extension
 * bytes; the last 5 bytes are literals and the last match starts at least 12 bytes before the end. What makes it
 * "HC" is the match finder: a hash chain over every position of the 64 KiB window, searched `1 << (level - 1)`
 * candidates deep (level 1..12, default 9 as LZ4HC_CLEVEL_DEFAULT), with one step of lazy matching from level 4.
 * Any valid block decodes with every LZ4 decoder; the server decompresses it like any LZ4 frame.
 */

const MIN_MATCH = 4;
/** The last LAST_LITERALS bytes of a block are always literals. */
const LAST_LITERALS = 5;
/** A match may not start within the last MF_LIMIT bytes. */
const MF_LIMIT = 12;
const MAX_OFFSET = 65_535;
const HASH_LOG = 16;
const WINDOW_MASK = 0xffff;

export const LZ4HC_MIN_LEVEL = 1;
export const LZ4HC_MAX_LEVEL = 12;
export const LZ4HC_DEFAULT_LEVEL = 9;

/** The most bytes an LZ4 block of `n` input bytes can take (LZ4_COMPRESSBOUND). */
function compressBound(n: number): number {
  return n + Math.floor(n / 255) + 16;
}

function read32(data: Uint8Array, p: number): number {
  return (data[p]! | (data[p + 1]! << 8) | (data[p + 2]! << 16) | (data[p + 3]! << 24)) >>> 0;
}

function hash4(data: Uint8Array, p: number): number {
  return Math.imul(read32(data, p), 2654435761) >>> (32 - HASH_LOG);
}

/** Reused between calls on one thread: the tables are 384 KiB, cleared per block. */
let head: Int32Array | undefined;
let chain: Uint16Array | undefined;

/** Compresses `data` into one raw LZ4 block with the LZ4HC-style search of `level` (validated by the caller). */
export function lz4hcCompressBlock(data: Uint8Array, level: number = LZ4HC_DEFAULT_LEVEL): Buffer {
  const n = data.length;
  const out = Buffer.allocUnsafe(compressBound(n));
  let op = 0;
  let anchor = 0; // first byte not yet emitted

  const emit = (literalEnd: number, offset: number, matchLength: number): void => {
    const literals = literalEnd - anchor;
    const tokenAt = op++;
    let token = (literals >= 15 ? 15 : literals) << 4;
    if (literals >= 15) {
      let rest = literals - 15;
      for (; rest >= 255; rest -= 255) out[op++] = 255;
      out[op++] = rest;
    }
    out.set(data.subarray(anchor, literalEnd), op);
    op += literals;
    if (matchLength > 0) {
      out[op++] = offset & 0xff;
      out[op++] = offset >>> 8;
      const extra = matchLength - MIN_MATCH;
      token |= extra >= 15 ? 15 : extra;
      if (extra >= 15) {
        let rest = extra - 15;
        for (; rest >= 255; rest -= 255) out[op++] = 255;
        out[op++] = rest;
      }
    }
    out[tokenAt] = token;
  };

  const matchLimit = n - MF_LIMIT; // a match starts before this
  if (n > MF_LIMIT) {
    head ??= new Int32Array(1 << HASH_LOG);
    chain ??= new Uint16Array(WINDOW_MASK + 1);
    head.fill(-1);
    const heads = head;
    const links = chain;
    const depth = 1 << (Math.min(Math.max(level, LZ4HC_MIN_LEVEL), LZ4HC_MAX_LEVEL) - 1);
    const lazy = level >= 4;
    const matchEndLimit = n - LAST_LITERALS; // a match ends at or before this
    let inserted = 0; // positions [0, inserted) are in the chain

    const insertUpTo = (p: number): void => {
      for (; inserted < p; inserted++) {
        const h = hash4(data, inserted);
        const previous = heads[h]!;
        const delta = previous < 0 ? 0 : inserted - previous;
        links[inserted & WINDOW_MASK] = delta > MAX_OFFSET ? 0 : delta;
        heads[h] = inserted;
      }
    };

    // The longest match for position p (length 0 when none of MIN_MATCH bytes or more); offset in bestOffset.
    let bestOffset = 0;
    const findMatch = (p: number): number => {
      insertUpTo(p);
      const first = read32(data, p);
      let candidate = heads[hash4(data, p)]!;
      let bestLength = 0;
      let attempts = depth;
      while (candidate >= 0 && p - candidate <= MAX_OFFSET && attempts-- > 0) {
        if (data[candidate + bestLength] === data[p + bestLength] && read32(data, candidate) === first) {
          let length = MIN_MATCH;
          while (p + length < matchEndLimit && data[candidate + length] === data[p + length]) length++;
          if (length > bestLength) {
            bestLength = length;
            bestOffset = p - candidate;
            if (p + length >= matchEndLimit) break;
          }
        }
        const delta = links[candidate & WINDOW_MASK]!;
        if (delta === 0) break;
        candidate -= delta;
      }
      return bestLength;
    };

    let p = 0;
    while (p < matchLimit) {
      let length = findMatch(p);
      if (length < MIN_MATCH) {
        p++;
        continue;
      }
      let offset = bestOffset;
      // Lazy step: a longer match starting one byte later is worth a literal.
      if (lazy && p + 1 < matchLimit) {
        const next = findMatch(p + 1);
        if (next > length + 1) {
          p++;
          length = next;
          offset = bestOffset;
        }
      }
      emit(p, offset, length);
      p += length;
      anchor = p;
    }
  }
  emit(n, 0, 0); // the final literals-only sequence (for an empty input: a single 0 token)
  return out.subarray(0, op);
}
