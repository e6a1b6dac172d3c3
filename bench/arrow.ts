/**
 * Arrow interop against the plain paths, same run, ratios only (machines here are shared and noisy):
 *  - read: result.arrow() against result.json() and against blocks() alone (the floor), numeric and mixed columns;
 *  - write: insert(fromArrow(table)) against insert of the same columns as TypedArrays/arrays, and of row objects.
 *
 *   npx tsx bench/arrow.ts        (ARROW_ROWS, default 2 000 000; ARROW_ROUNDS, default 3)
 */
import { tableFromArrays } from 'apache-arrow';
import { createClient, fromArrow } from '../src/index.js';
import { adminQuery, startServer } from '../test/harness/server.js';

const ROWS = Number(process.env.ARROW_ROWS ?? 2_000_000);
const ROUNDS = Number(process.env.ARROW_ROUNDS ?? 3);

const server = await startServer({ prefer: 'any', log: (m) => console.error(`[clickhouse] ${m}`) });
const client = createClient({
  host: server.host,
  port: server.port,
  username: server.username,
  password: server.password,
});
try {
  const id = BigUint64Array.from({ length: ROWS }, (_, i) => BigInt(i));
  const value = Float64Array.from({ length: ROWS }, (_, i) => i / 3);
  const user = Uint32Array.from({ length: ROWS }, (_, i) => i % 100_000);
  const event = Array.from({ length: ROWS }, (_, i) => `event_${i % 50}`);
  const arrowTable = tableFromArrays({ id, value, user, event });
  const rowObjects = Array.from({ length: ROWS }, (_, i) => ({
    id: id[i],
    value: value[i],
    user: user[i],
    event: event[i],
  }));

  const timings: Record<string, number[]> = {};
  const time = async (name: string, run: () => Promise<unknown>): Promise<void> => {
    const start = performance.now();
    await run();
    (timings[name] ??= []).push(performance.now() - start);
  };
  // Round 0 warms up (JIT, pool, server caches) and is not counted; the order of the contenders rotates per round.
  const rotate = <T>(xs: T[], by: number): T[] => xs.map((_, i) => xs[(i + by) % xs.length]!);
  for (let round = 0; round <= ROUNDS; round++) {
    const counted = round > 0;
    const run = async (name: string, body: () => Promise<unknown>) => (counted ? time(name, body) : body());
    const table = `bench_arrow_${round}`;
    await adminQuery(
      server,
      `CREATE TABLE ${table} (id UInt64, value Float64, user UInt32, event String) ENGINE = Null`,
    );
    const inserts: Array<[string, () => Promise<unknown>]> = [
      ['insert columns (TypedArrays)', () => client.insert({ table, values: { id, value, user, event } })],
      ['insert fromArrow(table)', async () => client.insert({ table, values: await fromArrow(arrowTable) })],
      ['insert row objects', () => client.insert({ table, values: rowObjects })],
    ];
    for (const [name, body] of rotate(inserts, round)) await run(name, body);
    await adminQuery(server, `DROP TABLE ${table}`);
    const numeric = `SELECT number AS id, number / 3 AS value, toUInt32(number % 100000) AS user FROM numbers(${ROWS})`;
    const mixed = `SELECT number AS id, concat('event_', toString(number % 50)) AS event FROM numbers(${ROWS})`;
    for (const [kind, sql] of [
      ['numeric', numeric],
      ['mixed', mixed],
    ] as const) {
      const reads: Array<[string, () => Promise<unknown>]> = [
        [
          `read ${kind}: blocks()`,
          async () => {
            for await (const block of (await client.query({ query: sql })).blocks()) void block;
          },
        ],
        [`read ${kind}: arrow()`, async () => (await client.query({ query: sql })).arrow()],
        [`read ${kind}: json()`, async () => (await client.query({ query: sql })).json()],
      ];
      for (const [name, body] of rotate(reads, round)) await run(name, body);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const base: Record<string, string> = {
    'insert fromArrow(table)': 'insert columns (TypedArrays)',
    'insert row objects': 'insert columns (TypedArrays)',
    'read numeric: arrow()': 'read numeric: blocks()',
    'read numeric: json()': 'read numeric: blocks()',
    'read mixed: arrow()': 'read mixed: blocks()',
    'read mixed: json()': 'read mixed: blocks()',
  };
  console.log(`\n${ROWS} rows, median of ${ROUNDS} rounds, ${server.kind} server ${server.version ?? ''}`);
  for (const [name, xs] of Object.entries(timings)) {
    const m = median(xs);
    // Speed relative to the plain path: above 1 is faster, below 1 slower.
    const ratio = base[name] ? `  ${(median(timings[base[name]]!) / m).toFixed(2)}x the speed of ${base[name]}` : '';
    console.log(`  ${name.padEnd(32)} ${(ROWS / m / 1000).toFixed(2)} M rows/s${ratio}`);
  }
} finally {
  await client.close();
  await server.stop();
}
