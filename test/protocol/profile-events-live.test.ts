/**
 * ProfileEvents packets (server packet 14, from revision 54451), live: what the run's server sends for a query,
 * packet by packet, read through our connection. A server that negotiates the revision sends them (uncompressed
 * below 54481, even in a compressed query), each a block of the query's counters, and the client's query API skips
 * them; a server below it (18.16) never sends one.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createClient } from '../../src/index.js';
import { Connection } from '../../src/connection/connection.js';
import { encodeQuery } from '../../src/connection/exchange.js';
import { Secret } from '../../src/connection/secret.js';
import { Feature } from '../../src/protocol/revision.js';
import type { ServerMessage } from '../../src/connection/packet-reader.js';
import { testServer } from '../harness/context.js';

/** Every packet of one query, up to EndOfStream. */
async function packetsOf(
  sql: string,
  compression: 'lz4' | 'none',
): Promise<{ revision: number; messages: ServerMessage[] }> {
  const server = testServer();
  const connection = await Connection.open({
    host: server.host,
    port: server.port,
    database: server.database,
    username: server.username,
    password: new Secret(server.password),
    connectTimeoutMs: 10_000,
    requestTimeoutMs: 30_000,
  });
  try {
    await connection.send(await encodeQuery(connection, { sql, queryId: randomUUID(), settings: {}, compression }));
    const messages: ServerMessage[] = [];
    for (;;) {
      const message = await connection.readPacket({ compression: compression !== 'none' });
      messages.push(message);
      if (message.type === 'endOfStream' || message.type === 'exception') break;
    }
    return { revision: connection.revision, messages };
  } finally {
    connection.close();
  }
}

const QUERY = 'SELECT number, toString(number) AS s FROM numbers(100000)';

describe('ProfileEvents packets from the live server', () => {
  it.each(['lz4', 'none'] as const)(
    'are read as blocks of counters when the revision has them (compression %s)',
    async (compression) => {
      const { revision, messages } = await packetsOf(QUERY, compression);
      const events = messages.flatMap((m) => (m.type === 'profileEvents' ? [m.block] : []));
      expect(messages.at(-1)!.type).toBe('endOfStream');
      expect(
        messages.filter((m) => m.type === 'data').reduce((n, m) => n + (m.type === 'data' ? m.block.rows : 0), 0),
      ).toBe(100_000);
      if (revision < Feature.INCREMENTAL_PROFILE_EVENTS) {
        expect(events, `revision ${revision} has no ProfileEvents`).toEqual([]);
        return;
      }
      expect(events.length).toBeGreaterThan(0);
      for (const block of events) {
        expect(block.columns.map((c) => c.name)).toEqual([
          'host_name',
          'current_time',
          'thread_id',
          'type',
          'name',
          'value',
        ]);
      }
      // The counters of this query: among them the rows it selected, in an 'increment' row.
      const counters = events.flatMap((block) => {
        const column = (name: string) => block.columns.find((c) => c.name === name)!.values;
        return Array.from({ length: block.rows }, (_, i) => ({
          type: column('type')[i],
          name: column('name')[i],
          value: column('value')[i],
        }));
      });
      const selected = counters.filter((c) => c.name === 'SelectedRows' && c.type === 'increment');
      expect(selected.length).toBeGreaterThan(0);
      expect(selected.reduce((n, c) => n + BigInt(c.value as bigint | number), 0n)).toBeGreaterThanOrEqual(100_000n);
    },
  );

  it('are skipped by the query API: every row arrives and the progress counts them', async () => {
    const client = createClient({ host: testServer().host, port: testServer().port, compression: 'lz4' });
    try {
      const result = await client.query({ query: QUERY });
      let rows = 0;
      for await (const block of result.blocks()) rows += block.rows;
      expect(rows).toBe(100_000);
      expect(result.summary.progress.read_rows).toBeGreaterThanOrEqual(100_000); // 18.16 counts whole blocks read
    } finally {
      await client.close();
    }
  });
});
