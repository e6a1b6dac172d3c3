/**
 * FORMAT clauses and JSON-safe rows. The text the client makes from Native blocks is compared, byte for byte, with
 * what the server itself prints for the same query: 18.16 (and any server with an HTTP port) over HTTP; 26.7
 * through chdb in process, the same ClickHouse build as the run's 26.7 server. JSON's statistics are measured on
 * each side and left out of the comparison.
 */
import { text as readText } from 'node:stream/consumers';
import { createClient as createHttpClient } from '@clickhouse/client';
import { afterAll, describe, expect, it } from 'vitest';
import { UnsupportedError } from '../../src/index.js';
import { serverSupports, testServer } from '../harness/context.js';
import { adminQuery } from '../harness/server.js';
import { clientFor } from './helpers.js';

const client = clientFor();
afterAll(() => client.close());

const FORMATS = [
  'JSONEachRow',
  'JSONCompactEachRow',
  'JSON',
  'JSONCompact',
  'CSV',
  'CSVWithNames',
  'TabSeparated',
  'TabSeparatedRaw',
  'TSVWithNames',
  'TSVWithNamesAndTypes',
] as const;

/** The run's server is the ClickHouse that chdb embeds (26.7): the in-process engine can print for it. */
function chdbMatchesServer(): boolean {
  return testServer().version?.startsWith('26.7.') === true;
}

/** What the server prints for `sql` (with its FORMAT clause). */
async function serverText(sql: string, format: string): Promise<string> {
  const server = testServer();
  if (server.httpPort !== undefined) return adminQuery(server, `${sql} FORMAT ${format}`);
  if (chdbMatchesServer()) {
    const { query } = await import('chdb');
    return query(`${sql} FORMAT ${format}`, format);
  }
  throw new Error(`no way to ask ${server.version} for its own text: give the server an HTTP port`);
}

const withoutStatistics = (text: string) => text.replace(/,\n\n\t"statistics":\n\t\{[^}]*\}/, '');

/** Queries over the types both servers have; no NUL bytes (chdb's in-process answer stops at the first one). */
const COMMON = [
  // Integers, floats, decimals and their edges.
  'SELECT toUInt8(255) u8, toInt8(-128) i8, toUInt16(65535) u16, toInt32(-2147483648) i32, toUInt32(4294967295) u32, ' +
    'toUInt64(18446744073709551615) u64, toInt64(-9223372036854775808) i64, toFloat32(0.1) f32, toFloat32(123456789.123) f32b, ' +
    '1e21 f64, 1e-7 small, -0. nz, nan n, -inf ninf, 1/3 third, toDecimal32(-1.5, 3) d32, toDecimal64(12, 4) d64, ' +
    "toDecimal128('123456789012345678.90', 2) d128",
  // Strings that need escaping in every format.
  "SELECT 'tab\\there' a, 'new\\nline' b, 'back\\\\slash' c, 'quote''s' d, 'double\"q' e, 'slash/and\\r' f, " +
    "'ctrl\\x01\\x1f\\x7f' g, 'unicode é 你好 🎉 \\xe2\\x80\\xa8' h, '' empty, toFixedString('ab', 2) fs, ',;' punct",
  // Dates, times, UUIDs, enums, NULLs.
  "SELECT toDate('2024-02-29') d, toDateTime('2024-02-29 23:59:58', 'UTC') ts, toDateTime('2024-02-29 23:59:58', 'Asia/Tokyo') tokyo, " +
    "toUUID('123e4567-e89b-12d3-a456-426614174000') u, CAST('b' AS Enum8('a' = 1, 'b' = 2)) e, NULL n, " +
    "CAST(NULL AS Nullable(String)) ns, toNullable('x') nx",
  // Composites.
  "SELECT [1, 2] a, [['x', 'y\\'z'], []] aa, [NULL, 1] an, ('t', 1) tup, [('a', [1])] at, [toDate('2020-01-01')] ad, " +
    '[toDecimal32(1.5, 2)] adec, [1.5, nan] af',
  // Several rows and blocks.
  'SELECT number, toString(number) AS s, number % 3 = 0 AS third FROM system.numbers LIMIT 5',
  'SELECT number FROM system.numbers WHERE number > 100 LIMIT 0',
  'SELECT number % 2 AS k, count() AS c, sum(number) AS s FROM (SELECT number FROM system.numbers LIMIT 10) GROUP BY k WITH TOTALS ORDER BY k',
];

/** Types only modern servers have. */
const MODERN = [
  "SELECT map('k', 1, 'l', 2) m, map(1, ['a']) ma, map() em, true bo, toDateTime64('2024-01-02 03:04:05.123456', 6, 'UTC') dt64, " +
    "toIPv4('10.0.0.1') ip4, toIPv6('2001:db8::1') ip6, toInt128(-5) i128, toUInt256(7) u256, " +
    "tuple(1, 'q')::Tuple(p UInt8, r String) nt, [tuple(1, 'q')::Tuple(p UInt8, r String)] ant, toLowCardinality('lc') lc, " +
    "[map('a', 1)] am, toDate32('1950-06-01') d32",
];

describe('FORMAT clauses: the client prints what the server prints', () => {
  const queries = serverSupports('modern_types') ? [...COMMON, ...MODERN] : COMMON;
  for (const format of FORMATS) {
    it(format, async () => {
      const jsonCompactEachRowKnown = serverSupports('settings_as_strings'); // 18.16 has no JSONCompactEachRow
      for (const sql of queries) {
        const ours = await (await client.query({ query: `${sql} FORMAT ${format}` })).text();
        if (format === 'JSONCompactEachRow' && !jsonCompactEachRowKnown) {
          // Nothing to compare with on 18.16: check it is the rows of JSONCompact's data, one per line.
          const compact = await (await client.query({ query: `${sql} FORMAT JSONCompact` })).text();
          const data = /"data":\n\t\[\n([\s\S]*?)\n\t\]/.exec(compact)![1]!;
          expect(ours, sql).toBe(
            data
              .split(',\n')
              .filter((line) => line !== '')
              .map((line) => `${line.trim()}\n`)
              .join(''),
          );
          continue;
        }
        expect(withoutStatistics(ours), `${sql} FORMAT ${format}`).toBe(
          withoutStatistics(await serverText(sql, format)),
        );
      }
    });
  }

  it('the format parameter chooses the text as the clause does (the clause wins)', async () => {
    const sql = 'SELECT number, toString(number) AS s FROM system.numbers LIMIT 3';
    const viaParameter = await (await client.query({ query: sql, format: 'CSVWithNames' })).text();
    expect(viaParameter).toBe(await serverText(sql, 'CSVWithNames'));
    const clauseWins = await (await client.query({ query: `${sql} FORMAT TSV`, format: 'JSON' })).text();
    expect(clauseWins).toBe(await serverText(sql, 'TSV'));
    // No clause and no parameter: TabSeparated, the server's own default.
    expect(await (await client.query({ query: sql })).text()).toBe(await serverText(sql, 'TabSeparated'));
  });

  it('stream() gives the same text as a Node Readable', async () => {
    const sql = "SELECT number, concat(toString(number), ' abcdefghij') AS s FROM system.numbers LIMIT 200000";
    const result = await client.query({
      query: `${sql} FORMAT JSONEachRow`,
      clickhouse_settings: { max_block_size: 10000 },
    });
    const streamed = await readText(result.stream());
    expect(streamed).toBe(await serverText(sql, 'JSONEachRow'));
  });

  it('json() and iteration still give JS values with a FORMAT clause', async () => {
    const result = await client.query({ query: 'SELECT toUInt64(5) AS n, [1, 2] AS a FORMAT JSONEachRow' });
    expect(result.format).toBe('JSONEachRow');
    expect(await result.json()).toEqual([{ n: 5n, a: new Uint8Array([1, 2]) }]);
  });

  it('a format the client cannot produce is refused before anything is sent', async () => {
    for (const query of [
      'SELECT 1 FORMAT Pretty',
      'SELECT 1 FORMAT Parquet',
      'SELECT 1 FORMAT XML SETTINGS max_threads = 1',
      'SELECT 1 FORMAT Vertical;',
    ]) {
      const error = await client.query({ query }).catch((e: unknown) => e);
      expect(error, query).toBeInstanceOf(UnsupportedError);
      expect((error as Error).message, query).toMatch(/is not produced by this client.*JSONEachRow/);
    }
    await expect(client.query({ query: 'SELECT 1', format: 'RowBinary' })).rejects.toThrow(UnsupportedError);
    // The pool's connection was not touched.
    expect(await (await client.query({ query: 'SELECT 1 AS one' })).json()).toEqual([{ one: 1 }]);
  });

  it('a column or string named format is no FORMAT clause', async () => {
    for (const query of [
      'SELECT 1 AS format',
      'SELECT format FROM (SELECT 1 AS format)',
      'SELECT format FROM (SELECT 1 AS format) ORDER BY format LIMIT 1',
      "SELECT 'x FORMAT Pretty' AS s",
      'SELECT 1 -- FORMAT Pretty',
    ]) {
      const result = await client.query({ query });
      expect(result.format, query).toBe('TabSeparated');
      expect(await result.json(), query).toHaveLength(1);
    }
  });
});

describe('json_safe rows', () => {
  const sql =
    "SELECT toUInt64(18446744073709551615) AS u64, toInt64(-5) AS i64, [toUInt64(1), 2] AS a64, [1, 2] AS a8, 'x' AS s, " +
    "toDate('2024-01-02') AS d, toFixedString('ab', 2) AS fs, [[1], [2, 3]] AS nested, NULL AS n";

  it('JSON.stringify works, and gives 64-bit integers as strings', async () => {
    const lossless = await (await client.query({ query: sql })).json();
    expect(() => JSON.stringify(lossless)).toThrow(/BigInt/);
    const rows = await (await client.query({ query: sql, json_safe: true })).json();
    expect(JSON.parse(JSON.stringify(rows))).toEqual([
      {
        u64: '18446744073709551615',
        i64: '-5',
        a64: ['1', '2'],
        a8: [1, 2],
        s: 'x',
        d: '2024-01-02T00:00:00.000Z',
        fs: 'ab',
        nested: [[1], [2, 3]],
        n: null,
      },
    ]);
    // The client option sets the default; iteration follows it too.
    const safeClient = clientFor({ json_safe: true });
    try {
      for await (const row of await safeClient.query({ query: sql })) expect(row.u64).toBe('18446744073709551615');
      expect((await (await safeClient.query({ query: sql, json_safe: false })).json())[0]!.u64).toBe(2n ** 64n - 1n);
    } finally {
      await safeClient.close();
    }
  });

  it('agrees with @clickhouse/client on the values where both are JSON (64-bit integers quoted)', async () => {
    const query =
      'SELECT number AS n, toInt64(number) - 3 AS i, toString(number) AS s, [number, 1] AS a FROM system.numbers LIMIT 4';
    const ours = await (await client.query({ query, json_safe: true })).json();
    const server = testServer();
    let theirs: unknown[];
    if (server.httpPort !== undefined) {
      const http = createHttpClient({
        url: `http://${server.host}:${server.httpPort}`,
        username: server.username,
        password: server.password,
      });
      try {
        theirs = await (
          await http.query({
            query,
            format: 'JSONEachRow',
            clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
          })
        ).json();
      } finally {
        await http.close();
      }
    } else {
      const { query: chdb } = await import('chdb');
      theirs = chdb(`${query} SETTINGS output_format_json_quote_64bit_integers = 1`, 'JSONEachRow')
        .trim()
        .split('\n')
        .map((line: string) => JSON.parse(line));
    }
    expect(ours).toEqual(theirs);
  });

  it('keeps keys from the server as plain data (no prototype from a Map key)', async () => {
    if (!serverSupports('modern_types')) {
      await expect(client.query({ query: "SELECT map('__proto__', 1) AS m" })).rejects.toThrow(
        /Unknown function map|Unknown function/,
      );
      return;
    }
    const [row] = await (
      await client.query({ query: "SELECT map('__proto__', 1, 'a', 2) AS m", json_safe: true })
    ).json();
    const m = (row as { m: Record<string, unknown> }).m;
    expect(Object.getPrototypeOf(m)).toBe(Object.prototype);
    expect(Object.keys(m)).toEqual(['__proto__', 'a']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.stringify(m)).toBe('{"__proto__":1,"a":2}');
  });
});
