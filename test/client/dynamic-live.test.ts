/**
 * Live, against the run's server: a Dynamic table filled by the server with random values of 22 types
 * (test/columns/dynamic-random.ts), read through the client and inserted again into a second table. Every row must
 * come back as the type it was read as, whatever path the values took: row objects from json() and from async
 * iteration, block columns as they arrived, and copies of them (`.slice()`). Compared on the server, row by row,
 * with dynamicType(). Servers without Dynamic (before 25.3, e.g. 18.16) must refuse the table.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '../../src/index.js';
import { DYNAMIC_TYPES_COLUMNS, DYNAMIC_TYPES_SQL } from '../columns/dynamic-random.js';
import { serverSupports } from '../harness/context.js';
import { clientFor, uniqueTable } from './helpers.js';

const ROWS = 1000;
const source = uniqueTable('dynamic_source');
const copies: string[] = [];
let client: ClickHouseClient;

/** Each row's key, the dynamicType and text of every Dynamic value, in key order. */
async function serverView(table: string): Promise<string[]> {
  const result = await client.query({
    query: `SELECT toString(tuple(k, dynamicType(d), toString(d), dynamicType(dm), toString(dm),
                   arrayMap(x -> dynamicType(x), a), toString(a), mapApply((k, v) -> (k, dynamicType(v)), m), toString(m))) AS r
            FROM ${table} ORDER BY k`,
  });
  return (await result.json()).map((row) => String(row.r));
}

async function copyTable(): Promise<string> {
  const table = uniqueTable('dynamic_copy');
  copies.push(table);
  await client.command({ query: `CREATE TABLE ${table} (${DYNAMIC_TYPES_COLUMNS}) ENGINE = MergeTree ORDER BY k` });
  return table;
}

describe('Dynamic values insert back as the type they were read as (live)', () => {
  beforeAll(() => {
    client = clientFor();
  });

  afterAll(async () => {
    if (serverSupports('json_types')) {
      for (const table of [source, ...copies]) await client.command({ query: `DROP TABLE IF EXISTS ${table}` });
    }
    await client.close();
  });

  it('json() rows, iterated rows, block columns and their copies all write every row as it was read', async () => {
    const create = client.command({
      query: `CREATE TABLE ${source} (${DYNAMIC_TYPES_COLUMNS}) ENGINE = MergeTree ORDER BY k`,
    });
    if (!serverSupports('json_types')) {
      await expect(create).rejects.toThrow(/Dynamic/);
      return;
    }
    await create;
    await client.command({ query: `INSERT INTO ${source} ${DYNAMIC_TYPES_SQL(7, ROWS)}` });
    const expected = await serverView(source);
    expect(expected).toHaveLength(ROWS);
    // The types JS kind alone does not tell are there.
    const text = expected.join('\n');
    for (const type of ['UInt8', 'Date', 'Float64', 'Float32', 'UInt64', 'Int16', 'Decimal(10, 2)']) {
      expect(text, type).toContain(`'${type}'`);
    }
    const select = `SELECT k, d, dm, a, m FROM ${source} ORDER BY k`;

    // Row objects from json(), copied with a spread on the way.
    const fromJson = await copyTable();
    const rows = (await (await client.query({ query: select })).json()).map((row) => ({ ...row }));
    await client.insert({ table: fromJson, values: rows });

    // Row objects from async iteration, inserted in reverse order.
    const fromIteration = await copyTable();
    const iterated: Record<string, unknown>[] = [];
    for await (const row of await client.query({ query: select })) iterated.push(row);
    await client.insert({ table: fromIteration, values: iterated.reverse() });

    // Block columns as they arrived, and copies of them (.slice()).
    const fromBlocks = await copyTable();
    const fromCopies = await copyTable();
    for await (const block of (await client.query({ query: select })).blocks()) {
      const columns = Object.fromEntries(block.columns.map((c) => [c.name, c.values]));
      await client.insert({ table: fromBlocks, values: columns as Record<string, unknown[]> });
      const copied = Object.fromEntries(block.columns.map((c) => [c.name, Array.prototype.slice.call(c.values)]));
      await client.insert({ table: fromCopies, values: copied });
    }

    for (const [label, table] of [
      ['json() rows', fromJson],
      ['iterated rows', fromIteration],
      ['block columns', fromBlocks],
      ['copies of block columns', fromCopies],
    ] as const) {
      expect(await serverView(table), label).toEqual(expected);
    }
  });
});
