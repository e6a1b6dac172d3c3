/**
 * kill -9 of the server in the middle of an inserter stream, then a restart: the inserter recovers by itself (its
 * retries ride out the outage), nothing acknowledged is lost, and nothing is stored twice.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createClient, type ClickHouseClient } from '../../src/index.js';
import {
  createReplicatedTable,
  deduplicatedBlocks,
  startReplicatedServer,
  tableCounts,
  uniqueName,
  type ReplicatedSetup,
} from './replicated.js';

let setup: ReplicatedSetup;
let client: ClickHouseClient;
const table = uniqueName('crash');

beforeAll(async () => {
  setup = await startReplicatedServer();
  await createReplicatedTable(setup.server, table);
  client = createClient({
    host: setup.server.host,
    port: setup.server.port,
    connect_timeout_ms: 1000,
    request_timeout_ms: 3000,
  });
}, 180_000);

afterAll(async () => {
  await client?.close();
  await setup?.stop();
});

const PRODUCERS = 6;
const WRITES = 40;
const ROWS_PER_WRITE = 20;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('survives kill -9 and a restart of the server mid-stream: nothing acknowledged lost, nothing twice', async () => {
  const inserter = client.inserter<{ id: number; batch: number; s: string }>(table, {
    max_rows: 200,
    flush_interval_ms: 50,
    max_inserts_per_second: 20,
    retry: { initial_delay_ms: 50, max_delay_ms: 400, attempts: 40 },
  });
  const acknowledged = new Set<number>();
  const failures: unknown[] = [];
  let acknowledgedAtKill = -1;

  const producer = async (p: number) => {
    for (let w = 0; w < WRITES; w++) {
      const base = (p * WRITES + w) * ROWS_PER_WRITE;
      const rows = Array.from({ length: ROWS_PER_WRITE }, (_, i) => ({
        id: base + i,
        batch: p,
        s: `p${p} w${w} r${i}`,
      }));
      try {
        await inserter.write(rows);
        for (const row of rows) acknowledged.add(row.id);
      } catch (error) {
        failures.push(error);
      }
    }
  };

  const crash = async () => {
    while (acknowledged.size < (PRODUCERS * WRITES * ROWS_PER_WRITE) / 4) await sleep(5);
    acknowledgedAtKill = acknowledged.size;
    const killedAt = Date.now();
    await setup.server.kill('SIGKILL');
    await sleep(300);
    await setup.server.restart();
    return Date.now() - killedAt;
  };

  const started = Date.now();
  const [outageMs] = await Promise.all([crash(), ...Array.from({ length: PRODUCERS }, (_, p) => producer(p))]);
  await inserter.close();

  const total = PRODUCERS * WRITES * ROWS_PER_WRITE;
  const counts = await tableCounts(setup.server, table);
  const ids = [...acknowledged];
  const present = await tableCounts(setup.server, table, `id IN (${ids.join(',')})`);
  const dedup = await deduplicatedBlocks(setup.server, table);
  console.log(
    `[server-crash] rows written=${total} acknowledged=${acknowledged.size} (${acknowledgedAtKill} before the kill) ` +
      `stored=${counts.rows} distinct=${counts.distinct} acknowledged-but-missing=${acknowledged.size - present.distinct} ` +
      `duplicated=${counts.rows - counts.distinct} failed writes=${failures.length} inserts=${inserter.stats.inserts} ` +
      `retries=${inserter.stats.retries} blocks deduplicated by the server=${dedup} ` +
      `outage=${outageMs} ms, total ${Date.now() - started} ms`,
  );
  expect(failures).toEqual([]);
  expect(acknowledgedAtKill).toBeGreaterThan(0);
  expect(acknowledged.size).toBe(total);
  expect(present.distinct).toBe(acknowledged.size);
  expect(counts.rows).toBe(total);
  expect(counts.distinct).toBe(total);
  expect(inserter.stats.retries).toBeGreaterThan(0);
  expect(inserter.stats).toMatchObject({ acknowledged_rows: total, failed_rows: 0, buffered_rows: 0 });
});
