import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ClickHouseNativeError, createClient } from '../../src/index.js';
import { ConfigError } from '../../src/index.js';
import { testServer } from '../harness/context.js';
import { clientFor } from './helpers.js';

describe('client lifecycle', () => {
  it('await using closes the client at the end of the scope', async () => {
    let escaped: ReturnType<typeof clientFor> | undefined;
    {
      await using client = clientFor();
      escaped = client;
      expect(await (await client.query({ query: 'SELECT 1 AS one' })).json()).toEqual([{ one: 1 }]);
    }
    await expect(escaped.query({ query: 'SELECT 1' })).rejects.toBeInstanceOf(ClickHouseNativeError);
  });

  it('connects from a clickhouse:// URL', async () => {
    const server = testServer();
    const client = createClient({ url: server.url });
    expect(await client.ping()).toEqual({ success: true });
    await client.close();
  });

  it('keeps the password out of inspect and JSON', () => {
    const client = createClient({ url: 'clickhouse://alice:s3cret-pw@db.example:9000/prod' });
    expect(inspect(client, { depth: 10, showHidden: true })).not.toContain('s3cret-pw');
    expect(JSON.stringify(client)).not.toContain('s3cret-pw');
    expect(inspect(client)).toContain('alice@db.example:9000/prod');
  });

  it('rejects a bad configuration with ConfigError', () => {
    expect(() => createClient({ url: 'http://localhost:8123' })).toThrow(ConfigError);
    expect(() => createClient({ port: 70000 })).toThrow(ConfigError);
    expect(() => createClient({ compression: 'gzip' as 'lz4' })).toThrow(ConfigError);
    expect(() => createClient({ max_open_connections: 0 })).toThrow(ConfigError);
  });

  it('runs requests concurrently over the pool, one connection each', async () => {
    const client = clientFor({ max_open_connections: 3 });
    const results = await Promise.all(
      Array.from({ length: 8 }, async (_, i) =>
        (await client.query({ query: `SELECT ${i} AS i, sleep(0.05)` })).json(),
      ),
    );
    expect(results.map((rows) => (rows[0] as { i: number }).i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    await client.close();
  });
});
