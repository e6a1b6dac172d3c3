/**
 * Idempotent insert retries: the policy (the attempt loop that applies it is runResendable in insert.ts). An
 * in-memory insert is encoded once; its Data packets are kept until the server
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
import { AbortError, ClickHouseError, ConnectionError, InvalidValueError, ProtocolError } from '../errors.js';
import type { ServerHello } from '../protocol/server-packets.js';
import { IN_MEMORY_STAGE_BYTES, type ColumnarInput, type InsertRow } from './input.js';

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

/** Waits `ms` before the next attempt; an abort ends the wait at once. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
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
 * them (IN_MEMORY_STAGE_BYTES, the same bound as a job sent once). Estimated from a sample of rows.
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
