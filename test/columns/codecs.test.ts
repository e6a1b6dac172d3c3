/**
 * The JS mapping of each codec (README "Type mapping"), the examples of docs/protocol.md §6, and the registry.
 */
import { describe, expect, it } from 'vitest';
import { ArrayCodec } from '../../src/columns/array.js';
import { BaseCodec, ZERO, type ColumnCodec, type ColumnValues } from '../../src/columns/codec.js';
import { NativeFormat } from '../../src/columns/native-format.js';
import { getCodec, registerFamily } from '../../src/columns/registry.js';
import { wallClockToUtc, zoneOffset } from '../../src/columns/time-zone.js';
import { ProtocolError, UnsupportedError } from '../../src/errors.js';
import { ByteReader } from '../../src/protocol/reader.js';
import type { ByteWriter } from '../../src/protocol/writer.js';
import { decodeColumn, encodeColumn, plain } from './helpers.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('docs/protocol.md §6 examples', () => {
  it('String: "ab", "c", "" → 02 61 62 01 63 00', () => {
    expect(hex(encodeColumn('String', ['ab', 'c', '']))).toBe('026162016300');
  });

  it('UUID: 61f0c404-5cb3-11e7-907b-a6006ad3dba0 → e7 11 b3 5c 04 c4 f0 61 a0 db d3 6a 00 a6 7b 90', async () => {
    const bytes = encodeColumn('UUID', ['61f0c404-5cb3-11e7-907b-a6006ad3dba0']);
    expect(hex(bytes)).toBe('e711b35c04c4f061a0dbd36a00a67b90');
    // Upper case is accepted; reading gives the canonical lower case.
    expect(hex(encodeColumn('UUID', ['61F0C404-5CB3-11E7-907B-A6006AD3DBA0']))).toBe(hex(bytes));
    expect(await decodeColumn('UUID', bytes, 1)).toEqual(['61f0c404-5cb3-11e7-907b-a6006ad3dba0']);
  });

  it('Array: [a, b], [], [c] → offsets 2, 2, 3', () => {
    expect(hex(encodeColumn('Array(String)', [['a', 'b'], [], ['c']]))).toBe(
      '0200000000000000' + '0200000000000000' + '0300000000000000' + '0161' + '0162' + '0163',
    );
  });

  it('Nullable: null map, then the values with zero values under the NULLs', () => {
    expect(hex(encodeColumn('Nullable(String)', ['x', null]))).toBe('0001' + '0178' + '00');
    expect(hex(encodeColumn("Nullable(Enum8('a' = 1))", [null, 'a']))).toBe('0100' + '0001');
    expect(hex(encodeColumn('Nullable(FixedString(2))', [null]))).toBe('01' + '0000');
    expect(hex(encodeColumn('Nullable(UUID)', [null]))).toBe('01' + '00'.repeat(16));
    expect(hex(encodeColumn('Nullable(DateTime)', [null]))).toBe('01' + '00000000');
  });

  it('Nothing: one 0x30 byte per row', () => {
    expect(hex(encodeColumn('Nothing', [null, null]))).toBe('3030');
  });

  it('Enum: the numeric value; two bytes for Enum16', () => {
    expect(hex(encodeColumn("Enum8('a\\'b' = 1, 'c' = -2)", ["a'b", 'c', -2]))).toBe('01fefe');
    expect(hex(encodeColumn("Enum16('x' = -32768, 'y' = 258)", ['x', 'y']))).toBe('00800201');
  });
});

describe('numbers', () => {
  it('reads an aligned column as a view of the reader buffer, an unaligned one as a copy', async () => {
    const backing = Buffer.alloc(17);
    backing.writeUInt32LE(7, 4);
    backing.writeUInt32LE(9, 8);
    const aligned = (await getCodec('UInt32').read(ByteReader.from(backing.subarray(4, 12)), 2)) as Uint32Array;
    expect(Array.from(aligned)).toEqual([7, 9]);
    expect(aligned.buffer).toBe(backing.buffer);
    backing.writeUInt32LE(7, 5);
    backing.writeUInt32LE(9, 9);
    const unaligned = (await getCodec('UInt32').read(ByteReader.from(backing.subarray(5, 13)), 2)) as Uint32Array;
    expect(Array.from(unaligned)).toEqual([7, 9]);
    expect(unaligned.buffer).not.toBe(backing.buffer);
  });

  it('writes the matching TypedArray unchanged, and only its first `rows` values', () => {
    const values = new Int16Array([1, -1, 300, 5]);
    expect(hex(encodeColumn('Int16', values, 3))).toBe('0100ffff2c01');
  });

  it('converts any TypedArray whose values all fit, in bulk', () => {
    expect(hex(encodeColumn('UInt32', Buffer.from([1, 2])))).toBe('0100000002000000');
    expect(hex(encodeColumn('Int64', new Int8Array([-1])))).toBe('ffffffffffffffff');
    expect(hex(encodeColumn('Float64', new Int32Array([-2])))).toBe(hex(new Uint8Array(new Float64Array([-2]).buffer)));
    // Values of a wider TypedArray are checked one by one.
    expect(hex(encodeColumn('UInt8', new Float64Array([1, 2])))).toBe('0102');
    expect(() => encodeColumn('UInt8', new Int16Array([1, -1]))).toThrow(/-1 is out of range for UInt8/);
    expect(() => encodeColumn('UInt64', new BigInt64Array([-1n]))).toThrow(/-1 is out of range for UInt64/);
    expect(() => encodeColumn('Float32', new Float64Array([1e300]))).toThrow(/out of range for Float32/);
  });

  it('accepts booleans and in-range bigints for integers, NaN and infinities for floats', async () => {
    expect(plain(await decodeColumn('Int8', encodeColumn('Int8', [true, false, -5n]), 3))).toEqual([1, 0, -5]);
    expect(plain(await decodeColumn('Float64', encodeColumn('Float64', [NaN, -Infinity]), 2))).toEqual([
      NaN,
      -Infinity,
    ]);
  });

  it('writes 64-bit integers from numbers, bigints and decimal strings', async () => {
    const values = [
      0,
      -1,
      Number.MIN_SAFE_INTEGER,
      Number.MAX_SAFE_INTEGER,
      -(2n ** 63n),
      '9223372036854775807',
      '-42',
      true,
    ];
    const decoded = (await decodeColumn('Int64', encodeColumn('Int64', values), values.length)) as BigInt64Array;
    expect(Array.from(decoded)).toEqual([
      0n,
      -1n,
      -(2n ** 53n - 1n),
      2n ** 53n - 1n,
      -(2n ** 63n),
      2n ** 63n - 1n,
      -42n,
      1n,
    ]);
    const unsigned = (await decodeColumn(
      'UInt64',
      encodeColumn('UInt64', [2 ** 32, '18446744073709551615']),
      2,
    )) as BigUint64Array;
    expect(Array.from(unsigned)).toEqual([2n ** 32n, 2n ** 64n - 1n]);
  });

  it('checks more values than one scratch chunk holds', async () => {
    const values = Array.from({ length: 20_000 }, (_, i) => i % 256);
    const decoded = await decodeColumn('UInt8', encodeColumn('UInt8', values), values.length);
    expect(Array.from(decoded as Uint8Array)).toEqual(values);
    values[19_999] = 256;
    expect(() => encodeColumn('UInt8', values)).toThrow(expect.objectContaining({ row: 19_999 }));
  });
});

describe('strings', () => {
  it('writes Uint8Arrays as raw bytes (not necessarily UTF-8) and reads UTF-8', async () => {
    const bytes = encodeColumn('String', [Buffer.from([0xff, 0x41]), 'é']);
    expect(hex(bytes)).toBe('02ff41' + '02c3a9');
    expect(await decodeColumn('String', bytes, 2)).toEqual(['\ufffdA', 'é']);
  });

  it('writes long strings with a multi-byte length', async () => {
    const long = 'é'.repeat(70_000);
    const bytes = encodeColumn('String', [long, 'x']);
    expect(hex(bytes.subarray(0, 3))).toBe('e0c508'); // VarUInt 140000
    expect(await decodeColumn('String', bytes, 2)).toEqual([long, 'x']);
  });

  it('FixedString reads Buffers of N bytes, trailing zeros kept', async () => {
    const bytes = encodeColumn('FixedString(4)', ['ab', Buffer.from([1, 2, 3, 4]), ZERO]);
    expect(hex(bytes)).toBe('61620000' + '01020304' + '00000000');
    const values = (await decodeColumn('FixedString(4)', bytes, 3)) as Buffer[];
    expect(values.map(hex)).toEqual(['61620000', '01020304', '00000000']);
    expect(Buffer.isBuffer(values[0])).toBe(true);
  });
});

describe('dates', () => {
  it('Date reads UTC midnights and drops the time of day of a written Date', async () => {
    const bytes = encodeColumn('Date', [new Date('2024-02-29T23:59:59.999Z'), '2000-01-01', 0]);
    const values = (await decodeColumn('Date', bytes, 3)) as Date[];
    expect(values.map((d) => d.toISOString())).toEqual([
      '2024-02-29T00:00:00.000Z',
      '2000-01-01T00:00:00.000Z',
      '1970-01-01T00:00:00.000Z',
    ]);
  });

  it('DateTime drops milliseconds and reads strings without an offset as UTC', async () => {
    const values = [
      new Date('2024-01-01T00:00:00.999Z'),
      '2024-01-01 00:00:01',
      '2024-01-01T00:00:02',
      '2024-01-01',
      '2024-01-01 00:00',
    ];
    const decoded = (await decodeColumn('DateTime', encodeColumn('DateTime', values), values.length)) as Date[];
    expect(decoded.map((d) => d.toISOString())).toEqual([
      '2024-01-01T00:00:00.000Z',
      '2024-01-01T00:00:01.000Z',
      '2024-01-01T00:00:02.000Z',
      '2024-01-01T00:00:00.000Z',
      '2024-01-01T00:00:00.000Z',
    ]);
  });

  it("DateTime('tz') reads strings without an offset in the zone, and with one as given", async () => {
    const type = "DateTime('America/New_York')";
    const values = [
      '2024-07-01 12:00:00',
      '2024-01-01 12:00:00',
      '2024-07-01T12:00:00Z',
      '2024-07-01T12:00:00-0130',
      1_700_000_000,
    ];
    const decoded = (await decodeColumn(type, encodeColumn(type, values), values.length)) as Date[];
    expect(decoded.map((d) => d.toISOString())).toEqual([
      '2024-07-01T16:00:00.000Z',
      '2024-01-01T17:00:00.000Z',
      '2024-07-01T12:00:00.000Z',
      '2024-07-01T13:30:00.000Z',
      '2023-11-14T22:13:20.000Z',
    ]);
  });

  it('resolves repeated and skipped wall-clock times to the earlier instant, like ClickHouse', () => {
    // Checked with ClickHouse 26.7: toUnixTimestamp(toDateTime('2021-10-31 02:30:00', 'Europe/Berlin')) etc.
    const local = (s: string) => Date.parse(`${s}Z`) / 1000;
    expect(wallClockToUtc('Europe/Berlin', local('2021-10-31 02:30:00'))).toBe(1635640200);
    expect(wallClockToUtc('Europe/Berlin', local('2021-03-28 02:30:00'))).toBe(1616891400);
    expect(wallClockToUtc('America/New_York', local('2021-11-07 01:30:00'))).toBe(1636263000);
    expect(wallClockToUtc('America/New_York', local('2021-03-14 02:30:00'))).toBe(1615703400);
    expect(zoneOffset('Asia/Kolkata', 0)).toBe(19800);
  });
});

describe('enums', () => {
  it('reads names; a value without an entry (a NULL slot) reads as its number', async () => {
    const type = "Enum8('a' = 1, 'b' = 2)";
    expect(await decodeColumn(type, Buffer.from([1, 2, 0]), 3)).toEqual(['a', 'b', 0]);
    expect(await decodeColumn(`Nullable(${type})`, Buffer.from([0, 1, 1, 0]), 2)).toEqual(['a', null]);
  });

  it('numbers bare names from 1, as ClickHouse DDL does', () => {
    expect(hex(encodeColumn("Enum8('a', 'b')", ['a', 'b']))).toBe('0102');
  });
});

describe('nullable', () => {
  it('reads plain arrays with null, TypedArray-backed types included', async () => {
    const values = await decodeColumn('Nullable(UInt32)', encodeColumn('Nullable(UInt32)', [1, null, 3]), 3);
    expect(values).toEqual([1, null, 3]);
    expect(Array.isArray(values)).toBe(true);
  });

  it('passes values without NULLs straight to the inner codec (a TypedArray stays bulk)', () => {
    expect(hex(encodeColumn('Nullable(UInt16)', new Uint16Array([1, 2])))).toBe('0000' + '01000200');
  });
});

describe('arrays', () => {
  it('reads numeric rows as TypedArray views of one column', async () => {
    const rows = (await decodeColumn(
      'Array(Int32)',
      encodeColumn('Array(Int32)', [[1, 2], [], [3]]),
      3,
    )) as Int32Array[];
    expect(rows.map((r) => r.constructor)).toEqual([Int32Array, Int32Array, Int32Array]);
    expect(rows.map((r) => Array.from(r))).toEqual([[1, 2], [], [3]]);
    expect(rows[0]!.buffer).toBe(rows[2]!.buffer);
  });

  it('writes rows that are TypedArrays, plain arrays, or a mix, to the same bytes', () => {
    const expected = hex(encodeColumn('Array(UInt16)', [[1, 2], [], [3]]));
    expect(
      hex(encodeColumn('Array(UInt16)', [new Uint16Array([1, 2]), new Uint16Array(0), new Uint16Array([3])])),
    ).toBe(expected);
    expect(hex(encodeColumn('Array(UInt16)', [new Uint16Array([1, 2]), [], [3]]))).toBe(expected);
    expect(hex(encodeColumn('Array(UInt16)', [Buffer.from([1, 2]), [], new Uint8Array([3])]))).toBe(expected);
  });

  it('nests: Array(Array(T)) rows are arrays of T rows', async () => {
    const values = [[[1, 2], []], [], [[3]]];
    const decoded = await decodeColumn('Array(Array(UInt8))', encodeColumn('Array(Array(UInt8))', values), 3);
    expect(plain(decoded)).toEqual(values);
  });

  it('forwards the inner prefix (written before the offsets)', async () => {
    const calls: string[] = [];
    // A type is one codec class (and one registry line): the prefix and the body.
    class PrefixedCodec extends BaseCodec implements ColumnCodec {
      constructor(readonly type: string) {
        super();
      }
      override async readPrefix(reader: ByteReader) {
        calls.push(`read ${reader.u8()}`);
      }
      override writePrefix(writer: ByteWriter) {
        writer.u8(9);
      }
      async read(reader: ByteReader, rows: number) {
        return Array.from({ length: rows }, () => reader.u8());
      }
      write(writer: ByteWriter, values: ColumnValues, rows: number) {
        for (let i = 0; i < rows; i++) writer.u8(values[i] === ZERO ? 0 : (values[i] as number));
      }
    }
    registerFamily('Prefixed', (_node, type) => new PrefixedCodec(type));
    const codec = getCodec('Array(Nullable(Prefixed))');
    expect(codec).toBeInstanceOf(ArrayCodec);
    const bytes = encodeColumn('Array(Nullable(Prefixed))', [[5, null]]);
    expect(hex(bytes)).toBe('09' + '0200000000000000' + '0001' + '0500');
    expect(await decodeColumn('Array(Nullable(Prefixed))', bytes, 1)).toEqual([[5, null]]);
    expect(calls).toEqual(['read 9']);
  });
});

describe('registry', () => {
  it('caches one codec per type name', () => {
    expect(getCodec('Array(String)')).toBe(getCodec('Array(String)'));
    expect(getCodec('Nullable(UInt8)').type).toBe('Nullable(UInt8)');
  });

  it.each([
    ['Wat(String, UInt8)', /Unsupported type Wat\(String, UInt8\): no codec for Wat/],
    [
      'Array(Wat(String, UInt8))',
      /Unsupported type Wat\(String, UInt8\): no codec for Wat \(in Array\(Wat\(String, UInt8\)\)\)/,
    ],
    ['UInt8(3)', /UInt8 takes no arguments/],
    ['Nullable(String, String)', /Nullable takes one type argument/],
    ['Nullable(Array(UInt8))', /Array cannot be inside Nullable/],
    ['Nullable(Nullable(UInt8))', /Nullable cannot be inside Nullable/],
    ['Array', /Array takes one type argument/],
    ['FixedString(0)', /FixedString must be an integer from 1 to 16777215/],
    ['FixedString(x)', /FixedString takes one argument|must be an integer/],
    ["DateTime('UTC', 'x')", /DateTime takes at most one argument/],
    ['DateTime(3)', /DateTime takes at most one argument/],
    ["Enum8('a' = 1, 'a' = 2)", /the name 'a' appears twice/],
    ["Enum8('a' = 1, 'b' = 1)", /the value 1 appears twice/],
    ["Enum8('a' = 128)", /does not fit Enum8/],
    ['Enum8()', /needs at least one entry/],
    ["Enum8('a' = 1, 'b')", /arguments must be 'name' = value entries/],
    ['Array(String', /Malformed type name/],
  ])('refuses %s', (type, message) => {
    expect(() => getCodec(type)).toThrow(UnsupportedError);
    expect(() => getCodec(type)).toThrow(message);
  });
});

describe('NativeFormat', () => {
  it('encodes and decodes several blocks, zero-row blocks included', async () => {
    const blocks = [
      {
        rows: 2,
        columns: [
          { name: 'a', type: 'UInt8', values: new Uint8Array([1, 2]) },
          { name: 'b', type: 'String', values: ['x', 'y'] },
        ],
      },
      {
        rows: 0,
        columns: [
          { name: 'a', type: 'UInt8', values: [] },
          { name: 'b', type: 'String', values: [] },
        ],
      },
      {
        rows: 1,
        columns: [
          { name: 'a', type: 'UInt8', values: new Uint8Array([3]) },
          { name: 'b', type: 'String', values: ['z'] },
        ],
      },
    ];
    const bytes = NativeFormat.encode(blocks);
    expect(hex(bytes.subarray(0, 2))).toBe('0202'); // no BlockInfo: columns, rows
    const decoded = await NativeFormat.decode(bytes);
    expect(decoded.map((b) => [b.rows, b.columns.map((c) => plain(c.values))])).toEqual([
      [
        2,
        [
          [1, 2],
          ['x', 'y'],
        ],
      ],
      [0, [[], []]],
      [1, [[3], ['z']]],
    ]);
  });

  it('fails with a ProtocolError on every truncated prefix', async () => {
    const column = { name: 's', type: 'Array(Nullable(String))', values: [['a', null], []] };
    const bytes = NativeFormat.encode([{ rows: 2, columns: [column] }]);
    for (let k = 1; k < bytes.length; k++) {
      await expect(NativeFormat.decode(bytes.subarray(0, k)), `prefix of ${k}`).rejects.toBeInstanceOf(ProtocolError);
    }
  });

  it('refuses an unknown column type with an UnsupportedError', async () => {
    const bytes = Buffer.from('0101' + '0161' + '0b' + Buffer.from('IPv4Address').toString('hex') + '00000000', 'hex');
    await expect(NativeFormat.decode(bytes)).rejects.toThrow(/Unsupported type IPv4Address/);
  });
});
