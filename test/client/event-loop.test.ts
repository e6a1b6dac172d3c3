/**
 * The read path yields to the event loop between blocks (issue 13, item 6): while buffered data lasts, packet reads
 * resolve as microtasks, and without a yield no timer, abort or other socket gets a turn until the buffer is empty.
 * These tests assert ordering (a timer fires before the stream ends), not durations. The consumers do some synchronous
 * work per block, as real ones do (decoding rows, aggregating): that work, not only ours, is what holds the loop.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { AbortError, type ClickHouseClient, type ResultSet } from '../../src/index.js';
import { admin, clientFor, closeLater, closeOpened } from './helpers.js';

afterEach(closeOpened);

/** 100 Data packets of 100 rows, about 100 KB, which the socket buffers hold whole. */
const MANY_BLOCKS = 'SELECT number FROM system.numbers LIMIT 10000 SETTINGS max_block_size = 100';
const BLOCKS = 100;

/** A consumer's synchronous work on one block. */
function work(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // busy, as a consumer crunching rows is
  }
}

/**
 * Runs MANY_BLOCKS and returns its result once the server has finished the query: every byte is then on our side,
 * so iterating reads buffered data only.
 */
async function bufferedResult(client: ClickHouseClient, query = MANY_BLOCKS): Promise<ResultSet> {
  const queryId = `buffered-${randomUUID()}`;
  const result = await client.query({ query, query_id: queryId });
  while (Number(await admin(`SELECT count() FROM system.processes WHERE query_id = '${queryId}'`)) > 0) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return result;
}

describe('reads yield to the event loop between blocks', () => {
  it('a timer set at the first block fires before the last block is read', async () => {
    const client = closeLater(clientFor());
    const result = await bufferedResult(client);
    let blocks = 0;
    let blocksWhenTimerFired = -1;
    for await (const _ of result.blocks()) {
      if (++blocks === 1) setTimeout(() => (blocksWhenTimerFired = blocks), 0);
      work(1);
    }
    expect(blocks).toBe(BLOCKS);
    expect(blocksWhenTimerFired).toBeGreaterThanOrEqual(1);
    expect(blocksWhenTimerFired).toBeLessThan(BLOCKS);
  });

  it('an abort from a timer stops a stream of buffered blocks before its end', async () => {
    const client = closeLater(clientFor());
    const controller = new AbortController();
    const queryId = `buffered-abort-${randomUUID()}`;
    const result = await client.query({ query: MANY_BLOCKS, query_id: queryId, abort_signal: controller.signal });
    while (Number(await admin(`SELECT count() FROM system.processes WHERE query_id = '${queryId}'`)) > 0) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    let blocks = 0;
    const error = await (async () => {
      for await (const _ of result.blocks()) {
        if (++blocks === 1) setTimeout(() => controller.abort(), 0);
        work(1);
      }
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AbortError);
    expect(blocks).toBeLessThan(BLOCKS);
  });

  it('ten concurrent consumers: a timer fires while they all still have blocks to read', async () => {
    const client = closeLater(clientFor({ max_open_connections: 10 }));
    const perConsumer = 30;
    const query = `SELECT number FROM system.numbers LIMIT ${perConsumer * 100} SETTINGS max_block_size = 100`;
    const results = await Promise.all(Array.from({ length: 10 }, () => bufferedResult(client, query)));
    const counts = new Array<number>(10).fill(0);
    let snapshot: number[] | undefined;
    setTimeout(() => (snapshot = [...counts]), 0);
    await Promise.all(
      results.map(async (result, i) => {
        for await (const _ of result.blocks()) {
          counts[i]!++;
          work(0.5);
        }
      }),
    );
    expect(counts).toEqual(new Array<number>(10).fill(perConsumer));
    expect(snapshot).toBeDefined();
    expect(snapshot!.reduce((a, b) => a + b, 0)).toBeLessThan(10 * perConsumer);
  });
});
