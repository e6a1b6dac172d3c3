import fs from 'node:fs';
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { testServer } from './context.js';
import {
  adminQuery,
  findContainerRuntimeCandidate,
  detectContainerRuntime,
  formatServerUrl,
  isPortOpen,
  parseServerUrl,
  serverSharesTestLoopback,
  startLocalServer,
  type LocalServer,
} from './server.js';

describe('the run-wide server (global setup)', () => {
  it('answers SELECT version() over HTTP', async () => {
    const server = testServer();
    expect(server.url).toMatch(/^clickhouse:\/\//);
    expect(server.port).toBeGreaterThan(0);
    const version = (await adminQuery(server, 'SELECT version()')).trim();
    expect(version).toMatch(/^\d+\.\d+/);
    if (server.version !== undefined) expect(version).toBe(server.version);
  });

  it("tells whether the server sees the tests' loopback (serverSharesTestLoopback)", async () => {
    const server = testServer();
    // From the server, 127.0.0.1:<the port the tests use> is the server itself exactly when it shares our loopback.
    const viaLoopback = adminQuery(server, `SELECT dummy FROM remote('127.0.0.1:${server.port}', system.one)`, {
      settings: { connect_timeout_with_failover_ms: 1000 },
    });
    if (serverSharesTestLoopback(server)) expect(await viaLoopback).toBe('0\n');
    else
      await expect(viaLoopback).rejects.toThrow(/Connection refused|ALL_CONNECTION_TRIES_FAILED|code: 279|Code: 279/i);
    expect(serverSharesTestLoopback({ kind: 'container', host: '127.0.0.1' })).toBe(false);
    expect(serverSharesTestLoopback({ kind: 'local', host: '127.0.0.1' })).toBe(true);
    expect(serverSharesTestLoopback({ kind: 'url', host: '127.0.0.2' })).toBe(true);
    expect(serverSharesTestLoopback({ kind: 'url', host: 'db.example' })).toBe(false);
  });

  it('reports SQL errors with the server message', async () => {
    await expect(adminQuery(testServer(), 'SELECT no_such_function_xyz()')).rejects.toThrow(/no_such_function_xyz/);
  });

  it('loads data through adminQuery', async () => {
    const server = testServer();
    const table = `harness_smoke_${process.pid}`;
    await adminQuery(server, `DROP TABLE IF EXISTS ${table}`);
    await adminQuery(server, `CREATE TABLE ${table} (a UInt32, s String) ENGINE = Memory`);
    try {
      await adminQuery(server, `INSERT INTO ${table} FORMAT TSV`, { data: '1\tx\n2\ty\n' });
      expect(await adminQuery(server, `SELECT sum(a), groupArray(s) FROM ${table}`)).toBe("3\t['x','y']\n");
    } finally {
      await adminQuery(server, `DROP TABLE IF EXISTS ${table}`);
    }
  });
});

describe('URL helpers', () => {
  it('parses and formats clickhouse:// URLs', () => {
    const p = parseServerUrl('clickhouse://u%40x:p%3Aw@db.example:9440/my_db?http_port=8443');
    expect(p).toMatchObject({
      host: 'db.example',
      port: 9440,
      httpPort: 8443,
      username: 'u@x',
      password: 'p:w',
      database: 'my_db',
    });
    expect(parseServerUrl(formatServerUrl(p))).toMatchObject({ username: 'u@x', password: 'p:w' });
    expect(parseServerUrl('clickhouse://[::1]')).toMatchObject({
      host: '::1',
      port: 9000,
      username: 'default',
      database: 'default',
    });
  });
});

describe('container runtime detection', () => {
  it('decides quickly when no runtime is configured', async () => {
    const t0 = Date.now();
    const result = await detectContainerRuntime(3000);
    if (!findContainerRuntimeCandidate()) {
      expect(result.ok).toBe(false);
      expect(Date.now() - t0).toBeLessThan(1000);
    }
  });
});

describe('local clickhouse-server', () => {
  let server: LocalServer | undefined;

  afterAll(async () => {
    await server?.stop();
  });

  it('starts, survives SIGKILL + restart, and stop() cleans up', async () => {
    server = await startLocalServer({
      profileSettings: { max_block_size: 4321 },
      users: { alice: { password: 'pw' } },
    });
    const s = server;
    expect(s.kind).toBe('local');
    expect(s.version).toMatch(/^\d+\.\d+/);
    expect(fs.existsSync(s.dir)).toBe(true);
    expect(await adminQuery(s, "SELECT value FROM system.settings WHERE name = 'max_block_size'")).toBe('4321\n');
    expect(await adminQuery({ ...s, username: 'alice', password: 'pw' }, 'SELECT 42')).toBe('42\n');

    // Data written before the kill must still be there after the restart (same data dir).
    await adminQuery(s, 'CREATE TABLE kept (x UInt64) ENGINE = MergeTree ORDER BY x');
    await adminQuery(s, 'INSERT INTO kept SELECT number FROM system.numbers LIMIT 1000');

    const pid = s.pid!;
    expect(pid).toBeGreaterThan(0);
    expect(await isPortOpen(s.host, s.port)).toBe(true);
    await s.kill('SIGKILL');
    expect(s.running).toBe(false);
    expect(s.pid).toBeUndefined();
    expect(() => process.kill(pid, 0)).toThrow();
    expect(await isPortOpen(s.host, s.port)).toBe(false);
    expect(await isPortOpen(s.host, s.httpPort!)).toBe(false);
    await expect(adminQuery(s, 'SELECT 1')).rejects.toThrow(/cannot reach/);

    const ports = [s.port, s.httpPort];
    await s.restart();
    expect([s.port, s.httpPort]).toEqual(ports);
    expect(s.pid).not.toBe(pid);
    expect(await isPortOpen(s.host, s.port)).toBe(true);
    expect(await adminQuery(s, 'SELECT count(), sum(x) FROM kept')).toBe('1000\t499500\n');

    // SIGSTOP freezes it (for timeout tests); stop() still ends a frozen server.
    await s.kill('SIGSTOP');
    expect(s.running).toBe(true);

    const dir = s.dir;
    const pid2 = s.pid!;
    await s.stop();
    expect(s.running).toBe(false);
    expect(() => process.kill(pid2, 0)).toThrow();
    expect(fs.existsSync(dir)).toBe(false);
    expect(await isPortOpen(s.host, s.port)).toBe(false);
    await s.stop(); // idempotent
  });

  it('fails with the server error log when it cannot start', async () => {
    // A second tcp_port on a port somebody holds makes the server exit at startup.
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      await expect(startLocalServer({ configXml: `<tcp_port>${port}</tcp_port>` })).rejects.toThrow(
        new RegExp(`exited during startup[\\s\\S]*Address already in use[\\s\\S]*${port}`),
      );
    } finally {
      blocker.close();
    }
  });
});
