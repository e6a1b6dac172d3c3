/** Client configuration, in the shape @clickhouse/client users know, plus the native-protocol specifics. */
import type { CompressionMethod } from '../compression/frame.js';
import { ClickHouseNativeError } from '../errors.js';
import type { Settings } from '../protocol/settings.js';

export interface ClickHouseClientConfig {
  /** `clickhouse://user:password@host:9000/database`; explicit fields below override its parts. */
  url?: string | URL;
  host?: string;
  /** The native TCP port (9000 by default). */
  port?: number;
  username?: string;
  password?: string;
  database?: string;
  /** Block compression on the wire, both directions. Default `lz4`. */
  compression?: CompressionMethod;
  /** Settings sent with every query; per-call settings override them. */
  clickhouse_settings?: Settings;
  /** TCP connect plus handshake. Default 10 000 ms. */
  connect_timeout_ms?: number;
  /** Longest silence from the server while a request waits for it. Default 300 000 ms (the server's own receive_timeout). */
  request_timeout_ms?: number;
  /** Pool size. Default 10. */
  max_open_connections?: number;
  /** Rows per Data block sent on insert. Default 100 000 (ClickHouse recommends 10k–1M rows per insert block). */
  insert_block_rows?: number;
}

export interface ResolvedConfig {
  host: string;
  port: number;
  username: string;
  password: string;
  database: string;
  compression: CompressionMethod;
  clickhouseSettings: Settings;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  maxOpenConnections: number;
  insertBlockRows: number;
}

export class ConfigError extends ClickHouseNativeError {}

const COMPRESSION_METHODS: readonly CompressionMethod[] = ['lz4', 'zstd', 'none'];

function positiveInteger(name: string, value: number | undefined, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0 || (!allowZero && value === 0)) {
    throw new ConfigError(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer, got ${value}`);
  }
  return value;
}

export function resolveConfig(config: ClickHouseClientConfig = {}): ResolvedConfig {
  let fromUrl: Partial<ResolvedConfig> = {};
  if (config.url !== undefined) {
    const url = typeof config.url === 'string' ? new URL(config.url) : config.url;
    if (url.protocol !== 'clickhouse:' && url.protocol !== 'tcp:') {
      throw new ConfigError(`Unsupported URL scheme "${url.protocol}": use clickhouse://user:password@host:9000/database`);
    }
    fromUrl = {
      host: url.hostname.replace(/^\[(.*)\]$/, '$1') || undefined,
      port: url.port ? Number(url.port) : undefined,
      username: url.username ? decodeURIComponent(url.username) : undefined,
      password: url.password ? decodeURIComponent(url.password) : undefined,
      database: url.pathname.length > 1 ? decodeURIComponent(url.pathname.slice(1)) : undefined,
    };
  }
  const compression = config.compression ?? 'lz4';
  if (!COMPRESSION_METHODS.includes(compression)) {
    throw new ConfigError(`compression must be one of ${COMPRESSION_METHODS.join(', ')}, got ${String(compression)}`);
  }
  const port = config.port ?? fromUrl.port ?? 9000;
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new ConfigError(`port must be 1..65535, got ${port}`);
  return {
    host: config.host ?? fromUrl.host ?? 'localhost',
    port,
    username: config.username ?? fromUrl.username ?? 'default',
    password: config.password ?? fromUrl.password ?? '',
    database: config.database ?? fromUrl.database ?? 'default',
    compression,
    clickhouseSettings: { ...config.clickhouse_settings },
    connectTimeoutMs: positiveInteger('connect_timeout_ms', config.connect_timeout_ms, 10_000),
    requestTimeoutMs: positiveInteger('request_timeout_ms', config.request_timeout_ms, 300_000, true),
    maxOpenConnections: positiveInteger('max_open_connections', config.max_open_connections, 10),
    insertBlockRows: positiveInteger('insert_block_rows', config.insert_block_rows, 100_000),
  };
}
