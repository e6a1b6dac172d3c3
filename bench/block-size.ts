/**
 * How the Native block size of an insert changes the work on both sides: for each block size (a byte target and a
 * row cap), one `client.insert` per workload, and for each its wall time, our process's CPU time and the server's
 * CPU time for that query (system.query_log ProfileEvents UserTimeMicroseconds + SystemTimeMicroseconds).
 * What chose the client's default insert_block_bytes / insert_block_rows (src/client/config.ts).
 *
 *   npx tsx --expose-gc bench/block-size.ts                             (the server the test harness picks)
 *   CLICKHOUSE_USE_CONTAINER=0 npx tsx --expose-gc bench/block-size.ts  (18.16);  CLICKHOUSE_SERVER=chdb (26.7)
 *
 * Environment: SIZES, a comma list of rows:bytes (bytes with K or M, e.g. "100000:32M,1048576:1M"); WORKLOADS, a
 * comma list of app-columns, app-rows, wide, defaults-client, defaults-server, narrow, numbers; ROUNDS (default 3);
 * SCALE (default 1, multiplies every workload's rows). Rounds alternate the order of the sizes; medians are printed.
 */
import { randomUUID } from 'node:crypto';
import { createClient, type ColumnarInput, type InsertRow } from '../src/index.js';
import { adminQuery, startServer } from '../test/harness/server.js';
import { APP_COLUMNS, appColumns, appRows } from './app-data.js';
import { wideChunk, wideColumns } from './data.js';
import { defaultsData, DEFAULTS_SCHEMA } from './defaults-table.js';
import { median } from './measure.js';
import { recreate } from './tables.js';

const SCALE = Number(process.env.SCALE ?? 1);
const ROUNDS = Number(process.env.ROUNDS ?? 3);

interface Size {
  rows: number;
  bytes: number;
  label: string;
}

function parseSize(spec: string): Size {
  const [rows, bytes] = spec.split(':') as [string, string];
  const unit = bytes.endsWith('M') ? 2 ** 20 : bytes.endsWith('K') ? 1024 : 1;
  return { rows: Number(rows), bytes: Number(bytes.replace(/[KM]$/, '')) * unit, label: `${rows} rows / ${bytes}` };
}

const SIZES = (process.env.SIZES ?? '100000:32M,1048576:256K,1048576:512K,1048576:1M,1048576:2M,1048576:4M,1048576:8M')
  .split(',')
  .map(parseSize);

interface Workload {
  name: string;
  rows: number;
  /** Recreates the table and inserts a first row, so the measured insert finds a described table. */
  prepare(table: string): Promise<void>;
  values(): InsertRow[] | ColumnarInput;
  defaults?: 'client' | 'server';
}

const server = await startServer({});
const admin = (sql: string) => adminQuery(server, sql);
const client = createClient({ url: server.url, compression: 'lz4' });

const wideValues = (rows: number): ColumnarInput => {
  const chunk = wideChunk(0, rows);
  const toDates = (seconds: ArrayLike<unknown>) => Array.from(seconds as ArrayLike<number>, (s) => new Date(s * 1000));
  return { ...chunk, ts: toDates(chunk.ts!), updated: toDates(chunk.updated!) };
};

const scaled = (rows: number) => Math.round(rows * SCALE);
let salt = 1;
const ALL: Workload[] = [
  {
    name: 'app-columns',
    rows: scaled(500_000),
    prepare: (t) => recreate(server, t, APP_COLUMNS, 'Null'),
    values: () => appColumns(scaled(500_000), salt++),
  },
  {
    name: 'app-rows',
    rows: scaled(500_000),
    prepare: (t) => recreate(server, t, APP_COLUMNS, 'MergeTree ORDER BY (user_id, ts)'),
    values: () => appRows(scaled(500_000), salt++),
  },
  {
    name: 'wide',
    rows: scaled(200_000),
    prepare: (t) => recreate(server, t, wideColumns(true), 'Null'),
    values: () => wideValues(scaled(200_000)),
  },
  ...(['client', 'server'] as const).map((mode): Workload => ({
    name: `defaults-${mode}`,
    rows: scaled(300_000),
    defaults: mode,
    prepare: async (t) => {
      await admin(`DROP TABLE IF EXISTS ${t}`);
      await admin(`CREATE TABLE ${t} ${DEFAULTS_SCHEMA}`);
      const one = { id: [0n], ts: [0], user_id: [0], event: [''], url: [''], payload: [''] };
      await client.insert({ table: t, values: one, defaults: mode });
    },
    values: () => defaultsData(scaled(300_000)),
  })),
  {
    name: 'narrow',
    rows: scaled(10_000_000),
    prepare: (t) => recreate(server, t, 'v UInt8', 'Null'),
    values: () => ({ v: new Uint8Array(scaled(10_000_000)).map((_, i) => i & 0xff) }),
  },
  {
    // Five bytes a row that compress poorly: where a row cap, not the byte target, decides the block.
    name: 'numbers',
    rows: scaled(10_000_000),
    prepare: (t) => recreate(server, t, 'a UInt32, b UInt8', 'Null'),
    values: () => {
      const rows = scaled(10_000_000);
      const a = new Uint32Array(rows);
      const b = new Uint8Array(rows);
      for (let i = 0; i < rows; i++) {
        a[i] = Math.imul(i, 2_654_435_761) >>> 0;
        b[i] = a[i]! >>> 24;
      }
      return { a, b };
    },
  },
];
const WORKLOADS = process.env.WORKLOADS ? ALL.filter((w) => process.env.WORKLOADS!.split(',').includes(w.name)) : ALL;

interface Run {
  seconds: number;
  clientCpu: number;
  queryId: string;
}
const runs = new Map<string, Run[]>();
const key = (w: Workload, s: Size) => `${w.name}\t${s.label}`;

const settle = async () => {
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((resolve) => setTimeout(resolve, 300));
};

try {
  console.error(`ClickHouse ${server.version} (${server.kind}), ${ROUNDS} rounds, scale ${SCALE}`);
  // A warm-up insert per workload (not measured): the code paths compile before the first measured size runs.
  for (let round = -1; round < ROUNDS; round++) {
    const sizes = round === -1 ? SIZES.slice(0, 1) : round % 2 ? [...SIZES].reverse() : SIZES;
    for (const w of WORKLOADS) {
      const table = `block_size_${w.name.replace('-', '_')}`;
      for (const size of sizes) {
        await w.prepare(table);
        let values: InsertRow[] | ColumnarInput | undefined = w.values();
        await settle();
        const queryId = randomUUID();
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        await client.insert({
          table,
          values,
          query_id: queryId,
          block_rows: size.rows,
          block_bytes: size.bytes,
          ...(w.defaults ? { defaults: w.defaults } : {}),
        });
        const seconds = (performance.now() - t0) / 1000;
        const cpu = process.cpuUsage(cpu0);
        values = undefined;
        if (round === -1) continue;
        const list = runs.get(key(w, size)) ?? [];
        list.push({ seconds, clientCpu: (cpu.user + cpu.system) / 1e6, queryId });
        runs.set(key(w, size), list);
        console.error(`  round ${round} ${w.name} ${size.label}: ${seconds.toFixed(2)} s`);
      }
    }
  }
  await admin('SYSTEM FLUSH LOGS');
  const pe = (name: string) => `ProfileEvents.Values[indexOf(ProfileEvents.Names, '${name}')]`;
  const ids = [...runs.values()].flat().map((r) => `'${r.queryId}'`);
  const logged = new Map<string, number>();
  for (let i = 0; i < ids.length; i += 200) {
    const text = await admin(
      `SELECT query_id, ${pe('UserTimeMicroseconds')} + ${pe('SystemTimeMicroseconds')} FROM system.query_log ` +
        `WHERE type = 2 AND query_id IN (${ids.slice(i, i + 200).join(', ')}) FORMAT TabSeparated`,
    );
    for (const line of text.trim().split('\n')) {
      const [id, micros] = line.split('\t');
      if (id) logged.set(id, Number(micros) / 1e6);
    }
  }
  console.log(`ClickHouse ${server.version}, ${ROUNDS} rounds, medians; CPU s per M rows`);
  console.log('| workload | block size | wall s / M | client CPU s / M | server CPU s / M | both CPU s / M |');
  console.log('|---|---|---|---|---|---|');
  for (const w of WORKLOADS) {
    for (const size of SIZES) {
      const list = runs.get(key(w, size))!;
      const perM = (x: number) => ((x / w.rows) * 1e6).toFixed(3);
      const serverCpu = list.map((r) => logged.get(r.queryId) ?? NaN);
      const both = list.map((r, i) => r.clientCpu + serverCpu[i]!);
      console.log(
        `| ${w.name} | ${size.label} | ${perM(median(list.map((r) => r.seconds)))} | ` +
          `${perM(median(list.map((r) => r.clientCpu)))} | ${perM(median(serverCpu))} | ${perM(median(both))} |`,
      );
    }
  }
} finally {
  await client.close();
  await server.stop();
}
