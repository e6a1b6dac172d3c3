/**
 * Several servers behind one client: a ConnectionPool per host, a load-balancing order, failover on connect errors,
 * and health checks. A host whose connect (or handshake) fails with a ConnectionError is marked down and skipped
 * while its back-off runs (doubling from `backoffInitialMs` up to `backoffMaxMs`); a ping then checks it in the
 * background, and a good answer brings it back. When every host is down, they are all tried anyway (down ones last),
 * so an outage of the whole set fails fast with every host's error instead of waiting out back-offs.
 *
 * Only the connection is failed over: a request already running on a host that dies fails with a ConnectionError,
 * and the caller's retry (e.g. the idempotent insert retries) acquires again, from another host.
 */
import { AbortError, ConnectionError } from '../errors.js';
import { PING_PACKET } from '../protocol/client-packets.js';
import type { Connection, ConnectionOptions } from './connection.js';
import { SILENT_LOG } from './log.js';
import { ConnectionPool, type PoolOptions, type PoolStats } from './pool.js';

export type LoadBalancing = 'random' | 'round_robin' | 'in_order' | 'first_or_random';

export const LOAD_BALANCING_MODES: readonly LoadBalancing[] = ['random', 'round_robin', 'in_order', 'first_or_random'];

export interface HostAddress {
  host: string;
  port: number;
}

export interface MultiHostOptions {
  loadBalancing: LoadBalancing;
  /** First back-off of a failed host. Default 500 ms. */
  backoffInitialMs?: number;
  /** Longest back-off. Default 30 000 ms. */
  backoffMaxMs?: number;
}

export interface HostStatus {
  host: string;
  port: number;
  healthy: boolean;
  /** Consecutive failed connects / health checks. */
  failures: number;
  /** Open connections. */
  connections: number;
  lastError: Error | undefined;
}

/** One host's pool counts (client.poolStats().hosts). */
export interface HostPoolStats extends PoolStats {
  host: string;
  port: number;
  /** False while the host is marked down (skipped until a health check finds it answering). */
  healthy: boolean;
}

interface HostState {
  address: HostAddress;
  pool: ConnectionPool;
  failures: number;
  /** Skipped until then (ms since the epoch); 0 = healthy. */
  downUntil: number;
  lastError: Error | undefined;
  timer: NodeJS.Timeout | undefined;
}

/** `host`, `host:port`, `[v6]`, `[v6]:port` (the default port when none). */
export function parseHostAddress(text: string, defaultPort: number): HostAddress | undefined {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(text) ?? /^([^:]+)(?::(\d+))?$/.exec(text);
  if (!m || m[1]!.length === 0) return undefined;
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) return undefined;
  return { host: m[1]!, port };
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** Ping → Pong on a leased connection (stray Progress packets are skipped, as the reference client does). */
export async function pingConnection(connection: Connection): Promise<void> {
  await connection.send(PING_PACKET);
  for (;;) {
    const message = await connection.readPacket({ compression: false });
    if (message.type === 'pong') return;
    if (message.type !== 'progress')
      throw new ConnectionError(`Expected Pong from ${connection.address}, got ${message.type}`);
  }
}

export class MultiHostPool {
  private readonly hosts: HostState[];
  private readonly owners = new WeakMap<Connection, ConnectionPool>();
  private readonly backoffInitialMs: number;
  private readonly backoffMaxMs: number;
  private next = 0;
  private closed = false;

  constructor(
    options: Omit<ConnectionOptions, 'host' | 'port'>,
    addresses: readonly HostAddress[],
    private readonly poolOptions: PoolOptions,
    private readonly multi: MultiHostOptions,
  ) {
    if (addresses.length === 0) throw new ConnectionError('No hosts to connect to');
    this.hosts = addresses.map((address) => ({
      address,
      pool: new ConnectionPool(
        { ...options, host: address.host, port: address.port } as ConnectionOptions,
        poolOptions,
      ),
      failures: 0,
      downUntil: 0,
      lastError: undefined,
      timer: undefined,
    }));
    this.backoffInitialMs = multi.backoffInitialMs ?? 500;
    this.backoffMaxMs = multi.backoffMaxMs ?? 30_000;
  }

  get size(): number {
    return this.hosts.reduce((n, h) => n + h.pool.size, 0);
  }

  /** The counts of every host's pool, summed, and each host's own (`hosts`, in the configured order). */
  stats(): PoolStats & { hosts: HostPoolStats[] } {
    const total: PoolStats = { open: 0, idle: 0, in_use: 0, waiting: 0 };
    const hosts: HostPoolStats[] = [];
    for (const h of this.hosts) {
      const s = h.pool.stats();
      total.open += s.open;
      total.idle += s.idle;
      total.in_use += s.in_use;
      total.waiting += s.waiting;
      hosts.push({ host: h.address.host, port: h.address.port, healthy: h.downUntil === 0, ...s });
    }
    return { ...total, hosts };
  }

  /** Each host's health, in the configured order. */
  status(): HostStatus[] {
    return this.hosts.map((h) => ({
      host: h.address.host,
      port: h.address.port,
      healthy: h.downUntil === 0,
      failures: h.failures,
      connections: h.pool.size,
      lastError: h.lastError,
    }));
  }

  /** The hosts in the order this acquire tries them: by the load-balancing mode, healthy ones first. */
  private order(): HostState[] {
    const n = this.hosts.length;
    let ordered: HostState[];
    switch (this.multi.loadBalancing) {
      case 'in_order':
        ordered = [...this.hosts];
        break;
      case 'first_or_random':
        ordered = [this.hosts[0]!, ...shuffle(this.hosts.slice(1))];
        break;
      case 'round_robin': {
        const start = this.next++ % n;
        ordered = [...this.hosts.slice(start), ...this.hosts.slice(0, start)];
        break;
      }
      default:
        ordered = shuffle([...this.hosts]);
    }
    const now = Date.now();
    const up = ordered.filter((h) => h.downUntil <= now);
    const down = ordered.filter((h) => h.downUntil > now).sort((a, b) => a.downUntil - b.downUntil);
    return [...up, ...down];
  }

  async acquire(signal?: AbortSignal): Promise<Connection> {
    if (this.closed) throw new ConnectionError('The client is closed');
    const errors: string[] = [];
    let last: unknown;
    for (const host of this.order()) {
      if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
      try {
        const connection = await host.pool.acquire(signal);
        this.owners.set(connection, host.pool);
        this.markUp(host);
        return connection;
      } catch (error) {
        // Only a failed connect moves on to the next host; a refused login, an abort, a closed client do not.
        if (!(error instanceof ConnectionError) || this.closed) throw error;
        this.markDown(host, error);
        last = error;
        errors.push(`${host.address.host}:${host.address.port}: ${error.message}`);
      }
    }
    throw new ConnectionError(`No host could be reached (${errors.join('; ')})`, { cause: last });
  }

  release(connection: Connection): void {
    const pool = this.owners.get(connection);
    if (pool) pool.release(connection);
    else connection.destroy();
  }

  private get log() {
    return this.poolOptions.log ?? SILENT_LOG;
  }

  private markUp(host: HostState): void {
    if (host.downUntil !== 0) {
      this.log.info(`host ${host.address.host}:${host.address.port} is back after ${host.failures} failure(s)`, {
        host: host.address.host,
        port: host.address.port,
      });
    }
    host.failures = 0;
    host.downUntil = 0;
    if (host.timer) clearTimeout(host.timer);
    host.timer = undefined;
  }

  private markDown(host: HostState, error: Error): void {
    host.failures++;
    host.lastError = error;
    const base = Math.min(this.backoffMaxMs, this.backoffInitialMs * 2 ** Math.min(30, host.failures - 1));
    const delay = Math.round(base * (0.75 + Math.random() * 0.5));
    host.downUntil = Date.now() + delay;
    this.log.warn(
      `failover: host ${host.address.host}:${host.address.port} marked down for ${delay} ms: ${error.message}`,
      { host: host.address.host, port: host.address.port, failures: host.failures, backoff_ms: delay },
    );
    if (host.timer) clearTimeout(host.timer);
    host.timer = setTimeout(() => void this.healthCheck(host), delay);
    host.timer.unref();
  }

  /** Pings a down host once its back-off ran out: healthy again on a Pong, a longer back-off otherwise. */
  private async healthCheck(host: HostState): Promise<void> {
    host.timer = undefined;
    if (this.closed || host.downUntil === 0) return;
    let connection: Connection | undefined;
    try {
      connection = await host.pool.acquire();
      await pingConnection(connection);
      host.pool.release(connection);
      this.markUp(host);
    } catch (error) {
      if (connection) {
        connection.destroy();
        host.pool.release(connection);
      }
      if (!this.closed) this.markDown(host, error as Error);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const host of this.hosts) {
      if (host.timer) clearTimeout(host.timer);
      host.timer = undefined;
    }
    await Promise.all(this.hosts.map((h) => h.pool.close()));
  }
}
