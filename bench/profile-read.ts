/**
 * A profiling harness for the read hot path, like bench/profile-insert.ts: one SELECT consumed as the benchmark
 * consumes it, under the V8 profiler. PROFILE_READ=strings (default: 10 M toString(number) read as row objects) or
 * numbers (100 M UInt64 read as blocks); PROFILE_ROWS to size it; PROFILE_OUT (default read.cpuprofile).
 *   npx tsx bench/profile-read.ts && npx tsx bench/profile-summary.ts read.cpuprofile
 */
import { startCpuProfile } from './cpu-profile.js';
import { createClient } from '../src/index.js';
import { startServer } from '../test/harness/server.js';

const what = process.env.PROFILE_READ ?? 'strings';
const rows = Number(process.env.PROFILE_ROWS ?? (what === 'strings' ? 10_000_000 : 100_000_000));
const server = await startServer();
try {
  const client = createClient({ url: server.url, compression: 'lz4' });
  await client.ping();
  const stopProfile = await startCpuProfile('read.cpuprofile');
  const cpu = process.cpuUsage();
  const started = performance.now();
  let consumed = 0;
  if (what === 'strings') {
    const result = await client.query({ query: `SELECT toString(number) AS s FROM system.numbers LIMIT ${rows}` });
    for await (const row of result) consumed += (row.s as string).length > 0 ? 1 : 0;
  } else {
    const result = await client.query({ query: `SELECT number FROM system.numbers LIMIT ${rows}` });
    for await (const block of result.blocks()) consumed += block.rows;
  }
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  await stopProfile();
  console.log(
    `${what}: ${consumed} rows, ${(rows / seconds / 1e6).toFixed(2)} M rows/s, ` +
      `${(((used.user + used.system) / 1e6 / rows) * 1e6).toFixed(3)} CPU s / M rows`,
  );
  await client.close();
} finally {
  await server.stop();
}
