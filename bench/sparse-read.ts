/**
 * The read path with sparse columns: the same SELECT over mostly-default MergeTree columns, read by a connection of
 * revision 54488 (the server sends them sparse) and by one of 54464 (it sends them in full), alternating in one run
 * against one ClickHouse 26.7 (chdb); and the same for ordinary, dense columns, where both revisions get the same
 * bytes. Wall time includes the server; client CPU (user + system of this process) is the decoder's share.
 *
 *   npx tsx bench/sparse-read.ts          SPARSE_ROWS (default 5 000 000), SPARSE_ROUNDS (default 3)
 *
 * Compare ratios within a run: the machine is shared.
 */
import { Connection } from '../src/connection/connection.js';
import { encodeQuery } from '../src/connection/exchange.js';
import { Secret } from '../src/connection/secret.js';
import { CLIENT_REVISION, Feature } from '../src/protocol/revision.js';
import { adminQuery, startChdbServer } from '../test/harness/server.js';
import type { ChdbServer } from '../test/harness/types.js';

const ROWS = Number(process.env.SPARSE_ROWS ?? 5_000_000);
const ROUNDS = Number(process.env.SPARSE_ROUNDS ?? 3);
const FULL = Feature.SPARSE_SERIALIZATION - 1;

interface Sample {
  seconds: number;
  cpuSeconds: number;
  bytes: number;
  rows: number;
}

async function read(server: ChdbServer, revision: number, sql: string): Promise<Sample> {
  const connection = await Connection.open({
    host: server.host,
    port: server.port,
    database: server.database,
    username: server.username,
    password: new Secret(server.password),
    connectTimeoutMs: 10_000,
    requestTimeoutMs: 300_000,
    revision,
  });
  try {
    const start = connection.reader.offset;
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    await connection.send(await encodeQuery(connection, { sql, queryId: '', settings: {}, compression: 'lz4' }));
    let rows = 0;
    for (;;) {
      const message = await connection.readPacket({ compression: true });
      if (message.type === 'data') rows += message.block.rows;
      if (message.type === 'exception') throw message.error;
      if (message.type === 'endOfStream') break;
    }
    const seconds = (performance.now() - t0) / 1000;
    const used = process.cpuUsage(cpu);
    return { seconds, cpuSeconds: (used.user + used.system) / 1e6, bytes: connection.reader.offset - start, rows };
  } finally {
    connection.close();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  const server = await startChdbServer({ log: (m) => console.error(`[clickhouse] ${m}`) });
  try {
    for (const [table, ratio] of [
      ['sparse_t', 0.5],
      ['dense_t', 1],
    ] as const) {
      await adminQuery(
        server,
        `CREATE TABLE ${table} (k UInt64, a UInt64, b UInt32, s String, n Nullable(UInt32), d DateTime) ENGINE = MergeTree ORDER BY k ` +
          `SETTINGS ratio_of_defaults_for_sparse_serialization = ${ratio}, nullable_serialization_version = 'allow_sparse'`,
      );
      // One row in a hundred has values: sparse_t stores a, b, s, n, d sparse; dense_t (ratio 1) never does.
      await adminQuery(
        server,
        `INSERT INTO ${table} SELECT number, if(number % 100 = 1, number, 0), if(number % 100 = 2, number, 0), ` +
          `if(number % 100 = 3, toString(number), ''), if(number % 100 = 4, number, NULL), ` +
          `if(number % 100 = 5, toDateTime(number), toDateTime(0)) FROM numbers(${ROWS})`,
      );
      await adminQuery(server, `OPTIMIZE TABLE ${table} FINAL`);
    }
    const kinds = await adminQuery(
      server,
      "SELECT table, groupArray((column, serialization_kind)) FROM system.parts_columns WHERE active AND table IN ('sparse_t', 'dense_t') GROUP BY table",
    );
    console.error(kinds.trim());
    const lines: string[] = [];
    for (const table of ['sparse_t', 'dense_t']) {
      const sql = `SELECT a, b, s, n, d FROM ${table}`;
      const samples = new Map<number, Sample[]>([
        [CLIENT_REVISION, []],
        [FULL, []],
      ]);
      await read(server, CLIENT_REVISION, sql); // warm-up: server caches, JIT
      for (let round = 0; round < ROUNDS; round++) {
        for (const revision of round % 2 === 0 ? [CLIENT_REVISION, FULL] : [FULL, CLIENT_REVISION]) {
          const sample = await read(server, revision, sql);
          if (sample.rows !== ROWS) throw new Error(`read ${sample.rows} rows, expected ${ROWS}`);
          samples.get(revision)!.push(sample);
        }
      }
      const summary = (revision: number) => {
        const s = samples.get(revision)!;
        return {
          mrows: ROWS / median(s.map((x) => x.seconds)) / 1e6,
          cpu: median(s.map((x) => x.cpuSeconds)) / (ROWS / 1e6),
          mb: median(s.map((x) => x.bytes)) / 1e6,
        };
      };
      const now = summary(CLIENT_REVISION);
      const full = summary(FULL);
      for (const [label, s] of [
        [`${CLIENT_REVISION}`, now],
        [`${FULL}`, full],
      ] as const) {
        lines.push(
          `| ${table} | ${label} | ${s.mrows.toFixed(2)} | ${(s.cpu * 1000).toFixed(0)} | ${s.mb.toFixed(1)} |`,
        );
      }
      lines.push(
        `| ${table} | ratio ${CLIENT_REVISION}/${FULL} | ${(now.mrows / full.mrows).toFixed(2)} | ${(now.cpu / full.cpu).toFixed(2)} | ${(now.mb / full.mb).toFixed(2)} |`,
      );
    }
    console.log(
      `${ROWS} rows (a UInt64, b UInt32, s String, n Nullable(UInt32), d DateTime; 1 % set), LZ4, median of ${ROUNDS}`,
    );
    console.log('| table | revision | M rows/s (wall) | client CPU ms per M rows | MB received |');
    console.log('|---|---|---|---|---|');
    for (const line of lines) console.log(line);
  } finally {
    await server.stop();
  }
}

await main();
