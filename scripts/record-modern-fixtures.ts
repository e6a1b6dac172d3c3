/**
 * Records real server byte streams from ClickHouse 26.7 (served from the chdb package, as the test harness starts
 * it), one session per protocol feature above 54460, at the revision the session names:
 *
 *   npx tsx scripts/record-modern-fixtures.ts            # records every session
 *   npx tsx scripts/record-modern-fixtures.ts sparse     # records the sessions whose name contains "sparse"
 *
 * and writes test/fuzz/fixtures/server-streams-26.7.json (sessions not recorded this time are kept). Each fixture is
 * everything the server sent on one connection: its Hello, then its answers to our requests, captured raw until the
 * server goes quiet, so recording needs none of the decoders under test. The requests are written with the client's
 * own packet writers at the session's revision. The golden tests (test/protocol/revisions.test.ts) and the fuzzer
 * (test/fuzz/) decode them.
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compressToFrames } from '../src/compression/frame.js';
import {
  PING_PACKET,
  writeAddendum,
  writeDataHeader,
  writeHello,
  writeQuery,
  writeTablesStatusRequest,
  type ClientIdentity,
} from '../src/protocol/client-packets.js';
import { writeBlock, writeEmptyBlock, type Block } from '../src/columns/block.js';
import type { Settings } from '../src/protocol/settings.js';
import { ByteWriter } from '../src/protocol/writer.js';
import { CLIENT_REVISION, Feature } from '../src/protocol/revision.js';
import { adminQuery, getFreePort, startChdbServer } from '../test/harness/server.js';
import { replicaConfigXml, startZooKeeper, type ZooKeeperServer } from '../test/harness/zookeeper.js';
import type { ChdbServer } from '../test/harness/types.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.resolve(here, '../test/fuzz/fixtures/server-streams-26.7.json');
/** 26.7 announces 54488. */
const SERVER_REVISION = 54488;
/** The server is done with a request once it has been quiet this long. */
const QUIET_MS = 300;

type Compression = 'none' | 'lz4' | 'zstd';
type ServerKind = 'plain' | 'chunked' | 'replicated';

type Step =
  | { kind: 'query'; sql: string; settings?: Settings }
  | { kind: 'ping' }
  | { kind: 'tablesStatus'; tables: { database: string; table: string }[] }
  /** Data blocks (then the empty block) after an INSERT's header; just the empty block when `blocks` is empty. */
  | { kind: 'data'; blocks: Block[] };

export interface Session {
  name: string;
  /** The revision the session's Hello advertises. */
  revision: number;
  compression: Compression;
  /**
   * Which server: the plain one, the one that requires chunked packets both ways, or one with ZooKeeper (so that
   * ReplicatedMergeTree tables exist).
   */
  server?: ServerKind;
  steps: Step[];
}

export interface Fixture {
  name: string;
  /** The revision the recorded client advertised. */
  clientRevision: number;
  /** Whether the query packets asked for compressed blocks. */
  compression: boolean;
  /** Whether the packets after the Hello are chunk-framed (both ways). */
  chunked: boolean;
  /** The bytes of the server's Hello (or refusal): chunking, when on, starts after them. */
  helloLength: number;
  /** The server's bytes, base64. */
  bytes: string;
}

function identity(revision: number): ClientIdentity {
  return {
    name: 'clickhouse-native fixture recorder',
    versionMajor: 0,
    versionMinor: 1,
    versionPatch: 0,
    osUser: 'fuzz',
    hostname: 'localhost',
    revision,
  };
}

function negotiated(session: Session): number {
  return Math.min(session.revision, SERVER_REVISION);
}

async function dataPacket(session: Session, block: Block | null): Promise<Buffer> {
  const header = new ByteWriter(16);
  writeDataHeader(header);
  const body = new ByteWriter(256);
  const framing = { blockInfo: true, revision: negotiated(session) };
  if (block) writeBlock(body, block, framing);
  else writeEmptyBlock(body, framing);
  if (session.compression === 'none') return Buffer.concat([header.finish(), body.finish()]);
  return Buffer.concat([header.finish(), ...(await compressToFrames(body.finish(), session.compression))]);
}

async function queryPackets(session: Session, sql: string, settings: Settings): Promise<Buffer[]> {
  const writer = new ByteWriter(1024);
  const all: Settings = { ...settings };
  if (session.compression !== 'none') all.network_compression_method = session.compression;
  writeQuery(writer, negotiated(session), identity(session.revision), {
    queryId: '',
    sql,
    settings: all,
    compression: session.compression !== 'none',
  });
  return [writer.finish(), await dataPacket(session, null)];
}

/** One message in chunked framing: a UInt32 LE length, the bytes, then the empty chunk that ends the message. */
function chunk(message: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32LE(message.length);
  return Buffer.concat([head, message, Buffer.alloc(4)]);
}

/** Sends `messages` (if any) and collects what the server sends until it has been quiet for QUIET_MS. */
function exchange(socket: net.Socket, received: Buffer[], messages: Buffer[], chunked: boolean): Promise<void> {
  return new Promise((resolve) => {
    let timer = setTimeout(done, QUIET_MS * 6);
    function onData(data: Buffer) {
      received.push(Buffer.from(data));
      clearTimeout(timer);
      timer = setTimeout(done, QUIET_MS);
    }
    function done() {
      socket.off('data', onData);
      resolve();
    }
    socket.on('data', onData);
    for (const message of messages) socket.write(chunked ? chunk(message) : message);
  });
}

async function record(server: ChdbServer, session: Session): Promise<Fixture> {
  const socket = net.connect({ host: '127.0.0.1', port: server.port });
  socket.on('error', () => {});
  await new Promise((resolve) => socket.once('connect', resolve));
  const received: Buffer[] = [];
  const hello = new ByteWriter(256);
  writeHello(hello, identity(session.revision), {
    database: 'default',
    username: server.username,
    password: server.password,
  });
  await exchange(socket, received, [hello.finish()], false);
  const helloLength = received.reduce((n, b) => n + b.length, 0);
  const chunked = session.server === 'chunked' && negotiated(session) >= Feature.CHUNKED_PACKETS;
  const addendum = new ByteWriter(64);
  writeAddendum(addendum, negotiated(session), { chunkedSend: chunked, chunkedRecv: chunked });
  if (addendum.length > 0) socket.write(addendum.finish());
  for (const step of session.steps) {
    if (step.kind === 'ping') await exchange(socket, received, [PING_PACKET], chunked);
    else if (step.kind === 'tablesStatus') {
      const request = new ByteWriter(256);
      writeTablesStatusRequest(request, step.tables);
      await exchange(socket, received, [request.finish()], chunked);
    } else if (step.kind === 'data') {
      const packets = [
        ...(await Promise.all(step.blocks.map((b) => dataPacket(session, b)))),
        await dataPacket(session, null),
      ];
      await exchange(socket, received, packets, chunked);
    } else await exchange(socket, received, await queryPackets(session, step.sql, step.settings ?? {}), chunked);
  }
  socket.destroy();
  return {
    name: session.name,
    clientRevision: session.revision,
    compression: session.compression !== 'none',
    chunked,
    helloLength,
    bytes: Buffer.concat(received).toString('base64'),
  };
}

/** Tables the sessions read, made once per server. */
const SETUP = [
  'CREATE TABLE tz_t (k UInt64, s String) ENGINE = Memory',
  // Mostly default values, so that the parts store them sparse (ratio 0.5 instead of 0.9375).
  `CREATE TABLE sparse_t (k UInt32, a UInt32, s String, n Nullable(UInt32), t Tuple(x UInt32, y Nullable(String)))
   ENGINE = MergeTree ORDER BY k
   SETTINGS ratio_of_defaults_for_sparse_serialization = 0.5, nullable_serialization_version = 'allow_sparse'`,
  `INSERT INTO sparse_t SELECT number, if(number % 4 = 1, number, 0), if(number % 5 = 2, 'x', ''),
   if(number % 3 = 0, number, NULL), (if(number % 6 = 0, number, 0), if(number % 4 = 0, 'y', NULL)) FROM numbers(12)`,
  // A JOIN whose left rows match two right rows each: the left columns come out replicated.
  `CREATE TABLE rep_l (k UInt32, s String, arr Array(UInt8), t Tuple(a UInt8, b String), m Map(String, UInt8),
   n Nullable(UInt8), v Variant(UInt8, String), d Dynamic, ns Nullable(String), dt DateTime) ENGINE = MergeTree ORDER BY k`,
  `INSERT INTO rep_l SELECT number % 3, 'left' || toString(number), [number, 7], (number, 's'), map('a', number),
   if(number % 2 = 0, NULL, number), number::UInt8, if(number % 2 = 0, toString(number)::Dynamic, number::Dynamic),
   if(number % 4 = 0, NULL, 'n'), toDateTime(number) FROM numbers(9)`,
  'CREATE TABLE rep_r (k UInt32, w String) ENGINE = MergeTree ORDER BY k',
  "INSERT INTO rep_r SELECT number % 3, 'right' || toString(number) FROM numbers(6)",
  // 1% non-default values over 5000 rows (read in three blocks).
  `CREATE TABLE sparse_big (k UInt32, v UInt64, s String, d DateTime, f FixedString(2))
   ENGINE = MergeTree ORDER BY k SETTINGS ratio_of_defaults_for_sparse_serialization = 0.5`,
  `INSERT INTO sparse_big SELECT number, if(number % 100 = 7, number, 0), if(number % 100 = 8, toString(number), ''),
   if(number % 100 = 9, toDateTime(number), toDateTime(0)), if(number % 100 = 10, 'ab', '') FROM numbers(5000)`,
];

/** Tables of the server with ZooKeeper: a replicated one and a plain one. */
const SETUP_REPLICATED = [
  "CREATE TABLE rt (k UInt32) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/rt', '{replica}') ORDER BY k",
  'CREATE TABLE mt (k UInt32) ENGINE = MergeTree ORDER BY k',
];

/** Dynamic and JSON values of several types, the shared variant and shared data included. */
const DYNAMIC_JSON_SQL = `
SELECT
  multiIf(number % 4 = 0, number::Dynamic, number % 4 = 1, toString(number)::Dynamic, number % 4 = 2, NULL, [number]::Dynamic) AS d,
  multiIf(number % 3 = 0, toDate(number)::Dynamic, number % 3 = 1, (number / 2)::Dynamic, true::Dynamic)::Dynamic(max_types = 1) AS d1,
  concat('{"a":', toString(number), ',"b":{"c":"x', toString(number), '"},"arr":[1,2]', if(number % 2 = 0, ',"e":null', ',"f":1.5'), '}')::JSON(max_dynamic_paths = 2, a UInt32) AS j
FROM numbers(6)`;

/** A CSV of the numbers 1..1000 (3893 bytes), served over HTTP with its Content-Length, for url(). */
const CSV = Buffer.from(Array.from({ length: 1000 }, (_, i) => `${i + 1}\n`).join(''));
let CSV_URL = '';

function serveCsv(): Promise<http.Server> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/csv', 'Content-Length': CSV.length });
    res.end(CSV);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      CSV_URL = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/numbers.csv`;
      resolve(server);
    }),
  );
}

function sessions(): Session[] {
  return [
    // Every Hello field up to CLIENT_REVISION, then a Pong.
    { name: 'hello', revision: CLIENT_REVISION, compression: 'none', steps: [{ kind: 'ping' }] },
    // total_bytes_to_read in Progress: url() announces the Content-Length of what it reads.
    {
      name: 'progress-total-bytes',
      revision: CLIENT_REVISION,
      compression: 'none',
      steps: [{ kind: 'query', sql: `SELECT sum(a) AS s FROM url('${CSV_URL}', 'CSV', 'a UInt32')` }],
    },
    // Sparse columns: the same reads at 54464 (full columns: "sparse-full") and from 54465 (sparse).
    ...[Feature.SPARSE_SERIALIZATION - 1, CLIENT_REVISION].flatMap((revision): Session[] => [
      {
        name: revision < Feature.SPARSE_SERIALIZATION ? 'sparse-full' : 'sparse',
        revision,
        compression: 'none',
        steps: [{ kind: 'query', sql: 'SELECT k, a, s, n, t FROM sparse_t ORDER BY k' }],
      },
      {
        name: revision < Feature.SPARSE_SERIALIZATION ? 'sparse-big-lz4-full' : 'sparse-big-lz4',
        revision,
        compression: 'lz4',
        steps: [
          {
            kind: 'query',
            sql: 'SELECT v, s, d, f FROM sparse_big ORDER BY k',
            settings: { max_threads: 1, max_block_size: 2000 },
          },
        ],
      },
    ]),
    // is_readonly in TablesStatusResponse, for replicated tables (chdb's replicas stay read-only).
    {
      name: 'tables-status',
      revision: CLIENT_REVISION,
      compression: 'none',
      server: 'replicated',
      steps: [
        {
          kind: 'tablesStatus',
          tables: [
            { database: 'default', table: 'rt' },
            { database: 'default', table: 'mt' },
            { database: 'default', table: 'no_such_table' },
          ],
        },
      ],
    },
    // applied_aggregation and rows_before_aggregation in ProfileInfo.
    {
      name: 'rows-before-aggregation',
      revision: CLIENT_REVISION,
      compression: 'none',
      steps: [
        {
          kind: 'query',
          sql: 'SELECT number % 3 AS r, count() AS c FROM numbers(100) GROUP BY r ORDER BY r',
          settings: { rows_before_aggregation: 1 },
        },
      ],
    },
    // Chunked packets, from a server that requires them both ways, beside the same session unchunked.
    ...(['chunked', 'plain'] as const).map((server): Session => ({
      name: server === 'chunked' ? 'chunked' : 'chunked-plain',
      revision: CLIENT_REVISION,
      compression: 'lz4',
      server,
      steps: [
        {
          kind: 'query',
          sql: 'SELECT number AS n, toString(number) AS s FROM numbers(5)',
          settings: { send_profile_events: 0 },
        },
        { kind: 'ping' },
        { kind: 'query', sql: 'INSERT INTO tz_t (k, s) VALUES', settings: { send_profile_events: 0 } },
        {
          kind: 'data',
          blocks: [
            {
              rows: 2,
              columns: [
                { name: 'k', type: 'UInt64', values: BigUint64Array.of(7n, 8n) },
                { name: 's', type: 'String', values: ['c', 'd'] },
              ],
            },
          ],
        },
      ],
    })),
    // Dynamic and JSON: V1 below 54473, V2 from it.
    ...[Feature.V2_DYNAMIC_AND_JSON_SERIALIZATION - 1, CLIENT_REVISION].map((revision): Session => ({
      name: revision < Feature.V2_DYNAMIC_AND_JSON_SERIALIZATION ? 'dynamic-json-v1' : 'dynamic-json',
      revision,
      compression: 'none',
      steps: [{ kind: 'query', sql: DYNAMIC_JSON_SQL, settings: { send_profile_events: 0 } }],
    })),
    // BlockInfo field 3 (out-of-order buckets), in every block from 54480; totals and extremes too.
    {
      name: 'block-info',
      revision: CLIENT_REVISION,
      compression: 'zstd',
      steps: [
        {
          kind: 'query',
          sql: 'SELECT number % 3 AS k, count() AS c FROM numbers(10) GROUP BY k WITH TOTALS ORDER BY k',
          settings: { extremes: 1, send_profile_events: 0 },
        },
      ],
    },
    // With compression, Log and ProfileEvents blocks and TableColumns are compressed from 54481 (raw at 54480).
    ...[Feature.COMPRESSED_LOGS_PROFILE_EVENTS_COLUMNS - 1, CLIENT_REVISION].map((revision): Session => ({
      name: revision < Feature.COMPRESSED_LOGS_PROFILE_EVENTS_COLUMNS ? 'compressed-logs-raw' : 'compressed-logs',
      revision,
      compression: 'lz4',
      steps: [
        { kind: 'query', sql: 'SELECT 1 AS one', settings: { send_logs_level: 'debug' } },
        { kind: 'query', sql: 'INSERT INTO tz_t (k, s) VALUES' },
        {
          kind: 'data',
          blocks: [
            {
              rows: 1,
              columns: [
                { name: 'k', type: 'UInt64', values: BigUint64Array.of(9n) },
                { name: 's', type: 'String', values: ['e'] },
              ],
            },
          ],
        },
      ],
    })),
    // Replicated columns (a JOIN's left side), from 54482; full ones at 54481.
    ...[Feature.REPLICATED_SERIALIZATION - 1, CLIENT_REVISION].map((revision): Session => ({
      name: revision < Feature.REPLICATED_SERIALIZATION ? 'replicated-full' : 'replicated',
      revision,
      compression: 'none',
      steps: [
        {
          kind: 'query',
          sql: 'SELECT rep_l.*, rep_r.w FROM rep_l JOIN rep_r ON rep_l.k = rep_r.k',
          settings: { max_threads: 1, send_profile_events: 0 },
        },
      ],
    })),
    // A top-level Nullable sent sparse from 54483 (full at 54482; a Nullable element of a Tuple was sparse before).
    ...[Feature.NULLABLE_SPARSE_SERIALIZATION - 1, CLIENT_REVISION].map((revision): Session => ({
      name: revision < Feature.NULLABLE_SPARSE_SERIALIZATION ? 'nullable-sparse-full' : 'nullable-sparse',
      revision,
      compression: 'none',
      steps: [{ kind: 'query', sql: 'SELECT n, t FROM sparse_t ORDER BY k', settings: { send_profile_events: 0 } }],
    })),
    // TimezoneUpdate: INSERT ... SELECT FROM input() tells the client the session time zone after the header.
    {
      name: 'timezone-update',
      revision: CLIENT_REVISION,
      compression: 'none',
      steps: [
        {
          kind: 'query',
          sql: "INSERT INTO tz_t SELECT * FROM input('k UInt64, s String')",
          settings: { session_timezone: 'Asia/Tokyo' },
        },
        {
          kind: 'data',
          blocks: [
            {
              rows: 2,
              columns: [
                { name: 'k', type: 'UInt64', values: BigUint64Array.of(1n, 2n) },
                { name: 's', type: 'String', values: ['a', 'b'] },
              ],
            },
          ],
        },
      ],
    },
  ];
}

function load(): Fixture[] {
  if (!fs.existsSync(OUT)) return [];
  return (JSON.parse(fs.readFileSync(OUT, 'utf8')) as { fixtures: Fixture[] }).fixtures;
}

async function main(): Promise<void> {
  const filter = process.argv[2];
  const csvServer = await serveCsv();
  const chosen = sessions().filter((s) => filter === undefined || s.name.includes(filter));
  const kept = load().filter(
    (f) => !chosen.some((s) => s.name === f.name) && sessions().some((s) => s.name === f.name),
  );
  const servers = new Map<string, ChdbServer>();
  let zk: ZooKeeperServer | undefined;
  const serverFor = async (kind: ServerKind): Promise<ChdbServer> => {
    let server = servers.get(kind);
    if (!server) {
      const configXml: string[] = [];
      if (kind === 'chunked') configXml.push('<proto_caps><send>chunked</send><recv>chunked</recv></proto_caps>');
      if (kind === 'replicated') {
        zk = await startZooKeeper();
        configXml.push(replicaConfigXml(zk, { shard: 1, replica: 'r1', interserverPort: await getFreePort() }));
      }
      server = await startChdbServer({ log: (m) => console.error(`[clickhouse ${kind}] ${m}`), configXml });
      servers.set(kind, server);
      for (const sql of kind === 'replicated' ? SETUP_REPLICATED : SETUP) await adminQuery(server, sql);
    }
    return server;
  };
  try {
    const recorded: Fixture[] = [];
    let version = '';
    for (const session of chosen) {
      const server = await serverFor(session.server ?? 'plain');
      version = server.version ?? version;
      const fixture = await record(server, session);
      console.error(`${session.name}: ${Buffer.from(fixture.bytes, 'base64').length} bytes`);
      recorded.push(fixture);
    }
    const order = sessions().map((s) => s.name);
    const fixtures = [...kept, ...recorded].sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
    const meta = { recorded: new Date().toISOString().slice(0, 10), server: version, revision: SERVER_REVISION };
    fs.writeFileSync(OUT, `${JSON.stringify({ ...meta, fixtures }, null, 1)}\n`);
    console.error(`wrote ${fixtures.length} fixtures to ${path.relative(process.cwd(), OUT)}`);
  } finally {
    for (const server of servers.values()) await server.stop();
    await zk?.stop();
    csvServer.close();
  }
}

await main();
