/**
 * External tables, live: client-side rows sent with a query as Data blocks named after the table, which the query
 * reads as a temporary table (README, "External tables"). Both servers take them (18.16 and 26.7).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ClickHouseError, ExternalTableError, InvalidValueError } from '../../src/index.js';
import { admin, clientFor, uniqueTable } from './helpers.js';

const client = clientFor();
afterAll(() => client.close());

describe('external tables', () => {
  it('the README example: a query joins a client-side list', async () => {
    // README, "External tables"
    const result = await client.query({
      query: `SELECT number AS id, name FROM numbers(10) AS n
              INNER JOIN wanted ON n.number = wanted.id ORDER BY id`,
      external_tables: [
        {
          name: 'wanted',
          structure: 'id UInt64, name String',
          values: [
            { id: 3, name: 'three' },
            { id: 7, name: 'seven' },
          ],
        },
      ],
    });
    expect(await result.json()).toEqual([
      { id: 3n, name: 'three' },
      { id: 7n, name: 'seven' },
    ]);
  });

  it.each(['lz4', 'zstd', 'none'] as const)(
    'columnar input, many blocks, and IN (table) with compression %s',
    async (compression) => {
      const c = clientFor({ compression, insert_block_rows: 1000 });
      try {
        const ids = new BigUint64Array(25_000);
        for (let i = 0; i < ids.length; i++) ids[i] = BigInt(i * 4);
        const result = await c.query({
          query: 'SELECT count() AS n, sum(number) AS s FROM numbers(100000) WHERE number IN ids',
          external_tables: [{ name: 'ids', columns: [{ name: 'id', type: 'UInt64' }], values: { id: ids } }],
        });
        const expected = ids.reduce((a, b) => a + b, 0n);
        expect(await result.json()).toEqual([{ n: 25_000n, s: expected }]);
      } finally {
        await c.close();
      }
    },
  );

  it('several tables, nested types, and an empty table that still exists', async () => {
    const result = await client.query({
      query:
        'SELECT (SELECT count() FROM a) AS a_rows, (SELECT groupArray(tags) FROM a) AS tags, ' +
        '(SELECT count() FROM empty) AS empty_rows, (SELECT sum(length(b.s)) FROM b) AS b_len',
      external_tables: [
        {
          name: 'a',
          structure: 'k UInt32, tags Array(String), `odd name` Nullable(String)',
          values: [
            { k: 1, tags: ['x', 'y'], 'odd name': null },
            { k: 2, tags: [], 'odd name': 'z' },
          ],
        },
        { name: 'empty', structure: 'k UInt8', values: [] },
        { name: 'b', structure: 's String', values: { s: ['ab', 'cde'] } },
      ],
    });
    expect(await result.json()).toEqual([{ a_rows: 2n, tags: [['x', 'y'], []], empty_rows: 0n, b_len: 5n }]);
  });

  it('command takes them too (INSERT … SELECT from a client-side table)', async () => {
    const table = uniqueTable('ext_cmd');
    await admin(`CREATE TABLE ${table} (id UInt64, name String) ENGINE = Memory`);
    try {
      await client.command({
        query: `INSERT INTO ${table} SELECT id, name FROM incoming WHERE id % 2 = 0`,
        external_tables: [
          {
            name: 'incoming',
            structure: 'id UInt64, name String',
            values: { id: [1, 2, 3, 4], name: ['a', 'b', 'c', 'd'] },
          },
        ],
      });
      expect((await admin(`SELECT id, name FROM ${table} ORDER BY id FORMAT TSV`)).trim()).toBe('2\tb\n4\td');
    } finally {
      await admin(`DROP TABLE ${table}`);
    }
  });

  it('a session query takes them, and they do not outlive the query', async () => {
    await using session = client.session();
    const first = await session.query({
      query: 'SELECT sum(x) AS s FROM t',
      external_tables: [{ name: 't', structure: 'x Int32', values: { x: new Int32Array([1, 2, 3]) } }],
    });
    expect(await first.json()).toEqual([{ s: 6n }]);
    const error = await session.query({ query: 'SELECT * FROM t' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClickHouseError);
    expect((error as ClickHouseError).code).toBe(60); // UNKNOWN_TABLE
  });

  describe('bad input is refused before anything is sent, naming what is wrong', () => {
    const cases: Array<[string, unknown, RegExp, { column?: string; row?: number }?]> = [
      [
        'a value that does not fit its type',
        { name: 't', structure: 'x UInt8', values: [{ x: 1 }, { x: 300 }] },
        /column "x" \(UInt8\) row 1/,
        { column: 'x', row: 1 },
      ],
      [
        'a row without a column',
        { name: 't', structure: 'x UInt8, y String', values: [{ x: 1, y: 'a' }, { x: 2 }] },
        /column "y" \(String\) row 1.*no value/,
        { column: 'y', row: 1 },
      ],
      [
        'a row with an extra key',
        { name: 't', structure: 'x UInt8', values: [{ x: 1, z: 2 }] },
        /column "z" row 0/,
        { column: 'z', row: 0 },
      ],
      [
        'columns of different lengths',
        { name: 't', structure: 'x UInt8, y UInt8', values: { x: [1, 2], y: [1] } },
        /column "y" row 1/,
        { column: 'y', row: 1 },
      ],
      [
        'an unknown type',
        { name: 't', structure: 'x NoSuchType', values: [] },
        /^External table "t": Invalid value for column "x" \(NoSuchType\): unknown or unsupported type/,
        { column: 'x' },
      ],
      [
        'a structure that is not "name Type"',
        { name: 't', structure: 'x', values: [] },
        /structure column 1 \("x"\) is not "name Type"/,
      ],
      ['unbalanced brackets', { name: 't', structure: 'x Array(UInt8', values: [] }, /unclosed bracket/],
      [
        'both structure and columns',
        { name: 't', structure: 'x UInt8', columns: [{ name: 'x', type: 'UInt8' }], values: [] },
        /one of them/,
      ],
      ['neither structure nor columns', { name: 't', values: [] }, /one of them/],
      [
        'a column named twice',
        { name: 't', structure: 'x UInt8, x String', values: [] },
        /column "x".*named twice/,
        { column: 'x' },
      ],
      ['an empty table name', { name: '', structure: 'x UInt8', values: [] }, /table name must be a non-empty string/],
      [
        'a table name that is not a string',
        { name: 7, structure: 'x UInt8', values: [] },
        /table name must be a non-empty string, got number/,
      ],
      [
        'values that are not rows or columns',
        { name: 't', structure: 'x UInt8', values: 'x' },
        /values must be an array of row objects or a columnar object/,
      ],
    ];
    it.each(cases)('%s', async (_what, table, message, where) => {
      const before = await client.poolStats();
      const error = await client
        .query({ query: 'SELECT 1', external_tables: [table as never] })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidValueError);
      expect((error as Error).message).toMatch(message);
      if (where?.column !== undefined) expect((error as InvalidValueError).column).toBe(where.column);
      if (where?.row !== undefined) expect((error as InvalidValueError).row).toBe(where.row);
      if ((error as Error).message.startsWith('External table')) expect(error).toBeInstanceOf(ExternalTableError);
      // Nothing was sent: the connection went back clean and runs the next query.
      expect(client.poolStats().open).toBeGreaterThanOrEqual(Math.min(1, before.open));
      expect(await (await client.query({ query: 'SELECT 1 AS one' })).json()).toEqual([{ one: 1 }]);
    });

    it('two tables with one name', async () => {
      const error = await client
        .query({
          query: 'SELECT 1',
          external_tables: [
            { name: 't', structure: 'x UInt8', values: [] },
            { name: 't', structure: 'x UInt8', values: [] },
          ],
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ExternalTableError);
      expect((error as ExternalTableError).table).toBe('t');
      expect((error as Error).message).toMatch(/two external tables have this name/);
    });
  });
});
