/**
 * Client-side against server-side DEFAULT/MATERIALIZED columns: server CPU per million rows (system.query_log
 * ProfileEvents of each INSERT) and end-to-end throughput, on a table with heavy MATERIALIZED columns.
 *
 *   npx tsx bench/defaults.ts            (DEFAULTS_ROWS rows per insert, default 1 000 000; DEFAULTS_ROUNDS, default 3)
 *
 * 18.16 has no JSONExtract*: the JSON fields are pulled out with extract() regexps, as schemas did before it.
 * Rounds alternate client/server on fresh tables; compare ratios within one run.
 */
import { randomUUID } from 'node:crypto';
import { createClient, type ColumnarInput } from '../src/index.js';
import { adminQuery, startServer } from '../test/harness/server.js';

const ROWS = Number(process.env.DEFAULTS_ROWS ?? 1_000_000);
const ROUNDS = Number(process.env.DEFAULTS_ROUNDS ?? 3);

const schema = `(
  id UInt64,
  ts DateTime,
  user_id UInt32,
  event String,
  url String,
  payload String,
  browser String MATERIALIZED extract(payload, '"browser":"([^"]*)"'),
  country String MATERIALIZED extract(payload, '"country":"([^"]*)"'),
  plan String MATERIALIZED extract(payload, '"plan":"([^"]*)"'),
  row_hash UInt64 MATERIALIZED cityHash64(id, user_id, event, url),
  url_pattern String MATERIALIZED replaceRegexpAll(url, '[0-9]+', 'N'),
  event_lower String MATERIALIZED lower(event),
  day Date MATERIALIZED toDate(ts)
) ENGINE = MergeTree ORDER BY id`;

function data(rows: number): ColumnarInput {
  const id = new BigUint64Array(rows);
  const ts = new Uint32Array(rows);
  const user = new Uint32Array(rows);
  const event: string[] = new Array(rows);
  const url: string[] = new Array(rows);
  const payload: string[] = new Array(rows);
  const events = ['page_view', 'Sign_Up', 'purchase', 'Click'];
  const browsers = ['Chrome', 'Firefox', 'Safari', 'Edge'];
  const countries = ['DE', 'US', 'FR', 'JP', 'BR'];
  for (let i = 0; i < rows; i++) {
    id[i] = BigInt(i);
    ts[i] = 1_700_000_000 + i;
    user[i] = (i * 7919) % 100_000;
    event[i] = events[i & 3]!;
    url[i] = `https://shop.example.com/p/${i % 5000}/item/${i}?ref=${i % 97}`;
    payload[i] = `{"browser":"${browsers[i & 3]}","country":"${countries[i % 5]}","plan":"p${i % 3}","n":${i}}`;
  }
  return { id, ts, user_id: user, event, url, payload };
}

const server = await startServer({});
const admin = (sql: string) => adminQuery(server, sql);
const client = createClient({ host: server.host, port: server.port, username: server.username, password: server.password, database: server.database });
const values = data(ROWS);
const results: Record<'client' | 'server', { seconds: number[]; ids: string[] }> = { client: { seconds: [], ids: [] }, server: { seconds: [], ids: [] } };
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of round % 2 ? (['server', 'client'] as const) : (['client', 'server'] as const)) {
      const table = `bench_defaults_${mode}_${round}`;
      await admin(`DROP TABLE IF EXISTS ${table}`);
      await admin(`CREATE TABLE ${table} ${schema}`);
      // Learn the description once (as a long-lived client would have), outside the timing.
      await client.insert({ table, values: { id: [0n], ts: [0], user_id: [0], event: [''], url: [''], payload: [''] }, defaults: mode });
      const queryId = randomUUID();
      const start = performance.now();
      await client.insert({ table, values, defaults: mode, query_id: queryId });
      results[mode].seconds.push((performance.now() - start) / 1000);
      results[mode].ids.push(queryId);
      await admin(`DROP TABLE ${table}`);
    }
  }
  await admin('SYSTEM FLUSH LOGS');
  const pe = (name: string) => `ProfileEvents.Values[indexOf(ProfileEvents.Names, '${name}')]`;
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`server ${server.version}, ${ROWS} rows per insert, ${ROUNDS} rounds (median)`);
  console.log('| defaults | server CPU ms / M rows (user+sys) | server query ms / M rows | rows/s end to end |');
  console.log('|---|---|---|---|');
  for (const mode of ['client', 'server'] as const) {
    const ids = results[mode].ids.map((id) => `'${id}'`).join(', ');
    const text = await admin(
      `SELECT ${pe('UserTimeMicroseconds')} + ${pe('SystemTimeMicroseconds')}, query_duration_ms FROM system.query_log WHERE type = 2 AND query_id IN (${ids}) FORMAT TabSeparated`,
    );
    const rows = text.trim().split('\n').map((l) => l.split('\t').map(Number));
    const cpuMs = median(rows.map((r) => r[0]! / 1000)) / (ROWS / 1e6);
    const durMs = median(rows.map((r) => r[1]!)) / (ROWS / 1e6);
    const rate = ROWS / median(results[mode].seconds);
    console.log(`| ${mode} | ${cpuMs.toFixed(0)} | ${durMs.toFixed(0)} | ${(rate / 1e6).toFixed(2)} M |`);
  }
} finally {
  await client.close();
  await server.stop();
}
