/**
 * A nested exception from a real server. 18.16 raises nested exceptions only when it re-raises one it received
 * from another server (readException rebuilds the nesting), so the test puts a minimal upstream "server" behind
 * the real one: the real server runs remote('127.0.0.1:<upstream>', ...), the upstream answers its Query with an
 * Exception that has a nested one, and the real server passes both on to us, nested, in its own Exception packet.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClickHouseError } from '../../src/index.js';
import { ByteReader, NEED_MORE } from '../../src/protocol/reader.js';
import { ByteWriter } from '../../src/protocol/writer.js';
import { startLocalServer, type LocalServer } from '../harness/server.js';
import { clientFor } from './helpers.js';

const UPSTREAM_ERROR = { code: 1002, message: 'DB::Exception: upstream failure' };
const UPSTREAM_CAUSE = { code: 42, message: 'DB::Exception: the root cause' };

function writeException(w: ByteWriter, error: { code: number; message: string }, nested: boolean): void {
  w.i32(error.code);
  w.string('DB::Exception');
  w.string(error.message);
  w.string('upstream stack');
  w.u8(nested ? 1 : 0);
}

/** Answers Hello and TablesStatusRequest like a server, and every Query with a nested Exception. */
function startUpstream(): Promise<net.Server> {
  const server = net.createServer((socket) => {
    const reader = new ByteReader();
    socket.on('data', (chunk) => {
      reader.push(chunk);
      for (;;) {
        const reply = reader.tryAtomic(() => answer(reader));
        if (reply === NEED_MORE || reply === null) break;
        socket.write(reply);
        if (reply.length > 0 && reply[0] === 2) {
          socket.end();
          break;
        }
      }
    });
    socket.on('error', () => undefined);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function answer(reader: ByteReader): Buffer | null {
  const type = reader.varUInt();
  const w = new ByteWriter();
  switch (type) {
    case 0: {
      // Hello: name, major, minor, revision, database, user, password.
      reader.string();
      reader.varUInt();
      reader.varUInt();
      reader.varUInt();
      reader.string();
      reader.string();
      reader.string();
      w.varUInt(0);
      w.string('ClickHouse');
      w.varUInt(18);
      w.varUInt(16);
      w.varUInt(54412);
      w.string('UTC');
      w.string('upstream');
      w.varUInt(1);
      return w.finish();
    }
    case 5: {
      // TablesStatusRequest: every table is there and not replicated.
      const count = reader.varUInt();
      w.varUInt(9);
      w.varUInt(count);
      for (let i = 0; i < count; i++) {
        w.string(reader.string());
        w.string(reader.string());
        w.u8(0);
      }
      return w.finish();
    }
    case 1:
      // Query: no need to read it, the connection ends after the answer.
      reader.view(reader.available); // discard the rest
      w.varUInt(2);
      writeException(w, UPSTREAM_ERROR, true);
      writeException(w, UPSTREAM_CAUSE, false);
      return w.finish();
    case 4:
      return Buffer.from([4]); // Ping → Pong
    default:
      reader.view(reader.available); // discard the rest
      return null;
  }
}

let upstream: net.Server;
// A local server, whatever the run's server is: remote('127.0.0.1:...') must reach our loopback, and inside a
// container 127.0.0.1 is the container's own.
let server: LocalServer;
let client: ReturnType<typeof clientFor>;
beforeAll(async () => {
  upstream = await startUpstream();
  server = await startLocalServer();
  client = clientFor({ host: server.host, port: server.port });
});
afterAll(async () => {
  await client?.close();
  await server?.stop();
  await new Promise((resolve) => upstream.close(resolve));
});

describe('nested exceptions', () => {
  it('a real server re-raising an upstream exception sends it nested, and we keep the chain', async () => {
    const port = (upstream.address() as net.AddressInfo).port;
    const error = await client
      .query({ query: `SELECT * FROM remote('127.0.0.1:${port}', system.one)` })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClickHouseError);
    const outer = error as ClickHouseError;
    expect(outer.code).toBe(UPSTREAM_ERROR.code);
    expect(outer.message).toContain('upstream failure');
    expect(outer.cause).toBeInstanceOf(ClickHouseError);
    const cause = outer.cause as ClickHouseError;
    // 18.16 re-wraps the nested exception through Poco, which sends it with code 1000 (POCO_EXCEPTION).
    expect([UPSTREAM_CAUSE.code, 1000]).toContain(cause.code);
    expect(cause.message).toContain('the root cause');
  });
});
