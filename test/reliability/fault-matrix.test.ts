/**
 * The fault matrix: inserts into an 18.16 ReplicatedMergeTree (with ZooKeeper) through a fault proxy that breaks
 * each INSERT at one point of its exchange. The client retries with the identical blocks; the table must hold
 * exactly the inserted rows, none lost and none twice. The same faults against a plain MergeTree on the same server,
 * which does not deduplicate: the default policy resends only what was never sent, and an unknown outcome throws
 * InsertOutcomeUnknownError instead: rows may be missing (the caller is told which), none is ever twice. The counts
 * are printed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, InsertOutcomeUnknownError, type ClickHouseClient } from '../../src/index.js';
import type { InsertRetryEvent } from '../../src/insert/retry.js';
import { FaultProxy, type FaultAction, type FaultPoint } from '../harness/fault-proxy.js';
import { adminQuery } from '../harness/server.js';
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
const plainTable = uniqueName('fault_matrix_plain');

beforeAll(async () => {
  setup = await startReplicatedServer();
  proxy = await FaultProxy.start({ host: setup.server.host, port: setup.server.port });
  const config = {
    host: proxy.host,
    port: proxy.port,
    insert_block_rows: BLOCK_ROWS,
    insert_retry: {
      attempts: 5,
      initial_delay_ms: 5,
      max_delay_ms: 50,
      on_retry: (event: InsertRetryEvent) => retries.push(event),
    },
  };
  // Generous: on a loaded CI machine a replicated commit can take a while, and a timeout would add a retry.
  client = createClient({ ...config, request_timeout_ms: 10_000 });
  impatient = createClient({ ...config, request_timeout_ms: 1000 });
  await createReplicatedTable(setup.server, table);
  await adminQuery(
    setup.server,
    `CREATE TABLE ${plainTable} (id UInt64, batch UInt32, s String) ENGINE = MergeTree ORDER BY id`,
  );
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
      if (at !== 'before-data')
        expect(events.filter((event) => event.outcome === 'unknown').length).toBeGreaterThanOrEqual(runs);
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

  it('50,000 rows cut after the data, before the acknowledgement: resent, every row once', async () => {
    const batch = nextBatch++;
    const values = Array.from({ length: 50_000 }, (_, i) => ({
      id: BigInt(batch) * 1_000_000n + BigInt(i),
      batch,
      s: `big ${i}`,
    }));
    const before = retries.length;
    proxy.failNextInsert({ at: 'after-data' });
    const result = await client.insert({ table, values, block_rows: 100_000 });
    expect(proxy.armed, 'the fault fired').toBe(false);
    expect(result.rows).toBe(50_000);
    expect(retries.slice(before).map((event) => event.outcome)).toEqual(['unknown']);
    const counts = await tableCounts(setup.server, table, `batch = ${batch}`);
    expect(counts).toMatchObject({ rows: 50_000, distinct: 50_000 });
    report.push(`ReplicatedMergeTree, 50,000 rows in one block, after-data cut: stored=${counts.rows} retries=1`);
  });

  it('prints the matrix', () => {
    console.log(`[fault-matrix] summary (${ROWS} rows per insert, ${BLOCK_ROWS} per block):\n  ${report.join('\n  ')}`);
    expect(report.length).toBeGreaterThan(0);
  });
});

describe.sequential('fault matrix on a plain MergeTree (no deduplication: never resent after data went out)', () => {
  let nextBatch = 1_000_000;
  const plainPoints: Array<[FaultPoint, FaultAction, number]> = [
    ['before-data', 'cut', RUNS],
    ['mid-data', 'cut', RUNS],
    ['after-data', 'cut', RUNS],
    ['after-eos', 'cut', RUNS],
    ['mid-data', 'blackhole', 3],
    ['after-data', 'blackhole', 3],
  ];

  it('inserts cleanly through the proxy (and measures the data phase, for the mid-data point)', async () => {
    const batch = nextBatch++;
    await client.insert({ table: plainTable, values: rowsOf(batch) });
    expect((await tableCounts(setup.server, plainTable, `batch = ${batch}`)).rows).toBe(ROWS);
  });

  it.each(plainPoints)(
    '%s (%s) × %i: no row twice; an unknown outcome is reported, not resent',
    async (at, action, runs) => {
      const batches: number[] = [];
      const retriesBefore = retries.length;
      const unknown: InsertOutcomeUnknownError[] = [];
      let unknownRows = 0;
      let unsentRows = 0;
      for (let run = 0; run < runs; run++) {
        const batch = nextBatch++;
        batches.push(batch);
        proxy.failNextInsert({ at, action });
        const outcome = await (action === 'blackhole' ? impatient : client)
          .insert({ table: plainTable, values: rowsOf(batch) })
          .catch((error: unknown) => error);
        expect(proxy.armed, 'the fault fired').toBe(false);
        if (outcome instanceof InsertOutcomeUnknownError) {
          unknown.push(outcome);
          unknownRows += outcome.unknownRows;
          unsentRows += outcome.unsentRows;
          expect(outcome.whyNotRetried).toMatch(/MergeTree table without non_replicated_deduplication_window/);
        } else {
          expect(outcome).toMatchObject({ rows: ROWS });
        }
      }
      const counts = await tableCounts(setup.server, plainTable, `batch IN (${batches.join(',')})`);
      const want = expected(batches);
      const events = retries.slice(retriesBefore);
      const line =
        `plain MergeTree ${at.padEnd(11)} ${action.padEnd(9)} runs=${runs} rows: expected=${want.rows} stored=${counts.rows} ` +
        `not stored=${want.rows - counts.distinct} duplicated=${counts.rows - counts.distinct} retries=${events.length} ` +
        `InsertOutcomeUnknownError=${unknown.length} (unknownRows=${unknownRows}, unsentRows=${unsentRows})`;
      report.push(line);
      console.log(`[fault-matrix] ${line}`);
      // Never twice, whatever the fault.
      expect(counts.rows).toBe(counts.distinct);
      // Only failures before any data went out are resent.
      expect(events.every((event) => event.outcome === 'not_sent')).toBe(true);
      if (at === 'after-eos') {
        // Acknowledged before the cut: nothing unknown, every row stored.
        expect(unknown).toHaveLength(0);
        expect(counts.rows).toBe(want.rows);
      } else {
        // Data was handed to the socket before the fault (even 'before-data': the client cannot see that the proxy
        // held its first bytes back), so each insert reports its outcome as unknown and is not resent. What is stored
        // is at most what may have been sent: here from none (the cut kept it all back) to all (after the data).
        expect(unknown).toHaveLength(runs);
        expect(counts.rows).toBeLessThanOrEqual(unknownRows);
        if (at === 'after-data') expect(counts.rows).toBe(want.rows);
      }
    },
  );

  it('50,000 rows cut after the data, before the acknowledgement: InsertOutcomeUnknownError and exactly 50,000 rows', async () => {
    const batch = nextBatch++;
    const values = Array.from({ length: 50_000 }, (_, i) => ({
      id: BigInt(batch) * 1_000_000n + BigInt(i),
      batch,
      s: `big ${i}`,
    }));
    const before = retries.length;
    proxy.failNextInsert({ at: 'after-data' });
    const error = await client.insert({ table: plainTable, values, block_rows: 100_000 }).catch((e: unknown) => e);
    expect(proxy.armed, 'the fault fired').toBe(false);
    expect(error).toBeInstanceOf(InsertOutcomeUnknownError);
    expect((error as InsertOutcomeUnknownError).unknownRows).toBe(50_000);
    expect(retries.length - before).toBe(0);
    const counts = await tableCounts(setup.server, plainTable, `batch = ${batch}`);
    expect(counts).toMatchObject({ rows: 50_000, distinct: 50_000 });
    report.push(
      `plain MergeTree, 50,000 rows in one block, after-data cut: InsertOutcomeUnknownError, stored=${counts.rows}`,
    );
    console.log(`[fault-matrix] summary with the plain MergeTree:\n  ${report.join('\n  ')}`);
  });
});
