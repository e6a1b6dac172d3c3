/**
 * One native-protocol connection: the socket, the handshake, and packet I/O. It runs one query at a time (the
 * protocol has no multiplexing) and is discarded after any socket or protocol error.
 */
import net from 'node:net';
import os from 'node:os';
import tls from 'node:tls';
import { ClickHouseError, ConnectionError, ProtocolError, UnsupportedError } from '../errors.js';
import { JWT_USER, writeAddendum, writeHello, type ClientIdentity } from '../protocol/client-packets.js';
import { ByteReader, type ReaderLimits } from '../protocol/reader.js';
import { ChunkDecoder, frameMessage, negotiateChunked } from '../protocol/chunked.js';
import { CLIENT_REVISION, Feature, MIN_SERVER_REVISION } from '../protocol/revision.js';
import type { ServerHello } from '../protocol/server-packets.js';
import { ByteWriter } from '../protocol/writer.js';
import { CLIENT_NAME, VERSION } from '../version.js';
import type { BlockLimits } from '../columns/block.js';
import type { FrameLimits } from '../compression/frame.js';
import { readServerPacket, type PacketContext, type ServerMessage } from './packet-reader.js';
import type { Secret } from './secret.js';

/** TLS settings, resolved (see ClickHouseTlsConfig in the client config). */
export interface TlsOptions {
  ca: string | Buffer | Array<string | Buffer> | undefined;
  cert: string | Buffer | undefined;
  key: Secret<string | Buffer> | undefined;
  servername: string | undefined;
  rejectUnauthorized: boolean;
}

export interface ConnectionOptions {
  host: string;
  port: number;
  database: string;
  username: string;
  password: Secret;
  /**
   * The client name in Hello and in every query's ClientInfo (query_log.client_name): the application's name, if
   * given, before ours. Default: ours.
   */
  clientName?: string;
  /** The quota key sent in the addendum after Hello (revision 54458 on), for the connection's keyed quota. */
  quotaKey?: string;
  /** TLS to the secure native port; undefined for plain TCP. */
  tls?: TlsOptions;
  /** Time allowed for the TCP connect, the TLS handshake and the Hello exchange, together. */
  connectTimeoutMs: number;
  /**
   * After the handshake: the longest silence from the server while we wait for a packet, and the longest the
   * server may leave our writes unread. 0 = no limit.
   */
  requestTimeoutMs: number;
  /**
   * TCP keep-alive: the OS probes a connection silent this long (ms), so a peer that vanished (a NAT or load
   * balancer dropped the flow) is detected even while the connection idles in the pool. 0 = no probes.
   */
  tcpKeepAliveMs?: number;
  readerLimits?: Partial<ReaderLimits>;
  blockLimits?: BlockLimits;
  frameLimits?: Partial<FrameLimits>;
  /**
   * The protocol revision to advertise, at most CLIENT_REVISION (the default). A lower one turns off every feature
   * above it, as for an older client: tests compare both sides of a revision against one server.
   */
  revision?: number;
}

/**
 * Pause the socket when this many bytes are buffered and unread: a slow consumer bounds our memory. Reads yield to
 * the event loop (READ_SLICE_MS), so the socket does fill the buffer up to this mark while blocks are decoded.
 */
const READ_HIGH_WATER_MARK = 2 << 20;

/**
 * While buffered bytes last, packet reads resolve as microtasks and never give the event loop a turn: timers (our
 * own timeouts), aborts and other sockets would wait for the whole buffer. A read loop yields after this many ms.
 */
const READ_SLICE_MS = 2;

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The bytes an HTTP server starts every response with: the peer is ClickHouse's HTTP port, not the native one. */
const HTTP_RESPONSE_START = Buffer.from('HTTP/');

/** What to tell a user who may have given the HTTP port (or another service's) instead of the native one. */
export function nativePortHint(port: number): string {
  return (
    `Is ${port} ClickHouse's native TCP port? The native protocol listens on 9000 by default (9440 with TLS); ` +
    `8123 (8443 with TLS) is the HTTP interface, which this client does not speak`
  );
}

function clientIdentity(revision: number, name = CLIENT_NAME): ClientIdentity {
  let osUser = '';
  try {
    osUser = os.userInfo().username;
  } catch {
    // Some containers have no passwd entry for the uid; the field is informational.
  }
  return {
    name,
    versionMajor: VERSION.major,
    versionMinor: VERSION.minor,
    versionPatch: VERSION.patch,
    osUser,
    hostname: os.hostname(),
    revision,
  };
}

/** Node's codes for a server certificate that fails verification (chain or host name). */
const CERTIFICATE_ERRORS = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'INVALID_CA',
]);

/** Where the handshake stands, for the connect-timeout message. */
type Phase = 'tcp' | 'tls' | 'hello' | 'ready';

export class Connection {
  readonly identity: ClientIdentity;
  readonly reader: ByteReader;
  /** The server's Hello. */
  server!: ServerHello;
  /** min(our revision, the server's): gates every optional field. */
  revision = 0;
  /**
   * The roles a `SET ROLE` of ours made current on this connection (their SQL list, e.g. `` `a`, `b` ``); undefined
   * while the user's default roles are in force. The server keeps them for the connection's session (README, "Roles").
   */
  appliedRoles: string | undefined;
  /** Whether the packets after the addendum are chunk-framed, each way (revision 54470, src/protocol/chunked.ts). */
  readonly chunked = { send: false, recv: false };
  /** Strips the server's chunk framing once the handshake turned it on. */
  private dechunker: ChunkDecoder | undefined;
  /** performance.now() when the socket was opened (for the pool's max_connection_lifetime_ms). */
  readonly openedAt = performance.now();

  private readonly socket: net.Socket;
  private failure: Error | null = null;
  private closedByUs = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private waitingForData = false;
  private phase: Phase = 'tcp';
  private readonly options: ConnectionOptions;
  /** When the current run of reads got the event loop (a socket event); see READ_SLICE_MS. */
  private sliceStart = performance.now();

  private constructor(socket: net.Socket, options: ConnectionOptions) {
    this.socket = socket;
    this.options = options;
    this.identity = clientIdentity(Math.min(options.revision ?? CLIENT_REVISION, CLIENT_REVISION), options.clientName);
    this.reader = new ByteReader({ limits: options.readerLimits });
    this.reader.onStarve = () => this.onStarve();
    socket.setNoDelay(true);
    if (options.tcpKeepAliveMs) socket.setKeepAlive(true, options.tcpKeepAliveMs);
    socket.on('data', (chunk: Buffer) => {
      this.clearIdleTimer();
      this.sliceStart = performance.now();
      if (this.phase === 'hello' && this.reader.offset === 0 && this.looksLikeHttp(chunk)) {
        this.destroy(
          new ConnectionError(
            `${this.address} answered like an HTTP server, not with a native-protocol Hello. ${nativePortHint(this.options.port)}`,
            { code: 'EPROTO' },
          ),
        );
        return;
      }
      if (!this.dechunker) this.reader.push(chunk);
      else {
        try {
          this.dechunker.push(chunk);
        } catch (error) {
          this.destroy(error as Error);
          return;
        }
      }
      if (this.reader.available > READ_HIGH_WATER_MARK) socket.pause();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => this.fail(this.describeSocketError(error)));
    socket.on('close', () => {
      this.clearIdleTimer();
      if (!this.closedByUs)
        this.fail(new ConnectionError(`Connection to ${this.address} was closed by the server${this.during()}`));
    });
  }

  /** The server's first bytes start an HTTP response (they come in one chunk: a status line is sent whole). */
  private looksLikeHttp(chunk: Buffer): boolean {
    return (
      this.reader.available === 0 &&
      chunk.length >= HTTP_RESPONSE_START.length &&
      chunk.subarray(0, HTTP_RESPONSE_START.length).equals(HTTP_RESPONSE_START)
    );
  }

  get address(): string {
    return `${this.options.host}:${this.options.port}`;
  }

  get host(): string {
    return this.options.host;
  }

  get port(): number {
    return this.options.port;
  }

  /** True for a TLS connection. */
  get secure(): boolean {
    return this.options.tls !== undefined;
  }

  /** " during the TLS handshake" and the like, while the handshake runs. */
  private during(): string {
    switch (this.phase) {
      case 'tcp':
        return ' before the TCP connection was established';
      case 'tls':
        return ' during the TLS handshake';
      case 'hello':
        return ` before its Hello was complete (${this.reader.offset + this.reader.available} bytes received)`;
      case 'ready':
        return '';
    }
  }

  private describeSocketError(error: NodeJS.ErrnoException): ConnectionError {
    const code = error.code;
    let message: string;
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
      const name = this.options.tls?.servername ?? this.options.host;
      message =
        `TLS connection to ${this.address} refused: the server certificate is not valid for the host name ` +
        `"${name}" (${error.message}). Connect by a name the certificate lists, or set tls.servername`;
    } else if (code !== undefined && CERTIFICATE_ERRORS.has(code)) {
      message =
        `TLS connection to ${this.address} refused: the server certificate is not trusted (${code}: ${error.message}). ` +
        `Pass the certificate authority that signed it in tls.ca`;
    } else if (
      this.secure &&
      /ALERT_CERTIFICATE_REQUIRED|alert certificate required/i.test(`${code} ${error.message}`)
    ) {
      message =
        `TLS connection to ${this.address} refused by the server: it requires a client certificate ` +
        `(tls.cert and tls.key) (${code ?? error.message})`;
    } else if (
      this.secure &&
      /ALERT_(UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN|UNSUPPORTED_CERTIFICATE|CERTIFICATE_EXPIRED|ACCESS_DENIED)/i.test(
        `${code}`,
      )
    ) {
      message =
        `TLS connection to ${this.address} refused by the server: it did not accept our client certificate ` +
        `(${code}: ${error.message})`;
    } else if (this.phase === 'tls' || (this.secure && /SSL|TLS/i.test(`${code} ${error.message}`))) {
      message = `TLS connection to ${this.address} failed${this.during()}: ${error.message}`;
    } else {
      message = `Connection to ${this.address} failed${this.during()}: ${error.message}`;
    }
    return new ConnectionError(message, { cause: error, code });
  }

  /**
   * Opens a socket (TLS when configured) and performs the handshake. `connectTimeoutMs` bounds all of it: the TCP
   * connect, the TLS handshake and the server's Hello, however the server stalls.
   */
  static async open(options: ConnectionOptions): Promise<Connection> {
    const socket = options.tls
      ? connectTls(options, options.tls)
      : net.connect({ host: options.host, port: options.port });
    const connection = new Connection(socket, options);
    const timer = setTimeout(() => {
      connection.destroy(
        new ConnectionError(
          `Connecting to ${connection.address} timed out after ${options.connectTimeoutMs} ms ` +
            `(connect_timeout_ms): no answer${connection.during()}` +
            // A server that accepted the connection and stayed silent is often not a native-protocol port.
            (connection.phase === 'hello' && connection.reader.offset + connection.reader.available === 0
              ? `. ${nativePortHint(options.port)}`
              : ''),
          { code: 'ETIMEDOUT' },
        ),
      );
    }, options.connectTimeoutMs);
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => {
          if (options.tls) connection.phase = 'tls';
          else resolve();
        });
        if (options.tls) socket.once('secureConnect', resolve);
        socket.once('error', reject);
        socket.once('close', () =>
          reject(connection.failure ?? new ConnectionError(`Connection to ${connection.address} closed`)),
        );
      });
      connection.phase = 'hello';
      await connection.handshake();
      connection.phase = 'ready';
      return connection;
    } catch (error) {
      // Decide what to report before destroy() records its own "closed" failure.
      const reported =
        error instanceof ClickHouseError ||
        error instanceof ProtocolError ||
        error instanceof ConnectionError ||
        error instanceof UnsupportedError
          ? error
          : (connection.failure ??
            new ConnectionError(`Cannot connect to ${connection.address}: ${(error as Error).message}`, {
              cause: error,
              code: (error as NodeJS.ErrnoException).code,
            }));
      connection.destroy(reported);
      throw reported;
    } finally {
      clearTimeout(timer);
    }
  }

  private async handshake(): Promise<void> {
    const writer = new ByteWriter(256);
    writeHello(writer, this.identity, {
      database: this.options.database,
      username: this.options.username,
      password: this.options.password.reveal(),
    });
    await this.send(writer.finish());
    const message = await this.readPacket({
      revision: 0,
      compression: false,
      advertisedRevision: this.identity.revision,
    });
    if (message.type === 'exception') throw this.explainRefusedLogin(message.error);
    if (message.type !== 'hello') throw new ProtocolError(`Expected the server's Hello, got ${message.type}`);
    this.server = message.hello;
    this.revision = Math.min(this.identity.revision, message.hello.revision);
    if (message.hello.revision < MIN_SERVER_REVISION) {
      throw new ProtocolError(
        `Server revision ${message.hello.revision} is older than the oldest supported (${MIN_SERVER_REVISION})`,
      );
    }
    // Chunked packets: what the server requires, else not (our send pairs with its receive, and the other way).
    const chunked = this.revision >= Feature.CHUNKED_PACKETS;
    const chunkedSend = chunked && negotiateChunked(message.hello.chunkedRecv ?? '');
    const chunkedRecv = chunked && negotiateChunked(message.hello.chunkedSend ?? '');
    const addendum = new ByteWriter(32);
    writeAddendum(addendum, this.revision, { quotaKey: this.options.quotaKey, chunkedSend, chunkedRecv });
    if (addendum.length > 0) await this.send(addendum.finish());
    // The server frames everything after our addendum: nothing of it can have arrived yet.
    if (chunkedRecv) {
      if (this.reader.available > 0)
        throw new ProtocolError(`${this.reader.available} unexpected bytes after the server's Hello`);
      this.dechunker = new ChunkDecoder((payload) => this.reader.push(payload));
    }
    this.chunked.send = chunkedSend;
    this.chunked.recv = chunkedRecv;
  }

  /**
   * A JWT login that the server refused says so: an open-source server has no JWT login over the native protocol and
   * takes the marker for a user name (26.7: 516 AUTHENTICATION_FAILED; 18.16: 192 UNKNOWN_USER). The code stays.
   */
  private explainRefusedLogin(error: ClickHouseError): ClickHouseError {
    if (this.options.username !== JWT_USER) return error;
    return new ClickHouseError({
      code: error.code,
      name: error.serverName,
      stackTrace: error.serverStack,
      message:
        `The server refused the JWT login (code ${error.code}): JWT authentication over the native protocol is a ` +
        `ClickHouse Cloud feature, and other servers take the JWT marker for an unknown user name. Server said: ` +
        error.message,
    });
  }

  /** True while the connection can run another query. */
  get usable(): boolean {
    return this.failure === null && !this.closedByUs && !this.socket.destroyed;
  }

  /** The error that broke this connection, if any. */
  get error(): Error | null {
    return this.failure;
  }

  /**
   * Writes bytes, waiting for the socket to drain when its buffer is full (back-pressure). One call is one message:
   * when the server wants chunked packets, the call's bytes are framed as one. `onWritten` is called once the
   * socket has handed all of them to the kernel (Node's write callback of the last one; with an error if it never
   * will): until then the bytes must stay unchanged, even after this resolves.
   */
  async send(bytes: Buffer | readonly Buffer[], onWritten?: (error?: Error | null) => void): Promise<void> {
    if (this.failure) throw this.failure;
    const buffers = Buffer.isBuffer(bytes) ? [bytes] : bytes;
    const chunks = this.chunked.send ? frameMessage(buffers) : buffers;
    let flushed = true;
    for (let i = 0; i < chunks.length; i++) {
      flushed =
        i === chunks.length - 1 && onWritten ? this.socket.write(chunks[i]!, onWritten) : this.socket.write(chunks[i]!);
    }
    if (chunks.length === 0) onWritten?.();
    if (!flushed) await this.drained();
  }

  /**
   * Waits for the socket's buffer to drain. A server that stops reading (stuck, or never reading at all) would
   * keep us here forever: after `requestTimeoutMs` (connect_timeout_ms during the handshake, whose timer runs
   * anyway) the connection is destroyed.
   */
  private drained(): Promise<void> {
    return new Promise((resolve, reject) => {
      const limit = this.options.requestTimeoutMs;
      const timer =
        this.phase === 'ready' && limit > 0
          ? setTimeout(() => {
              this.destroy(
                new ConnectionError(`${this.address} did not read what we sent for ${limit} ms (request_timeout_ms)`, {
                  code: 'ETIMEDOUT',
                }),
              );
            }, limit)
          : undefined;
      const onDrain = () => {
        cleanup();
        resolve();
      };
      const onClose = () => {
        cleanup();
        reject(this.failure ?? new ConnectionError(`Connection to ${this.address} closed while sending`));
      };
      const cleanup = () => {
        clearTimeout(timer);
        this.socket.off('drain', onDrain);
        this.socket.off('close', onClose);
      };
      this.socket.on('drain', onDrain);
      this.socket.on('close', onClose);
    });
  }

  /** Keeps the process alive while a request uses the connection. */
  ref(): void {
    this.socket.ref();
  }

  /** An idle pooled connection must not keep the process alive. */
  unref(): void {
    this.socket.unref();
  }

  /** Reads one server packet. */
  async readPacket(context: Omit<PacketContext, 'revision'> & { revision?: number }): Promise<ServerMessage> {
    if (performance.now() - this.sliceStart >= READ_SLICE_MS) {
      await yieldToEventLoop();
      this.sliceStart = performance.now();
    }
    try {
      return await readServerPacket(this.reader, {
        revision: context.revision ?? this.revision,
        advertisedRevision: context.advertisedRevision,
        compression: context.compression,
        lazyStrings: context.lazyStrings,
        blockLimits: this.options.blockLimits,
        frameLimits: this.options.frameLimits,
      });
    } catch (error) {
      // A half-read packet cannot be resynchronised: this connection is done.
      this.destroy(error instanceof Error ? error : new ProtocolError(String(error)));
      throw error;
    }
  }

  private onStarve(): void {
    if (this.socket.isPaused()) this.socket.resume();
    this.waitingForData = true;
    // During the handshake connect_timeout_ms alone applies (its timer runs in open()).
    if (this.phase === 'ready' && this.idleTimer === undefined && this.options.requestTimeoutMs > 0) {
      this.idleTimer = setTimeout(() => {
        this.idleTimer = undefined;
        if (!this.waitingForData) return;
        this.destroy(
          new ConnectionError(
            `No data from ${this.address} for ${this.options.requestTimeoutMs} ms (request_timeout_ms)`,
            { code: 'ETIMEDOUT' },
          ),
        );
      }, this.options.requestTimeoutMs);
    }
  }

  private clearIdleTimer(): void {
    this.waitingForData = false;
    if (this.idleTimer !== undefined) {
      clearTimeout(this.idleTimer);
      this.idleTimer = undefined;
    }
  }

  private fail(error: Error): void {
    if (!this.failure) this.failure = error;
    this.reader.fail(this.failure);
  }

  /** Closes the socket at once; pending reads fail with `error` (or a ConnectionError). */
  destroy(error?: Error): void {
    this.clearIdleTimer();
    this.fail(error ?? new ConnectionError(`Connection to ${this.address} was closed`));
    this.closedByUs = true;
    this.socket.destroy();
  }

  /** Closes the socket gracefully. */
  close(): void {
    this.closedByUs = true;
    this.clearIdleTimer();
    this.fail(new ConnectionError(`Connection to ${this.address} was closed`));
    this.socket.end();
    this.socket.destroy();
  }
}

function connectTls(options: ConnectionOptions, config: TlsOptions): tls.TLSSocket {
  // SNI takes a host name, never an address; the certificate is still checked against the address then.
  const servername = config.servername ?? (net.isIP(options.host) ? undefined : options.host);
  return tls.connect({
    host: options.host,
    port: options.port,
    servername,
    ca: config.ca,
    cert: config.cert,
    key: config.key?.reveal(),
    rejectUnauthorized: config.rejectUnauthorized,
  });
}
