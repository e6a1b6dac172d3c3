/**
 * `client.inserter(table, options)`: client-side batching of many small writes into few large INSERTs.
 *
 * Rows are buffered per column shape (the set of keys a row has: rows that leave out columns with a DEFAULT make
 * their own INSERT). A shape's buffer is flushed when it holds `max_rows` rows or about `max_bytes` bytes, when
 * `max_writes` writes went into it, or `flush_interval_ms` after its first row, whichever comes first. INSERTs run
 * one at a time, through the idempotent retries of retry.ts, and no more than `max_inserts_per_second` per table
 * per client start: a buffer that is due while the table's budget is spent keeps filling and goes out whole when
 * the budget allows (ClickHouse's guidance: about one insert per second per table; each INSERT makes a part).
 *
 * The buffer is bounded (`max_buffered_rows`, `max_buffered_bytes`, counting rows in flight): a write waits while it
 * is full, so a producer faster than the server slows down instead of growing memory.
 */
import { Writable } from 'node:stream';
import { ClickHouseNativeError, InsertOutcomeUnknownError, InvalidValueError } from '../errors.js';
import type { Settings } from '../protocol/settings.js';
import type { InsertRow } from './input.js';
import { resolveRetryPolicy, type InsertRetryConfig, type RetryPolicy } from './retry.js';
import type { InsertJob, InsertResult } from './insert.js';

export interface InserterOptions {
  /** Insert exactly these columns (every row must have them); by default each row's own keys make its shape. */
  columns?: readonly string[];
  /**
   * Flush a shape's buffer at this many rows. Default 100 000. A batch takes whole writes (a bigger write makes a
   * bigger batch); a batch the inserts-per-second guard held back takes everything buffered in its shape.
   */
  max_rows?: number;
  /** Flush at about this many bytes of buffered values (estimated from the JS values). Default 16 MiB. */
  max_bytes?: number;
  /** Flush this long after the buffer's first row. Default 1000 ms. */
  flush_interval_ms?: number;
  /** Flush after this many writes into the buffer. Default 10 000. */
  max_writes?: number;
  /**
   * `write()` waits while this many rows are buffered or in flight. Default 2 × max_rows. A single write larger
   * than this is taken when the buffer is empty.
   */
  max_buffered_rows?: number;
  /** `write()` waits while about this many bytes are buffered or in flight. Default 2 × max_bytes. */
  max_buffered_bytes?: number;
  /**
   * true (default): `await write(rows)` resolves once the INSERT holding the rows is acknowledged, and rejects with
   * its error. false: `write()` resolves once the rows are buffered; a failed batch goes to `on_error`, and
   * `close()` throws it.
   */
  wait_for_flush?: boolean;
  /**
   * Most INSERTs per second into this table from this client (shared by its inserters); due batches wait and grow
   * meanwhile. Default 1. 0 turns the guard off.
   */
  max_inserts_per_second?: number;
  /** Failed batches of writes that do not wait for their flush (wait_for_flush false, the Writable, writeAll). */
  on_error?: (error: Error, batch: InserterBatch) => void;
  /** Settings for every INSERT, on top of the client's. */
  clickhouse_settings?: Settings;
  /** Retries of each INSERT (see InsertRetryConfig). Default: the client's insert_retry, with 10 attempts. */
  retry?: InsertRetryConfig | false;
  /** Who computes DEFAULT/MATERIALIZED columns (README, "Client-side defaults"). Default: the client's `defaults`. */
  defaults?: 'client' | 'server';
}

/** One INSERT's worth of rows. */
export interface InserterBatch {
  table: string;
  columns: readonly string[];
  rows: readonly InsertRow[];
}

export interface InserterStats {
  /** Rows accepted by write(). */
  written_rows: number;
  /** Rows in INSERTs the server acknowledged. */
  acknowledged_rows: number;
  /** Rows in batches that failed (bad value, server error, retries run out). */
  failed_rows: number;
  /** Rows buffered or in flight now. */
  buffered_rows: number;
  /** INSERTs acknowledged. */
  inserts: number;
  /** Retries made (attempts beyond the first). */
  retries: number;
}

/** Per client: when each table may take its next INSERT. */
export class InsertRateGuard {
  private readonly nextAt = new Map<string, number>();

  /** Waits for `table`'s next slot at `perSecond` inserts per second, takes it, and says how long it waited (ms). */
  async acquire(table: string, perSecond: number): Promise<number> {
    if (!(perSecond > 0) || !Number.isFinite(perSecond)) return 0;
    const now = Date.now();
    const at = Math.max(now, this.nextAt.get(table) ?? 0);
    this.nextAt.set(table, at + 1000 / perSecond);
    if (at > now) await new Promise((resolve) => setTimeout(resolve, at - now));
    return at - now;
  }
}

/** What an inserter needs from its client. */
export interface InserterContext {
  /** Runs one insert job (the client's insert core, with its defaults stage). */
  insert(job: InsertJob): Promise<InsertResult>;
  guard: InsertRateGuard;
  /** The client's insert_retry. */
  retry: InsertRetryConfig | false | undefined;
}

/** The inserter's own default: ride out a server restart (about 30 s of backoff). */
const INSERTER_ATTEMPTS = 10;

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: Error) => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {}); // settled for whoever awaits it; never an unhandled rejection
  return { promise, resolve, reject };
}

/** One write's rows in one shape buffer: a batch takes whole parts, so a write is never split between INSERTs. */
interface Part {
  rows: number;
  bytes: number;
  /** Somebody awaits `done`; an untracked part's failure goes to on_error and close(). */
  tracked: boolean;
  done: Deferred;
}

/** Rows of one column shape. */
interface ShapeBuffer {
  key: string;
  columns: readonly string[];
  rows: InsertRow[];
  bytes: number;
  parts: Part[];
  firstAt: number;
  /** flush() or close() asked for it. */
  forced: boolean;
}

/** What one INSERT sends. */
interface Batch {
  columns: readonly string[];
  rows: InsertRow[];
  bytes: number;
  parts: Part[];
}

function positiveOption(name: string, value: number | undefined, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new InvalidValueError(
      `inserter option ${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${value}`,
    );
  }
  return value;
}

/** Rough in-memory size of a value: enough to bound a buffer, not exact. */
export function estimateBytes(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return value.length + 8;
    case 'number':
      return 8;
    case 'bigint':
      return 16;
    case 'boolean':
      return 1;
    case 'object': {
      if (value === null) return 1;
      if (value instanceof Date) return 8;
      if (ArrayBuffer.isView(value)) return value.byteLength + 8;
      let bytes = 8;
      if (Array.isArray(value)) for (const item of value) bytes += estimateBytes(item);
      else if (value instanceof Map) for (const [k, v] of value) bytes += estimateBytes(k) + estimateBytes(v);
      else for (const key in value) bytes += estimateBytes((value as Record<string, unknown>)[key]);
      return bytes;
    }
    default:
      return 8;
  }
}

export class Inserter<T extends object = InsertRow> {
  readonly table: string;
  readonly stats: InserterStats = {
    written_rows: 0,
    acknowledged_rows: 0,
    failed_rows: 0,
    buffered_rows: 0,
    inserts: 0,
    retries: 0,
  };

  private readonly maxRows: number;
  private readonly maxBytes: number;
  private readonly flushIntervalMs: number;
  private readonly maxWrites: number;
  private readonly maxBufferedRows: number;
  private readonly maxBufferedBytes: number;
  private readonly waitForFlush: boolean;
  private readonly insertsPerSecond: number;
  private readonly policy: RetryPolicy;
  private readonly fixedColumns: readonly string[] | undefined;

  private readonly buffers = new Map<string, ShapeBuffer>();
  private bufferedBytes = 0;
  /** Writes waiting for room. */
  private readonly roomWaiters: Array<() => void> = [];
  /** The batch being inserted, if any. */
  private inflight: Batch | undefined;
  private worker: Promise<void> | undefined;
  private wakeWorker: (() => void) | undefined;
  private closing: Promise<void> | undefined;
  private readonly failures: Error[] = [];
  private readonly failureListeners = new Set<(error: Error) => void>();

  constructor(
    table: string,
    private readonly options: InserterOptions,
    private readonly context: InserterContext,
  ) {
    this.table = table;
    this.maxRows = positiveOption('max_rows', options.max_rows, 100_000);
    this.maxBytes = positiveOption('max_bytes', options.max_bytes, 16 << 20);
    this.flushIntervalMs = positiveOption('flush_interval_ms', options.flush_interval_ms, 1000, true);
    this.maxWrites = positiveOption('max_writes', options.max_writes, 10_000);
    this.maxBufferedRows = positiveOption('max_buffered_rows', options.max_buffered_rows, 2 * this.maxRows);
    this.maxBufferedBytes = positiveOption('max_buffered_bytes', options.max_buffered_bytes, 2 * this.maxBytes);
    this.waitForFlush = options.wait_for_flush ?? true;
    this.insertsPerSecond = positiveOption('max_inserts_per_second', options.max_inserts_per_second, 1, true);
    const userRetry = options.retry;
    const onRetry = (event: Parameters<NonNullable<InsertRetryConfig['on_retry']>>[0]) => {
      this.stats.retries++;
      const own = userRetry === false ? undefined : userRetry?.on_retry;
      const base = context.retry === false ? undefined : context.retry?.on_retry;
      (own ?? base)?.(event);
    };
    const policy = resolveRetryPolicy(userRetry, context.retry, INSERTER_ATTEMPTS);
    this.policy = { ...policy, onRetry };
    this.fixedColumns = options.columns ? [...options.columns] : undefined;
  }

  /**
   * Buffers a row or an array of rows. With wait_for_flush (the default) it resolves once the INSERT holding them
   * is acknowledged; otherwise once they are buffered. It waits while the buffer is full.
   */
  async write(rows: T | readonly T[]): Promise<void> {
    const ticket = await this.enqueue(Array.isArray(rows) ? (rows as readonly T[]) : [rows as T], this.waitForFlush);
    if (ticket) await ticket.acknowledged;
  }

  /**
   * Writes every row (or array of rows) of an iterable, buffering as fast as the buffer allows, and resolves once
   * all of them are acknowledged; rejects with the first failed batch's error (after the rest was handled).
   */
  async writeAll(source: AsyncIterable<T | readonly T[]> | Iterable<T | readonly T[]>): Promise<void> {
    const pending: Promise<void>[] = [];
    for await (const item of source as AsyncIterable<T | readonly T[]>) {
      const ticket = await this.enqueue(Array.isArray(item) ? (item as readonly T[]) : [item as T], true);
      if (ticket) pending.push(ticket.acknowledged);
    }
    await this.flush().catch(() => {});
    const results = await Promise.allSettled(pending);
    const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /**
   * A Node Writable in object mode (rows or arrays of rows) for `stream.pipeline`. Writes are buffered without
   * waiting for their flush (back-pressure comes from the bounded buffer); the stream's end closes the inserter, and
   * 'finish' comes once everything is acknowledged. A failed batch destroys the stream with its error.
   */
  writable(options: { highWaterMark?: number } = {}): Writable {
    const stream = new Writable({
      objectMode: true,
      highWaterMark: options.highWaterMark ?? 16,
      write: (chunk: T | readonly T[], _encoding, callback) => {
        this.enqueue(Array.isArray(chunk) ? (chunk as readonly T[]) : [chunk as T], false).then(
          () => callback(),
          (error: Error) => callback(error),
        );
      },
      final: (callback) => {
        this.close().then(
          () => callback(),
          (error: Error) => callback(error),
        );
      },
    });
    const onFailure = (error: Error) => {
      if (!stream.destroyed) stream.destroy(error);
    };
    this.failureListeners.add(onFailure);
    stream.once('close', () => this.failureListeners.delete(onFailure));
    return stream;
  }

  /** Sends everything buffered now and resolves when it is acknowledged; rejects with a failed batch's error. */
  async flush(): Promise<void> {
    const targets: Promise<void>[] = [];
    for (const part of this.inflight?.parts ?? []) targets.push(part.done.promise);
    for (const buffer of this.buffers.values()) {
      buffer.forced = true;
      for (const part of buffer.parts) targets.push(part.done.promise);
    }
    this.kick();
    const results = await Promise.allSettled(targets);
    const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /**
   * Stops taking writes, flushes everything and waits for it. Throws the errors of failed batches that no write
   * awaited (fire-and-forget, the Writable, writeAll's are its own): one as is, several as an AggregateError.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const buffer of this.buffers.values()) buffer.forced = true;
      this.kick();
      while (this.worker) await this.worker;
      if (this.failures.length === 1) throw this.failures[0];
      if (this.failures.length > 1) {
        throw new AggregateError(
          this.failures,
          `${this.failures.length} batches for ${this.table} failed; the first: ${this.failures[0]!.message}`,
        );
      }
    })();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // -------------------------------------------------------------------------------------------------------------

  /**
   * Buffers rows once there is room. Returns, for a tracked write, a promise of its acknowledgement (rejecting with
   * its batch's error); an untracked write's failures go to on_error and close().
   */
  private async enqueue(rows: readonly T[], tracked: boolean): Promise<{ acknowledged: Promise<void> } | undefined> {
    if (this.closing) throw new ClickHouseNativeError(`The inserter for ${this.table} is closed`);
    if (rows.length === 0) return undefined;
    const sizes = rows.map(estimateBytes);
    let bytes = 0;
    for (const size of sizes) bytes += size;
    while (
      this.stats.buffered_rows > 0 &&
      (this.stats.buffered_rows + rows.length > this.maxBufferedRows ||
        this.bufferedBytes + bytes > this.maxBufferedBytes)
    ) {
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
      if (this.closing) throw new ClickHouseNativeError(`The inserter for ${this.table} is closed`);
    }
    this.stats.written_rows += rows.length;
    this.stats.buffered_rows += rows.length;
    this.bufferedBytes += bytes;
    const parts = new Map<ShapeBuffer, Part>();
    const now = Date.now();
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      const buffer = this.bufferFor(row, now);
      let part = parts.get(buffer);
      if (!part) {
        part = { rows: 0, bytes: 0, tracked, done: deferred() };
        parts.set(buffer, part);
        buffer.parts.push(part);
      }
      buffer.rows.push(row as InsertRow); // any object type: interfaces have no index signature
      buffer.bytes += sizes[i]!;
      part.rows++;
      part.bytes += sizes[i]!;
    }
    this.kick();
    if (!tracked) return undefined;
    const promises = [...parts.values()].map((part) => part.done.promise);
    // Wrapped: an async function returning a promise would wait for it.
    const acknowledged = promises.length === 1 ? promises[0]! : Promise.all(promises).then(() => undefined);
    acknowledged.catch(() => {});
    return { acknowledged };
  }

  private bufferFor(row: T, now: number): ShapeBuffer {
    let key: string;
    let columns: readonly string[];
    if (this.fixedColumns) {
      key = '';
      columns = this.fixedColumns;
    } else {
      const names: string[] = [];
      for (const name in row) if (row[name] !== undefined) names.push(name);
      columns = names;
      key = names.length > 1 ? [...names].sort().join('\u0000') : (names[0] ?? '');
    }
    let buffer = this.buffers.get(key);
    if (!buffer) {
      buffer = {
        key,
        columns,
        rows: [],
        bytes: 0,
        parts: [],
        firstAt: now,
        forced: false,
      };
      this.buffers.set(key, buffer);
    }
    return buffer;
  }

  private kick(): void {
    if (this.wakeWorker) {
      const wake = this.wakeWorker;
      this.wakeWorker = undefined;
      wake();
    }
    if (!this.worker && (this.buffers.size > 0 || this.closing)) {
      this.worker = this.run().finally(() => {
        this.worker = undefined;
        // Rows may have arrived while the worker was finishing.
        if (this.buffers.size > 0) this.kick();
      });
    }
  }

  private due(buffer: ShapeBuffer, now: number): boolean {
    return (
      buffer.forced ||
      buffer.rows.length >= this.maxRows ||
      buffer.bytes >= this.maxBytes ||
      buffer.parts.length >= this.maxWrites ||
      now - buffer.firstAt >= this.flushIntervalMs
    );
  }

  /** One INSERT at a time, while there is anything buffered. */
  private async run(): Promise<void> {
    while (this.buffers.size > 0) {
      const now = Date.now();
      let next: ShapeBuffer | undefined;
      let deadline = Infinity;
      for (const buffer of this.buffers.values()) {
        if (this.due(buffer, now)) {
          if (!next || buffer.firstAt < next.firstAt) next = buffer;
        } else {
          deadline = Math.min(deadline, buffer.firstAt + this.flushIntervalMs);
        }
      }
      if (!next) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(
            () => {
              this.wakeWorker = undefined;
              resolve();
            },
            Math.max(0, deadline - now),
          );
          this.wakeWorker = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        continue;
      }
      // The table's insert budget: a due buffer keeps growing while it waits, and then goes out whole.
      const waited = await this.context.guard.acquire(this.table, this.insertsPerSecond);
      await this.send(this.take(next, waited > 0 ? Infinity : this.maxRows));
    }
  }

  /** Takes whole parts from the front of `buffer`, up to `limit` rows (at least one part). */
  private take(buffer: ShapeBuffer, limit: number): Batch {
    let rows = 0;
    let count = 0;
    while (count < buffer.parts.length && (count === 0 || rows + buffer.parts[count]!.rows <= limit)) {
      rows += buffer.parts[count]!.rows;
      count++;
    }
    if (count === buffer.parts.length) {
      this.buffers.delete(buffer.key);
      return buffer;
    }
    const parts = buffer.parts.splice(0, count);
    let bytes = 0;
    for (const part of parts) bytes += part.bytes;
    buffer.bytes -= bytes;
    return { columns: buffer.columns, rows: buffer.rows.splice(0, rows), bytes, parts };
  }

  private async send(batch: Batch): Promise<void> {
    this.inflight = batch;
    const rows = batch.rows.length;
    try {
      await this.context.insert({
        table: this.table,
        values: batch.rows,
        columns: batch.columns,
        clickhouse_settings: this.options.clickhouse_settings,
        defaults: this.options.defaults,
        retry: this.policy,
        // A batch is bounded by the inserter's buffer: its packets are held for a resend whatever its size.
        holdAnySize: true,
        acknowledgedRows: this.stats.acknowledged_rows,
      });
      this.stats.acknowledged_rows += rows;
      this.stats.inserts++;
      for (const part of batch.parts) part.done.resolve();
    } catch (caught) {
      const error = this.describeFailure(caught, batch);
      this.stats.failed_rows += rows;
      for (const part of batch.parts) part.done.reject(error);
      if (batch.parts.some((part) => !part.tracked)) {
        this.failures.push(error);
        try {
          this.options.on_error?.(error, { table: this.table, columns: batch.columns, rows: batch.rows });
        } catch {
          // A throwing on_error must not stop the inserter.
        }
        for (const listener of this.failureListeners) listener(error);
      }
    } finally {
      this.inflight = undefined;
      this.stats.buffered_rows -= rows;
      this.bufferedBytes -= batch.bytes;
      for (const wake of this.roomWaiters.splice(0)) wake();
    }
  }

  /** A bad value names its column and its row in the batch, and says the batch was refused whole. */
  private describeFailure(error: unknown, batch: Batch): Error {
    if (error instanceof InvalidValueError) {
      return new InvalidValueError(
        `${error.reason} (in a batch of ${batch.rows.length} rows for ${this.table}: the batch was rejected and none of ` +
          `it was sent; later writes go on)`,
        { column: error.column, row: error.row, type: error.type },
      );
    }
    if (error instanceof InsertOutcomeUnknownError || error instanceof Error) return error;
    return new ClickHouseNativeError(String(error));
  }
}
