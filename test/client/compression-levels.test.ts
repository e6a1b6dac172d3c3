/**
 * Compression levels live: blocks we compress at several LZ4HC and ZSTD levels are decompressed (checksum verified)
 * by the server and read back; the server's own ZSTD at several `network_zstd_compression_level`s is read by the
 * zstd implementation of this runtime (node:zlib on Node >= 22.15, Bun and Deno; @mongodb-js/zstd on Node 20:
 * the runtime matrix, scripts/runtime-matrix.sh, runs this against both).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zstdImplementation } from '../../src/compression/codecs.js';
import { ConfigError, type Compression } from '../../src/index.js';
import { admin, clientFor, uniqueTable } from './helpers.js';

const table = uniqueTable('compression_levels');
const ROWS = 60_000;

/** Compressible columns: repeated words with variation, and a counter. */
function columns(base: number): { n: BigUint64Array; s: string[]; f: Float64Array } {
  const n = BigUint64Array.from({ length: ROWS }, (_, i) => BigInt(base + i));
  const s = Array.from({ length: ROWS }, (_, i) => `event-${i % 37}-${(i * 2654435761) % 101}`);
  const f = Float64Array.from({ length: ROWS }, (_, i) => i / 8);
  return { n, s, f };
}

/** Count, sums and a hash of the strings, computed by the server over HTTP (not by the client under test). */
async function serverDigest(base: number): Promise<string> {
  return admin(
    `SELECT count(), sum(n), sum(f), sum(cityHash64(s)) FROM ${table} WHERE n >= ${base} AND n < ${base + ROWS} FORMAT TSV`,
  );
}

function expectedDigest(base: number): string {
  const { n, f } = columns(base);
  const sumN = n.reduce((a, b) => a + b, 0n);
  const sumF = f.reduce((a, b) => a + b, 0);
  return `${ROWS}\t${sumN}\t${sumF}`;
}

const LEVELS: Array<{ compression: Compression; needsBuiltinZstd: boolean }> = [
  { compression: 'lz4hc', needsBuiltinZstd: false },
  { compression: { method: 'lz4hc', level: 1 }, needsBuiltinZstd: false },
  { compression: { method: 'lz4hc', level: 12 }, needsBuiltinZstd: false },
  { compression: { method: 'zstd', level: 1 }, needsBuiltinZstd: false },
  { compression: { method: 'zstd', level: 3 }, needsBuiltinZstd: true },
  { compression: { method: 'zstd', level: 19 }, needsBuiltinZstd: true },
];

describe('compression levels against the real server', () => {
  beforeAll(async () => {
    await admin(`CREATE TABLE ${table} (n UInt64, s String, f Float64) ENGINE = Memory`);
  });
  afterAll(async () => {
    await admin(`DROP TABLE IF EXISTS ${table}`);
  });

  LEVELS.forEach(({ compression, needsBuiltinZstd }, index) => {
    it(`inserts and reads back with ${JSON.stringify(compression)}`, async () => {
      if (needsBuiltinZstd && zstdImplementation !== 'node:zlib') {
        // This runtime's zstd (@mongodb-js/zstd 1.2.2) cannot set a level: refused, not ignored.
        expect(() => clientFor({ compression })).toThrow(ConfigError);
        expect(() => clientFor({ compression })).toThrow(/needs the built-in zstd of Node >= 22.15/);
        return;
      }
      const client = clientFor({ compression });
      const base = (index + 1) * 1_000_000;
      const data = columns(base);
      expect((await client.insert({ table, values: data })).rows).toBe(ROWS);
      // The server decompressed every frame (its checksum check passed) and stored what we sent.
      const digest = await serverDigest(base);
      expect(digest.startsWith(expectedDigest(base))).toBe(true);
      // Read back through the same codec: the server compresses its answer with the same method and level.
      let rows = 0;
      const strings: string[] = [];
      const result = await client.query({
        query: `SELECT n, s FROM ${table} WHERE n >= ${base} AND n < ${base + ROWS} ORDER BY n`,
      });
      for await (const block of result.blocks()) {
        rows += block.rows;
        strings.push(...(block.columns[1]!.values as string[]));
      }
      expect(rows).toBe(ROWS);
      expect(strings).toEqual(data.s);
      await client.close();
    });
  });

  for (const level of [1, 3, 19]) {
    it(`reads the server's ZSTD at network_zstd_compression_level ${level} (${zstdImplementation})`, async () => {
      const client = clientFor({ compression: 'zstd', clickhouse_settings: { network_zstd_compression_level: level } });
      const result = await client.query({
        query: `SELECT number AS n, concat('value ', toString(number % 1000)) AS s FROM numbers(300000)`,
      });
      let rows = 0;
      let sum = 0n;
      for await (const block of result.blocks()) {
        rows += block.rows;
        for (const v of block.columns[0]!.values as BigUint64Array) sum += v;
      }
      expect(rows).toBe(300_000);
      expect(sum).toBe((299_999n * 300_000n) / 2n);
      await client.close();
    });
  }
});
