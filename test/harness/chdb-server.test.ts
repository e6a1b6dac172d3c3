/**
 * The chdb server mode of the harness (chdb-server.ts, chdb-serve.py): ClickHouse 26.7 from the installed chdb
 * package as a private server, whatever server the run itself uses. It must behave as a real server for the tests:
 * own dir and ports, users and profile settings, query_log, a fixed time zone, failed logins as ordinary errors,
 * kill and restart on the same data, and no server left behind when the process that started it dies.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { query as chdbQuery } from 'chdb';
import { afterAll, describe, expect, it } from 'vitest';
import { processAlive } from './processes.js';
import {
  adminQuery,
  findLibchdb,
  isPortOpen,
  nativeHello,
  refusedLoginCode,
  startChdbServer,
  type ChdbServer,
} from './server.js';

const AUTHENTICATION_FAILED = 516;

/** Polls `condition` every 50 ms until it holds; fails naming `what` after `timeoutMs`. */
async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('chdb server', () => {
  let server: ChdbServer | undefined;
  afterAll(async () => {
    await server?.stop();
  });

  it('serves the ClickHouse of the installed chdb package, with users, settings, query_log and UTC', async () => {
    server = await startChdbServer({ profileSettings: { max_block_size: 4321 }, users: { alice: { password: 'pw' } } });
    const s = server;
    expect(s.kind).toBe('chdb');
    expect(s.version).toBe(String(chdbQuery('SELECT version()', 'TSVRaw')).trim());
    const hello = await nativeHello(s);
    expect(s.revision).toBe(hello.revision);
    expect(hello.revision).toBeGreaterThanOrEqual(54488);
    expect(await adminQuery(s, "SELECT value FROM system.settings WHERE name = 'max_block_size'")).toBe('4321\n');
    expect(await adminQuery({ ...s, username: 'alice', password: 'pw' }, 'SELECT currentUser()')).toBe('alice\n');
    expect(await adminQuery(s, "SELECT toString(toDateTime('2024-01-01 00:00:00'))")).toBe('2024-01-01 00:00:00\n');
    expect(await adminQuery(s, "SELECT toUnixTimestamp(toDateTime('2024-01-01 00:00:00'))")).toBe('1704067200\n');

    const marker = `harness_marker_${process.pid}`;
    await adminQuery(s, `SELECT '${marker}'`);
    await adminQuery(s, 'SYSTEM FLUSH LOGS');
    expect(
      await adminQuery(
        s,
        `SELECT count() > 0 FROM system.query_log WHERE query LIKE '%${marker}%' AND type = 'QueryFinish'`,
      ),
    ).toBe('1\n');
    expect(fs.existsSync(path.join(s.dir, 'data'))).toBe(true);
  });

  it('answers a failed login with the error, and keeps serving', async () => {
    const s = server!;
    expect(await refusedLoginCode({ ...s, password: 'wrong' })).toBe(AUTHENTICATION_FAILED);
    expect(await refusedLoginCode({ ...s, username: 'nobody' })).toBe(AUTHENTICATION_FAILED);
    expect(s.running).toBe(true);
    expect(await adminQuery(s, 'SELECT 1')).toBe('1\n');
    expect((await nativeHello(s)).revision).toBe(s.revision);
  });

  it('survives SIGKILL + restart on the same data, and stop() cleans up', async () => {
    const s = server!;
    await adminQuery(s, 'CREATE TABLE kept (x UInt64) ENGINE = MergeTree ORDER BY x');
    await adminQuery(s, 'INSERT INTO kept SELECT number FROM numbers(1000)');
    const pid = s.pid!;
    await s.kill('SIGKILL');
    expect(s.running).toBe(false);
    expect(processAlive(pid)).toBe(false);
    expect(await isPortOpen(s.host, s.port)).toBe(false);
    const ports = [s.port, s.httpPort];
    await s.restart();
    expect([s.port, s.httpPort]).toEqual(ports);
    expect(await adminQuery(s, 'SELECT count(), sum(x) FROM kept')).toBe('1000\t499500\n');

    const dir = s.dir;
    const pid2 = s.pid!;
    await s.stop();
    expect(processAlive(pid2)).toBe(false);
    expect(fs.existsSync(dir)).toBe(false);
    expect(await isPortOpen(s.host, s.port)).toBe(false);
    await s.stop(); // idempotent
  });

  it('dies with the process that started it, however that one dies', async () => {
    // A child Node process starts a server, reports it, and is then killed without any chance to clean up.
    const script = `
      import { startChdbServer } from ${JSON.stringify(path.join(import.meta.dirname, 'server.ts'))};
      const s = await startChdbServer();
      console.log(JSON.stringify({ pid: s.pid, port: s.port, dir: s.dir }));
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const started = await new Promise<{ pid: number; port: number; dir: string }>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (line) resolve(JSON.parse(line) as { pid: number; port: number; dir: string });
      });
      child.once('exit', (code) => reject(new Error(`the child exited (code ${code}) before reporting its server`)));
    });
    expect(processAlive(started.pid)).toBe(true);
    child.kill('SIGKILL');
    await waitFor(`chdb server pid ${started.pid} to die with its parent`, () => !processAlive(started.pid));
    expect(await isPortOpen('127.0.0.1', started.port)).toBe(false);
    fs.rmSync(started.dir, { recursive: true, force: true }); // what the next harness start would sweep
  });

  it('refuses, before any server exists, a library build whose failed-login guard is not verified', async () => {
    // Any ELF file that is not the verified libchdb.so: the check of the build id comes before loading it.
    const script = path.join(import.meta.dirname, 'chdb-serve.py');
    const child = spawn('python3', [script, `--lib=${process.execPath}`, '--path=/nonexistent', '--tcp-port=1'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(3);
    expect(stderr).toMatch(/is not a libchdb\.so build whose failed-login handler the harness has verified/);
    expect(findLibchdb()).toMatch(/libchdb\.so$/);
  });
});
