/**
 * INSERT statements with their data in the query text, through command() and query() (issue 13, item 1), against
 * the run's server. ClickHouse 26.7 parses such data itself; 18.16 sends the INSERT's header block and waits for Data
 * blocks, so the client parses the text and sends blocks, as clickhouse-client does. Either way the rows must be
 * those the server's own parser stores: each statement also goes to a twin table over HTTP, where the server parses
 * the data, and the two tables must read back the same.
 */
import { describe, expect, it } from 'vitest';
import { ClickHouseNativeError, UnsupportedError } from '../../src/index.js';
import { inlineInsertOf } from '../../src/client/inline-insert.js';
import { adminQuery, testServer } from '../harness/context.js';
import { admin, clientFor, uniqueTable } from './helpers.js';

/** ClickHouse 26.x parses inline INSERT data over the native protocol (seen on 26.7; 18.16 does not). */
function serverParsesInlineData(): boolean {
  return Number((testServer().version ?? '0').split('.')[0]) >= 26;
}

const COLUMNS =
  "id UInt32, s String, n Nullable(Int64), big UInt64, f Float64, d Date, t DateTime, a Array(UInt8), dec Decimal(10, 2), e Enum8('x' = 1, 'y' = 2)";

async function twinTables(columns = COLUMNS): Promise<[string, string]> {
  const ours = uniqueTable('inline_ours');
  const server = uniqueTable('inline_server');
  for (const table of [ours, server]) await admin(`CREATE TABLE ${table} (${columns}) ENGINE = Memory`);
  return [ours, server];
}

/** Inserts `statement` (with TABLE for the table) through the client and through HTTP; returns both tables' rows. */
async function both(
  run: (sql: string) => Promise<unknown>,
  statement: string,
  columns?: string,
): Promise<[string, string]> {
  const [ours, server] = await twinTables(columns);
  await run(statement.replace('TABLE', ours));
  // HTTP: the server parses the data from the body (the text after VALUES / the format name).
  const inline = inlineInsertOf(statement.replace('TABLE', server))!;
  await adminQuery(testServer(), inline.head, { data: inline.data });
  const read = (table: string) => admin(`SELECT * FROM ${table} ORDER BY id FORMAT TSV`);
  return [await read(ours), await read(server)];
}

describe('inline INSERT data', () => {
  it("command(): INSERT INTO t VALUES (14,'def',1) stores the row", async () => {
    const client = clientFor();
    const table = uniqueTable('inline');
    await admin(`CREATE TABLE ${table} (a UInt32, s String, n UInt8) ENGINE = Memory`);
    await client.command({ query: `INSERT INTO ${table} VALUES (14,'def',1)` });
    expect(await admin(`SELECT * FROM ${table} FORMAT TSV`)).toBe('14\tdef\t1\n');
    await client.close();
  });

  it('query(): the same, with an empty result', async () => {
    const client = clientFor();
    const table = uniqueTable('inline');
    await admin(`CREATE TABLE ${table} (a UInt32, s String, n UInt8) ENGINE = Memory`);
    const result = await client.query({ query: `INSERT INTO ${table} VALUES (15,'ghi',2), (16, 'jkl', 3)` });
    expect(await result.json()).toEqual([]);
    expect(await admin(`SELECT * FROM ${table} ORDER BY a FORMAT TSV`)).toBe('15\tghi\t2\n16\tjkl\t3\n');
    await client.close();
  });

  it('VALUES with every common literal: the rows the server itself parses', async () => {
    const client = clientFor();
    const statement =
      'INSERT INTO TABLE VALUES ' +
      "(1, 'it''s \\\\ a \\'quote\\'\\ttab', NULL, 18446744073709551615, -1.5e3, '2020-02-29', '2021-03-04 05:06:07', [1, 2, 3], 12.34, 'x'), " +
      "(2, '', -9007199254740993, 0, 0.1, '1970-01-02', '1970-01-01 00:00:01', [], -0.05, 'y')\n" +
      "(3, 'три', 42, 7, 1, toDate('2022-01-02'), '2022-01-01 00:00:00', [255], '99.99', 'y');";
    const [ours, server] = await both((query) => client.command({ query }), statement);
    expect(ours).toBe(server);
    expect(ours.split('\n').filter(Boolean)).toHaveLength(3);
    await client.close();
  });

  it('a column list: the other columns get their defaults', async () => {
    const client = clientFor();
    const [ours, server] = await both(
      (query) => client.command({ query }),
      "INSERT INTO TABLE (id, s) VALUES (7, 'seven')",
    );
    expect(ours).toBe(server);
    expect(ours.startsWith('7\tseven\t\\N\t0\t')).toBe(true);
    await client.close();
  });

  it('FORMAT CSV and FORMAT TSV with the data in the query text', async () => {
    const client = clientFor();
    const columns = 'id UInt32, s String, n Nullable(Int64), d Date';
    const csv = 'INSERT INTO TABLE FORMAT CSV\n1,plain,5,2020-01-01\n2,"quoted, with ""quotes""",\\N,2020-01-02\n';
    const [oursCsv, serverCsv] = await both((query) => client.command({ query }), csv, columns);
    expect(oursCsv).toBe(serverCsv);
    expect(oursCsv).toBe('1\tplain\t5\t2020-01-01\n2\tquoted, with "quotes"\t\\N\t2020-01-02\n');
    const tsv =
      'INSERT INTO TABLE FORMAT TabSeparated\n1\ttab\\there\t-3\t2021-12-31\n2\tnew\\nline\t\\N\t2000-01-01\n';
    const [oursTsv, serverTsv] = await both((query) => client.query({ query }), tsv, columns);
    expect(oursTsv).toBe(serverTsv);
    const sameLine = 'INSERT INTO TABLE FORMAT CSV 15,ghi,2,2019-05-05';
    const [oursLine, serverLine] = await both((query) => client.command({ query }), sameLine, columns);
    expect(oursLine).toBe(serverLine);
    expect(oursLine).toBe('15\tghi\t2\t2019-05-05\n');
    await client.close();
  });

  it('INSERT … VALUES with no data does not hang: it fails at once, inserts nothing, keeps the connection', async () => {
    const client = clientFor({ max_open_connections: 1 });
    const table = uniqueTable('inline_empty');
    await admin(`CREATE TABLE ${table} (a UInt32) ENGINE = Memory`);
    for (const run of [
      () => client.command({ query: `INSERT INTO ${table} VALUES` }),
      () => client.query({ query: `INSERT INTO ${table} VALUES  ;` }),
      () => client.command({ query: `INSERT INTO ${table} FORMAT CSV` }),
    ]) {
      const error = await run().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ClickHouseNativeError);
      expect((error as Error).message).toMatch(
        /has no data after .*nothing was inserted.*client\.insert\(\{ table, values \}\)/,
      );
    }
    expect(await admin(`SELECT count() FROM ${table}`)).toBe('0\n');
    // The INSERT was ended cleanly with the empty block: the same connection serves the next query.
    expect(client.poolStats()).toMatchObject({ open: 1, idle: 1 });
    expect(await (await client.query({ query: 'SELECT 1 AS one' })).json()).toEqual([{ one: 1 }]);
    expect(client.poolStats()).toMatchObject({ open: 1 });
    await client.close();
  });

  it('malformed VALUES: an error, nothing inserted, and the client goes on', async () => {
    const client = clientFor();
    const table = uniqueTable('inline_bad');
    await admin(`CREATE TABLE ${table} (a UInt8, s String) ENGINE = Memory`);
    await expect(client.command({ query: `INSERT INTO ${table} VALUES (1, 'ok'), (2, 'unclosed'` })).rejects.toThrow();
    await expect(client.command({ query: `INSERT INTO ${table} VALUES (1, 'ok'), (2)` })).rejects.toThrow();
    expect(await admin(`SELECT count() FROM ${table}`)).toBe('0\n');
    await client.command({ query: `INSERT INTO ${table} VALUES (3, 'fine')` });
    expect(await admin(`SELECT * FROM ${table} FORMAT TSV`)).toBe('3\tfine\n');
    await client.close();
  });

  it('a format neither side parses here fails with what to use instead; a server that parses it inserts', async () => {
    const client = clientFor();
    const table = uniqueTable('inline_json');
    await admin(`CREATE TABLE ${table} (a UInt32, s String) ENGINE = Memory`);
    const run = client.command({ query: `INSERT INTO ${table} FORMAT JSONEachRow {"a": 1, "s": "x"}` });
    if (serverParsesInlineData()) {
      await run;
      expect(await admin(`SELECT * FROM ${table} FORMAT TSV`)).toBe('1\tx\n');
    } else {
      const error = await run.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(UnsupportedError);
      expect((error as Error).message).toMatch(
        /not FORMAT JSONEachRow: nothing was inserted\. Pass the rows with client\.insert/,
      );
      expect(await admin(`SELECT count() FROM ${table}`)).toBe('0\n');
      // So does a value the client cannot evaluate the way the server would.
      const expression = client.command({ query: `INSERT INTO ${table} VALUES (length(currentUser()), 'y')` });
      await expect(expression).rejects.toThrow(
        /cannot evaluate the value length\(currentUser\(\)\) as UInt32.*client\.insert/,
      );
      expect(await admin(`SELECT count() FROM ${table}`)).toBe('0\n');
    }
    await client.close();
  });

  it('INSERT … SELECT and other statements are left alone', async () => {
    expect(inlineInsertOf('SELECT 1')).toBeUndefined();
    expect(inlineInsertOf('INSERT INTO t SELECT * FROM u')).toBeUndefined();
    expect(inlineInsertOf("INSERT INTO t (a, `values`) WITH 1 AS x SELECT x, 'VALUES'")).toBeUndefined();
    expect(inlineInsertOf('INSERT INTO db.values VALUES (1)')).toMatchObject({ format: 'Values', data: ' (1)' });
    expect(inlineInsertOf("/* c */ insert into `format` (a) settings x = 'values' format CSV\n1\n")).toMatchObject({
      format: 'CSV',
      data: '1\n',
    });
    const client = clientFor();
    const [source, target] = [uniqueTable('inline_src'), uniqueTable('inline_dst')];
    await admin(`CREATE TABLE ${source} (a UInt32) ENGINE = Memory`);
    await admin(`CREATE TABLE ${target} (a UInt32) ENGINE = Memory`);
    await admin(`INSERT INTO ${source} VALUES (1), (2)`);
    await client.command({ query: `INSERT INTO ${target} SELECT a * 10 FROM ${source}` });
    expect(await admin(`SELECT a FROM ${target} ORDER BY a FORMAT TSV`)).toBe('10\n20\n');
    await client.close();
  });
});
