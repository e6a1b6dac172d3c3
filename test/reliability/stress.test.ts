/**
 * The stress check of issue 13 ("Done when"), against the real server: many concurrent queries on a small pool with
 * exact results and no leaked connection, early breaks with flat memory, errors mid-stream, kill -9 of the server
 * under concurrent operations and recovery of the same client, a slow consumer and a 20 M-row streamed insert in
 * bounded memory. (The abort storm, 200 endless queries aborted at random, is in test/client/abort.test.ts.)
 *
 * Memory is measured as heap + ArrayBuffers after a forced garbage collection, against the size the data would take
 * if it were held.
 */
import { randomUUID } from 'node:crypto';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  ClickHouseError,
  ConnectionError,
  createClient,
  InsertOutcomeUnknownError,
  type ClickHouseClientConfig,
} from '../../src/index.js';
import { testServer } from '../harness/context.js';
import { FaultProxy } from '../harness/fault-proxy.js';
import { startLocalServer, type LocalServer } from '../harness/server.js';
import { admin, clientFor, closeLater, closeOpened, uniqueTable, until } from '../client/helpers.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Live memory: heap plus ArrayBuffers (Buffers, TypedArrays) after a full collection. */
function liveBytes(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const MiB = 1 << 20;

afterEach(closeOpened);

describe('stress', () => {
  it('500 concurrent queries on a pool of 10: exact results, never more than 10 connections, none leaked', async () => {
    const server = testServer();
    const proxy = closeLater(await FaultProxy.start({ host: server.host, port: server.port }));
    const config: ClickHouseClientConfig = {
      host: proxy.host,
      port: proxy.port,
      username: server.username,
      password: server.password,
      database: server.database,
      max_open_connections: 10,
      pool_acquire_timeout_ms: 0, // a queue of 490 on a busy CI machine: wait as long as it takes
    };
    const client = closeLater(createClient(config));
    const results = await Promise.all(
      Array.from({ length: 500 }, async (_, i) => {
        const rows = await (
          await client.query<{ i: number; n: string; s: string }>({
            // numbers(0) has no end on 18.16: every query reads at least one row.
            query: `SELECT ${i} AS i, toString(count()) AS n, toString(sum(number)) AS s FROM numbers(${i * 7 + 1})`,
          })
        ).json();
        return rows;
      }),
    );
    for (let i = 0; i < 500; i++) {
      const n = i * 7 + 1;
      expect(results[i]).toEqual([{ i, n: String(n), s: String((n * (n - 1)) / 2) }]);
    }
    expect(proxy.stats.connections).toBeLessThanOrEqual(10);
    const stats = client.poolStats();
    expect(stats).toMatchObject({ in_use: 0, waiting: 0 });
    expect(stats.open).toBe(proxy.openConnections);
    await client.close();
    await until(() => proxy.openConnections === 0);
  });

  it('200 early breaks: memory stays flat, no connection leaks, nothing left running', async () => {
    const client = closeLater(clientFor({ max_open_connections: 10 }));
    const prefix = `break-${randomUUID()}-`;
    let next = 0;
    let wrongFirstRows = 0;
    /** Ten consumers at a time, each breaking out of a 10 M-row stream after its first row, until `until` breaks. */
    const breakUntil = async (count: number) => {
      await Promise.all(
        Array.from({ length: 10 }, async () => {
          while (next < count) {
            const i = next++;
            const result = await client.query({
              query: 'SELECT number FROM system.numbers LIMIT 10000000',
              query_id: prefix + i,
            });
            for await (const row of result) {
              if ((row as { number: bigint }).number !== 0n) wrongFirstRows++;
              break;
            }
          }
        }),
      );
      await until(() => client.poolStats().in_use === 0);
    };
    await breakUntil(20);
    const baseline = liveBytes();
    await breakUntil(200);
    const growth = liveBytes() - baseline;
    console.log(`[stress] 180 more early breaks: live memory ${(growth / MiB).toFixed(1)} MiB over the baseline`);
    expect(next).toBeGreaterThanOrEqual(200);
    expect(wrongFirstRows).toBe(0);
    expect(growth).toBeLessThan(16 * MiB);
    expect(client.poolStats().open).toBeLessThanOrEqual(10);
    expect(Number(await admin(`SELECT count() FROM system.processes WHERE query_id LIKE '${prefix}%'`))).toBe(0);
  });

  it('errors mid-stream: rows, then the server error; each connection retired; the client goes on', async () => {
    const client = closeLater(clientFor({ max_open_connections: 5 }));
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, async () => {
        let rows = 0;
        try {
          const result = await client.query({
            query:
              'SELECT number, throwIf(number = 150000) FROM system.numbers LIMIT 200000 SETTINGS max_block_size = 10000',
          });
          for await (const block of result.blocks()) rows += block.rows;
          return { rows, error: undefined };
        } catch (error) {
          return { rows, error };
        }
      }),
    );
    for (const { rows, error } of outcomes) {
      expect(error).toBeInstanceOf(ClickHouseError);
      expect((error as ClickHouseError).code).toBe(395); // FUNCTION_THROW_IF_VALUE_IS_NON_ZERO
      expect(rows).toBeLessThanOrEqual(150000);
    }
    expect(client.poolStats()).toMatchObject({ in_use: 0, open: 0 });
    expect(await (await client.query({ query: 'SELECT 1 AS one' })).json()).toEqual([{ one: 1 }]);
  });

  it('a slow consumer holds bounded memory, however large the result', async () => {
    const client = closeLater(clientFor());
    // 10 M rows of UInt64 and a String of ~7 bytes: about 160 MB on the wire, far more as JS values.
    const result = await client.query({
      query: 'SELECT number, toString(number) AS s FROM system.numbers LIMIT 10000000',
    });
    const before = liveBytes();
    let peak = 0;
    let rows = 0;
    let blocks = 0;
    for await (const block of result.blocks()) {
      rows += block.rows;
      if (++blocks <= 40) {
        // Slow for the first blocks: the server is far ahead, and only the socket's buffer may fill.
        await new Promise((resolve) => setTimeout(resolve, 20));
        if (blocks % 5 === 0) peak = Math.max(peak, liveBytes() - before);
      }
    }
    expect(rows).toBe(10_000_000);
    console.log(`[stress] slow consumer: peak ${(peak / MiB).toFixed(1)} MiB over the baseline`);
    expect(peak).toBeLessThan(16 * MiB);
  });

  it('a 20 M-row streamed insert holds bounded memory and stores every row', async () => {
    const client = closeLater(clientFor());
    const table = uniqueTable('stress_insert');
    await admin(`CREATE TABLE ${table} (id UInt64) ENGINE = MergeTree ORDER BY tuple()`);
    const total = 20_000_000;
    const chunkRows = 200_000;
    let peak = 0;
    const before = liveBytes();
    async function* chunks(): AsyncGenerator<{ id: BigUint64Array }> {
      for (let start = 0; start < total; start += chunkRows) {
        const id = new BigUint64Array(chunkRows);
        for (let i = 0; i < chunkRows; i++) id[i] = BigInt(start + i);
        if ((start / chunkRows) % 10 === 0) peak = Math.max(peak, liveBytes() - before);
        yield { id };
      }
    }
    const result = await client.insert({ table, values: chunks() });
    expect(result.rows).toBe(total);
    expect(await admin(`SELECT count(), sum(id) FROM ${table} FORMAT TSV`)).toBe(
      `${total}\t${(total * (total - 1)) / 2}\n`,
    );
    console.log(
      `[stress] 20 M-row streamed insert: peak ${(peak / MiB).toFixed(1)} MiB over the baseline (the data: 160 MB)`,
    );
    expect(peak).toBeLessThan(32 * MiB);
    await admin(`DROP TABLE ${table}`);
  }, 180_000);
});

describe('kill -9 of the server', () => {
  let local: LocalServer | undefined;
  afterAll(async () => {
    await local?.stop();
  });

  it('under 20 concurrent operations: every one fails with a ConnectionError, and the same client recovers', async () => {
    local = await startLocalServer();
    const client = closeLater(
      createClient({
        host: local.host,
        port: local.port,
        max_open_connections: 20,
        connect_timeout_ms: 2000,
        request_timeout_ms: 30_000,
      }),
    );
    const table = uniqueTable('killed');
    await client.command({ query: `CREATE TABLE ${table} (id UInt64) ENGINE = MergeTree ORDER BY id` });
    async function* endless(): AsyncGenerator<{ id: number }[]> {
      for (let i = 0; ; i++) {
        yield [{ id: i }];
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
    const operations = Array.from({ length: 20 }, async (_, i) => {
      try {
        switch (i % 4) {
          case 0:
            await client.command({ query: 'SELECT sleepEachRow(0.5) FROM system.numbers SETTINGS max_block_size = 1' });
            break;
          case 1:
            await (
              await client.query({
                query: 'SELECT sleepEachRow(0.01), number FROM system.numbers SETTINGS max_block_size = 1',
              })
            ).json();
            break;
          case 2:
            // Blocks of 10 rows: the INSERT is under way, a block every 50 ms, when the server dies.
            await client.insert({ table, values: endless(), block_rows: 10 });
            break;
          default:
            await client.command({ query: 'SELECT count() FROM system.numbers' });
        }
        return 'completed';
      } catch (error) {
        return error;
      }
    });
    await until(() => client.poolStats().in_use === 20);
    await local.kill('SIGKILL');
    const outcomes = await Promise.all(operations);
    outcomes.forEach((outcome, i) => {
      // A streamed insert cut short may be reported as an unknown outcome instead (README, "Reliable inserts").
      if (i % 4 === 2 && outcome instanceof InsertOutcomeUnknownError) return;
      expect(outcome).toBeInstanceOf(ConnectionError);
    });
    expect(client.poolStats()).toMatchObject({ in_use: 0 });

    await local.restart();
    const rows = await (await client.query({ query: 'SELECT count() AS n FROM numbers(10)' })).json();
    expect(rows).toEqual([{ n: 10n }]);
    await client.insert({ table, values: [{ id: 1 }, { id: 2 }] });
    expect(await (await client.query({ query: `SELECT count() >= 2 AS ok FROM ${table}` })).json()).toEqual([
      { ok: 1 },
    ]);
    expect(client.poolStats()).toMatchObject({ in_use: 0, waiting: 0 });
  }, 120_000);
});
