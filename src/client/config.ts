/** Client configuration, in the shape @clickhouse/client users know, plus the native-protocol specifics. */
import { DEFAULT_FRAME_LIMITS, type Compression, type FrameLimits } from '../compression/frame.js';
import { canonicalCompression } from '../compression/codecs.js';
import { Secret } from '../connection/secret.js';
import type { TlsOptions } from '../connection/connection.js';
import { ClickHouseNativeError } from '../errors.js';
import { DEFAULT_BLOCK_LIMITS, type BlockLimits } from '../columns/block.js';
import { DEFAULT_READER_LIMITS, type ReaderLimits } from '../protocol/reader.js';
import type { Settings } from '../protocol/settings.js';
import type { InsertRetryConfig } from '../insert/retry.js';
import { DEFAULT_INSERT_BLOCK_BYTES, DEFAULT_INSERT_BLOCK_ROWS } from '../insert/insert.js';
import { Log, LOG_LEVELS, type Logger, type LogLevel } from '../connection/log.js';
import { CLIENT_NAME } from '../version.js';
import { JWT_USER } from '../protocol/client-packets.js';
import type { TracingConfig } from './tracing.js';
import {
  LOAD_BALANCING_MODES,
  parseHostAddress,
  type HostAddress,
  type LoadBalancing,
} from '../connection/multi-host.js';

/**
 * Caps on sizes the server's bytes claim, checked before anything is allocated for them. A stream over a cap fails
 * with a ProtocolError naming the claim and the cap, and its connection is discarded. The defaults are the server's
 * own sanity limits (or the largest a JS array holds); lower them to bound memory against an untrusted peer.
 */
export interface ClickHouseLimitsConfig {
  /** Largest String value (and raw byte run) in bytes. Default 1 GiB. */
  max_string_bytes?: number;
  /** Most rows one block may claim. Default 2^30. */
  max_block_rows?: number;
  /** Most columns one block may claim. Default 1 000 000 (the server's NativeReader limit). */
  max_block_columns?: number;
  /** Most elements one Array (or Map) column may hold in a block, at each nesting level. Default 2^32 - 1. */
  max_array_elements?: number;
  /** Most keys a LowCardinality dictionary may claim in a block. Default 2^30. */
  max_dictionary_keys?: number;
  /** Deepest nesting of a column type name, e.g. Array(Array(String)) is 2. Default 64, at most 256. */
  max_type_nesting_depth?: number;
  /** Largest compressed frame (header + payload). Default 1 GiB (the server's DBMS_MAX_COMPRESSED_SIZE). */
  max_compressed_frame_bytes?: number;
  /** Largest decompressed frame. Default 1 GiB. */
  max_decompressed_frame_bytes?: number;
}

/** TLS to the server's secure native port (`tcp_port_secure`, 9440 by convention). */
export interface ClickHouseTlsConfig {
  /** Trusted CA certificate(s), PEM. Default: Node's bundled root CAs. */
  ca?: string | Buffer | ReadonlyArray<string | Buffer>;
  /** Client certificate (PEM) for mutual TLS. */
  cert?: string | Buffer;
  /** The client certificate's private key (PEM). */
  key?: string | Buffer;
  /** Host name to check the server certificate against (and to send as SNI). Default: `host`. */
  servername?: string;
  /** Verify the server certificate (chain and host name). Default true; false is for tests only. */
  rejectUnauthorized?: boolean;
}

export interface ClickHouseClientConfig {
  /**
   * `clickhouse://user:password@host:9000/database`, or `clickhouses://…` for TLS (default port 9440); explicit
   * fields below override its parts.
   */
  url?: string | URL;
  host?: string;
  /** The native TCP port (9000 by default, 9440 with TLS). */
  port?: number;
  username?: string;
  password?: string;
  database?: string;
  /**
   * Block compression on the wire, both directions: `lz4` (default), `lz4hc`, `zstd`, `none`, or a method with its
   * level, `{ method: 'zstd', level: 1..22 }` / `{ method: 'lz4hc', level: 1..12 }` (defaults 1 and 9).
   */
  compression?: Compression;
  /** Settings sent with every query; per-call settings override them. */
  clickhouse_settings?: Settings;
  /** TCP connect plus handshake. Default 10 000 ms. */
  connect_timeout_ms?: number;
  /** Longest silence from the server while a request waits for it. Default 300 000 ms (the server's own receive_timeout). */
  request_timeout_ms?: number;
  /** Pool size. Default 10. */
  max_open_connections?: number;
  /**
   * Longest wait for a pooled connection when all max_open_connections are in use; then the request fails with
   * PoolExhaustedError. An unconsumed query result holds its connection until it is read, closed or aborted.
   * Default 30 000 ms; 0 waits without limit.
   */
  pool_acquire_timeout_ms?: number;
  /**
   * An idle pooled connection unused this long is closed, so a socket a NAT or load balancer dropped while it idled
   * is not handed out. Default 60 000 ms (below the idle cut-offs of common NATs and load balancers); 0 keeps idle
   * connections open.
   */
  idle_connection_ttl_ms?: number;
  /** A connection this old is closed when its request ends, never reused. Default 3 600 000 ms (1 h); 0 = no limit. */
  max_connection_lifetime_ms?: number;
  /**
   * TCP keep-alive: the OS probes a connection after this many ms of silence, which keeps NAT entries alive and
   * detects a peer that vanished. Default 30 000 ms; 0 turns probes off.
   */
  tcp_keep_alive_ms?: number;
  /**
   * Most rows per Data block sent on insert. Default 100 000: a cap for tiny rows; `insert_block_bytes` cuts the
   * blocks of most tables first.
   */
  insert_block_rows?: number;
  /**
   * Retries of inserts whose input is in memory (arrays, columnar objects, inserter batches): identical blocks are
   * resent when the outcome is unknown. Default 5 attempts (an inserter's: 10); `false` turns retries off.
   * README, "Reliable inserts", says when a retry is safe.
   */
  insert_retry?: InsertRetryConfig | false;
  /**
   * About this many encoded bytes per Data block, before compression. Default 1 MiB (about 13 000 rows of a
   * six-column table with a 50-character string): blocks of ~1 MiB cost the server and this client about half the
   * CPU of 8 MB ones (README, "insert"). The server squashes small insert blocks before it writes a MergeTree
   * part, so they do not make more parts. An insert holds about two blocks at a time (one being written, one being
   * encoded).
   */
  insert_block_bytes?: number;
  /**
   * Who computes DEFAULT and MATERIALIZED columns on insert: `'client'` (default) or `'server'`. Each insert may
   * override it. README, "Client-side defaults".
   */
  defaults?: 'client' | 'server';
  /** Caps on sizes read from the wire. */
  limits?: ClickHouseLimitsConfig;
  /**
   * TLS (on with a `clickhouses://` URL). `true` uses Node's root CAs. The certificate is verified unless
   * `rejectUnauthorized: false`.
   */
  tls?: boolean | ClickHouseTlsConfig;
  /**
   * Several servers (`'host'`, `'host:port'`, `'[::1]:9000'`; the port defaults to `port`): each gets its own pool of
   * up to max_open_connections, a failed connect fails over to the next host, and a failed host is skipped with
   * back-off until a ping finds it healthy. Overrides `host`.
   */
  hosts?: readonly string[];
  /** The order hosts are tried in. Default 'random'. */
  load_balancing?: LoadBalancing;
  /**
   * Rows from json() and iteration in JSON-safe values (64-bit integers as strings, TypedArrays as arrays, Maps as
   * objects), so JSON.stringify works on them, as with @clickhouse/client's JSON formats. Each query may override it.
   * Default false: lossless JS values (bigint, TypedArray, Map).
   */
  json_safe?: boolean;
  /**
   * The application's name, sent before ours as the client name of every connection and query, so query_log's
   * client_name (and system.processes) say who ran a query: `'billing-api'` shows as `billing-api clickhouse-native`.
   */
  application?: string;
  /** A quota key for every call (a quota `KEYED BY client_key`): ClientInfo's quota_key. Each call may override it. */
  quota_key?: string;
  /**
   * Roles every call runs with: one name or several (`[]` for none). Each call may override them. The client runs
   * `SET ROLE` on a connection when its roles differ. Needs ClickHouse 20.4 or later (access control). README, "Roles".
   */
  role?: string | readonly string[];
  /**
   * Log in with a JSON Web Token instead of a user name and password: sent as clickhouse-go sends it, the user name
   * " JWT AUTHENTICATION " and the token as the password. ClickHouse Cloud takes it; an open-source server refuses
   * the login (README, "JWT").
   */
  jwt?: string;
  /** Where the client logs what it does on its own: connects, failovers, insert retries, defaults left to the server, an exhausted pool. `console` works. */
  logger?: Logger;
  /** The least level logged. Default 'info' (with a logger). */
  log_level?: LogLevel;
  /** A span per query and insert, with the database semantic-convention attributes. README, "Tracing". */
  tracing?: TracingConfig;
}

export interface ResolvedLimits {
  reader: ReaderLimits;
  block: BlockLimits;
  frame: FrameLimits;
}

export interface ResolvedConfig {
  host: string;
  port: number;
  username: string;
  /** Kept wrapped: it never shows in inspect, JSON or String() (see Secret). */
  password: Secret;
  database: string;
  /** Undefined for plain TCP. */
  tls: TlsOptions | undefined;
  limits: ResolvedLimits;
  /** A method name when it uses its default level, else `{ method, level }` (see canonicalCompression). */
  compression: Compression;
  clickhouseSettings: Settings;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  maxOpenConnections: number;
  poolAcquireTimeoutMs: number;
  idleConnectionTtlMs: number;
  maxConnectionLifetimeMs: number;
  tcpKeepAliveMs: number;
  insertBlockRows: number;
  insertBlockBytes: number;
  /** Who computes DEFAULT/MATERIALIZED columns on insert. */
  defaults: 'client' | 'server';
  /** Set when config.hosts was given. */
  hosts: HostAddress[] | undefined;
  loadBalancing: LoadBalancing;
  /** Rows in JSON-safe values by default. */
  jsonSafe: boolean;
  /** The client name sent in Hello and ClientInfo. */
  clientName: string;
  quotaKey: string | undefined;
  /** The client's roles; undefined: the user's default roles. */
  roles: readonly string[] | undefined;
  /** True when the login is a JWT (username is the marker, password the token). */
  jwt: boolean;
  log: Log;
  tracing: TracingConfig | undefined;
}

/** Role names as a list: one name or several; undefined stays undefined (the user's default roles). */
export function resolveRoles(
  name: string,
  role: string | readonly string[] | undefined,
): readonly string[] | undefined {
  if (role === undefined) return undefined;
  const list = typeof role === 'string' ? [role] : role;
  if (!Array.isArray(list)) throw new ConfigError(`${name} must be a role name or an array of them`);
  for (const item of list as unknown[]) {
    if (typeof item !== 'string' || item.length === 0)
      throw new ConfigError(`${name}: every role must be a non-empty string, got ${JSON.stringify(item)}`);
  }
  return [...(list as string[])];
}

/** Text sent in a ClientInfo string field: printable, and short enough for a log column. */
function clientText(name: string, value: unknown, max: number): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new ConfigError(`${name} must be a string, got ${typeof value}`);
  if (value.length > max) throw new ConfigError(`${name} is longer than ${max} characters`);
  if (/[\x00-\x1f\x7f]/.test(value)) throw new ConfigError(`${name} must not contain control characters`);
  return value;
}

export class ConfigError extends ClickHouseNativeError {}

function resolveCompressionConfig(compression: Compression): Compression {
  try {
    return canonicalCompression(compression);
  } catch (error) {
    throw new ConfigError((error as Error).message, { cause: error });
  }
}

function positiveInteger(name: string, value: number | undefined, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0 || (!allowZero && value === 0)) {
    throw new ConfigError(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer, got ${value}`);
  }
  return value;
}

const MAX_TYPE_NESTING_DEPTH = 256;

/** A URL's parts. Never echoes the URL: it may hold the password. */
function parseUrl(value: string | URL): { url: URL; tls: boolean } {
  let url: URL;
  try {
    url = typeof value === 'string' ? new URL(value) : value;
  } catch {
    // No `cause`: Node's TypeError carries the whole input, password included.
    throw new ConfigError('url is not a valid URL: use clickhouse://user:password@host:9000/database');
  }
  if (url.protocol !== 'clickhouse:' && url.protocol !== 'tcp:' && url.protocol !== 'clickhouses:') {
    throw new ConfigError(
      `Unsupported URL scheme "${url.protocol}": use clickhouse://user:password@host:9000/database ` +
        `or clickhouses://… for TLS`,
    );
  }
  return { url, tls: url.protocol === 'clickhouses:' };
}

function decodeUrlPart(name: string, text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new ConfigError(`The ${name} in url is not valid percent-encoding`);
  }
}

function resolveLimits(limits: ClickHouseLimitsConfig = {}): ResolvedLimits {
  const cap = (name: keyof ClickHouseLimitsConfig, fallback: number, max: number, min = 1): number => {
    const value = limits[name];
    if (value === undefined) return fallback;
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new ConfigError(`limits.${name} must be an integer from ${min} to ${max}, got ${value}`);
    }
    return value;
  };
  return {
    reader: {
      maxStringBytes: cap('max_string_bytes', DEFAULT_READER_LIMITS.maxStringBytes, 2 ** 32),
      maxArrayElements: cap('max_array_elements', DEFAULT_READER_LIMITS.maxArrayElements, 2 ** 32 - 1),
      maxDictionaryKeys: cap('max_dictionary_keys', DEFAULT_READER_LIMITS.maxDictionaryKeys, 2 ** 32 - 1),
      maxNestingDepth: cap('max_type_nesting_depth', DEFAULT_READER_LIMITS.maxNestingDepth, MAX_TYPE_NESTING_DEPTH),
    },
    block: {
      maxRows: cap('max_block_rows', DEFAULT_BLOCK_LIMITS.maxRows, 2 ** 32 - 1),
      maxColumns: cap('max_block_columns', DEFAULT_BLOCK_LIMITS.maxColumns, 2 ** 32 - 1),
    },
    frame: {
      maxCompressedBytes: cap('max_compressed_frame_bytes', DEFAULT_FRAME_LIMITS.maxCompressedBytes, 2 ** 32 - 1, 9),
      maxDecompressedBytes: cap('max_decompressed_frame_bytes', DEFAULT_FRAME_LIMITS.maxDecompressedBytes, 2 ** 32 - 1),
    },
  };
}

function resolveTls(tls: boolean | ClickHouseTlsConfig | undefined, fromUrl: boolean): TlsOptions | undefined {
  if (tls === false) {
    if (fromUrl) throw new ConfigError('tls: false contradicts the clickhouses:// URL');
    return undefined;
  }
  if (tls === undefined && !fromUrl) return undefined;
  const given = typeof tls === 'object' && tls !== null ? tls : {};
  if (given.rejectUnauthorized !== undefined && typeof given.rejectUnauthorized !== 'boolean') {
    throw new ConfigError(`tls.rejectUnauthorized must be a boolean, got ${typeof given.rejectUnauthorized}`);
  }
  if ((given.cert === undefined) !== (given.key === undefined)) {
    throw new ConfigError('tls.cert and tls.key go together: give both for mutual TLS, or neither');
  }
  return {
    ca: given.ca === undefined ? undefined : Array.isArray(given.ca) ? [...given.ca] : (given.ca as string | Buffer),
    cert: given.cert,
    key: given.key === undefined ? undefined : new Secret(given.key),
    servername: given.servername,
    rejectUnauthorized: given.rejectUnauthorized ?? true,
  };
}

export function resolveConfig(config: ClickHouseClientConfig = {}): ResolvedConfig {
  let fromUrl: Partial<Pick<ResolvedConfig, 'host' | 'port' | 'username' | 'database'>> & { password?: string } = {};
  let urlTls = false;
  if (config.url !== undefined) {
    const { url, tls } = parseUrl(config.url);
    urlTls = tls;
    fromUrl = {
      host: url.hostname.replace(/^\[(.*)\]$/, '$1') || undefined,
      port: url.port ? Number(url.port) : undefined,
      username: url.username ? decodeUrlPart('user name', url.username) : undefined,
      password: url.password ? decodeUrlPart('password', url.password) : undefined,
      database: url.pathname.length > 1 ? decodeUrlPart('database', url.pathname.slice(1)) : undefined,
    };
  }
  const compression = resolveCompressionConfig(config.compression ?? 'lz4');
  const tls = resolveTls(config.tls, urlTls);
  const port = config.port ?? fromUrl.port ?? (tls ? 9440 : 9000);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new ConfigError(`port must be 1..65535, got ${port}`);
  const password = config.password ?? fromUrl.password ?? '';
  if (typeof password !== 'string') throw new ConfigError(`password must be a string, got ${typeof password}`);
  let hosts: HostAddress[] | undefined;
  if (config.hosts !== undefined) {
    if (!Array.isArray(config.hosts) || config.hosts.length === 0)
      throw new ConfigError('hosts must be a non-empty array of "host:port"');
    hosts = config.hosts.map((text) => {
      const address = typeof text === 'string' ? parseHostAddress(text.trim(), port) : undefined;
      if (!address) throw new ConfigError(`hosts: "${String(text)}" is not host, host:port or [ipv6]:port`);
      return address;
    });
  }
  const defaults = config.defaults ?? 'client';
  if (defaults !== 'client' && defaults !== 'server')
    throw new ConfigError(`defaults must be 'client' or 'server', got ${String(defaults)}`);
  const loadBalancing = config.load_balancing ?? 'random';
  if (!LOAD_BALANCING_MODES.includes(loadBalancing)) {
    throw new ConfigError(
      `load_balancing must be one of ${LOAD_BALANCING_MODES.join(', ')}, got ${String(loadBalancing)}`,
    );
  }
  if (config.json_safe !== undefined && typeof config.json_safe !== 'boolean') {
    throw new ConfigError(`json_safe must be a boolean, got ${typeof config.json_safe}`);
  }
  const application = clientText('application', config.application, 128);
  if (application === '') throw new ConfigError('application must not be empty');
  const quotaKey = clientText('quota_key', config.quota_key, 1024);
  if (config.log_level !== undefined && !LOG_LEVELS.includes(config.log_level)) {
    throw new ConfigError(`log_level must be one of ${LOG_LEVELS.join(', ')}, got ${String(config.log_level)}`);
  }
  if (config.logger !== undefined && (typeof config.logger !== 'object' || config.logger === null)) {
    throw new ConfigError('logger must be an object with debug, info, warn and error methods (console works)');
  }
  if (config.tracing !== undefined && typeof config.tracing?.tracer?.startSpan !== 'function') {
    throw new ConfigError('tracing.tracer must be an OpenTelemetry Tracer (with startSpan)');
  }
  const jwt = config.jwt;
  if (jwt !== undefined) {
    if (typeof jwt !== 'string' || jwt.length === 0) throw new ConfigError('jwt must be a non-empty string');
    if (config.password !== undefined || fromUrl.password !== undefined || config.username !== undefined) {
      throw new ConfigError('jwt replaces username and password: give one or the other');
    }
  }
  return {
    clientName: application === undefined ? CLIENT_NAME : `${application} ${CLIENT_NAME}`,
    quotaKey,
    roles: resolveRoles('role', config.role),
    jwt: jwt !== undefined,
    log: new Log(config.logger, config.log_level),
    tracing: config.tracing,
    jsonSafe: config.json_safe ?? false,
    defaults,
    hosts,
    loadBalancing,
    host: hosts?.[0]?.host ?? config.host ?? fromUrl.host ?? 'localhost',
    port: hosts?.[0]?.port ?? port,
    username: jwt !== undefined ? JWT_USER : (config.username ?? fromUrl.username ?? 'default'),
    password: new Secret(jwt ?? password),
    database: config.database ?? fromUrl.database ?? 'default',
    tls,
    limits: resolveLimits(config.limits),
    compression,
    clickhouseSettings: { ...config.clickhouse_settings },
    connectTimeoutMs: positiveInteger('connect_timeout_ms', config.connect_timeout_ms, 10_000),
    requestTimeoutMs: positiveInteger('request_timeout_ms', config.request_timeout_ms, 300_000, true),
    maxOpenConnections: positiveInteger('max_open_connections', config.max_open_connections, 10),
    poolAcquireTimeoutMs: positiveInteger('pool_acquire_timeout_ms', config.pool_acquire_timeout_ms, 30_000, true),
    idleConnectionTtlMs: positiveInteger('idle_connection_ttl_ms', config.idle_connection_ttl_ms, 60_000, true),
    maxConnectionLifetimeMs: positiveInteger(
      'max_connection_lifetime_ms',
      config.max_connection_lifetime_ms,
      3_600_000,
      true,
    ),
    tcpKeepAliveMs: positiveInteger('tcp_keep_alive_ms', config.tcp_keep_alive_ms, 30_000, true),
    insertBlockRows: positiveInteger('insert_block_rows', config.insert_block_rows, DEFAULT_INSERT_BLOCK_ROWS),
    insertBlockBytes: positiveInteger('insert_block_bytes', config.insert_block_bytes, DEFAULT_INSERT_BLOCK_BYTES),
  };
}
