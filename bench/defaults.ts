/**
 * Client-side against server-side DEFAULT/MATERIALIZED columns: server CPU per million rows (system.query_log
 * ProfileEvents of each INSERT) and end-to-end throughput, on a table with heavy MATERIALIZED columns.
 *
 *   npx tsx bench/defaults.ts            (DEFAULTS_ROWS rows per insert, default 1 000 000; DEFAULTS_ROUNDS, default 3)
 *
 * DEFAULTS_BLOCK_ROWS / DEFAULTS_BLOCK_BYTES set the client's insert_block_rows / insert_block_bytes (default: the
 * client's defaults): the Native block size changes both sides' CPU (BENCHMARKS.md). DEFAULTS_ENGINE=Null inserts
 * into the same columns with ENGINE = Null, which still computes the server's MATERIALIZED columns but writes no part:
 * against the MergeTree run it splits the server's CPU into reading the blocks (and computing) and writing the part.
 * DEFAULTS_EVENTS=1 also prints the median of every ProfileEvent of the two inserts that differs between them.
 *
 * 18.16 has no JSONExtract*: the JSON fields are pulled out with extract() regexps, as schemas did before it.
 * Rounds alternate client/server on fresh tables; compare ratios within one run.
 */
import { randomUUID } from 'node:crypto';
import { createClient } from '../src/index.js';
import { adminQuery, startServer } from '../test/harness/server.js';
import { defaultsData as data, DEFAULTS_SCHEMA as schema } from './defaults-table.js';

const ROWS = Number(process.env.DEFAULTS_ROWS ?? 1_000_000);
const ROUNDS = Number(process.env.DEFAULTS_ROUNDS ?? 3);
const blockSize = (name: string): number | undefined =>
  process.env[name] === undefined ? undefined : Number(process.env[name]);
const BLOCK_ROWS = blockSize('DEFAULTS_BLOCK_ROWS');
const BLOCK_BYTES = blockSize('DEFAULTS_BLOCK_BYTES');
const ENGINE = process.env.DEFAULTS_ENGINE ?? 'MergeTree';
const tableSchema =
  ENGINE === 'MergeTree' ? schema : schema.replace(/ENGINE = MergeTree ORDER BY id$/, `ENGINE = ${ENGINE}`);

const server = await startServer({});
const admin = (sql: string) => adminQuery(server, sql);
const client = createClient({
  host: server.host,
  port: server.port,
  username: server.username,
  password: server.password,
  database: server.database,
  ...(BLOCK_ROWS === undefined ? {} : { insert_block_rows: BLOCK_ROWS }),
  ...(BLOCK_BYTES === undefined ? {} : { insert_block_bytes: BLOCK_BYTES }),
});
const values = data(ROWS);
const results: Record<'client' | 'server', { seconds: number[]; cpu: number[]; ids: string[] }> = {
  client: { seconds: [], cpu: [], ids: [] },
  server: { seconds: [], cpu: [], ids: [] },
};
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of round % 2 ? (['server', 'client'] as const) : (['client', 'server'] as const)) {
      const table = `bench_defaults_${mode}_${round}`;
      await admin(`DROP TABLE IF EXISTS ${table}`);
      await admin(`CREATE TABLE ${table} ${tableSchema}`);
      // Learn the description once (as a long-lived client would have), outside the timing.
      await client.insert({
        table,
        values: { id: [0n], ts: [0], user_id: [0], event: [''], url: [''], payload: [''] },
        defaults: mode,
      });
      const queryId = randomUUID();
      const start = performance.now();
      const cpu0 = process.cpuUsage();
      await client.insert({ table, values, defaults: mode, query_id: queryId });
      const cpu = process.cpuUsage(cpu0);
      results[mode].seconds.push((performance.now() - start) / 1000);
      results[mode].cpu.push((cpu.user + cpu.system) / 1000);
      results[mode].ids.push(queryId);
      await admin(`DROP TABLE ${table}`);
    }
  }
  await admin('SYSTEM FLUSH LOGS');
  const pe = (name: string) => `ProfileEvents.Values[indexOf(ProfileEvents.Names, '${name}')]`;
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const serverCpu = async (ids: string[]): Promise<Map<string, { cpu: number; duration: number }>> => {
    const text = await admin(
      `SELECT query_id, ${pe('UserTimeMicroseconds')} + ${pe('SystemTimeMicroseconds')}, query_duration_ms FROM system.query_log WHERE type = 2 AND query_id IN (${ids.map((id) => `'${id}'`).join(', ')}) FORMAT TabSeparated`,
    );
    return new Map(
      text
        .trim()
        .split('\n')
        .map((l) => l.split('\t'))
        .map(([id, cpu, dur]) => [id!, { cpu: Number(cpu) / 1000, duration: Number(dur) }]),
    );
  };
  const perM = (x: number) => x / (ROWS / 1e6);
  const logged = { client: await serverCpu(results.client.ids), server: await serverCpu(results.server.ids) };
  const blocks = `insert_block_rows ${BLOCK_ROWS ?? 'default'}, insert_block_bytes ${BLOCK_BYTES ?? 'default'}`;
  console.log(
    `server ${server.version}, ENGINE = ${ENGINE}, ${ROWS} rows per insert, ${blocks}, ${ROUNDS} rounds (median)`,
  );
  console.log(
    '| defaults | server CPU ms / M rows (user+sys) | server query ms / M rows | client CPU ms / M rows | rows/s end to end |',
  );
  console.log('|---|---|---|---|---|');
  for (const mode of ['client', 'server'] as const) {
    const q = results[mode].ids.map((id) => logged[mode].get(id)!);
    const rate = ROWS / median(results[mode].seconds);
    console.log(
      `| ${mode} | ${perM(median(q.map((x) => x.cpu))).toFixed(0)} | ${perM(median(q.map((x) => x.duration))).toFixed(0)} | ${perM(median(results[mode].cpu)).toFixed(0)} | ${(rate / 1e6).toFixed(2)} M |`,
    );
  }
  // Ratios within each round (the two modes ran back to back), so that the machine's load cancels out.
  const speed = results.client.seconds.map((c, r) => results.server.seconds[r]! / c);
  const cpuSaved = results.client.ids.map(
    (id, r) => 1 - logged.client.get(id)!.cpu / logged.server.get(results.server.ids[r]!)!.cpu,
  );
  const list = (xs: number[], f: (x: number) => string) => xs.map(f).join(', ');
  console.log(
    `same-round end-to-end speed, client-side / server-side defaults: ${list(speed, (x) => `${x.toFixed(2)}x`)} (median ${median(speed).toFixed(2)}x)`,
  );
  console.log(
    `same-round server CPU saved by client-side defaults: ${list(cpuSaved, (x) => `${(100 * x).toFixed(0)}%`)} (median ${(100 * median(cpuSaved)).toFixed(0)}%)`,
  );
  if (process.env.DEFAULTS_EVENTS === '1') {
    const events = async (ids: string[]): Promise<Map<string, number>[]> => {
      const text = await admin(
        `SELECT query_id, name, value FROM system.query_log ARRAY JOIN ProfileEvents.Names AS name, ProfileEvents.Values AS value WHERE type = 2 AND query_id IN (${ids.map((id) => `'${id}'`).join(', ')}) FORMAT TabSeparated`,
      );
      const byId = new Map(ids.map((id) => [id, new Map<string, number>()]));
      for (const line of text.trim().split('\n')) {
        const [id, name, value] = line.split('\t');
        byId.get(id!)?.set(name!, Number(value));
      }
      return [...byId.values()];
    };
    const byMode = { client: await events(results.client.ids), server: await events(results.server.ids) };
    const names = new Set([...byMode.client, ...byMode.server].flatMap((m) => [...m.keys()]));
    const of = (mode: 'client' | 'server', name: string) => perM(median(byMode[mode].map((m) => m.get(name) ?? 0)));
    console.log('| ProfileEvent (median per M rows) | client-side defaults | server-side defaults |');
    console.log('|---|---|---|');
    for (const name of [...names].sort()) {
      const [c, s] = [of('client', name), of('server', name)];
      if (c !== s) console.log(`| ${name} | ${c.toFixed(0)} | ${s.toFixed(0)} |`);
    }
  }
} finally {
  await client.close();
  await server.stop();
}
