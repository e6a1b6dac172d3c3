/**
 * Aborts against the real server (issue 13): the AbortError reaches the caller at once while the server is silent
 * (item 5), an abort before the Query is sent means it is never sent, and an abort storm leaves nothing running
 * (item 14), and an Exception read while draining after a Cancel retires the connection (item 15).
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { AbortError, ClickHouseError } from '../../src/index.js';
import { testServer } from '../harness/context.js';
import { admin, clientFor, closeLater, closeOpened, proxiedClientFor, uniqueTable, until } from './helpers.js';

afterEach(closeOpened);

async function running(queryIdPrefix: string): Promise<number> {
  return Number(await admin(`SELECT count() FROM system.processes WHERE query_id LIKE '${queryIdPrefix}%'`));
}

/**
 * Waits until the query has run half a second: its sleep() surely started (a Cancel that reaches 18.16 before the
 * query's pipeline starts ends it at once and cleanly, which is not what these tests are about).
 */
async function sleeping(queryId: string): Promise<void> {
  await until(
    async () =>
      Number(await admin(`SELECT count() FROM system.processes WHERE query_id = '${queryId}' AND elapsed > 0.5`)) === 1,
  );
}

function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => new Error('expected a rejection'),
    (error: unknown) => error,
  );
}

describe('abort while the server is silent', () => {
  it('query(): the AbortError arrives while the query still runs; the drain returns the connection afterwards', async () => {
    const client = closeLater(clientFor({ max_open_connections: 1 }));
    const queryId = `silent-${randomUUID()}`;
    const controller = new AbortController();
    // sleep() is not interrupted by Cancel (18.16 and 26.7 both end it after the full sleep): the server stays silent.
    const result = await client.query({ query: 'SELECT sleep(3)', query_id: queryId, abort_signal: controller.signal });
    const reading = rejection(result.json());
    await sleeping(queryId);
    controller.abort();
    expect(await reading).toBeInstanceOf(AbortError);
    // The caller has its error while the Cancel is still draining and the server still runs the query.
    expect(client.poolStats()).toMatchObject({ in_use: 1 });
    expect(await running(queryId)).toBe(1);
    // The drain ends cleanly (EndOfStream after the Cancel): the connection goes back to the pool.
    await until(() => client.poolStats().in_use === 0);
    expect(client.poolStats()).toMatchObject({ open: 1, idle: 1 });
    expect(await (await client.query({ query: 'SELECT 5 AS n' })).json()).toEqual([{ n: 5 }]);
  });

  it('command(): the same', async () => {
    const client = closeLater(clientFor({ max_open_connections: 1 }));
    const queryId = `silent-cmd-${randomUUID()}`;
    const controller = new AbortController();
    const pending = rejection(
      client.command({ query: 'SELECT sleep(3)', query_id: queryId, abort_signal: controller.signal }),
    );
    await sleeping(queryId);
    controller.abort();
    expect(await pending).toBeInstanceOf(AbortError);
    expect(client.poolStats()).toMatchObject({ in_use: 1 });
    expect(await running(queryId)).toBe(1);
    await until(() => client.poolStats().in_use === 0);
    expect(client.poolStats()).toMatchObject({ open: 1, idle: 1 });
  });

  it('a drain that never ends is bounded: the connection is destroyed, never pooled', async () => {
    // request_timeout_ms bounds any silence of the server, the drain's included. The query streams a row every
    // 50 ms, so only the drain is ever silent.
    const { client, proxy } = await proxiedClientFor({ max_open_connections: 1, request_timeout_ms: 3000 });
    const controller = new AbortController();
    const result = await client.query({
      query: 'SELECT sleepEachRow(0.05), number FROM system.numbers SETTINGS max_block_size = 1',
      abort_signal: controller.signal,
    });
    const error = await (async () => {
      for await (const _ of result) {
        proxy.setBlackhole(true); // the Cancel and everything after it vanish: the server's answer never comes
        controller.abort();
      }
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AbortError);
    expect(client.poolStats()).toMatchObject({ open: 1, in_use: 1 });
    await until(() => client.poolStats().open === 0);
    proxy.setBlackhole(false);
    expect(await (await client.query({ query: 'SELECT 1 AS one' })).json()).toEqual([{ one: 1 }]);
    expect(proxy.stats.connections).toBe(2);
  });
});

describe('stopping a large stream early', () => {
  it('closes the connection after the Cancel rather than draining megabytes, and the server stops the query', async () => {
    const client = closeLater(clientFor({ max_open_connections: 1 }));
    const queryId = `large-${randomUUID()}`;
    const result = await client.query({ query: 'SELECT number FROM system.numbers', query_id: queryId });
    for await (const row of result) {
      expect(row).toEqual({ number: 0n });
      break;
    }
    // Endless and fast: what is in flight is far over the drain budget, so the connection is closed once the
    // Cancel is out. Both servers stop a query whose Cancel arrived before its connection closed.
    await until(() => client.poolStats().in_use === 0);
    expect(client.poolStats()).toMatchObject({ open: 0 });
    await until(async () => (await running(queryId)) === 0);
  });

  it('a small rest is drained and the connection reused', async () => {
    const client = closeLater(clientFor({ max_open_connections: 1 }));
    const result = await client.query({
      query: 'SELECT number FROM system.numbers LIMIT 1000 SETTINGS max_block_size = 100',
    });
    for await (const _ of result) break;
    await until(() => client.poolStats().in_use === 0);
    expect(client.poolStats()).toMatchObject({ open: 1, idle: 1 });
  });
});

describe('an abort before the Query is sent', () => {
  it('while the Hello is delayed: AbortError, and the statement never reaches the server', async () => {
    const { client, proxy } = await proxiedClientFor({ max_open_connections: 1 });
    const table = uniqueTable('never_created');
    proxy.setDelay(200);
    const controller = new AbortController();
    const pending = rejection(
      client.command({ query: `CREATE TABLE ${table} (x UInt8) ENGINE = Memory`, abort_signal: controller.signal }),
    );
    controller.abort(); // the connection is still opening
    expect(await pending).toBeInstanceOf(AbortError);
    // The handshake completes in the background and the connection joins the pool, unused.
    await until(() => client.poolStats().idle === 1);
    // The delay stays: lifting it would let the next query overtake bytes still queued in the proxy (the Hello
    // addendum a modern server reads after its Hello).
    // Same connection (one in the pool, one accepted by the proxy): had the CREATE gone out on it, the server would
    // have run it before this query, which it answers in order.
    expect(await (await client.query({ query: `EXISTS TABLE ${table}` })).json()).toEqual([{ result: 0 }]);
    expect(proxy.stats.connections).toBe(1);
    expect(await admin(`EXISTS TABLE ${table}`)).toBe('0\n');
  });

  it('an already aborted signal sends nothing at all', async () => {
    const { client, proxy } = await proxiedClientFor();
    const table = uniqueTable('never_created');
    await expect(
      client.command({ query: `CREATE TABLE ${table} (x UInt8) ENGINE = Memory`, abort_signal: AbortSignal.abort() }),
    ).rejects.toBeInstanceOf(AbortError);
    expect(proxy.stats.connections).toBe(0);
  });

  it('an abort storm: 200 endless queries aborted at random within 50 ms leave nothing running on the server', async () => {
    const client = closeLater(clientFor({ max_open_connections: 50 }));
    const prefix = `storm-${randomUUID()}-`;
    const queries = [
      'SELECT count() FROM system.numbers', // silent while it runs
      'SELECT sleepEachRow(0.01), number FROM system.numbers SETTINGS max_block_size = 1', // streams rows
    ];
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const controller = new AbortController();
        setTimeout(() => controller.abort(), Math.random() * 50);
        const signal = controller.signal;
        try {
          if (i % 3 === 0) await client.command({ query: queries[0]!, query_id: prefix + i, abort_signal: signal });
          else
            await (await client.query({ query: queries[i % 2]!, query_id: prefix + i, abort_signal: signal })).json();
          return 'completed';
        } catch (error) {
          return error instanceof AbortError ? 'aborted' : String(error);
        }
      }),
    );
    expect(outcomes.filter((o) => o !== 'aborted')).toEqual([]);
    // Every Cancel has drained (or its connection was given up): nothing of ours holds a connection.
    await until(() => client.poolStats().in_use === 0);
    // A drain ends when the server has ended the query; its process-list entry goes right after the EndOfStream.
    let left = await running(prefix);
    for (let i = 0; i < 20 && left > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      left = await running(prefix);
    }
    expect(left).toBe(0);
    const stats = client.poolStats();
    expect(stats.in_use).toBe(0);
    expect(stats.open).toBeLessThanOrEqual(50);
    expect(await (await client.query({ query: 'SELECT 3 AS n' })).json()).toEqual([{ n: 3 }]);
  });
});

describe('a server exception retires the connection', () => {
  it('after a Cancel too: an Exception read by the drain closes the connection instead of pooling it', async () => {
    const client = closeLater(clientFor({ max_open_connections: 1 }));
    const controller = new AbortController();
    const queryId = `throw-after-cancel-${randomUUID()}`;
    // The sleep outlasts the abort; then throwIf raises. 18.16 sends that Exception after our Cancel; 26.7 ends a
    // cancelled query with EndOfStream instead (both seen on the real servers).
    const result = await client.query({
      query: 'SELECT sleep(2), throwIf(number = 0) FROM numbers(1)',
      query_id: queryId,
      abort_signal: controller.signal,
    });
    const reading = rejection(result.json());
    await sleeping(queryId);
    controller.abort();
    expect(await reading).toBeInstanceOf(AbortError);
    await until(() => client.poolStats().in_use === 0);
    const exceptionAfterCancel = (testServer().version ?? '').startsWith('18.');
    expect(client.poolStats()).toMatchObject(exceptionAfterCancel ? { open: 0, idle: 0 } : { open: 1, idle: 1 });
    expect(await (await client.query({ query: 'SELECT 1 AS one' })).json()).toEqual([{ one: 1 }]);
  });

  it('an Exception without a Cancel: the same rule', async () => {
    const client = closeLater(clientFor({ max_open_connections: 1 }));
    await expect(client.command({ query: 'SELECT throwIf(1)' })).rejects.toBeInstanceOf(ClickHouseError);
    expect(client.poolStats()).toMatchObject({ open: 0, in_use: 0 });
  });
});
