/**
 * Bad values are refused with an InvalidValueError that points at the row (in the values the codec was given),
 * says what is wrong, and, from writeBlock, names the column and its type.
 */
import { describe, expect, it } from 'vitest';
import { getCodec } from '../../src/columns/registry.js';
import { NativeFormat } from '../../src/columns/native-format.js';
import { InvalidValueError } from '../../src/errors.js';
import { ByteWriter } from '../../src/protocol/writer.js';

function writeError(type: string, values: unknown[]): InvalidValueError {
  try {
    getCodec(type).write(new ByteWriter(), values, values.length);
  } catch (error) {
    if (error instanceof InvalidValueError) return error;
    throw error;
  }
  throw new Error(
    `${type}: ${JSON.stringify(values, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))} was accepted`,
  );
}

const ENUM = "Enum8('a' = 1, 'b' = 2)";

const CASES: [type: string, values: unknown[], row: number, reason: RegExp][] = [
  ['UInt8', [1, 300], 1, /^300 is out of range for UInt8 \(0 to 255\)$/],
  ['UInt8', [-1], 0, /out of range for UInt8/],
  ['UInt8', [1.5], 0, /^1\.5 is not an integer/],
  ['UInt8', ['5'], 0, /^expected an integer for UInt8, got string "5"$/],
  ['UInt8', [0, null], 1, /got null$/],
  ['UInt8', [undefined], 0, /got undefined$/],
  ['UInt8', [256n], 0, /^256 is out of range for UInt8/],
  ['Int8', [-129], 0, /out of range for Int8 \(-128 to 127\)/],
  ['UInt16', [65536], 0, /out of range for UInt16/],
  ['Int16', [{}], 0, /got object Object/],
  ['UInt32', [4294967296], 0, /out of range for UInt32/],
  ['UInt32', [NaN], 0, /^NaN is not an integer/],
  ['Int32', [1, 2, 1.5], 2, /not an integer/],
  ['Int32', [2n ** 40n], 0, /out of range for Int32/],
  ['Int32', [Infinity], 0, /not an integer/],
  ['Float32', [1e39], 0, /out of range for Float32/],
  ['Float32', ['1.5'], 0, /expected a number for Float32, got string/],
  ['Float64', [1n], 0, /got bigint 1n/],
  ['Float64', [null], 0, /got null/],
  ['UInt64', [-1], 0, /^-1 is out of range for UInt64/],
  ['UInt64', [2 ** 60], 0, /beyond 2\^53/],
  ['UInt64', ['12a'], 0, /expected a bigint, an integer or a decimal string for UInt64, got string "12a"/],
  ['UInt64', [' 1'], 0, /decimal string/],
  ['UInt64', [2n ** 64n], 0, /out of range for UInt64/],
  ['UInt64', [1.5], 0, /not an integer/],
  ['Int64', ['9223372036854775808'], 0, /out of range for Int64/],
  ['Int64', [-(2n ** 63n) - 1n], 0, /out of range for Int64/],
  ['String', ['a', 1], 1, /^expected a string or a Uint8Array, got number 1$/],
  ['String', [null], 0, /got null/],
  ['FixedString(2)', ['abc'], 0, /^the string is 3 bytes in UTF-8; FixedString\(2\) holds at most 2$/],
  ['FixedString(4)', ['ok', 'é€'], 1, /5 bytes in UTF-8/],
  ['FixedString(2)', [Buffer.alloc(3)], 0, /^3 bytes given/],
  ['FixedString(2)', [5], 0, /got number 5/],
  ['Date', ['2023-02-30'], 0, /is not a date as 'YYYY-MM-DD'/],
  ['Date', ['2023-1-1'], 0, /is not a date/],
  ['Date', [-1], 0, /outside the Date range/],
  ['Date', [65536], 0, /2149-06-07 is outside the Date range/],
  ['Date', [new Date('2149-06-07T00:00:00Z')], 0, /outside the Date range/],
  ['Date', [new Date(-1)], 0, /1969-12-31 is outside/],
  ['Date', [new Date(NaN)], 0, /^Invalid Date$/],
  ['Date', [1.5], 0, /not a whole number of days/],
  ['DateTime', [-1], 0, /outside the DateTime range/],
  ['DateTime', [2 ** 32], 0, /2106-02-07T06:28:16.000Z is outside/],
  ['DateTime', ['1969-12-31 23:59:59'], 0, /outside the DateTime range/],
  ['DateTime', ['2024-13-01 00:00:00'], 0, /is not a date-time/],
  ['DateTime', ['2024-01-01 24:00:00'], 0, /is not a date-time/],
  ['DateTime', ['2024-01-01 12:00:00 UTC'], 0, /is not a date-time/],
  ['DateTime', ['2024-01-01T00:00:00+25:00'], 0, /has a bad offset/],
  ['DateTime', [new Date(-1000)], 0, /outside the DateTime range/],
  ['DateTime', [1.5], 0, /not a whole number of seconds/],
  ['DateTime', [true], 0, /got boolean true/],
  ["DateTime('Nowhere/Atlantis')", ['2020-01-01 00:00:00'], 0, /time zone 'Nowhere\/Atlantis' is unknown/],
  ['UUID', ['61f0c404-5cb3-11e7-907b-a6006ad3dbaZ'], 0, /expected a UUID string/],
  ['UUID', ['61f0c4045cb311e7907ba6006ad3dba0'], 0, /expected a UUID string/],
  ['UUID', ['61f0c404-5cb3-11e7-907b-a6006ad3dba٠'], 0, /expected a UUID string/],
  ['UUID', [123], 0, /got number 123/],
  [ENUM, ['a', 'zz'], 1, /^"zz" is not an entry of Enum8\('a' = 1, 'b' = 2\)$/],
  [ENUM, [3], 0, /^3 is not an entry/],
  [ENUM, [1.5], 0, /is not an entry/],
  [ENUM, [null], 0, /expected an entry name or value .* got null/],
  ['Nothing', [null, 0], 1, /holds only NULL, got number 0/],
  ['Nullable(UInt8)', [1, undefined], 1, /^undefined is not a value; use null for NULL$/],
  ['Nullable(UInt8)', [null, 300], 1, /300 is out of range for UInt8/],
  ['Nullable(String)', [null, null, 5], 2, /got number 5/],
  ['Nullable(Nothing)', [null, 1], 1, /holds only NULL/],
  ['Array(UInt8)', [[1], 'abc'], 1, /^expected an array or a TypedArray, got string "abc"$/],
  ['Array(UInt8)', [[1], null], 1, /got null/],
  ['Array(UInt8)', [[1], [2, 300]], 1, /^element 1: 300 is out of range for UInt8/],
  ['Array(UInt8)', [new Uint8Array([1]), new Int16Array([2, 300])], 1, /^element 1: 300 is out of range/],
  ['Array(UInt8)', [[], [], [1, 2, -3]], 2, /^element 2: -3 is out of range/],
  ['Array(Array(UInt8))', [[[1]], [[2], [3, 256]]], 1, /^element 1: element 1: 256 is out of range/],
  ['Array(Nullable(String))', [['a', undefined]], 0, /^element 1: undefined is not a value/],
  ['Array(String)', [['x'], new Uint8Array([97])], 1, /^element 0: expected a string or a Uint8Array, got number 97$/],
  [`Array(${ENUM})`, [['a', 'b'], ['c']], 1, /^element 0: "c" is not an entry/],
];

describe('InvalidValueError from codecs', () => {
  it.each(CASES)('%s [%s]', (type, values, row, reason) => {
    const error = writeError(type, values);
    expect(error.row).toBe(row);
    expect(error.reason).toMatch(reason);
    expect(error.column).toBeUndefined();
  });
});

describe('InvalidValueError from writeBlock', () => {
  it('names the column, its type and the row', () => {
    let caught: unknown;
    try {
      NativeFormat.encode([
        {
          rows: 3,
          columns: [
            { name: 'ok', type: 'String', values: ['a', 'b', 'c'] },
            { name: 'tags', type: 'Array(Nullable(UInt8))', values: [[1], [null, 2], [3, 999]] },
          ],
        },
      ]);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidValueError);
    const error = caught as InvalidValueError;
    expect(error.column).toBe('tags');
    expect(error.type).toBe('Array(Nullable(UInt8))');
    expect(error.row).toBe(2);
    expect(error.reason).toBe('element 1: 999 is out of range for UInt8 (0 to 255)');
    expect(error.message).toBe(
      'Invalid value for column "tags" (Array(Nullable(UInt8))) row 2: element 1: 999 is out of range for UInt8 (0 to 255)',
    );
  });

  it('refuses a column shorter than the block', () => {
    expect(() => NativeFormat.encode([{ rows: 2, columns: [{ name: 'x', type: 'UInt8', values: [1] }] }])).toThrow(
      /column "x".*has 1 values but the block has 2 rows/,
    );
  });
});
