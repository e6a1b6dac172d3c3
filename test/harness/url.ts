/**
 * Servers named by URL: clickhouse://user:pass@host:port/db, parsed and formatted, and CLICKHOUSE_URL's server
 * (an existing server the harness only asks for its version and revision; stop() leaves it alone).
 */
import { adminQuery } from './admin.js';
import { nativeHello } from './hello.js';
import { isPortOpen } from './ports.js';
import type { TestServer, TestServerInfo } from './types.js';
import { findBinary, hostForUrl, isLoopbackAddress } from './util.js';

/** clickhouse://user:pass@host:port/db (the password part is left out when empty). */
export function formatServerUrl(
  s: Pick<TestServerInfo, 'host' | 'port' | 'username' | 'password' | 'database'>,
): string {
  const auth = encodeURIComponent(s.username) + (s.password === '' ? '' : `:${encodeURIComponent(s.password)}`);
  return `clickhouse://${auth}@${hostForUrl(s.host)}:${s.port}/${encodeURIComponent(s.database)}`;
}

/**
 * Is the server's 127.0.0.1 the tests' 127.0.0.1? True for a local binary (and a CLICKHOUSE_URL server on loopback);
 * false for a container, whose loopback is its own. A test in which the *server* connects back to a listener of the
 * test (remote('127.0.0.1:<port>', …) to a mock upstream, a dictionary source) needs such a server: start one with
 * startLocalServer() instead of using the run's server.
 */
export function serverSharesTestLoopback(s: Pick<TestServerInfo, 'kind' | 'host'>): boolean {
  if (s.kind === 'container') return false;
  if (s.kind === 'local' || s.kind === 'chdb') return true;
  return s.host === 'localhost' || isLoopbackAddress(s.host);
}

/** The plain-data part of a server (what vitest's provide/inject can carry). */
export function serverInfo(s: TestServerInfo): TestServerInfo {
  const { kind, host, port, httpPort, username, password, database, url, version, revision, image } = s;
  const info: TestServerInfo = { kind, host, port, httpPort, username, password, database, url, version };
  if (revision !== undefined) info.revision = revision;
  if (image !== undefined) info.image = image;
  return info;
}

/** Parses clickhouse://user:pass@host:port/db[?http_port=8123]. */
export function parseServerUrl(text: string): Omit<TestServerInfo, 'kind' | 'version'> {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new Error(
      `CLICKHOUSE_URL is not a URL: ${JSON.stringify(text)} (expected clickhouse://user:pass@host:port/db)`,
    );
  }
  if (!/^clickhouses?:$/.test(u.protocol) && u.protocol !== 'tcp:') {
    throw new Error(`CLICKHOUSE_URL must start with clickhouse:// (got ${u.protocol}//)`);
  }
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
  const port = u.port ? Number(u.port) : 9000;
  const username = u.username ? decodeURIComponent(u.username) : 'default';
  const password = decodeURIComponent(u.password);
  const database = decodeURIComponent(u.pathname.replace(/^\/+/, '')) || 'default';
  const httpParam = u.searchParams.get('http_port') ?? process.env.CLICKHOUSE_HTTP_PORT;
  const httpPort = httpParam ? Number(httpParam) : undefined;
  const info = { host, port, httpPort, username, password, database };
  return { ...info, url: formatServerUrl(info) };
}

export async function serverFromUrl(text: string, log: (m: string) => void): Promise<TestServer> {
  const parsed = parseServerUrl(text);
  let version: string | undefined;
  const canAsk = parsed.httpPort !== undefined || findBinary('clickhouse-client', process.env.CLICKHOUSE_CLIENT_BIN);
  if (canAsk) {
    try {
      version = (await adminQuery(parsed, 'SELECT version()', { timeoutMs: 10_000 })).trim();
    } catch (err) {
      throw new Error(`CLICKHOUSE_URL=${text} does not answer: ${(err as Error).message}`, { cause: err });
    }
  } else if (!(await isPortOpen(parsed.host, parsed.port, 5000))) {
    throw new Error(`CLICKHOUSE_URL=${text}: nothing listens on ${parsed.host}:${parsed.port}`);
  }
  let revision: number | undefined;
  if (/^clickhouses:/i.test(text)) {
    log('CLICKHOUSE_URL is a TLS port: the harness does not read its protocol revision');
  } else {
    try {
      const hello = await nativeHello(parsed, 5000);
      revision = hello.revision;
      version ??= `${hello.major}.${hello.minor}`;
    } catch (err) {
      log(`could not read the protocol revision from ${parsed.host}:${parsed.port}: ${(err as Error).message}`);
    }
  }
  log(
    `using CLICKHOUSE_URL ${parsed.host}:${parsed.port} (version ${version ?? 'unknown'}, revision ${revision ?? 'unknown'})`,
  );
  return { kind: 'url', ...parsed, version, revision, stop: async () => {} };
}
