/**
 * A peer that accepts and never answers, stops mid-packet, or stops reading: each ends in a timeout error after the
 * configured limit (connect_timeout_ms for connect + TLS + Hello, request_timeout_ms afterwards), never a hang.
 * Every fake server listens on 127.0.0.1 only.
 *
 * The clock is controlled (vitest's fake setTimeout and Date; sockets and setImmediate stay real): once the peer is
 * stuck, the client's only way on is a timer, which the test fires. So each test shows which limit ended the request
 * and that it took exactly that long on the client's clock, whatever the machine's load.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConnectionError, createClient, type ClickHouseClientConfig } from '../../src/index.js';
import { startStuckServer, type StuckBehaviour, type StuckServer } from './peers.js';

const LIMIT_MS = 400;

let peer: StuckServer | undefined;
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});
afterEach(async () => {
  vi.useRealTimers();
  await peer?.close();
  peer = undefined;
});

/** One turn of the real event loop: socket events get processed (setImmediate is not faked). */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Lets the client take in what the peer sent, up to the point where it waits on a timer. */
async function untilWaitingOnATimer(): Promise<void> {
  for (let i = 0; i < 3; i++) await turn(); // bytes the peer handed to the kernel reach the client
  for (let i = 0; vi.getTimerCount() === 0; i++) {
    if (i > 10_000) throw new Error('the client never armed a timer');
    await turn();
  }
}

/**
 * Runs a request against a stuck peer; when `fire`, fires the client's next timer once the peer is stuck. Returns the
 * error and the time that passed on the client's clock.
 */
async function failure(
  behaviour: StuckBehaviour,
  config: ClickHouseClientConfig,
  run: (client: ReturnType<typeof createClient>) => Promise<unknown>,
  fire = true,
): Promise<{ error: ConnectionError; elapsed: number }> {
  peer = await startStuckServer(behaviour);
  const client = createClient({
    host: '127.0.0.1',
    port: peer.port,
    compression: 'none',
    max_open_connections: 1,
    ...config,
  });
  const started = Date.now();
  let settled = false;
  const outcome = run(client).then(
    () => undefined,
    (e: unknown) => e,
  );
  void outcome.then(() => (settled = true));
  await peer.stuck;
  if (fire) {
    await untilWaitingOnATimer();
    expect(settled).toBe(false); // stuck: nothing ends the request but a timer
    await vi.advanceTimersToNextTimerAsync();
  }
  const error = await outcome;
  const elapsed = Date.now() - started;
  await client.close();
  expect(error).toBeInstanceOf(ConnectionError);
  return { error: error as ConnectionError, elapsed };
}

describe('slow and stuck peers', () => {
  it('accepts and never answers: connect_timeout_ms', async () => {
    const { error, elapsed } = await failure('silent', { connect_timeout_ms: LIMIT_MS }, (c) =>
      c.query({ query: 'SELECT 1' }),
    );
    expect(error.code).toBe('ETIMEDOUT');
    expect(error.message).toMatch(
      /timed out after 400 ms \(connect_timeout_ms\): no answer before its Hello was complete \(0 bytes received\)/,
    );
    expect(elapsed).toBe(LIMIT_MS);
  });

  it('the idle-read limit does not cut the handshake short: connect_timeout_ms alone governs it', async () => {
    const { error, elapsed } = await failure('silent', { connect_timeout_ms: 1200, request_timeout_ms: 100 }, (c) =>
      c.query({ query: 'SELECT 1' }),
    );
    expect(error.message).toMatch(/connect_timeout_ms/);
    expect(elapsed).toBe(1200); // and no 100 ms timer came first
  });

  it('stops mid-Hello: connect_timeout_ms, saying how far it got', async () => {
    const { error, elapsed } = await failure('mid-hello', { connect_timeout_ms: LIMIT_MS }, (c) =>
      c.ping().then((r) => {
        if (!r.success) throw r.error;
      }),
    );
    expect(error.code).toBe('ETIMEDOUT');
    expect(error.message).toMatch(/no answer before its Hello was complete \([1-9]\d* bytes received\)/);
    expect(elapsed).toBe(LIMIT_MS);
  });

  it('closes mid-Hello: a ConnectionError at once', async () => {
    const { error, elapsed } = await failure(
      'close-mid-hello',
      { connect_timeout_ms: 10_000 },
      (c) => c.query({ query: 'SELECT 1' }),
      false,
    );
    expect(error.message).toMatch(/closed by the server before its Hello was complete/);
    expect(elapsed).toBe(0); // no timer fired: the close alone ended it
  });

  it('stops mid-data-block: request_timeout_ms', async () => {
    const { error, elapsed } = await failure(
      'mid-data',
      { connect_timeout_ms: 5000, request_timeout_ms: LIMIT_MS },
      async (c) => (await c.query({ query: 'SELECT number FROM numbers(1000)' })).json(),
    );
    expect(error.code).toBe('ETIMEDOUT');
    expect(error.message).toMatch(/No data from 127\.0\.0\.1:\d+ for 400 ms \(request_timeout_ms\)/);
    expect(elapsed).toBe(LIMIT_MS);
  });

  it('never reads what we send: request_timeout_ms on the write side', async () => {
    // 64 MiB of query text cannot fit the socket buffers of a peer that reads nothing.
    const sql = `SELECT '${'x'.repeat(64 << 20)}'`;
    const { error, elapsed } = await failure(
      'never-reads',
      { connect_timeout_ms: 5000, request_timeout_ms: LIMIT_MS },
      (c) => c.command({ query: sql }),
    );
    expect(error.code).toBe('ETIMEDOUT');
    expect(error.message).toMatch(/did not read what we sent for 400 ms \(request_timeout_ms\)/);
    expect(elapsed).toBe(LIMIT_MS);
  });

  it('a TLS handshake that never gets an answer: connect_timeout_ms', async () => {
    const { error, elapsed } = await failure('silent', { connect_timeout_ms: LIMIT_MS, tls: true }, (c) =>
      c.query({ query: 'SELECT 1' }),
    );
    expect(error.message).toMatch(/timed out after 400 ms \(connect_timeout_ms\): no answer during the TLS handshake/);
    expect(elapsed).toBe(LIMIT_MS);
  });

  it('a failed attempt is not retried', async () => {
    await failure('silent', { connect_timeout_ms: 200 }, (c) => c.query({ query: 'SELECT 1' }));
    // No retry is scheduled: no timer is left, and running any that were would open no second connection.
    expect(vi.getTimerCount()).toBe(0);
    await vi.runAllTimersAsync();
    for (let i = 0; i < 10; i++) await turn();
    expect(peer!.connections).toBe(1);
  });
});
