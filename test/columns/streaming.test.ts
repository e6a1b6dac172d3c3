/**
 * Every codec decodes the same values when its bytes arrive one byte per chunk, and fails with a ProtocolError
 * (never a hang, never a wrong value) on every truncated prefix.
 */
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/errors.js';
import { ByteReader } from '../../src/protocol/reader.js';
import { byteAtATimeReader, decodeColumn, encodeColumn, plain, readColumn } from './helpers.js';

const ENUM8 = "Enum8('a' = 1, 'b\\'c' = -128, 'd' = 127)";
const ENUM16 = "Enum16('x' = -32768, 'y' = 0, 'z' = 32767)";

/** A sample column per type: edge values, multi-byte VarUInt lengths, empty rows. */
export const SAMPLES: [type: string, values: unknown[]][] = [
  ['UInt8', [0, 1, 255]],
  ['UInt16', [0, 65535, 258]],
  ['UInt32', [0, 4294967295, 16909060]],
  ['UInt64', [0n, 18446744073709551615n, 72623859790382856n]],
  ['Int8', [-128, 0, 127]],
  ['Int16', [-32768, -1, 32767]],
  ['Int32', [-2147483648, -1, 2147483647]],
  ['Int64', [-9223372036854775808n, -1n, 9223372036854775807n]],
  ['Float32', [0, -1.5, NaN, Infinity, 3.4028234663852886e38]],
  ['Float64', [0, -0, Number.MIN_VALUE, -Infinity, Math.PI]],
  ['String', ['', 'a', 'héllo wörld', 'x'.repeat(200), '日本語', '\u{1F600}']],
  ['FixedString(3)', ['abc', 'a', '', 'é']],
  ['Date', ['1970-01-01', '2149-06-06', '2024-02-29']],
  ['DateTime', ['1970-01-01 00:00:00', '2106-02-07 06:28:15', '2024-03-01T12:34:56Z']],
  ["DateTime('Asia/Tokyo')", ['2024-03-01 09:00:00', new Date(0)]],
  [
    'UUID',
    [
      '61f0c404-5cb3-11e7-907b-a6006ad3dba0',
      '00000000-0000-0000-0000-000000000000',
      'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
    ],
  ],
  [ENUM8, ['a', "b'c", 'd', 1]],
  [ENUM16, ['x', 'y', 'z']],
  ['Nothing', [null, null]],
  ['Nullable(String)', ['a', null, '', null, 'é'.repeat(100)]],
  ['Nullable(UInt32)', [1, null, 4294967295]],
  ['Nullable(Int64)', [null, -5n, 7n]],
  ['Nullable(Nothing)', [null, null, null]],
  ['Nullable(FixedString(3))', ['ab', null, 'xyz']],
  [`Nullable(${ENUM8})`, [null, 'a', 'd']],
  ['Nullable(UUID)', [null, '61f0c404-5cb3-11e7-907b-a6006ad3dba0']],
  ['Nullable(DateTime)', [null, new Date(1000)]],
  ['Array(UInt8)', [[1, 2, 3], [], [255]]],
  ['Array(Int64)', [[-1n], [], [1n, 2n]]],
  ['Array(String)', [['a', ''], [], ['x'.repeat(130)]]],
  ['Array(Nullable(String))', [['a', null], [null], []]],
  ['Array(Array(UInt8))', [[[1], [], [2, 3]], [], [[]]]],
  ['Array(Array(String))', [[['a', 'b'], []], [['c']]]],
  ['Array(Nothing)', [[], []]],
  ["Array(DateTime('Asia/Tokyo'))", [[new Date(0), new Date(86_400_000)], []]],
  ['Array(UUID)', [['61f0c404-5cb3-11e7-907b-a6006ad3dba0'], []]],
  [`Array(Nullable(${ENUM16}))`, [['x', null, 'z'], []]],
  ['Array(FixedString(2))', [['ab', 'c'], []]],
  ['Array(Date)', [['2000-01-01'], []]],
];

describe.each(SAMPLES)('%s', (type, values) => {
  const bytes = encodeColumn(type, values);
  const rows = values.length;

  it('decodes when the bytes arrive one per chunk', async () => {
    const whole = await decodeColumn(type, bytes, rows);
    const reader = byteAtATimeReader(bytes);
    const chunked = await readColumn(type, reader, rows);
    expect(plain(chunked)).toEqual(plain(whole));
    expect(reader.drained).toBe(true);
  });

  it('decodes when split in two at every position', async () => {
    const whole = plain(await decodeColumn(type, bytes, rows));
    for (let k = 1; k < bytes.length; k++) {
      const reader = new ByteReader();
      reader.push(bytes.subarray(0, k));
      setImmediate(() => {
        reader.push(bytes.subarray(k));
        reader.end();
      });
      expect(plain(await readColumn(type, reader, rows))).toEqual(whole);
    }
  });

  it('fails with a ProtocolError on every truncated prefix', async () => {
    for (let k = 0; k < bytes.length; k++) {
      const reader = ByteReader.from(bytes.subarray(0, k));
      await expect(readColumn(type, reader, rows), `prefix of ${k} bytes`).rejects.toBeInstanceOf(ProtocolError);
    }
  });
});

describe('the String read loop', () => {
  it('decodes many strings across many chunks without re-reading rows', async () => {
    const values = Array.from({ length: 5000 }, (_, i) => (i % 7 === 0 ? '' : `row ${i} ${'é'.repeat(i % 50)}`));
    const bytes = encodeColumn('String', values);
    const reader = new ByteReader();
    // Odd chunk sizes so that lengths and characters are split everywhere.
    for (let at = 0; at < bytes.length; at += 37) reader.push(bytes.subarray(at, at + 37));
    reader.end();
    expect(await readColumn('String', reader, values.length)).toEqual(values);
  });

  it('refuses a length over the reader cap before waiting for the bytes', async () => {
    const bytes = Buffer.from([0x80, 0x80, 0x80, 0x04]); // VarUInt 2^23
    const reader = new ByteReader({ limits: { maxStringBytes: 1 << 20 } });
    reader.push(bytes);
    await expect(readColumn('String', reader, 1)).rejects.toThrow(/exceeds the cap/);
  });
});

describe('Array offsets', () => {
  const offsets = (...ends: bigint[]) => {
    const b = Buffer.alloc(ends.length * 8);
    ends.forEach((e, i) => b.writeBigUInt64LE(e, i * 8));
    return b;
  };

  it('refuses decreasing offsets', async () => {
    const bytes = Buffer.concat([offsets(2n, 1n), Buffer.from([1, 2])]);
    await expect(decodeColumn('Array(UInt8)', bytes, 2)).rejects.toThrow(/offsets decrease at row 1/);
  });

  it('refuses a total beyond the cap before reading the elements', async () => {
    const reader = new ByteReader();
    reader.push(offsets(1n << 40n));
    // No end(): a reader that waited for 2^40 element bytes would hang here instead of failing.
    await expect(readColumn('Array(UInt8)', reader, 1)).rejects.toThrow(/exceeds the cap/);
  });
});
