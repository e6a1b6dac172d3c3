/**
 * The live smoke suite every runtime of the matrix runs (scripts/runtime-matrix.sh: Node 20, 22, 24, Bun, Deno):
 * connect, query, insert, each compression, abort, and a process that exits after close() and without it. It is an
 * ordinary integration test too, so the main suite runs it on the CI's Node against both servers.
 */
import { runToExit, runtimeArgs, type ChildExit } from '../harness/child.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zstdImplementation } from '../../src/compression/codecs.js';
import { AbortError, ConfigError, createClient, type Compression } from '../../src/index.js';
import { admin, clientFor, uniqueTable } from '../client/helpers.js';
import { testServer } from '../harness/context.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const table = uniqueTable('runtime_smoke');
const runtime =
  'Bun' in globalThis ? 'bun' : 'Deno' in globalThis ? 'deno' : `node ${process.versions.node.split('.')[0]}`;

/** Runs exit-fixture.mjs (the built package) in this very runtime; a bound, not a measurement. */
async function runFixture(close: boolean): Promise<ChildExit> {
  return runToExit(runtimeArgs(path.join(here, 'exit-fixture.mjs')), {
    env: { ...process.env, SMOKE_URL: testServer().url, SMOKE_TABLE: table, SMOKE_CLOSE: close ? '1' : '0' },
  });
}

describe(`runtime smoke (${runtime})`, () => {
  beforeAll(async () => {
    await admin(`CREATE TABLE ${table} (x UInt64) ENGINE = Memory`);
  });
  afterAll(async () => {
    await admin(`DROP TABLE IF EXISTS ${table}`);
  });

  it('connects: ping and the server Hello', async () => {
    const client = clientFor();
    expect(await client.ping()).toEqual({ success: true });
    const hello = await client.serverInfo();
    expect(testServer().version).toMatch(new RegExp(`^${hello.versionMajor}\\.${hello.versionMinor}\\.`));
    await client.close();
  });

  it('queries: rows, blocks as TypedArrays', async () => {
    const client = clientFor();
    const rows = await (
      await client.query({ query: 'SELECT number AS n, toString(number) AS s FROM numbers(3)' })
    ).json();
    expect(rows).toEqual([
      { n: 0n, s: '0' },
      { n: 1n, s: '1' },
      { n: 2n, s: '2' },
    ]);
    let sum = 0n;
    for await (const block of (await client.query({ query: 'SELECT number FROM numbers(100000)' })).blocks()) {
      expect(block.columns[0]!.values).toBeInstanceOf(BigUint64Array);
      for (const v of block.columns[0]!.values as BigUint64Array) sum += v;
    }
    expect(sum).toBe(4_999_950_000n);
    await client.close();
  });

  const compressions: Compression[] = ['none', 'lz4', 'lz4hc', 'zstd', { method: 'zstd', level: 6 }];
  for (const compression of compressions) {
    it(`inserts and reads back, compression ${JSON.stringify(compression)}`, async () => {
      if (typeof compression === 'object' && zstdImplementation !== 'node:zlib') {
        expect(() => createClient({ compression })).toThrow(ConfigError); // @mongodb-js/zstd cannot set a level
        return;
      }
      const client = clientFor({ compression });
      const base = 1_000_000 * (compressions.indexOf(compression) + 1);
      const x = BigUint64Array.from({ length: 50_000 }, (_, i) => BigInt(base + i));
      expect((await client.insert({ table, values: { x } })).rows).toBe(50_000);
      const [row] = await (
        await client.query({
          query: `SELECT count() AS c, sum(x) AS s FROM ${table} WHERE x >= ${base} AND x < ${base + 50_000}`,
        })
      ).json();
      expect(row).toEqual({ c: 50_000n, s: x.reduce((a, b) => a + b, 0n) });
      await client.close();
    });
  }

  it('aborts a running query with AbortError, and the client goes on working', async () => {
    const client = clientFor();
    const controller = new AbortController();
    const result = await client.query({
      query: 'SELECT number FROM system.numbers',
      abort_signal: controller.signal,
    });
    let error: unknown;
    try {
      for await (const block of result.blocks()) if (block.rows > 0) controller.abort();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AbortError);
    expect(await (await client.query({ query: 'SELECT 1 AS one' })).json()).toEqual([{ one: 1 }]);
    await client.close();
  });

  for (const close of [true, false]) {
    it(`the built package in a child ${runtime} process exits by itself ${close ? 'after close()' : 'without close()'}`, async () => {
      const result = await runFixture(close);
      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
      const report = JSON.parse(result.stdout) as { answer: number; stats: { open: number } };
      expect(report.answer).toBe(42);
      expect(report.stats.open).toBe(close ? 0 : 1);
    });
  }
});
