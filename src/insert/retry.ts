/**
 * Idempotent insert retries. An in-memory insert is encoded once; its Data packets are kept until the server
 * acknowledges the INSERT (EndOfStream), and a retry resends exactly those packets: the same rows, in the same
 * order, cut into the same blocks, byte for byte. ClickHouse deduplicates an insert by its blocks (a hash of each
 * block's data, or `insert_deduplication_token` plus the block's number), so a resent block that was already
 * committed is dropped by the server, where deduplication is on (README, "Reliable inserts").
 *
 * What is retried:
 *  - failures before any Data packet went out (connect refused, a broken idle connection, a lost header): always
 *    safe, nothing of the insert can be in the table;
 *  - failures after data went out with no answer (connection lost, request_timeout_ms, a protocol error), and the
 *    server errors that mean "try again" (RETRIABLE_SERVER_CODES): the outcome is unknown. By default these are
 *    retried only when the server is known to deduplicate the table's inserts (deduplication.ts: Replicated*,
 *    non_replicated_deduplication_window > 0, deduplication on for the insert), asked of the server before the
 *    resend; otherwise InsertOutcomeUnknownError is thrown, so a retry of ours never stores a row twice.
 *    `unknown_outcome: 'retry'` resends regardless (the caller vouches for deduplication), 'fail' never resends.
 * Never retried: a bad value (nothing was sent), an abort, any other server exception.
 */
import { randomUUID } from 'node:crypto';
import type { BaseParams } from '../client/client.js';
import type { QueryResponse } from '../client/response.js';
import type { ServerHello } from '../protocol/server-packets.js';
import type { Settings } from '../protocol/settings.js';
import type { DeduplicationVerdict } from './deduplication.js';
import {
  AbortError,
  ClickHouseError,
  ConnectionError,
  InsertOutcomeUnknownError,
  InvalidValueError,
  ProtocolError,
} from '../errors.js';
import { BlockSizer, blocksOf, chunkRows, inferColumnNames, RowScratch, type ColumnarInput, type InsertRow } from './input.js';
import {
  DEFAULT_INSERT_BLOCK_BYTES,
  endFailedInsert,
  IN_MEMORY_STAGE_BYTES,
  quoteIdentifier,
  readInsertHeader,
  type InsertResult,
  type InsertSession,
} from './insert.js';
import { BlockPipeline, type EncodedBlock } from './pipeline.js';

export interface InsertRetryConfig {
  /** Attempts in all, the first included; 1 turns retries off. Default 5 (the inserter: 10). */
  attempts?: number;
  /** Wait before the first retry; it doubles on each retry up to `max_delay_ms`, with ±25 % jitter. Default 100 ms. */
  initial_delay_ms?: number;
  /** Longest wait between two attempts. Default 5000 ms. */
  max_delay_ms?: number;
  /**
   * An insert whose data went out without an answer:
   *  - 'when_deduplicated' (default): resend the identical blocks only when the server is known to deduplicate them
   *    (a Replicated*MergeTree, a MergeTree with non_replicated_deduplication_window > 0, deduplication not turned
   *    off for the insert), asked of the server before resending; otherwise throw InsertOutcomeUnknownError. A
   *    retry never stores a row twice.
   *  - 'retry': resend regardless. Safe only where the server deduplicates (README, "Reliable inserts"): use it for
   *    what the client cannot see, e.g. a Distributed table over replicated tables.
   *  - 'fail': throw InsertOutcomeUnknownError at once.
   */
  unknown_outcome?: UnknownOutcomePolicy;
  /**
   * Send `insert_deduplication_token` (a random UUID per insert, the same on every retry) to servers that know it
   * (22.2 and later), unless the call sets one. Default true.
   */
  deduplication_token?: boolean;
  /** Called before each retry (for logs and metrics). */
  on_retry?: (event: InsertRetryEvent) => void;
}

export type UnknownOutcomePolicy = 'when_deduplicated' | 'retry' | 'fail';

const UNKNOWN_OUTCOME_POLICIES: readonly UnknownOutcomePolicy[] = ['when_deduplicated', 'retry', 'fail'];

export interface InsertRetryEvent {
  table: string;
  /** The attempt about to run (2 for the first retry). */
  attempt: number;
  delay_ms: number;
  error: unknown;
  /** 'not_sent': the failed attempt sent no data; 'unknown': it did, and got no answer. */
  outcome: 'not_sent' | 'unknown';
}

export interface RetryPolicy {
  attempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  unknownOutcome: UnknownOutcomePolicy;
  deduplicationToken: boolean;
  onRetry: ((event: InsertRetryEvent) => void) | undefined;
}

export const DEFAULT_INSERT_ATTEMPTS = 5;

/** `false` turns retries off (one attempt; an unknown outcome still throws InsertOutcomeUnknownError). */
export function resolveRetryPolicy(
  config: InsertRetryConfig | false | undefined,
  base?: InsertRetryConfig | false,
  defaultAttempts = DEFAULT_INSERT_ATTEMPTS,
): RetryPolicy {
  const merged: InsertRetryConfig =
    config === false || (config === undefined && base === false)
      ? { ...(base || {}), attempts: 1 }
      : { ...(base || {}), ...(config || {}) };
  const integer = (name: string, value: number | undefined, fallback: number, min: number): number => {
    if (value === undefined) return fallback;
    if (!Number.isInteger(value) || value < min) {
      throw new InvalidValueError(`retry.${name} must be an integer of at least ${min}, got ${value}`);
    }
    return value;
  };
  const unknownOutcome = merged.unknown_outcome ?? 'when_deduplicated';
  if (!UNKNOWN_OUTCOME_POLICIES.includes(unknownOutcome)) {
    throw new InvalidValueError(
      `retry.unknown_outcome must be one of ${UNKNOWN_OUTCOME_POLICIES.map((p) => `'${p}'`).join(', ')}, got ${String(unknownOutcome)}`,
    );
  }
  return {
    attempts: integer('attempts', merged.attempts, defaultAttempts, 1),
    initialDelayMs: integer('initial_delay_ms', merged.initial_delay_ms, 100, 0),
    maxDelayMs: integer('max_delay_ms', merged.max_delay_ms, 5_000, 0),
    unknownOutcome,
    deduplicationToken: merged.deduplication_token ?? true,
    onRetry: merged.on_retry,
  };
}

/**
 * Server errors after which the same insert may succeed: timeouts, overload, ZooKeeper trouble, a table that is
 * read-only until its replica reconnects, and 319 UNKNOWN_STATUS_OF_INSERT, the server's own "retry this insert".
 */
export const RETRIABLE_SERVER_CODES: ReadonlySet<number> = new Set([
  159, // TIMEOUT_EXCEEDED
  202, // TOO_MANY_SIMULTANEOUS_QUERIES
  203, // NO_FREE_CONNECTION
  209, // SOCKET_TIMEOUT
  210, // NETWORK_ERROR
  225, // NO_ZOOKEEPER
  242, // TABLE_IS_READ_ONLY
  252, // TOO_MANY_PARTS
  285, // TOO_FEW_LIVE_REPLICAS
  286, // UNSATISFIED_QUORUM_FOR_PREVIOUS_WRITE
  319, // UNKNOWN_STATUS_OF_INSERT
  999, // KEEPER_EXCEPTION
]);

/** What a failure means for the insert: fatal (give up), or retriable with the outcome so far. */
export function classifyInsertFailure(error: unknown, dataSent: boolean): 'fatal' | 'not_sent' | 'unknown' {
  if (error instanceof AbortError || error instanceof InvalidValueError) return 'fatal';
  const retriable =
    error instanceof ConnectionError ||
    error instanceof ProtocolError ||
    (error instanceof ClickHouseError && RETRIABLE_SERVER_CODES.has(error.code));
  if (!retriable) return 'fatal';
  return dataSent ? 'unknown' : 'not_sent';
}

/** insert_deduplication_token exists from ClickHouse 22.2 on; older servers refuse it as an unknown setting. */
export function supportsDeduplicationToken(server: Pick<ServerHello, 'versionMajor' | 'versionMinor'>): boolean {
  return server.versionMajor > 22 || (server.versionMajor === 22 && server.versionMinor >= 2);
}

export function retryDelay(policy: RetryPolicy, retry: number): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (retry - 1));
  return Math.round(base * (0.75 + Math.random() * 0.5));
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new AbortError('The insert was aborted', { cause: signal.reason }));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortError('The insert was aborted', { cause: signal?.reason }));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Rough size of a JS value once encoded (enough to choose a path, not exact). */
function roughBytes(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return value.length + 1;
    case 'object': {
      if (value === null || value instanceof Date) return 8;
      if (ArrayBuffer.isView(value)) return value.byteLength;
      let bytes = 8;
      if (Array.isArray(value)) for (const item of value) bytes += roughBytes(item);
      else for (const key in value) bytes += roughBytes((value as Record<string, unknown>)[key]);
      return bytes;
    }
    default:
      return 8;
  }
}

/**
 * Whether an in-memory input is small enough for its encoded packets to be held until the server acknowledges
 * them (IN_MEMORY_STAGE_BYTES, the same bound as the plain insert path). Estimated from a sample of rows.
 */
export function fitsRetryBuffer(values: readonly InsertRow[] | ColumnarInput, limit = IN_MEMORY_STAGE_BYTES): boolean {
  if (!Array.isArray(values)) {
    let bytes = 0;
    for (const column of Object.values(values as ColumnarInput)) bytes += roughBytes(column);
    return bytes <= limit;
  }
  const rows = values as readonly InsertRow[];
  const sample = Math.min(rows.length, 32);
  if (sample === 0) return true;
  let sampled = 0;
  for (let i = 0; i < sample; i++) sampled += roughBytes(rows[Math.floor((i * rows.length) / sample)]);
  return (sampled / sample) * rows.length <= limit;
}

export interface RetryingInsertParams extends BaseParams {
  table: string;
  values: readonly InsertRow[] | ColumnarInput;
  columns?: readonly string[];
  block_rows?: number;
  block_bytes?: number;
}

export interface RetryingInsertSession extends InsertSession {
  /** The server's Hello (for what its version supports); may open a connection. */
  server(): Promise<Pick<ServerHello, 'versionMajor' | 'versionMinor'>>;
  /**
   * Whether the server deduplicates this table's inserts made with these settings (asked of the server). Without it,
   * an unknown outcome is never resent under the default policy.
   */
  deduplication?(table: string, settings: Settings | undefined): Promise<DeduplicationVerdict>;
}

export interface RetryingInsertResult extends InsertResult {
  /** Attempts made, the first included. */
  attempts: number;
}

/** The packets of one encoding of the insert: resent as they are while the server and the header stay the same. */
interface Encoding {
  revision: number;
  header: string;
  blocks: EncodedBlock[];
}

export async function runRetryingInsert(
  params: RetryingInsertParams,
  session: RetryingInsertSession,
  policy: RetryPolicy,
  context: { acknowledgedRows?: number } = {},
): Promise<RetryingInsertResult> {
  const values = params.values;
  const totalRows = chunkRows(values);
  const first = Array.isArray(values) ? (values as readonly InsertRow[]) : (values as ColumnarInput);
  const columns = params.columns ?? inferColumnNames(first);
  const baseQueryId = params.query_id ?? randomUUID();
  if (totalRows === 0) {
    return {
      query_id: baseQueryId,
      rows: 0,
      summary: {
        query_id: baseQueryId,
        progress: { read_rows: 0, read_bytes: 0, total_rows_to_read: 0, total_bytes_to_read: 0, written_rows: 0, written_bytes: 0, elapsed_ns: 0 },
        profile_info: undefined,
        totals: undefined,
        extremes: undefined,
      },
      table_columns: undefined,
      attempts: 0,
    };
  }
  if (columns.length === 0) throw new InvalidValueError('cannot tell which columns to insert: pass `columns`, or rows with keys');
  const sql = `INSERT INTO ${params.table} (${columns.map(quoteIdentifier).join(', ')}) VALUES`;
  const blockRows = params.block_rows ?? session.blockRows;
  const blockBytes = params.block_bytes ?? session.blockBytes ?? DEFAULT_INSERT_BLOCK_BYTES;
  const userToken = params.clickhouse_settings?.insert_deduplication_token;
  let token: string | undefined;
  let tokenDecided = !policy.deduplicationToken || userToken !== undefined;

  let encoding: Encoding | undefined;
  /** Blocks (by index in the encoding) that reached the socket in some attempt. */
  const sentEver = new Set<number>();
  const errors: unknown[] = [];
  const queryIds: string[] = [];
  /** An attempt's outcome was unknown and the policy resends only into a deduplicating table: ask before resending. */
  let mustCheckDeduplication = false;

  const outcomeUnknown = (attempts: number, whyNotRetried?: string): InsertOutcomeUnknownError => {
    let unknownRows = 0;
    for (const index of sentEver) unknownRows += encoding!.blocks[index]!.rows;
    return new InsertOutcomeUnknownError({
      table: params.table,
      attempts,
      queryIds,
      acknowledgedRows: context.acknowledgedRows,
      unknownRows,
      unsentRows: totalRows - unknownRows,
      blocks: encoding!.blocks.length,
      blocksSent: sentEver.size,
      deduplicationToken: token ?? (userToken === undefined ? undefined : String(userToken)),
      errors,
      rows: Array.isArray(values) ? (values as readonly InsertRow[]) : undefined,
      whyNotRetried,
    });
  };

  for (let attempt = 1; ; attempt++) {
    const queryId = attempt === 1 ? baseQueryId : `${baseQueryId}-retry-${attempt - 1}`;
    queryIds.push(queryId);
    let response: QueryResponse | undefined;
    let pipeline: BlockPipeline | undefined;
    let dataSent = false;
    try {
      if (mustCheckDeduplication) {
        // Asked inside the attempt: a server that is still unreachable is one more failed, nothing-sent attempt.
        const verdict = await checkDeduplication(session, params.table, params.clickhouse_settings);
        if (!verdict.deduplicated) {
          queryIds.pop(); // this attempt never started
          throw outcomeUnknown(attempt - 1, verdict.reason);
        }
        mustCheckDeduplication = false;
      }
      if (!tokenDecided) {
        // Asked inside the attempt: a server that is down now is a retriable, nothing-sent failure.
        if (supportsDeduplicationToken(await session.server())) token = randomUUID();
        tokenDecided = true;
      }
      const settings = token === undefined ? params.clickhouse_settings : { ...params.clickhouse_settings, insert_deduplication_token: token };
      ({ response } = await session.start({ ...params, query_id: queryId, clickhouse_settings: settings, query: sql }));
      const connection = response.connection;
      const header = await readInsertHeader(response);
      session.checkHeader?.(response, header);
      const shape = header.columns.map(({ name, type }) => ({ name, type }));
      const headerKey = JSON.stringify(shape);
      pipeline = new BlockPipeline(connection, session.compression, new BlockSizer(blockRows, blockBytes), params.abort_signal);
      if (!encoding || encoding.revision !== connection.revision || encoding.header !== headerKey) {
        // The first attempt, or the server changed under us (another revision, an ALTER): encode again. The rows and
        // block boundaries are the same (a fresh sizer over the same input), so the data hashes are too.
        const blocks: EncodedBlock[] = [];
        const sizer = new BlockSizer(blockRows, blockBytes);
        const encoder = new BlockPipeline(connection, session.compression, sizer, undefined);
        for (const block of blocksOf(values, shape, sizer, 0, 0, new RowScratch(shape))) blocks.push(await encoder.encode(block));
        encoding = { revision: connection.revision, header: headerKey, blocks };
      }
      for (let i = 0; i < encoding.blocks.length; i++) {
        dataSent = true;
        sentEver.add(i);
        await pipeline.write(encoding.blocks[i]!);
      }
      await pipeline.end();
      await response.drain();
      return {
        query_id: queryId,
        rows: totalRows,
        summary: response.summary(),
        table_columns: response.tableColumns,
        attempts: attempt,
      };
    } catch (error) {
      if (error instanceof InsertOutcomeUnknownError) throw error;
      if (pipeline) await pipeline.settle().catch(() => {});
      if (response) await endFailedInsert(response, error, session.compression);
      const outcome = classifyInsertFailure(error, dataSent);
      if (outcome === 'fatal') {
        // A failure that is no transport fault (e.g. the deduplication lookup refused) after data went out in an
        // earlier attempt: the outcome of that attempt is still unknown, and the error must say so.
        if (sentEver.size > 0 && !dataSent && !(error instanceof AbortError) && !(error instanceof InvalidValueError)) {
          errors.push(error);
          throw outcomeUnknown(attempt, `the attempt before the resend failed: ${describe(error)}`);
        }
        throw error;
      }
      errors.push(error);
      const everSent = sentEver.size > 0;
      const outOfAttempts = attempt >= policy.attempts || (outcome === 'unknown' && policy.unknownOutcome === 'fail');
      if (outOfAttempts) {
        // Nothing ever went out: the insert is known not to be in the table, and the plain error says so.
        if (!everSent) throw error;
        throw outcomeUnknown(attempt, policy.unknownOutcome === 'fail' ? "insert_retry.unknown_outcome is 'fail'" : undefined);
      }
      if (outcome === 'unknown' && policy.unknownOutcome === 'when_deduplicated') {
        // Ask now, so that no retry is announced (on_retry) for an insert that will not be resent. A server that
        // cannot answer now is asked again at the start of the next attempt.
        const verdict = await checkDeduplication(session, params.table, params.clickhouse_settings).catch(() => undefined);
        if (verdict && !verdict.deduplicated) throw outcomeUnknown(attempt, verdict.reason);
        mustCheckDeduplication = verdict === undefined;
      }
      const delay = retryDelay(policy, attempt);
      policy.onRetry?.({ table: params.table, attempt: attempt + 1, delay_ms: delay, error, outcome });
      await sleep(delay, params.abort_signal);
    }
  }
}

/** The session's deduplication verdict; a session that cannot tell is taken as "not deduplicated". */
async function checkDeduplication(
  session: RetryingInsertSession,
  table: string,
  settings: Settings | undefined,
): Promise<DeduplicationVerdict> {
  if (!session.deduplication) return { deduplicated: false, reason: 'the client cannot tell whether the table deduplicates inserts' };
  return session.deduplication(table, settings);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
