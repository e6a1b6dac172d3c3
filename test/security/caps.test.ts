/**
 * Every size the server's bytes claim is checked against a cap before anything is allocated for it; a violation is
 * a ProtocolError naming the claim and the cap, and the connection that saw it is discarded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compressToFramesSync } from '../../src/compression/frame.js';
import { createClient, ProtocolError, type ClickHouseClientConfig } from '../../src/index.js';
import type { BlockLimits } from '../../src/columns/block.js';
import { ByteReader, type ReaderLimits } from '../../src/protocol/reader.js';
import { readServerPacket, type ServerMessage } from '../../src/connection/packet-reader.js';
import { ByteWriter } from '../../src/protocol/writer.js';
import { testServer } from '../harness/context.js';
import { startProxy, type Proxy } from './peers.js';

const REVISION = 54412;
const BLOCK_INFO = Buffer.from([0x01, 0x00, 0x02, 0xff, 0xff, 0xff, 0xff, 0x00]);

interface Column {
  name: string;
  type: string;
  data: Buffer;
}

/** The body of a block (BlockInfo, sizes, columns) with the given claims. */
function blockBody(rows: number, columns: Column[], columnCount = columns.length): Buffer {
  const w = new ByteWriter(256);
  w.bytes(BLOCK_INFO);
  w.varUInt(columnCount);
  w.varUInt(rows);
  for (const c of columns) {
    w.string(c.name);
    w.string(c.type);
    w.bytes(c.data);
  }
  return Buffer.from(w.finish());
}

function dataPacket(body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0x01, 0x00]), body]);
}

function u64s(...values: (number | bigint)[]): Buffer {
  const b = Buffer.alloc(8 * values.length);
  values.forEach((v, i) => b.writeBigUInt64LE(BigInt(v), 8 * i));
  return b;
}

function strings(...values: string[]): Buffer {
  const w = new ByteWriter(64);
  for (const v of values) w.string(v);
  return Buffer.from(w.finish());
}

async function decode(
  bytes: Buffer,
  options: {
    reader?: Partial<ReaderLimits>;
    block?: BlockLimits;
    compression?: boolean;
    frame?: { maxCompressedBytes?: number; maxDecompressedBytes?: number };
  } = {},
): Promise<ServerMessage> {
  const reader = ByteReader.from(bytes, options.reader);
  return readServerPacket(reader, {
    revision: REVISION,
    compression: options.compression ?? false,
    blockLimits: options.block,
    frameLimits: options.frame,
  });
}

async function protocolError(promise: Promise<unknown>): Promise<ProtocolError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProtocolError);
  return error as ProtocolError;
}

/** Heap plus ArrayBuffers, after a GC when exposed (vitest forks run without --expose-gc: then a rough figure). */
function memory(): number {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

describe('caps on sizes from the wire (decoder level)', () => {
  it('rows and columns of a block', async () => {
    const rows = await protocolError(
      decode(dataPacket(blockBody(5000, [])), { block: { maxRows: 1000, maxColumns: 10 } }),
    );
    expect(rows.message).toMatch(/Block claims 5000 rows, which exceeds the cap of 1000 \(limits\.max_block_rows\)/);
    const columns = await protocolError(
      decode(dataPacket(blockBody(0, [], 11)), { block: { maxRows: 1000, maxColumns: 10 } }),
    );
    expect(columns.message).toMatch(
      /Block claims 11 columns, which exceeds the cap of 10 \(limits\.max_block_columns\)/,
    );
    // A claim of 2^60 rows: refused from the header, nothing else read.
    const huge = await protocolError(decode(dataPacket(blockBody(2 ** 60, []))));
    expect(huge.message).toMatch(/claims 11529215046068\d+ rows/);
  });

  it('string length, in a column and in a column header', async () => {
    const column = { name: 's', type: 'String', data: strings('x'.repeat(200)) };
    const error = await protocolError(decode(dataPacket(blockBody(1, [column])), { reader: { maxStringBytes: 100 } }));
    expect(error.message).toMatch(/String of 200 bytes .* exceeds the cap of 100 bytes/);
    // A header string claiming 1 TiB, with 3 bytes behind it: refused before waiting or allocating.
    const header = Buffer.concat([
      Buffer.from([0x01, 0x00]),
      BLOCK_INFO,
      Buffer.from([1, 1]),
      Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x20]),
      Buffer.from('abc'),
    ]);
    const big = await protocolError(decode(header));
    expect(big.message).toMatch(
      /String of 1099511627776 bytes .* exceeds the cap of 1073741824 bytes \(limits\.max_string_bytes\)/,
    );
  });

  it('array offsets: over the cap, beyond 2^32, decreasing', async () => {
    const over = await protocolError(
      decode(dataPacket(blockBody(2, [{ name: 'a', type: 'Array(UInt8)', data: u64s(3, 2000) }])), {
        reader: { maxArrayElements: 1000 },
      }),
    );
    expect(over.message).toMatch(
      /Array\(UInt8\) offset of row 1 \(byte \d+\) claims 2000 elements, which exceeds the cap of 1000 \(limits\.max_array_elements\)/,
    );
    const high = await protocolError(
      decode(dataPacket(blockBody(1, [{ name: 'a', type: 'Array(UInt8)', data: u64s(2n ** 40n) }]))),
    );
    expect(high.message).toMatch(/claims 1099511627776 elements, which exceeds the cap of 4294967295/);
    const decreasing = await protocolError(
      decode(dataPacket(blockBody(3, [{ name: 'a', type: 'Array(UInt8)', data: u64s(2, 5, 4) }]))),
    );
    expect(decreasing.message).toMatch(/offsets decrease at row 2 .*: 4 after 5/);
  });

  it('Array(Array(String)): hostile inner offsets cannot bypass the cap', async () => {
    const type = 'Array(Array(String))';
    const limits = { reader: { maxArrayElements: 1000 } };
    // Outer fine (3 inner arrays), inner claims 5000 strings.
    const inner = await protocolError(
      decode(dataPacket(blockBody(1, [{ name: 'a', type, data: Buffer.concat([u64s(3), u64s(1, 2, 5000)]) }])), limits),
    );
    expect(inner.message).toMatch(
      /Array\(String\) offset of row 2 .* claims 5000 elements, which exceeds the cap of 1000/,
    );
    // Inner offsets decreasing.
    const decreasing = await protocolError(
      decode(dataPacket(blockBody(1, [{ name: 'a', type, data: Buffer.concat([u64s(3), u64s(4, 2, 6)]) }]))),
    );
    expect(decreasing.message).toMatch(/Array\(String\) offsets decrease at row 1/);
    // Outer claims more inner arrays than the cap.
    const outer = await protocolError(
      decode(dataPacket(blockBody(1, [{ name: 'a', type, data: u64s(1001) }])), limits),
    );
    expect(outer.message).toMatch(/Array\(Array\(String\)\) offset of row 0 .* claims 1001 elements/);
    // The inner claim beyond 2^32.
    const wide = await protocolError(
      decode(dataPacket(blockBody(1, [{ name: 'a', type, data: Buffer.concat([u64s(1), u64s(2n ** 33n)]) }]))),
    );
    expect(wide.message).toMatch(/claims 8589934592 elements/);
  });

  it('Array(Array(String)): a claim within the cap allocates only for the bytes that arrived', async () => {
    // 4e9 strings claimed (under the default cap), 3 present: the decoder fails at the end of the data, and memory
    // does not grow with the claim.
    const before = memory();
    const data = Buffer.concat([u64s(1), u64s(4_000_000_000), strings('a', 'b', 'c')]);
    const error = await protocolError(
      decode(dataPacket(blockBody(1, [{ name: 'a', type: 'Array(Array(String))', data }]))),
    );
    expect(error.message).toMatch(/Unexpected end of data/);
    expect(memory() - before).toBeLessThan(64 << 20);
    // The same for the outer offsets: 2^32 - 1 inner arrays claimed, their offsets never arrive.
    const outer = await protocolError(
      decode(dataPacket(blockBody(1, [{ name: 'a', type: 'Array(Array(String))', data: u64s(2 ** 32 - 1) }]))),
    );
    expect(outer.message).toMatch(/Unexpected end of data/);
    expect(memory() - before).toBeLessThan(64 << 20);
  });

  it('nesting depth of a type name', async () => {
    const deep = (n: number) => 'Array('.repeat(n) + 'UInt8' + ')'.repeat(n);
    const error = await protocolError(
      decode(dataPacket(blockBody(0, [{ name: 'a', type: deep(65), data: Buffer.alloc(0) }]))),
    );
    expect(error.message).toMatch(
      /The type of column "a" nests 65 levels deep, which exceeds the cap of 64 \(limits\.max_type_nesting_depth\)/,
    );
    // 100 000 levels would overflow the recursive parser's stack: the cap refuses it first.
    const hostile = await protocolError(
      decode(dataPacket(blockBody(0, [{ name: 'a', type: deep(100_000), data: Buffer.alloc(0) }]))),
    );
    expect(hostile.message).toMatch(/nests 100000 levels deep/);
    // Within the cap, a header block decodes; parentheses inside quoted literals do not count.
    const ok = await decode(dataPacket(blockBody(0, [{ name: 'a', type: deep(3), data: Buffer.alloc(0) }])), {
      reader: { maxNestingDepth: 3 },
    });
    expect(ok.type).toBe('data');
    const quoted = await decode(
      dataPacket(blockBody(0, [{ name: 'e', type: "Enum8('((((' = 1, ')' = 2)", data: Buffer.alloc(0) }])),
      { reader: { maxNestingDepth: 1 } },
    );
    expect(quoted.type).toBe('data');
  });

  it('compressed and decompressed frame sizes', async () => {
    const body = blockBody(1, [{ name: 's', type: 'String', data: strings('y'.repeat(5000)) }]);
    const packet = Buffer.concat([Buffer.from([0x01, 0x00]), ...compressToFramesSync(body, 'lz4')]);
    const decompressed = await protocolError(
      decode(packet, { compression: true, frame: { maxDecompressedBytes: 4096 } }),
    );
    expect(decompressed.message).toMatch(
      /claims decompressed_size \d+, over the cap of 4096 bytes \(limits\.max_decompressed_frame_bytes\)/,
    );
    const raw = Buffer.concat([Buffer.from([0x01, 0x00]), ...compressToFramesSync(body, 'none')]);
    const compressed = await protocolError(decode(raw, { compression: true, frame: { maxCompressedBytes: 1000 } }));
    expect(compressed.message).toMatch(
      /claims compressed_size \d+: it must be between 9 and 1000 bytes .*limits\.max_compressed_frame_bytes/,
    );
    // Within the caps the same packet decodes.
    const fine = await decode(packet, { compression: true });
    expect(fine.type).toBe('data');
  });
});

describe('caps through the client, against the server', () => {
  let proxy: Proxy;
  beforeAll(async () => {
    proxy = await startProxy(testServer());
  });
  afterAll(async () => {
    await proxy.close();
  });

  function client(config: ClickHouseClientConfig) {
    const server = testServer();
    return createClient({
      host: '127.0.0.1',
      port: proxy.port,
      username: server.username,
      password: server.password,
      ...config,
    });
  }

  // The block caps hold for every block, ProfileEvents blocks of modern servers too (6 columns, tens of rows): the
  // caps here sit above those, and each query's data comes in one block whatever the server's block size.
  const cases: {
    limits: ClickHouseClientConfig['limits'];
    query: string;
    message: RegExp;
    compression?: 'lz4' | 'none';
  }[] = [
    {
      limits: { max_block_rows: 1000 },
      query: 'SELECT arrayJoin(range(5000)) AS n',
      message: /Block claims 5000 rows, which exceeds the cap of 1000 \(limits\.max_block_rows\)/,
    },
    {
      limits: { max_block_columns: 8 },
      query: 'SELECT 1, 2, 3, 4, 5, 6, 7, 8, 9, 10',
      message: /Block claims 10 columns, which exceeds the cap of 8 \(limits\.max_block_columns\)/,
    },
    {
      limits: { max_string_bytes: 100 },
      query: "SELECT arrayStringConcat(arrayMap(x -> 'x', range(1000))) AS s",
      message: /String of 1000 bytes .* exceeds the cap of 100 bytes/,
    },
    {
      limits: { max_array_elements: 10 },
      query: 'SELECT range(100) AS a',
      message: /Array\(UInt8\) offset of row 0 .* claims 100 elements, which exceeds the cap of 10/,
    },
    {
      limits: { max_array_elements: 10 },
      query: 'SELECT [range(5), range(20)] AS a',
      message: /Array\(UInt8\) offset of row 1 .* claims 25 elements, which exceeds the cap of 10/,
    },
    {
      limits: { max_type_nesting_depth: 2 },
      query: 'SELECT [[[1]]] AS a',
      message: /nests 3 levels deep, which exceeds the cap of 2 \(limits\.max_type_nesting_depth\)/,
    },
    // From 54481 the Log and ProfileEvents blocks of a compressed query come in frames too, under the same caps (a
    // modern server's ProfileEvents frame holds a few KB): the frame caps sit above those, below the data's frames
    // (hundreds of KB of UInt64, which LZ4 does not shrink much).
    {
      limits: { max_decompressed_frame_bytes: 65_536 },
      query: 'SELECT number FROM system.numbers LIMIT 200000',
      message: /over the cap of 65536 bytes \(limits\.max_decompressed_frame_bytes\)/,
      compression: 'lz4',
    },
    {
      limits: { max_compressed_frame_bytes: 16_384 },
      query: 'SELECT number FROM system.numbers LIMIT 200000',
      message: /between 9 and 16384 bytes .*limits\.max_compressed_frame_bytes/,
      compression: 'lz4',
    },
  ];

  for (const { limits, query, message, compression } of cases) {
    it(`${JSON.stringify(limits)}: ${query}`, async () => {
      const c = client({ limits, compression: compression ?? 'lz4', max_open_connections: 1 });
      const before = proxy.connections;
      const error = await protocolError(c.query({ query }).then((rs) => rs.json()));
      expect(error.message).toMatch(message);
      // The connection that saw it was discarded: the next query opens a new one, and works.
      expect(await (await c.query({ query: 'SELECT 1 AS one' })).json()).toEqual([{ one: 1 }]);
      expect(proxy.connections - before).toBe(2);
      await c.close();
    });
  }

  it('rejects a bad limit with ConfigError', () => {
    expect(() => createClient({ limits: { max_block_rows: 0 } })).toThrow(/limits\.max_block_rows must be an integer/);
    expect(() => createClient({ limits: { max_type_nesting_depth: 10_000 } })).toThrow(/from 1 to 256/);
    expect(() => createClient({ limits: { max_compressed_frame_bytes: 8 } })).toThrow(/from 9 to/);
  });
});

describe('nested types cannot bypass the caps', () => {
  const limits = { reader: { maxArrayElements: 1000, maxStringBytes: 100 } };
  const column = (type: string, data: Buffer, rows = 1) => dataPacket(blockBody(rows, [{ name: 'm', type, data }]));

  it('Map(String, Array(String)): hostile offsets at each level', async () => {
    const type = 'Map(String, Array(String))';
    // The map claims more entries than the cap.
    const entries = await protocolError(decode(column(type, u64s(2000)), limits));
    expect(entries.message).toMatch(
      /Map\(String, Array\(String\)\) offset of row 0 .*claims 2000 elements.*cap.* 1000/,
    );
    // Two entries; the value arrays' offsets claim 5000 strings.
    const values = await protocolError(
      decode(column(type, Buffer.concat([u64s(2), strings('k1', 'k2'), u64s(1, 5000)])), limits),
    );
    expect(values.message).toMatch(
      /Array\(String\) offset of row 1 .* claims 5000 elements, which exceeds the cap of 1000/,
    );
    // The value arrays' offsets decrease.
    const decreasing = await protocolError(
      decode(column(type, Buffer.concat([u64s(2), strings('k1', 'k2'), u64s(5, 2)])), limits),
    );
    expect(decreasing.message).toMatch(/Array\(String\) offsets decrease at row 1/);
    // Map offsets decrease across rows.
    const rows = await protocolError(decode(column(type, u64s(3, 1), 2), limits));
    expect(rows.message).toMatch(/offsets decrease at row 1/);
    // A key longer than the string cap.
    const key = await protocolError(decode(column(type, Buffer.concat([u64s(1), strings('k'.repeat(200))])), limits));
    expect(key.message).toMatch(/String of 200 bytes .* exceeds the cap of 100 bytes/);
    // Beyond 2^32 at the inner level.
    const wide = await protocolError(decode(column(type, Buffer.concat([u64s(1), strings('k'), u64s(2n ** 40n)]))));
    expect(wide.message).toMatch(/claims 1099511627776 elements/);
  });

  it('Map(String, Array(String)): a claim within the cap allocates only for bytes that arrived', async () => {
    const before = memory();
    const type = 'Map(String, Array(String))';
    const inner = await protocolError(
      decode(column(type, Buffer.concat([u64s(1), strings('k'), u64s(4_000_000_000), strings('a')]))),
    );
    expect(inner.message).toMatch(/Unexpected end of data/);
    const outer = await protocolError(decode(column(type, u64s(4_000_000_000))));
    expect(outer.message).toMatch(/Unexpected end of data/);
    expect(memory() - before).toBeLessThan(64 << 20);
  });

  it('Array(Tuple(String, Array(String))): the tuple does not hide the inner offsets from the cap', async () => {
    const type = 'Array(Tuple(String, Array(String)))';
    const inner = await protocolError(
      decode(column(type, Buffer.concat([u64s(2), strings('a', 'b'), u64s(1, 5000)])), limits),
    );
    expect(inner.message).toMatch(
      /Array\(String\) offset of row 1 .* claims 5000 elements, which exceeds the cap of 1000/,
    );
    const outer = await protocolError(decode(column(type, u64s(1001)), limits));
    expect(outer.message).toMatch(/Array\(Tuple\(String, Array\(String\)\)\) offset of row 0 .* claims 1001 elements/);
    const decreasing = await protocolError(
      decode(column(type, Buffer.concat([u64s(2), strings('a', 'b'), u64s(3, 1)])), limits),
    );
    expect(decreasing.message).toMatch(/offsets decrease at row 1/);
  });

  it('LowCardinality: the dictionary size is capped (limits.max_dictionary_keys)', async () => {
    // Key version 1, index type UInt8 | HasAdditionalKeys | NeedUpdateDictionary, then 5000 keys claimed.
    const data = Buffer.concat([u64s(1), u64s(0x0600), u64s(5000)]);
    const error = await protocolError(
      decode(column('LowCardinality(String)', data), { reader: { maxDictionaryKeys: 1000 } }),
    );
    expect(error.message).toMatch(/dictionary claims 5000 keys.*cap.* 1000/);
    // Inside an array, the same cap.
    const nested = await protocolError(
      decode(column('Array(LowCardinality(String))', Buffer.concat([u64s(1), u64s(1), u64s(0x0600), u64s(5000)])), {
        reader: { maxDictionaryKeys: 1000 },
      }),
    );
    expect(nested.message).toMatch(/dictionary claims 5000 keys/);
  });
});
