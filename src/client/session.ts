/**
 * A session: one native connection pinned for a sequence of calls, so that what a connection remembers (temporary
 * tables, `SET`, `USE`, `SET ROLE`) holds from one call to the next. Over the native protocol the connection *is*
 * the server's session: there is no session id to send.
 *
 * - The connection is leased from the client's pool at the first call and kept until `close()`, which closes it (its
 *   state must not leak to the pool's other users) and frees the pool slot.
 * - Calls run one at a time, in call order: a result holds the session until it is consumed or closed. A waiting call
 *   fails with SessionBusyError when the session has not moved on for request_timeout_ms (an unconsumed result).
 * - A server error does not end the session. Servers before about 21.x may raise an error before reading the empty
 *   Data block that follows every Query, and would then take that block for the next request's first packet. So
 *   after any call that did not end with EndOfStream (an Exception, a Cancel), the next call first sends Ping and
 *   reads up to the Pong, skipping the server's complaint about the stray block if there is one: the connection is
 *   then in step again, its state intact.
 * - When the connection itself is lost (reset, timeout, protocol error), the session is over: every later call throws
 *   SessionClosedError, since its temporary tables and settings are gone with it. Nothing is silently reconnected.
 */
import { PinnedConnection, type ConnectionSource, type PinnedConnectionHost } from '../connection/pinned.js';
import type { CommandParams, CommandResult, InsertParams, InsertResult, QueryParams } from './params.js';
import type { ResultSet, Row } from './result-set.js';

/** What a session needs from its client: the pool, and the client's calls run through a given source. */
export interface SessionHost extends PinnedConnectionHost {
  query<T>(source: ConnectionSource, params: QueryParams): Promise<ResultSet<T>>;
  command(source: ConnectionSource, params: CommandParams): Promise<CommandResult>;
  insert(source: ConnectionSource, params: InsertParams): Promise<InsertResult>;
}

/**
 * A handle on one pinned connection (see the file comment): `query`, `command` and `insert` as on the client, with
 * temporary tables, SET, USE and roles kept across calls. `close()` (or `await using`) ends it.
 */
export class ClickHouseSession {
  private readonly pinned: PinnedConnection;

  constructor(private readonly host: SessionHost) {
    this.pinned = new PinnedConnection(host);
    Object.defineProperty(this, 'host', { enumerable: false });
  }

  /** True once close() was called. */
  get closed(): boolean {
    return this.pinned.closed;
  }

  async query<T = Row>(params: QueryParams): Promise<ResultSet<T>> {
    await this.pinned.open(params.abort_signal);
    return this.host.query<T>(this.pinned, params);
  }

  async command(params: CommandParams): Promise<CommandResult> {
    await this.pinned.open(params.abort_signal);
    return this.host.command(this.pinned, params);
  }

  /**
   * Inserts on the session's connection (temporary tables included). Never resent: the connection is the session,
   * so an insert whose answer was lost throws InsertOutcomeUnknownError.
   */
  async insert(params: InsertParams): Promise<InsertResult> {
    await this.pinned.open(params.abort_signal);
    return this.host.insert(this.pinned, params);
  }

  /**
   * Ends the session: closes its connection (now, or when the call holding it ends) and frees its pool slot. Calls
   * waiting for the session are rejected.
   */
  async close(): Promise<void> {
    this.pinned.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
