/**
 * Real checksum vectors: a MergeTree part's column files (`<column>.bin`) are sequences of the very frames the native
 * protocol uses (same CompressedWriteBuffer: CityHash128 v1.0.2 checksum, method byte, sizes, payload). chdb writes
 * them with the engine's own LZ4 / ZSTD / NONE codecs; we walk every frame with readFrame, so each checksum and each
 * decompression is verified against ClickHouse 26.x, over frames up to the full 1 MiB.
 *
 * chdb binds one data directory per process; this file is the only one here that opens a Session.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drainPending, Session } from 'chdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cityHash128Into } from '../../src/compression/cityhash.js';
import { lz4MaxDecompressedSize } from '../../src/compression/codecs.js';
import { readFrame } from '../../src/compression/frame.js';
import { ProtocolError } from '../../src/errors.js';
import { ByteReader } from '../../src/protocol/reader.js';

const ROWS = 300_000;
let dir: string;
let session: Session;
let partPath: string;

/** The frames of one `.bin` file: their method bytes, sizes, and the concatenated decompressed bytes. */
async function walk(file: string): Promise<{ methods: Set<number>; frames: number; maxInput: number; data: Buffer }> {
  const bytes = readFileSync(join(partPath, file));
  const reader = ByteReader.from(bytes);
  const methods = new Set<number>();
  const parts: Buffer[] = [];
  let maxInput = 0;
  while (!reader.drained) {
    methods.add(bytes[reader.offset + 16]!);
    const frame = await readFrame(reader);
    maxInput = Math.max(maxInput, frame.length);
    parts.push(frame);
  }
  return { methods, frames: parts.length, maxInput, data: Buffer.concat(parts) };
}

/** A column's values as the engine serializes them (RowBinary of one fixed-size column = the column's raw bytes). */
async function rowBinary(column: string): Promise<Buffer> {
  const result = await session.queryAsync(`SELECT ${column} FROM t ORDER BY id`, { format: 'RowBinary' });
  return Buffer.from(result.bytes());
}

describe('frames in chdb MergeTree part files', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'clickhouse-native-parts-'));
    session = new Session(dir);
    // Wide parts (one .bin per column), no sparse serialization: each column file is plain frames of raw values.
    // Frames flush at 1 MiB (not at the 64 KiB granule boundary), the size the protocol uses.
    session.query(
      `CREATE TABLE t (
         id UInt64 CODEC(LZ4),
         r UInt64 CODEC(LZ4HC(9)),
         v UInt32 CODEC(ZSTD(1)),
         z UInt64 CODEC(ZSTD(1)),
         n UInt16 CODEC(NONE),
         s String CODEC(ZSTD(1)),
         zero UInt64 CODEC(LZ4)
       ) ENGINE = MergeTree ORDER BY id
       SETTINGS min_bytes_for_wide_part = 0, min_rows_for_wide_part = 0,
                ratio_of_defaults_for_sparse_serialization = 1,
                min_compress_block_size = 1048576, max_compress_block_size = 1048576`,
    );
    // r and z: multiplicative hashing makes them incompressible, so frames reach the full 1 MiB.
    session.query(
      `INSERT INTO t SELECT number, number * 11400714819323198485, number * 7 + 1,
              (number + 1) * 6364136223846793005, number % 65521 + 1, toString(number * 3), 0
       FROM numbers(${ROWS})`,
    );
    partPath = session.query(`SELECT path FROM system.parts WHERE table = 't' AND active`, 'TSVRaw').trim();
    expect(session.query(`SELECT part_type FROM system.parts WHERE table = 't' AND active`, 'TSVRaw').trim()).toBe(
      'Wide',
    );
  });

  afterAll(async () => {
    session?.close();
    await drainPending();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('LZ4 column: every checksum verifies and the bytes are the UInt64 values', async () => {
    const { methods, frames, data } = await walk('id.bin');
    expect([...methods]).toEqual([0x82]);
    expect(frames).toBeGreaterThan(1);
    const expected = Buffer.alloc(ROWS * 8);
    for (let i = 0; i < ROWS; i++) expected.writeBigUInt64LE(BigInt(i), i * 8);
    expect(data.equals(expected)).toBe(true);
  });

  it('LZ4HC column (method byte 0x82 too): incompressible values, full 1 MiB frames', async () => {
    const { methods, maxInput, data } = await walk('r.bin');
    expect([...methods]).toEqual([0x82]);
    expect(maxInput).toBe(1 << 20);
    const expected = Buffer.alloc(ROWS * 8);
    for (let i = 0; i < ROWS; i++) {
      expected.writeBigUInt64LE(BigInt.asUintN(64, BigInt(i) * 11400714819323198485n), i * 8);
    }
    expect(data.equals(expected)).toBe(true);
    expect(data.equals(await rowBinary('r'))).toBe(true);
  });

  it('LZ4 of zeros (the highest ratio ClickHouse makes) stays within the LZ4 bound; a claim beyond it is refused', async () => {
    const { methods, frames, data } = await walk('zero.bin');
    expect([...methods]).toEqual([0x82]);
    expect(data.equals(Buffer.alloc(ROWS * 8))).toBe(true);
    const bytes = readFileSync(join(partPath, 'zero.bin'));
    const compressed = bytes.readUInt32LE(17);
    const decompressed = bytes.readUInt32LE(21);
    expect(frames).toBeGreaterThan(1);
    expect(decompressed).toBe(1 << 20);
    // A full 1 MiB frame of zeros is near 255x: the bound is tight, and it holds.
    expect(decompressed / (compressed - 9)).toBeGreaterThan(250);
    expect(decompressed).toBeLessThanOrEqual(lz4MaxDecompressedSize(compressed - 9));
    // The same real frame claiming one byte more than its payload can hold (checksum made valid again) is refused
    // from its header, before its output is allocated.
    const forged = Buffer.from(bytes.subarray(0, 16 + compressed));
    forged.writeUInt32LE(lz4MaxDecompressedSize(compressed - 9) + 1, 21);
    cityHash128Into(forged, 16, forged.length, forged, 0);
    const error = await readFrame(ByteReader.from(forged)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as Error).message).toMatch(
      /^LZ4 frame at byte 0 claims decompressed_size \d+ for a \d+-byte payload/,
    );
  });

  it('ZSTD columns: every checksum verifies and the bytes are the values', async () => {
    const v = await walk('v.bin');
    expect([...v.methods]).toEqual([0x90]);
    const expected = Buffer.alloc(ROWS * 4);
    for (let i = 0; i < ROWS; i++) expected.writeUInt32LE(i * 7 + 1, i * 4);
    expect(v.data.equals(expected)).toBe(true);

    const z = await walk('z.bin');
    expect([...z.methods]).toEqual([0x90]);
    expect(z.maxInput).toBe(1 << 20);
    expect(z.data.equals(await rowBinary('z'))).toBe(true);
  });

  it('NONE column: frames of raw bytes', async () => {
    const { methods, data } = await walk('n.bin');
    expect([...methods]).toEqual([0x02]);
    const expected = Buffer.alloc(ROWS * 2);
    for (let i = 0; i < ROWS; i++) expected.writeUInt16LE((i % 65521) + 1, i * 2);
    expect(data.equals(expected)).toBe(true);
  });

  it('ZSTD String column: the string bytes (and, in the sizes-stream layout, their lengths)', async () => {
    const strings = Array.from({ length: ROWS }, (_, i) => Buffer.from(String(i * 3)));
    const chars = await walk('s.bin');
    expect([...chars.methods]).toEqual([0x90]);
    if (existsSync(join(partPath, 's.size.bin'))) {
      // Newer MergeTree String layout (serialization version 1): chars in s.bin, UInt64 lengths in s.size.bin.
      expect(chars.data.equals(Buffer.concat(strings))).toBe(true);
      const sizes = await walk('s.size.bin');
      const expected = Buffer.alloc(ROWS * 8);
      strings.forEach((s, i) => expected.writeBigUInt64LE(BigInt(s.length), i * 8));
      expect(sizes.data.equals(expected)).toBe(true);
    } else {
      // Classic layout: VarUInt length (all < 128 here: one byte) then the bytes.
      expect(chars.data.equals(Buffer.concat(strings.flatMap((s) => [Buffer.from([s.length]), s])))).toBe(true);
    }
  });
});
