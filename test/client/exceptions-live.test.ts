/**
 * Server exceptions as the run's server writes them, through the public client: code, class name, message, stack
 * trace; raised before any data, and after data blocks have arrived; the connection is reused afterwards. A modern
 * server (error_names gate) quotes the errors it met on its own connections inside the message, in its own layout
 * ("Code: 210. DB::NetException: … (NETWORK_ERROR) (version 26.7.…)"): the client passes the message through as
 * the server wrote it and takes the code of the outer exception.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ClickHouseError } from '../../src/index.js';
import { serverSupports, testServer } from '../harness/context.js';
import { clientFor } from './helpers.js';

const client = clientFor({ max_open_connections: 1 });
afterAll(async () => {
  await client.close();
});

async function failure(query: string): Promise<ClickHouseError> {
  const error = await client
    .query({ query })
    .then((rs) => rs.json())
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(error).toBeInstanceOf(ClickHouseError);
  return error as ClickHouseError;
}

/** The connection that saw the exception serves the next query (one connection in the pool). */
async function stillServes(): Promise<void> {
  expect(await (await client.query({ query: 'SELECT 7 AS seven' })).json()).toEqual([{ seven: 7 }]);
}

describe('exceptions from the live server', () => {
  it('an unknown table: code 60, the class name, a message naming the table, the stack trace', async () => {
    const error = await failure('SELECT * FROM no_such_table_for_exceptions');
    expect(error.code).toBe(60);
    expect(error.serverName).toBe('DB::Exception');
    expect(error.message).toMatch(/^DB::Exception: .*no_such_table_for_exceptions/);
    expect(error.serverStack).toMatch(/^0\. /);
    expect(error.cause).toBeUndefined();
    await stillServes();
  });

  it('a syntax error: code 62', async () => {
    const error = await failure('SELECT 1 +');
    expect(error.code).toBe(62);
    expect(error.message).toMatch(/Syntax error/);
    await stillServes();
  });

  it('raised after data blocks have arrived: thrown by the read, and the connection is reused', async () => {
    const result = await client.query({
      query: 'SELECT number, throwIf(number = 150000) AS boom FROM numbers(300000) SETTINGS max_block_size = 10000',
    });
    let rows = 0;
    const error = await (async () => {
      for await (const block of result.blocks()) rows += block.rows;
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ClickHouseError);
    expect((error as ClickHouseError).code).toBe(395); // FUNCTION_THROW_IF_VALUE_IS_NON_ZERO
    expect(rows).toBeGreaterThan(0);
    expect(rows).toBeLessThan(300_000);
    await stillServes();
  });

  it("errors the server met on its own connections are quoted in the message, in the server's layout", async () => {
    // remote() to a closed port: the server's own connection attempts fail, and it reports them in one exception.
    const error = await failure(
      "SELECT * FROM remote('127.0.0.1:1', system.one) SETTINGS connect_timeout_with_failover_ms = 200",
    );
    expect(error.serverName).toBe('DB::NetException');
    expect(error.cause).toBeUndefined();
    if (serverSupports('error_names')) {
      // ALL_CONNECTION_TRIES_FAILED or, when it first reads the table structure, its wrapper.
      expect([279, 519]).toContain(error.code);
      expect(error.message).toMatch(
        /Code: 210\. DB::NetException: Connection refused \(127\.0\.0\.1:1\)\. \(NETWORK_ERROR\) \(version \d+\.\d+/,
      );
      expect(error.message).toContain(`(version ${testServer().version}`);
    } else {
      expect(error.code).toBe(279);
      expect(error.message).toMatch(
        /Code: 210, e\.displayText\(\) = DB::NetException: Connection refused \(127\.0\.0\.1:1\)/,
      );
    }
    await stillServes();
  });
});
