/**
 * The public client: createClient, query, insert, command, ping, close. The shape follows @clickhouse/client;
 * underneath, every call leases one native connection from the pool for the whole request.
 */
import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import { ConnectionPool } from '../connection/pool.js';
import { encodeData, encodeQuery } from '../connection/exchange.js';
import { ClickHouseNativeError, InvalidValueError, ProtocolError, AbortError } from '../errors.js';
import type { Block } from '../protocol/block.js';
import { PING_PACKET } from '../protocol/client-packets.js';
import type { Settings } from '../protocol/settings.js';
import type { Progress } from '../protocol/server-packets.js';
import type { ServerHello } from '../protocol/server-packets.js';
import { blocksOf, chunksOf, inferColumnNames, isColumnar, type InsertValues, type InsertChunk } from '../insert/input.js';
import { resolveConfig, type ClickHouseClientConfig, type ResolvedConfig } from './config.js';
import { QueryResponse, type LogEntry, type QueryProgress, type QuerySummary } from './response.js';
import { ResultSet, type Row } from './result-set.js';
import type { Connection } from '../connection/connection.js';

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

export interface InsertParams extends BaseParams {
  /** Table name as SQL (e.g. `db.events`), inserted as is. */
  table: string;
  values: InsertValues;
  /** The columns to insert; by default the keys of the first row (or of the columnar object). */
  columns?: readonly string[];
}

export interface InsertResult {
  query_id: string;
  /** Rows sent to the server. */
  rows: number;
  summary: QuerySummary;
  /** The table's column descriptions, when the server sent them (TableColumns packet). */
  table_columns: string | undefined;
}

export type PingResult = { success: true } | { success: false; error: Error };

/** Quotes an identifier with backquotes, escaping backslashes and backquotes. */
export function quoteIdentifier(name: string): string {
  return '`' + name.replace(/\\/g, '\\\\').replace(/`/g, '\\`') + '`';
}

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
   * sends nothing. A streamed input is encoded and sent chunk by chunk.
   */
  async insert(params: InsertParams): Promise<InsertResult> {
    const chunks = chunksOf(params.values);
    let next = await chunks.next();
    const columns = params.columns ?? inferColumnNames(next.done ? undefined : (next.value as InsertChunk));
    if (columns.length === 0) {
      if (next.done || (Array.isArray(next.value) && next.value.length === 0)) {
        // Nothing to insert: no round trip.
        const queryId = params.query_id ?? '';
        return { query_id: queryId, rows: 0, summary: emptySummary(queryId), table_columns: undefined };
      }
      throw new InvalidValueError('cannot tell which columns to insert: pass `columns`, or rows with keys');
    }
    const sql = `INSERT INTO ${params.table} (${columns.map(quoteIdentifier).join(', ')}) VALUES`;
    const { response, queryId } = await this.start({ ...params, query: sql });
    const connection = response.connection;
    const compression = this.config.compression;
    // In-memory input is encoded whole before anything is sent: a bad value anywhere sends no row.
    const inMemory = Array.isArray(params.values) || isColumnar(params.values);
    const pending: Buffer[] = [];
    let rowsEncoded = 0;
    let rowsSent = 0;
    try {
      const header = await this.readInsertHeader(response);
      const shape = header.columns.map(({ name, type }) => ({ name, type }));
      while (!next.done) {
        for (const block of blocksOf(next.value, shape, this.config.insertBlockRows, rowsEncoded)) {
          let packet: Buffer[];
          try {
            packet = await encodeData(connection, block, compression);
          } catch (error) {
            throw shiftRow(error, rowsEncoded);
          }
          rowsEncoded += block.rows;
          if (inMemory) {
            pending.push(...packet);
          } else {
            this.checkAbort(params.abort_signal);
            await connection.send(packet);
            rowsSent = rowsEncoded;
          }
        }
        next = await chunks.next();
      }
      this.checkAbort(params.abort_signal);
      pending.push(...(await encodeData(connection, null, compression)));
      await connection.send(pending);
      rowsSent = rowsEncoded;
      await response.drain();
      return { query_id: queryId, rows: rowsSent, summary: response.summary(), table_columns: response.tableColumns };
    } catch (error) {
      await this.endFailedInsert(response, error);
      if (error instanceof InvalidValueError && rowsSent > 0) {
        throw new InvalidValueError(`${error.reason} (the ${rowsSent} rows streamed before it were sent)`, {
          column: error.column,
          row: error.row,
          type: error.type,
        });
      }
      throw error;
    }
  }

  private checkAbort(signal: AbortSignal | undefined): void {
    if (signal?.aborted) throw new AbortError('The insert was aborted', { cause: signal.reason });
  }

  /** Reads packets until the header block that tells the column types the server expects. */
  private async readInsertHeader(response: QueryResponse): Promise<Block> {
    const message = await response.next();
    if (message.type !== 'data') {
      throw new ProtocolError('The server ended the INSERT before sending the header block');
    }
    return message.block;
  }

  /**
   * After a failed insert: a bad value (detected before its block went out) ends the INSERT with the empty block,
   * which commits nothing more and keeps the connection; anything else gives the connection up.
   */
  private async endFailedInsert(response: QueryResponse, error: unknown): Promise<void> {
    if (response.finished) return;
    if (error instanceof InvalidValueError && response.connection.usable) {
      try {
        await response.connection.send(await encodeData(response.connection, null, this.config.compression));
        await response.drain();
        return;
      } catch {
        // Fall through: give the connection up.
      }
    }
    response.abandon(error instanceof Error ? error : new ClickHouseNativeError(String(error)));
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

function emptySummary(queryId: string): QuerySummary {
  return {
    query_id: queryId,
    progress: { read_rows: 0, read_bytes: 0, total_rows_to_read: 0, written_rows: 0, written_bytes: 0, elapsed_ns: 0 },
    profile_info: undefined,
    totals: undefined,
    extremes: undefined,
  };
}

/** Block-relative row numbers become insert-relative. */
function shiftRow(error: unknown, blockStart: number): unknown {
  if (error instanceof InvalidValueError && error.row !== undefined && error.column !== undefined) {
    return new InvalidValueError(error.reason, { column: error.column, row: blockStart + error.row, type: error.type });
  }
  return error;
}

export function createClient(config?: ClickHouseClientConfig): ClickHouseClient {
  return new ClickHouseClient(config);
}
