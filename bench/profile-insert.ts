/**
 * A profiling harness for the insert hot path: one insert of PROFILE_ROWS bench rows (columns or row objects,
 * PROFILE_INPUT) into a Null table (PROFILE_ENGINE=MergeTree for the other) under PROFILE_COMPRESSION. The V8
 * profiler runs around the insert only (not the data generation), like `node --cpu-prof`, and writes
 * PROFILE_OUT (default insert.cpuprofile); open it in Chrome DevTools or summarise it with
 *   npx tsx bench/profile-summary.ts insert.cpuprofile
 */
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import { createClient, type ColumnarInput, type CompressionMethod } from '../src/index.js';
import { adminQuery, startServer } from '../test/harness/server.js';
import { BENCH_COLUMNS, benchChunks, benchRows, rowsOfChunk, wideChunks, wideColumns } from './data.js';

const rows = Number(process.env.PROFILE_ROWS ?? 3_000_000);
const input = process.env.PROFILE_INPUT ?? 'columns';
const compression = (process.env.PROFILE_COMPRESSION ?? 'lz4') as CompressionMethod;
const engine = process.env.PROFILE_ENGINE ?? 'Null';
const wide = process.env.PROFILE_SCHEMA === 'wide';

const server = await startServer();
try {
  await adminQuery(
    server,
    `CREATE TABLE prof (${wide ? wideColumns(true) : BENCH_COLUMNS}) ENGINE = ${engine === 'Null' ? 'Null' : 'MergeTree ORDER BY id'}`,
    { settings: { allow_experimental_low_cardinality_type: 1 } },
  );
  const chunks = wide ? wideChunks(rows) : (benchChunks(rows) as unknown as ColumnarInput[]);
  const values =
    input === 'columns'
      ? chunks
      : wide
        ? chunks.map(rowsOfChunk)
        : (chunks as unknown as Parameters<typeof benchRows>[0][]).map(benchRows);
  const client = createClient({ url: server.url, compression });
  await client.ping();
  // Flatten the generated strings first (a one-time cost of concatenated strings, not of the insert).
  for (const chunk of chunks)
    for (const v of Object.values(chunk))
      if (Array.isArray(v)) for (const s of v) if (typeof s === 'string') Buffer.byteLength(s);
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  const cpu = process.cpuUsage();
  const started = performance.now();
  await client.insert({
    table: 'prof',
    values: (async function* () {
      yield* values;
    })(),
  });
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const { profile } = await session.post('Profiler.stop');
  fs.writeFileSync(process.env.PROFILE_OUT ?? 'insert.cpuprofile', JSON.stringify(profile));
  session.disconnect();
  console.log(
    `${input} ${compression} → ${engine}: ${(rows / seconds / 1e6).toFixed(2)} M rows/s, ` +
      `${(((used.user + used.system) / 1e6 / rows) * 1e6).toFixed(3)} CPU s / M rows`,
  );
  await client.close();
} finally {
  await server.stop();
}
