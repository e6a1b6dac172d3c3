/**
 * The fault matrix: inserts into an 18.16 ReplicatedMergeTree (with ZooKeeper) through a fault proxy that breaks
 * each INSERT at one point of its exchange. The client retries with the identical blocks; the table must hold
 * exactly the inserted rows, none lost and none twice. The counts are printed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, InsertOutcomeUnknownError, type ClickHouseClient } from '../../src/index.js';
import type { InsertRetryEvent } from '../../src/insert/retry.js';
import { FaultProxy, type FaultAction, type FaultPoint } from '../harness/fault-proxy.js';
import {
  createReplicatedTable,
  deduplicatedBlocks,
  startReplicatedServer,
  tableCounts,
  uniqueName,
  type ReplicatedSetup,
} from './replicated.js';

const RUNS = 20;
const ROWS = 500;
/** 5 blocks per insert: a cut in the middle of the data leaves some committed, some not. */
const BLOCK_ROWS = 100;

let setup: ReplicatedSetup;
let proxy: FaultProxy;
let client: ClickHouseClient;
/** For partitions: the client learns of them only through request_timeout_ms, kept short here. */
let impatient: ClickHouseClient;
const retries: InsertRetryEvent[] = [];
const table = uniqueName('fault_matrix');

beforeAll(async () => {
  setup = await startReplicatedServer();
  proxy = await FaultProxy.start({ host: setup.server.host, port: setup.server.port });
  const config = {
    host: proxy.host,
    port: proxy.port,
    insert_block_rows: BLOCK_ROWS,
    insert_retry: { attempts: 5, initial_delay_ms: 5, max_delay_ms: 50, on_retry: (event: InsertRetryEvent) => retries.push(event) },
  };
  // Generous: on a loaded CI machine a replicated commit can take a while, and a timeout would add a retry.
  client = createClient({ ...config, request_timeout_ms: 10_000 });
  impatient = createClient({ ...config, request_timeout_ms: 1000 });
  await createReplicatedTable(setup.server, table);
}, 180_000);

afterAll(async () => {
  await client?.close();
  await impatient?.close();
  await proxy?.close();
  await setup?.stop();
});

/** Rows of one insert: ids unique across the whole suite, so identical content never dedups two inserts. */
function rowsOf(batch: number): { id: bigint; batch: number; s: string }[] {
  return Array.from({ length: ROWS }, (_, i) => ({
    id: BigInt(batch) * 1_000_000n + BigInt(i),
    batch,
    s: `row ${i} of batch ${batch}: ${'x'.repeat(i % 50)}`,
  }));
}

function expected(batches: readonly number[]): { rows: number; sum: bigint } {
  let sum = 0n;
  for (const batch of batches) for (let i = 0; i < ROWS; i++) sum += BigInt(batch) * 1_000_000n + BigInt(i);
  return { rows: batches.length * ROWS, sum };
}

const report: string[] = [];

describe.sequential('fault matrix on ReplicatedMergeTree (18.16 + ZooKeeper)', () => {
  let nextBatch = 1;

  it('inserts cleanly through the proxy (and measures the data phase)', async () => {
    const batch = nextBatch++;
    await client.insert({ table, values: rowsOf(batch) });
    expect(proxy.stats.lastDataBytes).toBeGreaterThan(0);
    const counts = await tableCounts(setup.server, table, `batch = ${batch}`);
    expect(counts.rows).toBe(ROWS);
  });

  const points: Array<[FaultPoint, FaultAction, number]> = [
    ['before-data', 'cut', RUNS],
    ['mid-data', 'cut', RUNS],
    ['after-data', 'cut', RUNS],
    ['after-eos', 'cut', RUNS],
    // A partition: nothing comes back, the client learns through request_timeout_ms (1 s here).
    ['mid-data', 'blackhole', 3],
    ['after-data', 'blackhole', 3],
  ];

  it.each(points)('%s (%s) × %i: every row once', async (at, action, runs) => {
    const batches: number[] = [];
    const retriesBefore = retries.length;
    const dedupBefore = await deduplicatedBlocks(setup.server, table);
    const started = Date.now();
    for (let run = 0; run < runs; run++) {
      const batch = nextBatch++;
      batches.push(batch);
      proxy.failNextInsert({ at, action });
      const result = await (action === 'blackhole' ? impatient : client).insert({ table, values: rowsOf(batch) });
      expect(proxy.armed, 'the fault fired').toBe(false);
      expect(result.rows).toBe(ROWS);
    }
    const where = `batch IN (${batches.join(',')})`;
    const counts = await tableCounts(setup.server, table, where);
    const want = expected(batches);
    const retried = retries.length - retriesBefore;
    const dedup = (await deduplicatedBlocks(setup.server, table)) - dedupBefore;
    const line =
      `${at.padEnd(11)} ${action.padEnd(9)} runs=${runs} rows: expected=${want.rows} stored=${counts.rows} ` +
      `lost=${want.rows - counts.distinct} duplicated=${counts.rows - counts.distinct} ` +
      `retries=${retried} blocks deduplicated by the server=${dedup} (${Date.now() - started} ms)`;
    report.push(line);
    console.log(`[fault-matrix] ${line}`);
    expect(counts.rows).toBe(want.rows);
    expect(counts.distinct).toBe(want.rows);
    expect(counts.sum).toBe(want.sum);
    const events = retries.slice(retriesBefore);
    if (at === 'after-eos') {
      // The answer arrived before the cut: no insert had an unknown outcome. The next insert may find the pooled
      // connection dead before sending any data, and is retried as a plain not-sent failure.
      expect(events.every((event) => event.outcome === 'not_sent')).toBe(true);
    } else {
      // Every fault made one retry (a loaded machine may add a timeout's).
      expect(retried).toBeGreaterThanOrEqual(runs);
      if (at !== 'before-data') expect(events.filter((event) => event.outcome === 'unknown').length).toBeGreaterThanOrEqual(runs);
    }
    // after-data: everything had been committed, so the retry's blocks were all dropped as duplicates.
    if (at === 'after-data') expect(dedup).toBeGreaterThanOrEqual(runs * (ROWS / BLOCK_ROWS));
    // mid-data: the blocks before the cut were committed and dropped on the retry.
    if (at === 'mid-data') expect(dedup).toBeGreaterThan(0);
  });

  it('resends byte-identical Data packets', async () => {
    proxy.capture = true;
    try {
      for (const at of ['mid-data', 'after-data'] as const) {
        proxy.captures.length = 0;
        proxy.failNextInsert({ at });
        await client.insert({ table, values: rowsOf(nextBatch++) });
        expect(proxy.captures).toHaveLength(2);
        const [cut, retry] = proxy.captures as [(typeof proxy.captures)[0], (typeof proxy.captures)[0]];
        expect(cut.faulted).toBe(true);
        expect(retry.faulted).toBe(false);
        expect(cut.forwarded.length).toBeGreaterThan(0);
        // What reached the server the first time is exactly the start of what the retry sent.
        expect(retry.forwarded.subarray(0, cut.forwarded.length).equals(cut.forwarded)).toBe(true);
        if (at === 'after-data') expect(retry.forwarded.equals(cut.forwarded)).toBe(true);
      }
    } finally {
      proxy.capture = false;
    }
  });

  it('retries a request that timed out before the header (a delay longer than request_timeout_ms)', async () => {
    const batch = nextBatch++;
    proxy.setDelay(1500);
    const slow = createClient({
      host: proxy.host,
      port: proxy.port,
      request_timeout_ms: 1000,
      insert_retry: { initial_delay_ms: 5, on_retry: () => proxy.setDelay(0) },
    });
    try {
      const result = await slow.insert({ table, values: rowsOf(batch) });
      expect(result.rows).toBe(ROWS);
    } finally {
      proxy.setDelay(0);
      await slow.close();
    }
    expect((await tableCounts(setup.server, table, `batch = ${batch}`)).rows).toBe(ROWS);
  });

  it('gives up with InsertOutcomeUnknownError saying what was and was not sent', async () => {
    const batch = nextBatch++;
    const strict = createClient({
      host: proxy.host,
      port: proxy.port,
      insert_block_rows: BLOCK_ROWS,
      insert_retry: { unknown_outcome: 'fail' },
    });
    try {
      proxy.failNextInsert({ at: 'mid-data' });
      const error = await strict.insert({ table, values: rowsOf(batch) }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InsertOutcomeUnknownError);
      const unknown = error as InsertOutcomeUnknownError;
      expect(unknown.attempts).toBe(1);
      expect(unknown.blocks).toBe(ROWS / BLOCK_ROWS);
      expect(unknown.unknownRows + unknown.unsentRows).toBe(ROWS);
      expect(unknown.unknownRows).toBeGreaterThan(0);
      expect(unknown.acknowledgedRows).toBe(0);
      expect(unknown.rows).toHaveLength(ROWS);
      expect(unknown.message).toMatch(/may or may not be committed/);
      // The caller may retry it later, identically: the server keeps it exactly once.
      await strict.insert({ table, values: unknown.rows as ReturnType<typeof rowsOf> });
      expect((await tableCounts(setup.server, table, `batch = ${batch}`)).rows).toBe(ROWS);
    } finally {
      await strict.close();
    }
  });

  it('prints the matrix', () => {
    console.log(`[fault-matrix] summary (${ROWS} rows per insert, ${BLOCK_ROWS} per block):\n  ${report.join('\n  ')}`);
    expect(report.length).toBeGreaterThan(0);
  });
});
