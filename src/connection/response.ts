/**
 * The response side of one query on a leased connection: reads server packets, keeps the bookkeeping (progress,
 * profile info, totals, extremes, logs), turns an Exception into a thrown ClickHouseError, and gives the connection
 * back to the pool once the query is over (EndOfStream or Exception), or destroys it when the stream broke.
 */
import type { Block } from '../columns/block.js';
import type { Compression } from '../compression/frame.js';
import { AbortError, ProtocolError } from '../errors.js';
import type { TraceContext } from '../protocol/client-packets.js';
import type { ProfileInfo, Progress } from '../protocol/server-packets.js';
import type { Settings } from '../protocol/settings.js';
import type { Connection } from './connection.js';
import { sendCancel } from './exchange.js';
import type { ServerMessage } from './packet-reader.js';

/** Progress of a query, summed over the server's Progress packets (which carry increments). */
export interface QueryProgress {
  read_rows: number;
  read_bytes: number;
  total_rows_to_read: number;
  /** What the server expects to read, in bytes (servers from protocol revision 54463 on say it; 0 otherwise). */
  total_bytes_to_read: number;
  written_rows: number;
  written_bytes: number;
  elapsed_ns: number;
}

export interface LogEntry {
  time: Date;
  host: string;
  query_id: string;
  thread_id: number | bigint;
  priority: number;
  source: string;
  text: string;
}

/**
 * One row of a ProfileEvents packet (revision 54451 on): a counter of the query on one server thread. The server
 * sends them as the query runs, each `increment` the change since its last packet, each `gauge` a current value
 * (memory usage).
 */
export interface ProfileEvent {
  host: string;
  time: Date;
  thread_id: number | bigint;
  type: 'increment' | 'gauge';
  /** The counter's name, as in system.events: SelectedRows, ReadCompressedBytes, RealTimeMicroseconds, … */
  name: string;
  value: number;
}

export interface QuerySummary {
  query_id: string;
  progress: QueryProgress;
  /**
   * The query's ProfileEvents totals (name → value): increments summed over every packet and thread, gauges at
   * their largest. Empty from servers below revision 54451 (18.16), which send none.
   */
  profile_events: Record<string, number>;
  profile_info: ProfileInfo | undefined;
  /** The WITH TOTALS row, if the query had one. */
  totals: Block | undefined;
  /** Min and max rows, when the query ran with extremes = 1. */
  extremes: Block | undefined;
}

/** What every request takes, whichever layer starts it (the client's calls, the insert core). */
export interface RequestParams {
  /** Settings for this call, on top of the client's. */
  clickhouse_settings?: Settings;
  /** Defaults to a random UUID. */
  query_id?: string;
  abort_signal?: AbortSignal;
  /** Called on every Progress packet with the running totals. */
  on_progress?: (progress: QueryProgress, increment: Progress) => void;
  /** Called for each server log row (set clickhouse_settings.send_logs_level to receive them). */
  on_log?: (entry: LogEntry) => void;
  /**
   * Called for each ProfileEvents packet with its rows and the running totals (as summary.profile_events). Servers
   * from revision 54451 send them; 18.16 sends none.
   */
  on_profile_events?: (events: ProfileEvent[], totals: Record<string, number>) => void;
  /**
   * The roles this call runs with (`SET ROLE` on its connection first, when they differ from the connection's): one
   * name or several; `[]` for none. Default: the client's `role`, else the user's default roles. README, "Roles".
   */
  role?: string | readonly string[];
  /** ClientInfo's quota_key for this call (a quota `KEYED BY client_key`). Default: the client's `quota_key`. */
  quota_key?: string;
  /**
   * The W3C trace context to send in ClientInfo (revision 54442 on), so the server's spans of this query join the
   * caller's trace. Default: the client tracer's span, else the active OpenTelemetry span, if any. README, "Tracing".
   */
  trace_context?: { traceparent: string; tracestate?: string };
}

/** A trace context as the protocol writes it; re-exported for the client's tracing. */
export type { TraceContext };

export interface ResponseOptions {
  queryId: string;
  compression: Compression;
  signal: AbortSignal | undefined;
  onProgress: ((progress: QueryProgress, increment: Progress) => void) | undefined;
  onLog: ((entry: LogEntry) => void) | undefined;
  onProfileEvents?: ((events: ProfileEvent[], totals: Record<string, number>) => void) | undefined;
  /** Called once when the query is over, with the error that ended it, if any (the client's tracing span ends here). */
  onEnd?: (response: QueryResponse, error: Error | undefined) => void;
  /** Give the connection back (usable or not). Called exactly once. */
  release: (connection: Connection) => void;
  /**
   * A session's connection, which holds state (temporary tables, SET, USE) that closing it would lose. It is kept
   * after a server Exception: its owner then makes sure it is in step before the next query (see session.ts; `clean`
   * tells it when to). A Cancel drains it to the end of the query, however many bytes were in flight, instead of
   * closing it after CANCEL_DRAIN_MAX_BYTES (CANCEL_DRAIN_TIMEOUT_MS still bounds the drain).
   */
  pinned?: boolean;
}

/** How long draining after a Cancel may take before the connection is simply closed. */
const CANCEL_DRAIN_TIMEOUT_MS = 10_000;

/**
 * The most a drain after Cancel reads before the connection is closed instead. A stream stopped early still has
 * its buffers in flight (ours, and the kernel's on both sides: often 10 MB or more), and the server goes on sending
 * until it sees the Cancel: reading all that costs more than a new connection. Closing after the Cancel is safe: both
 * 18.16 and 26.7 stop a query whose Cancel arrived before its connection closed (18.16 goes on running a silent
 * query whose connection merely closed, so the Cancel always goes first).
 */
const CANCEL_DRAIN_MAX_BYTES = 1 << 20;

/** Progress before the first Progress packet: every counter 0. */
export function emptyProgress(): QueryProgress {
  return {
    read_rows: 0,
    read_bytes: 0,
    total_rows_to_read: 0,
    total_bytes_to_read: 0,
    written_rows: 0,
    written_bytes: 0,
    elapsed_ns: 0,
  };
}

export class QueryResponse {
  /**
   * Data blocks read from now on have their String columns as LazyStringColumns: set by the row iterator, the one
   * reader that knows them (src/client/result-set.ts).
   */
  lazyStrings = false;
  readonly progress: QueryProgress = emptyProgress();
  profileInfo: ProfileInfo | undefined;
  totals: Block | undefined;
  extremes: Block | undefined;
  /** The TableColumns description text, when the server sent one (INSERT). */
  tableColumns: string | undefined;
  /** The time zone from TimezoneUpdate, when the server sent one. */
  timezone: string | undefined;
  /** Rows in the Data blocks read so far (the result's rows). */
  rowsReturned = 0;
  /** ProfileEvents totals (null prototype: the names come from the wire). */
  readonly profileEvents: Record<string, number> = Object.create(null) as Record<string, number>;
  /** The error that ended the query, if one did. */
  private failure: Error | undefined;
  /** True once EndOfStream or an Exception ended the query, or the connection was given up. */
  finished = false;
  /**
   * True when the connection is known to be in step with the server: the query ended with EndOfStream, or nothing
   * of it was sent. False after an Exception or a Cancel (the server may still have to read or send something).
   */
  clean = false;

  private released = false;
  /** The Query packet went to the socket: from then on an abort must send Cancel (and before, nothing at all). */
  private sent = false;
  private cancelling: Promise<void> | undefined;
  /** The read under way, if any: a cancel must let it finish before reading on. */
  private inflight: Promise<ServerMessage> | undefined;
  private readonly abortPromise: Promise<never> | undefined;
  private removeAbortListener: (() => void) | undefined;

  constructor(
    readonly connection: Connection,
    private readonly options: ResponseOptions,
  ) {
    const signal = options.signal;
    if (signal) {
      this.abortPromise = new Promise<never>((_, reject) => {
        const onAbort = () => {
          reject(new AbortError('The query was aborted', { cause: signal.reason }));
          // Cancel at once, even when nobody is reading: the server stops working and the connection comes back.
          // Before the Query went out there is nothing to cancel: the sender sees the abort and sends nothing.
          if (this.sent) void this.cancel(this.inflight);
        };
        if (signal.aborted) onAbort();
        else {
          signal.addEventListener('abort', onAbort, { once: true });
          this.removeAbortListener = () => signal.removeEventListener('abort', onAbort);
        }
      });
      // The abort promise is raced against reads; make sure an abort with no read pending is not "unhandled".
      this.abortPromise.catch(() => undefined);
    }
  }

  /** Called once the Query packet is handed to the socket. */
  markSent(): void {
    this.sent = true;
    if (this.options.signal?.aborted) void this.cancel(this.inflight);
  }

  get queryId(): string {
    return this.options.queryId;
  }

  summary(): QuerySummary {
    return {
      query_id: this.options.queryId,
      progress: { ...this.progress },
      profile_events: Object.assign(Object.create(null) as Record<string, number>, this.profileEvents),
      profile_info: this.profileInfo,
      totals: this.totals,
      extremes: this.extremes,
    };
  }

  /**
   * Reads packets until one that the caller must see: a Data packet, or EndOfStream. Bookkeeping packets are
   * consumed here. An Exception ends the query and is thrown. An abort sends Cancel, drains in the background,
   * and throws AbortError at once.
   */
  async next(): Promise<ServerMessage> {
    for (;;) {
      const message = await this.read();
      if (this.settle(message) && message.type === 'exception') throw message.error;
      switch (message.type) {
        case 'data':
          this.rowsReturned += message.block.rows;
          return message;
        case 'endOfStream':
          return message;
        case 'progress':
          this.addProgress(message.progress);
          break;
        case 'profileInfo':
          this.profileInfo = message.info;
          break;
        case 'totals':
          this.totals = message.block;
          break;
        case 'extremes':
          this.extremes = message.block;
          break;
        case 'log':
          this.emitLogs(message.block);
          break;
        case 'tableColumns':
          this.tableColumns = message.description;
          break;
        case 'timezoneUpdate':
          this.timezone = message.timezone;
          break;
        case 'profileEvents':
          this.addProfileEvents(message.block);
          break;
        case 'partUUIDs':
          break;
        default: {
          const error = new ProtocolError(`Unexpected ${message.type} packet during a query`);
          this.abandon(error);
          throw error;
        }
      }
    }
  }

  /** Reads packets to the end of the query, discarding data. */
  async drain(): Promise<void> {
    while (!this.finished) await this.next();
  }

  private async read(): Promise<ServerMessage> {
    if (this.finished) throw new ProtocolError('The query has already ended');
    if (this.cancelling) throw new AbortError('The query was aborted');
    const reading = this.connection.readPacket({
      compression: this.options.compression !== 'none',
      lazyStrings: this.lazyStrings,
    });
    this.inflight = reading;
    try {
      if (!this.abortPromise) return await this.guard(reading);
      return await Promise.race([this.guard(reading), this.abortPromise]);
    } finally {
      if (this.inflight === reading) this.inflight = undefined;
    }
  }

  /** A failed read means the connection is broken: give it up. */
  private async guard(reading: Promise<ServerMessage>): Promise<ServerMessage> {
    try {
      return await reading;
    } catch (error) {
      this.abandon(error as Error);
      throw error;
    }
  }

  private addProgress(increment: Progress): void {
    const p = this.progress;
    p.read_rows += increment.readRows;
    p.read_bytes += increment.readBytes;
    p.total_rows_to_read += increment.totalRowsToRead;
    p.total_bytes_to_read += increment.totalBytesToRead;
    p.written_rows += increment.writtenRows;
    p.written_bytes += increment.writtenBytes;
    p.elapsed_ns += increment.elapsedNs;
    this.options.onProgress?.({ ...p }, increment);
  }

  /** Adds a ProfileEvents block to the totals and hands its rows to on_profile_events. */
  private addProfileEvents(block: Block): void {
    const column = (name: string) => block.columns.find((c) => c.name === name)?.values;
    const names = column('name');
    const values = column('value');
    const types = column('type');
    if (!names || !values || !types) return;
    const onEvents = this.options.onProfileEvents;
    const events: ProfileEvent[] = [];
    const host = column('host_name');
    const time = column('current_time');
    const thread = column('thread_id');
    const totals = this.profileEvents;
    for (let i = 0; i < block.rows; i++) {
      const name = String(names[i]);
      const value = Number(values[i] as number | bigint);
      // Enum8('increment' = 1, 'gauge' = 2)
      const type = types[i] === 'gauge' || types[i] === 2 ? 'gauge' : 'increment';
      if (type === 'gauge') totals[name] = Math.max(totals[name] ?? value, value);
      else totals[name] = (totals[name] ?? 0) + value;
      if (onEvents) {
        events.push({
          host: host?.[i] as string,
          time: time?.[i] as Date,
          thread_id: thread?.[i] as number | bigint,
          type,
          name,
          value,
        });
      }
    }
    onEvents?.(events, Object.assign(Object.create(null) as Record<string, number>, totals));
  }

  private emitLogs(block: Block): void {
    const onLog = this.options.onLog;
    if (!onLog) return;
    const column = (name: string) => block.columns.find((c) => c.name === name)?.values;
    const time = column('event_time');
    const host = column('host_name');
    const queryId = column('query_id');
    // 18.16 sends thread_number UInt32; later servers thread_id UInt64 (docs/protocol.md §3.8).
    const thread = column('thread_id') ?? column('thread_number');
    const priority = column('priority');
    const source = column('source');
    const text = column('text');
    for (let i = 0; i < block.rows; i++) {
      onLog({
        time: time?.[i] as Date,
        host: host?.[i] as string,
        query_id: queryId?.[i] as string,
        thread_id: thread?.[i] as number | bigint,
        priority: priority?.[i] as number,
        source: source?.[i] as string,
        text: text?.[i] as string,
      });
    }
  }

  /**
   * The one place that decides what a packet that ends the query means for the connection, whoever reads it (the
   * caller, or the drain after a Cancel): EndOfStream leaves it clean for the next request; an Exception retires it
   * (see retire()). Returns true when `message` ended the query.
   */
  private settle(message: ServerMessage): boolean {
    if (message.type === 'endOfStream') {
      this.clean = true;
      this.end();
      return true;
    }
    if (message.type === 'exception') {
      this.failure = message.error;
      this.retire();
      return true;
    }
    return false;
  }

  /** The query is over and the connection is in a clean state. */
  private end(): void {
    this.finished = true;
    this.releaseOnce();
  }

  /**
   * After a server Exception the connection is closed rather than reused: servers before about 21.x raise some
   * errors (a syntax error on 18.16, for one) before reading the empty Data block that follows every Query, and
   * then take that block for the next request's first packet ("Unexpected packet Data received from client").
   */
  private retire(): void {
    this.finished = true;
    if (!this.options.pinned) this.connection.close();
    this.releaseOnce();
  }

  /** Gives the connection back unused: nothing of the query was sent. */
  release(): void {
    this.finished = true;
    this.clean = true;
    this.releaseOnce();
  }

  /** The connection can no longer be trusted. */
  abandon(error: Error): void {
    this.failure ??= error;
    this.finished = true;
    this.connection.destroy(error);
    this.releaseOnce();
  }

  private releaseOnce(): void {
    this.removeAbortListener?.();
    if (this.released) return;
    this.released = true;
    this.options.release(this.connection);
    this.options.onEnd?.(this, this.failure);
  }

  /**
   * Sends Cancel and reads the rest of the query in the background, then returns the connection to the pool.
   * `inflight` is a read already under way (it must finish before the next one starts).
   */
  cancel(inflight?: Promise<ServerMessage>): Promise<void> {
    if (this.finished) return Promise.resolve();
    this.cancelling ??= this.runCancel(inflight);
    return this.cancelling;
  }

  private async runCancel(inflight: Promise<ServerMessage> | undefined): Promise<void> {
    const timer = setTimeout(() => {
      this.abandon(new AbortError('The server did not end the query within 10 s of Cancel'));
    }, CANCEL_DRAIN_TIMEOUT_MS);
    try {
      await sendCancel(this.connection);
      // A read under way finishes first: its packet is the next one on the wire.
      const first = inflight ? await inflight.catch(() => undefined) : undefined;
      if (first === undefined && inflight) {
        // That read failed: the connection was given up already.
        if (!this.finished) this.abandon(this.connection.error ?? new AbortError('The query was aborted'));
        return;
      }
      const start = this.connection.reader.offset;
      let message = first;
      while (!this.finished && !(message && this.settle(message))) {
        if (!this.options.pinned && this.connection.reader.offset - start > CANCEL_DRAIN_MAX_BYTES) {
          this.abandon(new AbortError('The query was cancelled; its connection was closed rather than drained'));
          return;
        }
        message = await this.connection.readPacket({ compression: this.options.compression !== 'none' });
      }
    } catch (error) {
      if (!this.finished) this.abandon(error as Error);
    } finally {
      clearTimeout(timer);
    }
  }
}
