/**
 * Typed rows (issue #18, item 6). Type level: tsc checks the expectTypeOf and @ts-expect-error lines below (`npm run
 * typecheck`, part of the lint gate). Run time: every type family's value from the real server is what
 * ClickHouseTypeToTS declares: each case's guard is typed `v is ClickHouseTypeToTS<type>`, so the static mapping and
 * the run-time check are written once, together. Modern families run where the server has them (26.7).
 */
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import {
  blockColumns,
  ConfigError,
  defineTable,
  SchemaMismatchError,
  type ClickHouseTypeToTS,
  type ColumnValuesOf,
  type RowOf,
  type ResultSet,
} from '../../src/index.js';
import { serverSupports } from '../harness/context.js';
import { admin, clientFor, uniqueTable } from './helpers.js';

describe('the type-level mapping (checked by tsc)', () => {
  it('maps scalars, wrappers and containers as README "Type mapping" says', () => {
    expectTypeOf<ClickHouseTypeToTS<'UInt32'>>().toEqualTypeOf<number>();
    expectTypeOf<ClickHouseTypeToTS<'UInt64'>>().toEqualTypeOf<bigint>();
    expectTypeOf<ClickHouseTypeToTS<'Int256'>>().toEqualTypeOf<bigint>();
    expectTypeOf<ClickHouseTypeToTS<'Float64'>>().toEqualTypeOf<number>();
    expectTypeOf<ClickHouseTypeToTS<'String'>>().toEqualTypeOf<string>();
    expectTypeOf<ClickHouseTypeToTS<'FixedString(4)'>>().toEqualTypeOf<Buffer>();
    expectTypeOf<ClickHouseTypeToTS<"DateTime('UTC')">>().toEqualTypeOf<Date>();
    expectTypeOf<ClickHouseTypeToTS<'DateTime64(3)'>>().toEqualTypeOf<Date>();
    expectTypeOf<ClickHouseTypeToTS<"DateTime64(6, 'UTC')">>().toEqualTypeOf<string>();
    expectTypeOf<ClickHouseTypeToTS<'Decimal(10, 2)'>>().toEqualTypeOf<string>();
    expectTypeOf<ClickHouseTypeToTS<"Enum8('a' = 1, 'b' = 2)">>().toEqualTypeOf<string>();
    expectTypeOf<ClickHouseTypeToTS<'Bool'>>().toEqualTypeOf<boolean>();
    expectTypeOf<ClickHouseTypeToTS<'Nullable(UInt64)'>>().toEqualTypeOf<bigint | null>();
    expectTypeOf<ClickHouseTypeToTS<'LowCardinality(Nullable(String))'>>().toEqualTypeOf<string | null>();
    expectTypeOf<ClickHouseTypeToTS<'Array(UInt32)'>>().toEqualTypeOf<Uint32Array>();
    expectTypeOf<ClickHouseTypeToTS<'Array(Nullable(String))'>>().toEqualTypeOf<Array<string | null>>();
    expectTypeOf<ClickHouseTypeToTS<'Map(String, UInt64)'>>().toEqualTypeOf<
      Map<string, bigint> | Array<[string, bigint]>
    >();
    expectTypeOf<ClickHouseTypeToTS<'Point'>>().toEqualTypeOf<[number, number]>();
    expectTypeOf<ClickHouseTypeToTS<'Tuple(a UInt8, b String)'>>().toEqualTypeOf<unknown>();
    expectTypeOf<ColumnValuesOf<'UInt64'>>().toEqualTypeOf<BigUint64Array>();
    expectTypeOf<ColumnValuesOf<'String'>>().toEqualTypeOf<string[]>();
  });

  it('defineTable infers the row type that query({ schema }) and insert<RowOf<…>> use', () => {
    const events = defineTable({ id: 'UInt64', name: 'LowCardinality(String)', score: 'Nullable(Float64)' });
    type Event = RowOf<typeof events>;
    expectTypeOf<Event>().toEqualTypeOf<{ id: bigint; name: string; score: number | null }>();
    const client = clientForTypesOnly();
    // Functions, never called: the checks are on their types.
    const withSchema = () => client.query({ query: 'SELECT 1', schema: events });
    const withGeneric = () => client.query<Event>({ query: 'SELECT 1' });
    expectTypeOf(withSchema).returns.resolves.toEqualTypeOf<ResultSet<Event>>();
    expectTypeOf(withGeneric).returns.resolves.toEqualTypeOf<ResultSet<Event>>();
    // insert<T> takes interfaces (no index signature needed) and checks rows against them.
    interface Metric {
      ts: number;
      value: number;
    }
    const metrics: Metric[] = [{ ts: 1, value: 2 }];
    void (() => client.insert<Metric>({ table: 't', values: metrics }));
    void (() => client.insert<Metric>({ table: 't', values: { ts: new Uint32Array(1), value: [1.5] } }));
    // @ts-expect-error a row without `value` is not a Metric
    void (() => client.insert<Metric>({ table: 't', values: [{ ts: 1 }] }));
    // @ts-expect-error a string is not a number
    void (() => client.insert<Event>({ table: 't', values: [{ id: 1n, name: 'a', score: 'high' }] }));
  });
});

/** A client object for type checks only: never connects (no call is awaited). */
function clientForTypesOnly() {
  return clientFor();
}

interface Family<T extends string = string> {
  type: T;
  sql: string;
  modern: boolean;
  is: (value: unknown) => value is ClickHouseTypeToTS<T>;
}
function family<T extends string>(
  type: T,
  sql: string,
  is: (value: unknown) => value is ClickHouseTypeToTS<T>,
  modern = false,
): Family {
  return { type, sql, modern, is: is as Family['is'] };
}
const isNumber = (v: unknown): v is number => typeof v === 'number';
const isBigint = (v: unknown): v is bigint => typeof v === 'bigint';
const isString = (v: unknown): v is string => typeof v === 'string';
const isDate = (v: unknown): v is Date => v instanceof Date;

const FAMILIES: Family[] = [
  family('UInt8', 'toUInt8(1)', isNumber),
  family('Int32', 'toInt32(-5)', isNumber),
  family('UInt64', 'toUInt64(5)', isBigint),
  family('Int64', 'toInt64(-5)', isBigint),
  family('Float32', 'toFloat32(1.5)', isNumber),
  family('Float64', 'toFloat64(1.5)', isNumber),
  family('String', "'abc'", isString),
  family('FixedString(3)', "toFixedString('abc', 3)", (v): v is Buffer => Buffer.isBuffer(v)),
  family('Date', "toDate('2024-03-01')", isDate),
  family('DateTime', "toDateTime('2024-03-01 12:00:00')", isDate),
  family('UUID', "toUUID('00000000-0000-0000-0000-000000000001')", isString),
  family("Enum8('a' = 1, 'b' = 2)", "CAST('b', 'Enum8(\\'a\\' = 1, \\'b\\' = 2)')", isString),
  family('Decimal(9, 2)', 'toDecimal32(12.5, 2)', isString),
  family('Nullable(UInt64)', "CAST(NULL, 'Nullable(UInt64)')", (v): v is bigint | null => v === null),
  family('LowCardinality(String)', "toLowCardinality('x')", isString),
  family('Array(UInt32)', '[toUInt32(1), 2]', (v): v is Uint32Array => v instanceof Uint32Array),
  family('Array(String)', "['a', 'b']", (v): v is string[] => Array.isArray(v) && v.every(isString)),
  family('Bool', 'true', (v): v is boolean => typeof v === 'boolean', true),
  family('Int128', 'toInt128(-1)', isBigint, true),
  family('DateTime64(3)', "toDateTime64('2024-03-01 12:00:00.123', 3)", isDate, true),
  family("DateTime64(6, 'UTC')", "toDateTime64('2024-03-01 12:00:00.123456', 6, 'UTC')", isString, true),
  family('Date32', "toDate32('1950-01-01')", isDate, true),
  family('IPv4', "toIPv4('1.2.3.4')", isString, true),
  family('IPv6', "toIPv6('::1')", isString, true),
  family(
    'Map(String, UInt64)',
    "map('k', toUInt64(1))",
    (v): v is Map<string, bigint> => v instanceof Map && [...v].every(([k, x]) => isString(k) && isBigint(x)),
    true,
  ),
  family(
    'Point',
    '(1.5, 2.5)::Point',
    (v): v is [number, number] => Array.isArray(v) && v.length === 2 && v.every(isNumber),
    true,
  ),
];

describe('the mapping against the real server: every family', () => {
  const table = uniqueTable('typed_rows');
  const client = clientFor();
  beforeAll(async () => {
    await admin(`CREATE TABLE ${table} (id UInt64, name String, score Nullable(Float64)) ENGINE = Memory`);
  });
  afterAll(async () => {
    await admin(`DROP TABLE IF EXISTS ${table}`);
    await client.close();
  });

  for (const f of FAMILIES) {
    it(`${f.type}: the value is what ClickHouseTypeToTS<'${f.type}'> says`, async () => {
      if (f.modern && !serverSupports('modern_types')) {
        // Gated on the server, not skipped: an old server (18.16) refuses the type.
        await expect(client.query({ query: `SELECT ${f.sql} AS v` })).rejects.toThrow();
        return;
      }
      const result = await client.query({ query: `SELECT ${f.sql} AS v` });
      expect(result.columns[0]!.type).toBe(f.type);
      const [row] = (await result.json()) as Array<{ v: unknown }>;
      expect(f.is(row!.v), `${f.type} gave ${String(row!.v)}`).toBe(true);
    });
  }

  it('query({ schema }) types rows and checks the header; insert<RowOf<…>> writes them', async () => {
    const events = defineTable({ id: 'UInt64', name: 'String', score: 'Nullable(Float64)' });
    const rows: Array<RowOf<typeof events>> = [
      { id: 1n, name: 'a', score: 0.5 },
      { id: 2n, name: 'b', score: null },
    ];
    await client.insert<RowOf<typeof events>>({ table, values: rows });
    const result = await client.query({ query: `SELECT id, name, score FROM ${table} ORDER BY id`, schema: events });
    const back = await result.json();
    expect(back).toEqual(rows);
    // Typed block columns: TypedArrays where the type is fixed-width.
    const blocks = await client.query({ query: `SELECT id, name, score FROM ${table} ORDER BY id` });
    for await (const block of blocks.blocks()) {
      const columns = blockColumns(block, events);
      expectTypeOf(columns.id).toEqualTypeOf<BigUint64Array>();
      expect(columns.id).toBeInstanceOf(BigUint64Array);
      expect(columns.name).toEqual(['a', 'b']);
    }
  });

  it('a schema that does not match the result is a SchemaMismatchError, and the connection goes on working', async () => {
    const wrong = defineTable({ id: 'UInt32', name: 'String' });
    const error = await client.query({ query: `SELECT id, name, score FROM ${table}`, schema: wrong }).catch((e) => e);
    expect(error).toBeInstanceOf(SchemaMismatchError);
    expect((error as Error).message).toBe(
      'The result does not match the schema: column id is UInt64, the schema says UInt32; ' +
        'column score (Nullable(Float64)) is not in the schema',
    );
    await expect(
      client.query({ query: 'SELECT 1', schema: defineTable({ x: 'UInt8' }), json_safe: true }),
    ).rejects.toThrow(ConfigError);
    expect(await (await client.query({ query: 'SELECT 1 AS one' })).json()).toEqual([{ one: 1 }]);
  });
});
