/**
 * The default retry never stores a row twice. Through a fault proxy in front of the run's server, the connection is
 * cut after the whole INSERT reached the server and before its acknowledgement: the outcome is unknown to the
 * client, and the rows are in fact committed. A resend is safe only where the server deduplicates the blocks, so:
 *  - a plain MergeTree (no non_replicated_deduplication_window), Memory: InsertOutcomeUnknownError, rows once;
 *  - a MergeTree with non_replicated_deduplication_window > 0 (servers from 22.2): resent, rows once;
 *  - the same table with insert_deduplicate = 0: InsertOutcomeUnknownError, rows once.
 * ReplicatedMergeTree (which needs ZooKeeper) is covered by fault-matrix.test.ts on its own 18.16 server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InsertOutcomeUnknownError, type ClickHouseClient } from '../../src/index.js';
import type { InsertRetryEvent } from '../../src/insert/retry.js';
import { admin, clientFor, uniqueTable } from '../client/helpers.js';
import { serverSupports, testServer } from '../harness/context.js';
import { FaultProxy } from '../harness/fault-proxy.js';

const ROWS = 50_000;
let proxy: FaultProxy;
let client: ClickHouseClient;
const retries: InsertRetryEvent[] = [];
const tables: string[] = [];

beforeAll(async () => {
  const server = testServer();
  proxy = await FaultProxy.start({ host: server.host, port: server.port });
  client = clientFor({
    host: proxy.host,
    port: proxy.port,
    insert_retry: { initial_delay_ms: 5, max_delay_ms: 50, on_retry: (event) => retries.push(event) },
  });
});

afterAll(async () => {
  await client?.close();
  await proxy?.close();
  for (const table of tables) await admin(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
});

function rows(): { id: number; s: string }[] {
  return Array.from({ length: ROWS }, (_, i) => ({ id: i, s: `row ${i}` }));
}

async function createTable(engine: string): Promise<string> {
  const table = uniqueTable('no_dup');
  tables.push(table);
  await admin(`CREATE TABLE ${table} (id UInt32, s String) ENGINE = ${engine}`);
  return table;
}

/**
 * The row counts once no INSERT into `table` is still running. The client learns of the cut as soon as the proxy
 * closes its side; the server may still be committing the rows it read (seen on a loaded machine: a count of half
 * the rows, taken while the second insert was being written).
 */
async function counts(table: string): Promise<{ rows: number; distinct: number }> {
  const deadline = Date.now() + 30_000;
  const running = () =>
    admin(`SELECT count() FROM system.processes WHERE query LIKE 'INSERT%' AND position(query, '${table}') > 0`);
  while ((await running()).trim() !== '0') {
    if (Date.now() > deadline) throw new Error(`an INSERT into ${table} was still running after 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const [rows, distinct] = (await admin(`SELECT count(), uniqExact(id) FROM ${table}`)).trim().split('\t');
  return { rows: Number(rows), distinct: Number(distinct) };
}

/** Inserts ROWS rows with the connection cut after the data, before the acknowledgement. */
async function insertCutAfterData(table: string, settings?: Record<string, number | string>): Promise<unknown> {
  proxy.failNextInsert({ at: 'after-data' });
  const outcome = await client
    .insert({ table, values: rows(), clickhouse_settings: settings })
    .catch((error: unknown) => error);
  expect(proxy.armed, 'the fault fired').toBe(false);
  return outcome;
}

describe('an unknown insert outcome is resent only into a table that deduplicates', () => {
  it('plain MergeTree: InsertOutcomeUnknownError, and the rows stored once (never twice)', async () => {
    const table = await createTable('MergeTree ORDER BY id');
    const before = retries.length;
    const error = await insertCutAfterData(table);
    expect(error).toBeInstanceOf(InsertOutcomeUnknownError);
    const unknown = error as InsertOutcomeUnknownError;
    expect(unknown.attempts).toBe(1);
    expect(unknown.unknownRows).toBe(ROWS);
    expect(unknown.whyNotRetried).toMatch(/MergeTree table without non_replicated_deduplication_window/);
    expect(unknown.message).toMatch(/not resent/);
    expect(retries.length - before).toBe(0);
    // The data had reached the server whole: it committed the rows, exactly once.
    expect(await counts(table)).toEqual({ rows: ROWS, distinct: ROWS });
  });

  it('Memory: InsertOutcomeUnknownError, rows once', async () => {
    const table = await createTable('Memory');
    const error = await insertCutAfterData(table);
    expect(error).toBeInstanceOf(InsertOutcomeUnknownError);
    expect((error as InsertOutcomeUnknownError).whyNotRetried).toMatch(/Memory table, which does not deduplicate/);
    expect(await counts(table)).toEqual({ rows: ROWS, distinct: ROWS });
  });

  it('MergeTree with non_replicated_deduplication_window: resent, and deduplicated by the server', async () => {
    if (!serverSupports('insert_deduplication_token')) {
      // 18.16 has no such table setting: the server refuses it, so such a table cannot exist there.
      await expect(
        admin(
          `CREATE TABLE ${uniqueTable('no_dup')} (id UInt32) ENGINE = MergeTree ORDER BY id SETTINGS non_replicated_deduplication_window = 100`,
        ),
      ).rejects.toThrow(/non_replicated_deduplication_window/);
      return;
    }
    const table = await createTable('MergeTree ORDER BY id SETTINGS non_replicated_deduplication_window = 100');
    const before = retries.length;
    const result = await insertCutAfterData(table);
    expect(result).not.toBeInstanceOf(Error);
    expect((result as { rows: number }).rows).toBe(ROWS);
    expect(retries.slice(before).map((event) => event.outcome)).toEqual(['unknown']);
    expect(await counts(table)).toEqual({ rows: ROWS, distinct: ROWS });

    // The same table with deduplication turned off for the insert: not resent. From 26.2 deduplicate_insert rules
    // over insert_deduplicate (and async_insert is on by default there).
    const [major, minor] = (testServer().version ?? '0.0').split('.').map(Number) as [number, number];
    const modern = major > 26 || (major === 26 && minor >= 2);
    const error = await insertCutAfterData(
      table,
      modern ? { deduplicate_insert: 'disable' } : { insert_deduplicate: 0 },
    );
    expect(error).toBeInstanceOf(InsertOutcomeUnknownError);
    expect((error as InsertOutcomeUnknownError).whyNotRetried).toMatch(
      modern ? /deduplicate_insert = 'disable'/ : /insert_deduplicate = 0/,
    );
    expect(await counts(table)).toEqual({ rows: 2 * ROWS, distinct: ROWS });
  });

  it("unknown_outcome: 'retry' resends regardless (the caller vouches for deduplication)", async () => {
    const table = await createTable('MergeTree ORDER BY id');
    proxy.failNextInsert({ at: 'after-data' });
    const result = await client.insert({
      table,
      values: rows(),
      retry: { unknown_outcome: 'retry', initial_delay_ms: 5 },
    });
    expect(result.rows).toBe(ROWS);
    // What the default guards against: the plain MergeTree now holds every row twice.
    expect(await counts(table)).toEqual({ rows: 2 * ROWS, distinct: ROWS });
  });
});
