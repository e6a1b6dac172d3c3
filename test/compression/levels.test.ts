/**
 * Compression levels without a server: our LZ4HC match finder (decoded by lz4-napi, an independent LZ4 decoder),
 * level validation, and the two zstd implementations against each other.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalCompression,
  lz4CompressBlock,
  lz4DecompressSizePrefixed,
  resolveCompression,
  ZSTD_CODECS,
  zstdImplementation,
} from '../../src/compression/codecs.js';
import { compressToFrames } from '../../src/compression/frame.js';
import { lz4hcCompressBlock } from '../../src/compression/lz4hc.js';
import { ConfigError, createClient } from '../../src/index.js';
import { mixedBytes, pseudoRandomBytes, readAllFrames } from './helpers.js';

/** What lz4-napi's decoder wants: the UInt32 LE decompressed size, then the raw block. */
function lz4Decode(block: Uint8Array, size: number): Buffer {
  const prefixed = Buffer.alloc(4 + block.length);
  prefixed.writeUInt32LE(size, 0);
  prefixed.set(block, 4);
  return lz4DecompressSizePrefixed(prefixed);
}

/** Text-like data: repeated words with variation, where a deeper match search pays off. */
function textLike(n: number, seed = 1): Buffer {
  const words = ['click', 'house', 'native', 'protocol', 'block', 'column', 'insert', 'select', 'frame', 'zstd'];
  const noise = pseudoRandomBytes(n, seed);
  const parts: string[] = [];
  for (let i = 0, total = 0; total < n; i++) {
    const word = `${words[noise[i % n]! % words.length]!}${noise[(i * 7) % n]! % 13} `;
    parts.push(word);
    total += word.length;
  }
  return Buffer.from(parts.join('')).subarray(0, n);
}

describe('LZ4HC (our match finder, the LZ4 block format)', () => {
  it('any input round-trips through lz4-napi at every level (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 3000 }),
          // Few distinct bytes: long matches, overlapping copies, length extensions.
          fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 5000 }).map((a) => Uint8Array.from(a)),
        ),
        fc.integer({ min: 1, max: 12 }),
        (data, level) => {
          const block = lz4hcCompressBlock(data, level);
          expect(lz4Decode(block, data.length).equals(Buffer.from(data))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('edge sizes: empty, below the 13-byte minimum for a match, long runs (length extensions of 255s)', () => {
    for (const data of [
      Buffer.alloc(0),
      Buffer.from('abcdabcdabcd'),
      Buffer.from('abcdabcdabcda'),
      Buffer.alloc(100_000, 0x61),
      Buffer.concat([pseudoRandomBytes(300, 1), Buffer.alloc(70_000, 7), pseudoRandomBytes(300, 2)]),
    ]) {
      for (const level of [1, 9, 12]) {
        expect(lz4Decode(lz4hcCompressBlock(data, level), data.length).equals(data)).toBe(true);
      }
    }
  });

  it('compresses smaller than fast LZ4 at its default level, and higher levels are no larger than level 1', () => {
    const data = textLike(1 << 20, 5);
    const fast = lz4CompressBlock(data).length;
    const sizes = [1, 4, 9, 12].map((level) => lz4hcCompressBlock(data, level).length);
    expect(sizes[2]!).toBeLessThan(fast);
    expect(Math.max(...sizes.slice(1))).toBeLessThanOrEqual(sizes[0]!);
  });

  it('frames of 1 MiB inputs carry the LZ4 method byte 0x82 and read back', async () => {
    const data = mixedBytes(2.5 * (1 << 20), 11);
    const frames = await compressToFrames(data, { method: 'lz4hc', level: 6 });
    expect(frames.map((f) => f[16])).toEqual([0x82, 0x82, 0x82]);
    expect(Buffer.concat(await readAllFrames(Buffer.concat(frames))).equals(data)).toBe(true);
  });
});

describe('levels: validation and the canonical form', () => {
  it('fills in default levels and keeps the plain name for them', () => {
    expect(resolveCompression('zstd')).toEqual({ method: 'zstd', level: 1 });
    expect(resolveCompression('lz4hc')).toEqual({ method: 'lz4hc', level: 9 });
    expect(resolveCompression('lz4')).toEqual({ method: 'lz4', level: 0 });
    expect(canonicalCompression({ method: 'zstd', level: 1 })).toBe('zstd');
    expect(canonicalCompression({ method: 'none' })).toBe('none');
    expect(canonicalCompression({ method: 'lz4hc', level: 7 })).toEqual({ method: 'lz4hc', level: 7 });
    expect(canonicalCompression({ method: 'lz4hc', level: 9 })).toBe('lz4hc');
  });

  it('refuses bad methods and levels with a ConfigError that says what is allowed', () => {
    const cases: Array<[unknown, RegExp]> = [
      ['brotli', /compression must be one of 'lz4', 'lz4hc', 'zstd', 'none' or \{ method, level \}, got "brotli"/],
      [{ method: 'zstd', level: 0 }, /the zstd level must be an integer in \[1, 22\], got 0/],
      [{ method: 'zstd', level: 23 }, /the zstd level must be an integer in \[1, 22\], got 23/],
      [{ method: 'zstd', level: 2.5 }, /the zstd level must be an integer in \[1, 22\], got 2.5/],
      [{ method: 'lz4hc', level: 13 }, /the lz4hc level must be an integer in \[1, 12\], got 13/],
      [{ method: 'lz4', level: 3 }, /'lz4' has no level, got level 3 \(for a higher LZ4 compression use/],
      [{ method: 'none', level: 1 }, /'none' has no level/],
      [42, /compression must be one of/],
    ];
    for (const [compression, message] of cases) {
      expect(() => createClient({ compression: compression as 'lz4' }), JSON.stringify(compression)).toThrow(
        ConfigError,
      );
      expect(() => createClient({ compression: compression as 'lz4' })).toThrow(message);
    }
  });
});

describe('zstd implementations', () => {
  it('the built-in node:zlib zstd is used where the runtime has it, @mongodb-js/zstd otherwise', () => {
    const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
    const nodeHasZstd = major > 23 || (major === 23 && minor >= 8) || (major === 22 && minor >= 15);
    expect(zstdImplementation).toBe(nodeHasZstd ? 'node:zlib' : '@mongodb-js/zstd');
    expect(ZSTD_CODECS.map((codec) => codec.name)).toEqual(
      nodeHasZstd ? ['node:zlib', '@mongodb-js/zstd'] : ['@mongodb-js/zstd'],
    );
  });

  it('each implementation reads what each one wrote, at levels 1, 3, 19 and 22', async () => {
    const data = textLike(300_000, 9);
    for (const writer of ZSTD_CODECS) {
      for (const level of [1, 3, 19, 22]) {
        const compressed = await writer.compress(data, level);
        for (const reader of ZSTD_CODECS) {
          const back = await reader.decompress(compressed, data.length);
          expect(back.equals(data), `${writer.name} level ${level} read by ${reader.name}`).toBe(true);
        }
      }
    }
  });

  it('node:zlib honours the level; @mongodb-js/zstd 1.2.2 ignores it, so levels need the built-in', async () => {
    const data = textLike(1 << 20, 3);
    for (const codec of ZSTD_CODECS) {
      const [one, nineteen] = await Promise.all([1, 19].map((level) => codec.compress(data, level)));
      if (codec.name === 'node:zlib') expect(nineteen!.length, codec.name).toBeLessThan(one!.length);
      else expect(nineteen!.length, codec.name).toBe(one!.length);
    }
    const level19 = () => createClient({ compression: { method: 'zstd', level: 19 } });
    if (zstdImplementation === 'node:zlib') expect(level19).not.toThrow();
    else expect(level19).toThrow(/a zstd level other than 1 needs the built-in zstd of Node >= 22.15/);
  });
});
