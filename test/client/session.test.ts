/**
 * Sessions (client.session()): one pinned connection, so temporary tables, SET, USE and roles hold across calls; and
 * the pooled client's refusal of the statements that would change one random pooled connection.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  AbortError,
  ClickHouseError,
  ConnectionError,
  SessionBusyError,
  SessionClosedError,
  UnsupportedError,
} from '../../src/index.js';
import { serverSupports, testServer } from '../harness/context.js';
import { FaultProxy } from '../harness/fault-proxy.js';
import { admin, clientFor, uniqueTable } from './helpers.js';

const client = clientFor({ max_open_connections: 6 });
const databases: string[] = [];
afterAll(async () => {
  await client.close();
  for (const db of databases) await admin(`DROP DATABASE IF EXISTS ${db}`).catch(() => {});
});

async function currentDatabase(run: { query: typeof client.query }): Promise<string> {
  const rows = await (await run.query<{ db: string }>({ query: 'SELECT currentDatabase() AS db' })).json();
  return rows[0]!.db;
}

describe('a session', () => {
  it('keeps a temporary table across its calls (query, insert, command), and drops it with the session', async () => {
    const session = client.session();
    await session.command({ query: 'CREATE TEMPORARY TABLE tmp_numbers (n UInt32, s String)' });
    await session.insert({
      table: 'tmp_numbers',
      values: [
        { n: 1, s: 'one' },
        { n: 2, s: 'two' },
      ],
    });
    await session.command({ query: "INSERT INTO tmp_numbers SELECT 3, 'three'" });
    const rows = await (await session.query({ query: 'SELECT n, s FROM tmp_numbers ORDER BY n' })).json();
    expect(rows).toEqual([
      { n: 1, s: 'one' },
      { n: 2, s: 'two' },
      { n: 3, s: 'three' },
    ]);
    const total = await (
      await session.query({
        query: 'SELECT sum(n) AS t FROM tmp_numbers WHERE n > {min:UInt32}',
        query_params: { min: 1 },
      })
    ).json();
    expect(total).toEqual([{ t: 5n }]);
    await session.close();
    await expect(session.query({ query: 'SELECT 1' })).rejects.toThrow(SessionClosedError);

    // Another session is another connection: the table is not there.
    await using other = client.session();
    await expect(other.query({ query: 'SELECT * FROM tmp_numbers' })).rejects.toThrow(ClickHouseError);
  });

  it('five concurrent currentDatabase() after USE: all the new database in a session; USE refused by the pool', async () => {
    const db = uniqueTable('session_db');
    databases.push(db);
    await admin(`CREATE DATABASE ${db}`);
    await using session = client.session();
    await session.command({ query: `USE ${db}` });
    const inSession = await Promise.all(Array.from({ length: 5 }, () => currentDatabase(session)));
    expect(inSession).toEqual([db, db, db, db, db]);

    // The pooled client refuses USE rather than change one connection at random.
    const refused = await client.command({ query: `USE ${db}` }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(UnsupportedError);
    expect((refused as Error).message).toMatch(/client\.session\(\)/);
    expect((refused as Error).message).toMatch(/`database` option/);
    const pooled = await Promise.all(Array.from({ length: 5 }, () => currentDatabase(client)));
    expect(pooled).toEqual(Array(5).fill(testServer().database));
  });

  it('keeps SET across calls; the pool refuses SET and CREATE TEMPORARY TABLE', async () => {
    await using session = client.session();
    await session.command({ query: 'SET max_threads = 3' });
    const setting = async (run: { query: typeof client.query }) =>
      (
        await (
          await run.query<{ value: string }>({ query: "SELECT value FROM system.settings WHERE name = 'max_threads'" })
        ).json()
      )[0]!.value;
    expect(await setting(session)).toBe('3');
    expect(await setting(session)).toBe('3');
    for (const query of [
      'SET max_block_size = 1234',
      '  /* hint */ set max_threads = 3',
      'CREATE TEMPORARY TABLE t (x UInt8)',
    ]) {
      const refused = await client.command({ query }).catch((e: unknown) => e);
      expect(refused, query).toBeInstanceOf(UnsupportedError);
      expect((refused as Error).message, query).toMatch(/session/);
    }
    await expect(client.query({ query: 'SET max_threads = 3' })).rejects.toThrow(UnsupportedError);
    // Settings per call are the pooled way.
    const perCall = await client.query({
      query: "SELECT value FROM system.settings WHERE name = 'max_block_size'",
      clickhouse_settings: { max_block_size: 1234 },
    });
    expect(await perCall.json()).toEqual([{ value: '1234' }]);
  });

  it('survives server errors and an early break with its state intact', async () => {
    await using session = client.session();
    await session.command({ query: 'CREATE TEMPORARY TABLE tmp_state (x UInt8)' });
    await session.command({ query: 'INSERT INTO tmp_state SELECT 7' });
    await expect(session.query({ query: 'SELEC nonsense' })).rejects.toThrow(ClickHouseError); // a syntax error
    await expect(session.query({ query: 'SELECT * FROM no_such_table_anywhere' })).rejects.toThrow(ClickHouseError);
    await expect(session.query({ query: "SELECT toUInt8('not a number')" })).rejects.toThrow(ClickHouseError); // at run time
    const endless = await session.query({ query: 'SELECT number FROM system.numbers' });
    for await (const block of endless.blocks()) {
      expect(block.rows).toBeGreaterThan(0);
      break; // Cancel: the session drains the query and carries on
    }
    const controller = new AbortController();
    const aborted = await session.query({
      query: 'SELECT number FROM system.numbers',
      abort_signal: controller.signal,
    });
    controller.abort();
    await expect(aborted.json()).rejects.toThrow(AbortError);
    expect(await (await session.query({ query: 'SELECT x FROM tmp_state' })).json()).toEqual([{ x: 7 }]);
  });

  it('runs concurrent calls one at a time, and says so when an unconsumed result holds it too long', async () => {
    const impatient = clientFor({ request_timeout_ms: 300 });
    try {
      await using session = impatient.session();
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => session.query({ query: `SELECT ${i} AS i` }).then((r) => r.json())),
      );
      expect(results.flat()).toEqual(Array.from({ length: 8 }, (_, i) => ({ i })));
      const open = await session.query({ query: 'SELECT number FROM system.numbers LIMIT 100000' });
      const blocked = await session.query({ query: 'SELECT 1' }).catch((e: unknown) => e);
      expect(blocked).toBeInstanceOf(SessionBusyError);
      expect((blocked as Error).message).toMatch(/still open/);
      await open.close();
      expect(await (await session.query({ query: 'SELECT 2 AS two' })).json()).toEqual([{ two: 2 }]);
    } finally {
      await impatient.close();
    }
  });

  it('ends when its connection is lost, and never reconnects silently', async () => {
    const server = testServer();
    const proxy = await FaultProxy.start({ host: server.host, port: server.port });
    const viaProxy = clientFor({ host: proxy.host, port: proxy.port });
    try {
      const session = viaProxy.session();
      await session.command({ query: 'CREATE TEMPORARY TABLE tmp_lost (x UInt8)' });
      proxy.cutAll();
      const first = await session.query({ query: 'SELECT * FROM tmp_lost' }).catch((e: unknown) => e);
      expect(first instanceof ConnectionError || first instanceof SessionClosedError).toBe(true);
      const second = await session.query({ query: 'SELECT 1' }).catch((e: unknown) => e);
      expect(second).toBeInstanceOf(SessionClosedError);
      expect((second as Error).message).toMatch(/temporary tables, settings and current database are gone/);
      await session.close();
      // The client itself goes on, on a new connection.
      expect(await (await viaProxy.query({ query: 'SELECT 1 AS one' })).json()).toEqual([{ one: 1 }]);
    } finally {
      await viaProxy.close();
      await proxy.close();
    }
  });

  it('gives its pool slot back on close, with none of its state', async () => {
    const single = clientFor({ max_open_connections: 1 });
    try {
      const db = uniqueTable('session_db');
      databases.push(db);
      await admin(`CREATE DATABASE ${db}`);
      const session = single.session();
      await session.command({ query: `USE ${db}` });
      expect(await currentDatabase(session)).toBe(db);
      await session.close();
      // The only slot is free again, and the connection that had USE was closed, not pooled.
      expect(await currentDatabase(single)).toBe(testServer().database);
    } finally {
      await single.close();
    }
  });

  it('keeps SET ROLE across calls (servers with roles)', async () => {
    await using session = client.session();
    const roles = async (run: { query: typeof client.query }) =>
      (await (await run.query<{ r: string[] }>({ query: 'SELECT currentRoles() AS r' })).json())[0]!.r;
    if (!serverSupports('modern_types')) {
      // 18.16 has no roles at all: the server refuses, and the session carries on.
      await expect(session.command({ query: 'SET ROLE NONE' })).rejects.toThrow(ClickHouseError);
      await expect(roles(session)).rejects.toThrow(ClickHouseError);
      expect(await (await session.query({ query: 'SELECT 1 AS one' })).json()).toEqual([{ one: 1 }]);
      return;
    }
    const granted = await roles(session);
    if (granted.length > 0) {
      // The user has roles (granted by the server's users.xml): drop them for this session only.
      await session.command({ query: 'SET ROLE NONE' });
      expect(await roles(session)).toEqual([]);
      expect(await roles(session)).toEqual([]);
      expect(await roles(client)).toEqual(granted);
      await session.command({ query: 'SET ROLE DEFAULT' });
      expect(await roles(session)).toEqual(granted);
      return;
    }
    const role = uniqueTable('session_role');
    const created = await session.command({ query: `CREATE ROLE ${role}` }).catch((e: unknown) => e);
    if (created instanceof ClickHouseError) {
      // A user without access management (or a server without writable access storage): nothing to switch to.
      expect(created.message).toMatch(/privileges|access storage|ACCESS_DENIED/i);
      expect(await roles(session)).toEqual([]);
      return;
    }
    try {
      await session.command({ query: `GRANT ${role} TO ${testServer().username}` });
      await session.command({ query: `SET ROLE ${role}` });
      expect(await roles(session)).toEqual([role]);
      expect(await roles(session)).toEqual([role]);
      await session.command({ query: 'SET ROLE NONE' });
      expect(await roles(session)).toEqual([]);
    } finally {
      await session.command({ query: `DROP ROLE IF EXISTS ${role}` });
    }
  });
});
