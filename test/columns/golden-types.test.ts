/**
 * ch-go's golden column bodies (test/vectors/ch-go/proto/golden) for the types beyond the first set: decode to
 * the values ch-go's tests wrote, and encode back to the same bytes. ch-go's files hold the data only; the
 * LowCardinality key-version prefix (UInt64 1) is added here (see docs/protocol.md §6, "Note on the golden files").
 */
import { describe, expect, it } from 'vitest';
import { decodeColumn, encodeColumn, golden, plain } from './helpers.js';

const N = 50;
const LC_PREFIX = Buffer.from('0100000000000000', 'hex');

interface Case {
  file: string;
  type: string;
  rows: number;
  /** The first values decoding gives (compared after `plain`). */
  first: unknown[];
  /** Re-encoding gives the golden bytes (false where ch-go's layout differs from the server's, e.g. dictionaries). */
  identical?: boolean;
  prefix?: Buffer;
}

const CASES: Case[] = [
  { file: 'col_bool', type: 'Bool', rows: N, first: [true, false, false, true] },
  { file: 'col_int128', type: 'Int128', rows: N, first: [0n, 1n, 2n] },
  { file: 'col_uint128', type: 'UInt128', rows: N, first: [0n, 1n, 2n] },
  { file: 'col_int256', type: 'Int256', rows: N, first: [0n, 1n, 2n] },
  { file: 'col_uint256', type: 'UInt256', rows: N, first: [0n, 1n, 2n] },
  { file: 'col_bfloat16', type: 'BFloat16', rows: 5000, first: [264, 636] },
  { file: 'col_decimal32', type: 'Decimal(9, 2)', rows: N, first: ['0.00', '0.01', '0.02'] },
  { file: 'col_decimal64', type: 'Decimal(18, 0)', rows: N, first: ['0', '1', '2'] },
  { file: 'col_decimal128', type: 'Decimal(38, 3)', rows: N, first: ['0.000', '0.001', '0.002'] },
  { file: 'col_decimal256', type: 'Decimal(76, 0)', rows: N, first: ['0', '1', '2'] },
  { file: 'col_date32', type: 'Date32', rows: N, first: [new Date(0), new Date(86_400_000)] },
  {
    file: 'col_datetime64',
    type: 'DateTime64(9)',
    rows: N,
    first: ['1970-01-01T00:00:00.000000000Z', '1970-01-01T00:00:00.000000001Z'],
  },
  { file: 'col_ipv4', type: 'IPv4', rows: N, first: ['0.0.0.0', '0.0.0.1', '0.0.0.2'] },
  { file: 'col_ipv6', type: 'IPv6', rows: N, first: ['::', '0:0:0:1::', '0:0:0:2::'] },
  { file: 'col_interval', type: 'IntervalSecond', rows: N, first: [10n, 10n] },
  { file: 'col_time32', type: 'Time', rows: N, first: ['00:00:00', '00:00:01', '00:00:02'] },
  { file: 'col_time64', type: 'Time64(9)', rows: N, first: ['00:00:00.000000000', '00:00:00.000000001'] },
  {
    file: 'col_point',
    type: 'Point',
    rows: N,
    first: [
      [0, -0],
      [1, -1],
    ],
  },
  {
    file: 'col_map_of_str_str',
    type: 'Map(String, String)',
    rows: 2,
    first: [new Map([['foo', 'bar']]), new Map([['like', '100']])],
  },
  {
    file: 'col_tuple_str_int64',
    type: 'Tuple(String, Int64)',
    rows: N,
    first: [
      ['<0>', 0n],
      ['<1>', 1n],
    ],
  },
  {
    file: 'col_tuple_named_str_int64',
    type: 'Tuple(strings String, ints Int64)',
    rows: N,
    first: [{ strings: '<0>', ints: 0n }],
  },
  {
    file: 'col_arr_int128',
    type: 'Array(Int128)',
    rows: N,
    first: [
      [0n, 1n, 2n],
      [1n, 2n, 3n],
    ],
  },
  { file: 'col_arr_decimal64', type: 'Array(Decimal(18, 2))', rows: N, first: [['0.00', '0.01', '0.02']] },
  { file: 'col_arr_ipv4', type: 'Array(IPv4)', rows: N, first: [['0.0.0.0', '0.0.0.1', '0.0.0.2']] },
  {
    file: 'col_low_cardinality_of_str',
    type: 'LowCardinality(String)',
    rows: 5,
    first: ['foo', 'bar', 'foo', 'foo', 'baz'],
    identical: false,
    prefix: LC_PREFIX,
  },
  {
    file: 'col_low_cardinality_i_str_k_8',
    type: 'LowCardinality(String)',
    rows: 25,
    first: ['neo', 'trinity', 'morpheus', 'neo'],
    identical: false,
    prefix: LC_PREFIX,
  },
  {
    file: 'col_arr_low_cardinality_u8_str',
    type: 'Array(LowCardinality(String))',
    rows: 5,
    first: [['foo', 'bar', 'baz'], ['foo']],
    identical: false,
    prefix: LC_PREFIX,
  },
  {
    file: 'col_map_of_low_cardinality_str_str',
    type: 'Map(LowCardinality(String), LowCardinality(String))',
    rows: 2,
    first: [
      new Map([
        ['foo', 'bar'],
        ['baz', 'hello'],
        ['bar', 'bar'],
      ]),
      new Map([
        ['like', '100'],
        ['dislike', '200'],
        ['result', '1000 - 7'],
      ]),
    ],
    identical: false,
    prefix: Buffer.concat([LC_PREFIX, LC_PREFIX]),
  },
];

describe('ch-go golden column bodies, every type', () => {
  it.each(CASES)('$file ($type)', async ({ file, type, rows, first, identical = true, prefix }) => {
    const bytes = prefix ? Buffer.concat([prefix, golden(file)]) : golden(file);
    const values = Array.from(await decodeColumn(type, bytes, rows));
    expect(plain(values.slice(0, first.length))).toEqual(plain(first));
    const encoded = encodeColumn(type, values, rows);
    if (identical) expect(encoded.toString('hex')).toBe(bytes.toString('hex'));
    // Either way, our encoding decodes to the same values.
    expect(plain(Array.from(await decodeColumn(type, encoded, rows)))).toEqual(plain(values));
  });
});
