/**
 * A column the client cannot compute goes to the server for that insert, against the live server: a refusal at
 * evaluate time (an input the client cannot reproduce) never fails an insert the server would take. The same rows
 * inserted with `defaults: 'server'` must leave identical contents.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { UncomputableDefaultError, type DefaultsReport } from '../../src/index.js';
import { admin, clientFor } from '../client/helpers.js';
import { twoTables as twoTablesOf } from './defaults-helpers.js';

const tables: string[] = [];
afterAll(async () => {
  for (const t of tables) await admin(`DROP TABLE IF EXISTS ${t}`);
});

// toFloat64OrZero() of text with a leading '+': every server answers, but 18.16 and 26.7 not the same way, so the
// client refuses it at evaluate time whatever the server (the other inputs it computes).
const schema = `(
  a UInt32,
  s String,
  d String DEFAULT toString(toFloat64OrZero(s)),
  h String MATERIALIZED toString(toFloat64OrZero(s)),
  hl UInt64 MATERIALIZED length(h),
  up String MATERIALIZED upper(s)
) ENGINE = MergeTree ORDER BY a`;

const twoTables = (prefix: string) => twoTablesOf(prefix, schema, tables);

const contents = (table: string) =>
  admin(`SELECT a, s, hex(d), hex(h), hl, up FROM ${table} ORDER BY a FORMAT TabSeparated`);

describe('client-side defaults fall back to the server', () => {
  it('leaves a column that fails to evaluate (and what reads it) to the server, reporting it', async () => {
    const [clientTable, serverTable] = await twoTables('fallback_memory');
    const rows = [
      { a: 1, s: '414243' },
      { a: 2, s: '+1.5' },
      { a: 3, s: '' },
    ];
    const client = clientFor();
    try {
      await client.insert({ table: clientTable, values: [{ a: 0, s: '00' }] }); // learns the description
      const reports: DefaultsReport[] = [];
      const result = await client.insert({ table: clientTable, values: rows, on_defaults: (r) => reports.push(r) });
      expect(reports).toHaveLength(1);
      expect(result.defaults).toEqual(reports[0]);
      const server = Object.fromEntries(result.defaults!.server.map((c) => [c.column, c]));
      expect(Object.keys(server).sort()).toEqual(['d', 'h', 'hl']);
      expect(server.h!.stage).toBe('evaluate');
      expect(server.h!.reason).toMatch(/toFloat64OrZero/);
      expect(server.hl!.stage).toBe('evaluate');
      expect(server.hl!.reason).toMatch(/reads h/);
      expect(result.defaults!.computed).toEqual(['up']);

      await client.insert({ table: serverTable, values: [{ a: 0, s: '00' }], defaults: 'server' });
      await client.insert({ table: serverTable, values: rows, defaults: 'server' });
      expect(await contents(clientTable)).toBe(await contents(serverTable));
      // A later insert whose rows the client can compute computes everything again.
      const next = await client.insert({ table: clientTable, values: [{ a: 9, s: '7' }] });
      expect(next.defaults!.server).toEqual([]);
      expect(await admin(`SELECT hex(h), hl FROM ${clientTable} WHERE a = 9 FORMAT TabSeparated`)).toBe('37\t1\n');
    } finally {
      await client.close();
    }
  });

  it('splits a stream where a later block cannot be computed: the rest goes with the column left to the server', async () => {
    const [clientTable, serverTable] = await twoTables('fallback_stream');
    const blocks = [
      [
        { a: 1, s: '41' },
        { a: 2, s: '4242' },
      ],
      [
        { a: 3, s: '43' },
        { a: 4, s: '+4' },
      ],
      [
        { a: 5, s: '45' },
        { a: 6, s: '46' },
      ],
    ];
    async function* stream() {
      for (const b of blocks) yield b;
    }
    const client = clientFor();
    try {
      await client.insert({ table: clientTable, values: [{ a: 0, s: '00' }] });
      const reports: DefaultsReport[] = [];
      const result = await client.insert({
        table: clientTable,
        values: stream(),
        block_rows: 2,
        on_defaults: (r) => reports.push(r),
      });
      expect(result.rows).toBe(6);
      expect(reports.map((r) => r.server.map((c) => c.column).sort())).toEqual([[], ['d', 'h', 'hl']]);
      const h = result.defaults!.server.find((c) => c.column === 'h')!;
      expect(h.from_row).toBe(2);
      await client.insert({ table: serverTable, values: [{ a: 0, s: '00' }, ...blocks.flat()], defaults: 'server' });
      expect(await contents(clientTable)).toBe(await contents(serverTable));
    } finally {
      await client.close();
    }
  });

  // In-memory columnar input that is sent once (no retry here) is evaluated block by block, like a stream.
  it('evaluates a large columnar insert block by block: a later block the client cannot compute splits it', async () => {
    const [clientTable, serverTable] = await twoTables('fallback_blockwise');
    const values = { a: [1, 2, 3, 4, 5, 6], s: ['41', '4242', '43', '+4', '45', '46'] };
    const client = clientFor();
    try {
      await client.insert({ table: clientTable, values: [{ a: 0, s: '00' }] });
      const reports: DefaultsReport[] = [];
      const result = await client.insert({
        table: clientTable,
        values,
        block_rows: 2,
        retry: false,
        on_defaults: (r) => reports.push(r),
      });
      expect(result.rows).toBe(6);
      expect(reports.map((r) => r.server.map((c) => c.column).sort())).toEqual([[], ['d', 'h', 'hl']]);
      expect(result.defaults!.server.find((c) => c.column === 'h')!.from_row).toBe(2);
      await client.insert({ table: serverTable, values: [{ a: 0, s: '00' }], defaults: 'server' });
      await client.insert({ table: serverTable, values, defaults: 'server' });
      expect(await contents(clientTable)).toBe(await contents(serverTable));
    } finally {
      await client.close();
    }
  });

  it('checks every value of a block-by-block insert before the first block: a bad one in the last block sends nothing', async () => {
    const [clientTable] = await twoTables('fallback_blockwise_bad');
    const client = clientFor();
    try {
      await client.insert({ table: clientTable, values: [{ a: 0, s: '00' }] });
      const values = { a: [1, 2, 3, 4, 5, -6], s: ['41', '42', '43', '44', '45', '46'] };
      const error = await client
        .insert({ table: clientTable, values, block_rows: 2, retry: false })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ column: 'a', row: 5 });
      expect(await admin(`SELECT count() FROM ${clientTable} FORMAT TabSeparated`)).toBe('1\n');
      // The connection stays usable and the same client inserts the good rows.
      values.a[5] = 6;
      expect((await client.insert({ table: clientTable, values, block_rows: 2, retry: false })).rows).toBe(6);
    } finally {
      await client.close();
    }
  });

  it('keeps a resendable columnar insert whole: a refusal anywhere leaves the column to the server for every row', async () => {
    const [clientTable, serverTable] = await twoTables('fallback_resendable');
    const values = { a: [1, 2, 3, 4, 5, 6], s: ['41', '4242', '43', '+4', '45', '46'] };
    const client = clientFor();
    try {
      await client.insert({ table: clientTable, values: [{ a: 0, s: '00' }] });
      const reports: DefaultsReport[] = [];
      const result = await client.insert({
        table: clientTable,
        values,
        block_rows: 2,
        on_defaults: (r) => reports.push(r),
      });
      expect(reports).toHaveLength(1);
      expect(result.defaults!.server.map((c) => c.column).sort()).toEqual(['d', 'h', 'hl']);
      expect(result.defaults!.server.every((c) => c.from_row === undefined)).toBe(true);
      await client.insert({ table: serverTable, values: [{ a: 0, s: '00' }], defaults: 'server' });
      await client.insert({ table: serverTable, values, defaults: 'server' });
      expect(await contents(clientTable)).toBe(await contents(serverTable));
    } finally {
      await client.close();
    }
  });

  it('refuses, before sending, a DEFAULT that some rows give and the client cannot compute for the others', async () => {
    const [clientTable, serverTable] = await twoTables('fallback_partial');
    const client = clientFor();
    try {
      await client.insert({ table: clientTable, values: [{ a: 0, s: '00' }] });
      // Row 1 leaves d out and its toFloat64OrZero(s) cannot be computed: the server fills a DEFAULT only for a column the
      // INSERT leaves out of every row.
      const error = await client
        .insert({
          table: clientTable,
          values: [
            { a: 1, s: '+1', d: 'given' },
            { a: 2, s: '+2' },
          ],
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UncomputableDefaultError);
      expect((error as UncomputableDefaultError).column).toBe('d');
      expect((error as UncomputableDefaultError).row).toBe(1);
      expect((error as Error).message).toMatch(/row 1 leaves it out/);
      expect(await admin(`SELECT count() FROM ${clientTable}`)).toBe('1\n');
      // The rows that give d may hold any s: only the rows that leave d out need the expression.
      const rows = [
        { a: 3, s: '+3', d: 'given' },
        { a: 4, s: '4142' },
      ];
      const result = await client.insert({ table: clientTable, values: rows });
      expect(result.defaults!.server.map((c) => c.column).sort()).toEqual(['h', 'hl']);
      await client.insert({ table: serverTable, values: [{ a: 0, s: '00' }], defaults: 'server' });
      // The server side, as a user would send it there: the rows grouped by the columns they give.
      await client.insert({ table: serverTable, values: [rows[0]!], defaults: 'server' });
      await client.insert({ table: serverTable, values: [rows[1]!], defaults: 'server' });
      expect(await contents(clientTable)).toBe(await contents(serverTable));
    } finally {
      await client.close();
    }
  });
});
