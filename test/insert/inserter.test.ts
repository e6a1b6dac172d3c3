/**
 * client.inserter(): batching by size, time and writes; wait_for_flush and fire-and-forget; the bounded buffer;
 * the inserts-per-second guard; Writable and AsyncIterable input; a bad row refusing its batch only.
 *
 * What depends on time (the flush timer, the guard, a retry after a timeout) runs on a controlled clock: vitest's fake
 * setTimeout and Date, while sockets and setImmediate stay real. The clock moves only when a test moves it, so
 * "not before 150 ms" is checked at 149 ms of that clock, not by sleeping.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ClickHouseNativeError, createClient, InvalidValueError } from '../../src/index.js';
import { FaultProxy } from '../harness/fault-proxy.js';
import { testServer } from '../harness/context.js';
import { admin, clientFor, uniqueTable } from '../client/helpers.js';

const client = clientFor();
const tables: string[] = [];

async function newTable(columns = 'id UInt64, s String'): Promise<string> {
  const table = uniqueTable('inserter');
  tables.push(table);
  await admin(`CREATE TABLE ${table} (${columns}) ENGINE = MergeTree ORDER BY tuple()`);
  return table;
}

async function count(table: string, where = '1'): Promise<number> {
  return Number((await admin(`SELECT count() FROM ${table} WHERE ${where}`)).trim());
}

const row = (id: number) => ({ id, s: `row ${id}` });

/** The controlled clock: the client's timers and Date.now(); I/O and setImmediate stay real. */
const controlClock = () => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
afterEach(() => {
  vi.useRealTimers();
});

/** Lets real I/O and whatever it wakes run, without moving the clock. */
async function turns(n = 20): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}

afterAll(async () => {
  for (const table of tables) await admin(`DROP TABLE IF EXISTS ${table}`);
  await client.close();
});

describe('thresholds', () => {
  it('flushes at max_rows, and write() resolves once its batch is acknowledged', async () => {
    const table = await newTable();
    const inserter = client.inserter(table, { max_rows: 10, flush_interval_ms: 60_000, max_inserts_per_second: 0 });
    const writes = Array.from({ length: 25 }, (_, i) => inserter.write(row(i)));
    await Promise.all(writes.slice(0, 20));
    // Acknowledged means stored: the first two batches of 10 are in the table before close().
    expect(await count(table)).toBeGreaterThanOrEqual(20);
    expect(inserter.stats.inserts).toBe(2);
    await inserter.close();
    await Promise.all(writes);
    expect(await count(table)).toBe(25);
    expect(inserter.stats).toMatchObject({
      written_rows: 25,
      acknowledged_rows: 25,
      failed_rows: 0,
      buffered_rows: 0,
      inserts: 3,
    });
  });

  it('flushes flush_interval_ms after the first buffered row', async () => {
    const table = await newTable();
    controlClock();
    const inserter = client.inserter(table, { flush_interval_ms: 150, max_inserts_per_second: 0 });
    let acknowledged = false;
    const written = inserter.write([row(1), row(2)]).then(() => (acknowledged = true));
    await vi.advanceTimersByTimeAsync(149);
    await turns();
    expect(acknowledged).toBe(false);
    expect(inserter.stats.inserts).toBe(0);
    expect(await count(table)).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    await written;
    expect(inserter.stats.inserts).toBe(1);
    expect(await count(table)).toBe(2);
    await inserter.close();
  });

  it('flushes after max_writes writes', async () => {
    const table = await newTable();
    const inserter = client.inserter(table, { max_writes: 3, flush_interval_ms: 60_000, max_inserts_per_second: 0 });
    await Promise.all([inserter.write([row(1), row(2)]), inserter.write(row(3)), inserter.write([row(4)])]);
    expect(inserter.stats.inserts).toBe(1);
    expect(await count(table)).toBe(4);
    await inserter.close();
  });

  it('flushes at max_bytes', async () => {
    const table = await newTable();
    const inserter = client.inserter(table, { max_bytes: 1000, flush_interval_ms: 60_000, max_inserts_per_second: 0 });
    const big = { id: 1, s: 'x'.repeat(2000) };
    await inserter.write(big);
    expect(await count(table)).toBe(1);
    await inserter.close();
  });

  it('buffers per column shape: rows without a DEFAULT column go in their own INSERT', async () => {
    const table = await newTable(`id UInt64, s String, d String DEFAULT concat('default ', toString(id))`);
    const inserter = client.inserter(table, { flush_interval_ms: 60_000, max_inserts_per_second: 0 });
    const done = Promise.all([
      inserter.write({ id: 1, s: 'a' }),
      inserter.write({ id: 2, s: 'b', d: 'given' }),
      inserter.write({ s: 'c', id: 3 }), // same shape as the first, keys in another order
    ]);
    await inserter.flush();
    await done;
    expect(inserter.stats.inserts).toBe(2);
    expect((await admin(`SELECT id, d FROM ${table} ORDER BY id FORMAT CSV`)).trim().split('\n')).toEqual([
      '1,"default 1"',
      '2,"given"',
      '3,"default 3"',
    ]);
    await inserter.close();
  });
});

describe('the inserts-per-second guard', () => {
  it('batches harder instead of sending more than max_inserts_per_second', async () => {
    const table = await newTable();
    controlClock();
    const inserter = client.inserter(table, {
      max_rows: 1,
      max_buffered_rows: 100,
      max_inserts_per_second: 2,
      wait_for_flush: false,
    });
    await inserter.write(row(0));
    await inserter.flush(); // the first insert takes this second's budget
    for (let i = 1; i <= 6; i++) await inserter.write(row(i)); // each is due at once (max_rows 1)
    const flushed = inserter.flush();
    // 2 per second: the next insert waits for its slot, 500 ms after the first.
    await vi.advanceTimersByTimeAsync(499);
    await turns();
    expect(inserter.stats.inserts).toBe(1);
    expect(await count(table)).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    await flushed;
    // Six due rows, one slot: they went out together.
    expect(inserter.stats.inserts).toBe(2);
    expect(await count(table)).toBe(7);
    await inserter.close();
  });

  it('is shared by the inserters of a client for the same table', async () => {
    const table = await newTable();
    controlClock();
    const a = client.inserter(table, { max_rows: 1, max_inserts_per_second: 4 });
    const b = client.inserter(table, { max_rows: 1, max_inserts_per_second: 4 });
    const first = a.write(row(1)); // the table's slot now
    let secondAcknowledged = false;
    const second = b.write(row(2)).then(() => (secondAcknowledged = true)); // b's own budget is unused; the table's is not
    await first;
    await vi.advanceTimersByTimeAsync(249);
    await turns();
    expect(secondAcknowledged).toBe(false);
    expect(b.stats.inserts).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    await second;
    expect(b.stats.inserts).toBe(1);
    await Promise.all([a.close(), b.close()]);
    expect(await count(table)).toBe(2);
  });
});

describe('errors', () => {
  it('rejects a batch with a bad row on the client (column and row named, nothing sent) and goes on', async () => {
    const table = await newTable();
    const inserter = client.inserter(table, { flush_interval_ms: 60_000, max_inserts_per_second: 0 });
    const good = inserter.write(row(1));
    const bad = inserter.write({ id: -5, s: 'negative id' });
    await inserter.flush().catch(() => {});
    const error = await bad.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidValueError);
    expect((error as InvalidValueError).column).toBe('id');
    expect((error as InvalidValueError).row).toBe(1);
    expect((error as InvalidValueError).message).toMatch(/batch of 2 rows.*rejected/);
    // The good row shared the bad row's batch: refused with it.
    await expect(good).rejects.toBeInstanceOf(InvalidValueError);
    expect(await count(table)).toBe(0);
    // Later rows are served.
    await Promise.all([inserter.write(row(2)), inserter.flush()]);
    expect(await count(table)).toBe(1);
    expect(inserter.stats).toMatchObject({ failed_rows: 2, acknowledged_rows: 1 });
    await inserter.close();
  });

  it('fire-and-forget: a failed batch goes to on_error and close() raises it', async () => {
    const table = await newTable();
    const seen: Array<{ error: Error; rows: number }> = [];
    const inserter = client.inserter(table, {
      wait_for_flush: false,
      max_inserts_per_second: 0,
      on_error: (error, batch) => seen.push({ error, rows: batch.rows.length }),
    });
    await inserter.write([row(1), { id: 2, s: 42 }]); // resolves once buffered
    await inserter.flush().catch(() => {});
    await inserter.write(row(3));
    const error = await inserter.close().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidValueError);
    expect((error as InvalidValueError).column).toBe('s');
    expect(seen).toHaveLength(1);
    expect(seen[0]!.rows).toBe(2);
    expect(await count(table)).toBe(1);
    await expect(inserter.write(row(4))).rejects.toBeInstanceOf(ClickHouseNativeError);
  });
});

describe('back-pressure', () => {
  it('write() waits while the buffer is full, and the inserter recovers when the server answers again', async () => {
    const table = await newTable();
    controlClock();
    const server = testServer();
    const proxy = await FaultProxy.start({ host: server.host, port: server.port });
    const proxied = createClient({
      host: proxy.host,
      port: proxy.port,
      username: server.username,
      password: server.password,
      database: server.database,
      request_timeout_ms: 500,
      connect_timeout_ms: 500,
      insert_retry: { initial_delay_ms: 10, max_delay_ms: 100 },
    });
    try {
      const inserter = proxied.inserter(table, {
        max_rows: 5,
        max_buffered_rows: 10,
        wait_for_flush: false,
        max_inserts_per_second: 0,
        // Server-side defaults: with client-side ones, the first flush would first ask the (blackholed) server for
        // its Hello and fall back to server-side defaults after connect_timeout_ms, which hides the retry under test.
        defaults: 'server',
      });
      proxy.setBlackhole(true);
      await inserter.write([row(1), row(2), row(3), row(4), row(5)]); // due, sent, no answer
      await inserter.write([row(6), row(7), row(8), row(9), row(10)]); // buffered: the buffer is now full
      let taken = false;
      const blocked = inserter.write(row(11)).then(() => (taken = true));
      // Only a timer (connect_timeout_ms, then the retry's backoff) can move the first batch on: the clock stands still.
      await turns();
      expect(taken).toBe(false);
      expect(inserter.stats.buffered_rows).toBe(10);
      proxy.setBlackhole(false); // the retry after the timeout goes through
      await vi.advanceTimersByTimeAsync(500); // connect_timeout_ms: the first attempt fails, nothing sent
      await turns();
      await vi.advanceTimersByTimeAsync(200); // the retry's backoff (at most max_delay_ms, jitter included)
      await blocked;
      await inserter.close();
      expect(await count(table)).toBe(11);
      expect(inserter.stats.retries).toBeGreaterThan(0);
    } finally {
      await proxied.close();
      await proxy.close();
    }
  });
});

describe('streams', () => {
  it('works as a Writable in stream.pipeline', async () => {
    const table = await newTable();
    const inserter = client.inserter(table, { max_rows: 300, max_inserts_per_second: 0 });
    async function* source() {
      for (let i = 0; i < 1000; i++) yield row(i);
    }
    await pipeline(Readable.from(source()), inserter.writable());
    expect(await count(table)).toBe(1000);
    expect(inserter.stats.inserts).toBe(4);
  });

  it('a failed batch fails the pipeline', async () => {
    const table = await newTable();
    const inserter = client.inserter(table, { max_rows: 2, max_inserts_per_second: 0 });
    const rows = [row(1), row(2), { id: 'three', s: '' }, row(4)];
    await expect(pipeline(Readable.from(rows), inserter.writable())).rejects.toBeInstanceOf(InvalidValueError);
  });

  it('takes AsyncIterables of rows and arrays of rows', async () => {
    const table = await newTable();
    const inserter = client.inserter(table, { max_rows: 100, max_inserts_per_second: 0 });
    async function* source() {
      for (let i = 0; i < 10; i++) yield Array.from({ length: 50 }, (_, j) => row(i * 50 + j));
      yield row(500);
    }
    await inserter.writeAll(source());
    expect(await count(table)).toBe(501);
    await inserter.close();
  });
});

beforeAll(() => {
  expect(testServer().port).toBeGreaterThan(0);
});
