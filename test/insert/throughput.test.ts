/**
 * The streaming insert paths against the real server: an async iterable, a Node Readable, and
 * `stream.pipeline` into `client.insertStream()`; blocks cut by rows and bytes; and back-pressure, with a proxy
 * that stops reading from the client (a stalled server): the producer must be held back, not buffered.
 * No speed assertions here: speed lives in `npm run bench`.
 */
import net from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, InvalidValueError, type ClickHouseClient, type ColumnarInput } from '../../src/index.js';
import { DEFAULT_INSERT_BLOCK_BYTES, DEFAULT_INSERT_BLOCK_ROWS } from '../../src/insert/insert.js';
import { admin, clientFor, uniqueTable } from '../client/helpers.js';
import { testServer } from '../harness/context.js';

const client = clientFor();
const COLUMNS = 'id UInt64, name String, value Float64';

afterAll(async () => {
  await client.close();
});

async function table(prefix: string, engine = 'Memory'): Promise<string> {
  const name = uniqueTable(prefix);
  await admin(`CREATE TABLE ${name} (${COLUMNS}) ENGINE = ${engine}`);
  return name;
}

/** count, sum(id), sum(length(name)) as the server sees them. */
async function summary(name: string): Promise<string> {
  return (await admin(`SELECT count(), sum(id), sum(length(name)) FROM ${name} FORMAT TSV`)).trim();
}

function expected(rows: number): string {
  let lengths = 0;
  for (let i = 0; i < rows; i++) lengths += `name-${i % 100}`.length;
  return `${rows}\t${(rows * (rows - 1)) / 2}\t${lengths}`;
}

function row(i: number) {
  return { id: i, name: `name-${i % 100}`, value: i / 2 };
}

function columnarChunk(offset: number, rows: number): ColumnarInput {
  const id = new BigUint64Array(rows);
  const name = new Array<string>(rows);
  const value = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    id[i] = BigInt(offset + i);
    name[i] = `name-${(offset + i) % 100}`;
    value[i] = (offset + i) / 2;
  }
  return { id, name, value };
}

describe('streaming input', () => {
  it('an async iterable of columnar chunks, single rows and row arrays, cut into blocks by rows', async () => {
    const name = await table('stream_iter');
    async function* source() {
      yield columnarChunk(0, 25_000);
      for (let i = 25_000; i < 25_100; i++) yield row(i); // single rows are gathered, not sent one per block
      yield Array.from({ length: 4_900 }, (_, k) => row(25_100 + k));
    }
    const result = await client.insert({ table: name, values: source(), block_rows: 7_000 });
    expect(result.rows).toBe(30_000);
    expect(await summary(name)).toBe(expected(30_000));
  });

  it('blocks are cut by bytes too', async () => {
    const name = uniqueTable('stream_bytes');
    await admin(`CREATE TABLE ${name} (id UInt64, blob String) ENGINE = Memory`);
    // ~10 KiB per row, at most 64 KiB per block: about 6 rows per block, so many blocks.
    const blob = 'x'.repeat(10_000);
    const rows = Array.from({ length: 100 }, (_, i) => ({ id: i, blob }));
    async function* source() {
      yield rows;
    }
    const result = await client.insert({ table: name, values: source(), block_bytes: 64 * 1024 });
    expect(result.rows).toBe(100);
    expect((await admin(`SELECT count(), sum(length(blob)) FROM ${name} FORMAT TSV`)).trim()).toBe('100\t1000000');
  });

  it('a Node Readable in object mode', async () => {
    const name = await table('stream_readable');
    const readable = Readable.from(
      (function* () {
        for (let i = 0; i < 20_000; i++) yield row(i);
      })(),
      { objectMode: true },
    );
    const result = await client.insert({ table: name, values: readable });
    expect(result.rows).toBe(20_000);
    expect(await summary(name)).toBe(expected(20_000));
  });

  it('a byte stream is refused with a clear error', async () => {
    const name = await table('stream_bytes_refused');
    const error = await client
      .insert({ table: name, columns: ['id', 'name', 'value'], values: Readable.from([Buffer.from('1,a,2\n')]) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidValueError);
    expect((error as Error).message).toMatch(/object mode/);
  });
});

describe('insertStream: stream.pipeline into a Writable', () => {
  it("'finish' comes after the server has acknowledged the insert", async () => {
    const name = await table('pipe_rows', 'MergeTree ORDER BY id');
    const insert = client.insertStream({ table: name });
    let finishedAt = -1;
    insert.on('finish', () => (finishedAt = Date.now()));
    await pipeline(
      Readable.from(
        (function* () {
          for (let i = 0; i < 50_000; i++) yield row(i);
        })(),
      ),
      insert,
    );
    expect(finishedAt).toBeGreaterThan(0);
    // Acknowledged means stored: visible right after 'finish'.
    expect(await summary(name)).toBe(expected(50_000));
    const result = await insert.result;
    expect(result.rows).toBe(50_000);
  });

  it('takes columnar chunks and row arrays written by hand, with explicit columns', async () => {
    const name = await table('pipe_chunks');
    const insert = client.insertStream({ table: name, columns: ['id', 'name', 'value'], block_rows: 10_000 });
    insert.write(columnarChunk(0, 15_000));
    insert.write(Array.from({ length: 5_000 }, (_, k) => row(15_000 + k)));
    insert.end();
    const result = await insert.result;
    expect(result.rows).toBe(20_000);
    expect(await summary(name)).toBe(expected(20_000));
  });

  it('an empty stream inserts nothing and finishes', async () => {
    const name = await table('pipe_empty');
    const insert = client.insertStream({ table: name, columns: ['id', 'name', 'value'] });
    await pipeline(Readable.from([]), insert);
    expect((await insert.result).rows).toBe(0);
  });

  it('a bad value fails the pipeline with the column and row, and the client goes on working', async () => {
    const name = await table('pipe_bad');
    const insert = client.insertStream({ table: name, block_rows: 1_000 });
    const error = await pipeline(
      Readable.from(
        (function* () {
          for (let i = 0; i < 5_000; i++) yield i === 3_210 ? { ...row(i), value: 'not a number' } : row(i);
        })(),
      ),
      insert,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidValueError);
    expect((error as InvalidValueError).column).toBe('value');
    expect((error as InvalidValueError).row).toBe(3_210);
    await expect(insert.result).rejects.toBeInstanceOf(InvalidValueError);
    // Streamed blocks before the bad one were sent (and said so); the insert ended cleanly.
    expect((error as Error).message).toMatch(/rows streamed before it were sent/);
    await client.insert({ table: name, values: [row(9)] });
    expect(Number((await admin(`SELECT count() FROM ${name} WHERE id = 9`)).trim())).toBeGreaterThanOrEqual(1);
  });

  it('a server error destroys the stream with that error', async () => {
    const insert = client.insertStream({ table: uniqueTable('no_such_table') });
    const error = await pipeline(Readable.from([row(1)]), insert).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/doesn't exist|does not exist|UNKNOWN_TABLE/i);
  });

  it('destroying the stream aborts the insert and frees the connection', async () => {
    const name = await table('pipe_destroy');
    const insert = client.insertStream({ table: name });
    const errors: Error[] = [];
    insert.on('error', (e) => errors.push(e));
    const closed = new Promise((resolve) => insert.on('close', resolve));
    insert.write(row(1));
    insert.destroy(new Error('changed my mind'));
    await expect(insert.result).rejects.toThrow();
    await closed;
    expect(errors.map((e) => e.message)).toEqual(['changed my mind']);
    // The pool still serves requests.
    await client.insert({ table: name, values: [row(2)] });
    expect((await admin(`SELECT count() FROM ${name} WHERE id = 2`)).trim()).toBe('1');
  });
});

// ---------------------------------------------------------------------------------------------------------------

/** A TCP proxy to the test server that can stop reading from the client: to the client, a stalled server. */
class StallingProxy {
  private readonly server: net.Server;
  private readonly clients = new Set<net.Socket>();
  stalled = false;
  port = 0;

  constructor(target: { host: string; port: number }) {
    this.server = net.createServer((downstream) => {
      const upstream = net.connect(target.port, target.host);
      this.clients.add(downstream);
      downstream.on('data', (chunk) => upstream.write(chunk));
      upstream.on('data', (chunk) => downstream.write(chunk));
      const close = () => {
        this.clients.delete(downstream);
        downstream.destroy();
        upstream.destroy();
      };
      downstream.on('close', close).on('error', close);
      upstream.on('close', close).on('error', close);
      if (this.stalled) downstream.pause();
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  stall(): void {
    this.stalled = true;
    for (const socket of this.clients) socket.pause();
  }

  resume(): void {
    this.stalled = false;
    for (const socket of this.clients) socket.resume();
  }

  async close(): Promise<void> {
    for (const socket of this.clients) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe('a long streamed insert holds a bounded number of blocks', () => {
  // What bounds a streamed insert's memory: the blocks it holds (one being built, as encoded bytes; one being
  // compressed; one in the socket), counted by InsertStream.stats. The count must not grow with the rows.
  for (const rows of [150_000, 300_000]) {
    it(`${rows.toLocaleString('en-US')} rows in 1 000-row arrays and columnar chunks: at most 3 blocks in flight`, async () => {
      const name = await table('pipe_bounded');
      const insert = client.insertStream({ table: name, block_rows: 3_000 });
      await pipeline(
        Readable.from(
          (function* () {
            // Row arrays and columnar chunks of sizes that straddle the block boundaries.
            for (let offset = 0; offset < rows; offset += 1_000) {
              if ((offset / 1_000) % 3 === 2) yield columnarChunk(offset, 1_000);
              else yield Array.from({ length: 1_000 }, (_, k) => row(offset + k));
            }
          })(),
          { objectMode: true, highWaterMark: 1 },
        ),
        insert,
      );
      expect((await insert.result).rows).toBe(rows);
      expect(await summary(name)).toBe(expected(rows));
      expect(insert.stats.blocks).toBe(rows / 3_000);
      expect(insert.stats.maxInFlight).toBeGreaterThanOrEqual(1);
      expect(insert.stats.maxInFlight).toBeLessThanOrEqual(3);
      expect(insert.stats.inFlight).toBe(0);
    });
  }

  const MIXED =
    "id UInt64, n Nullable(String), a Array(UInt32), f FixedString(3), e Enum8('x' = 1, 'y' = 2), d Date, s String";
  const mixedRow = (i: number) => ({
    id: i,
    n: i % 3 === 0 ? null : `n${i}`,
    a: Array.from({ length: i % 4 }, (_, k) => i + k),
    f: `f${i % 10}`,
    e: i % 2 === 0 ? 'x' : 'y',
    d: new Date(Date.UTC(2026, 0, 1 + (i % 30))),
    s: i % 7 === 0 ? 'é€😀' : `s-${i}`,
  });

  it('blocks built chunk by chunk hold the same rows as an in-memory insert, flat and nested columns alike', async () => {
    const streamed = uniqueTable('pipe_mixed_stream');
    const inMemory = uniqueTable('pipe_mixed_memory');
    await admin(`CREATE TABLE ${streamed} (${MIXED}) ENGINE = Memory`);
    await admin(`CREATE TABLE ${inMemory} (${MIXED}) ENGINE = Memory`);
    const rows = Array.from({ length: 10_000 }, (_, i) => mixedRow(i));
    // Chunks of 700 rows and single rows against blocks of 1 000: chunks straddle every block boundary.
    const insert = client.insertStream({ table: streamed, block_rows: 1_000 });
    await pipeline(
      Readable.from(
        (function* () {
          for (let offset = 0; offset < 9_800; offset += 700) yield rows.slice(offset, offset + 700);
          for (let i = 9_800; i < 10_000; i++) yield rows[i]!;
        })(),
      ),
      insert,
    );
    expect((await insert.result).rows).toBe(10_000);
    expect(insert.stats.blocks).toBe(10);
    await client.insert({ table: inMemory, values: rows });
    const dump = (t: string) => admin(`SELECT * FROM ${t} ORDER BY id FORMAT TSV`);
    const [got, want] = await Promise.all([dump(streamed), dump(inMemory)]);
    expect(got.split('\n').length).toBe(10_001);
    expect(got).toBe(want);
  });

  it('a bad value in a later block names its column and insert row, whether its column is built per chunk or per block', async () => {
    for (const [column, bad] of [
      ['s', 42],
      ['n', 42],
    ] as const) {
      const name = uniqueTable('pipe_mixed_bad');
      await admin(`CREATE TABLE ${name} (${MIXED}) ENGINE = Memory`);
      const insert = client.insertStream({ table: name, block_rows: 1_000 });
      const error = await pipeline(
        Readable.from(
          (function* () {
            for (let offset = 0; offset < 5_000; offset += 700) {
              const chunk = Array.from({ length: Math.min(700, 5_000 - offset) }, (_, k) => mixedRow(offset + k));
              if (offset === 2_100) chunk[555] = { ...chunk[555]!, [column]: bad };
              yield chunk;
            }
          })(),
        ),
        insert,
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidValueError);
      expect((error as InvalidValueError).column).toBe(column);
      expect((error as InvalidValueError).row).toBe(2_655);
      // Whole blocks before the bad one went out, as the error says; none of its own block did.
      const sent = Number(/the (\d+) rows streamed before it were sent/.exec((error as Error).message)?.[1]);
      expect(sent % 1_000).toBe(0);
      expect(sent).toBeLessThanOrEqual(2_000);
      expect(Number((await admin(`SELECT count() FROM ${name}`)).trim())).toBe(sent);
    }
  });
});

describe('default block sizes', () => {
  // The defaults cut blocks of about DEFAULT_INSERT_BLOCK_BYTES (bench/block-size.ts: ~1 MiB blocks cost the
  // server and this client less CPU than 8 MB ones). Small blocks must not mean small parts: the server squashes
  // insert blocks up to min_insert_block_size_rows (1 048 576) / _bytes before it writes a MergeTree part.
  const ROWS = 200_000;
  // id UInt64 (8 bytes) + name String ('name-NN': 7 bytes and its length) + value Float64 (8) per row.
  const ROW_BYTES = 24;
  const chunks = () =>
    (function* () {
      for (let offset = 0; offset < ROWS; offset += 10_000) yield columnarChunk(offset, 10_000);
    })();
  const activeParts = async (name: string) =>
    Number((await admin(`SELECT count() FROM system.parts WHERE table = '${name}' AND active`)).trim());

  it(`${ROWS.toLocaleString('en-US')} rows go as several blocks and make one MergeTree part`, async () => {
    const streamed = await table('blocks_parts_stream', 'MergeTree ORDER BY id');
    const insert = client.insertStream({ table: streamed });
    await pipeline(Readable.from(chunks(), { objectMode: true }), insert);
    expect((await insert.result).rows).toBe(ROWS);
    // Every block as the BlockSizer cuts it: the first from a sample (exact for these rows), the rest as encoded.
    const blockRows = Math.min(DEFAULT_INSERT_BLOCK_ROWS, Math.floor(DEFAULT_INSERT_BLOCK_BYTES / ROW_BYTES));
    expect(insert.stats.blocks).toBe(Math.ceil(ROWS / blockRows));
    expect(insert.stats.blocks).toBeGreaterThan(1);
    expect(await summary(streamed)).toBe(expected(ROWS));
    expect(await activeParts(streamed)).toBe(1);

    const inMemory = await table('blocks_parts_memory', 'MergeTree ORDER BY id');
    const rows = Array.from({ length: ROWS }, (_, i) => row(i));
    expect((await client.insert({ table: inMemory, values: rows })).rows).toBe(ROWS);
    expect(await summary(inMemory)).toBe(expected(ROWS));
    expect(await activeParts(inMemory)).toBe(1);
  });
});

describe('back-pressure', () => {
  let proxy: StallingProxy;
  let proxied: ClickHouseClient;

  beforeAll(async () => {
    const server = testServer();
    proxy = new StallingProxy(server);
    await proxy.listen();
    proxied = createClient({
      host: '127.0.0.1',
      port: proxy.port,
      username: server.username,
      password: server.password,
      database: server.database,
      compression: 'none',
    });
  });
  afterAll(async () => {
    await proxied.close();
    await proxy.close();
  });

  const CHUNK_ROWS = 10_000;
  const CHUNKS = 300; // 3M rows, ~200 MB encoded: far more than any socket buffers
  const CHUNK_BYTES = CHUNK_ROWS * (8 + 1 + 7 + 8);

  it('a stalled server holds the producer back; the insert completes when it reads again', async () => {
    const name = await table('backpressure', 'Null');
    await proxied.ping();
    let pulled = 0;
    const template = columnarChunk(0, CHUNK_ROWS);
    async function* source() {
      for (let c = 0; c < CHUNKS; c++) {
        pulled++;
        yield template;
      }
    }
    proxy.stall();
    const insert = proxied.insert({ table: name, values: source(), block_rows: CHUNK_ROWS });
    // Let the producer run into the stall.
    let before = -1;
    for (let i = 0; i < 20 && pulled !== before; i++) {
      before = pulled;
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    const pulledWhileStalled = pulled;
    const heapWhileStalled = process.memoryUsage();
    // Kernel socket buffers take a few MB; beyond that the producer must wait: nowhere near the 200 MB input.
    expect(pulledWhileStalled).toBeLessThan(CHUNKS / 3);
    expect(pulledWhileStalled * CHUNK_BYTES).toBeLessThan(64 << 20);
    expect(heapWhileStalled.arrayBuffers).toBeLessThan(256 << 20);
    proxy.resume();
    const result = await insert;
    expect(result.rows).toBe(CHUNKS * CHUNK_ROWS);
    expect(pulled).toBe(CHUNKS);
  });

  it('insertStream: write() returns false while the server is stalled, and the pipeline waits', async () => {
    const name = await table('backpressure_stream', 'Null');
    await proxied.ping();
    const template = columnarChunk(0, CHUNK_ROWS);
    let pulled = 0;
    const source = Readable.from(
      (function* () {
        for (let c = 0; c < CHUNKS; c++) {
          pulled++;
          yield template;
        }
      })(),
      { objectMode: true, highWaterMark: 2 },
    );
    proxy.stall();
    const insert = proxied.insertStream({ table: name, highWaterMark: 2, block_rows: CHUNK_ROWS });
    const done = pipeline(source, insert);
    let before = -1;
    for (let i = 0; i < 20 && pulled !== before; i++) {
      before = pulled;
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    expect(pulled).toBeLessThan(CHUNKS / 3);
    expect(insert.writableNeedDrain).toBe(true);
    proxy.resume();
    await done;
    expect((await insert.result).rows).toBe(CHUNKS * CHUNK_ROWS);
  });

  /** About 40 bytes that differ from row to row and compress poorly. */
  const rowName = (n: number) =>
    `${n}-${(Math.imul(n, 2654435761) >>> 0).toString(36)}-${(Math.imul(n ^ 0x5bd1e995, 40503) >>> 0).toString(36)}-${(Math.imul(n, 0x27d4eb2d) >>> 0).toString(16)}`;

  it('LZ4 blocks whose frames reuse memory arrive whole while the socket holds them back', async () => {
    // Each block's frames are made into memory reused once the socket has written them (src/insert/pipeline.ts):
    // under a stall, with frames written but not yet sent, every block still arrives whole and once (every block's
    // rows differ; a damaged frame would fail its checksum on the server).
    const server = testServer();
    const lz4 = createClient({
      host: '127.0.0.1',
      port: proxy.port,
      username: server.username,
      password: server.password,
      database: server.database,
      compression: 'lz4',
    });
    try {
      const name = await table('reused_frames', 'MergeTree ORDER BY id');
      await lz4.ping();
      const ROWS = 20_000;
      const BLOCKS = 80; // ~25 MB of frames: more than the kernel's socket buffers hold during the stall
      let pulled = 0;
      async function* source() {
        for (let b = 0; b < BLOCKS; b++) {
          pulled++;
          const chunk = columnarChunk(b * ROWS, ROWS);
          // About 50 bytes a row that differ from row to row: a block's body is over the frame worker's 256 KiB.
          chunk.name = Array.from({ length: ROWS }, (_, i) => rowName(b * ROWS + i));
          yield chunk;
        }
      }
      proxy.stall();
      const insert = lz4.insert({ table: name, values: source(), block_rows: ROWS });
      let before = -1;
      for (let i = 0; i < 20 && pulled !== before; i++) {
        before = pulled;
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
      expect(pulled).toBeLessThan(BLOCKS);
      proxy.resume();
      expect((await insert).rows).toBe(ROWS * BLOCKS);
      const rows = ROWS * BLOCKS;
      let lengths = 0;
      for (let n = 0; n < rows; n++) lengths += rowName(n).length;
      expect(await summary(name)).toBe(`${rows}\t${(rows * (rows - 1)) / 2}\t${lengths}`);
      expect(await admin(`SELECT uniqExact(name) FROM ${name} FORMAT TSV`)).toBe(`${rows}\n`);
    } finally {
      await lz4.close();
    }
  });
});

/**
 * In-memory input estimated over IN_MEMORY_STAGE_BYTES (64 MiB): validated in a pass that keeps no bytes, then
 * encoded block by block as it is sent (src/insert/insert.ts, InMemoryPayload). Uncompressed, 80 000 rows, most of
 * them a 1000-character string (one shared value: little JS memory), make 72 MB of packets.
 */
describe('in-memory input over the held bound: validated first, then sent block by block', () => {
  const ROWS = 80_000;
  const WIDE = 'w'.repeat(1000);
  const plain = clientFor({ compression: 'none' });
  afterAll(() => plain.close());
  const columns = (bad?: number) => ({
    id: BigUint64Array.from({ length: ROWS }, (_, i) => BigInt(i)),
    name: Array.from({ length: ROWS }, (_, i) => (i === bad ? 17 : i % 10 !== 3 ? WIDE : `n${i}`)),
    value: new Float64Array(ROWS),
  });

  it('sends every row once, across the blocks', async () => {
    const name = await table('over_held', 'MergeTree ORDER BY id');
    expect((await plain.insert({ table: name, values: columns(), retry: false })).rows).toBe(ROWS);
    let lengths = 0;
    for (let i = 0; i < ROWS; i++) lengths += i % 10 !== 3 ? 1000 : `n${i}`.length;
    expect(await summary(name)).toBe(`${ROWS}\t${(ROWS * (ROWS - 1)) / 2}\t${lengths}`);
    expect(await admin(`SELECT uniqExact(id), max(id) FROM ${name} FORMAT TSV`)).toBe(`${ROWS}\t${ROWS - 1}\n`);
  });

  it('a bad value near the end sends nothing, names its row, and the connection goes on', async () => {
    const name = await table('over_held_bad', 'MergeTree ORDER BY id');
    const error = await plain.insert({ table: name, values: columns(ROWS - 2), retry: false }).catch((e) => e);
    expect(error).toBeInstanceOf(InvalidValueError);
    expect(error).toMatchObject({ column: 'name', row: ROWS - 2 });
    expect(await summary(name)).toBe('0\t0\t0');
    expect((await plain.insert({ table: name, values: [row(1)] })).rows).toBe(1);
  });
});
