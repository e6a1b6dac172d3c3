/**
 * The native addon (native/clickhouse_native.c, loaded by src/compression/native.ts) against the fallback it
 * replaces: the same CityHash128 bytes as our TypeScript (and the golden vectors); LZ4 blocks that lz4-napi decodes
 * and lz4-napi blocks that it decodes, for every shape of data and the sizes at the format's edges; blocks that keep
 * the end rules the server checks; and hostile input (truncated, mutated, oversized) refused with -1 or a
 * ProtocolError, never a read or write outside the buffers given.
 *
 * The addon is loaded here directly from where scripts/build-native.mjs puts it, so these comparisons also run in
 * the unit tier's CLICKHOUSE_NATIVE_ADDON=0 pass (where the client itself uses the fallback).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compressSync as lz4napiCompress, uncompressSync as lz4napiUncompress } from 'lz4-napi';
import { describe, expect, it } from 'vitest';
import { cityHash128Into } from '../../src/compression/cityhash.js';
import { MAX_FRAME_INPUT, readFrame } from '../../src/compression/frame.js';
import { packLz4Frames } from '../../src/compression/lz4-frames.js';
import { LZ4_ENGINE, native, type NativeCodecs } from '../../src/compression/native.js';
import { ProtocolError } from '../../src/errors.js';
import { ByteReader } from '../../src/protocol/reader.js';
import { runToExit, runtimeArgs } from '../harness/child.js';
import { GOLDEN, mixedBytes, pseudoRandomBytes, rejectionOf } from './helpers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const addonFile = path.join(root, `prebuilds/${process.platform}-${process.arch}/clickhouse_native.node`);
const addon = createRequire(import.meta.url)(addonFile) as NativeCodecs;
const addonOff = process.env.CLICKHOUSE_NATIVE_ADDON === '0';

const lz4napiBlock = (data: Uint8Array) => lz4napiCompress(Buffer.from(data)).subarray(4);
function lz4napiDecode(block: Uint8Array, size: number): Buffer {
  const prefixed = Buffer.alloc(4 + block.length);
  prefixed.writeUInt32LE(size, 0);
  prefixed.set(block, 4);
  return lz4napiUncompress(prefixed);
}

function addonBlock(data: Uint8Array): Buffer {
  const out = Buffer.alloc(data.length + Math.floor(data.length / 255) + 16);
  const size = addon.lz4Compress(data, out);
  expect(size).toBeGreaterThan(0);
  return out.subarray(0, size);
}

/** Decodes into a view with guard bytes on both sides, and checks the guards were not touched. */
function guardedDecode(block: Uint8Array, size: number): { got: number; out: Buffer } {
  const memory = Buffer.alloc(size + 64, 0xa5);
  const out = memory.subarray(32, 32 + size);
  const got = addon.lz4Decompress(block, out);
  expect(memory.subarray(0, 32).every((b) => b === 0xa5) && memory.subarray(32 + size).every((b) => b === 0xa5)).toBe(
    true,
  );
  return { got, out };
}

/**
 * The end rules of the LZ4 block format, which ClickHouse's decoder relies on: the block ends with a sequence of
 * literals only, every match ends at least 5 bytes before the end (LAST_LITERALS) and starts at least 12 bytes
 * before it (MF_LIMIT). One expectation per block (a block of UInt64s holds 100,000 matches).
 */
function checkEndRules(block: Uint8Array, size: number): void {
  let ip = 0;
  let op = 0;
  let broken = '';
  const length = (base: number): number => {
    let n = base;
    if (base === 15) {
      let b: number;
      do {
        b = block[ip++]!;
        n += b;
      } while (b === 255);
    }
    return n;
  };
  for (;;) {
    const token = block[ip++]!;
    const literals = length(token >> 4);
    ip += literals;
    op += literals;
    if (ip === block.length) break;
    ip += 2;
    const match = length(token & 15) + 4;
    if (size - op < 12) broken ||= `a match starts at ${op} of ${size}`;
    op += match;
    if (size - op < 5) broken ||= `a match ends at ${op} of ${size}`;
  }
  expect(broken).toBe('');
  expect(op).toBe(size);
}

const EDGE_SIZES = [
  0,
  1,
  2,
  4,
  5,
  11,
  12,
  13,
  14,
  15,
  16,
  17,
  19,
  20,
  31,
  32,
  33,
  64,
  255,
  256,
  270,
  4096,
  65_535,
  65_536,
  65_537,
  MAX_FRAME_INPUT,
  MAX_FRAME_INPUT + 1,
];
const KINDS: Record<string, (n: number) => Buffer> = {
  random: (n) => pseudoRandomBytes(n, 7),
  zeros: (n) => Buffer.alloc(n),
  'repetitive (period 3)': (n) => Buffer.from(Array.from({ length: n }, (_, i) => 'abc'.charCodeAt(i % 3))),
  'UInt64 counting up': (n) => {
    const out = Buffer.alloc(n);
    for (let i = 0; i + 8 <= n; i += 8) out.writeBigUInt64LE(BigInt(i >> 3), i);
    return out;
  },
  mixed: (n) => mixedBytes(n, 3),
  text: (n) =>
    Buffer.from('The quick brown fox jumps over the lazy dog, 0123456789. '.repeat(Math.ceil(n / 57) + 1)).subarray(
      0,
      n,
    ),
};

describe('the native addon loader', () => {
  it('loads the addon here unless CLICKHOUSE_NATIVE_ADDON=0 (this machine builds it), and the variable forces the fallback', async () => {
    if (addonOff) expect(native).toBeUndefined();
    else if (!('Bun' in globalThis) && !('Deno' in globalThis)) expect(native).toBeDefined();
    const fixture = path.join(root, 'test/compression/native-engine-fixture.mts');
    const engineIn = async (flag: string) =>
      (
        await runToExit(runtimeArgs(fixture), { cwd: root, env: { ...process.env, CLICKHOUSE_NATIVE_ADDON: flag } })
      ).stdout.trim();
    expect(await engineIn('0')).toBe('lz4-napi + TypeScript CityHash');
    // Bun and Deno load it too where they implement the Node-API calls it makes; else they fall back silently.
    expect(['native addon', 'lz4-napi + TypeScript CityHash']).toContain(await engineIn('1'));
    if (!('Bun' in globalThis) && !('Deno' in globalThis)) expect(await engineIn('1')).toBe('native addon');
    expect(LZ4_ENGINE).toBe(native ? 'native addon' : 'lz4-napi + TypeScript CityHash');
  });
});

describe('CityHash128 v1.0.2: the addon gives the TypeScript bytes', () => {
  const both = (data: Uint8Array, start: number, end: number) => {
    const ours = Buffer.alloc(20, 0x11);
    const theirs = Buffer.alloc(20, 0x11);
    addon.cityHash128(data, start, end, ours, 2);
    cityHash128Into(data, start, end, theirs, 2);
    return { ours, theirs };
  };

  it('on the golden vectors (go-faster/city ch128.csv)', () => {
    const rows = readFileSync(`${GOLDEN}/cityhash/ch128.csv`, 'utf8').split('\n').filter(Boolean);
    expect(rows.length).toBeGreaterThan(10);
    for (const row of rows) {
      const [input, low, high] = row.split(',') as [string, string, string];
      const data = Buffer.from(input, 'utf8');
      const out = Buffer.alloc(16);
      addon.cityHash128(data, 0, data.length, out, 0);
      expect([out.readBigUInt64LE(0), out.readBigUInt64LE(8)], input).toEqual([
        BigInt(`0x${low}`),
        BigInt(`0x${high}`),
      ]);
    }
  });

  it('on every length up to 1,100 bytes, at every alignment, and on 1 MiB', () => {
    const data = pseudoRandomBytes(1_200, 5);
    for (let length = 0; length <= 1_100; length++) {
      const start = length % 8;
      const { ours, theirs } = both(data, start, start + length);
      expect(ours.equals(theirs), `length ${length}`).toBe(true);
    }
    const big = mixedBytes(MAX_FRAME_INPUT + 3);
    const { ours, theirs } = both(big, 3, big.length);
    expect(ours.equals(theirs)).toBe(true);
    expect(ours[0]).toBe(0x11); // nothing written before outOffset
  });

  it('refuses ranges outside its buffers', () => {
    const data = Buffer.alloc(10);
    const out = Buffer.alloc(16);
    expect(() => addon.cityHash128(data, 0, 11, out, 0)).toThrow(RangeError);
    expect(() => addon.cityHash128(data, 5, 4, out, 0)).toThrow(RangeError);
    expect(() => addon.cityHash128(data, -1, 4, out, 0)).toThrow(RangeError);
    expect(() => addon.cityHash128(data, 0, 4, out, 1)).toThrow(RangeError);
    expect(() => addon.cityHash128(data, 0, 4, Buffer.alloc(15), 0)).toThrow(RangeError);
    expect(() => addon.cityHash128(data, 0.5, 4, out, 0)).toThrow(RangeError);
    expect(() => addon.cityHash128([1, 2] as unknown as Uint8Array, 0, 1, out, 0)).toThrow(TypeError);
    expect(() => addon.cityHash128(new Uint16Array(4) as unknown as Uint8Array, 0, 1, out, 0)).toThrow(TypeError);
  });
});

describe('LZ4 blocks: the addon and lz4-napi decode each other', () => {
  for (const [kind, make] of Object.entries(KINDS)) {
    it(`${kind}, sizes 0 .. 1 MiB + 1`, () => {
      for (const size of EDGE_SIZES) {
        const data = make(size);
        const ours = addonBlock(data);
        checkEndRules(ours, size);
        if (size > 0) expect(lz4napiDecode(ours, size).equals(data), `lz4-napi decodes ours, ${size}`).toBe(true);
        const back = guardedDecode(ours, size);
        expect(back.got).toBe(size);
        expect(back.out.equals(data), `we decode ours, ${size}`).toBe(true);
        const theirs = guardedDecode(lz4napiBlock(data), size);
        expect(theirs.got).toBe(size);
        expect(theirs.out.equals(data), `we decode lz4-napi's, ${size}`).toBe(true);
      }
    });
  }

  it('compresses repetitive data well and never grows input past the bound', () => {
    expect(addonBlock(Buffer.alloc(MAX_FRAME_INPUT)).length).toBeLessThan(5_000);
    const random = pseudoRandomBytes(MAX_FRAME_INPUT, 9);
    expect(addonBlock(random).length).toBeLessThanOrEqual(random.length + Math.floor(random.length / 255) + 16);
  });

  it('a destination too small is -1, nothing written past it', () => {
    for (const data of [pseudoRandomBytes(5_000, 2), mixedBytes(70_000), Buffer.alloc(3)]) {
      const needed = addonBlock(data).length;
      for (const room of [0, 1, needed >> 1, needed - 1]) {
        const memory = Buffer.alloc(room + 32, 0x5a);
        expect(addon.lz4Compress(data, memory.subarray(0, room))).toBe(-1);
        expect(memory.subarray(room).every((b) => b === 0x5a)).toBe(true);
      }
    }
  });

  it('refuses overlapping source and destination, and what is not a Uint8Array', () => {
    const memory = Buffer.alloc(1000);
    expect(() => addon.lz4Compress(memory.subarray(0, 500), memory.subarray(400))).toThrow(RangeError);
    expect(() => addon.lz4Decompress(memory.subarray(0, 500), memory.subarray(499))).toThrow(RangeError);
    expect(() => addon.lz4Compress('abc' as unknown as Uint8Array, memory)).toThrow(TypeError);
  });
});

describe('LZ4 decoding of hostile blocks: -1, never outside the buffers', () => {
  const data = mixedBytes(20_000, 4);
  const block = addonBlock(data);

  it('every truncation of a block', () => {
    for (let cut = 0; cut < block.length; cut++) {
      expect(guardedDecode(block.subarray(0, cut), data.length).got, `cut at ${cut}`).not.toBe(data.length);
    }
  });

  it('a destination smaller or larger than the block decodes to', () => {
    expect(guardedDecode(block, data.length - 1).got).toBe(-1);
    expect(guardedDecode(block, 0).got).toBe(-1);
    expect(guardedDecode(block, data.length + 100).got).toBe(data.length);
  });

  it('offsets before the output, zero offsets, lengths past either end', () => {
    const cases = [
      [0x00, 0x01, 0x00], // a match at output 0
      [0x10, 0x41, 0x00, 0x00], // offset 0
      [0x10, 0x41, 0x02, 0x00, 0x00], // offset 2 with 1 byte of output
      [0xf0], // literal length extension missing
      [0xf0, 0xff], // ... runs off the end
      [0x50, 1, 2], // 5 literals announced, 2 present
      [0x1f, 0x41, 0x01, 0x00], // match length extension missing
      [0x1f, 0x41, 0x01, 0x00, 0xff, 0xff, 0xff, 0x10], // a match longer than the output
      [0x11, 0x41, 0x01], // half an offset after literals
      [0x10, 0x41, 0x01, 0x00], // a block that ends with a match, not literals
      [0x00, 0x08, 0x00, ...Array(40).fill(0)], // the short-sequence path: a match before the output's start
    ];
    for (const bytes of cases) {
      expect(guardedDecode(Buffer.from(bytes), 40).got, JSON.stringify(bytes)).toBe(-1);
    }
    expect(guardedDecode(Buffer.alloc(0), 0).got).toBe(-1);
    expect(guardedDecode(Buffer.from([0x00]), 0).got).toBe(0); // the empty block
  });

  it('4,000 random mutations of valid blocks', () => {
    let seed = 12_345;
    const next = () => (seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0);
    // UInt64s counting up: every sequence takes the decoder's short-sequence path, far from both ends.
    const blocks = [
      block,
      addonBlock(Buffer.alloc(3_000, 7)),
      addonBlock(KINDS.text!(5_000)),
      addonBlock(KINDS['UInt64 counting up']!(8_000)),
      lz4napiBlock(KINDS['UInt64 counting up']!(8_000)),
    ];
    const sizes = [data.length, 3_000, 5_000, 8_000, 8_000];
    for (let i = 0; i < 4_000; i++) {
      const which = i % blocks.length;
      const bad = Buffer.from(blocks[which]!);
      for (let k = 1 + (next() % 4); k > 0; k--) bad[next() % bad.length] = next() & 0xff;
      const got = guardedDecode(bad, sizes[which]!).got;
      expect(got === -1 || (got >= 0 && got <= sizes[which]!)).toBe(true);
    }
  });
});

describe('LZ4 frames: the addon packs what the fallback reads, and verifies+decodes in one call', () => {
  it('packLz4Frames: frames whose checksums the TypeScript CityHash accepts and lz4-napi decodes', () => {
    const data = mixedBytes(3 * MAX_FRAME_INPUT + 17);
    const out = Buffer.alloc(data.length * 2);
    const size = addon.packLz4Frames(data, MAX_FRAME_INPUT, out);
    let at = 0;
    const parts: Buffer[] = [];
    while (at < size) {
      const end = at + 16 + out.readUInt32LE(at + 17);
      const sum = Buffer.alloc(16);
      cityHash128Into(out, at + 16, end, sum, 0);
      expect(sum.equals(out.subarray(at, at + 16))).toBe(true);
      expect(out[at + 16]).toBe(0x82);
      parts.push(lz4napiDecode(out.subarray(at + 25, end), out.readUInt32LE(at + 21)));
      at = end;
    }
    expect(parts).toHaveLength(4);
    expect(Buffer.concat(parts).equals(data)).toBe(true);
    expect(addon.packLz4Frames(data, MAX_FRAME_INPUT, out.subarray(0, size - 1))).toBe(-1);
    expect(addon.packLz4Frames(Buffer.alloc(0), MAX_FRAME_INPUT, out)).toBe(0);
    expect(() => addon.packLz4Frames(data, 0, out)).toThrow(RangeError);
  });

  it('the client packs frames with the engine in use, and they read back', async () => {
    const data = mixedBytes(2 * MAX_FRAME_INPUT + 5);
    const { bytes, ends } = packLz4Frames(data, MAX_FRAME_INPUT);
    expect(ends).toHaveLength(3);
    const reader = ByteReader.from(bytes);
    const parts: Buffer[] = [];
    while (!reader.drained) parts.push(await readFrame(reader));
    expect(Buffer.concat(parts).equals(data)).toBe(true);
  });

  it('decodeLz4Frame: -1 for a bad checksum, -2 for a header not describing the frame, -3 for a bad block', () => {
    const data = KINDS.text!(3_000);
    const frame = Buffer.alloc(4_000);
    const size = addon.packLz4Frames(data, MAX_FRAME_INPUT, frame);
    const good = frame.subarray(0, size);
    expect(addon.decodeLz4Frame(good, Buffer.alloc(3_000))).toBe(3_000);
    const flipped = Buffer.from(good);
    flipped[30]! ^= 1;
    expect(addon.decodeLz4Frame(flipped, Buffer.alloc(3_000))).toBe(-1);
    expect(addon.decodeLz4Frame(good, Buffer.alloc(2_999))).toBe(-2);
    expect(addon.decodeLz4Frame(good.subarray(0, 24), Buffer.alloc(3_000))).toBe(-2);
    const badBlock = Buffer.from(good);
    badBlock[25] = 0xf0; // the first token now announces more literals than there are
    badBlock[26] = 0xff;
    cityHash128Into(badBlock, 16, badBlock.length, badBlock, 0);
    expect(addon.decodeLz4Frame(badBlock, Buffer.alloc(3_000))).toBe(-3);
  });

  it('readFrame turns every mutation of a frame into a ProtocolError or the exact bytes (fuzz, 1,500 frames)', async () => {
    const data = mixedBytes(6_000, 8);
    const { bytes } = packLz4Frames(data, MAX_FRAME_INPUT);
    let seed = 99;
    const next = () => (seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0);
    for (let i = 0; i < 1_500; i++) {
      const bad = Buffer.from(bytes);
      for (let k = 1 + (next() % 3); k > 0; k--) bad[next() % bad.length] = next() & 0xff;
      // Half of them with the checksum made valid again, so that the block decoder sees the damage.
      if (i % 2 === 0 && bad.length >= 25) cityHash128Into(bad, 16, bad.length, bad, 0);
      try {
        const out = await readFrame(ByteReader.from(bad));
        expect(out.length).toBe(bad.readUInt32LE(21));
      } catch (error) {
        expect(error).toBeInstanceOf(ProtocolError);
      }
    }
    expect(await rejectionOf(readFrame(ByteReader.from(bytes.subarray(0, bytes.length - 1))))).toBeInstanceOf(
      ProtocolError,
    );
  });
});
