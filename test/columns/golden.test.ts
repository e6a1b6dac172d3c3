/**
 * ch-go's golden column bodies (test/columns/golden/ch-go): decode to the values ch-go's tests wrote, and encode
 * those values back to the same bytes.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeColumn, encodeColumn, golden, plain } from './helpers.js';

const N = 50;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const triples = range(N).map((i) => [i, i + 1, i + 2]);
/** Enum types whose entries cover every value the golden files use. */
const ENUM8 = `Enum8(${range(N + 2)
  .map((i) => `'v${i}' = ${i}`)
  .join(', ')})`;
const ENUM16 = `Enum16(${range(N + 2)
  .map((i) => `'v${i}' = ${i}`)
  .join(', ')})`;
const fixed = (size: number, first: number) => {
  const b = Buffer.alloc(size);
  b[0] = first;
  return b;
};

interface Case {
  file: string;
  type: string;
  rows: number;
  /** What decoding gives (compared after `plain`). */
  decoded: unknown[];
  /** What to encode, when not the decoded values themselves. */
  input?: unknown[];
}

const CASES: Case[] = [
  { file: 'col_uint8', type: 'UInt8', rows: N, decoded: range(N) },
  { file: 'col_uint16', type: 'UInt16', rows: N, decoded: range(N) },
  { file: 'col_uint32', type: 'UInt32', rows: N, decoded: range(N) },
  { file: 'col_uint64', type: 'UInt64', rows: N, decoded: range(N).map(BigInt) },
  { file: 'col_int8', type: 'Int8', rows: N, decoded: range(N) },
  { file: 'col_int16', type: 'Int16', rows: N, decoded: range(N) },
  { file: 'col_int32', type: 'Int32', rows: N, decoded: range(N) },
  { file: 'col_int64', type: 'Int64', rows: N, decoded: range(N).map(BigInt) },
  { file: 'col_float32', type: 'Float32', rows: N, decoded: range(N) },
  { file: 'col_float64', type: 'Float64', rows: N, decoded: range(N) },
  { file: 'col_date', type: 'Date', rows: N, decoded: range(N).map((d) => new Date(d * 86_400_000)) },
  { file: 'col_datetime', type: 'DateTime', rows: N, decoded: range(N).map((s) => new Date(s * 1000)) },
  { file: 'col_enum8', type: ENUM8, rows: N, decoded: range(N).map((i) => `v${i}`) },
  { file: 'col_enum16', type: ENUM16, rows: N, decoded: range(N).map((i) => `v${i}`) },
  { file: 'col_str', type: 'String', rows: 6, decoded: ['foo', 'bar', 'ClickHouse', 'one', '', '1'] },
  {
    file: 'col_str_bytes',
    type: 'String',
    rows: 2,
    decoded: ['Hello, World!', 'ClickHouse'],
    input: [Buffer.from('Hello, World!'), Buffer.from('ClickHouse')],
  },
  { file: 'column_of_str', type: 'String', rows: 3, decoded: ['foo', 'bar', 'baz'] },
  {
    file: 'col_fixed_str',
    type: 'FixedString(32)',
    rows: 6,
    decoded: ['foo', 'bar', 'ClickHouse', 'one', '', '1'].map((s) => plain(createHash('sha256').update(s).digest())),
    input: ['foo', 'bar', 'ClickHouse', 'one', '', '1'].map((s) => createHash('sha256').update(s).digest()),
  },
  {
    file: 'col_byte8',
    type: 'FixedString(8)',
    rows: N,
    decoded: range(N).map((i) => plain(fixed(8, i))),
    input: range(N).map((i) => fixed(8, i)),
  },
  {
    file: 'col_byte16',
    type: 'FixedString(16)',
    rows: N,
    decoded: range(N).map((i) => plain(fixed(16, i))),
    // A string is accepted too: one byte, then zero padding.
    input: range(N).map((i) => String.fromCharCode(i)),
  },
  {
    file: 'col_uuid',
    type: 'UUID',
    rows: N,
    // ch-go's uuid.UUID{byte(i)}: canonical byte 0 is i.
    decoded: range(N).map((i) => `${i.toString(16).padStart(2, '0')}000000-0000-0000-0000-000000000000`),
  },
  {
    file: 'col_nullable_str',
    type: 'Nullable(String)',
    rows: 10,
    decoded: ['value1', 'value2', null, 'value3', null, '', '', 'value4', null, 'value54'],
  },
  { file: 'col_nullable_of_str', type: 'Nullable(String)', rows: 4, decoded: ['foo', null, 'bar', 'baz'] },
  { file: 'col_arr_uint8', type: 'Array(UInt8)', rows: N, decoded: triples },
  { file: 'col_arr_uint16', type: 'Array(UInt16)', rows: N, decoded: triples },
  { file: 'col_arr_uint32', type: 'Array(UInt32)', rows: N, decoded: triples },
  { file: 'col_arr_uint64', type: 'Array(UInt64)', rows: N, decoded: triples.map((r) => r.map(BigInt)) },
  { file: 'col_arr_int8', type: 'Array(Int8)', rows: N, decoded: triples },
  { file: 'col_arr_int16', type: 'Array(Int16)', rows: N, decoded: triples },
  { file: 'col_arr_int32', type: 'Array(Int32)', rows: N, decoded: triples },
  { file: 'col_arr_int64', type: 'Array(Int64)', rows: N, decoded: triples.map((r) => r.map(BigInt)) },
  { file: 'col_arr_float32', type: 'Array(Float32)', rows: N, decoded: triples },
  { file: 'col_arr_float64', type: 'Array(Float64)', rows: N, decoded: triples },
  { file: 'col_arr_enum8', type: `Array(${ENUM8})`, rows: N, decoded: triples.map((r) => r.map((i) => `v${i}`)) },
  { file: 'col_arr_enum16', type: `Array(${ENUM16})`, rows: N, decoded: triples.map((r) => r.map((i) => `v${i}`)) },
  {
    file: 'col_arr_byte16',
    type: 'Array(FixedString(16))',
    rows: N,
    decoded: triples.map((r) => r.map((i) => plain(fixed(16, i)))),
    input: triples.map((r) => r.map((i) => fixed(16, i))),
  },
  {
    file: 'col_arr_of_str',
    type: 'Array(String)',
    rows: 2,
    decoded: [
      ['foo', 'bar', 'foo', 'foo', 'baz'],
      ['foo', 'baz'],
    ],
  },
  {
    file: 'col_arr_int8_manual',
    type: 'Array(Int8)',
    rows: 5,
    decoded: range(5).map((i) => range(i + 2).map((j) => 10 + j * 2 + 3 * i)),
    // Plain arrays are accepted as well as the Int8Array rows decoding gives.
    input: range(5).map((i) => range(i + 2).map((j) => 10 + j * 2 + 3 * i)),
  },
];

describe('ch-go golden column bodies', () => {
  it.each(CASES)('$file ($type)', async ({ file, type, rows, decoded, input }) => {
    const bytes = golden(file);
    const values = await decodeColumn(type, bytes, rows);
    expect(plain(values)).toEqual(decoded);
    expect(encodeColumn(type, values, rows).equals(bytes)).toBe(true);
    if (input) expect(encodeColumn(type, input, rows).toString('hex')).toBe(bytes.toString('hex'));
  });

  it('decodes numbers as the matching TypedArray', async () => {
    expect(await decodeColumn('UInt16', golden('col_uint16'), N)).toBeInstanceOf(Uint16Array);
    expect(await decodeColumn('Int64', golden('col_int64'), N)).toBeInstanceOf(BigInt64Array);
    expect(await decodeColumn('Float32', golden('col_float32'), N)).toBeInstanceOf(Float32Array);
    const rows = (await decodeColumn('Array(UInt32)', golden('col_arr_uint32'), N)) as unknown[];
    expect(rows[3]).toBeInstanceOf(Uint32Array);
  });

  it('col_nothing_nullable: every row of Nullable(Nothing) is NULL; we write the server filler byte', async () => {
    // ch-go marks even rows as non-NULL Nothing values and writes 0x00 fillers; a Nothing holds no value either way.
    const bytes = golden('col_nothing_nullable');
    expect(await decodeColumn('Nullable(Nothing)', bytes, N)).toEqual(new Array(N).fill(null));
    const ours = encodeColumn('Nullable(Nothing)', new Array(N).fill(null));
    expect(ours).toEqual(Buffer.concat([Buffer.alloc(N, 1), Buffer.alloc(N, 0x30)]));
  });
});
