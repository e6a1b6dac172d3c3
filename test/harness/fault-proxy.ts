/**
 * A TCP proxy for fault tests: listens on 127.0.0.1 only, forwards every connection to a ClickHouse server's native
 * port, and breaks the next INSERT at a chosen point of its exchange.
 *
 * The proxy follows the exchange by turns of speech, not by parsing packets. The native protocol is strictly
 * request/response on a connection, and an INSERT goes (docs/protocol.md §4.3):
 *
 *   client: Hello            server: Hello                         (new connections only)
 *   client: Query + empty    server: [TableColumns] header block
 *   client: Data … empty     server: [Progress …] EndOfStream
 *
 * so every change of direction starts the next phase. A client turn is an INSERT when its Query packet carries the
 * text `INSERT INTO` (the Query packet is never compressed); any other query is a single request/response pair.
 * The server sends nothing while an INSERT's data streams in (18.16; newer servers may send Progress, which would
 * end the 'data' phase early: this proxy is meant for the 18.16 server of the fault suite).
 *
 * Fault points of the next INSERT (`failNextInsert`):
 *   before-data   the client's first Data bytes are not forwarded; the server saw the query, no row
 *   mid-data      `afterBytes` of the client's Data bytes are forwarded, the rest not (default: half of the last
 *                 INSERT's data phase that passed whole)
 *   after-data    every Data byte (the empty block included) reached the server, which committed; its answer is
 *                 not forwarded
 *   after-eos     the answer, up to its EndOfStream, is forwarded, then the connection is closed (a FIN after the
 *                 bytes): the client has its acknowledgement, and its pooled connection is dead
 * Actions: 'cut' destroys both sockets; 'blackhole' drops every further byte in both directions and keeps the
 * sockets open (a network partition: the client only learns through its own timeout).
 *
 * `setDelay(ms)` delays every forwarded chunk (both directions, order kept); `setBlackhole(true)` swallows all
 * traffic of every connection, new ones included.
 */
import net from 'node:net';

export type FaultPoint = 'before-data' | 'mid-data' | 'after-data' | 'after-eos';
export type FaultAction = 'cut' | 'blackhole';

export interface Fault {
  at: FaultPoint;
  action?: FaultAction;
  /** mid-data: Data bytes forwarded before the fault. */
  afterBytes?: number;
}

export interface FaultProxyStats {
  connections: number;
  /** Faults that fired. */
  faults: number;
  /** Bytes of the last INSERT data phase that went through whole (for choosing a mid-data point). */
  lastDataBytes: number;
  inserts: number;
}

/** The client's bytes of one INSERT's data phase (Data packets, the empty one included), as forwarded. */
export interface CapturedInsert {
  /** Bytes that reached the server. */
  forwarded: Buffer;
  /** True when a fault cut the phase short or swallowed the answer. */
  faulted: boolean;
}

type Phase = 'hello' | 'server-hello' | 'query' | 'header' | 'data' | 'response' | 'reply';

interface Tunnel {
  client: net.Socket;
  server: net.Socket;
  phase: Phase;
  /** Bytes of the current phase so far. */
  phaseBytes: number;
  /** The current client turn's first bytes, to tell an INSERT from other queries. */
  queryHead: Buffer;
  isInsert: boolean;
  /** The fault this connection's INSERT carries, once it claimed the pending one. */
  fault: Fault | undefined;
  blackholed: boolean;
  closed: boolean;
  /** The capture of this connection's current (or last) INSERT, while capturing. */
  capture: CapturedInsert | undefined;
  /** True during the data phase of a captured INSERT. */
  capturing: boolean;
  /** Forwarding queue per direction when a delay is set. */
  toServer: Promise<void>;
  toClient: Promise<void>;
}

const INSERT_MARK = Buffer.from('INSERT INTO');
/** ServerPacket.EndOfStream: a packet of this one byte ends every successful query. */
const END_OF_STREAM = 5;

/**
 * The answer to an INSERT ends with EndOfStream, a lone byte 5. A chunk ending in 5 could in theory end inside a
 * Progress packet instead; the proxy then cuts one packet early, which the suite would see as a retry.
 */
function endsWithEndOfStream(chunk: Buffer): boolean {
  return chunk.length > 0 && chunk[chunk.length - 1] === END_OF_STREAM;
}
const QUERY_HEAD_BYTES = 64 * 1024;

export class FaultProxy {
  readonly host = '127.0.0.1';
  port = 0;
  readonly stats: FaultProxyStats = { connections: 0, faults: 0, lastDataBytes: 0, inserts: 0 };

  private readonly listener: net.Server;
  private readonly tunnels = new Set<Tunnel>();
  private pending: Fault | undefined;
  private delayMs = 0;
  private blackholeAll = false;
  private faultFired: Array<() => void> = [];
  /** Every INSERT's data phase, in order of their start, while `capture` is on. */
  readonly captures: CapturedInsert[] = [];
  /** Record the data phase of each INSERT into `captures`. */
  capture = false;

  private constructor(private readonly target: { host: string; port: number }) {
    this.listener = net.createServer((client) => this.accept(client));
  }

  /** Starts a proxy in front of `target` (a native port), on a free 127.0.0.1 port. */
  static async start(target: { host: string; port: number }): Promise<FaultProxy> {
    const proxy = new FaultProxy(target);
    await new Promise<void>((resolve, reject) => {
      proxy.listener.once('error', reject);
      proxy.listener.listen(0, '127.0.0.1', () => resolve());
    });
    const address = proxy.listener.address();
    proxy.port = typeof address === 'object' && address ? address.port : 0;
    return proxy;
  }

  /** Arms a one-shot fault for the next INSERT that reaches its point (on any connection). */
  failNextInsert(fault: Fault): void {
    this.pending = { action: 'cut', ...fault };
  }

  /** True while an armed fault has not fired yet. */
  get armed(): boolean {
    return this.pending !== undefined;
  }

  /** Resolves when the next fault fires. */
  faultFiredOnce(): Promise<void> {
    return new Promise((resolve) => this.faultFired.push(resolve));
  }

  /** Delays every forwarded chunk by `ms` (0 turns it off). */
  setDelay(ms: number): void {
    this.delayMs = ms;
  }

  /** Swallows every byte of every connection (new ones too) while on; sockets stay open. */
  setBlackhole(on: boolean): void {
    this.blackholeAll = on;
  }

  /** Destroys every open connection (as a server crash would, seen from the client). */
  cutAll(): void {
    for (const tunnel of this.tunnels) this.destroyTunnel(tunnel);
  }

  get openConnections(): number {
    return this.tunnels.size;
  }

  async close(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.listener.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    this.stats.connections++;
    const server = net.connect({ host: this.target.host, port: this.target.port });
    client.setNoDelay(true);
    server.setNoDelay(true);
    const tunnel: Tunnel = {
      client,
      server,
      phase: 'hello',
      phaseBytes: 0,
      queryHead: Buffer.alloc(0),
      isInsert: false,
      fault: undefined,
      blackholed: false,
      closed: false,
      capture: undefined,
      capturing: false,
      toServer: Promise.resolve(),
      toClient: Promise.resolve(),
    };
    this.tunnels.add(tunnel);
    client.on('data', (chunk: Buffer) => this.fromClient(tunnel, chunk));
    server.on('data', (chunk: Buffer) => this.fromServer(tunnel, chunk));
    const end = () => this.destroyTunnel(tunnel);
    for (const socket of [client, server]) {
      socket.on('error', end);
      socket.on('close', end);
    }
  }

  private destroyTunnel(tunnel: Tunnel): void {
    if (tunnel.closed) return;
    tunnel.closed = true;
    this.tunnels.delete(tunnel);
    tunnel.client.destroy();
    tunnel.server.destroy();
  }

  private fire(tunnel: Tunnel, fault: Fault): void {
    this.stats.faults++;
    tunnel.fault = undefined;
    for (const resolve of this.faultFired.splice(0)) resolve();
    if (tunnel.capture) tunnel.capture.faulted = true;
    if (fault.action === 'blackhole') tunnel.blackholed = true;
    else this.destroyTunnel(tunnel);
  }

  /** The fault for this tunnel's INSERT at `point`, claiming the pending one if it is for that point. */
  private faultAt(tunnel: Tunnel, point: FaultPoint): Fault | undefined {
    if (tunnel.fault?.at === point) return tunnel.fault;
    if (tunnel.isInsert && this.pending?.at === point) {
      tunnel.fault = this.pending;
      this.pending = undefined;
      return tunnel.fault;
    }
    return undefined;
  }

  private fromClient(tunnel: Tunnel, chunk: Buffer): void {
    if (tunnel.closed || tunnel.blackholed || this.blackholeAll) return;
    switch (tunnel.phase) {
      case 'server-hello':
      case 'reply':
      case 'response':
        this.enter(tunnel, 'query');
        break;
      case 'header':
        this.enter(tunnel, 'data');
        break;
      default:
        break;
    }
    if (tunnel.phase === 'query' && tunnel.queryHead.length < QUERY_HEAD_BYTES) {
      tunnel.queryHead = Buffer.concat([tunnel.queryHead, chunk]).subarray(0, QUERY_HEAD_BYTES);
      tunnel.isInsert = tunnel.queryHead.includes(INSERT_MARK);
    }
    if (tunnel.phase === 'data') {
      const before = this.faultAt(tunnel, 'before-data');
      if (before && tunnel.phaseBytes === 0) {
        this.fire(tunnel, before);
        return;
      }
      const mid = this.faultAt(tunnel, 'mid-data');
      if (mid) {
        const limit = Math.max(1, mid.afterBytes ?? Math.floor(this.stats.lastDataBytes / 2));
        const room = limit - tunnel.phaseBytes;
        if (room < chunk.length) {
          if (room > 0) this.forward(tunnel, 'server', chunk.subarray(0, room), true);
          tunnel.phaseBytes += Math.max(room, 0);
          this.fire(tunnel, mid);
          return;
        }
      }
    }
    tunnel.phaseBytes += chunk.length;
    this.forward(tunnel, 'server', chunk, tunnel.phase === 'data');
  }

  private fromServer(tunnel: Tunnel, chunk: Buffer): void {
    if (tunnel.closed || tunnel.blackholed || this.blackholeAll) return;
    switch (tunnel.phase) {
      case 'hello':
        this.enter(tunnel, 'server-hello');
        break;
      case 'query':
        this.enter(tunnel, tunnel.isInsert ? 'header' : 'reply');
        break;
      case 'data':
        this.stats.lastDataBytes = tunnel.phaseBytes;
        this.stats.inserts++;
        this.enter(tunnel, 'response');
        break;
      default:
        break;
    }
    if (tunnel.phase === 'response') {
      const after = this.faultAt(tunnel, 'after-data');
      if (after) {
        this.fire(tunnel, after);
        return;
      }
      const eos = this.faultAt(tunnel, 'after-eos');
      if (eos && endsWithEndOfStream(chunk)) {
        // The answer goes out whole, then the connection ends: FIN after the bytes, so the client reads them first.
        this.forward(tunnel, 'client', chunk);
        this.stats.faults++;
        tunnel.fault = undefined;
        for (const resolve of this.faultFired.splice(0)) resolve();
        if (eos.action === 'blackhole') tunnel.blackholed = true;
        else {
          tunnel.server.destroy();
          tunnel.client.end();
        }
        return;
      }
    }
    tunnel.phaseBytes += chunk.length;
    this.forward(tunnel, 'client', chunk);
  }

  private enter(tunnel: Tunnel, phase: Phase): void {
    tunnel.capturing = phase === 'data' && this.capture;
    if (tunnel.capturing) {
      tunnel.capture = { forwarded: Buffer.alloc(0), faulted: false };
      this.captures.push(tunnel.capture);
    } else if (phase === 'query') {
      tunnel.capture = undefined;
    }
    tunnel.phase = phase;
    tunnel.phaseBytes = 0;
    if (phase === 'query') {
      tunnel.queryHead = Buffer.alloc(0);
      tunnel.isInsert = false;
    }
  }

  private forward(tunnel: Tunnel, to: 'server' | 'client', chunk: Buffer, data = false): void {
    if (data && tunnel.capturing && tunnel.capture) {
      tunnel.capture.forwarded = Buffer.concat([tunnel.capture.forwarded, chunk]);
    }
    const socket = to === 'server' ? tunnel.server : tunnel.client;
    if (this.delayMs <= 0) {
      socket.write(chunk);
      return;
    }
    // Each chunk is due `delay` ms after it arrived; the chain keeps the order when the delay changes.
    const dueAt = Date.now() + this.delayMs;
    const queue = to === 'server' ? 'toServer' : 'toClient';
    tunnel[queue] = tunnel[queue].then(
      () =>
        new Promise<void>((resolve) =>
          setTimeout(
            () => {
              if (!tunnel.closed && !tunnel.blackholed && !this.blackholeAll) socket.write(chunk);
              resolve();
            },
            Math.max(0, dueAt - Date.now()),
          ),
        ),
    );
  }
}
