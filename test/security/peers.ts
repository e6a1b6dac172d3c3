/**
 * Test peers on 127.0.0.1 only: a counting (and optionally recording) TCP proxy in front of a real server, and
 * fake servers that misbehave on purpose (never answer, stop mid-Hello, stop mid-block, never read).
 */
import net from 'node:net';
import { ServerPacket } from '../../src/protocol/codes.js';
import { ByteWriter } from '../../src/protocol/writer.js';

const LOOPBACK = '127.0.0.1';

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
}

function closeServer(server: net.Server, sockets: Set<net.Socket>): Promise<void> {
  for (const socket of sockets) socket.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

export interface Proxy {
  port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  /** The bytes the server sent on each connection, in order (when recording). */
  readonly serverBytes: Buffer[][];
  close(): Promise<void>;
}

/** A TCP proxy on 127.0.0.1 to `target` (itself on loopback) that counts connections and records server bytes. */
export async function startProxy(
  target: { host: string; port: number },
  options: { record?: boolean } = {},
): Promise<Proxy> {
  if (target.host !== LOOPBACK && target.host !== 'localhost') throw new Error('tests talk to loopback only');
  const sockets = new Set<net.Socket>();
  const serverBytes: Buffer[][] = [];
  let connections = 0;
  const server = net.createServer((client) => {
    connections++;
    const received: Buffer[] = [];
    serverBytes.push(received);
    const upstream = net.connect({ host: LOOPBACK, port: target.port });
    sockets.add(client);
    sockets.add(upstream);
    upstream.on('data', (chunk: Buffer) => {
      if (options.record) received.push(Buffer.from(chunk));
      client.write(chunk);
    });
    client.on('data', (chunk: Buffer) => upstream.write(chunk));
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  const port = await listen(server);
  return {
    port,
    get connections() {
      return connections;
    },
    serverBytes,
    close: () => closeServer(server, sockets),
  };
}

/** A server Hello as 18.16 sends it (revision 54412: time zone, display name, patch). */
export function fakeServerHello(): Buffer {
  const w = new ByteWriter(64);
  w.varUInt(ServerPacket.Hello);
  w.string('ClickHouse');
  w.varUInt(18);
  w.varUInt(16);
  w.varUInt(54412);
  w.string('UTC');
  w.string('fake');
  w.varUInt(1);
  return Buffer.from(w.finish());
}

/**
 * The start of a Data packet: type, table name, BlockInfo, 1 column, 1000 rows, column "n" UInt64, and 100 of the
 * 8000 data bytes. A server stuck here has stopped mid-block.
 */
export function partialDataPacket(): Buffer {
  const w = new ByteWriter(1024);
  w.varUInt(ServerPacket.Data);
  w.string('');
  w.bytes(Buffer.from([0x01, 0x00, 0x02, 0xff, 0xff, 0xff, 0xff, 0x00]));
  w.varUInt(1);
  w.varUInt(1000);
  w.string('n');
  w.string('UInt64');
  w.bytes(Buffer.alloc(100));
  return Buffer.from(w.finish());
}

export type StuckBehaviour =
  /** Accepts and never sends a byte. */
  | 'silent'
  /** Sends the first half of a Hello, then nothing. */
  | 'mid-hello'
  /** Completes the Hello; on the first query sends half a Data packet, then nothing. */
  | 'mid-data'
  /** Completes the Hello, reads the start of the next request, then never reads again: the client's writes pile up. */
  | 'never-reads'
  /** Sends the first half of a Hello, then closes. */
  | 'close-mid-hello';

export interface StuckServer {
  port: number;
  readonly connections: number;
  /**
   * Resolves once the peer is stuck as its behaviour says: it accepted (silent), its half Hello or half Data packet
   * was handed to the kernel (mid-hello, mid-data), or it saw the request after the Hello and stopped reading
   * (never-reads). From then on nothing happens on its side: what the client does next is up to its timers.
   */
  readonly stuck: Promise<void>;
  close(): Promise<void>;
}

/** A fake server on 127.0.0.1 that misbehaves as told. */
export async function startStuckServer(behaviour: StuckBehaviour): Promise<StuckServer> {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  let markStuck!: () => void;
  const stuck = new Promise<void>((resolve) => (markStuck = resolve));
  const hello = fakeServerHello();
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    switch (behaviour) {
      case 'silent':
        socket.resume();
        markStuck();
        break;
      case 'mid-hello':
        socket.resume();
        socket.once('data', () => socket.write(hello.subarray(0, hello.length >> 1), () => markStuck()));
        break;
      case 'close-mid-hello':
        socket.once('data', () => socket.end(hello.subarray(0, hello.length >> 1), () => markStuck()));
        break;
      case 'mid-data': {
        let seen = 0;
        socket.on('data', () => {
          seen++;
          // First chunk: Hello. A later one: the query (our client sends Hello, then the query on its own write).
          if (seen === 1) socket.write(hello);
          else if (seen === 2) socket.write(partialDataPacket(), () => markStuck());
        });
        break;
      }
      case 'never-reads': {
        let seen = 0;
        socket.on('data', () => {
          seen++;
          if (seen === 1) socket.write(hello);
          else if (seen === 2) {
            // The request after the Hello has begun: the handshake is over on the client's side.
            socket.pause();
            markStuck();
          }
        });
        break;
      }
    }
  });
  const port = await listen(server);
  return {
    port,
    get connections() {
      return connections;
    },
    stuck,
    close: () => closeServer(server, sockets),
  };
}
