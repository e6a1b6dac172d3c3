/**
 * The new codecs decode the same values when their bytes arrive one byte per chunk or split anywhere, and fail
 * with a ProtocolError on every truncated prefix (streaming.test.ts does the same for the first set).
 */
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/errors.js';
import { ByteReader } from '../../src/protocol/reader.js';
import { byteAtATimeReader, decodeColumn, encodeColumn, plain, readColumn } from './helpers.js';

const SAMPLES: [type: string, values: unknown[]][] = [
  ['Bool', [true, false]],
  ['Int128', [-(2n ** 127n), 0n, 2n ** 127n - 1n]],
  ['UInt256', [0n, 2n ** 256n - 1n]],
  ['BFloat16', [1.5, -0, 3.140625]],
  ['Decimal(9, 2)', ['-1.25', '0.01']],
  ['Decimal(18, 4)', ['99999999999999.9999', '-0.0001']],
  ['Decimal(76, 10)', ['-1.5', '123456789012345678901234567890.0123456789']],
  ['Date32', ['1900-01-01', '2299-12-31']],
  ["DateTime64(3, 'Asia/Tokyo')", ['2024-03-01 09:00:00.123', new Date(0)]],
  ['DateTime64(9)', ['1969-12-31T23:59:59.999999999Z', 1n]],
  ['Time', ['-999:59:59', '12:00:00']],
  ['Time64(6)', ['-00:00:00.000001', '999:59:59.999999']],
  ['IPv4', ['1.2.3.4', '255.255.255.255']],
  ['IPv6', ['2001:db8::1', '::ffff:1.2.3.4', '::']],
  ['IntervalSecond', [-1n, 5n]],
  [
    'Tuple(a UInt8, b String)',
    [
      { a: 1, b: 'x' },
      { a: 2, b: 'y'.repeat(200) },
    ],
  ],
  ['Tuple()', [[], []]],
  ['Map(String, Array(UInt16))', [new Map([['a', [1, 2]]]), new Map()]],
  ['Nested(a UInt8, b String)', [[{ a: 1, b: 'x' }], []]],
  ['LowCardinality(String)', ['a', 'b', 'a', '']],
  ['LowCardinality(Nullable(String))', ['a', null, 'a']],
  ['Array(LowCardinality(String))', [['a', 'b'], [], ['a']]],
  [
    'Map(LowCardinality(String), LowCardinality(Nullable(UInt64)))',
    [
      new Map([
        ['k', 1n],
        ['l', null],
      ]),
    ],
  ],
  [
    'MultiPolygon',
    [
      [
        [
          [
            [0, 0],
            [1, 1],
          ],
        ],
      ],
      [],
    ],
  ],
  ['Variant(String, UInt64)', ['x', 5n, null]],
  [
    'AggregateFunction(avg, UInt64)',
    [Buffer.from('020000000000000002', 'hex'), Buffer.from('000000000000000000', 'hex')],
  ],
  ['AggregateFunction(groupArray, String)', [Buffer.from('0201300132', 'hex')]],
];

describe.each(SAMPLES)('%s', (type, values) => {
  const bytes = encodeColumn(type, values);
  const rows = values.length;

  it('decodes when the bytes arrive one per chunk, and when split anywhere', async () => {
    const whole = plain(Array.from(await decodeColumn(type, bytes, rows)));
    const reader = byteAtATimeReader(bytes);
    expect(plain(Array.from(await readColumn(type, reader, rows)))).toEqual(whole);
    for (let k = 1; k < bytes.length; k++) {
      const split = new ByteReader();
      split.push(bytes.subarray(0, k));
      setImmediate(() => {
        split.push(bytes.subarray(k));
        split.end();
      });
      expect(plain(Array.from(await readColumn(type, split, rows)))).toEqual(whole);
    }
  });

  it('fails with a ProtocolError on every truncated prefix', async () => {
    for (let k = 0; k < bytes.length; k++) {
      const reader = ByteReader.from(bytes.subarray(0, k));
      await expect(readColumn(type, reader, rows), `prefix of ${k} bytes`).rejects.toBeInstanceOf(ProtocolError);
    }
  });
});

describe('caps and malformed data', () => {
  it('refuses a LowCardinality dictionary over the cap before reading keys', async () => {
    const bytes = Buffer.from('0100000000000000' + '0006000000000000' + 'ffffffff00000000', 'hex');
    const reader = new ByteReader({ limits: { maxDictionaryKeys: 1000 } });
    reader.push(bytes);
    await expect(readColumn('LowCardinality(String)', reader, 1)).rejects.toThrow(
      /claims 4294967295 keys; the cap is 1000/,
    );
  });

  it('refuses a Map offset over maxArrayElements before reading entries', async () => {
    const reader = new ByteReader({ limits: { maxArrayElements: 10 } });
    reader.push(Buffer.from('0b00000000000000', 'hex'));
    await expect(readColumn('Map(String, String)', reader, 1)).rejects.toThrow(/claims 11 elements; the cap is 10/);
  });

  it('refuses a LowCardinality index beyond the dictionary and an unknown Variant discriminator', async () => {
    const lc = Buffer.from(
      '0100000000000000' + '0006000000000000' + '0100000000000000' + '00' + '0100000000000000' + '05',
      'hex',
    );
    await expect(decodeColumn('LowCardinality(String)', lc, 1)).rejects.toThrow(
      /index 5 of row 0 is beyond the 1 keys/,
    );
    const variant = Buffer.from('0000000000000000' + '07', 'hex');
    await expect(decodeColumn('Variant(String, UInt64)', variant, 1)).rejects.toThrow(/discriminator 7 of row 0/);
  });
});
