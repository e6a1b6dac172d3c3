/**
 * A session's pinned connection (see src/client/session.ts for what a session promises): one connection leased from
 * the pool at the first call and handed to one call at a time, brought back in step (Ping, read to Pong) after a call
 * that did not end with EndOfStream, and given up for good when the connection is lost.
 */
import type { Compression } from '../compression/frame.js';
import { AbortError, SessionBusyError, SessionClosedError } from '../errors.js';
import { PING_PACKET } from '../protocol/client-packets.js';
import type { Connection } from './connection.js';

/** Where a call gets its connection: the pool, or a session's pinned connection. */
export interface ConnectionSource {
  acquire(signal?: AbortSignal): Promise<Connection>;
  /** `clean`: the call ended with EndOfStream, or sent nothing (see QueryResponse.clean). */
  release(connection: Connection, clean: boolean): void;
  /** True for a session: keep the connection after a server Exception, refuse nothing. */
  readonly pinned: boolean;
  /** Block compression for calls through this source, when it differs from the client's. */
  readonly compression?: Compression;
}

/**
 * From this revision on, sessions compress as the client is configured to. Older servers (18.16 for one) do not read
 * the empty Data block after a Query that failed early, and then read it as the next packet with the compression of
 * the last query that read data, which the stray block need not match: a compressed stray block is taken for garbage
 * ("Unknown packet … from client") and the server drops the connection, the session's state with it. Uncompressed,
 * the server reads it, answers "Unexpected packet Data", and goes on (checked on 18.16). Servers that negotiate 54460
 * or more read that block whatever happens (checked on 26.7 at 54460 and at 54488; an old server that did not would
 * still be brought back in step by the Ping, as long as the block matches its compression).
 */
const SESSION_COMPRESSION_MIN_REVISION = 54460;

/** What a pinned connection needs: the pool it leases from, the wait bound and the client's compression. */
export interface PinnedConnectionHost {
  acquire(signal?: AbortSignal): Promise<Connection>;
  release(connection: Connection): void;
  requestTimeoutMs: number;
  compression: Compression;
}

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
  /** The session moved on to another call: the wait starts over (it bounds a stall, not a queue). */
  restart: () => void;
}

/** The pinned connection of a session, handed to one call at a time. */
export class PinnedConnection implements ConnectionSource {
  readonly pinned = true;
  compression: Compression | undefined;
  private connection: Connection | undefined;
  private opening: Promise<void> | undefined;
  private busy = false;
  private readonly waiters: Waiter[] = [];
  private needsResync = false;
  private lostBecause: Error | undefined;
  closed = false;

  constructor(private readonly host: PinnedConnectionHost) {}

  async acquire(signal?: AbortSignal): Promise<Connection> {
    if (this.closed) throw new SessionClosedError('The session is closed');
    await this.lock(signal);
    try {
      await this.open(signal);
      if (this.lostBecause) throw this.lostError();
      if (this.needsResync || !this.connection!.usable) await this.resync(this.connection!);
      return this.connection!;
    } catch (error) {
      this.unlock();
      throw error;
    }
  }

  /**
   * Leases the session's connection from the pool, once, and decides the session's compression from its revision.
   * Done before a call is built, so that the call (an insert's blocks, too) uses that compression.
   */
  open(signal?: AbortSignal): Promise<void> {
    if (this.closed) return Promise.reject(new SessionClosedError('The session is closed'));
    this.opening ??= this.host.acquire(signal).then(
      (connection) => {
        if (this.closed) {
          connection.close();
          this.host.release(connection);
          throw new SessionClosedError('The session was closed');
        }
        this.connection = connection;
        this.compression = connection.revision < SESSION_COMPRESSION_MIN_REVISION ? 'none' : this.host.compression;
      },
      (error: unknown) => {
        this.opening = undefined; // the next call tries again: nothing of the session existed yet
        throw error;
      },
    );
    return this.opening;
  }

  release(connection: Connection, clean: boolean): void {
    if (!connection.usable) this.lose(connection.error ?? new Error('the connection was closed'));
    else this.needsResync = !clean;
    this.unlock();
  }

  private lostError(): SessionClosedError {
    return new SessionClosedError(
      `The session's connection was lost (${this.lostBecause!.message}): its temporary tables, settings and current ` +
        'database are gone with it. Open a new session',
      { cause: this.lostBecause },
    );
  }

  private lose(reason: Error): void {
    this.lostBecause ??= reason;
    const connection = this.connection;
    this.connection = undefined;
    if (connection) {
      connection.destroy(reason);
      this.host.release(connection);
    }
  }

  /** Ping, and read to the Pong: brings the connection back in step after an Exception or a Cancel. */
  private async resync(connection: Connection): Promise<void> {
    try {
      if (!connection.usable) throw connection.error ?? new Error('the connection was closed');
      await connection.send(PING_PACKET);
      for (;;) {
        const message = await connection.readPacket({ compression: false });
        if (message.type === 'pong') break;
        // 18.16 answers a stray empty Data block with an Exception ("Unexpected packet Data received from client"),
        // before the Pong; Progress and logs of the ended query may trail too.
        if (
          message.type === 'exception' ||
          message.type === 'progress' ||
          message.type === 'log' ||
          message.type === 'profileEvents'
        ) {
          continue;
        }
        throw new Error(`unexpected ${message.type} packet while waiting for Pong`);
      }
      this.needsResync = false;
    } catch (error) {
      this.lose(error as Error);
      throw this.lostError();
    }
  }

  private lock(signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) return Promise.reject(new AbortError(undefined, { cause: signal.reason }));
    if (!this.busy) {
      this.busy = true;
      return Promise.resolve();
    }
    const limit = this.host.requestTimeoutMs;
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: () => {
          cleanup();
          resolve();
        },
        reject: (error) => {
          cleanup();
          reject(error);
        },
        restart: () => {},
      };
      const drop = () => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
      };
      const onAbort = () => {
        drop();
        waiter.reject(new AbortError(undefined, { cause: signal?.reason }));
      };
      const expire = () => {
        drop();
        waiter.reject(
          new SessionBusyError(
            `Waited ${limit} ms (request_timeout_ms) for the session's current call to end: a result of this ` +
              'session is still open. Consume it (json(), iterate) or close() it before the next call',
          ),
        );
      };
      let timer = limit > 0 ? setTimeout(expire, limit) : undefined;
      waiter.restart = () => {
        if (timer === undefined) return;
        clearTimeout(timer);
        timer = setTimeout(expire, limit);
      };
      const cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private unlock(): void {
    const next = this.waiters.shift();
    if (next) {
      next.resolve();
      for (const waiter of this.waiters) waiter.restart();
    } else {
      this.busy = false;
      if (this.closed) this.dispose();
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) waiter.reject(new SessionClosedError('The session was closed'));
    if (!this.busy) this.dispose();
  }

  /** Closes the pinned connection: its state (temporary tables, settings) must not reach the pool's other users. */
  private dispose(): void {
    const connection = this.connection;
    this.connection = undefined;
    if (connection) {
      connection.close();
      this.host.release(connection);
    }
  }
}
