/**
 * Records real server byte streams from a live ClickHouse 18.16 server, as seeds for the decoder fuzzer:
 *
 *   npx tsx scripts/record-fuzz-fixtures.ts        # writes test/fuzz/fixtures/server-streams.json
 *
 * Each fixture is everything one server sent on one connection: its Hello, then its answers to our requests (a
 * query's data blocks of every supported type, exceptions, progress, logs, totals/extremes, profile info,
 * TableColumns, compressed frames with LZ4 and ZSTD). The requests are written with the client's own packet
 * writers, but the answers are captured raw (until the server goes quiet), so recording needs none of the
 * decoders under test. Everything runs on 127.0.0.1 against a server the harness starts for the purpose.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compressToFramesSync } from '../src/compression/frame.js';
import {
  writeDataHeader,
  writeHello,
  writeQuery,
  type ClientIdentity,
  PING_PACKET,
} from '../src/protocol/client-packets.js';
import { writeEmptyBlock } from '../src/columns/block.js';
import { CLIENT_REVISION } from '../src/protocol/revision.js';
import type { Settings } from '../src/protocol/settings.js';
import { ByteWriter } from '../src/protocol/writer.js';
import { adminQuery, startLocalServer } from '../test/harness/server.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.resolve(here, '../test/fuzz/fixtures/server-streams.json');

/** 18.16 announces 54412; both sides gate on the smaller revision. */
const SERVER_REVISION = 54412;
const REVISION = Math.min(CLIENT_REVISION, SERVER_REVISION);
/** The server is done with a request once it has been quiet this long (a local server answers in milliseconds). */
const QUIET_MS = 250;

const identity: ClientIdentity = {
  name: 'clickhouse-native fixture recorder',
  versionMajor: 0,
  versionMinor: 1,
  versionPatch: 0,
  osUser: 'fuzz',
  hostname: 'localhost',
  revision: CLIENT_REVISION,
};

type Compression = 'none' | 'lz4' | 'zstd';

type Step =
  | { kind: 'query'; sql: string; settings?: Settings }
  | { kind: 'ping' }
  /** Ends an INSERT: the empty Data block (compressed when the query was). */
  | { kind: 'endInsert' };

interface Session {
  name: string;
  compression: Compression;
  password?: string;
  steps: Step[];
}

export interface Fixture {
  name: string;
  /** Whether the query packets asked for compressed blocks (Data/Totals/Extremes bodies are framed). */
  compression: boolean;
  /** The server's bytes, base64. */
  bytes: string;
}

function emptyDataPacket(compression: Compression): Buffer {
  const header = new ByteWriter(16);
  writeDataHeader(header);
  const body = new ByteWriter(32);
  writeEmptyBlock(body, { blockInfo: true, revision: REVISION });
  if (compression === 'none') return Buffer.concat([header.finish(), body.finish()]);
  return Buffer.concat([header.finish(), ...compressToFramesSync(body.finish(), 'lz4')]);
}

function queryPackets(sql: string, settings: Settings, compression: Compression): Buffer {
  const writer = new ByteWriter(1024);
  const all: Settings = { ...settings };
  if (compression !== 'none') all.network_compression_method = compression;
  writeQuery(writer, REVISION, identity, { queryId: '', sql, settings: all, compression: compression !== 'none' });
  return Buffer.concat([writer.finish(), emptyDataPacket(compression)]);
}

/** Sends `bytes` (if any) and collects what the server sends until it has been quiet for QUIET_MS. */
function exchange(socket: net.Socket, received: Buffer[], bytes: Buffer | undefined): Promise<void> {
  return new Promise((resolve) => {
    let timer = setTimeout(done, QUIET_MS * 4);
    function onData(chunk: Buffer) {
      received.push(Buffer.from(chunk));
      clearTimeout(timer);
      timer = setTimeout(done, QUIET_MS);
    }
    function done() {
      socket.off('data', onData);
      resolve();
    }
    socket.on('data', onData);
    if (bytes) socket.write(bytes);
  });
}

async function record(port: number, session: Session): Promise<Fixture> {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  await new Promise((resolve) => socket.once('connect', resolve));
  const received: Buffer[] = [];
  const hello = new ByteWriter(256);
  writeHello(hello, identity, { database: 'default', username: 'default', password: session.password ?? '' });
  await exchange(socket, received, hello.finish());
  for (const step of session.steps) {
    if (step.kind === 'ping') await exchange(socket, received, PING_PACKET);
    else if (step.kind === 'endInsert') await exchange(socket, received, emptyDataPacket(session.compression));
    else await exchange(socket, received, queryPackets(step.sql, step.settings ?? {}, session.compression));
  }
  socket.destroy();
  const bytes = Buffer.concat(received);
  return { name: session.name, compression: session.compression !== 'none', bytes: bytes.toString('base64') };
}

/** One row set with a column of every type 18.16 can send that the client decodes (or should refuse cleanly). */
const ALL_TYPES_SQL = `
SELECT
  toUInt8(number) AS u8, toUInt16(number * 300) AS u16, toUInt32(number * 70000) AS u32, toUInt64(number) * 1000000000000 AS u64,
  toInt8(-number) AS i8, toInt16(-number * 300) AS i16, toInt32(-number * 70000) AS i32, toInt64(-number) * 1000000000000 AS i64,
  toFloat32(number / 3) AS f32, toFloat64(number / 7) AS f64,
  toString(number) AS s, concat('é', toString(number * 1000)) AS s_utf8, toFixedString(toString(number), 4) AS fs,
  toDate('2020-01-01') + number AS d, toDateTime('2020-01-01 00:00:00') + number * 3600 AS dt,
  toDateTime('2020-01-01 00:00:00', 'Asia/Tokyo') AS dt_tz,
  toUUID('61f0c404-5cb3-11e7-907b-a6006ad3dba0') AS uuid,
  CAST(number % 2 + 1 AS Enum8('a' = 1, 'b\\'q' = 2)) AS e8, CAST(number % 2 + 1 AS Enum16('x' = 1, 'y' = 2)) AS e16,
  NULL AS nothing, [] AS empty_array,
  if(number % 2 = 0, NULL, number) AS nullable_u64, if(number % 3 = 0, NULL, toString(number)) AS nullable_s,
  range(number) AS arr_u8, arrayMap(x -> toString(x), range(number)) AS arr_s,
  [range(number), range(2)] AS arr_arr, [[toString(number)], []] AS arr_arr_s,
  [NULL, toString(number)] AS arr_nullable, (number, toString(number)) AS tup,
  toDecimal32(number / 4, 2) AS dec32, toDecimal64(number / 4, 5) AS dec64, toDecimal128(number / 4, 10) AS dec128
FROM system.numbers LIMIT 5`;

const LOW_CARDINALITY_SQL = `
SELECT toLowCardinality(toString(number % 3)) AS lc, toLowCardinality(if(number % 2 = 0, NULL, toString(number))) AS lc_null,
  [toLowCardinality(toString(number))] AS arr_lc
FROM system.numbers LIMIT 6`;

function sessions(): Session[] {
  const out: Session[] = [
    { name: 'hello', compression: 'none', steps: [] },
    { name: 'ping', compression: 'none', steps: [{ kind: 'ping' }] },
  ];
  out.push({ name: 'wrong-password', compression: 'none', password: 'wrong', steps: [] });
  for (const compression of ['none', 'lz4', 'zstd'] as const) {
    const q = (name: string, sql: string, settings?: Settings): Session => ({
      name: `${name}-${compression}`,
      compression,
      steps: [{ kind: 'query', sql, settings }],
    });
    out.push(q('all-types', ALL_TYPES_SQL));
    out.push(q('low-cardinality', LOW_CARDINALITY_SQL, { allow_experimental_low_cardinality_type: 1 }));
    out.push(
      q('many-blocks-progress', 'SELECT number, toString(number) AS s FROM system.numbers LIMIT 600', {
        max_block_size: 100,
      }),
    );
    out.push(
      q(
        'totals-extremes',
        'SELECT number % 3 AS k, count() AS c, sum(number) AS s FROM numbers(20) GROUP BY k WITH TOTALS ORDER BY k',
        { extremes: 1 },
      ),
    );
    out.push(q('logs', 'SELECT 1 AS one', { send_logs_level: 'trace' }));
    out.push(
      q('exception-after-data', 'SELECT throwIf(number = 250) FROM system.numbers LIMIT 1000', { max_block_size: 100 }),
    );
    out.push(q('exception-syntax', 'SELEC 1'));
    out.push(q('exception-unknown-table', 'SELECT * FROM no_such_table_here'));
    out.push({
      name: `insert-table-columns-${compression}`,
      compression,
      steps: [
        { kind: 'query', sql: 'INSERT INTO fuzz_defaults VALUES', settings: { insert_sample_with_metadata: 1 } },
        { kind: 'endInsert' },
      ],
    });
    out.push({
      name: `two-queries-${compression}`,
      compression,
      steps: [
        { kind: 'query', sql: 'SELECT number AS n FROM system.numbers LIMIT 3' },
        { kind: 'ping' },
        { kind: 'query', sql: "SELECT 'second' AS s, [1.5, 2.5] AS a" },
      ],
    });
  }
  return out;
}

async function main(): Promise<void> {
  const server = await startLocalServer({ log: (m) => console.error(`[clickhouse] ${m}`) });
  try {
    await adminQuery(
      server,
      'CREATE TABLE fuzz_defaults (a UInt64, s String, d String DEFAULT lower(s), h UInt64 MATERIALIZED cityHash64(s)) ENGINE = Memory',
    );
    const fixtures: Fixture[] = [];
    for (const session of sessions()) {
      const fixture = await record(server.port, session);
      const size = Buffer.from(fixture.bytes, 'base64').length;
      console.error(`${session.name}: ${size} bytes`);
      fixtures.push(fixture);
    }
    fs.mkdirSync(path.dirname(OUT), { recursive: true });
    const meta = { recorded: new Date().toISOString().slice(0, 10), server: server.version, revision: SERVER_REVISION };
    fs.writeFileSync(OUT, `${JSON.stringify({ ...meta, fixtures }, null, 1)}\n`);
    console.error(`wrote ${fixtures.length} fixtures to ${path.relative(process.cwd(), OUT)}`);
  } finally {
    await server.stop();
  }
}

await main();
