/**
 * A pool of connections to one server. A connection runs one query at a time; a broken one is destroyed, never
 * handed out again.
 */
import { AbortError, ConnectionError } from '../errors.js';
import { Connection, type ConnectionOptions } from './connection.js';

interface Waiter {
  resolve: (connection: Connection) => void;
  reject: (error: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

export class ConnectionPool {
  private readonly idle: Connection[] = [];
  private readonly waiters: Waiter[] = [];
  private open = 0;
  private closed = false;

  constructor(
    private readonly options: ConnectionOptions,
    private readonly maxOpenConnections: number,
  ) {}

  /** Connections currently open (idle or in use). */
  get size(): number {
    return this.open;
  }

  async acquire(signal?: AbortSignal): Promise<Connection> {
    if (this.closed) throw new ConnectionError('The client is closed');
    if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
    while (this.idle.length > 0) {
      const connection = this.idle.pop()!;
      if (connection.usable) return connection;
      this.discard(connection);
    }
    if (this.open < this.maxOpenConnections) return this.connect();
    return new Promise<Connection>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          const index = this.waiters.indexOf(waiter);
          if (index >= 0) this.waiters.splice(index, 1);
          reject(new AbortError(undefined, { cause: signal?.reason }));
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private async connect(): Promise<Connection> {
    this.open++;
    try {
      return await Connection.open(this.options);
    } catch (error) {
      this.open--;
      this.serveWaiter();
      throw error;
    }
  }

  /** Returns a connection after use; a broken one is destroyed. */
  release(connection: Connection): void {
    if (this.closed || !connection.usable) {
      this.discard(connection);
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter.signal?.removeEventListener('abort', waiter.onAbort);
      waiter.resolve(connection);
      return;
    }
    this.idle.push(connection);
  }

  private discard(connection: Connection): void {
    connection.destroy();
    this.open--;
    this.serveWaiter();
  }

  /** A slot freed up: open a connection for the longest waiter. */
  private serveWaiter(): void {
    if (this.closed || this.open >= this.maxOpenConnections) return;
    const waiter = this.waiters.shift();
    if (!waiter) return;
    waiter.signal?.removeEventListener('abort', waiter.onAbort);
    this.connect().then(waiter.resolve, waiter.reject);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const connection of this.idle.splice(0)) {
      connection.close();
      this.open--;
    }
    for (const waiter of this.waiters.splice(0)) {
      waiter.signal?.removeEventListener('abort', waiter.onAbort);
      waiter.reject(new ConnectionError('The client was closed'));
    }
  }
}
