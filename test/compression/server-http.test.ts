/**
 * Frames against the run's real ClickHouse server, over its HTTP interface: `decompress=1` makes the server read the
 * request body as compressed frames (verifying each checksum, CHECKSUM_DOESNT_MATCH otherwise) and `compress=1`
 * makes it answer in frames, so both directions of our frame code meet the server's own implementation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compressToFrames, type CompressionMethod } from '../../src/compression/frame.js';
import { testServer, type TestServerInfo } from '../harness/context.js';
import { readAllFrames } from './helpers.js';

let server: TestServerInfo;
const table = `compression_frames_${process.pid}_${Date.now()}`;

async function http(
  query: string,
  options: { body?: Uint8Array | string; params?: Record<string, string> } = {},
): Promise<Buffer> {
  const params = new URLSearchParams({ database: server.database, query, ...options.params });
  const host = server.host.includes(':') ? `[${server.host}]` : server.host;
  const response = await fetch(`http://${host}:${server.httpPort}/?${params}`, {
    method: 'POST',
    headers: { 'X-ClickHouse-User': server.username, 'X-ClickHouse-Key': server.password },
    body: options.body ?? '',
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${bytes.toString('utf8').slice(0, 500)}`);
  return bytes;
}

/** TSV rows `n\tpayload`, about `size` bytes, compressible but not trivially. */
function tsvRows(size: number): { text: Buffer; rows: number } {
  const lines: string[] = [];
  let total = 0;
  for (let n = 0; total < size; n++) {
    const line = `${n}\t${'x'.repeat(n % 97)}${(n * 2654435761) % 1000003}\n`;
    lines.push(line);
    total += line.length;
  }
  return { text: Buffer.from(lines.join('')), rows: lines.length };
}

describe('frames against the real server (HTTP compress/decompress)', () => {
  beforeAll(async () => {
    server = testServer();
    // Every harness server (local or container) has an HTTP port; a CLICKHOUSE_URL server must give one too.
    if (server.httpPort === undefined)
      throw new Error('These tests need the server HTTP port: add ?http_port= to CLICKHOUSE_URL');
    await http(`CREATE TABLE ${table} (n UInt64, s String) ENGINE = Memory`);
  });
  afterAll(async () => {
    if (server) await http(`DROP TABLE IF EXISTS ${table}`);
  });

  for (const method of ['none', 'lz4', 'zstd'] as CompressionMethod[]) {
    it(`the server accepts our ${method} frames (checksums and sizes verified by the server)`, async () => {
      const { text, rows } = tsvRows(2.5 * 1024 * 1024);
      const frames = await compressToFrames(text, method);
      expect(frames.length).toBe(3);
      await http(`TRUNCATE TABLE ${table}`);
      await http(`INSERT INTO ${table} FORMAT TabSeparated`, {
        body: Buffer.concat(frames),
        params: { decompress: '1' },
      });
      // The server must have read every byte: count and content agree with what we sent.
      const back = await http(`SELECT n, s FROM ${table} ORDER BY n FORMAT TabSeparated`);
      expect(back.length).toBe(text.length);
      expect(back.equals(text)).toBe(true);
      expect((await http(`SELECT count() FROM ${table}`)).toString().trim()).toBe(String(rows));
    });
  }

  it('the server rejects a frame with a flipped payload bit (our checksum is what it verifies)', async () => {
    const { text } = tsvRows(10_000);
    const [frame] = await compressToFrames(text, 'lz4');
    const bad = Buffer.from(frame!);
    bad[bad.length - 3]! ^= 0x10;
    await expect(
      http(`INSERT INTO ${table} FORMAT TabSeparated`, { body: bad, params: { decompress: '1' } }),
    ).rejects.toThrow(/checksum|CHECKSUM/i);
  });

  // The 18.16 server answers compress=1 with LZ4 whatever network_compression_method says; its ZSTD frames are
  // covered by the chdb part files (chdb-parts.test.ts).
  it("we decode the server's LZ4 frames (compress=1)", async () => {
    const { text } = tsvRows(2.5 * 1024 * 1024);
    await http(`TRUNCATE TABLE ${table}`);
    await http(`INSERT INTO ${table} FORMAT TabSeparated`, { body: text });
    const framed = await http(`SELECT n, s FROM ${table} ORDER BY n FORMAT TabSeparated`, {
      params: { compress: '1' },
    });
    const methods = new Set<number>();
    let frames = 0;
    for (let at = 0; at < framed.length; at += 16 + framed.readUInt32LE(at + 17), frames++) {
      methods.add(framed[at + 16]!);
    }
    expect([...methods]).toEqual([0x82]);
    expect(frames).toBeGreaterThanOrEqual(3);
    const decoded = Buffer.concat(await readAllFrames(framed));
    expect(decoded.equals(text)).toBe(true);
  });
});
