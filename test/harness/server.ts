/**
 * Test server harness: gets a real ClickHouse server for tests, the demo and the benchmark.
 *
 * `startServer()` tries, in order:
 *   (a) `CLICKHOUSE_URL` (clickhouse://user:pass@host:port/db): an existing server, `stop()` does nothing;
 *   (b) a container through testcontainers, only when a container runtime answers (see `detectContainerRuntime`);
 *   (c) the local `clickhouse-server` binary (installed with apt-get when missing and we are root),
 *       started from a generated config in a fresh temp dir, on free ports.
 *
 * Environment:
 *   CLICKHOUSE_URL                     use this server (a); `?http_port=8123` or CLICKHOUSE_HTTP_PORT gives its HTTP port
 *   CLICKHOUSE_IMAGE                   container image (default: localhost/clickhouse-server:18.16 when present in the
 *                                      runtime, else clickhouse/clickhouse-server:25.8, an LTS release)
 *   CLICKHOUSE_USE_CONTAINER           unset: auto; 0/false: never use containers; 1/true: require a container
 *   CLICKHOUSE_CONTAINER_DETECT_TIMEOUT_MS  how long a candidate runtime may take to answer (default 3000, or 15000
 *                                      with DOCKER_HOST or CLICKHOUSE_USE_CONTAINER=1)
 *   CLICKHOUSE_SERVER_BIN              path of the clickhouse-server (or `clickhouse`) binary to use
 *   CLICKHOUSE_STARTUP_TIMEOUT_MS      startup timeout for local servers and containers (default 30000 / 120000)
 *   CLICKHOUSE_HARNESS_DEBUG=1         print what the harness decides
 *   CLICKHOUSE_CONTAINER_RUN_ID        label containers with clickhouse-native.run-id=<it> (.ci/run removes them by label)
 *   TESTCONTAINERS_HOST_OVERRIDE       where tests connect to containers. Unset, the harness sets it to 127.0.0.1 for a
 *                                      runtime on this machine (podman, or Docker outside a container) and publishes
 *                                      the container's ports on 127.0.0.1 only: tests never talk to a bridge address.
 *
 * This module uses no code of the client under test: only node:*, fetch-free node:http and testcontainers.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

// ---------------------------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------------------------

export type ServerKind = 'url' | 'container' | 'local';

/** Connection facts of a server: plain data, safe to pass between processes (vitest provide/inject). */
export interface TestServerInfo {
  kind: ServerKind;
  host: string;
  /** Native TCP port. */
  port: number;
  /** HTTP port, when known (always for 'local' and 'container'). */
  httpPort: number | undefined;
  username: string;
  password: string;
  database: string;
  /** clickhouse://user:pass@host:port/db */
  url: string;
  /** `SELECT version()`, when it could be asked. */
  version: string | undefined;
  /** Native protocol revision from the server's Hello (e.g. 54412 for 18.16), when it could be asked. */
  revision?: number | undefined;
  /** The container image, for kind 'container'. */
  image?: string | undefined;
}

export interface TestServer extends TestServerInfo {
  /** Stops what the harness started (a no-op for 'url'). Idempotent. */
  stop(): Promise<void>;
}

export interface LocalServer extends TestServer {
  kind: 'local';
  /** The server's temp dir (config.xml, users.xml, data/, log/). Removed by stop(). */
  dir: string;
  /** Pid of the running server process, undefined while it is not running. */
  readonly pid: number | undefined;
  readonly running: boolean;
  /**
   * Sends `signal` (default SIGKILL) to the server process and resolves once it exited.
   * SIGSTOP/SIGTSTP/SIGCONT resolve right after sending (freeze / thaw the server, e.g. for timeout tests).
   */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** (Gracefully stops the server if running, then) starts it again: same ports, same data dir. Resolves when ready. */
  restart(): Promise<void>;
  /** The server's error log (useful in assertion messages). */
  readErrorLog(): Promise<string>;
}

export interface ServerSetupOptions {
  /**
   * Extra server config: XML *inside* a `<yandex>` root, e.g. `<remote_servers>…</remote_servers>`.
   * Each snippet becomes a file in `config.d/`, merged by ClickHouse itself. `{{dir}}` is replaced by the
   * directory holding the `files` below.
   */
  configXml?: string | string[];
  /** Extra users config: XML inside `<yandex>` (users.d/). E.g. `<users><alice><password>x</password>…</alice></users>`. */
  usersXml?: string | string[];
  /** Settings added to the `default` profile (users.d/), e.g. `{ log_queries: 1 }`. */
  profileSettings?: Record<string, string | number | boolean>;
  /** Extra users: name → password (and profile, default 'default'). Network: any. */
  users?: Record<string, { password: string; profile?: string }>;
  /** Files to put in the `{{dir}}` directory (e.g. TLS certificate and key): relative path → content. */
  files?: Record<string, string | Uint8Array>;
  /** Startup timeout in ms. */
  startupTimeoutMs?: number;
  /** Local server log level (default 'information'). */
  logLevel?: 'trace' | 'debug' | 'information' | 'warning' | 'error';
  /** Progress messages (which server, installs). Default: silent unless CLICKHOUSE_HARNESS_DEBUG=1. */
  log?: (message: string) => void;
}

export interface StartServerOptions extends ServerSetupOptions {
  /** 'any' (default): URL, then container, then local binary. 'local': the local binary only. */
  prefer?: 'any' | 'local';
  /** Container image (overrides CLICKHOUSE_IMAGE). */
  image?: string;
}

export interface LocalServerOptions extends ServerSetupOptions {
  /** Binary to run (default: found on PATH / CLICKHOUSE_SERVER_BIN, installed with apt when missing and root). */
  binary?: string;
}

export interface AdminQueryOptions {
  /** Database (default: the server's). */
  database?: string;
  /** Query settings, sent as URL parameters. */
  settings?: Record<string, string | number | boolean>;
  /** Data for an INSERT … FORMAT X query: the SQL goes in the URL, this in the body. */
  data?: string | Uint8Array;
  /** Request timeout in ms (default 60000). */
  timeoutMs?: number;
}

/** What adminQuery needs of a server. */
export type AdminTarget = Pick<TestServerInfo, 'host' | 'port' | 'httpPort' | 'username' | 'password' | 'database'>;

// ---------------------------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------------------------

/** With a registry: a pinned LTS release (the modern server the suites' version gates open up for). */
export const DEFAULT_IMAGE = 'clickhouse/clickhouse-server:25.8';
/** Without one: built from Debian's 18.16 packages by scripts/build-clickhouse-image.sh. */
export const LOCAL_IMAGE = 'localhost/clickhouse-server:18.16';

function envFlag(name: string): boolean | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  return !/^(0|false|no|off)$/i.test(v);
}

function envInt(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

function makeLogger(options: ServerSetupOptions): (message: string) => void {
  if (options.log) return options.log;
  if (envFlag('CLICKHOUSE_HARNESS_DEBUG')) return (m) => console.error(`[clickhouse-harness] ${m}`);
  return () => {};
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function toArray<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** clickhouse://user:pass@host:port/db (the password part is left out when empty). */
export function formatServerUrl(s: Pick<TestServerInfo, 'host' | 'port' | 'username' | 'password' | 'database'>): string {
  const auth =
    encodeURIComponent(s.username) + (s.password === '' ? '' : `:${encodeURIComponent(s.password)}`);
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
  if (s.kind === 'local') return true;
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

const handedOutPorts = new Set<number>();

/** A TCP port that is free right now on `host` (asks the OS; never returns the same port twice per process). */
export async function getFreePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.unref();
      srv.once('error', reject);
      srv.listen(0, host, () => {
        const addr = srv.address();
        const p = typeof addr === 'object' && addr ? addr.port : 0;
        srv.close(() => resolve(p));
      });
    });
    if (port > 0 && !handedOutPorts.has(port)) {
      handedOutPorts.add(port);
      return port;
    }
  }
  throw new Error('getFreePort: could not get a free port from the OS');
}

/** Resolves true if something accepts a TCP connection on host:port within timeoutMs. */
export function isPortOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The server's Hello (native protocol revision), read with a few lines of our own: no code of the client under test
// ---------------------------------------------------------------------------------------------------------------

/** The revision we announce: old enough that no server expects anything from us after its Hello. */
const HELLO_CLIENT_REVISION = 54406;

export interface ServerHello {
  name: string;
  major: number;
  minor: number;
  /** The server's native protocol revision (18.16.1: 54412). */
  revision: number;
}

function writeVarUInt(n: number): Buffer {
  const bytes: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    bytes.push(b);
  } while (n > 0);
  return Buffer.from(bytes);
}

function writeString(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([writeVarUInt(b.length), b]);
}

/** Parses a complete Hello (or Exception) packet from `buf`; undefined while more bytes are needed. */
function parseHello(buf: Buffer): ServerHello | undefined {
  let pos = 0;
  const varUInt = (): number | undefined => {
    let n = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      if (pos >= buf.length) return undefined;
      const b = buf[pos++]!;
      n += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return n;
    }
    throw new Error('bad VarUInt in the server Hello');
  };
  const str = (): string | undefined => {
    const len = varUInt();
    if (len === undefined || pos + len > buf.length) return undefined;
    const s = buf.toString('utf8', pos, pos + len);
    pos += len;
    return s;
  };
  const type = varUInt();
  if (type === undefined) return undefined;
  if (type === 2) {
    // Exception: Int32 code, String name, String message, ...
    if (buf.length < pos + 4) return undefined;
    const code = buf.readInt32LE(pos);
    pos += 4;
    const name = str();
    const message = name === undefined ? undefined : str();
    if (message === undefined) return undefined;
    throw new Error(`server refused the Hello: code ${code}, ${name}: ${message}`);
  }
  if (type !== 0) throw new Error(`expected a Hello packet (0), got packet type ${type}`);
  const name = str();
  const major = name === undefined ? undefined : varUInt();
  const minor = major === undefined ? undefined : varUInt();
  const revision = minor === undefined ? undefined : varUInt();
  if (revision === undefined) return undefined;
  return { name: name!, major: major!, minor: minor!, revision };
}

/**
 * Connects to the native port, sends a ClientHello and reads the server's Hello: its name, version and native
 * protocol revision. Closes the connection right after.
 */
export function nativeHello(
  server: Pick<TestServerInfo, 'host' | 'port' | 'username' | 'password' | 'database'>,
  timeoutMs = 5000,
): Promise<ServerHello> {
  const hello = Buffer.concat([
    writeVarUInt(0), // ClientHello
    writeString('clickhouse-native test harness'),
    writeVarUInt(1),
    writeVarUInt(0),
    writeVarUInt(HELLO_CLIENT_REVISION),
    writeString(server.database),
    writeString(server.username),
    writeString(server.password),
  ]);
  return new Promise((resolve, reject) => {
    let done = false;
    let buf = Buffer.alloc(0);
    const socket = net.connect({ host: server.host, port: server.port });
    const finish = (err: Error | undefined, result?: ServerHello) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(result!);
    };
    const timer = setTimeout(
      () => finish(new Error(`no Hello from ${server.host}:${server.port} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.once('connect', () => socket.write(hello));
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      try {
        const parsed = parseHello(buf);
        if (parsed) finish(undefined, parsed);
      } catch (err) {
        finish(err as Error);
      }
    });
    socket.once('error', (err) => finish(err));
    socket.once('close', () => finish(new Error(`${server.host}:${server.port} closed the connection before its Hello`)));
  });
}

/** The server's protocol revision, or undefined (logged) when its Hello cannot be read. */
async function askRevision(
  server: Pick<TestServerInfo, 'host' | 'port' | 'username' | 'password' | 'database'>,
  log: (m: string) => void,
): Promise<number | undefined> {
  try {
    return (await nativeHello(server, 5000)).revision;
  } catch (err) {
    log(`could not read the protocol revision from ${server.host}:${server.port}: ${(err as Error).message}`);
    return undefined;
  }
}

async function tail(file: string, bytes = 6000): Promise<string> {
  try {
    const fh = await fsp.open(file, 'r');
    try {
      const { size } = await fh.stat();
      const start = Math.max(0, size - bytes);
      const buf = Buffer.alloc(size - start);
      await fh.read(buf, 0, buf.length, start);
      return (start > 0 ? '…' : '') + buf.toString('utf8');
    } finally {
      await fh.close();
    }
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP (node:http without keep-alive: no pooled socket survives a server kill/restart)
// ---------------------------------------------------------------------------------------------------------------

interface HttpResult {
  status: number;
  body: string;
}

function httpRequest(
  url: string,
  init: { method: 'GET' | 'POST'; body?: string | Uint8Array; timeoutMs: number },
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: init.method, agent: false, timeout: init.timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`HTTP request to ${url.replace(/password=[^&]*/, 'password=***')} timed out after ${init.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(init.body);
  });
}

async function ping(host: string, httpPort: number, timeoutMs = 1000): Promise<boolean> {
  try {
    const r = await httpRequest(`http://${hostForUrl(host)}:${httpPort}/ping`, { method: 'GET', timeoutMs });
    return r.status === 200;
  } catch {
    return false;
  }
}

/**
 * Runs SQL on the server independently of the client under test: POST to the HTTP interface (or, when the HTTP
 * port is unknown, `clickhouse-client`). Returns the response text (TabSeparated unless the SQL says FORMAT …).
 * Throws with the server's message on a non-200 answer.
 */
export async function adminQuery(server: AdminTarget, sql: string, options: AdminQueryOptions = {}): Promise<string> {
  const database = options.database ?? server.database;
  const timeoutMs = options.timeoutMs ?? 60_000;
  if (server.httpPort === undefined) return clientQuery(server, sql, database, options, timeoutMs);

  const params = new URLSearchParams();
  params.set('user', server.username);
  if (server.password !== '') params.set('password', server.password);
  params.set('database', database);
  for (const [k, v] of Object.entries(options.settings ?? {})) params.set(k, typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
  let body: string | Uint8Array = sql;
  if (options.data !== undefined) {
    params.set('query', sql);
    body = options.data;
  }
  const url = `http://${hostForUrl(server.host)}:${server.httpPort}/?${params}`;
  let res: HttpResult;
  try {
    res = await httpRequest(url, { method: 'POST', body, timeoutMs });
  } catch (err) {
    throw new Error(
      `adminQuery: cannot reach ClickHouse HTTP at ${server.host}:${server.httpPort}: ${(err as Error).message}\nSQL: ${abbreviate(sql)}`,
      { cause: err },
    );
  }
  if (res.status !== 200) {
    throw new Error(
      `adminQuery: HTTP ${res.status} from ${server.host}:${server.httpPort}: ${res.body.trim()}\nSQL: ${abbreviate(sql)}`,
    );
  }
  return res.body;
}

function abbreviate(s: string, max = 500): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

async function clientQuery(
  server: AdminTarget,
  sql: string,
  database: string,
  options: AdminQueryOptions,
  timeoutMs: number,
): Promise<string> {
  const client = findBinary('clickhouse-client', process.env.CLICKHOUSE_CLIENT_BIN);
  if (!client) {
    throw new Error(
      `adminQuery: the server's HTTP port is unknown (set ?http_port= in CLICKHOUSE_URL or CLICKHOUSE_HTTP_PORT) ` +
        `and clickhouse-client is not installed`,
    );
  }
  const args = ['--host', server.host, '--port', String(server.port), '--user', server.username, '--database', database];
  if (server.password !== '') args.push('--password', server.password);
  for (const [k, v] of Object.entries(options.settings ?? {})) args.push(`--${k}=${typeof v === 'boolean' ? (v ? 1 : 0) : v}`);
  args.push('--query', sql);
  return new Promise((resolve, reject) => {
    const child = execFile(client, args, { timeout: timeoutMs, maxBuffer: 256 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`adminQuery (clickhouse-client) failed: ${stderr.trim() || err.message}\nSQL: ${abbreviate(sql)}`));
      else resolve(stdout);
    });
    child.stdin?.end(options.data ?? '');
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Process bookkeeping: nothing we start may outlive us
// ---------------------------------------------------------------------------------------------------------------

interface Cleanup {
  /** Synchronous last-resort cleanup (process 'exit' / fatal signal). */
  sync(): void;
}

const liveResources = new Set<Cleanup>();
let handlersInstalled = false;

function cleanupAllSync(): void {
  for (const r of [...liveResources]) {
    try {
      r.sync();
    } catch {
      /* best effort */
    }
  }
  liveResources.clear();
}

function onFatalSignal(signal: NodeJS.Signals): void {
  cleanupAllSync();
  // If nobody else handles this signal, do what Node would have done without our listener: die of it.
  if (process.listenerCount(signal) <= 1) {
    process.removeListener(signal, onFatalSignal);
    process.kill(process.pid, signal);
  }
}

function track(resource: Cleanup): void {
  if (!handlersInstalled) {
    handlersInstalled = true;
    process.on('exit', cleanupAllSync);
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, onFatalSignal);
  }
  liveResources.add(resource);
}

function untrack(resource: Cleanup): void {
  liveResources.delete(resource);
}

// ---------------------------------------------------------------------------------------------------------------
// (a) CLICKHOUSE_URL
// ---------------------------------------------------------------------------------------------------------------

/** Parses clickhouse://user:pass@host:port/db[?http_port=8123]. */
export function parseServerUrl(text: string): Omit<TestServerInfo, 'kind' | 'version'> {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new Error(`CLICKHOUSE_URL is not a URL: ${JSON.stringify(text)} (expected clickhouse://user:pass@host:port/db)`);
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

async function fromUrl(text: string, log: (m: string) => void): Promise<TestServer> {
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
  log(`using CLICKHOUSE_URL ${parsed.host}:${parsed.port} (version ${version ?? 'unknown'}, revision ${revision ?? 'unknown'})`);
  return { kind: 'url', ...parsed, version, revision, stop: async () => {} };
}

// ---------------------------------------------------------------------------------------------------------------
// (b) Containers
// ---------------------------------------------------------------------------------------------------------------

interface RuntimeCandidate {
  /** How testcontainers will reach it: a unix socket path or a TCP host/port. */
  socketPath?: string;
  host?: string;
  port?: number;
  description: string;
}

/**
 * Cheap, synchronous check for something testcontainers could use, mirroring its strategies:
 * ~/.testcontainers.properties (tc.host / docker.host), DOCKER_HOST, /var/run/docker.sock and the rootless sockets.
 * No candidate → no container runtime, decided in microseconds without loading testcontainers.
 */
export function findContainerRuntimeCandidate(): RuntimeCandidate | undefined {
  const fromUri = (uri: string, description: string): RuntimeCandidate | undefined => {
    try {
      const u = new URL(uri);
      if (u.protocol === 'unix:') return { socketPath: u.pathname, description };
      if (u.protocol === 'npipe:') return { description };
      return { host: u.hostname, port: Number(u.port || 2375), description };
    } catch {
      return { description };
    }
  };
  const propsFile = path.join(os.homedir(), '.testcontainers.properties');
  if (fs.existsSync(propsFile)) {
    const props = fs.readFileSync(propsFile, 'utf8');
    const m = /^\s*(tc\.host|docker\.host)\s*[=:]\s*(\S+)/m.exec(props);
    if (m) return fromUri(m[2]!, `${m[1]} in ${propsFile}`);
  }
  if (process.env.DOCKER_HOST) return fromUri(process.env.DOCKER_HOST, `DOCKER_HOST=${process.env.DOCKER_HOST}`);
  if (process.platform !== 'linux' && process.platform !== 'darwin') return undefined;
  const sockets = [
    '/var/run/docker.sock',
    process.env.XDG_RUNTIME_DIR ? path.join(process.env.XDG_RUNTIME_DIR, 'docker.sock') : undefined,
    path.join(os.homedir(), '.docker', 'run', 'docker.sock'),
    path.join(os.homedir(), '.docker', 'desktop', 'docker.sock'),
    typeof process.getuid === 'function' ? `/run/user/${process.getuid()}/docker.sock` : undefined,
  ];
  for (const s of sockets) if (s && fs.existsSync(s)) return { socketPath: s, description: s };
  return undefined;
}

type Testcontainers = typeof import('testcontainers');

/** `GET /version` over a local runtime socket: which engine serves it ("Podman Engine 4.3.1", "Docker Engine …"). */
function runtimeEngine(socketPath: string, timeoutMs: number): Promise<{ name: string; version: string } | undefined> {
  return new Promise((resolve) => {
    const req = http.request({ socketPath, path: '/version', method: 'GET', timeout: timeoutMs, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', () => resolve(undefined));
      res.on('end', () => {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
            Version?: string;
            Components?: { Name?: string; Version?: string }[];
          };
          const engine = body.Components?.find((c) => /engine/i.test(c.Name ?? '')) ?? body.Components?.[0];
          resolve({ name: engine?.Name ?? 'unknown engine', version: engine?.Version ?? body.Version ?? '?' });
        } catch {
          resolve(undefined);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/**
 * How long a candidate runtime may take to answer: 3 s for a socket found by looking around, 15 s when the user asked
 * for containers (DOCKER_HOST or CLICKHOUSE_USE_CONTAINER=1): a busy machine's podman can take seconds for /info.
 */
function defaultDetectTimeoutMs(): number {
  return process.env.DOCKER_HOST || envFlag('CLICKHOUSE_USE_CONTAINER') ? 15_000 : 3000;
}

function isLoopbackAddress(host: string): boolean {
  return net.isIPv4(host) ? host.startsWith('127.') : host === '::1';
}

export interface DetectedRuntime {
  ok: true;
  candidate: RuntimeCandidate;
  tc: Testcontainers;
  /** E.g. "Podman Engine 4.3.1 via DOCKER_HOST=unix:///tmp/podman.sock". */
  description: string;
  /** Where tests reach the containers' published ports (testcontainers' host). */
  host: string;
}

/**
 * Is a container runtime answering? First the cheap candidate check (no candidate: false at once), then
 * testcontainers' own getContainerRuntimeClient() (which pings the daemon) inside a short timeout.
 *
 * Before testcontainers resolves its host (once per process), a runtime on this machine gets
 * TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1: podman (its containers publish ports in our network namespace), or any
 * runtime on a unix socket when we are not inside a container ourselves. Without it testcontainers, inside a
 * container (/.dockerenv), would reach containers through the bridge gateway (10.88.0.1 with podman): tests must
 * only talk to loopback. A Docker daemon outside our container (socket mounted in) keeps testcontainers' choice;
 * set TESTCONTAINERS_HOST_OVERRIDE to decide yourself.
 */
export async function detectContainerRuntime(
  timeoutMs = envInt('CLICKHOUSE_CONTAINER_DETECT_TIMEOUT_MS') ?? defaultDetectTimeoutMs(),
): Promise<DetectedRuntime | { ok: false; reason: string }> {
  const candidate = findContainerRuntimeCandidate();
  if (!candidate) return { ok: false, reason: 'no DOCKER_HOST, docker socket or ~/.testcontainers.properties' };
  const engine = candidate.socketPath ? await runtimeEngine(candidate.socketPath, Math.min(timeoutMs, 5000)) : undefined;
  const podman = /podman/i.test(engine?.name ?? '') || candidate.socketPath?.includes('podman') === true;
  if (podman && process.env.TESTCONTAINERS_RYUK_DISABLED === undefined) {
    // Ryuk's image cannot be pulled on registry-less podman machines; our own watchdog removes containers instead.
    process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
  }
  if (candidate.socketPath && process.env.TESTCONTAINERS_HOST_OVERRIDE === undefined && (podman || !fs.existsSync('/.dockerenv'))) {
    process.env.TESTCONTAINERS_HOST_OVERRIDE = '127.0.0.1';
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    const tc = await import('testcontainers');
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      timer.unref();
    });
    const client = await Promise.race([tc.getContainerRuntimeClient(), timeout]);
    const runtime = engine
      ? `${engine.name} ${engine.version}`
      : `${client.info.containerRuntime.operatingSystem ?? 'container runtime'} ${client.info.containerRuntime.serverVersion ?? ''}`.trim();
    return {
      ok: true,
      candidate,
      tc,
      description: `${runtime} via ${candidate.description}`,
      host: client.info.containerRuntime.host,
    };
  } catch (err) {
    return { ok: false, reason: `${candidate.description}: ${(err as Error).message}` };
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/**
 * One watchdog process per Node process: it holds a pipe from us and, when that pipe closes (we exited, however we
 * died), removes the containers we registered through the runtime's HTTP API. Works with Ryuk disabled.
 */
let containerWatchdog: ChildProcess | undefined;

const WATCHDOG_SOURCE = `
const http = require('http');
const target = JSON.parse(process.argv[1]);
const ids = new Set();
let buf = '';
process.on('SIGINT', () => {}); process.on('SIGHUP', () => {});
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  buf += d;
  let i;
  while ((i = buf.indexOf('\\n')) >= 0) {
    const [op, id] = buf.slice(0, i).split(' ');
    buf = buf.slice(i + 1);
    if (op === 'add') ids.add(id); else if (op === 'del') ids.delete(id);
  }
});
const reap = () => {
  let left = ids.size;
  if (left === 0) process.exit(0);
  setTimeout(() => process.exit(1), 30000);
  for (const id of ids) {
    const req = http.request({ ...target, method: 'DELETE', path: '/containers/' + id + '?force=true&v=true' }, (res) => {
      res.resume(); res.on('end', () => { if (--left === 0) process.exit(0); });
    });
    req.on('error', () => { if (--left === 0) process.exit(1); });
    req.end();
  }
};
process.stdin.on('end', reap);
process.stdin.on('close', reap);
`;

function watchContainer(candidate: RuntimeCandidate, id: string): { release(): void } {
  const target = candidate.socketPath
    ? { socketPath: candidate.socketPath }
    : candidate.host && process.env.DOCKER_TLS_VERIFY !== '1'
      ? { host: candidate.host, port: candidate.port }
      : undefined;
  if (!target) return { release() {} };
  if (!containerWatchdog || containerWatchdog.exitCode !== null || !containerWatchdog.stdin?.writable) {
    containerWatchdog = spawn(process.execPath, ['-e', WATCHDOG_SOURCE, JSON.stringify(target)], {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
    });
    containerWatchdog.unref();
    (containerWatchdog.stdin as unknown as net.Socket).unref?.();
    containerWatchdog.stdin?.on('error', () => {});
  }
  const dog = containerWatchdog;
  dog.stdin?.write(`add ${id}\n`);
  return {
    release() {
      if (dog.stdin?.writable) dog.stdin.write(`del ${id}\n`);
    },
  };
}

/**
 * What every container gets on top of its image's config, so that tests see the same server whichever path the run
 * takes: the settings of the local server's generated config (serverConfigXml, USERS_XML) that images set otherwise.
 * Debian's config.xml logs at 'warning' only, and 18.16 sends a client (send_logs_level) only what its logger passes.
 */
const CONTAINER_BASE_CONFIG = `<?xml version="1.0"?>
<!-- Generated by test/harness/server.ts: as the local servers' config.xml -->
<yandex>
    <logger><level>information</level></logger>
    <timezone>UTC</timezone>
    <query_log><flush_interval_milliseconds>1000</flush_interval_milliseconds></query_log>
</yandex>
`;
const CONTAINER_BASE_USERS = `<?xml version="1.0"?>
<!-- Generated by test/harness/server.ts: as the local servers' users.xml -->
<yandex>
    <profiles><default><log_queries>1</log_queries></default></profiles>
</yandex>
`;

/**
 * A GenericContainer that publishes its ports on `bindHostIp` only (when tests reach containers through loopback,
 * nothing else on the network can reach the server) and reports its id as soon as it exists (so the watchdog can
 * remove it even when startup then fails).
 */
function harnessContainer(
  tc: Testcontainers,
  image: string,
  options: { bindHostIp: string | undefined; onCreated: (id: string) => void },
) {
  class HarnessContainer extends tc.GenericContainer {
    protected override async beforeContainerCreated(): Promise<void> {
      const bindings = this.hostConfig.PortBindings as Record<string, { HostIp?: string; HostPort?: string }[]> | undefined;
      if (options.bindHostIp === undefined || !bindings) return;
      for (const [port, list] of Object.entries(bindings)) {
        bindings[port] = list.map((b) => ({ ...b, HostIp: options.bindHostIp }));
      }
    }

    protected override async containerCreated(containerId: string): Promise<void> {
      options.onCreated(containerId);
    }
  }
  return new HarnessContainer(image);
}

async function startContainer(options: StartServerOptions, detected: DetectedRuntime, log: (m: string) => void): Promise<TestServer> {
  const { tc, candidate } = detected;
  const client = await tc.getContainerRuntimeClient();
  let image = options.image ?? process.env.CLICKHOUSE_IMAGE;
  if (!image) {
    const hasLocal = await client.image.exists(tc.ImageName.fromString(LOCAL_IMAGE)).catch(() => false);
    image = hasLocal ? LOCAL_IMAGE : DEFAULT_IMAGE;
  }
  const timeoutMs = options.startupTimeoutMs ?? envInt('CLICKHOUSE_STARTUP_TIMEOUT_MS') ?? 120_000;
  const harnessDir = '/etc/clickhouse-server/harness';
  const generated = generatedConfigFiles(options, harnessDir);
  const host = detected.host;
  const bindHostIp = isLoopbackAddress(host) ? host : undefined;
  log(
    `starting container ${image} with testcontainers (${detected.description}); ports published on ` +
      `${bindHostIp ?? 'all host interfaces'}, tests connect to ${host}`,
  );
  let containerId: string | undefined;
  let watch: { release(): void } | undefined;
  const labels: Record<string, string> = { 'clickhouse-native.harness': 'true', 'clickhouse-native.pid': String(process.pid) };
  if (process.env.CLICKHOUSE_CONTAINER_RUN_ID) labels['clickhouse-native.run-id'] = process.env.CLICKHOUSE_CONTAINER_RUN_ID;
  let container = harnessContainer(tc, image, {
    bindHostIp,
    onCreated(id) {
      containerId = id;
      watch = watchContainer(candidate, id);
    },
  })
    .withExposedPorts(9000, 8123)
    .withLabels(labels)
    // Modern images lock the passwordless `default` user to localhost unless told not to.
    .withEnvironment({ CLICKHOUSE_SKIP_USER_SETUP: '1' })
    .withWaitStrategy(tc.Wait.forHttp('/ping', 8123).forStatusCode(200))
    .withStartupTimeout(timeoutMs);
  const copies = [
    { content: CONTAINER_BASE_CONFIG, target: '/etc/clickhouse-server/config.d/00-harness-base.xml' },
    { content: CONTAINER_BASE_USERS, target: '/etc/clickhouse-server/users.d/00-harness-base.xml' },
    ...generated.configD.map((f) => ({ content: f.content, target: `/etc/clickhouse-server/config.d/${f.name}` })),
    ...generated.usersD.map((f) => ({ content: f.content, target: `/etc/clickhouse-server/users.d/${f.name}` })),
    ...Object.entries(options.files ?? {}).map(([rel, content]) => ({
      content: typeof content === 'string' ? content : Buffer.from(content),
      target: path.posix.join(harnessDir, rel),
    })),
  ];
  container = container.withCopyContentToContainer(copies);
  const resource: Cleanup = { sync() {} }; // the watchdog does the work once we are gone
  track(resource);
  const t0 = Date.now();
  let started: Awaited<ReturnType<typeof container.start>>;
  const discard = async () => {
    if (containerId !== undefined) await client.container.getById(containerId).remove({ force: true, v: true }).catch(() => {});
    watch?.release();
    untrack(resource);
  };
  try {
    started = await container.start();
  } catch (err) {
    await discard();
    throw err;
  }
  const info = {
    host: started.getHost(),
    port: started.getMappedPort(9000),
    httpPort: started.getMappedPort(8123),
    username: 'default',
    password: '',
    database: 'default',
  };
  let version: string | undefined;
  try {
    version = (await adminQuery(info, 'SELECT version()', { timeoutMs: 10_000 })).trim();
  } catch (err) {
    await discard();
    throw err;
  }
  const revision = await askRevision(info, log);
  log(
    `container ${started.getId().slice(0, 12)} (${image}) ready in ${Date.now() - t0} ms: ClickHouse ${version}, ` +
      `native ${info.host}:${info.port}, http ${info.host}:${info.httpPort}`,
  );
  let stopped = false;
  return {
    kind: 'container',
    ...info,
    url: formatServerUrl(info),
    version,
    revision,
    image,
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await started.stop({ timeout: 5_000, remove: true });
      } finally {
        watch?.release();
        untrack(resource);
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// (c) The local binary
// ---------------------------------------------------------------------------------------------------------------

function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Looks for `name` on PATH and in the usual sbin/bin dirs (PATH of non-root users lacks /usr/sbin). */
function findBinary(name: string, override?: string): string | undefined {
  if (override) return isExecutable(override) ? override : undefined;
  const dirs = [
    ...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean),
    '/usr/sbin',
    '/usr/bin',
    '/usr/local/sbin',
    '/usr/local/bin',
    '/sbin',
    '/bin',
  ];
  for (const d of dirs) {
    const p = path.join(d, name);
    if (isExecutable(p)) return p;
  }
  return undefined;
}

interface ServerCommand {
  file: string;
  args: string[];
}

function findServerCommand(override?: string): ServerCommand | undefined {
  const explicit = override ?? process.env.CLICKHOUSE_SERVER_BIN;
  if (explicit) {
    if (!isExecutable(explicit)) throw new Error(`clickhouse server binary ${explicit} is not an executable file`);
    return path.basename(explicit) === 'clickhouse' ? { file: explicit, args: ['server'] } : { file: explicit, args: [] };
  }
  const server = findBinary('clickhouse-server');
  if (server) return { file: server, args: [] };
  const single = findBinary('clickhouse'); // the single-binary distribution: `clickhouse server`
  if (single) return { file: single, args: ['server'] };
  return undefined;
}

const INSTALL_HINT =
  'Install ClickHouse: `sudo apt-get update && sudo apt-get install -y clickhouse-server clickhouse-client` ' +
  '(Debian/Ubuntu), or set CLICKHOUSE_SERVER_BIN=/path/to/clickhouse-server, or point CLICKHOUSE_URL at a server ' +
  '(clickhouse://user:pass@host:port/db), or run Docker/podman so testcontainers can start CLICKHOUSE_IMAGE.';

let installPromise: Promise<void> | undefined;

/** Runs an apt-get shell script non-interactively; resolves with its exit code and its last output. */
export async function runAptScript(script: string): Promise<{ code: number | null; output: string }> {
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn('bash', ['-c', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive', NEEDRESTART_MODE: 'a' },
    });
    child.stdout.on('data', (d: Buffer) => output.push(d.toString()));
    child.stderr.on('data', (d: Buffer) => output.push(d.toString()));
    child.on('error', reject);
    child.on('close', resolve);
  });
  return { code, output: output.join('').slice(-4000) };
}

/** Runs `apt-get update && apt-get install -y clickhouse-server clickhouse-client` (root only). */
export function installClickHouse(log: (m: string) => void = () => {}): Promise<void> {
  installPromise ??= (async () => {
    if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
      throw new Error(`clickhouse-server is not installed and we are not root, so the harness cannot install it. ${INSTALL_HINT}`);
    }
    if (!findBinary('apt-get')) throw new Error(`clickhouse-server is not installed and apt-get is missing. ${INSTALL_HINT}`);
    log('installing clickhouse-server and clickhouse-client with apt-get (about 5-30 s)');
    const script =
      'apt-get -o DPkg::Lock::Timeout=300 update && ' +
      'apt-get -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold ' +
      'install -y clickhouse-server clickhouse-client';
    const { code, output } = await runAptScript(script);
    // apt may exit non-zero only because the package's service could not be started here: that is harmless.
    if (!findServerCommand()) {
      throw new Error(
        `apt-get install clickhouse-server failed (exit ${code}):\n${output}\n${INSTALL_HINT}`,
      );
    }
    log(`clickhouse-server installed (apt exit code ${code})`);
  })();
  installPromise.catch(() => {
    installPromise = undefined;
  });
  return installPromise;
}

async function ensureServerCommand(override: string | undefined, log: (m: string) => void): Promise<ServerCommand> {
  const found = findServerCommand(override);
  if (found) return found;
  await installClickHouse(log);
  const after = findServerCommand(override);
  if (!after) throw new Error(`clickhouse-server still missing after installing. ${INSTALL_HINT}`);
  return after;
}

const USERS_XML = `<?xml version="1.0"?>
<!-- Generated by test/harness/server.ts: the Debian users.xml defaults, plus log_queries (as modern servers). -->
<yandex>
    <profiles>
        <default>
            <max_memory_usage>10000000000</max_memory_usage>
            <use_uncompressed_cache>0</use_uncompressed_cache>
            <load_balancing>random</load_balancing>
            <log_queries>1</log_queries>
        </default>
        <readonly>
            <readonly>1</readonly>
        </readonly>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks><ip>::/0</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</yandex>
`;

interface GeneratedFile {
  name: string;
  content: string;
}

/** config.d/ and users.d/ files for the options (the same for local servers and containers). */
function generatedConfigFiles(options: ServerSetupOptions, filesDir: string): { configD: GeneratedFile[]; usersD: GeneratedFile[] } {
  const wrap = (inner: string) => `<?xml version="1.0"?>\n<yandex>\n${inner.replaceAll('{{dir}}', filesDir)}\n</yandex>\n`;
  const configD = toArray(options.configXml).map((xml, i) => ({ name: `zz-harness-${i}.xml`, content: wrap(xml) }));
  const usersD = toArray(options.usersXml).map((xml, i) => ({ name: `zz-harness-${i}.xml`, content: wrap(xml) }));
  const settings = Object.entries(options.profileSettings ?? {});
  if (settings.length > 0) {
    const inner = settings
      .map(([k, v]) => {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`profileSettings: bad setting name ${JSON.stringify(k)}`);
        return `<${k}>${xmlEscape(typeof v === 'boolean' ? (v ? '1' : '0') : String(v))}</${k}>`;
      })
      .join('');
    usersD.push({ name: 'zz-harness-profile.xml', content: wrap(`<profiles><default>${inner}</default></profiles>`) });
  }
  const users = Object.entries(options.users ?? {});
  if (users.length > 0) {
    const inner = users
      .map(([name, u]) => {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`users: bad user name ${JSON.stringify(name)}`);
        return (
          `<${name}><password>${xmlEscape(u.password)}</password><networks><ip>::/0</ip></networks>` +
          `<profile>${xmlEscape(u.profile ?? 'default')}</profile><quota>default</quota></${name}>`
        );
      })
      .join('');
    usersD.push({ name: 'zz-harness-users.xml', content: wrap(`<users>${inner}</users>`) });
  }
  return { configD, usersD };
}

function serverConfigXml(dir: string, tcpPort: number, httpPort: number, logLevel: string): string {
  const d = xmlEscape(dir);
  return `<?xml version="1.0"?>
<!-- Generated by test/harness/server.ts -->
<yandex>
    <logger>
        <level>${logLevel}</level>
        <log>${d}/log/clickhouse-server.log</log>
        <errorlog>${d}/log/clickhouse-server.err.log</errorlog>
        <size>100M</size>
        <count>2</count>
    </logger>
    <listen_host>127.0.0.1</listen_host>
    <tcp_port>${tcpPort}</tcp_port>
    <http_port>${httpPort}</http_port>
    <path>${d}/data/</path>
    <tmp_path>${d}/tmp/</tmp_path>
    <user_files_path>${d}/user_files/</user_files_path>
    <format_schema_path>${d}/format_schemas/</format_schema_path>
    <users_config>${d}/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <mark_cache_size>536870912</mark_cache_size>
    <timezone>UTC</timezone>
    <query_log>
        <database>system</database>
        <table>query_log</table>
        <flush_interval_milliseconds>1000</flush_interval_milliseconds>
    </query_log>
</yandex>
`;
}

const NON_TERMINATING = new Set<NodeJS.Signals>(['SIGSTOP', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU', 'SIGCONT']);

let setprivPath: string | null | undefined;

/** `setpriv --pdeathsig SIGKILL` makes the kernel kill the server when the Node thread that spawned it dies. */
function pdeathsigWrapper(): string | undefined {
  if (setprivPath === undefined) {
    setprivPath = null;
    if (process.platform === 'linux') {
      const p = findBinary('setpriv');
      if (p) setprivPath = p;
    }
  }
  return setprivPath ?? undefined;
}

/** Starts the local clickhouse-server binary from a generated config in a fresh temp dir, on free ports. */
const TEMP_PREFIX = 'clickhouse-native-test-';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes temp dirs left by harness processes that died without cleaning up (SIGKILL): each dir holds an
 * owner.json with the owning Node pid; the server itself died with its owner (pdeathsig).
 */
async function sweepStaleDirs(): Promise<void> {
  let entries: string[];
  try {
    entries = await fsp.readdir(os.tmpdir());
  } catch {
    return;
  }
  for (const name of entries) {
    if (!name.startsWith(TEMP_PREFIX)) continue;
    const dir = path.join(os.tmpdir(), name);
    try {
      const owner = JSON.parse(await fsp.readFile(path.join(dir, 'owner.json'), 'utf8')) as { pid?: number; serverPid?: number };
      if (typeof owner.pid !== 'number' || processAlive(owner.pid)) continue;
      if (typeof owner.serverPid === 'number' && processAlive(owner.serverPid)) continue;
      await fsp.rm(dir, { recursive: true, force: true });
    } catch {
      /* not ours, or being created right now */
    }
  }
}

export async function startLocalServer(options: LocalServerOptions = {}): Promise<LocalServer> {
  const log = makeLogger(options);
  const command = await ensureServerCommand(options.binary, log);
  const startupTimeoutMs = options.startupTimeoutMs ?? envInt('CLICKHOUSE_STARTUP_TIMEOUT_MS') ?? 30_000;
  await sweepStaleDirs();
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), TEMP_PREFIX));
  const filesDir = path.join(dir, 'files');
  const configPath = path.join(dir, 'config.xml');
  const logDir = path.join(dir, 'log');
  const errorLogPath = path.join(logDir, 'clickhouse-server.err.log');
  const consoleLogPath = path.join(logDir, 'console.log');
  const host = '127.0.0.1';

  let port: number;
  let httpPort: number;
  try {
    for (const sub of ['data', 'tmp', 'user_files', 'format_schemas', 'log', 'config.d', 'users.d', 'files']) {
      await fsp.mkdir(path.join(dir, sub), { recursive: true });
    }
    port = await getFreePort(host);
    httpPort = await getFreePort(host);
    await fsp.writeFile(path.join(dir, 'owner.json'), JSON.stringify({ pid: process.pid }));
    await fsp.writeFile(configPath, serverConfigXml(dir, port, httpPort, options.logLevel ?? 'information'));
    await fsp.writeFile(path.join(dir, 'users.xml'), USERS_XML);
    const generated = generatedConfigFiles(options, filesDir);
    for (const f of generated.configD) await fsp.writeFile(path.join(dir, 'config.d', f.name), f.content);
    for (const f of generated.usersD) await fsp.writeFile(path.join(dir, 'users.d', f.name), f.content);
    for (const [rel, content] of Object.entries(options.files ?? {})) {
      const target = path.join(filesDir, rel);
      await fsp.mkdir(path.dirname(target), { recursive: true });
      await fsp.writeFile(target, content);
    }
  } catch (err) {
    await fsp.rm(dir, { recursive: true, force: true });
    throw err;
  }

  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  type ExitInfo = { code: number | null; signal: NodeJS.Signals | null };
  let exitInfo: ExitInfo | undefined;
  let stopped = false;

  const resource: Cleanup = {
    sync() {
      if (child?.pid !== undefined && exitInfo === undefined) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      try {
        fs.rmSync(dir, { recursive: true, force: true });
      } catch {
        /* best effort */
      }
    },
  };
  track(resource);

  const isRunning = () => child !== undefined && exitInfo === undefined;

  /** Waits for the current process to exit, keeping the event loop alive meanwhile. */
  const waitExit = async (timeoutMs: number): Promise<boolean> => {
    if (!isRunning()) return true;
    const keepAlive = setInterval(() => {}, 1000);
    try {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      const ok = await Promise.race([exited.then(() => true as const), timedOut]);
      clearTimeout(timer);
      return ok;
    } finally {
      clearInterval(keepAlive);
    }
  };

  const failure = async (what: string): Promise<Error> => {
    const errLog = await tail(errorLogPath);
    const consoleLog = await tail(consoleLogPath, 3000);
    return new Error(
      `local clickhouse-server (${command.file}, config ${configPath}) ${what}.\n` +
        `--- error log (${errorLogPath}) ---\n${errLog.trim() || '(empty)'}\n` +
        `--- stdout/stderr ---\n${consoleLog.trim() || '(empty)'}`,
    );
  };

  const terminate = async (graceMs = 5_000): Promise<void> => {
    if (!isRunning()) return;
    const pid = child!.pid!;
    try {
      process.kill(pid, 'SIGTERM');
      process.kill(pid, 'SIGCONT'); // in case a test froze it with SIGSTOP
    } catch {
      /* gone */
    }
    if (await waitExit(graceMs)) return;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    if (!(await waitExit(10_000))) throw new Error(`clickhouse-server pid ${pid} did not die after SIGKILL`);
  };

  const launch = async (): Promise<void> => {
    const out = fs.openSync(consoleLogPath, 'a');
    const wrapper = pdeathsigWrapper();
    const serverArgs = [...command.args, `--config-file=${configPath}`];
    const [file, args] = wrapper
      ? [wrapper, ['--pdeathsig', 'SIGKILL', '--', command.file, ...serverArgs]]
      : [command.file, serverArgs];
    let proc: ChildProcess;
    try {
      proc = spawn(file, args, {
        cwd: dir,
        stdio: ['ignore', out, out],
        // Newer binaries fork a watchdog parent unless told not to: keep one process we can signal.
        env: { ...process.env, CLICKHOUSE_WATCHDOG_ENABLE: '0' },
      });
    } finally {
      fs.closeSync(out);
    }
    child = proc;
    exitInfo = undefined;
    fs.writeFileSync(path.join(dir, 'owner.json'), JSON.stringify({ pid: process.pid, serverPid: proc.pid }));
    exited = new Promise<void>((resolve) => {
      proc.once('exit', (code, signal) => {
        exitInfo = { code, signal };
        resolve();
      });
      proc.once('error', (err) => {
        exitInfo = { code: null, signal: null };
        fs.appendFileSync(consoleLogPath, `spawn error: ${err.message}\n`);
        resolve();
      });
    });
    proc.unref(); // a forgotten server must not keep a script alive; the exit handler kills it

    const started = Date.now();
    const keepAlive = setInterval(() => {}, 1000);
    try {
      for (;;) {
        const ended = exitInfo as ExitInfo | undefined; // set by the 'exit' listener meanwhile
        if (ended) throw await failure(`exited during startup (code ${ended.code}, signal ${ended.signal})`);
        if (await ping(host, httpPort, 1000)) return;
        if (Date.now() - started > startupTimeoutMs) {
          await terminate(2_000).catch(() => {});
          throw await failure(`did not answer /ping on port ${httpPort} within ${startupTimeoutMs} ms`);
        }
        await sleep(50);
      }
    } finally {
      clearInterval(keepAlive);
    }
  };

  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await launch();
        break;
      } catch (err) {
        // Someone took one of our free ports between the OS handing it out and the server binding it: new ports.
        const clash = /Address already in use: \S*:(\d+)/.exec((err as Error).message);
        const ours = clash !== null && (Number(clash[1]) === port || Number(clash[1]) === httpPort);
        if (attempt >= 3 || !ours) throw err;
        log(`port clash on ${port}/${httpPort}, retrying with new ports`);
        port = await getFreePort(host);
        httpPort = await getFreePort(host);
        await fsp.writeFile(configPath, serverConfigXml(dir, port, httpPort, options.logLevel ?? 'information'));
        await fsp.rm(errorLogPath, { force: true });
      }
    }
  } catch (err) {
    untrack(resource);
    resource.sync();
    throw err;
  }

  const info = { host, port, httpPort, username: 'default', password: '', database: 'default' };
  let version: string | undefined;
  try {
    version = (await adminQuery(info, 'SELECT version()', { timeoutMs: 10_000 })).trim();
  } catch {
    version = undefined;
  }
  const revision = await askRevision(info, log);
  log(`local clickhouse-server ${version ?? '?'} (revision ${revision ?? '?'}) on tcp ${port} / http ${httpPort} in ${dir}`);

  const server: LocalServer = {
    kind: 'local',
    ...info,
    url: formatServerUrl(info),
    version,
    revision,
    dir,
    get pid() {
      return isRunning() ? child!.pid : undefined;
    },
    get running() {
      return isRunning();
    },
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (!isRunning()) return;
      try {
        process.kill(child!.pid!, signal);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
      }
      if (NON_TERMINATING.has(signal)) return;
      if (!(await waitExit(30_000))) {
        throw new Error(`clickhouse-server pid ${child!.pid} still runs 30 s after ${signal}`);
      }
    },
    async restart() {
      if (stopped) throw new Error('restart() after stop()');
      await terminate();
      await launch();
    },
    readErrorLog() {
      return fsp.readFile(errorLogPath, 'utf8').catch(() => '');
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await terminate();
      } finally {
        untrack(resource);
        await fsp.rm(dir, { recursive: true, force: true });
      }
    },
  };
  return server;
}

// ---------------------------------------------------------------------------------------------------------------
// startServer: (a) URL, (b) container, (c) local
// ---------------------------------------------------------------------------------------------------------------

export async function startServer(options: StartServerOptions = {}): Promise<TestServer> {
  const log = makeLogger(options);
  const prefer = options.prefer ?? 'any';
  const customized =
    toArray(options.configXml).length > 0 ||
    toArray(options.usersXml).length > 0 ||
    Object.keys(options.profileSettings ?? {}).length > 0 ||
    Object.keys(options.users ?? {}).length > 0 ||
    Object.keys(options.files ?? {}).length > 0;

  if (prefer === 'any') {
    const url = process.env.CLICKHOUSE_URL;
    if (url) {
      if (customized) log('CLICKHOUSE_URL ignored: this server needs config changes the harness cannot apply to it');
      else return fromUrl(url, log);
    }

    const useContainer = envFlag('CLICKHOUSE_USE_CONTAINER');
    if (useContainer !== false) {
      const t0 = Date.now();
      const detected = await detectContainerRuntime();
      if (detected.ok) {
        try {
          return await startContainer(options, detected, log);
        } catch (err) {
          const explicit = options.image !== undefined || process.env.CLICKHOUSE_IMAGE !== undefined || useContainer;
          if (explicit) throw err;
          log(
            `!!! the container runtime answers but the container failed; FALLING BACK to the local binary !!!\n` +
              `!!! ${(err as Error).message.split('\n').join('\n!!! ')}`,
          );
        }
      } else {
        if (useContainer) throw new Error(`CLICKHOUSE_USE_CONTAINER is set but no container runtime answers (${detected.reason})`);
        log(`no container runtime (${detected.reason}; decided in ${Date.now() - t0} ms): using the local binary`);
      }
    } else {
      log('containers disabled by CLICKHOUSE_USE_CONTAINER: using the local binary');
    }
  }
  return startLocalServer(options);
}
