/**
 * Query parameters ({name:Type}) on query, command and insert, against the run's server: sent to the server in the
 * Query packet from revision 54459 (26.7), bound by the client as typed literals below it (18.16). Values come back
 * the same on both; hostile values stay values.
 */
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { QueryParameterError, quoteIdentifier, quoteLiteral } from '../../src/index.js';
import { bindQuery, findPlaceholders } from '../../src/client/query-params.js';
import { serverSupports, testServer } from '../harness/context.js';
import { admin, clientFor, uniqueTable } from './helpers.js';

const client = clientFor();
const tables: string[] = [];
afterAll(async () => {
  await client.close();
  for (const table of tables) await admin(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
});

const serverSide = () => serverSupports('query_parameters');

async function one(query: string, query_params: Record<string, unknown>): Promise<Record<string, unknown>> {
  const rows = await (await client.query({ query, query_params })).json();
  expect(rows).toHaveLength(1);
  return rows[0] as Record<string, unknown>;
}

describe('placeholders', () => {
  it('are found outside strings, quoted identifiers and comments only', () => {
    const sql =
      'SELECT {a:UInt8}, \'{b:String}\', `{c:String}`, "{d:String}" -- {e:String}\n' +
      "/* {f:String} /* nested {g:String} */ still {h:String} */ {i:Array(Tuple(String, DateTime('UTC')))}, 'it''s {j:String}', 'x\\'{k:String}'";
    expect(findPlaceholders(sql).map((p) => [p.name, p.type])).toEqual([
      ['a', 'UInt8'],
      ['i', "Array(Tuple(String, DateTime('UTC')))"],
    ]);
    expect(findPlaceholders("SELECT {'map': 1}, { x : UInt8 }").map((p) => p.name)).toEqual(['x']);
  });

  it('know where 18.16 wants a bare number (LIMIT, OFFSET, TOP)', () => {
    const found = findPlaceholders('SELECT TOP {t:UInt8} {x:UInt8} FROM t LIMIT {a:UInt8}, {b:UInt8} OFFSET {c:UInt8}');
    expect(found.map((p) => [p.name, p.afterLimit])).toEqual([
      ['t', true],
      ['x', false],
      ['a', true],
      ['b', true],
      ['c', true],
    ]);
  });

  it('bound on the client: typed literals, strings escaped, identifiers back-quoted', () => {
    const { sql } = bindQuery(
      'SELECT {s:String}, {n:UInt64}, {a:Array(Nullable(String))}, {t:Identifier} LIMIT {l:UInt32}',
      { s: "x'); DROP TABLE t; --\\", n: 2n ** 64n - 1n, a: ['a', null], t: 'a`b', l: 5 },
      false,
    );
    expect(sql).toBe(
      "SELECT 'x\\'); DROP TABLE t; --\\\\', CAST(18446744073709551615 AS UInt64), " +
        "CAST(['a',NULL] AS Array(Nullable(String))), `a\\`b` LIMIT 5",
    );
    // A value that looks like a placeholder is a value: substitution is one pass over the original text.
    expect(bindQuery('SELECT {a:String}, {b:String}', { a: '{b:String}', b: 'x' }, false).sql).toBe(
      "SELECT '{b:String}', 'x'",
    );
  });

  it('sent to the server: the escaped text of the value, as a quoted string', () => {
    const { sql, parameters } = bindQuery(
      'SELECT {s:String}, {a:Array(String)}, {n:Nullable(UInt8)}',
      { s: "a\tb\\c'd", a: ["x'y"], n: null },
      true,
    );
    expect(sql).toBe('SELECT {s:String}, {a:Array(String)}, {n:Nullable(UInt8)}');
    expect(parameters).toEqual([
      ['s', "'a\\\\tb\\\\\\\\c\\\\\\'d'"], // text a\tb\\c\'d (TSV escapes the quote too), then quoted
      ['a', "'[\\'x\\\\\\'y\\']'"],
      ['n', "'\\\\N'"],
    ]);
  });
});

describe('query_params against the server', () => {
  it('types each value as declared, the same on every server', async () => {
    const row = await one(
      'SELECT {s:String} AS s, {u8:UInt8} AS u8, {i64:Int64} AS i64, {u64:UInt64} AS u64, {f:Float64} AS f, ' +
        '{d:Date} AS d, {t:DateTime} AS t, {uuid:UUID} AS uuid, {dec:Decimal(9, 2)} AS dec, {a:Array(UInt32)} AS a, ' +
        "{na:Array(Nullable(String))} AS na, {tu:Tuple(String, Int16)} AS tu, {n:Nullable(String)} AS n, {e:Enum8('x' = 1, 'y' = 2)} AS e, " +
        'toTypeName({u8:UInt8}) AS u8_type, {nan:Float64} AS nan, {inf:Float32} AS inf',
      {
        s: 'plain',
        u8: 255,
        i64: -(2n ** 63n),
        u64: '18446744073709551615',
        f: -1.25e-300,
        d: new Date('2024-02-29T00:00:00Z'),
        t: new Date('2024-02-29T23:59:58Z'),
        uuid: '123E4567-E89B-12D3-A456-426614174000',
        dec: '-1234567.5',
        a: new Uint32Array([1, 4294967295]),
        na: ['a', null, ''],
        tu: ['t', -7],
        n: null,
        e: 'y',
        nan: Number.NaN,
        inf: -Infinity,
      },
    );
    expect(row).toEqual({
      s: 'plain',
      u8: 255,
      i64: -(2n ** 63n),
      u64: 2n ** 64n - 1n,
      f: -1.25e-300,
      d: new Date('2024-02-29T00:00:00Z'),
      t: new Date('2024-02-29T23:59:58Z'),
      uuid: '123e4567-e89b-12d3-a456-426614174000',
      dec: '-1234567.50',
      a: new Uint32Array([1, 4294967295]),
      na: ['a', null, ''],
      tu: ['t', -7],
      n: null,
      e: 'y',
      u8_type: 'UInt8',
      nan: Number.NaN,
      inf: -Infinity,
    });
  });

  it('modern types: Map, Bool, DateTime64, IPv4/IPv6, named Tuple, LowCardinality (where the server has them)', async () => {
    const query =
      'SELECT {m:Map(String, Array(UInt8))} AS m, {b:Bool} AS b, {dt:DateTime64(3)} AS dt, {ip:IPv4} AS ip, ' +
      '{ip6:IPv6} AS ip6, {nt:Tuple(a UInt8, b String)} AS nt, {lc:LowCardinality(String)} AS lc';
    const query_params = {
      m: new Map([
        ["k'1", [1, 2]],
        ['', []],
      ]),
      b: true,
      dt: new Date('2024-01-02T03:04:05.678Z'),
      ip: '10.0.0.1',
      ip6: '2001:db8::1',
      nt: { a: 1, b: 'x' },
      lc: 'low',
    };
    if (!serverSupports('modern_types')) {
      // 18.16 has none of these types: the server refuses the query (the client bound the values as typed literals).
      await expect(client.query({ query, query_params })).rejects.toThrow(/Unknown (data )?type|Unknown function/);
      return;
    }
    const row = await one(query, query_params);
    expect(row.m).toEqual(
      new Map([
        ["k'1", new Uint8Array([1, 2])],
        ['', new Uint8Array([])],
      ]),
    );
    expect(row).toMatchObject({
      b: true,
      dt: new Date('2024-01-02T03:04:05.678Z'),
      ip: '10.0.0.1',
      ip6: '2001:db8::1',
      lc: 'low',
    });
    expect(row.nt).toEqual({ a: 1, b: 'x' });
  });

  it('LIMIT and OFFSET take parameters (18.16 accepts only a bare number there)', async () => {
    const rows = await (
      await client.query({
        query: 'SELECT number FROM system.numbers LIMIT {skip:UInt32}, {take:UInt32}',
        query_params: { skip: 3, take: 2 },
      })
    ).json();
    expect(rows).toEqual([{ number: 3n }, { number: 4n }]);
  });

  it('hostile strings are values, byte for byte, and nothing else runs', async () => {
    const table = uniqueTable('params_victim');
    tables.push(table);
    await admin(`CREATE TABLE ${table} (x UInt8) ENGINE = Memory`);
    const hostile = [
      "'); DROP TABLE " + table + '; --',
      "' OR 1 = 1 --",
      "\\'; DROP TABLE " + table + '; --',
      'back\\slash \\\\ \\n \\x41 \\0',
      'quote \' double " back ` ',
      'NUL \0 inside',
      'new\nline\r\ttab \b\f',
      'unicode é 你好 🎉 \u202e rtl \u0000',
      '\\N',
      '{x:String} {y:UInt8}',
      '*/ SELECT 1 /*',
      '-- comment\nDROP TABLE ' + table,
      '',
    ];
    for (const value of hostile) {
      const row = await one('SELECT {v:String} AS v, length({v:String}) AS n, {a:Array(String)} AS a', {
        v: value,
        a: [value, value],
      });
      expect(row.v).toBe(value);
      expect(row.n).toBe(BigInt(Buffer.byteLength(value)));
      expect(row.a).toEqual([value, value]);
    }
    // As a map key and a tuple element too.
    const nested = await one('SELECT {t:Tuple(String, Array(String))} AS t', { t: [hostile[0], hostile.slice(1, 4)] });
    expect(nested.t).toEqual([hostile[0], hostile.slice(1, 4)]);
    // The table survived every attempt.
    expect((await admin(`EXISTS TABLE ${table}`)).trim()).toBe('1');
  });

  it('an Identifier is one back-quoted name: abuse names a missing table, never runs SQL', async () => {
    const table = uniqueTable('params_ident');
    tables.push(table);
    await admin(`CREATE TABLE ${table} (x UInt8) ENGINE = Memory`);
    await admin(`INSERT INTO ${table} VALUES (7)`);
    expect(await one('SELECT x FROM {t:Identifier}', { t: table })).toEqual({ x: 7 });
    for (const abuse of [
      `${table}; DROP TABLE ${table}`,
      `${table}\` UNION ALL SELECT 1 --`,
      `system.one`,
      `${table}\\`,
    ]) {
      await expect(client.query({ query: 'SELECT * FROM {t:Identifier}', query_params: { t: abuse } })).rejects.toThrow(
        /doesn't exist|does not exist|Unknown table|UNKNOWN_TABLE/i,
      );
    }
    // A database and a table as two identifiers.
    expect(await one('SELECT count() AS c FROM {db:Identifier}.{t:Identifier}', { db: 'system', t: 'one' })).toEqual({
      c: 1n,
    });
    expect((await admin(`EXISTS TABLE ${table}`)).trim()).toBe('1');
  });

  it('missing, extra and ill-typed parameters are refused before anything is sent', async () => {
    const cases: Array<[string, Record<string, unknown> | undefined, RegExp]> = [
      ['SELECT {a:UInt8}', undefined, /"a" has no value/],
      ['SELECT {a:UInt8}, {b:String}', { a: 1 }, /"b" has no value/],
      ['SELECT 1', { a: 1 }, /"a" is not used by the query/],
      ["SELECT '{a:UInt8}'", { a: 1 }, /"a" is not used/],
      ['SELECT {a:UInt8}', { a: 256 }, /"a" \(UInt8\): 256 is out of range for UInt8/],
      ['SELECT {a:UInt64}', { a: 2 ** 60 }, /beyond 2\^53: pass a bigint or a string/],
      ['SELECT {a:String}', { a: 5 }, /is not a string/],
      ['SELECT {a:Date}', { a: '2024-13-01x' }, /is not a Date/],
      ['SELECT {a:UUID}', { a: "'; DROP TABLE x" }, /is not a UUID/],
      ['SELECT {a:Decimal(9, 2)}', { a: '1.234' }, /more than 2 decimal places/],
      ['SELECT {a:Array(UInt8)}', { a: 'not an array' }, /is not an array/],
      ['SELECT {a:Tuple(UInt8, String)}', { a: [1] }, /has 2 elements, got 1/],
      ['SELECT {a:UInt8}', { a: null }, /null needs a Nullable type/],
      ['SELECT {a:Identifier}', { a: '' }, /non-empty string/],
      ['SELECT {a:UInt8}, {a:String}', { a: 1 }, /declared with two types/],
      ['SELECT {a:UInt8 junk}', { a: 1 }, /Malformed type name/],
    ];
    for (const [query, query_params, message] of cases) {
      const error = await client.query({ query, query_params }).catch((e: unknown) => e);
      expect(error, query).toBeInstanceOf(QueryParameterError);
      expect((error as Error).message, query).toMatch(message);
    }
    // The connection the refused queries leased is still good.
    expect(await one('SELECT {a:UInt8} AS a', { a: 1 })).toEqual({ a: 1 });
  });

  it('command and insert take them too (insert binds its table name)', async () => {
    const table = uniqueTable('params_cmd');
    tables.push(table);
    await client.command({
      query: 'CREATE TABLE {t:Identifier} (id UInt32, s String) ENGINE = Memory',
      query_params: { t: table },
    });
    await client.command({
      query: 'INSERT INTO {t:Identifier} SELECT {id:UInt32}, {s:String}',
      query_params: { t: table, id: 1, s: "one'); DROP TABLE x; --" },
    });
    await client.insert({ table: '{t:Identifier}', query_params: { t: table }, values: [{ id: 2, s: 'two' }] });
    const rows = await (
      await client.query({ query: 'SELECT id, s FROM {t:Identifier} ORDER BY id', query_params: { t: table } })
    ).json();
    expect(rows).toEqual([
      { id: 1, s: "one'); DROP TABLE x; --" },
      { id: 2, s: 'two' },
    ]);
    await expect(client.insert({ table: '{t:Identifier}', values: [{ id: 3, s: '' }] })).rejects.toThrow(
      QueryParameterError,
    );
  });

  it('go to the server as parameters from revision 54459, and into the SQL below it', async () => {
    // A pass-through recorder between the client and the real server: what went over the wire, and the answer.
    const server = testServer();
    const sent: Buffer[] = [];
    const recorder = net.createServer((socket) => {
      const upstream = net.connect({ host: server.host, port: server.port });
      socket.on('data', (chunk: Buffer) => {
        sent.push(chunk);
        upstream.write(chunk);
      });
      upstream.on('data', (chunk: Buffer) => socket.write(chunk));
      socket.on('close', () => upstream.destroy());
      upstream.on('close', () => socket.destroy());
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    });
    await new Promise<void>((resolve) => recorder.listen(0, '127.0.0.1', resolve));
    const recorded = clientFor({ host: '127.0.0.1', port: (recorder.address() as net.AddressInfo).port });
    try {
      const rows = await (
        await recorded.query({ query: 'SELECT {marker:String} AS v', query_params: { marker: "param-marker-'7f3a" } })
      ).json();
      expect(rows).toEqual([{ v: "param-marker-'7f3a" }]);
    } finally {
      await recorded.close();
      recorder.close();
    }
    const bytes = Buffer.concat(sent);
    // The parameter entry: name, flags 0x02 (CUSTOM), then the value as a quoted string (length-prefixed).
    // Its text is param-marker-\'7f3a (TSV escapes the quote); the quoted dump escapes that backslash and quote again.
    const value = String.raw`'param-marker-\\\'7f3a'`;
    const entry = Buffer.concat([
      Buffer.from([6]),
      Buffer.from('marker'),
      Buffer.from([2, value.length]),
      Buffer.from(value),
    ]);
    if (serverSide()) {
      expect(bytes.includes(Buffer.from('SELECT {marker:String} AS v'))).toBe(true);
      expect(bytes.includes(entry)).toBe(true);
    } else {
      expect(bytes.includes(Buffer.from("SELECT 'param-marker-\\'7f3a' AS v"))).toBe(true);
      expect(bytes.includes(Buffer.from('{marker:String}'))).toBe(false);
    }
  });
});

describe('quoteLiteral and quoteIdentifier', () => {
  it('quote values and names so the server reads them back exactly', async () => {
    const value = "x'); DROP TABLE t; -- \\ \0 \n é";
    const sql =
      `SELECT ${quoteLiteral(value)} AS v, ${quoteLiteral(['a', null, "b'c"])} AS a, ${quoteLiteral(-5n)} AS n, ` +
      `1 AS ${quoteIdentifier('we`ird name')}`;
    expect(await one(sql, {})).toEqual({ v: value, a: ['a', null, "b'c"], n: -5, 'we`ird name': 1 });
  });
});
