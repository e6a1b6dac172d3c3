/**
 * Every protocol revision above 54460, live against the run's server. On ClickHouse 26.7 (revision 54488) each
 * revision's field, packet or serialization arrives and is read, and a connection advertising the revision just
 * below gets none of it; on 18.16 (54412) everything is negotiated down and the same requests still work. The offline
 * side (recorded bytes, splits, truncations, caps) is revisions.test.ts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CLIENT_REVISION, Feature } from '../../src/protocol/revision.js';
import { testServer } from '../harness/context.js';
import { clientFor } from '../client/helpers.js';
import { dataColumns, liveQuery, openConnection, serverSpeaks } from './live.js';

const client = clientFor();
afterAll(() => client.close());

/** The bytes of the server's Hello to a connection that advertised `revision`. */
async function helloLength(revision: number): Promise<number> {
  const connection = await openConnection({ revision });
  try {
    return connection.reader.offset;
  } finally {
    connection.close();
  }
}

describe('the handshake', () => {
  it(`negotiates min(${CLIENT_REVISION}, the server's revision) and still runs queries at every revision above 54460`, async () => {
    const info = await client.serverInfo();
    expect(info.negotiatedRevision).toBe(Math.min(CLIENT_REVISION, info.revision));
    expect(info.revision).toBe(testServer().revision);
    for (let revision = 54460; revision <= CLIENT_REVISION; revision++) {
      const { packets, connection } = await liveQuery('SELECT 1 AS one', { revision });
      expect(connection.revision, `advertising ${revision}`).toBe(Math.min(revision, info.revision));
      expect(dataColumns(packets).get('one'), `advertising ${revision}`).toEqual([1]);
    }
  });
});

describe(`${Feature.PASSWORD_COMPLEXITY_RULES} password complexity rules`, () => {
  it('are read from the Hello (one more byte for an empty list) and reported by serverInfo()', async () => {
    const info = await client.serverInfo();
    // chdb's clickhouse-local loads no <password_complexity> rules, 18.16 has none to send.
    expect(info.passwordComplexityRules).toEqual([]);
    const delta = (await helloLength(Feature.PASSWORD_COMPLEXITY_RULES)) - (await helloLength(Feature.PASSWORD_COMPLEXITY_RULES - 1));
    expect(delta).toBe(serverSpeaks(Feature.PASSWORD_COMPLEXITY_RULES) ? 1 : 0);
  });
});

describe(`${Feature.INTERSERVER_SECRET_V2} interserver secret v2`, () => {
  it('the Hello carries a random UInt64 nonce (8 more bytes), a new one per connection', async () => {
    const delta = (await helloLength(Feature.INTERSERVER_SECRET_V2)) - (await helloLength(Feature.INTERSERVER_SECRET_V2 - 1));
    const [a, b] = [await openConnection(), await openConnection()];
    a.close();
    b.close();
    if (serverSpeaks(Feature.INTERSERVER_SECRET_V2)) {
      expect(delta).toBe(8);
      expect(typeof a.server.nonce).toBe('bigint');
      expect(a.server.nonce).not.toBe(b.server.nonce);
    } else {
      expect(delta).toBe(0);
      expect(a.server.nonce).toBeUndefined();
    }
  });
});
