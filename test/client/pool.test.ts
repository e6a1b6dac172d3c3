/**
 * The connection pool against the real server: a bounded wait when every connection is held (issue 13, item 2),
 * idle connections that do not keep the process alive (item 3), and idle-connection liveness: TCP keep-alive, an
 * idle TTL and a maximum lifetime (item 4).
 */
import { runToExit, runtimeArgs } from '../harness/child.js';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { PoolExhaustedError, type ResultSet } from '../../src/index.js';
import { resolveConfig } from '../../src/client/config.js';
import { testServer } from '../harness/context.js';
import { admin, clientFor, closeLater, closeOpened, proxiedClientFor, uniqueTable, until } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));

afterEach(closeOpened);

describe('pool exhaustion', () => {
  it('fails with PoolExhaustedError, naming unconsumed results, instead of waiting forever', async () => {
    const client = closeLater(clientFor({ max_open_connections: 2, pool_acquire_timeout_ms: 200 }));
    const held: ResultSet[] = [];
    for (let i = 0; i < 2; i++)
      held.push(await client.query({ query: 'SELECT number FROM system.numbers LIMIT 1000000' }));
    expect(client.poolStats()).toMatchObject({ open: 2, in_use: 2 });

    const error = await client.query({ query: 'SELECT 1' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PoolExhaustedError);
    const message = (error as Error).message;
    expect(message).toMatch(/pool is exhausted/);
    expect(message).toMatch(/max_open_connections/);
    expect(message).toMatch(/pool_acquire_timeout_ms/);
    expect(message).toMatch(/result holds it until the result is read to the end, closed or aborted/);
    expect((error as PoolExhaustedError).maxOpenConnections).toBe(2);
    expect(client.poolStats().waiting).toBe(0);

    // Closing the results frees their connections: the pool serves again.
    for (const result of held) await result.close();
    expect(await (await client.query({ query: 'SELECT 7 AS n' })).json()).toEqual([{ n: 7 }]);
  });

  it('a waiter is served as soon as a connection frees up', async () => {
    const client = closeLater(clientFor({ max_open_connections: 1, pool_acquire_timeout_ms: 30_000 }));
    const first = await client.query({ query: 'SELECT number FROM system.numbers LIMIT 3' });
    const second = client.query({ query: 'SELECT 2 AS n' });
    await until(() => client.poolStats().waiting === 1);
    expect((await first.json()).length).toBe(3);
    expect(await (await second).json()).toEqual([{ n: 2 }]);
  });

  it('defaults to a 30 s bound; 0 waits without limit', () => {
    expect(resolveConfig({}).poolAcquireTimeoutMs).toBe(30_000);
    expect(resolveConfig({ pool_acquire_timeout_ms: 0 }).poolAcquireTimeoutMs).toBe(0);
    expect(() => resolveConfig({ pool_acquire_timeout_ms: -1 })).toThrow(/pool_acquire_timeout_ms/);
  });
});

describe('a process that never calls close()', () => {
  it('exits by itself once its work is done: idle pooled sockets do not hold the event loop', async () => {
    const server = testServer();
    const table = uniqueTable('exit_without_close');
    await admin(`CREATE TABLE ${table} (x UInt8) ENGINE = Memory`);
    const { code, signal, stdout, stderr } = await runToExit(
      runtimeArgs(path.join(here, 'fixtures', 'exit-without-close.mts')),
      {
        cwd: path.resolve(here, '..', '..'),
        env: { ...process.env, EXIT_TEST_URL: server.url, EXIT_TEST_TABLE: table },
      },
    );
    expect({ code, signal, stderr }).toEqual({ code: 0, signal: null, stderr: '' });
    const report = JSON.parse(stdout) as { rows: unknown; stats: { open: number; idle: number; in_use: number } };
    expect(report.rows).toEqual([{ answer: 42 }]);
    // The connection was still open and idle when the script ended: the pool, not a close, let the process go.
    expect(report.stats).toMatchObject({ open: 1, idle: 1, in_use: 0 });
    expect(await admin(`SELECT count() FROM ${table}`)).toBe('2\n');
  });
});

/**
 * The kernel's TCP sockets to `port` (remote side) that are established, with their timer kind from /proc/net/tcp
 * (the `tr` field: 0 none, 1 retransmit, 2 keep-alive, 4 zero-window probe).
 */
function establishedTo(port: number): Array<{ timer: number }> {
  const lines = fs.readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1);
  const out: Array<{ timer: number }> = [];
  for (const line of lines) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6) continue;
    const remotePort = parseInt(f[2]!.split(':')[1]!, 16);
    if (remotePort !== port || f[3] !== '01') continue;
    out.push({ timer: parseInt(f[5]!.split(':')[0]!, 16) });
  }
  return out;
}

describe('idle-connection liveness', () => {
  it('turns on TCP keep-alive probes for pooled connections (tcp_keep_alive_ms)', async () => {
    const { client, proxy } = await proxiedClientFor();
    await client.command({ query: 'SELECT 1' });
    const sockets = establishedTo(proxy.port);
    expect(sockets).toHaveLength(1);
    expect(sockets[0]!.timer).toBe(2); // the kernel's keep-alive timer runs on the idle socket
  });

  it('tcp_keep_alive_ms: 0 leaves probes off', async () => {
    const { client, proxy } = await proxiedClientFor({ tcp_keep_alive_ms: 0 });
    await client.command({ query: 'SELECT 1' });
    expect(establishedTo(proxy.port)).toEqual([{ timer: 0 }]);
  });

  it('closes a connection idle longer than idle_connection_ttl_ms, and opens a fresh one for the next request', async () => {
    const { client, proxy } = await proxiedClientFor({ idle_connection_ttl_ms: 100 });
    expect(await (await client.query({ query: 'SELECT 1 AS one' })).json()).toEqual([{ one: 1 }]);
    expect(client.poolStats()).toMatchObject({ open: 1, idle: 1 });
    await until(() => proxy.openConnections === 0);
    expect(client.poolStats()).toMatchObject({ open: 0, idle: 0 });
    expect(await (await client.query({ query: 'SELECT 2 AS two' })).json()).toEqual([{ two: 2 }]);
    expect(proxy.stats.connections).toBe(2);
  });

  it('never reuses a connection past max_connection_lifetime_ms', async () => {
    const { client, proxy } = await proxiedClientFor({ max_connection_lifetime_ms: 200 });
    // The query outlives the connection's lifetime: when it ends, the connection is closed rather than pooled.
    await client.command({ query: 'SELECT sleep(0.3)' });
    expect(client.poolStats()).toMatchObject({ open: 0, idle: 0 });
    await client.command({ query: 'SELECT 1' });
    expect(proxy.stats.connections).toBe(2);
  });

  it('keeps reusing one connection within its TTL and lifetime', async () => {
    const { client, proxy } = await proxiedClientFor();
    for (let i = 0; i < 5; i++) await client.command({ query: 'SELECT 1' });
    expect(proxy.stats.connections).toBe(1);
  });

  it('has documented defaults: 60 s idle TTL, 1 h lifetime, 30 s keep-alive', () => {
    expect(resolveConfig({})).toMatchObject({
      idleConnectionTtlMs: 60_000,
      maxConnectionLifetimeMs: 3_600_000,
      tcpKeepAliveMs: 30_000,
    });
  });
});
