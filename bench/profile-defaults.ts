/**
 * A profiling harness for client-side defaults: one insert of PROFILE_ROWS rows (default 1 000 000) into the
 * bench/defaults.ts table, with PROFILE_DEFAULTS ('client', the default, or 'server'), under the V8 profiler (the
 * insert only, not the data or the description it learns first). Writes PROFILE_OUT (default defaults.cpuprofile);
 * summarise it with `npx tsx bench/profile-summary.ts defaults.cpuprofile`. PROFILE_BLOCK_ROWS / PROFILE_BLOCK_BYTES set
 * the client's insert_block_rows / insert_block_bytes (as DEFAULTS_BLOCK_* do for bench/defaults.ts).
 */
import { startCpuProfile } from './cpu-profile.js';
import { createClient } from '../src/index.js';
import { adminQuery, startServer } from '../test/harness/server.js';
import { defaultsData, DEFAULTS_SCHEMA } from './defaults-table.js';

const rows = Number(process.env.PROFILE_ROWS ?? 1_000_000);
const mode = (process.env.PROFILE_DEFAULTS ?? 'client') as 'client' | 'server';
const server = await startServer();
try {
  await adminQuery(server, `CREATE TABLE prof_defaults ${DEFAULTS_SCHEMA}`);
  const client = createClient({
    url: server.url,
    ...(process.env.PROFILE_BLOCK_ROWS ? { insert_block_rows: Number(process.env.PROFILE_BLOCK_ROWS) } : {}),
    ...(process.env.PROFILE_BLOCK_BYTES ? { insert_block_bytes: Number(process.env.PROFILE_BLOCK_BYTES) } : {}),
  });
  const values = defaultsData(rows);
  await client.insert({
    table: 'prof_defaults',
    values: { id: [0n], ts: [0], user_id: [0], event: [''], url: [''], payload: [''] },
    defaults: mode,
  });
  const stopProfile = await startCpuProfile('defaults.cpuprofile');
  const cpu = process.cpuUsage();
  const started = performance.now();
  await client.insert({ table: 'prof_defaults', values, defaults: mode });
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  await stopProfile();
  console.log(
    `defaults '${mode}': ${(rows / seconds / 1e6).toFixed(2)} M rows/s, ` +
      `${(((used.user + used.system) / 1e6 / rows) * 1e6).toFixed(3)} CPU s / M rows`,
  );
  await client.close();
} finally {
  await server.stop();
}
