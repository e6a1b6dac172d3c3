/**
 * A peer that is not a native-protocol port (issue 13, item 7): ClickHouse's HTTP port answers our Hello like an
 * HTTP server (26.7) or stays silent (18.16). Either way the error names the native ports, 9000/9440, and says 8123 is
 * HTTP, at once when the peer answers like HTTP, and when connect_timeout_ms runs out when it stays silent.
 */
import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionError, createClient } from '../../src/index.js';
import { testServer } from '../harness/context.js';

const HINT =
  /native protocol listens on 9000 by default \(9440 with TLS\); 8123 \(8443 with TLS\) is the HTTP interface/;

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function failureOn(port: number, connectTimeoutMs: number): Promise<ConnectionError> {
  const client = createClient({
    host: '127.0.0.1',
    port,
    connect_timeout_ms: connectTimeoutMs,
    max_open_connections: 1,
  });
  try {
    const error = await client.query({ query: 'SELECT 1' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConnectionError);
    return error as ConnectionError;
  } finally {
    await client.close();
  }
}

function listening(server: net.Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)),
  );
}

describe('the HTTP port instead of the native one', () => {
  it("ClickHouse's own HTTP port: the error says where the native port is", async () => {
    const server = testServer();
    // Every harness server but a bare CLICKHOUSE_URL without ?http_port= has one (local, container, url with it).
    if (server.httpPort === undefined) {
      expect(server.kind).toBe('url');
      return;
    }
    const error = await failureOn(server.httpPort, 1000);
    expect(error.message).toMatch(HINT);
    expect(error.message).toContain(String(server.httpPort));
  });

  it('a peer that answers like an HTTP server: at once, not after connect_timeout_ms', async () => {
    const server = http.createServer((_, res) => res.end('Ok.\n'));
    const port = await listening(server);
    closers.push(() => new Promise((resolve) => server.close(() => resolve())));
    // A connect timeout no test would wait for: the answer alone must end the attempt.
    const error = await failureOn(port, 600_000);
    expect(error.message).toMatch(/answered like an HTTP server, not with a native-protocol Hello/);
    expect(error.message).toMatch(HINT);
  });

  it('a peer that accepts and stays silent: the connect timeout says the same', async () => {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => sockets.add(socket));
    const port = await listening(server);
    closers.push(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const error = await failureOn(port, 300);
    expect(error.code).toBe('ETIMEDOUT');
    expect(error.message).toMatch(
      /timed out after 300 ms \(connect_timeout_ms\): no answer before its Hello was complete \(0 bytes received\)/,
    );
    expect(error.message).toMatch(HINT);
  });
});
