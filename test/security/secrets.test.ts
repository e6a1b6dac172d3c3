/**
 * The password never leaves the client except in Hello: not in error messages, logs, util.inspect, JSON, or the
 * output of an unhandled rejection. Wrong credentials are the server's ClickHouseError, with one connection
 * attempt per request (no retry storm).
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/client/config.js';
import { ClickHouseError, ConfigError, createClient, type ClickHouseClient, type LogEntry } from '../../src/index.js';
import { startLocalServer, type LocalServer } from '../harness/server.js';
import { startProxy, type Proxy } from './peers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const INDEX = path.resolve(here, '../../src/index.ts');

// Characters that URLs percent-encode, so both spellings are searched for.
const PASSWORD = `p@ss:w/rd%-${randomUUID()}`;
const WRONG = `wr0ng@pw:${randomUUID()}`;
const FORMS = [PASSWORD, encodeURIComponent(PASSWORD), WRONG, encodeURIComponent(WRONG)];
/** ClickHouse 18.16 sends WRONG_PASSWORD (193); modern servers AUTHENTICATION_FAILED (516). */
const AUTH_CODES = [193, 516];

function expectNoSecret(text: string, where: string): void {
  for (const form of FORMS) expect(text.includes(form), `${where} contains the password`).toBe(false);
}

/** Everything a user or a log could see of a value. */
function allViews(value: unknown): string {
  const views = [inspect(value), inspect(value, { showHidden: true, depth: Infinity, getters: true }), String(value)];
  try {
    views.push(JSON.stringify(value) ?? '');
  } catch (error) {
    views.push(String(error));
  }
  if (value instanceof Error) {
    views.push(value.message, value.stack ?? '');
    let cause: unknown = value.cause;
    while (cause) {
      views.push(allViews(cause));
      cause = (cause as Error).cause;
    }
  }
  return views.join('\n');
}

/** Runs `fn` while capturing console and stdout/stderr output. */
async function captureOutput(fn: () => Promise<void>): Promise<string> {
  const captured: string[] = [];
  const methods = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;
  const saved = methods.map((m) => console[m]);
  const savedOut = process.stdout.write.bind(process.stdout);
  const savedErr = process.stderr.write.bind(process.stderr);
  for (const m of methods)
    console[m] = (...args: unknown[]) => void captured.push(args.map((a) => inspect(a)).join(' '));
  const tap = (original: typeof process.stdout.write) =>
    ((chunk: unknown, ...rest: unknown[]) => {
      captured.push(String(chunk));
      return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stdout.write;
  process.stdout.write = tap(savedOut);
  process.stderr.write = tap(savedErr);
  try {
    await fn();
  } finally {
    methods.forEach((m, i) => (console[m] = saved[i]!));
    process.stdout.write = savedOut;
    process.stderr.write = savedErr;
  }
  return captured.join('\n');
}

/** Runs a script in a fresh Node process (through tsx) and returns its exit code and all its output. */
function runScript(source: string): Promise<{ code: number | null; output: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chn-secrets-'));
  const file = path.join(dir, 'script.mts');
  fs.writeFileSync(file, source);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', file],
      { cwd: path.resolve(here, '../..'), timeout: 60_000 },
      (error, stdout, stderr) => {
        fs.rmSync(dir, { recursive: true, force: true });
        resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, output: `${stdout}\n${stderr}` });
      },
    );
  });
}

describe('secrets', () => {
  let server: LocalServer;
  let proxy: Proxy;
  let url: string;
  let wrongUrl: string;

  beforeAll(async () => {
    server = await startLocalServer({ users: { alice: { password: PASSWORD } } });
    proxy = await startProxy(server);
    url = `clickhouse://alice:${encodeURIComponent(PASSWORD)}@127.0.0.1:${proxy.port}/default`;
    wrongUrl = `clickhouse://alice:${encodeURIComponent(WRONG)}@127.0.0.1:${proxy.port}/default`;
  });
  afterAll(async () => {
    await proxy?.close();
    await server?.stop();
  });

  it('connects with the password from a URL, and no view of the client, config or results shows it', async () => {
    const output = await captureOutput(async () => {
      const logs: LogEntry[] = [];
      const client = createClient({ url, max_open_connections: 1 });
      const queryId = randomUUID();
      // 18.16 has no currentUser(): the query finds itself in system.processes.
      const rs = await client.query({
        query: `SELECT user FROM system.processes WHERE query_id = '${queryId}'`,
        query_id: queryId,
        clickhouse_settings: { send_logs_level: 'trace' },
        on_log: (entry) => logs.push(entry),
      });
      expectNoSecret(allViews(rs), 'util.inspect of a ResultSet (it holds the connection)');
      expect(await rs.json()).toEqual([{ user: 'alice' }]);
      expectNoSecret(allViews(client), 'the client');
      expectNoSecret(inspect(logs, { depth: Infinity }), 'the server logs');
      const resolved = resolveConfig({ url });
      expect(resolved.password.reveal()).toBe(PASSWORD);
      expectNoSecret(allViews(resolved), 'the resolved config');
      expectNoSecret(`${resolved.password}`, 'the password in a template string');
      const explicit = resolveConfig({ host: '127.0.0.1', username: 'alice', password: PASSWORD });
      expectNoSecret(allViews(explicit), 'the resolved config (explicit password)');
      await client.close();
    });
    expectNoSecret(output, 'console and stdout/stderr output');
  });

  it('wrong credentials: the server code, no password in the error, one connection attempt per request', async () => {
    const output = await captureOutput(async () => {
      const client = createClient({ url: wrongUrl, max_open_connections: 2 });
      const before = proxy.connections;
      const error = await client.query({ query: 'SELECT 1' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ClickHouseError);
      expect(AUTH_CODES).toContain((error as ClickHouseError).code);
      expect((error as Error).message).toMatch(/password/i);
      expectNoSecret(allViews(error), 'the authentication error');
      expect(proxy.connections - before).toBe(1);

      // ping() reports it the same way, still one attempt.
      const ping = await client.ping();
      expect(ping.success).toBe(false);
      expectNoSecret(allViews(ping), 'the ping result');
      expect(proxy.connections - before).toBe(2);

      // Ten concurrent requests through a pool of two: ten attempts at most, one each, no retries.
      const results = await Promise.allSettled(Array.from({ length: 10 }, () => client.query({ query: 'SELECT 1' })));
      expect(results.every((r) => r.status === 'rejected' && r.reason instanceof ClickHouseError)).toBe(true);
      expect(proxy.connections - before).toBe(12);
      for (const r of results) expectNoSecret(allViews((r as PromiseRejectedResult).reason), 'a pooled error');
      // Nothing is left under way that could try again: no connection open or being opened, no request waiting.
      expect(client.poolStats()).toMatchObject({ open: 0, in_use: 0, waiting: 0 });
      expect(proxy.connections - before).toBe(12);
      await client.close();
    });
    expectNoSecret(output, 'console and stdout/stderr output');
  });

  it('connection errors and config errors do not show the password', async () => {
    const closedPort = createClient({
      url: `clickhouse://alice:${encodeURIComponent(PASSWORD)}@127.0.0.1:1/default`,
      connect_timeout_ms: 2000,
    });
    const error = await closedPort.query({ query: 'SELECT 1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expectNoSecret(allViews(error), 'a connection error');
    expectNoSecret(allViews(closedPort), 'a client that failed to connect');
    await closedPort.close();

    // A URL that does not parse: Node's own TypeError would carry the whole input.
    const badUrls = [
      `clickhouse://alice:${encodeURIComponent(PASSWORD)}@127.0.0.1:99999/default`,
      `http://alice:${encodeURIComponent(PASSWORD)}@127.0.0.1:9000/default`,
      `clickhouse://alice:%E0%A4%A${encodeURIComponent(PASSWORD)}@127.0.0.1/default`,
      `not a url ${PASSWORD}`,
    ];
    for (const bad of badUrls) {
      const configError = (() => {
        try {
          createClient({ url: bad });
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(configError, bad).toBeInstanceOf(ConfigError);
      expectNoSecret(allViews(configError), `the ConfigError for ${bad}`);
    }
  });

  it('an unhandled rejection or uncaught error prints no password', async () => {
    const scripts = {
      'wrong password': `
        import { createClient } from ${JSON.stringify(INDEX)};
        const client = createClient({ url: ${JSON.stringify(wrongUrl)} });
        await client.query({ query: 'SELECT 1' });`,
      'closed port': `
        import { createClient } from ${JSON.stringify(INDEX)};
        const client = createClient({ url: ${JSON.stringify(`clickhouse://alice:${encodeURIComponent(PASSWORD)}@127.0.0.1:1/default`)} });
        client.query({ query: 'SELECT 1' });`,
      'bad url': `
        import { createClient } from ${JSON.stringify(INDEX)};
        createClient({ url: ${JSON.stringify(`clickhouse://alice:${encodeURIComponent(PASSWORD)}@127.0.0.1:99999/default`)} });`,
      'client printed': `
        import { createClient } from ${JSON.stringify(INDEX)};
        const client = createClient({ url: ${JSON.stringify(url)} });
        console.log(client, JSON.stringify(client));
        console.dir(client, { showHidden: true, depth: null });
        throw Object.assign(new Error('boom'), { client });`,
    };
    const outputs = await Promise.all(Object.values(scripts).map(runScript));
    Object.keys(scripts).forEach((name, i) => {
      const { code, output } = outputs[i]!;
      expect(code, `${name}: exits with an error\n${output}`).not.toBe(0);
      expect(output, name).toMatch(/Error/);
      expectNoSecret(output, `the output of "${name}"`);
    });
    expect(outputs[0]!.output).toMatch(/Wrong password|Authentication failed/);
  });

  it('a TLS private key is kept like the password', () => {
    const key = `-----BEGIN PRIVATE KEY-----\n${randomUUID()}\n-----END PRIVATE KEY-----`;
    const client: ClickHouseClient = createClient({ host: '127.0.0.1', tls: { cert: 'CERT', key } });
    const views = allViews(client) + allViews(resolveConfig({ host: '127.0.0.1', tls: { cert: 'CERT', key } }));
    expect(views.includes(key)).toBe(false);
    expect(views.includes(key.split('\n')[1]!)).toBe(false);
  });
});
