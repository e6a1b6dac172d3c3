/**
 * A profiling harness for the insert hot path: one insert of PROFILE_ROWS rows (columns or row objects,
 * PROFILE_INPUT) into a Null table (PROFILE_ENGINE=MergeTree for the other) under PROFILE_COMPRESSION.
 * PROFILE_SCHEMA: app (default: bench/app-data.ts, one insert call of the whole array or columnar object, the
 * strings left as built), bench (bench/data.ts's chunks, streamed) or wide (streamed too, unless PROFILE_IN_MEMORY=1:
 * then one in-memory insert with Date objects for the timestamps, as bench/run.ts's wide section makes).
 * PROFILE_BLOCK_ROWS: the client's insert_block_rows (default 100 000). The V8
 * profiler runs around the insert only (not the data generation), like `node --cpu-prof`, and writes
 * PROFILE_OUT (default insert.cpuprofile); open it in Chrome DevTools or summarise it with
 *   npx tsx bench/profile-summary.ts insert.cpuprofile
 */
import { startCpuProfile } from './cpu-profile.js';
import { createClient, type ColumnarInput, type CompressionMethod, type InsertRow } from '../src/index.js';
import { adminQuery, startServer } from '../test/harness/server.js';
import { APP_COLUMNS, appColumns, appRows } from './app-data.js';
import { BENCH_COLUMNS, benchChunks, benchRows, rowsOfChunk, wideChunk, wideChunks, wideColumns } from './data.js';

const rows = Number(process.env.PROFILE_ROWS ?? 3_000_000);
const input = process.env.PROFILE_INPUT ?? 'columns';
const compression = (process.env.PROFILE_COMPRESSION ?? 'lz4') as CompressionMethod;
const engine = process.env.PROFILE_ENGINE ?? 'Null';
const schema = process.env.PROFILE_SCHEMA ?? 'app';
const wide = schema === 'wide';
const app = schema === 'app';

/** The wide table in memory as bench/run.ts's wide section inserts it: one object, Date objects for timestamps. */
function wideInMemory(): ColumnarInput | InsertRow[] {
  const chunk = wideChunk(0, rows);
  const toDates = (seconds: ArrayLike<unknown>) => Array.from(seconds as ArrayLike<number>, (s) => new Date(s * 1000));
  const columnar = { ...chunk, ts: toDates(chunk.ts!), updated: toDates(chunk.updated!) };
  return input === 'columns' ? columnar : rowsOfChunk(columnar, true);
}
const server = await startServer();
try {
  await adminQuery(
    server,
    `CREATE TABLE prof (${wide ? wideColumns(true) : app ? APP_COLUMNS : BENCH_COLUMNS}) ENGINE = ${engine === 'Null' ? 'Null' : app ? 'MergeTree ORDER BY (user_id, ts)' : 'MergeTree ORDER BY id'}`,
    {
      settings:
        Number((server.version ?? '0').split('.')[0]) < 19 ? { allow_experimental_low_cardinality_type: 1 } : {},
    },
  );
  const chunks = app ? [] : wide ? wideChunks(rows) : (benchChunks(rows) as unknown as ColumnarInput[]);
  const values = app
    ? undefined
    : input === 'columns'
      ? chunks
      : wide
        ? chunks.map((chunk) => rowsOfChunk(chunk))
        : (chunks as unknown as Parameters<typeof benchRows>[0][]).map(benchRows);
  const inMemoryValues = app
    ? input === 'columns'
      ? appColumns(rows)
      : appRows(rows)
    : wide && process.env.PROFILE_IN_MEMORY === '1'
      ? wideInMemory()
      : undefined;
  const client = createClient({
    url: server.url,
    compression,
    insert_block_rows: Number(process.env.PROFILE_BLOCK_ROWS ?? 100_000),
  });
  await client.ping();
  // A warm-up insert: the frame worker is online and the code is compiled before the profiled one, as in an
  // application's steady state (otherwise the first blocks are framed on this thread while the worker loads).
  await client.insert({
    table: 'prof',
    values: app ? appColumns(50_000, 99) : input === 'columns' ? (values![0] as ColumnarInput) : values!.slice(0, 1),
  });
  // The friendly schemas' strings are flattened first (a one-time cost of concatenated strings); app's are not.
  for (const chunk of chunks)
    for (const v of Object.values(chunk))
      if (Array.isArray(v)) for (const s of v) if (typeof s === 'string') Buffer.byteLength(s);
  (globalThis as { gc?: () => void }).gc?.();
  // The collection above frees the data generation's garbage, and V8 sweeps it on helper threads after gc()
  // returns: measured 0.25-0.35 CPU s per M rows landing inside the insert if it starts at once.
  await new Promise((resolve) => setTimeout(resolve, Number(process.env.PROFILE_SETTLE_MS ?? 2000)));
  const stopProfile = await startCpuProfile('insert.cpuprofile');
  const cpu = process.cpuUsage();
  const started = performance.now();
  await client.insert({
    table: 'prof',
    values:
      inMemoryValues ??
      (async function* () {
        yield* values!;
      })(),
  });
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  await stopProfile();
  console.log(
    `${input} ${compression} → ${engine}: ${(rows / seconds / 1e6).toFixed(2)} M rows/s, ` +
      `${(((used.user + used.system) / 1e6 / rows) * 1e6).toFixed(3)} CPU s / M rows`,
  );
  await client.close();
} finally {
  await server.stop();
}
