/**
 * A pool of connections to one server. A connection runs one query at a time; a broken one is destroyed, never
 * handed out again.
 *
 * Idle connections hold nothing of the process: their sockets are unref'd (a script that never calls close() still
 * exits, as with undici and @clickhouse/client), and so is the timer that closes them after `idleTtlMs`. A connection
 * is ref'd again while a request uses it. An idle connection past its idle TTL or past `maxLifetimeMs` is closed
 * instead of being handed out, so a socket a NAT or load balancer dropped silently does not stall the next query.
 */
import { AbortError, ConnectionError, PoolExhaustedError } from '../errors.js';
import { Connection, type ConnectionOptions } from './connection.js';
import { SILENT_LOG, type Log } from './log.js';

export interface PoolOptions {
  /** Most connections open at once (idle or in use). */
  maxOpenConnections: number;
  /** Longest wait for a free connection when all are in use; 0 = no limit. */
  acquireTimeoutMs: number;
  /** An idle connection unused this long is closed; 0 = never. */
  idleTtlMs: number;
  /** A connection this old is closed when it next falls idle, never handed out again; 0 = no limit. */
  maxLifetimeMs: number;
  /** Where connects, failed connects and pool exhaustion are logged. */
  log?: Log;
}

/** The pool's counts, for diagnostics (client.poolStats()). */
export interface PoolStats {
  /** Connections open: idle + in use (a connection still being opened counts as in use). */
  open: number;
  /** Open and waiting in the pool for a request. */
  idle: number;
  /** Held by a request: running, being read, unread results, a Cancel still draining. */
  in_use: number;
  /** Requests waiting for a connection to free up. */
  waiting: number;
}

interface Waiter {
  resolve: (connection: Connection) => void;
  reject: (error: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
  timer: NodeJS.Timeout | undefined;
}

interface IdleEntry {
  connection: Connection;
  /** performance-clock ms when it fell idle. */
  since: number;
}

export class ConnectionPool {
  private readonly idle: IdleEntry[] = [];
  private readonly waiters: Waiter[] = [];
  private open = 0;
  private closed = false;
  /** Closes idle connections once their TTL runs out; unref'd. */
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: ConnectionOptions,
    private readonly pool: PoolOptions,
  ) {}

  private get log(): Log {
    return this.pool.log ?? SILENT_LOG;
  }

  private get address(): string {
    return `${this.options.host}:${this.options.port}`;
  }

  /** Connections currently open (idle or in use). */
  get size(): number {
    return this.open;
  }

  stats(): PoolStats {
    return {
      open: this.open,
      idle: this.idle.length,
      in_use: this.open - this.idle.length,
      waiting: this.waiters.length,
    };
  }

  async acquire(signal?: AbortSignal): Promise<Connection> {
    if (this.closed) throw new ConnectionError('The client is closed');
    if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
    const now = performance.now();
    while (this.idle.length > 0) {
      // The most recently used first: the others age out.
      const { connection, since } = this.idle.pop()!;
      if (connection.usable && !this.expired(connection, since, now)) {
        connection.ref();
        return connection;
      }
      this.discard(connection);
    }
    if (this.open < this.pool.maxOpenConnections) return this.connect(signal);
    return this.wait(signal);
  }

  /** Waits for a connection to be released (or a slot to free up), bounded by acquireTimeoutMs. */
  private wait(signal: AbortSignal | undefined): Promise<Connection> {
    const started = performance.now();
    return new Promise<Connection>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        timer: undefined,
        onAbort: () => {
          this.dropWaiter(waiter);
          reject(new AbortError(undefined, { cause: signal?.reason }));
        },
      };
      const limit = this.pool.acquireTimeoutMs;
      if (limit > 0) {
        waiter.timer = setTimeout(() => {
          this.dropWaiter(waiter);
          const max = this.pool.maxOpenConnections;
          this.log.warn(`connection pool for ${this.address} exhausted: no connection freed up in ${limit} ms`, {
            host: this.options.host,
            port: this.options.port,
            ...this.stats(),
          });
          reject(
            new PoolExhaustedError(
              `The connection pool is exhausted: all ${max} connections (max_open_connections) stayed in use for ` +
                `${limit} ms (pool_acquire_timeout_ms). A connection is held until its request ends, and a query's ` +
                `result holds it until the result is read to the end, closed or aborted: consume every ResultSet ` +
                `(json(), for await, or close()), or raise max_open_connections / pool_acquire_timeout_ms`,
              { maxOpenConnections: max, waitedMs: Math.round(performance.now() - started) },
            ),
          );
        }, limit);
      }
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private dropWaiter(waiter: Waiter): void {
    const index = this.waiters.indexOf(waiter);
    if (index >= 0) this.waiters.splice(index, 1);
    this.settleWaiter(waiter);
  }

  /** Detaches a waiter's abort listener and timer (it is being served, or gave up). */
  private settleWaiter(waiter: Waiter): void {
    waiter.signal?.removeEventListener('abort', waiter.onAbort);
    clearTimeout(waiter.timer);
  }

  /**
   * Opens a connection for a request. An abort rejects at once; the handshake still completes in the background
   * and its connection joins the pool (or is closed if it fails), so nothing is sent for the aborted request.
   */
  private connect(signal?: AbortSignal): Promise<Connection> {
    this.open++;
    const started = performance.now();
    const opening = Connection.open(this.options).then(
      (connection) => {
        this.log.debug(`connected to ${this.address}`, {
          host: this.options.host,
          port: this.options.port,
          server: `${connection.server.name} ${connection.server.versionMajor}.${connection.server.versionMinor}`,
          revision: connection.revision,
          ms: Math.round(performance.now() - started),
          open: this.open,
        });
        return connection;
      },
      (error: unknown) => {
        this.open--;
        this.log.warn(`connecting to ${this.address} failed: ${(error as Error).message}`, {
          host: this.options.host,
          port: this.options.port,
        });
        this.serveWaiter();
        throw error;
      },
    );
    if (!signal) return opening;
    return new Promise<Connection>((resolve, reject) => {
      let aborted = false;
      const onAbort = () => {
        aborted = true;
        reject(new AbortError(undefined, { cause: signal.reason }));
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
      opening.then(
        (connection) => {
          signal.removeEventListener('abort', onAbort);
          if (aborted) this.release(connection);
          else resolve(connection);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          if (!aborted) reject(error);
        },
      );
    });
  }

  /** Returns a connection after use; a broken one (or one past its lifetime) is destroyed. */
  release(connection: Connection): void {
    if (this.closed || !connection.usable || this.expired(connection, performance.now(), performance.now())) {
      this.discard(connection);
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) {
      this.settleWaiter(waiter);
      waiter.resolve(connection);
      return;
    }
    connection.unref();
    this.idle.push({ connection, since: performance.now() });
    this.scheduleSweep();
  }

  /** Past its maximum lifetime, or idle longer than the idle TTL. */
  private expired(connection: Connection, idleSince: number, now: number): boolean {
    const { idleTtlMs, maxLifetimeMs } = this.pool;
    if (maxLifetimeMs > 0 && now - connection.openedAt >= maxLifetimeMs) return true;
    return idleTtlMs > 0 && now - idleSince >= idleTtlMs;
  }

  /** Arms the unref'd timer that closes the oldest idle connection when its TTL (or lifetime) runs out. */
  private scheduleSweep(): void {
    if (this.sweepTimer !== undefined || this.idle.length === 0) return;
    const { idleTtlMs, maxLifetimeMs } = this.pool;
    if (idleTtlMs === 0 && maxLifetimeMs === 0) return;
    const now = performance.now();
    let due = Infinity;
    for (const { connection, since } of this.idle) {
      if (idleTtlMs > 0) due = Math.min(due, since + idleTtlMs);
      if (maxLifetimeMs > 0) due = Math.min(due, connection.openedAt + maxLifetimeMs);
    }
    this.sweepTimer = setTimeout(() => this.sweep(), Math.max(0, Math.ceil(due - now)));
    this.sweepTimer.unref();
  }

  private sweep(): void {
    this.sweepTimer = undefined;
    const now = performance.now();
    for (let i = this.idle.length - 1; i >= 0; i--) {
      const { connection, since } = this.idle[i]!;
      if (!connection.usable || this.expired(connection, since, now)) {
        this.idle.splice(i, 1);
        this.discard(connection, true);
      }
    }
    this.scheduleSweep();
  }

  private discard(connection: Connection, graceful = false): void {
    if (graceful) connection.close();
    else connection.destroy();
    this.open--;
    this.serveWaiter();
  }

  /** A slot freed up: open a connection for the longest waiter. */
  private serveWaiter(): void {
    if (this.closed || this.open >= this.pool.maxOpenConnections) return;
    const waiter = this.waiters.shift();
    if (!waiter) return;
    this.settleWaiter(waiter);
    this.connect(waiter.signal).then(waiter.resolve, waiter.reject);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.sweepTimer);
    this.sweepTimer = undefined;
    for (const { connection } of this.idle.splice(0)) {
      connection.close();
      this.open--;
    }
    for (const waiter of this.waiters.splice(0)) {
      this.settleWaiter(waiter);
      waiter.reject(new ConnectionError('The client was closed'));
    }
  }
}
