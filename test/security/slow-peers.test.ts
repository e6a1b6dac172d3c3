/**
 * A peer that accepts and never answers, stops mid-packet, or stops reading: each ends in a timeout error within
 * the configured limit (connect_timeout_ms for connect + TLS + Hello, request_timeout_ms afterwards), never a hang.
 * Every fake server listens on 127.0.0.1 only.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionError, createClient, type ClickHouseClientConfig } from '../../src/index.js';
import { startStuckServer, type StuckBehaviour, type StuckServer } from './peers.js';

const LIMIT_MS = 400;
/** Slack for timers and a busy machine; a hang would exceed the test timeout instead. */
const SLACK_MS = 2000;

let peer: StuckServer | undefined;
afterEach(async () => {
  await peer?.close();
  peer = undefined;
});

async function failure(
  behaviour: StuckBehaviour,
  config: ClickHouseClientConfig,
  run: (client: ReturnType<typeof createClient>) => Promise<unknown>,
): Promise<{ error: ConnectionError; elapsed: number }> {
  peer = await startStuckServer(behaviour);
  const client = createClient({ host: '127.0.0.1', port: peer.port, compression: 'none', max_open_connections: 1, ...config });
  const started = Date.now();
  const error = await run(client).then(
    () => undefined,
    (e: unknown) => e,
  );
  const elapsed = Date.now() - started;
  await client.close();
  expect(error).toBeInstanceOf(ConnectionError);
  return { error: error as ConnectionError, elapsed };
}

function expectWithin(elapsed: number, limit: number, slack = SLACK_MS): void {
  expect(elapsed).toBeGreaterThanOrEqual(limit - 50);
  expect(elapsed).toBeLessThan(limit + slack);
}

describe('slow and stuck peers', () => {
  it('accepts and never answers: connect_timeout_ms', async () => {
    const { error, elapsed } = await failure('silent', { connect_timeout_ms: LIMIT_MS }, (c) => c.query({ query: 'SELECT 1' }));
    expect(error.code).toBe('ETIMEDOUT');
    expect(error.message).toMatch(/timed out after 400 ms \(connect_timeout_ms\): no answer before its Hello was complete \(0 bytes received\)/);
    expectWithin(elapsed, LIMIT_MS);
  });

  it('the idle-read limit does not cut the handshake short: connect_timeout_ms alone governs it', async () => {
    const { error, elapsed } = await failure('silent', { connect_timeout_ms: 1200, request_timeout_ms: 100 }, (c) => c.query({ query: 'SELECT 1' }));
    expect(error.message).toMatch(/connect_timeout_ms/);
    expectWithin(elapsed, 1200);
  });

  it('stops mid-Hello: connect_timeout_ms, saying how far it got', async () => {
    const { error, elapsed } = await failure('mid-hello', { connect_timeout_ms: LIMIT_MS }, (c) => c.ping().then((r) => {
      if (!r.success) throw r.error;
    }));
    expect(error.code).toBe('ETIMEDOUT');
    expect(error.message).toMatch(/no answer before its Hello was complete \([1-9]\d* bytes received\)/);
    expectWithin(elapsed, LIMIT_MS);
  });

  it('closes mid-Hello: a ConnectionError at once', async () => {
    const { error, elapsed } = await failure('close-mid-hello', { connect_timeout_ms: 10_000 }, (c) => c.query({ query: 'SELECT 1' }));
    expect(error.message).toMatch(/closed by the server before its Hello was complete/);
    expect(elapsed).toBeLessThan(SLACK_MS);
  });

  it('stops mid-data-block: request_timeout_ms', async () => {
    const { error, elapsed } = await failure(
      'mid-data',
      { connect_timeout_ms: 5000, request_timeout_ms: LIMIT_MS },
      async (c) => (await c.query({ query: 'SELECT number FROM numbers(1000)' })).json(),
    );
    expect(error.code).toBe('ETIMEDOUT');
    expect(error.message).toMatch(/No data from 127\.0\.0\.1:\d+ for 400 ms \(request_timeout_ms\)/);
    expectWithin(elapsed, LIMIT_MS);
  });

  it('never reads what we send: request_timeout_ms on the write side', async () => {
    // 64 MiB of query text cannot fit the socket buffers of a peer that reads nothing.
    const sql = `SELECT '${'x'.repeat(64 << 20)}'`;
    const { error, elapsed } = await failure('never-reads', { connect_timeout_ms: 5000, request_timeout_ms: LIMIT_MS }, (c) =>
      c.command({ query: sql }),
    );
    expect(error.code).toBe('ETIMEDOUT');
    expect(error.message).toMatch(/did not read what we sent for 400 ms \(request_timeout_ms\)/);
    // The time also covers encoding 64 MiB of query text before the first write: seconds on a busy machine.
    expectWithin(elapsed, LIMIT_MS, 5 * SLACK_MS);
  });

  it('a TLS handshake that never gets an answer: connect_timeout_ms', async () => {
    const { error, elapsed } = await failure('silent', { connect_timeout_ms: LIMIT_MS, tls: true }, (c) => c.query({ query: 'SELECT 1' }));
    expect(error.message).toMatch(/timed out after 400 ms \(connect_timeout_ms\): no answer during the TLS handshake/);
    expectWithin(elapsed, LIMIT_MS);
  });

  it('a failed attempt is not retried', async () => {
    await failure('silent', { connect_timeout_ms: 200 }, (c) => c.query({ query: 'SELECT 1' }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(peer!.connections).toBe(1);
  });
});
