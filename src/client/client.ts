/**
 * The public client: createClient, query, insert, command, ping, close. The shape follows @clickhouse/client;
 * underneath, every call leases one native connection from the pool for the whole request.
 */
import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import { ConnectionPool } from '../connection/pool.js';
import { encodeQuery } from '../connection/exchange.js';
import { ClickHouseNativeError, ProtocolError } from '../errors.js';
import type { Block } from '../protocol/block.js';
import { PING_PACKET } from '../protocol/client-packets.js';
import type { Settings } from '../protocol/settings.js';
import type { Progress } from '../protocol/server-packets.js';
import type { ServerHello } from '../protocol/server-packets.js';
import { runInsert, type InsertParams, type InsertResult } from '../insert/insert.js';
import { resolveConfig, type ClickHouseClientConfig, type ResolvedConfig } from './config.js';
import { QueryResponse, type LogEntry, type QueryProgress, type QuerySummary } from './response.js';
import { ResultSet, type Row } from './result-set.js';
import type { Connection } from '../connection/connection.js';

export type { InsertParams, InsertResult } from '../insert/insert.js';

export interface BaseParams {
  /** Settings for this call, on top of the client's. */
  clickhouse_settings?: Settings;
  /** Defaults to a random UUID. */
  query_id?: string;
  abort_signal?: AbortSignal;
  /** Called on every Progress packet with the running totals. */
  on_progress?: (progress: QueryProgress, increment: Progress) => void;
  /** Called for each server log row (set clickhouse_settings.send_logs_level to receive them). */
  on_log?: (entry: LogEntry) => void;
}

export interface QueryParams extends BaseParams {
  query: string;
}

export interface CommandParams extends BaseParams {
  query: string;
}

export interface CommandResult {
  query_id: string;
  summary: QuerySummary;
}

export type PingResult = { success: true } | { success: false; error: Error };

export class ClickHouseClient {
  private readonly config: ResolvedConfig;
  private readonly pool: ConnectionPool;
  private closed = false;

  constructor(config: ClickHouseClientConfig = {}) {
    const resolved = resolveConfig(config);
    // Keep the password out of enumerable state: util.inspect, JSON and error output never show it.
    this.config = resolved;
    Object.defineProperty(this, 'config', { enumerable: false });
    this.pool = new ConnectionPool(
      {
        host: resolved.host,
        port: resolved.port,
        database: resolved.database,
        username: resolved.username,
        password: resolved.password,
        connectTimeoutMs: resolved.connectTimeoutMs,
        requestTimeoutMs: resolved.requestTimeoutMs,
      },
      resolved.maxOpenConnections,
    );
    Object.defineProperty(this, 'pool', { enumerable: false });
  }

  [inspect.custom](): string {
    const { host, port, database, username, compression } = this.config;
    return `ClickHouseClient { ${username}@${host}:${port}/${database}, compression: ${compression} }`;
  }

  toJSON(): Record<string, unknown> {
    const { host, port, database, username, compression } = this.config;
    return { host, port, database, username, compression };
  }

  private async lease(params: BaseParams): Promise<{ connection: Connection; response: QueryResponse; queryId: string }> {
    if (this.closed) throw new ClickHouseNativeError('The client is closed');
    const connection = await this.pool.acquire(params.abort_signal);
    const queryId = params.query_id ?? randomUUID();
    const response = new QueryResponse(connection, {
      queryId,
      compression: this.config.compression,
      signal: params.abort_signal,
      onProgress: params.on_progress,
      onLog: params.on_log,
      release: (used) => this.pool.release(used),
    });
    return { connection, response, queryId };
  }

  private async start(params: BaseParams & { query: string }): Promise<{ response: QueryResponse; queryId: string }> {
    const { connection, response, queryId } = await this.lease(params);
    let bytes: Buffer[];
    try {
      bytes = await encodeQuery(connection, {
        sql: params.query,
        queryId,
        settings: { ...this.config.clickhouseSettings, ...params.clickhouse_settings },
        compression: this.config.compression,
      });
    } catch (error) {
      // Nothing went out (e.g. a setting an old server cannot take): the connection is still clean.
      response.release();
      throw error;
    }
    try {
      await connection.send(bytes);
    } catch (error) {
      response.abandon(error as Error);
      throw error;
    }
    return { response, queryId };
  }

  /**
   * Runs a query and resolves once the server has answered with the result's header (so a syntax error rejects
   * here). Rows are then streamed: iterate, call `blocks()`, or `json()`.
   */
  async query<T = Row>(params: QueryParams): Promise<ResultSet<T>> {
    const { response } = await this.start(params);
    const message = await response.next();
    if (message.type === 'endOfStream') return new ResultSet<T>(response, undefined, undefined);
    const block = (message as { block: Block }).block;
    return new ResultSet<T>(response, block, block.rows > 0 ? block : undefined);
  }

  /** Runs a statement and reads its response to the end, discarding any rows. */
  async command(params: CommandParams): Promise<CommandResult> {
    const { response, queryId } = await this.start(params);
    await response.drain();
    return { query_id: queryId, summary: response.summary() };
  }

  /**
   * Inserts rows. The server's header block gives each column's type; values are validated and encoded against
   * it. An array or columnar input is encoded completely before the first Data packet goes out, so a bad value
   * sends nothing. A streamed input is encoded and sent block by block.
   */
  insert(params: InsertParams): Promise<InsertResult> {
    return runInsert(params, {
      start: (query) => this.start(query),
      compression: this.config.compression,
      blockRows: this.config.insertBlockRows,
    });
  }

  /** Checks the server answers. Never throws. */
  async ping(): Promise<PingResult> {
    try {
      const connection = await this.pool.acquire();
      try {
        await connection.send(PING_PACKET);
        for (;;) {
          const message = await connection.readPacket({ compression: false });
          if (message.type === 'pong') break;
          // The reference client skips stray Progress packets while waiting for Pong.
          if (message.type !== 'progress') throw new ProtocolError(`Expected Pong, got ${message.type}`);
        }
      } finally {
        this.pool.release(connection);
      }
      return { success: true };
    } catch (error) {
      return { success: false, error: error as Error };
    }
  }

  /** Information from the server's Hello (opens a connection if none is open). */
  async serverInfo(): Promise<ServerHello & { negotiatedRevision: number }> {
    const connection = await this.pool.acquire();
    try {
      return { ...connection.server, negotiatedRevision: connection.revision };
    } finally {
      this.pool.release(connection);
    }
  }

  /** Closes idle connections and refuses new requests; connections in use close when their request ends. */
  async close(): Promise<void> {
    this.closed = true;
    await this.pool.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

export function createClient(config?: ClickHouseClientConfig): ClickHouseClient {
  return new ClickHouseClient(config);
}
