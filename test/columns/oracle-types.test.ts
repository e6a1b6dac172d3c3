/**
 * The random matrix against ClickHouse 26.7 (chdb) for every type beyond the first set, nestings up to depth 3:
 *   1. generateRandom's Native bytes (canonicalised through RowBinary, which rebuilds NULL slots with zero values,
 *      see oracle.test.ts) decode, and re-encode to the identical bytes;
 *   2. the server reads our encoding of the decoded values back to its own bytes (file(…, 'Native')).
 * Types generateRandom cannot make (Time, Variant, Interval, AggregateFunction, …) come from SQL expressions
 * over random numbers instead.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { queryAsync } from 'chdb';
import { afterAll, describe, expect, it } from 'vitest';
import { NativeFormat } from '../../src/columns/native-format.js';
import { plain } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'clickhouse-native-oracle-types-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
const tempFile = (extension: string) => join(dir, `f${files++}.${extension}`);

/** LowCardinality(UInt32) and friends are refused by default as a performance hint; the bytes are the same. */
const SETTINGS = ' SETTINGS allow_suspicious_low_cardinality_types = 1';

async function native(sql: string): Promise<Buffer> {
  return Buffer.from((await queryAsync(sql + SETTINGS, { format: 'Native' })).bytes());
}

const sqlString = (s: string) => s.replace(/\\/g, '\\\\').replace(/'/g, "\\'");

/** Decodes, re-encodes byte for byte, and has the server read our bytes back to its own. */
async function roundTrip(canonical: Buffer, label: string, finalize = false): Promise<void> {
  const blocks = await NativeFormat.decode(canonical);
  const encoded = NativeFormat.encode(blocks);
  expect(encoded.toString('hex'), label).toBe(canonical.toString('hex'));
  const ours = tempFile('native');
  writeFileSync(ours, encoded);
  if (finalize) {
    // Hash-set states (uniq, uniqExact) are re-serialized by the server in its own table order, so the server's
    // reading of our bytes is compared through the finalized values.
    const theirs = tempFile('native');
    writeFileSync(theirs, canonical);
    const final = (path: string) => native(`SELECT finalizeAggregation(c) FROM file('${path}', 'Native')`);
    expect((await final(ours)).toString('hex'), `${label}: server read-back`).toBe(
      (await final(theirs)).toString('hex'),
    );
    return;
  }
  const back = await native(`SELECT * FROM file('${ours}', 'Native')`);
  expect(back.toString('hex'), `${label}: server read-back`).toBe(canonical.toString('hex'));
  // Decoding the server's re-read gives the same values.
  const again = await NativeFormat.decode(back);
  expect(plain(again.map((b) => b.columns.map((c) => Array.from(c.values))))).toEqual(
    plain(blocks.map((b) => b.columns.map((c) => Array.from(c.values)))),
  );
}

/** Types generateRandom makes, with nestings up to depth 3. */
const RANDOM_TYPES = [
  'Bool',
  'UInt128',
  'UInt256',
  'Int128',
  'Int256',
  'Decimal(9, 2)',
  'Decimal(18, 0)',
  'Decimal(18, 18)',
  'Decimal(38, 10)',
  'Decimal(76, 30)',
  'Decimal32(4)',
  'Decimal64(3)',
  'Decimal128(20)',
  'Decimal256(1)',
  'Date32',
  'DateTime64(0)',
  'DateTime64(3)',
  "DateTime64(3, 'Asia/Tokyo')",
  'DateTime64(6)',
  "DateTime64(9, 'UTC')",
  'IPv4',
  'IPv6',
  'Tuple(UInt8, String)',
  'Tuple(a Int128, b Nullable(Decimal(10, 2)))',
  'Tuple(a Tuple(b UInt8, c Array(String)), d IPv4)',
  'Map(String, UInt64)',
  'Map(UInt8, Nullable(String))',
  'Map(String, Array(Nullable(Decimal(10, 2))))',
  'Map(LowCardinality(String), Map(UInt16, Tuple(Date32, IPv6)))',
  'LowCardinality(String)',
  'LowCardinality(Nullable(String))',
  'LowCardinality(FixedString(3))',
  'LowCardinality(UInt32)',
  'LowCardinality(Nullable(Int64))',
  'LowCardinality(Date)',
  'LowCardinality(UUID)',
  'Array(LowCardinality(String))',
  'Array(LowCardinality(Nullable(String)))',
  'Array(Array(LowCardinality(String)))',
  'Tuple(LowCardinality(String), LowCardinality(Nullable(UInt8)))',
  'Map(LowCardinality(String), LowCardinality(Nullable(String)))',
  'Nested(a UInt8, b String)',
  'Point',
  'Ring',
  'LineString',
  'MultiLineString',
  'Polygon',
  'MultiPolygon',
  'Nullable(Bool)',
  'Nullable(Int256)',
  'Nullable(Decimal(38, 5))',
  'Nullable(Date32)',
  "Nullable(DateTime64(6, 'Europe/Berlin'))",
  'Nullable(IPv6)',
  'Array(Nullable(IPv4))',
  'Array(Tuple(a UInt8, b Nullable(String)))',
  'Array(Map(String, Int128))',
  'Array(Array(Array(Decimal(18, 4))))',
  'Array(Tuple(Point, Nullable(Int16)))',
];

const SEEDS = [1, 2, 3, 4, 5];
const ROWS = 30;

describe('random columns of every type round-trip byte for byte (chdb)', () => {
  it.each(RANDOM_TYPES)('%s', async (type) => {
    const structure = sqlString(`c ${type}`);
    for (const seed of SEEDS) {
      const path = tempFile('rowbinary');
      await queryAsync(
        `INSERT INTO FUNCTION file('${path}', 'RowBinary', '${structure}') SELECT * FROM generateRandom('${structure}', ${seed}, 8, 4) LIMIT ${ROWS}${SETTINGS}`,
      );
      const canonical = await native(
        `SELECT CAST(c AS ${type}) AS c FROM file('${path}', 'RowBinary', '${structure}')`,
      );
      await roundTrip(canonical, `${type}, seed ${seed}`);
    }
  });
});

/** Types generateRandom cannot make: random values through SQL expressions over numbers. */
const EXPRESSION_TYPES: [type: string, expression: string][] = [
  ['BFloat16', 'toBFloat16((rand(1) % 2000001) / 7 - 100000)'],
  [
    'Array(Tuple(Point, Nullable(BFloat16)))',
    '[((rand(1) / 3, rand(2) / 7), if(rand(3) % 3 = 0, NULL, toBFloat16(rand(4) / 11)))]',
  ],
  ['Time', 'toTime(toInt32(rand(1) % 7200000) - 3600000)'],
  ['Time64(3)', 'toTime64(toDecimal64((toInt64(rand(1) % 720000000) - 360000000) / 1000, 3), 3)'],
  ['Time64(6)', 'toTime64(toDecimal64((toInt64(rand(1) % 7200000000) - 3600000000) / 1000000, 6), 6)'],
  ['IntervalDay', 'toIntervalDay(toInt64(rand(1)) - 2000000000)'],
  ['IntervalNanosecond', 'toIntervalNanosecond(rand64(1))'],
  ['IntervalYear', 'toIntervalYear(rand(1) % 100)'],
  ['Nullable(Nothing)', 'NULL'],
  ['Array(Nullable(Nothing))', '[NULL, NULL]'],
  ['Tuple()', '()'],
  [
    'Variant(String, UInt64)',
    'if(rand(1) % 3 = 0, NULL, if(rand(2) % 2 = 0, toString(rand(3))::Variant(String, UInt64), rand64(4)::Variant(String, UInt64)))',
  ],
  [
    'Variant(Array(UInt8), Int128, String)',
    'multiIf(rand(1) % 4 = 0, NULL, rand(1) % 4 = 1, [toUInt8(rand(2) % 256)]::Variant(Array(UInt8), Int128, String), rand(1) % 4 = 2, toInt128(rand64(3)) * -7::Variant(Array(UInt8), Int128, String), randomPrintableASCII(5)::Variant(Array(UInt8), Int128, String))',
  ],
  [
    'Array(Variant(Bool, String))',
    "[if(rand(1) % 2 = 0, true::Variant(Bool, String), 'x'::Variant(Bool, String)), NULL]",
  ],
  ['SimpleAggregateFunction(sum, UInt64)', 'toUInt64(rand64(1))::SimpleAggregateFunction(sum, UInt64)'],
  [
    'SimpleAggregateFunction(anyLast, Nullable(String))',
    'toNullable(toString(rand(1)))::SimpleAggregateFunction(anyLast, Nullable(String))',
  ],
  ['LowCardinality(Bool)', 'toLowCardinality(rand(1) % 2 = 0)'],
  [
    'Map(IPv4, LowCardinality(Nullable(String)))',
    'map(toIPv4(rand(1)), toLowCardinality(if(rand(2) % 3 = 0, NULL, toString(rand(3) % 5))))',
  ],
];

describe('random columns of expression-made types round-trip byte for byte (chdb)', () => {
  it.each(EXPRESSION_TYPES)('%s', async (type, expression) => {
    for (const seed of SEEDS) {
      const canonical = await native(
        `SELECT ${expression.replace(/rand(64)?\((\d+)\)/g, (_m, w: string | undefined, n: string) => `rand${w ?? ''}(${n} + ${seed * 10} + number)`)} AS c FROM numbers(${ROWS})`,
      );
      await roundTrip(canonical, `${type}, seed ${seed}`);
    }
  });
});

/** AggregateFunction states: the framed functions, over random numbers, grouped into several rows. */
const AGGREGATES = [
  'countState()',
  'sumState(x)',
  'sumState(toInt8(x))',
  'sumState(toFloat32(x))',
  'sumState(toDecimal32(x % 1000, 2))',
  'sumState(toUInt256(x))',
  'sumWithOverflowState(toUInt16(x))',
  'avgState(x)',
  'avgState(toDecimal64(x % 1000, 3))',
  'minState(x)',
  'maxState(toString(x))',
  'anyState(toNullable(x))',
  'anyLastState(toFixedString(toString(x % 100), 2))',
  'argMinState(toString(x), x)',
  'argMaxState(x, toDateTime64(x % 100000, 3))',
  'uniqState(x)',
  'uniqExactState(x)',
  'uniqExactState(toString(x))',
  'groupArrayState(x)',
  'groupArrayState(toString(x))',
  'sumIfState(x, x % 2 = 0)',
  'maxState(if(x % 3 = 0, NULL, toInt32(x)))',
  'countState(if(x % 3 = 0, NULL, x))',
];

describe('AggregateFunction states pass through as opaque bytes (chdb)', () => {
  it.each(AGGREGATES)('%s', async (state) => {
    for (const seed of SEEDS) {
      const canonical = await native(
        `SELECT ${state} AS c FROM (SELECT rand64(${seed}) % 1000000 AS x, number FROM numbers(200)) GROUP BY number % 7 AS k ORDER BY k`,
      );
      await roundTrip(canonical, `${state}, seed ${seed}`, state.startsWith('uniq'));
    }
  });
});
