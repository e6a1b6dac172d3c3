/**
 * A live round trip, through a real table on the run's server (18.16 or 26.7), of every type of this set that
 * 18.16 has: insert with our codecs, select back, compressed (LZ4 and ZSTD), and compare with what we sent and with
 * the server's own text. The types 18.16 lacks go through live-modern-types.test.ts on a modern server.
 * 18.16 has Decimal(P ≤ 38), Tuple, Nested, LowCardinality (behind allow_experimental_low_cardinality_type),
 * Nullable(Nothing) results and AggregateFunction. It lacks Bool, Int128/256, Date32, DateTime64, IPv4/6, Map,
 * Variant/Dynamic/JSON, Time and SimpleAggregateFunction (tested against chdb instead, in oracle-types.test.ts).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidValueError, type ClickHouseClient, type CompressionMethod } from '../../src/index.js';
import { serverSupports, testServer } from '../harness/context.js';
import { adminQuery } from '../harness/server.js';
import { plain } from './helpers.js';
import { clientFor } from '../client/helpers.js';

/** 18.16 has LowCardinality behind a setting; modern servers have it plain, and no longer know the setting. */
const SETTINGS = serverSupports('modern_types') ? {} : { allow_experimental_low_cardinality_type: 1 };

function client(compression: CompressionMethod): ClickHouseClient {
  return clientFor({ compression, clickhouse_settings: SETTINGS });
}

const admin = (sql: string) => adminQuery(testServer(), sql);
const table = `types_live_${randomUUID().replace(/-/g, '').slice(0, 12)}`;

const COLUMNS = `
  k UInt32,
  d32 Decimal(9, 2), d64 Decimal(18, 6), d128 Decimal(38, 10), dn Nullable(Decimal(10, 3)),
  t Tuple(UInt8, String), tn Tuple(Nullable(String), Array(Decimal(12, 4))),
  n Nested(a UInt8, b String),
  lc LowCardinality(String), lcn LowCardinality(Nullable(String)), lcf LowCardinality(FixedString(2)),
  alc Array(LowCardinality(String)),
  s AggregateFunction(sum, UInt64), c AggregateFunction(count)`;

function rowsFor(base: number) {
  return [
    {
      k: base + 1,
      d32: '-9999999.99',
      d64: '123456789012.345678',
      d128: '-1234567890123456789012345678.0123456789',
      dn: null,
      t: [255, 'héllo'],
      tn: [null, ['1.5', '-0.0001']],
      'n.a': [1, 2, 3],
      'n.b': ['x', '', 'z'],
      lc: 'repeated',
      lcn: null,
      lcf: 'ab',
      alc: ['a', 'b', 'a'],
      s: Buffer.from('2a00000000000000', 'hex'),
      c: Buffer.from([7]),
    },
    {
      k: base + 2,
      d32: 0.1,
      d64: 12n,
      d128: '0',
      dn: '1.5',
      t: [0, ''],
      tn: ['x', []],
      'n.a': [],
      'n.b': [],
      lc: '',
      lcn: 'repeated',
      lcf: '',
      alc: [],
      s: Buffer.alloc(8),
      c: Buffer.from([0]),
    },
  ];
}

/** What a select gives back for each inserted value. */
const READ_BACK: Record<string, (v: unknown) => unknown> = {
  d32: (v) => (v === 0.1 ? '0.10' : v),
  d64: (v) => (v === 12n ? '12.000000' : v),
  d128: (v) => (v === '0' ? '0.0000000000' : v),
  dn: (v) => (v === '1.5' ? '1.500' : v),
  tn: (v) => [
    (v as unknown[])[0],
    (v as unknown[][])[1]!.map((d) => (d === '1.5' ? '1.5000' : d === '-0.0001' ? '-0.0001' : d)),
  ],
  lcf: (v) => Buffer.concat([Buffer.from(v as string)], 2),
};

const db: { client?: ClickHouseClient } = {};

beforeAll(async () => {
  db.client = client('lz4');
  await db.client.command({ query: `CREATE TABLE ${table} (${COLUMNS}) ENGINE = MergeTree ORDER BY k` });
});
afterAll(async () => {
  await db.client!.command({ query: `DROP TABLE IF EXISTS ${table}` });
  await db.client!.close();
});

describe.each(['lz4', 'zstd'] as CompressionMethod[])(
  'every 18.16 type of this set through a table (%s)',
  (compression) => {
    const base = compression === 'lz4' ? 100 : 200;

    it('inserts and selects back', async () => {
      const c = client(compression);
      try {
        const rows = rowsFor(base);
        expect((await c.insert({ table, values: rows })).rows).toBe(2);
        const back = (await (
          await c.query({ query: `SELECT * FROM ${table} WHERE k > ${base} AND k < ${base + 10} ORDER BY k` })
        ).json()) as Record<string, unknown>[];
        expect(back).toHaveLength(2);
        for (let i = 0; i < rows.length; i++) {
          for (const [name, value] of Object.entries(rows[i]!)) {
            const expected = READ_BACK[name]?.(value) ?? value;
            expect(plain(back[i]![name]), name).toEqual(plain(expected));
          }
        }
      } finally {
        await c.close();
      }
    });

    it('the server reads the values we meant', async () => {
      // Modern servers drop a Decimal's trailing zeros in text unless asked (18.16 always writes them, and lacks the setting).
      const settings: Record<string, number> = serverSupports('modern_types')
        ? { output_format_decimal_trailing_zeros: 1 }
        : {};
      const tsv = await adminQuery(
        testServer(),
        `SELECT d32, d64, d128, dn, t, tn, n.a, n.b, lc, lcn, lcf, alc, finalizeAggregation(s), finalizeAggregation(c) FROM ${table} WHERE k = ${base + 1} FORMAT TSV`,
        { settings },
      );
      expect(tsv.trim().split('\t')).toEqual([
        '-9999999.99',
        '123456789012.345678',
        '-1234567890123456789012345678.0123456789',
        '\\N',
        "(255,'héllo')",
        '(NULL,[1.5000,-0.0001])',
        '[1,2,3]',
        "['x','','z']",
        'repeated',
        '\\N',
        'ab',
        "['a','b','a']",
        '42',
        '7',
      ]);
    });
  },
);

describe('results the server computes', () => {
  it('reads NULL, LowCardinality and Decimal expressions', async () => {
    const c = client('lz4');
    try {
      const rows = await (
        await c.query({
          query:
            "SELECT NULL AS n, toLowCardinality(toString(number % 3)) AS lc, toDecimal64(number, 4) / 3 AS d, (number, 'x') AS t FROM system.numbers LIMIT 3",
        })
      ).json();
      expect(plain(rows)).toEqual([
        { n: null, lc: '0', d: '0.0000', t: [0n, 'x'] },
        { n: null, lc: '1', d: '0.3333', t: [1n, 'x'] },
        { n: null, lc: '2', d: '0.6666', t: [2n, 'x'] },
      ]);
    } finally {
      await c.close();
    }
  });
});

describe('invalid values are refused before anything is sent', () => {
  it('names the column and row, and the table stays unchanged', async () => {
    const c = client('lz4');
    try {
      const before = await admin(`SELECT count() FROM ${table}`);
      const rows = rowsFor(900);
      rows[1]!.d32 = '1.234';
      const error = await c.insert({ table, values: rows }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidValueError);
      expect(error).toMatchObject({ column: 'd32', row: 1 });
      expect((error as Error).message).toMatch(/more than 2 decimal places/);
      expect(await admin(`SELECT count() FROM ${table}`)).toBe(before);
      // The connection is still usable.
      expect(await (await c.query({ query: 'SELECT 1 AS x' })).json()).toEqual([{ x: 1 }]);
    } finally {
      await c.close();
    }
  });
});
