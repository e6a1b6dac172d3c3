/**
 * The public client: createClient, query, insert, command, ping, close. The shape follows @clickhouse/client;
 * underneath, every call leases one native connection from the pool for the whole request.
 */
import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import type { Block } from '../columns/block.js';
import { escapeString, quoteString } from '../columns/type-parser.js';
import { describeCompression } from '../compression/codecs.js';
import type { Connection } from '../connection/connection.js';
import { encodeQuery, runStatement } from '../connection/exchange.js';
import { MultiHostPool, type HostPoolStats, type HostStatus, type LoadBalancing } from '../connection/multi-host.js';
import type { ConnectionSource } from '../connection/pinned.js';
import { ConnectionPool, type PoolOptions, type PoolStats } from '../connection/pool.js';
import { QueryResponse, type RequestParams, type TraceContext } from '../connection/response.js';
import { ClientDefaults } from '../defaults/stage.js';
import { AbortError, ClickHouseNativeError, ProtocolError, UnsupportedError } from '../errors.js';
import { compileExpression } from '../expressions/index.js';
import { explainRefusedSetting } from '../insert/async-insert.js';
import { decideDeduplication, DEDUPLICATION_SETTINGS, type DeduplicationVerdict } from '../insert/deduplication.js';
import { encodeExternalTables, type ExternalTable } from '../insert/external-tables.js';
import { endInsertEmpty, InsertCore, sendInsertData, type InsertJob, type InsertTransport } from '../insert/insert.js';
import { Inserter, InsertRateGuard, type InserterOptions } from '../insert/inserter.js';
import { resolveRetryPolicy, type InsertRetryConfig } from '../insert/retry.js';
import { ShardedInserter, type ShardedInserterOptions } from '../insert/sharded.js';
import { splitTableName } from '../insert/table-name.js';
import { InsertStream } from '../insert/stream.js';
import { PING_PACKET } from '../protocol/client-packets.js';
import { Feature } from '../protocol/revision.js';
import type { ServerHello } from '../protocol/server-packets.js';
import type { Settings } from '../protocol/settings.js';
import {
  ConfigError,
  resolveConfig,
  resolveRoles,
  type ClickHouseClientConfig,
  type ResolvedConfig,
} from './config.js';
import { checkResultSchema, type RowOf, type TableSchema } from './schema.js';
import type { InsertRow } from '../insert/input.js';
import { hasNoData, inlineInsertOf, noDataError, parseInlineData, type InlineInsert } from './inline-insert.js';
import type {
  BaseParams,
  CommandParams,
  CommandResult,
  InsertParams,
  TypedInsertParams,
  InsertResult,
  InsertStreamParams,
  PingResult,
  QueryParams,
} from './params.js';
import { bindQuery, bindTableName, type QueryParameterValues } from './query-params.js';
import { ResultSet, type ResultSetOptions, type Row } from './result-set.js';
import { ClickHouseSession } from './session.js';
import { findFormatClause, resolveTextFormat, textOptionsFor } from './text-formats.js';
import { activeTraceContext, ClientSpan, parseTraceparent } from './tracing.js';

export class ClickHouseClient {
  private readonly config: ResolvedConfig;
  private readonly pool: ConnectionPool | MultiHostPool;
  /**
   * A client like this one on other hosts (a sharded inserter's shard clients). A closure over the config as given:
   * even inspect with showHidden shows no password.
   */
  private readonly derive: (overrides: ClickHouseClientConfig) => ClickHouseClient;
  private closed = false;
  /** The client's insert retry config (config.insert_retry). */
  private readonly insertRetry: InsertRetryConfig | false | undefined;
  /** Inserts per second per table, shared by this client's inserters. */
  private readonly insertGuard = new InsertRateGuard();
  /** Table descriptions for client-side defaults (README, "Client-side defaults"). */
  private readonly clientDefaults: ClientDefaults;

  constructor(config: ClickHouseClientConfig = {}) {
    const resolved = resolveConfig(config);
    this.clientDefaults = new ClientDefaults(
      () => this.serverInfo(),
      (table) => this.tableEngine(table),
      resolved.defaults,
    );
    resolveRetryPolicy(config.insert_retry); // validates it now rather than at the first insert
    this.insertRetry = config.insert_retry;
    Object.defineProperty(this, 'insertGuard', { enumerable: false });
    Object.defineProperty(this, 'clientDefaults', { enumerable: false });
    // Keep the config out of enumerable state; the password (and a TLS key) are Secrets besides, which util.inspect,
    // JSON and error output never show.
    this.config = resolved;
    Object.defineProperty(this, 'config', { enumerable: false });
    this.derive = (overrides) => new ClickHouseClient({ ...config, ...overrides });
    Object.defineProperty(this, 'derive', { enumerable: false });
    const connectionOptions = {
      host: resolved.host,
      port: resolved.port,
      database: resolved.database,
      username: resolved.username,
      password: resolved.password,
      clientName: resolved.clientName,
      quotaKey: resolved.quotaKey,
      tls: resolved.tls,
      connectTimeoutMs: resolved.connectTimeoutMs,
      requestTimeoutMs: resolved.requestTimeoutMs,
      tcpKeepAliveMs: resolved.tcpKeepAliveMs,
      readerLimits: resolved.limits.reader,
      blockLimits: resolved.limits.block,
      frameLimits: resolved.limits.frame,
    };
    const poolOptions: PoolOptions = {
      maxOpenConnections: resolved.maxOpenConnections,
      acquireTimeoutMs: resolved.poolAcquireTimeoutMs,
      idleTtlMs: resolved.idleConnectionTtlMs,
      maxLifetimeMs: resolved.maxConnectionLifetimeMs,
      log: resolved.log,
    };
    // Several hosts: a pool per host with failover (connection/multi-host.ts); one host: the plain pool.
    this.pool = resolved.hosts
      ? new MultiHostPool(connectionOptions, resolved.hosts, poolOptions, { loadBalancing: resolved.loadBalancing })
      : new ConnectionPool(connectionOptions, poolOptions);
    Object.defineProperty(this, 'pool', { enumerable: false });
  }

  [inspect.custom](): string {
    const { host, port, database, username, compression, tls } = this.config;
    const scheme = tls ? 'clickhouses://' : '';
    return `ClickHouseClient { ${scheme}${username}@${host}:${port}/${database}, compression: ${describeCompression(compression)} }`;
  }

  toJSON(): Record<string, unknown> {
    const { host, port, database, username, compression, tls } = this.config;
    return { host, port, database, username, compression, tls: tls !== undefined };
  }

  /** The pool as a connection source: calls through it may run on any of its connections. */
  private readonly pooled: ConnectionSource = {
    acquire: (signal) => this.pool.acquire(signal),
    release: (connection) => this.pool.release(connection),
    pinned: false,
  };

  private async lease(
    params: BaseParams,
    source: ConnectionSource,
    span: ClientSpan | undefined,
  ): Promise<{ connection: Connection; response: QueryResponse; queryId: string }> {
    if (this.closed) throw new ClickHouseNativeError('The client is closed');
    const signal = params.abort_signal;
    const connection = await source.acquire(signal);
    if (signal?.aborted) {
      // Aborted while the connection was being handed over: it goes back unused.
      source.release(connection, true);
      throw new AbortError(undefined, { cause: signal.reason });
    }
    const queryId = params.query_id ?? randomUUID();
    const response: QueryResponse = new QueryResponse(connection, {
      queryId,
      compression: source.compression ?? this.config.compression,
      signal,
      onProgress: params.on_progress,
      onLog: params.on_log,
      onProfileEvents: params.on_profile_events,
      onEnd: span && ((ended, error) => span.end(error, { 'db.response.returned_rows': ended.rowsReturned })),
      release: (used) => source.release(used, response.clean),
      pinned: source.pinned,
    });
    return { connection, response, queryId };
  }

  /**
   * Leases a connection and sends the query: its external tables, roles (a SET ROLE first when the connection's
   * differ), quota key and trace context. `span` is the call's tracing span, ended with the query.
   */
  /** start(), and the span (if any) ends with the error when the request cannot start. */
  private async startSpanned(
    params: Parameters<ClickHouseClient['start']>[0],
    source: ConnectionSource,
    span: ClientSpan | undefined,
  ): ReturnType<ClickHouseClient['start']> {
    try {
      return await this.start(params, source, span);
    } catch (error) {
      span?.end(error);
      throw error;
    }
  }

  private async start(
    params: BaseParams & { query: string; external_tables?: readonly ExternalTable[] },
    source: ConnectionSource = this.pooled,
    span?: ClientSpan,
  ): Promise<{ response: QueryResponse; queryId: string; sql: string }> {
    if (!source.pinned) refuseConnectionState(params.query);
    const roles = params.role === undefined ? this.config.roles : resolveRoles('role', params.role);
    let traceContext = params.trace_context
      ? parseTraceparent(params.trace_context.traceparent, params.trace_context.tracestate ?? '')
      : span?.context;
    // Leased first: the connection is being opened while @opentelemetry/api loads (the first time), and an abort
    // finds the request where it always did.
    const { connection, response, queryId } = await this.lease(params, source, span);
    if (!params.trace_context && !span) {
      try {
        traceContext = await activeTraceContext();
      } catch (error) {
        response.release();
        throw error;
      }
    }
    span?.setServer(connection.host, connection.port);
    const compression = source.compression ?? this.config.compression;
    let bytes: Buffer[];
    let sql: string;
    try {
      const bound = bindQuery(params.query, params.query_params, connection.revision >= Feature.PARAMETERS);
      sql = bound.sql;
      const externalTables =
        params.external_tables === undefined
          ? undefined
          : await encodeExternalTables(params.external_tables, {
              revision: connection.revision,
              compression,
              blockRows: this.config.insertBlockRows,
              blockBytes: this.config.insertBlockBytes,
            });
      bytes = await encodeQuery(connection, {
        sql: bound.sql,
        parameters: bound.parameters,
        queryId,
        settings: { ...this.config.clickhouseSettings, ...params.clickhouse_settings },
        compression,
        quotaKey: params.quota_key ?? this.config.quotaKey,
        traceContext,
        externalTables,
      });
      checkRolesSupported(connection, roles);
    } catch (error) {
      // Nothing went out (e.g. a setting an old server cannot take): the connection is still clean.
      response.release();
      throw explainRefusedSetting(error, connection.server, connection.revision);
    }
    try {
      await applyRoles(connection, roles, queryId, compression);
    } catch (error) {
      response.abandon(error as Error);
      throw error;
    }
    const signal = params.abort_signal;
    if (signal?.aborted) {
      // An abort before the Query is sent means it is never sent: the connection is still clean.
      response.release();
      throw new AbortError('The query was aborted before it was sent', { cause: signal.reason });
    }
    try {
      // send() hands every byte to the socket before its first await: from here on, an abort sends Cancel.
      const sending = connection.send(bytes);
      response.markSent();
      await sending;
    } catch (error) {
      response.abandon(error as Error);
      throw error;
    }
    return { response, queryId, sql };
  }

  /**
   * Runs a query and resolves once the server has answered with the result's header (so a syntax error rejects
   * here). Rows are then streamed: iterate, call `blocks()`, or `json()`.
   */
  query<S extends TableSchema>(params: QueryParams & { schema: S }): Promise<ResultSet<RowOf<S>>>;
  query<T = Row>(params: QueryParams): Promise<ResultSet<T>>;
  query<T = Row>(params: QueryParams): Promise<ResultSet<T>> {
    return this.queryOn<T>(this.pooled, params);
  }

  /** Opens the call's tracing span, when the client has a tracer. */
  private openSpan(request: { sql?: string; table?: string }): ClientSpan | undefined {
    const tracing = this.config.tracing;
    if (!tracing) return undefined;
    return ClientSpan.start(tracing, {
      ...request,
      database: this.config.database,
      host: this.config.host,
      port: this.config.port,
    });
  }

  /**
   * Runs a statement and reads its response to the end, discarding any rows. Statements that change the state of
   * the connection that runs them (`USE`, `SET`, `CREATE TEMPORARY TABLE`) are refused: run them in a session.
   */
  command(params: CommandParams): Promise<CommandResult> {
    return this.commandOn(this.pooled, params);
  }

  /**
   * Runs a query on `source`. `traced`: false for the client's own lookups (table engines, deduplication settings),
   * which get no span of their own.
   */
  private async queryOn<T>(source: ConnectionSource, params: QueryParams, traced = true): Promise<ResultSet<T>> {
    if (params.schema && (params.json_safe ?? this.config.jsonSafe)) {
      throw new ConfigError('query: schema types rows with the lossless mapping; json_safe rows differ from it');
    }
    // A FORMAT the client cannot produce is refused before anything is sent.
    const formatName = findFormatClause(params.query) ?? params.format;
    const format = formatName === undefined ? undefined : resolveTextFormat(formatName);
    const startedAt = performance.now();
    const span = traced ? this.openSpan({ sql: params.query }) : undefined;
    const { response, sql } = await this.startSpanned(params, source, span);
    const connection = response.connection;
    const inline = inlineInsertOf(sql);
    if (inline) {
      await this.completeInlineInsert(response, inline, params, source);
      return new ResultSet<T>(response, undefined, undefined);
    }
    const settings = { ...this.config.clickhouseSettings, ...params.clickhouse_settings };
    const options: ResultSetOptions = {
      jsonSafe: params.json_safe ?? this.config.jsonSafe,
      text: {
        format,
        startedAt,
        // The settings the server's Hello asked the client to apply (54474), under the query's own.
        options: () =>
          textOptionsFor(
            connection.server,
            { ...connection.server.settings, ...settings },
            response.timezone ?? connection.server.timezone,
          ),
      },
    };
    const message = await response.next();
    if (message.type === 'endOfStream') return new ResultSet<T>(response, undefined, undefined, options);
    const block = (message as { block: Block }).block;
    const result = new ResultSet<T>(response, block, block.rows > 0 ? block : undefined, options);
    if (params.schema) await checkResultSchema(result, params.schema);
    return result;
  }

  private async commandOn(source: ConnectionSource, params: CommandParams): Promise<CommandResult> {
    const span = this.openSpan({ sql: params.query });
    const { response, queryId, sql } = await this.startSpanned(params, source, span);
    const inline = inlineInsertOf(sql);
    if (inline) await this.completeInlineInsert(response, inline, params, source);
    else await response.drain();
    return { query_id: queryId, summary: response.summary() };
  }

  /**
   * A session: one connection pinned for its calls, so temporary tables, SET, USE and roles hold across them. Calls
   * run one at a time; `close()` (or `await using`) ends it. `role`: the roles of its calls (each call may still
   * name its own). See ClickHouseSession and README, "Sessions".
   */
  session(options: { role?: string | readonly string[] } = {}): ClickHouseSession {
    if (this.closed) throw new ClickHouseNativeError('The client is closed');
    // The session's roles: its calls' default, in place of the client's (README, "Roles, quota keys and JWT").
    const role = options.role === undefined ? undefined : resolveRoles('session role', options.role);
    const withRole = <P extends { role?: string | readonly string[] }>(params: P): P =>
      role === undefined || params.role !== undefined ? params : { ...params, role };
    return new ClickHouseSession({
      acquire: (signal) => this.pool.acquire(signal),
      release: (connection) => this.pool.release(connection),
      requestTimeoutMs: this.config.requestTimeoutMs,
      compression: this.config.compression,
      query: (source, params) => this.queryOn(source, withRole(params)),
      command: (source, params) => this.commandOn(source, withRole(params)),
      insert: (source, params) => this.insertOn(source, withRole(params), false),
    });
  }

  /**
   * An INSERT with its data in the query text (src/insert/inline.ts). A server that parses inline data (26.7) inserts
   * it and answers EndOfStream. One that sends the INSERT's header block instead (18.16, or any server when the text
   * has no data) waits for Data blocks: the client parses the text against the header and sends them, as
   * clickhouse-client does, or ends the INSERT with the empty block (nothing inserted) and says why.
   */
  private async completeInlineInsert(
    response: QueryResponse,
    inline: InlineInsert,
    params: RequestParams,
    source: ConnectionSource,
  ): Promise<void> {
    const compression = source.compression ?? this.config.compression;
    const message = await response.next();
    if (message.type === 'endOfStream') return;
    const header = (message as { block: Block }).block;
    let columns;
    try {
      if (hasNoData(inline)) throw noDataError(inline);
      ({ columns } = parseInlineData(
        inline,
        header,
        response.timezone || response.connection.server.timezone || 'UTC',
      ));
    } catch (error) {
      if (!(await endInsertEmpty(response, compression))) response.abandon(error as Error);
      throw error;
    }
    await sendInsertData(response, header, columns, {
      compression,
      blockRows: this.config.insertBlockRows,
      blockBytes: this.config.insertBlockBytes,
      signal: params.abort_signal,
    });
  }

  /**
   * Inserts rows. The server's header block gives each column's type; values are validated and encoded against
   * it. An array or columnar input is validated completely before the first Data packet goes out, so a bad value
   * sends nothing (up to 64 MiB of encoded blocks are held; a larger input is validated in a first pass). A streamed
   * input (an async iterable, a Node Readable in object mode) is encoded and sent block by block, one block ahead
   * of the socket, with bounded memory.
   */
  insert<T extends object = InsertRow>(
    params: TypedInsertParams<NoInfer<T>> & { retry?: InsertRetryConfig | false },
  ): Promise<InsertResult> {
    const { retry, ...given } = params;
    return this.insertOn(this.pooled, given as InsertParams, retry);
  }

  private insertOn(
    source: ConnectionSource,
    given: InsertParams,
    retry: InsertRetryConfig | false | undefined,
  ): Promise<InsertResult> {
    let insert: InsertParams;
    let policy;
    try {
      insert = bindInsertTable(given);
      policy = resolveRetryPolicy(retry, this.insertRetry);
    } catch (error) {
      return Promise.reject(error);
    }
    // In-memory input up to 64 MiB is held and resent under the policy (README, "Reliable inserts"); larger input
    // and streams are sent once, with bounded memory.
    return this.runInsert(source, { ...insert, retry: policy });
  }

  /**
   * One insert job through the insert core, with the client-side defaults stage, on the source's connections: in a
   * tracing span of its own (every attempt's query carries its context), its retries and defaults left to the server
   * logged.
   */
  private async runInsert(source: ConnectionSource, job: InsertJob): Promise<InsertResult> {
    if (this.closed) throw new ClickHouseNativeError('The client is closed');
    const log = this.config.log;
    const span = this.openSpan({ table: job.table });
    const spanContext = span?.context;
    const traced: InsertJob = {
      ...job,
      trace_context: job.trace_context ?? (spanContext && traceparentOf(spanContext)),
      retry: job.retry && {
        ...job.retry,
        onRetry: (event) => {
          log.warn(`insert into ${event.table}: attempt ${event.attempt} in ${event.delay_ms} ms (${event.outcome})`, {
            table: event.table,
            attempt: event.attempt,
            delay_ms: event.delay_ms,
            outcome: event.outcome,
            error: event.error instanceof Error ? event.error.message : String(event.error),
          });
          job.retry!.onRetry?.(event);
        },
      },
      on_defaults: (report) => {
        for (const column of report.server) {
          log.info(`insert into ${job.table}: column ${column.column} left to the server (${column.reason})`, {
            table: job.table,
            column: column.column,
            stage: column.stage,
            from_row: column.from_row,
          });
        }
        job.on_defaults?.(report);
      },
    };
    try {
      const result = await new InsertCore(this.insertTransport(source), this.clientDefaults).run(traced);
      span?.end(undefined, { 'db.clickhouse.written_rows': result.rows });
      return result;
    } catch (error) {
      span?.end(error);
      throw error;
    }
  }

  /**
   * A client-side batching inserter for `table`: many small writes become few large INSERTs, each resent with
   * identical blocks when its outcome is unknown and the table deduplicates (otherwise InsertOutcomeUnknownError).
   * See InserterOptions and README, "Reliable inserts".
   */
  inserter<T extends object = Record<string, unknown>>(table: string, options: InserterOptions = {}): Inserter<T> {
    if (this.closed) throw new ClickHouseNativeError('The client is closed');
    return new Inserter<T>(table, options, {
      insert: (job) => this.runInsert(this.pooled, job),
      guard: this.insertGuard,
      retry: this.insertRetry,
    });
  }

  /**
   * Client-side sharding into a cluster: each row to the shard the Distributed engine would pick, straight into that
   * shard's local table on one of its replicas. See ShardedInserterOptions and README, "Cluster".
   */
  shardedInserter(options: ShardedInserterOptions): ShardedInserter {
    if (this.closed) throw new ClickHouseNativeError('The client is closed');
    return new ShardedInserter(options, {
      client: this,
      shardClient: (replicas: readonly string[], loadBalancing: LoadBalancing | undefined) =>
        this.derive({ hosts: replicas, load_balancing: loadBalancing ?? this.config.loadBalancing }),
      compileKey: (sql, columnTypes, timezone) => compileExpression(sql, columnTypes, { timezone }),
    });
  }

  /**
   * The connection pool's counts: open, idle, in use (running requests, unread results, Cancels still draining) and
   * requests waiting for a connection. With several hosts, summed over their pools.
   */
  poolStats(): PoolStats & { hosts?: HostPoolStats[] } {
    return this.pool.stats();
  }

  /** With several hosts: each host's health (undefined for a single-host client). */
  hostStatus(): HostStatus[] | undefined {
    return this.pool instanceof MultiHostPool ? this.pool.status() : undefined;
  }

  /**
   * Whether the server deduplicates inserts into `table` made with `settings` (insert/deduplication.ts): the engine and
   * its SETTINGS from system.tables, the server's non_replicated_deduplication_window, and the deduplication
   * settings as system.settings shows them under the insert's own settings.
   */
  private async tableDeduplication(table: string, settings: Settings | undefined): Promise<DeduplicationVerdict> {
    const { database, name } = splitTableName(table);
    const where = `database = ${database === undefined ? 'currentDatabase()' : quoteString(database)} AND name = ${quoteString(name)}`;
    const rows = async <T>(query: string, clickhouse_settings?: Settings) =>
      (await this.queryOn<T>(this.pooled, { query, clickhouse_settings }, false)).json();
    const [found] = await rows<{ engine: string; engine_full: string }>(
      `SELECT engine, engine_full FROM system.tables WHERE ${where}`,
    );
    const [window] = await rows<{ value: string }>(
      "SELECT value FROM system.merge_tree_settings WHERE name = 'non_replicated_deduplication_window'",
    );
    const known = await rows<{ name: string; value: string }>(
      `SELECT name, value FROM system.settings WHERE name IN (${DEDUPLICATION_SETTINGS.map(quoteString).join(', ')})`,
      settings,
    );
    return decideDeduplication(table, {
      engine: found?.engine,
      engineFull: found?.engine_full,
      serverNonReplicatedWindow: window === undefined ? undefined : Number(window.value),
      settings: Object.fromEntries(known.map((row) => [row.name, row.value])),
    });
  }

  /**
   * An INSERT as a Node Writable in object mode: write row objects, arrays of rows or columnar chunks, or
   * `stream.pipeline(source, client.insertStream({ table }))`. Blocks are cut and sent as they fill (so rows
   * written before a bad value are sent); `write()` returns false while the server is behind. 'finish' is emitted
   * once the server has acknowledged the whole INSERT; `stream.result` resolves with the InsertResult.
   * Pass `columns` unless the first write is a row or chunk that has every column.
   */
  insertStream(params: InsertStreamParams): InsertStream {
    const { highWaterMark, ...given } = params;
    const insert = bindInsertTable(given);
    // A stream is sent once: no retry policy.
    return new InsertStream(
      (values, pipelineStats) => this.runInsert(this.pooled, { ...insert, values, pipelineStats }),
      { highWaterMark },
    );
  }

  /** The insert core's view of a connection source. */
  private insertTransport(source: ConnectionSource): InsertTransport {
    return {
      start: (request) => this.start(request, source),
      compression: source.compression ?? this.config.compression,
      blockRows: this.config.insertBlockRows,
      blockBytes: this.config.insertBlockBytes,
      server: () => this.serverInfo(),
      deduplication: (table, settings) => this.tableDeduplication(table, settings),
    };
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

  /** The engine of a table given as SQL (`t`, `db.t`, `` `db`.`t` ``), from system.tables; undefined if not found. */
  private async tableEngine(table: string): Promise<string | undefined> {
    const { database, name } = splitTableName(table);
    const where = `database = ${database === undefined ? 'currentDatabase()' : quoteString(database)} AND name = ${quoteString(name)}`;
    const rows = await (
      await this.queryOn(this.pooled, { query: `SELECT engine FROM system.tables WHERE ${where}` }, false)
    ).json();
    return (rows[0] as { engine?: string } | undefined)?.engine;
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

/**
 * Statements that change the state of the connection that runs them. Through the pool, the next call may run on
 * another connection, so they would take effect at random (five concurrent currentDatabase() after a pooled USE gave
 * one the new database and four the old): refused, pointing to sessions and to per-client settings.
 */
const CONNECTION_STATE_STATEMENTS: ReadonlyArray<[RegExp, string]> = [
  [/^USE\b/i, 'USE'],
  [/^SET\b/i, 'SET'],
  [/^CREATE\s+(OR\s+REPLACE\s+)?TEMPORARY\b/i, 'CREATE TEMPORARY TABLE'],
];

function refuseConnectionState(sql: string): void {
  // Skip leading blanks, comments and opening parentheses, in the head only: the query text may be huge.
  const head = sql.slice(0, 64 << 10).replace(/^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/|\()*/, '');
  for (const [pattern, statement] of CONNECTION_STATE_STATEMENTS) {
    if (!pattern.test(head)) continue;
    const instead =
      statement === 'USE'
        ? 'the `database` option of createClient (or db.table names)'
        : statement === 'SET'
          ? 'clickhouse_settings (on the client, or per call)'
          : 'a session';
    throw new UnsupportedError(
      `${statement} through the pooled client would change only the one pooled connection that runs it, and later ` +
        `calls may run on others. Use client.session() for statements that change connection state, or ${instead}`,
    );
  }
}

/** The server refuses SET ROLE before access control (20.4): said before anything is sent. */
function checkRolesSupported(connection: Connection, roles: readonly string[] | undefined): void {
  if (roles === undefined) return;
  const { versionMajor: major, versionMinor: minor } = connection.server;
  if (major > 20 || (major === 20 && minor >= 4)) return;
  throw new UnsupportedError(
    `role needs ClickHouse 20.4 or later (SET ROLE, access control); this server is ${major}.${minor}`,
  );
}

/**
 * Makes `roles` the connection's current roles, with one SET ROLE when they differ from what an earlier call left
 * (undefined: the user's default roles; [] none). The server keeps them for the connection's session.
 */
async function applyRoles(
  connection: Connection,
  roles: readonly string[] | undefined,
  queryId: string,
  compression: ResolvedConfig['compression'],
): Promise<void> {
  // Always back-quoted: a role named none, default or all must not read as the keyword.
  const wanted =
    roles === undefined
      ? undefined
      : roles.length === 0
        ? 'NONE'
        : roles.map((role) => `\`${escapeString(role, '`')}\``).join(', ');
  if (wanted === connection.appliedRoles) return;
  await runStatement(connection, `SET ROLE ${wanted ?? 'DEFAULT'}`, `${queryId}-set-role`, compression);
  connection.appliedRoles = wanted;
}

/** A trace context as a traceparent header (and tracestate). */
function traceparentOf(context: TraceContext): { traceparent: string; tracestate: string } {
  const hex = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
  const flags = context.traceFlags.toString(16).padStart(2, '0');
  return { traceparent: `00-${hex(context.traceId)}-${hex(context.spanId)}-${flags}`, tracestate: context.traceState };
}

/** An insert's `table` with its placeholders bound by the client; query_params are then used up. */
function bindInsertTable<T extends { table: string; query_params?: QueryParameterValues }>(params: T): T {
  if (params.query_params === undefined && !params.table.includes('{')) return params;
  return { ...params, table: bindTableName(params.table, params.query_params), query_params: undefined };
}

export function createClient(config?: ClickHouseClientConfig): ClickHouseClient {
  return new ClickHouseClient(config);
}
