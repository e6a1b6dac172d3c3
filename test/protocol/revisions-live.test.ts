/**
 * Every protocol revision above 54460, live against the run's server. On ClickHouse 26.7 (revision 54488) each
 * revision's field, packet or serialization arrives and is read, and a connection advertising the revision just
 * below gets none of it; on 18.16 (54412) everything is negotiated down and the same requests still work. The offline
 * side (recorded bytes, splits, truncations, caps) is revisions.test.ts.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnsupportedError } from '../../src/errors.js';
import { CLIENT_REVISION, Feature } from '../../src/protocol/revision.js';
import type { ServerMessage } from '../../src/connection/packet-reader.js';
import { dynamicValue } from '../../src/index.js';
import { serverSupports, testServer } from '../harness/context.js';
import { clientFor, uniqueTable } from '../client/helpers.js';
import { writeTablesStatusRequest } from '../../src/protocol/client-packets.js';
import { ByteWriter } from '../../src/protocol/writer.js';
import {
  adminQuery,
  getFreePort,
  serverSharesTestLoopback,
  startChdbServer,
  startLocalServer,
} from '../harness/server.js';
import { replicaConfigXml, startZooKeeper } from '../harness/zookeeper.js';
import { dataColumns, liveQuery, openConnection, queryPackets, serverSpeaks } from './live.js';

const client = clientFor();
/** A MergeTree table of 1000 rows, k = 0..999. */
const table = uniqueTable('revisions');
beforeAll(async () => {
  await client.command({ query: `CREATE TABLE ${table} (k UInt64, s String) ENGINE = MergeTree ORDER BY k` });
  await client.insert({
    table,
    values: {
      k: BigUint64Array.from({ length: 1000 }, (_, i) => BigInt(i)),
      s: Array.from({ length: 1000 }, (_, i) => `s${i}`),
    },
  });
});
afterAll(async () => {
  await client.command({ query: `DROP TABLE IF EXISTS ${table}` });
  await client.close();
});

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
    const delta =
      (await helloLength(Feature.PASSWORD_COMPLEXITY_RULES)) -
      (await helloLength(Feature.PASSWORD_COMPLEXITY_RULES - 1));
    expect(delta).toBe(serverSpeaks(Feature.PASSWORD_COMPLEXITY_RULES) ? 1 : 0);
  });
});

describe(`${Feature.INTERSERVER_SECRET_V2} interserver secret v2`, () => {
  it('the Hello carries a random UInt64 nonce (8 more bytes), a new one per connection', async () => {
    const delta =
      (await helloLength(Feature.INTERSERVER_SECRET_V2)) - (await helloLength(Feature.INTERSERVER_SECRET_V2 - 1));
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

describe(`${Feature.TOTAL_BYTES_IN_PROGRESS} total_bytes_to_read in Progress`, () => {
  const sums = (packets: ServerMessage[]) => {
    const progress = packets.flatMap((p) => (p.type === 'progress' ? [p.progress] : []));
    return {
      totalBytes: progress.reduce((sum, p) => sum + p.totalBytesToRead, 0),
      totalRows: progress.reduce((sum, p) => sum + p.totalRowsToRead, 0),
    };
  };

  it('url() announces the Content-Length it reads; below the revision the server sends an estimate of rows instead', async () => {
    if (!serverSpeaks(Feature.TOTAL_BYTES_IN_PROGRESS) || !serverSharesTestLoopback(testServer())) {
      // 18.16 (or a server that cannot reach our loopback): a MergeTree read, and no such field.
      const seen: number[] = [];
      await (
        await client.query({
          query: `SELECT sum(k) FROM ${table}`,
          on_progress: (p) => seen.push(p.total_bytes_to_read),
        })
      ).json();
      expect(seen.every((b) => b === 0)).toBe(true);
      return;
    }
    const csv = Buffer.from(Array.from({ length: 100_000 }, (_, i) => `${i}\n`).join(''));
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/csv', 'Content-Length': csv.length });
      res.end(csv);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const sql = `SELECT sum(a) AS s FROM url('http://127.0.0.1:${(server.address() as AddressInfo).port}/n.csv', 'CSV', 'a UInt32')`;
      const seen: number[] = [];
      const result = await client.query({ query: sql, on_progress: (p) => seen.push(p.total_bytes_to_read) });
      expect(await result.json()).toEqual([{ s: 4999950000n }]);
      expect(seen.at(-1)).toBe(csv.length);
      // At 54462 the server cannot say bytes: it turns them into an estimate of the rows from the bytes per row read
      // so far in the same Progress (ProgressValues::write, getApproxTotalRowsToRead), which is 0 when the bytes were
      // announced before any row was read: how the two fall into packets is the server's timing. Either way no
      // bytes field arrives, and an estimate never exceeds the bytes (a row is at least one byte).
      const below = sums((await liveQuery(sql, { revision: Feature.TOTAL_BYTES_IN_PROGRESS - 1 })).packets);
      expect(below.totalBytes).toBe(0);
      expect(below.totalRows).toBeLessThanOrEqual(csv.length);
      const at = sums((await liveQuery(sql, { revision: Feature.TOTAL_BYTES_IN_PROGRESS })).packets);
      expect(at).toEqual({ totalBytes: csv.length, totalRows: 0 });
    } finally {
      server.close();
    }
  });
});

describe(`${Feature.TIMEZONE_UPDATES} TimezoneUpdate`, () => {
  const block = {
    rows: 2,
    columns: [
      { name: 'k', type: 'UInt64', values: BigUint64Array.of(5000n, 5001n) },
      { name: 's', type: 'String', values: ['tz1', 'tz2'] },
    ],
  };
  const sql = `INSERT INTO ${table} SELECT * FROM input('k UInt64, s String')`;
  const settings = { session_timezone: 'Asia/Tokyo' };

  it('INSERT ... SELECT FROM input() is told the session time zone; the revision below is not', async () => {
    if (!serverSpeaks(Feature.TIMEZONE_UPDATES)) {
      // 18.16 has neither input() nor session_timezone: its queries never bring the packet.
      const { packets } = await liveQuery(`SELECT count() FROM ${table}`);
      expect(packets.some((p) => p.type === 'timezoneUpdate')).toBe(false);
      return;
    }
    const at = (await liveQuery(sql, { settings, data: [block] })).packets;
    expect(at.filter((p) => p.type === 'timezoneUpdate')).toEqual([{ type: 'timezoneUpdate', timezone: 'Asia/Tokyo' }]);
    expect(at.at(-1)?.type).toBe('endOfStream');
    const below = (await liveQuery(sql, { settings, data: [block], revision: Feature.TIMEZONE_UPDATES - 1 })).packets;
    expect(below.some((p) => p.type === 'timezoneUpdate')).toBe(false);
    expect(below.at(-1)?.type).toBe('endOfStream');
    const rows = await (await client.query({ query: `SELECT count() AS c FROM ${table} WHERE k >= 5000` })).json();
    expect(rows).toEqual([{ c: 4n }]);
    await client.command({
      query: `ALTER TABLE ${table} DELETE WHERE k >= 5000`,
      clickhouse_settings: { mutations_sync: 1 },
    });
  });
});

describe(`${Feature.SPARSE_SERIALIZATION} sparse columns`, () => {
  const sparse = uniqueTable('sparse');
  const rows = 3000;
  // One row in a hundred has a non-default value: MergeTree keeps such columns sparse (ratio 0.5 here).
  const at = (i: number, offset: number) => i % 100 === offset;
  const expected = Array.from({ length: rows }, (_, i) => ({
    k: i,
    a: at(i, 7) ? i : 0,
    s: at(i, 8) ? `s${i}` : '',
    n: at(i, 9) ? i : null,
    t: { x: at(i, 10) ? i : 0, y: at(i, 11) ? 'y' : '' },
  }));

  beforeAll(async () => {
    const modern = serverSpeaks(Feature.SPARSE_SERIALIZATION);
    await client.command({
      query:
        `CREATE TABLE ${sparse} (k UInt32, a UInt32, s String, n Nullable(UInt32), t Tuple(x UInt32, y String)) ` +
        `ENGINE = MergeTree ORDER BY k${modern ? ' SETTINGS ratio_of_defaults_for_sparse_serialization = 0.5' : ''}`,
    });
    await client.insert({ table: sparse, values: expected });
  });
  afterAll(() => client.command({ query: `DROP TABLE IF EXISTS ${sparse}` }));

  it('a query reads mostly-default columns as they are stored, and gets every row', async () => {
    const sql = `SELECT k, a, s, n, t FROM ${sparse} ORDER BY k`;
    expect(await (await client.query({ query: sql })).json()).toEqual(expected);
    const now = await liveQuery(sql);
    const below = await liveQuery(sql, { revision: Feature.SPARSE_SERIALIZATION - 1 });
    expect(dataColumns(now.packets)).toEqual(dataColumns(below.packets));
    if (serverSpeaks(Feature.SPARSE_SERIALIZATION)) {
      const kinds = await (
        await client.query({
          query: `SELECT column, serialization_kind FROM system.parts_columns WHERE table = '${sparse}' AND active ORDER BY column`,
        })
      ).json();
      expect(kinds).toEqual(
        expect.arrayContaining([
          { column: 'a', serialization_kind: 'Sparse' },
          { column: 's', serialization_kind: 'Sparse' },
        ]),
      );
      // The sparse read costs fewer bytes on the wire than the full one.
      expect(now.bytes).toBeLessThan(below.bytes - 10_000);
    }
  });
});

describe(`${Feature.SSH_AUTHENTICATION} SSH key authentication`, () => {
  it('a user name asking for it is refused by the client, which cannot answer the challenge, instead of hanging', async () => {
    const ssh = clientFor({ username: ` SSH KEY AUTHENTICATION ${testServer().username}`, password: '' });
    try {
      await expect(ssh.query({ query: 'SELECT 1' })).rejects.toThrow(UnsupportedError);
    } finally {
      await ssh.close();
    }
  });
});

describe(`${Feature.TABLE_READ_ONLY_CHECK} read-only replicated tables in TablesStatus`, () => {
  it('a replicated table reports whether it is read-only; the revision below does not say', async () => {
    // A private server of the run's kind with ZooKeeper, for a ReplicatedMergeTree table.
    const zk = await startZooKeeper();
    const configXml = replicaConfigXml(zk, { shard: 1, replica: 'r1', interserverPort: await getFreePort() });
    const modern = serverSpeaks(Feature.TABLE_READ_ONLY_CHECK);
    const server = modern ? await startChdbServer({ configXml }) : await startLocalServer({ configXml });
    try {
      await adminQuery(
        server,
        "CREATE TABLE rt (k UInt32) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/rt', '{replica}') ORDER BY k",
      );
      await adminQuery(server, 'CREATE TABLE mt (k UInt32) ENGINE = MergeTree ORDER BY k');
      const readonly =
        (await adminQuery(server, "SELECT is_readonly FROM system.replicas WHERE table = 'rt'")).trim() === '1';
      const status = async (revision: number) => {
        const connection = await openConnection({ revision, server });
        try {
          const request = new ByteWriter(64);
          writeTablesStatusRequest(request, [
            { database: 'default', table: 'rt' },
            { database: 'default', table: 'mt' },
          ]);
          await connection.send(request.finish());
          return await connection.readPacket({ compression: false });
        } finally {
          connection.close();
        }
      };
      expect(await status(Feature.TABLE_READ_ONLY_CHECK)).toMatchObject({
        type: 'tablesStatus',
        tables: [
          { table: 'rt', isReplicated: true, isReadonly: modern && readonly },
          { table: 'mt', isReplicated: false, isReadonly: false },
        ],
      });
      expect(await status(Feature.TABLE_READ_ONLY_CHECK - 1)).toMatchObject({
        type: 'tablesStatus',
        tables: [{ table: 'rt', isReplicated: true, isReadonly: false }, { table: 'mt' }],
      });
      // chdb's replicas stay read-only (its clickhouse-local runs no replication queue): the flag is really read.
      if (modern) expect(readonly).toBe(true);
    } finally {
      await server.stop();
      await zk.stop();
    }
  });
});

describe(`${Feature.SYSTEM_KEYWORDS_TABLE} system.keywords`, () => {
  it('a server of this revision has the table; nothing on the wire depends on it', async () => {
    const query = client.query({ query: 'SELECT count() AS n FROM system.keywords' });
    if (serverSpeaks(Feature.SYSTEM_KEYWORDS_TABLE)) {
      const [row] = (await (await query).json()) as { n: bigint }[];
      expect(row!.n).toBeGreaterThan(100n);
    } else {
      await expect(query).rejects.toThrow(/keywords/);
    }
  });
});

describe(`${Feature.ROWS_BEFORE_AGGREGATION} rows before aggregation`, () => {
  it('ProfileInfo says how many rows a GROUP BY aggregated; the revision below does not', async () => {
    const sql = `SELECT k % 7 AS r, count() AS c FROM ${table} GROUP BY r ORDER BY r`;
    const modern = serverSpeaks(Feature.ROWS_BEFORE_AGGREGATION);
    // 18.16 does not know the setting: its profile info is the old one.
    const settings = modern ? { rows_before_aggregation: 1 } : {};
    const result = await client.query({ query: sql, clickhouse_settings: settings });
    expect(await result.json()).toHaveLength(7);
    const info = result.summary.profile_info;
    expect(info).toMatchObject(
      modern
        ? { appliedAggregation: true, rowsBeforeAggregation: 1000 }
        : { appliedAggregation: false, rowsBeforeAggregation: 0 },
    );
    const below = await liveQuery(sql, { settings, revision: Feature.ROWS_BEFORE_AGGREGATION - 1 });
    expect(below.packets.find((p) => p.type === 'profileInfo')).toMatchObject({
      info: { appliedAggregation: false, rowsBeforeAggregation: 0 },
    });
  });
});

describe(`${Feature.CHUNKED_PACKETS} chunked packets`, () => {
  it("the run's server: what its Hello offers decides (18.16 offers nothing; 26.7 by default does not chunk)", async () => {
    const connection = await openConnection();
    connection.close();
    if (serverSpeaks(Feature.CHUNKED_PACKETS)) {
      expect(connection.server.chunkedSend).toMatch(/chunked/);
      expect(connection.chunked).toEqual({
        send:
          connection.server.chunkedRecv!.startsWith('chunked') && !connection.server.chunkedRecv!.endsWith('_optional'),
        recv:
          connection.server.chunkedSend!.startsWith('chunked') && !connection.server.chunkedSend!.endsWith('_optional'),
      });
    } else {
      expect(connection.server.chunkedSend).toBeUndefined();
      expect(connection.chunked).toEqual({ send: false, recv: false });
    }
  });

  // 26.7 servers of our own (chdb), configured to chunk: what the client then does on every path.
  const modes: [send: string, recv: string, expected: { send: boolean; recv: boolean }][] = [
    ['chunked', 'chunked', { send: true, recv: true }],
    ['chunked', 'notchunked', { send: false, recv: true }],
    ['chunked_optional', 'chunked_optional', { send: false, recv: false }],
  ];
  for (const [send, recv, expected] of modes) {
    it(`a server that sends ${send} and receives ${recv}: queries, inserts, pings and cancels work`, async () => {
      const server = await startChdbServer({
        configXml: `<proto_caps><send>${send}</send><recv>${recv}</recv></proto_caps>`,
      });
      const chunkedClient = clientFor({
        host: server.host,
        port: server.port,
        username: server.username,
        password: server.password,
      });
      try {
        const connection = await openConnection({ server });
        connection.close();
        expect(connection.chunked).toEqual(expected);
        await chunkedClient.command({ query: 'CREATE TABLE t (k UInt64, s String) ENGINE = MergeTree ORDER BY k' });
        const values = Array.from({ length: 200_000 }, (_, i) => ({ k: BigInt(i), s: `v${i}` }));
        await chunkedClient.insert({ table: 't', values });
        const rows = await (await chunkedClient.query({ query: 'SELECT count() AS c, sum(k) AS s FROM t' })).json();
        expect(rows).toEqual([{ c: 200_000n, s: 19_999_900_000n }]);
        expect(await chunkedClient.ping()).toEqual({ success: true });
        const controller = new AbortController();
        const slow = chunkedClient.query({
          query: 'SELECT sleepEachRow(0.2) FROM numbers(50) SETTINGS max_block_size = 5',
          abort_signal: controller.signal,
        });
        setTimeout(() => controller.abort(), 100);
        await expect(slow.then((r) => r.json())).rejects.toThrow(/abort/i);
        expect(await (await chunkedClient.query({ query: 'SELECT 1 AS one' })).json()).toEqual([{ one: 1 }]);
        if (expected.send || expected.recv) {
          // A client of 54469 cannot chunk: a server that insists sends it "Incompatible protocol" after the handshake
          // and closes the connection (the query being sent may meet the closed socket first).
          const old = await liveQuery('SELECT 1', { server, revision: Feature.CHUNKED_PACKETS - 1 }).then(
            ({ packets }) => (packets.at(-1) as { error?: Error }).error,
            (error: unknown) => error,
          );
          expect(old).toBeInstanceOf(Error);
          expect(String(old)).toMatch(/Incompatible protocol|EPIPE|ECONNRESET|closed by the server/);
        }
      } finally {
        await chunkedClient.close();
        await server.stop();
      }
    });
  }
});

describe(`${Feature.VERSIONED_PARALLEL_REPLICAS_PROTOCOL} versioned parallel-replicas protocol`, () => {
  it('the Hello carries the version (one byte before the time zone), and our addendum is accepted', async () => {
    const connection = await openConnection();
    connection.close();
    const delta =
      (await helloLength(Feature.VERSIONED_PARALLEL_REPLICAS_PROTOCOL)) -
      (await helloLength(Feature.VERSIONED_PARALLEL_REPLICAS_PROTOCOL - 1));
    if (serverSpeaks(Feature.VERSIONED_PARALLEL_REPLICAS_PROTOCOL)) {
      expect(connection.server.parallelReplicasProtocolVersion).toBeGreaterThanOrEqual(3);
      expect(delta).toBe(1);
      const [row] = (await (await client.query({ query: 'SELECT timezone() AS tz' })).json()) as { tz: string }[];
      expect(connection.server.timezone).toBe(row!.tz);
    } else {
      expect(connection.server.parallelReplicasProtocolVersion).toBeUndefined();
      expect(delta).toBe(0);
    }
    expect(dataColumns((await liveQuery('SELECT 1 AS one')).packets).get('one')).toEqual([1]);
  });
});

describe(`${Feature.INTERSERVER_EXTERNALLY_GRANTED_ROLES} externally granted roles`, () => {
  it('the Query packet with the (empty) roles String is read as before: settings, stage, SQL and parameters all land', async () => {
    for (const revision of [
      Feature.INTERSERVER_EXTERNALLY_GRANTED_ROLES - 1,
      Feature.INTERSERVER_EXTERNALLY_GRANTED_ROLES,
    ]) {
      const sql = "SELECT value AS b FROM system.settings WHERE name = 'max_block_size'";
      const { packets } = await liveQuery(sql, { revision, settings: { max_block_size: 1234 } });
      expect(dataColumns(packets).get('b'), `at ${revision}`).toEqual(['1234']);
    }
    const params = await client.query({ query: 'SELECT toString({x:UInt8} + 1) AS y', query_params: { x: 41 } });
    expect(await params.json()).toEqual([{ y: '42' }]);
  });
});

describe(`${Feature.V2_DYNAMIC_AND_JSON_SERIALIZATION} Dynamic and JSON serialization V2`, () => {
  it('rows written in V2 (and in V1 by a connection of 54472) are stored as written, read back in V2', async () => {
    const dj = uniqueTable('dj');
    if (!serverSupports('json_types')) {
      await expect(client.command({ query: `CREATE TABLE ${dj} (d Dynamic) ENGINE = Memory` })).rejects.toThrow(
        /Dynamic/,
      );
      return;
    }
    await client.command({ query: `CREATE TABLE ${dj} (id UInt32, d Dynamic, j JSON) ENGINE = MergeTree ORDER BY id` });
    try {
      const d = [dynamicValue('UInt8', 5), 'abc', null, dynamicValue('Array(Int64)', [1n, 2n])];
      const j = [{ a: 1n, b: { c: 'x' } }, { a: 2n }, {}, { z: 1.5 }];
      await client.insert({ table: dj, values: d.map((v, i) => ({ id: i, d: v, j: j[i] })) });
      const block = {
        rows: 4,
        columns: [
          { name: 'id', type: 'UInt32', values: Uint32Array.of(10, 11, 12, 13) },
          { name: 'd', type: 'Dynamic', values: d },
          { name: 'j', type: 'JSON', values: j },
        ],
      };
      const old = await liveQuery(`INSERT INTO ${dj} (id, d, j) VALUES`, {
        data: [block],
        revision: Feature.V2_DYNAMIC_AND_JSON_SERIALIZATION - 1,
      });
      expect(old.packets.at(-1)?.type).toBe('endOfStream');
      const stored = await (
        await client.query({
          query: `SELECT id % 10 AS i, dynamicType(d) AS t, toString(d) AS s, toJSONString(j) AS js FROM ${dj} ORDER BY id`,
        })
      ).json();
      // What V2 wrote (ids 0..3) and what V1 wrote (10..13) are the same rows.
      expect(stored.slice(4)).toEqual(stored.slice(0, 4));
      expect(stored.slice(0, 4)).toMatchObject([
        { t: 'UInt8', s: '5', js: expect.stringMatching(/^\{"a":"?1"?,"b":\{"c":"x"\}\}$/) },
        { t: 'String', s: 'abc' },
        { t: 'None', js: '{}' },
        { t: 'Array(Int64)', s: '[1,2]', js: '{"z":1.5}' },
      ]);
      // Read back over each serialization: the same rows.
      const sql = `SELECT d, j FROM ${dj} ORDER BY id`;
      expect(dataColumns((await liveQuery(sql)).packets)).toEqual(
        dataColumns((await liveQuery(sql, { revision: Feature.V2_DYNAMIC_AND_JSON_SERIALIZATION - 1 })).packets),
      );
    } finally {
      await client.command({ query: `DROP TABLE IF EXISTS ${dj}` });
    }
  });
});

describe(`${Feature.SERVER_SETTINGS} server settings in the Hello`, () => {
  it("the user's profile arrives with the Hello, and the text the client prints follows it", async () => {
    const info = await client.serverInfo();
    const below = await openConnection({ revision: Feature.SERVER_SETTINGS - 1 });
    below.close();
    expect(below.server.settings).toBeUndefined();
    if (!serverSpeaks(Feature.SERVER_SETTINGS)) {
      expect(info.settings).toBeUndefined();
      return;
    }
    expect(info.settings).toBeDefined();
    // A server of our own whose profile quotes 64-bit integers in JSON: result.text() prints as it does.
    const server = await startChdbServer({ profileSettings: { output_format_json_quote_64bit_integers: 1 } });
    const quoting = clientFor({
      host: server.host,
      port: server.port,
      username: server.username,
      password: server.password,
    });
    try {
      expect((await quoting.serverInfo()).settings).toMatchObject({ output_format_json_quote_64bit_integers: '1' });
      const sql = 'SELECT toUInt64(5) AS x FORMAT JSONEachRow';
      const text = await (await quoting.query({ query: sql })).text();
      expect(text).toBe('{"x":"5"}\n');
      expect(text).toBe(await adminQuery(server, sql));
    } finally {
      await quoting.close();
      await server.stop();
    }
  });
});

/**
 * What system.query_log recorded of the ClientInfo of a query run by a connection advertising `revision` (26.7
 * logs queries in the harness's config).
 */
async function loggedClientInfo(revision: number): Promise<Record<string, unknown>> {
  const queryId = randomUUID();
  const { connection } = await liveQuery('SELECT 1', { revision, queryId });
  await client.command({ query: 'SYSTEM FLUSH LOGS' });
  const rows = (await (
    await client.query({
      query:
        'SELECT client_name, client_revision, client_version_major, client_version_minor, client_version_patch, ' +
        'script_query_number, script_line_number, client_agent, is_internal FROM system.query_log ' +
        "WHERE query_id = {id:String} AND type = 'QueryFinish'",
      query_params: { id: queryId },
    })
  ).json()) as Record<string, unknown>[];
  expect(rows, `query_log for ${queryId}`).toHaveLength(1);
  expect(rows[0]).toMatchObject({
    client_name: connection.identity.name,
    client_revision: revision,
    client_version_major: connection.identity.versionMajor,
    client_version_minor: connection.identity.versionMinor,
    client_version_patch: connection.identity.versionPatch,
  });
  return rows[0]!;
}

describe(`${Feature.QUERY_AND_LINE_NUMBERS} script query and line numbers in ClientInfo`, () => {
  it('ClientInfo with the two numbers (0: no script) is read as sent, its other fields intact', async () => {
    if (!serverSpeaks(Feature.QUERY_AND_LINE_NUMBERS)) {
      expect(dataColumns((await liveQuery('SELECT 1 AS one')).packets).get('one')).toEqual([1]);
      return;
    }
    expect(await loggedClientInfo(Feature.QUERY_AND_LINE_NUMBERS)).toMatchObject({
      script_query_number: 0,
      script_line_number: 0,
    });
    await loggedClientInfo(Feature.QUERY_AND_LINE_NUMBERS - 1);
  });
});

describe(`${Feature.JWT_IN_INTERSERVER} JWT in ClientInfo`, () => {
  it('ClientInfo with the no-JWT flag is read as sent', async () => {
    if (!serverSpeaks(Feature.JWT_IN_INTERSERVER)) {
      expect(dataColumns((await liveQuery('SELECT 1 AS one')).packets).get('one')).toEqual([1]);
      return;
    }
    await loggedClientInfo(Feature.JWT_IN_INTERSERVER);
  });
});

describe(`${Feature.QUERY_PLAN_SERIALIZATION} query plan serialization version`, () => {
  it('the Hello carries it (one more byte, after the settings)', async () => {
    const delta =
      (await helloLength(Feature.QUERY_PLAN_SERIALIZATION)) - (await helloLength(Feature.QUERY_PLAN_SERIALIZATION - 1));
    const info = await client.serverInfo();
    if (serverSpeaks(Feature.QUERY_PLAN_SERIALIZATION)) {
      expect(delta).toBe(1);
      expect(info.queryPlanSerializationVersion).toBeGreaterThan(0);
    } else {
      expect(delta).toBe(0);
      expect(info.queryPlanSerializationVersion).toBeUndefined();
    }
  });
});

describe(`${Feature.PARALLEL_BLOCK_MARSHALLING} parallel block marshalling`, () => {
  it('an initial query, compressed and aggregated, brings no DETACHED columns (servers marshal blocks only for each other)', async () => {
    const sql = `SELECT k % 5 AS r, count() AS c, groupArray(s) AS a FROM ${table} GROUP BY r ORDER BY r`;
    for (const compression of ['lz4', 'zstd'] as const) {
      const { packets } = await liveQuery(sql, {
        compression,
        settings: { enable_parallel_blocks_marshalling: 1 },
      }).catch(async (error: Error) => {
        // 18.16 does not know the setting.
        expect(serverSpeaks(Feature.PARALLEL_BLOCK_MARSHALLING)).toBe(false);
        expect(error.message).toMatch(/enable_parallel_blocks_marshalling/);
        return liveQuery(sql, { compression });
      });
      expect(dataColumns(packets).get('c')).toEqual(Array.from({ length: 5 }, () => 200n));
    }
  });
});

describe(`${Feature.VERSIONED_CLUSTER_FUNCTION_PROTOCOL} cluster function protocol version`, () => {
  it('the Hello carries it, last (one more byte)', async () => {
    const delta =
      (await helloLength(Feature.VERSIONED_CLUSTER_FUNCTION_PROTOCOL)) -
      (await helloLength(Feature.VERSIONED_CLUSTER_FUNCTION_PROTOCOL - 1));
    const info = await client.serverInfo();
    if (serverSpeaks(Feature.VERSIONED_CLUSTER_FUNCTION_PROTOCOL)) {
      expect(delta).toBe(1);
      expect(info.clusterFunctionProtocolVersion).toBeGreaterThan(0);
    } else {
      expect(delta).toBe(0);
      expect(info.clusterFunctionProtocolVersion).toBeUndefined();
    }
  });
});

describe(`${Feature.OUT_OF_ORDER_BUCKETS_IN_AGGREGATION} out-of-order buckets in BlockInfo`, () => {
  it('blocks carry the (empty) list from 54480, and not below', async () => {
    const sql = `SELECT k % 3 AS r, count() AS c FROM ${table} GROUP BY r WITH TOTALS ORDER BY r`;
    const infos = async (revision: number) =>
      (await liveQuery(sql, { revision })).packets.flatMap((p) => ('block' in p ? [p.block.info] : []));
    const at = await infos(Feature.OUT_OF_ORDER_BUCKETS_IN_AGGREGATION);
    const below = await infos(Feature.OUT_OF_ORDER_BUCKETS_IN_AGGREGATION - 1);
    expect(at.length).toBeGreaterThanOrEqual(3);
    for (const info of below) expect(info?.outOfOrderBuckets).toBeUndefined();
    for (const info of at)
      expect(info?.outOfOrderBuckets).toEqual(
        serverSpeaks(Feature.OUT_OF_ORDER_BUCKETS_IN_AGGREGATION) ? [] : undefined,
      );
  });
});

describe(`${Feature.COMPRESSED_LOGS_PROFILE_EVENTS_COLUMNS} compressed logs, profile events and table columns`, () => {
  it('with compression on, logs, profile events and the TableColumns of an insert are read, at 54481 and at 54480', async () => {
    const target = uniqueTable('columns');
    await client.command({
      query: `CREATE TABLE ${target} (k UInt64, s String DEFAULT 'd') ENGINE = MergeTree ORDER BY k`,
    });
    for (const revision of [
      Feature.COMPRESSED_LOGS_PROFILE_EVENTS_COLUMNS - 1,
      Feature.COMPRESSED_LOGS_PROFILE_EVENTS_COLUMNS,
    ]) {
      for (const compression of ['lz4', 'zstd'] as const) {
        const { packets } = await liveQuery(`SELECT count() AS c FROM ${table}`, {
          revision,
          compression,
          settings: { send_logs_level: 'debug' },
        });
        expect(dataColumns(packets).get('c'), `${revision} ${compression}`).toEqual([1000n]);
        expect(packets.some((p) => p.type === 'log')).toBe(true);
        const block = {
          rows: 1,
          columns: [
            { name: 'k', type: 'UInt64', values: BigUint64Array.of(7000n) },
            { name: 's', type: 'String', values: ['x'] },
          ],
        };
        // 18.16 sends TableColumns only with insert_sample_with_metadata (its name for the setting).
        const settings = serverSpeaks(54429)
          ? { input_format_defaults_for_omitted_fields: 1 }
          : { insert_sample_with_metadata: 1 };
        const insert = await liveQuery(`INSERT INTO ${target} (k, s) VALUES`, {
          revision,
          compression,
          data: [block],
          settings,
        });
        expect(insert.packets.find((p) => p.type === 'tableColumns')).toMatchObject({
          description: expect.stringMatching(/`s` String\tDEFAULT\t/),
        });
        expect(insert.packets.at(-1)?.type).toBe('endOfStream');
      }
    }
    const logs: string[] = [];
    const result = await client.query({
      query: 'SELECT 1 AS one',
      clickhouse_settings: { send_logs_level: 'debug' },
      on_log: (e) => logs.push(e.text),
    });
    expect(await result.json()).toEqual([{ one: 1 }]);
    expect(logs.length).toBeGreaterThan(0);
    await client.command({ query: `DROP TABLE ${target}` });
  });
});

describe(`${Feature.REPLICATED_SERIALIZATION} replicated columns`, () => {
  it("a JOIN's repeated rows read the same at 54482 and at 54481, with fewer bytes when the server replicates them", async () => {
    const left = uniqueTable('left');
    const right = uniqueTable('right');
    await client.command({
      query: `CREATE TABLE ${left} (k UInt32, s String, a Array(UInt32)) ENGINE = MergeTree ORDER BY k`,
    });
    await client.command({ query: `CREATE TABLE ${right} (k UInt32, w String) ENGINE = MergeTree ORDER BY k` });
    try {
      // Each left row (a long string, an array) matches three right rows; the right side is the smaller, so the
      // JOIN builds its hash table from it and repeats the left rows.
      await client.insert({
        table: left,
        values: Array.from({ length: 1000 }, (_, i) => ({
          k: i % 100,
          s: `${'x'.repeat(500)}${i}`,
          a: Uint32Array.of(i, i + 1),
        })),
      });
      await client.insert({
        table: right,
        values: Array.from({ length: 300 }, (_, i) => ({ k: i % 100, w: `w${i}` })),
      });
      const sql = `SELECT ${left}.k AS k, s, a, w FROM ${left} JOIN ${right} ON ${left}.k = ${right}.k`;
      const settings = { max_threads: 1 };
      const now = await liveQuery(sql, { settings });
      const below = await liveQuery(sql, { settings, revision: Feature.REPLICATED_SERIALIZATION - 1 });
      const rowsOf = (packets: ServerMessage[]) => {
        const c = dataColumns(packets);
        return c
          .get('k')!
          .map(
            (k, i) =>
              `${k} ${String(c.get('s')![i]).length} ${Array.from(c.get('a')![i] as Uint32Array)} ${c.get('w')![i]}`,
          )
          .sort();
      };
      expect(rowsOf(now.packets)).toEqual(rowsOf(below.packets));
      expect(rowsOf(now.packets)).toHaveLength(3000);
      if (serverSpeaks(Feature.REPLICATED_SERIALIZATION)) expect(now.bytes).toBeLessThan(below.bytes - 500_000);
    } finally {
      await client.command({ query: `DROP TABLE IF EXISTS ${left}` });
      await client.command({ query: `DROP TABLE IF EXISTS ${right}` });
    }
  });
});

describe(`${Feature.NULLABLE_SPARSE_SERIALIZATION} sparse Nullable columns`, () => {
  it('a mostly-NULL Nullable column of a table that allows it reads the same at 54483 and at 54482, in fewer bytes', async () => {
    const nullable = uniqueTable('nullable');
    const modern = serverSpeaks(Feature.NULLABLE_SPARSE_SERIALIZATION);
    await client.command({
      query:
        `CREATE TABLE ${nullable} (k UInt32, n Nullable(UInt64)) ENGINE = MergeTree ORDER BY k` +
        (modern
          ? " SETTINGS ratio_of_defaults_for_sparse_serialization = 0.5, nullable_serialization_version = 'allow_sparse'"
          : ''),
    });
    try {
      await client.insert({
        table: nullable,
        values: Array.from({ length: 5000 }, (_, i) => ({ k: i, n: i % 50 === 0 ? BigInt(i) : null })),
      });
      const sql = `SELECT n FROM ${nullable} ORDER BY k`;
      const now = await liveQuery(sql);
      const below = await liveQuery(sql, { revision: Feature.NULLABLE_SPARSE_SERIALIZATION - 1 });
      expect(dataColumns(now.packets)).toEqual(dataColumns(below.packets));
      expect(
        dataColumns(now.packets)
          .get('n')!
          .filter((v) => v !== null),
      ).toHaveLength(100);
      if (modern) expect(now.bytes).toBeLessThan(below.bytes - 30_000);
    } finally {
      await client.command({ query: `DROP TABLE IF EXISTS ${nullable}` });
    }
  });
});

describe(`${Feature.PROGRESS_IN_ASYNC_INSERT} Progress after an async insert`, () => {
  it('an async insert that waits reports what it wrote (where the server queues it); the insert always completes', async () => {
    const target = uniqueTable('async');
    await client.command({ query: `CREATE TABLE ${target} (k UInt64) ENGINE = MergeTree ORDER BY k` });
    try {
      const settings = { async_insert: 1, wait_for_async_insert: 1, async_insert_busy_timeout_ms: 100 };
      if (!serverSupports('async_insert')) {
        await expect(
          client.insert({ table: target, values: [{ k: 1n }], clickhouse_settings: settings }),
        ).rejects.toThrow(/async_insert/);
        return;
      }
      const result = await client.insert({
        table: target,
        values: [{ k: 1n }, { k: 2n }, { k: 3n }],
        clickhouse_settings: settings,
      });
      await client.command({ query: 'SYSTEM FLUSH LOGS' });
      const [logged] = (await (
        await client.query({
          query:
            "SELECT ProfileEvents['AsyncInsertQuery'] AS queued FROM system.query_log WHERE query_id = {id:String} AND type = 'QueryFinish'",
          query_params: { id: result.query_id },
        })
      ).json()) as { queued: bigint }[];
      if (logged!.queued > 0n) {
        // The server queued it: from 54484 it says what the flush wrote.
        expect(result.summary.progress.written_rows).toBe(3);
      } else {
        // clickhouse-local (chdb's 26.7) has no async insert queue: it inserts synchronously, and sends no Progress.
        expect(testServer().kind).toBe('chdb');
      }
      const [row] = (await (await client.query({ query: `SELECT count() AS c FROM ${target}` })).json()) as {
        c: bigint;
      }[];
      expect(row!.c).toBe(3n);
    } finally {
      await client.command({ query: `DROP TABLE IF EXISTS ${target}` });
    }
  });
});

describe(`${Feature.CLIENT_AGENT_IN_CLIENT_INFO} client agent in ClientInfo`, () => {
  it('ClientInfo with the (empty) client agent is read as sent', async () => {
    if (!serverSpeaks(Feature.CLIENT_AGENT_IN_CLIENT_INFO)) {
      expect(dataColumns((await liveQuery('SELECT 1 AS one')).packets).get('one')).toEqual([1]);
      return;
    }
    expect(await loggedClientInfo(Feature.CLIENT_AGENT_IN_CLIENT_INFO)).toMatchObject({ client_agent: '' });
  });
});

describe(`${Feature.INTERNAL_QUERY_FLAG} internal query flag in ClientInfo`, () => {
  it('ClientInfo with is_internal = 0 is read as sent', async () => {
    if (!serverSpeaks(Feature.INTERNAL_QUERY_FLAG)) {
      expect(dataColumns((await liveQuery('SELECT 1 AS one')).packets).get('one')).toEqual([1]);
      return;
    }
    expect(await loggedClientInfo(Feature.INTERNAL_QUERY_FLAG)).toMatchObject({ is_internal: 0, client_agent: '' });
  });
});

describe(`${Feature.INTERSERVER_SECRET_TABLES_STATUS} interserver auth of TablesStatusRequest`, () => {
  it("a client's TablesStatusRequest stays as it was (the hash is for interserver connections only)", async () => {
    for (const revision of [Feature.INTERSERVER_SECRET_TABLES_STATUS - 1, Feature.INTERSERVER_SECRET_TABLES_STATUS]) {
      const connection = await openConnection({ revision });
      try {
        const request = new ByteWriter(64);
        writeTablesStatusRequest(request, [{ database: testServer().database, table }]);
        await connection.send(request.finish());
        expect(await connection.readPacket({ compression: false }), `at ${revision}`).toMatchObject({
          type: 'tablesStatus',
          tables: [{ table, isReplicated: false, isReadonly: false }],
        });
        // The connection is in step: a query follows.
        expect(dataColumns(await queryPackets(connection, 'SELECT 1 AS one')).get('one')).toEqual([1]);
      } finally {
        connection.close();
      }
    }
  });
});

describe(`${Feature.INTERSERVER_CURRENT_ROLES} current roles in ClientInfo`, () => {
  it('ClientInfo ending with the no-roles flag is read as sent, at the revision 26.7 speaks', async () => {
    if (!serverSpeaks(Feature.INTERSERVER_CURRENT_ROLES)) {
      expect(dataColumns((await liveQuery('SELECT 1 AS one')).packets).get('one')).toEqual([1]);
      return;
    }
    expect(await loggedClientInfo(Feature.INTERSERVER_CURRENT_ROLES)).toMatchObject({
      is_internal: 0,
      script_query_number: 0,
    });
    expect(CLIENT_REVISION).toBe(testServer().revision);
  });
});
