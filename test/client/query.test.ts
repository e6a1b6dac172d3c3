import { afterAll, describe, expect, it } from 'vitest';
import { AbortError, ClickHouseError, ConnectionError, type LogEntry, type QueryProgress } from '../../src/index.js';
import { CLIENT_REVISION } from '../../src/protocol/revision.js';
import { startLocalServer } from '../harness/server.js';
import { admin, clientFor, until } from './helpers.js';

const client = clientFor();
afterAll(() => client.close());

describe('handshake', () => {
  it('negotiates the revision and reports the server', async () => {
    const info = await client.serverInfo();
    expect(info.name).toMatch(/ClickHouse/);
    expect(info.revision).toBeGreaterThanOrEqual(54412);
    expect(info.negotiatedRevision).toBe(Math.min(CLIENT_REVISION, info.revision));
    expect(info.timezone.length).toBeGreaterThan(0);
    const version = (await admin('SELECT version()')).trim();
    expect(version.startsWith(`${info.versionMajor}.${info.versionMinor}.`)).toBe(true);
    expect(await client.ping()).toEqual({ success: true });
  });

  it('wrong credentials are a ClickHouseError from the server', async () => {
    const bad = clientFor({ password: 'definitely-wrong' });
    const error = await bad.query({ query: 'SELECT 1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClickHouseError);
    expect((error as ClickHouseError).code).toBeGreaterThan(0);
    expect((error as Error).message).not.toContain('definitely-wrong');
    await bad.close();
  });

  it('a closed port is a ConnectionError', async () => {
    const nowhere = clientFor({ port: 1, connect_timeout_ms: 2000 });
    const result = await nowhere.ping();
    expect(result.success).toBe(false);
    expect((result as { error: Error }).error).toBeInstanceOf(ConnectionError);
    await nowhere.close();
  });
});

describe('query', () => {
  it('returns rows as objects', async () => {
    const result = await client.query({ query: "SELECT 1 AS one, 'x' AS s, toUInt64(7) AS big" });
    expect(result.columns).toEqual([
      { name: 'one', type: 'UInt8' },
      { name: 's', type: 'String' },
      { name: 'big', type: 'UInt64' },
    ]);
    expect(await result.json()).toEqual([{ one: 1, s: 'x', big: 7n }]);
  });

  it('streams 10M rows block by block with flat memory', async () => {
    const result = await client.query({ query: 'SELECT number FROM system.numbers LIMIT 10000000' });
    const before = process.memoryUsage();
    let peak = 0;
    let sum = 0;
    let rows = 0;
    let blocks = 0;
    for await (const block of result.blocks()) {
      const values = block.columns[0]!.values as BigUint64Array;
      for (let i = 0; i < values.length; i++) sum += Number(values[i]);
      rows += block.rows;
      if (++blocks % 16 === 0) {
        const now = process.memoryUsage();
        peak = Math.max(peak, now.heapUsed + now.arrayBuffers - before.heapUsed - before.arrayBuffers);
      }
    }
    expect(rows).toBe(10_000_000);
    expect(sum).toBe((10_000_000 * 9_999_999) / 2);
    // Holding the result would take 80 MB of UInt64 alone; streaming keeps a few blocks.
    expect(peak).toBeLessThan(48 << 20);
    expect(result.summary.progress.read_rows).toBeGreaterThanOrEqual(10_000_000);
  });

  it('iterates rows with for await', async () => {
    const result = await client.query({ query: 'SELECT number AS n FROM system.numbers LIMIT 5' });
    const seen: bigint[] = [];
    for await (const row of result) seen.push((row as { n: bigint }).n);
    expect(seen).toEqual([0n, 1n, 2n, 3n, 4n]);
  });

  it('a server exception rejects with ClickHouseError carrying code, name and stack', async () => {
    const error = await client.query({ query: 'SELECT * FROM no_such_table_anywhere' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClickHouseError);
    expect((error as ClickHouseError).code).toBe(60);
    expect((error as ClickHouseError).serverName).toMatch(/Exception/);
    expect((error as ClickHouseError).message).toMatch(/no_such_table_anywhere/);
    // The client goes on working (on a fresh connection: see QueryResponse.retire).
    expect(await (await client.query({ query: 'SELECT 2 AS two' })).json()).toEqual([{ two: 2 }]);
  });

  it('a syntax error is a ClickHouseError with code 62', async () => {
    const error = await client.command({ query: 'SELEKT 1' }).catch((e: unknown) => e);
    expect((error as ClickHouseError).code).toBe(62);
    // 18.16 raises it before reading the query's empty Data block: the next request must not trip over that block.
    expect(await (await client.query({ query: 'SELECT 5 AS five' })).json()).toEqual([{ five: 5 }]);
  });

  it('reports progress', async () => {
    const seen: QueryProgress[] = [];
    const result = await client.query({
      query: 'SELECT count() FROM numbers(20000000)',
      on_progress: (progress) => seen.push(progress),
    });
    expect(await result.json()).toEqual([{ 'count()': 20_000_000n }]);
    expect(seen.length).toBeGreaterThan(0);
    expect(result.summary.progress.read_rows).toBeGreaterThanOrEqual(20_000_000);
  });

  it('receives server logs with send_logs_level', async () => {
    const logs: LogEntry[] = [];
    const result = await client.query({
      query: 'SELECT 1',
      clickhouse_settings: { send_logs_level: 'trace' },
      on_log: (entry) => logs.push(entry),
    });
    await result.json();
    expect(logs.length).toBeGreaterThan(0);
    expect(logs[0]!.text.length).toBeGreaterThan(0);
    expect(logs[0]!.time).toBeInstanceOf(Date);
    expect(logs.every((l) => l.query_id === result.query_id)).toBe(true);
  });

  it('reads totals, extremes and profile info', async () => {
    const result = await client.query({
      query: 'SELECT number % 3 AS k, count() AS c FROM numbers(10) GROUP BY k WITH TOTALS ORDER BY k',
      clickhouse_settings: { extremes: 1 },
    });
    const rows = await result.json();
    expect(rows).toEqual([
      { k: 0, c: 4n },
      { k: 1, c: 3n },
      { k: 2, c: 3n },
    ]);
    const { totals, extremes, profile_info } = result.summary;
    expect(totals?.rows).toBe(1);
    expect(totals?.columns.find((c) => c.name === 'c')?.values[0]).toBe(10n);
    expect(extremes?.rows).toBe(2);
    expect(extremes?.columns.find((c) => c.name === 'k')?.values[1]).toBe(2);
    expect(profile_info?.rows).toBe(3);
  });

  it('command() runs DDL', async () => {
    const { query_id } = await client.command({ query: 'SELECT 1' });
    expect(query_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('an abort cancels the running query and the connection is reused', async () => {
    const small = clientFor({ max_open_connections: 1 });
    const controller = new AbortController();
    const queryId = `cancel-${Date.now()}`;
    const result = await small.query({
      query: 'SELECT number FROM system.numbers',
      query_id: queryId,
      abort_signal: controller.signal,
    });
    let rows = 0;
    const consume = (async () => {
      for await (const block of result.blocks()) {
        rows += block.rows;
        if (rows > 200_000) controller.abort();
      }
    })();
    await expect(consume).rejects.toBeInstanceOf(AbortError);
    // The same (single) connection serves the next query once the server ended the cancelled one.
    expect(await (await small.query({ query: 'SELECT 3 AS x' })).json()).toEqual([{ x: 3 }]);
    // The server ends the cancelled query (a Cancel drained past its byte bound closes the connection instead, and the
    // server then drops the query on its own time: under load 26.7 may still list it for a moment).
    await until(
      async () => (await admin(`SELECT count() FROM system.processes WHERE query_id = '${queryId}'`)).trim() === '0',
    );
    await small.close();
  });

  it('breaking out of iteration cancels the query', async () => {
    const small = clientFor({ max_open_connections: 1 });
    const result = await small.query({ query: 'SELECT number FROM system.numbers' });
    for await (const block of result.blocks()) {
      expect(block.rows).toBeGreaterThan(0);
      break;
    }
    expect(await (await small.query({ query: 'SELECT 4 AS x' })).json()).toEqual([{ x: 4 }]);
    await small.close();
  });
});

describe('server failure', () => {
  it('a server killed mid-query gives a ConnectionError, not a hang', async () => {
    const server = await startLocalServer();
    try {
      const victim = clientFor({ host: server.host, port: server.port, request_timeout_ms: 20_000 });
      const result = await victim.query({ query: 'SELECT number FROM system.numbers' });
      const consume = (async () => {
        let rows = 0;
        for await (const block of result.blocks()) {
          rows += block.rows;
          if (rows >= 100_000 && server.running) await server.kill('SIGKILL');
        }
      })();
      await expect(consume).rejects.toBeInstanceOf(ConnectionError);
      await victim.close();
    } finally {
      await server.stop();
    }
  });
});
