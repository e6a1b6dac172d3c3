/**
 * Invalid values for the types beyond the first set: an InvalidValueError pointing at the row, saying what is
 * wrong; from NativeFormat.encode (writeBlock) it also names the column.
 */
import { describe, expect, it } from 'vitest';
import { NativeFormat } from '../../src/columns/native-format.js';
import { getCodec } from '../../src/columns/registry.js';
import { InvalidValueError } from '../../src/errors.js';
import { ByteWriter } from '../../src/protocol/writer.js';

function writeError(type: string, values: unknown[]): InvalidValueError {
  try {
    getCodec(type).write(new ByteWriter(), values, values.length);
  } catch (error) {
    if (error instanceof InvalidValueError) return error;
    throw error;
  }
  throw new Error(`${type}: the values were accepted`);
}

const CASES: [type: string, values: unknown[], row: number, reason: RegExp][] = [
  ['Bool', [true, 2], 1, /expected true, false, 0 or 1 for Bool, got number 2/],
  ['Bool', ['true'], 0, /got string/],
  ['Int128', [1n, 2n ** 127n], 1, /out of range for Int128/],
  ['UInt256', [-1n], 0, /out of range for UInt256/],
  ['UInt128', [2 ** 60], 0, /beyond 2\^53/],
  ['Int256', ['1.5'], 0, /expected a bigint, an integer or a decimal string/],
  ['BFloat16', ['1'], 0, /expected a number for BFloat16/],
  ['Decimal(9, 2)', ['1.00', '1.234'], 1, /1\.234 has more than 2 decimal places/],
  ['Decimal(9, 2)', [1e8], 0, /more than 9 digits/],
  ['Decimal(9, 2)', ['abc'], 0, /is not a decimal number/],
  ['Decimal(38, 0)', [NaN], 0, /not a finite number/],
  ['Decimal(9, 2)', [{}], 0, /expected a decimal string, a number or a bigint/],
  ['Date32', ['1899-12-31'], 0, /outside the Date32 range/],
  ['Date32', ['2020-02-30'], 0, /is not a date/],
  ['DateTime64(3)', ['2020-01-01 00:00:00.1234'], 0, /more than 3 fraction digits/],
  ['DateTime64(3)', [1.0005], 0, /more than 3 decimal places/],
  ['DateTime64(9)', [2n ** 63n], 0, /outside the range/],
  ['DateTime64(6)', ['yesterday'], 0, /is not a date-time/],
  ['Time', ['1000:00:00'], 0, /outside the Time range/],
  ['Time', ['12:60:00'], 0, /is not a time/],
  ['Time64(3)', ['00:00:00.0001'], 0, /more than 3 fraction digits/],
  ['IPv4', ['256.0.0.1'], 0, /expected an IPv4 address/],
  ['IPv4', [-1], 0, /expected an IPv4 address/],
  ['IPv6', ['1::2::3'], 0, /expected an IPv6 address/],
  ['IPv6', [Buffer.alloc(15)], 0, /expected an IPv6 address/],
  ['Tuple(UInt8, String)', [[1, 'a'], [1]], 1, /expected a tuple of 2 elements/],
  ['Tuple(UInt8, String)', [[300, 'a']], 0, /tuple element 1: 300 is out of range for UInt8/],
  ['Tuple(a UInt8, b String)', [{ a: 1 }], 0, /the tuple element "b" is missing/],
  ['Tuple(a UInt8, b String)', [{ a: 1, b: 'x', c: 2 }], 0, /"c" is not an element/],
  ['Tuple(a UInt8, b String)', [{ a: 1, b: 2 }], 0, /tuple element "b": expected a string/],
  ['Map(String, UInt8)', [new Map([['a', 1]]), { b: 256 }], 1, /value of entry 0: 256 is out of range/],
  ['Map(UInt8, String)', [[[1, 'x'], [2]]], 0, /expected \[key, value\] pairs/],
  ['Map(UInt8, String)', ['x'], 0, /expected a Map/],
  ['LowCardinality(String)', ['a', 'b', 5], 2, /expected a string or a Uint8Array, got number 5/],
  ['LowCardinality(String)', ['a', null], 1, /got null/],
  ['LowCardinality(Nullable(String))', ['a', undefined], 1, /undefined is not a value/],
  ['Array(LowCardinality(UInt8))', [[1], [2, 300]], 1, /element 1: 300 is out of range/],
  ['Nested(a UInt8, b String)', [[{ a: 1, b: 'x' }], [{ a: 1 }]], 1, /element 0: the tuple element "b" is missing/],
  ['Point', [[1, 2], [1]], 1, /expected a tuple of 2 elements/],
  [
    'Polygon',
    [
      [
        [
          [0, 0],
          [1, 'x'],
        ],
      ],
    ],
    0,
    /element 0: element 1: tuple element 2: expected a number/,
  ],
  ['Variant(String, UInt64)', ['a', {}], 1, /no variant of Variant\(String, UInt64\) accepts object Object/],
  ['Variant(String, UInt64)', [undefined], 0, /undefined is not a value/],
  ['AggregateFunction(sum, UInt64)', [Buffer.alloc(7)], 0, /not exactly one state/],
  ['AggregateFunction(count)', ['1'], 0, /expected the state bytes/],
  ['SimpleAggregateFunction(sum, UInt64)', [-1], 0, /out of range for UInt64/],
  ['IntervalDay', [1.5], 0, /not an integer/],
];

describe('InvalidValueError from the new codecs', () => {
  it.each(CASES)('%s [%s]', (type, values, row, reason) => {
    const error = writeError(type, values);
    expect(error.row).toBe(row);
    expect(error.reason).toMatch(reason);
  });

  it('names the column, its type and the row from NativeFormat.encode', () => {
    const encode = () =>
      NativeFormat.encode([
        {
          rows: 2,
          columns: [
            { name: 'ok', type: 'Decimal(10, 2)', values: ['1', '2'] },
            { name: 'm', type: 'Map(String, Array(Nullable(Int128)))', values: [{ a: [1n] }, { b: [null, 'x'] }] },
          ],
        },
      ]);
    expect(encode).toThrow(InvalidValueError);
    expect(encode).toThrow(
      'Invalid value for column "m" (Map(String, Array(Nullable(Int128)))) row 1: value of entry 0: element 1: expected a bigint',
    );
  });
});
