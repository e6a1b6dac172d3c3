/**
 * Insert deduplication on a plain (non-replicated) MergeTree, live: `non_replicated_deduplication_window` and
 * `insert_deduplication_token` (insert_deduplication_token gate: ClickHouse 22.2 and later).
 *
 * - The window alone: the same block inserted twice is stored once (the server hashes the block's data).
 * - A token: inserts with the same token are stored once, whatever their rows; another token stores again.
 * - The client's own token (one random token per insert call, the same on each of its retries): two calls with the
 *   same rows are two inserts, and a retry after a lost answer is not stored twice.
 * Against a server without them (18.16), each is refused, by the server or before anything is sent.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ClickHouseError, UnsupportedError, type ClickHouseClient, type InsertRetryEvent } from '../../src/index.js';
import { serverSupports, testServer } from '../harness/context.js';
import { FaultProxy } from '../harness/fault-proxy.js';
import { admin, clientFor, uniqueTable } from '../client/helpers.js';

const ROWS = Array.from({ length: 100 }, (_, i) => ({ id: i, s: `row ${i}` }));
const supported = serverSupports('insert_deduplication_token');

const tables: string[] = [];
const clients: ClickHouseClient[] = [];
afterAll(async () => {
  for (const c of clients) await c.close();
  for (const t of tables) await admin(`DROP TABLE IF EXISTS ${t}`).catch(() => {});
});

function client(config: Parameters<typeof clientFor>[0] = {}): ClickHouseClient {
  const c = clientFor(config);
  clients.push(c);
  return c;
}

async function dedupTable(): Promise<string> {
  const table = uniqueTable('dedup');
  tables.push(table);
  await admin(
    `CREATE TABLE ${table} (id UInt32, s String) ENGINE = MergeTree ORDER BY id SETTINGS non_replicated_deduplication_window = 100`,
  );
  return table;
}

const count = async (table: string) => Number((await admin(`SELECT count() FROM ${table}`)).trim());

describe('deduplication on a non-replicated MergeTree', () => {
  it('non_replicated_deduplication_window: the same block inserted twice is stored once', async () => {
    if (!supported) {
      await expect(dedupTable()).rejects.toThrow(/non_replicated_deduplication_window/);
      return;
    }
    const table = await dedupTable();
    // Without the client's token, only the window decides: by the block's data.
    const c = client({ insert_retry: { deduplication_token: false } });
    await c.insert({ table, values: ROWS });
    await c.insert({ table, values: ROWS });
    expect(await count(table)).toBe(ROWS.length);
    await c.insert({ table, values: ROWS.map((r) => ({ ...r, s: `${r.s}!` })) });
    expect(await count(table)).toBe(2 * ROWS.length);
  });

  it('insert_deduplication_token: one token stores once whatever the rows, another token stores again', async () => {
    const c = client();
    if (!supported) {
      const table = uniqueTable('dedup_old');
      tables.push(table);
      await admin(`CREATE TABLE ${table} (id UInt32, s String) ENGINE = MergeTree ORDER BY id`);
      const error = await c
        .insert({ table, values: ROWS, clickhouse_settings: { insert_deduplication_token: 'a' } })
        .catch((e: unknown) => e);
      expect(error instanceof UnsupportedError || error instanceof ClickHouseError, String(error)).toBe(true);
      expect((error as Error).message).toMatch(/insert_deduplication_token/);
      expect(await count(table)).toBe(0);
      return;
    }
    const table = await dedupTable();
    await c.insert({ table, values: ROWS, clickhouse_settings: { insert_deduplication_token: 'token-a' } });
    await c.insert({
      table,
      values: ROWS.slice(0, 10),
      clickhouse_settings: { insert_deduplication_token: 'token-a' },
    });
    expect(await count(table)).toBe(ROWS.length);
    await c.insert({ table, values: ROWS, clickhouse_settings: { insert_deduplication_token: 'token-b' } });
    expect(await count(table)).toBe(2 * ROWS.length);
  });

  it("the client's own token: two calls are two inserts, and a retry after a lost answer is stored once", async () => {
    if (!supported) {
      // The client sends no token to a server that lacks the setting, and such a server has no window: nothing to show.
      const table = uniqueTable('dedup_plain');
      tables.push(table);
      await admin(`CREATE TABLE ${table} (id UInt32, s String) ENGINE = MergeTree ORDER BY id`);
      await client().insert({ table, values: ROWS });
      expect(await count(table)).toBe(ROWS.length);
      return;
    }
    const table = await dedupTable();
    const c = client();
    await c.insert({ table, values: ROWS });
    await c.insert({ table, values: ROWS });
    expect(await count(table)).toBe(2 * ROWS.length);

    // The server commits, its answer is lost: the client retries with the same token, and the server drops the copy.
    const proxy = await FaultProxy.start({ host: testServer().host, port: testServer().port });
    try {
      const retries: InsertRetryEvent[] = [];
      const retried = client({
        host: '127.0.0.1',
        port: proxy.port,
        insert_retry: { initial_delay_ms: 10, on_retry: (e) => retries.push(e) },
      });
      const before = await count(table);
      proxy.failNextInsert({ at: 'after-data', action: 'cut' });
      const result = await retried.insert({ table, values: ROWS.map((r) => ({ ...r, id: r.id + 1000 })) });
      expect(proxy.stats.faults).toBe(1);
      expect(retries.map((e) => e.outcome)).toEqual(['unknown']);
      expect(result.rows).toBe(ROWS.length);
      expect(await count(table)).toBe(before + ROWS.length);
    } finally {
      await proxy.close();
    }
  });
});
