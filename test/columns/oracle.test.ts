/**
 * The oracle: ClickHouse 26.7 in process (chdb).
 *   1. Native bytes the server writes for random values decode, and encode back to the identical bytes.
 *   2. Native files we write are read back by the server as the values we meant.
 *   3. Date-time strings in a zone give the instants ClickHouse's own parser gives (DST gaps and overlaps).
 *
 * generateRandom leaves random bytes under NULLs, where a writer puts zero values (§6.7), so bytes are compared
 * after a RowBinary round trip through the server, which rebuilds every NULL slot with the zero value; the raw
 * random bytes must still decode to the same values.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { queryAsync } from 'chdb';
import { afterAll, describe, expect, it } from 'vitest';
import { NativeFormat } from '../../src/columns/native-format.js';
import type { Block } from '../../src/columns/block.js';
import { plain } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'clickhouse-native-oracle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function tempFile(extension: string): string {
  return join(dir, `f${files++}.${extension}`);
}

async function native(sql: string): Promise<Buffer> {
  return Buffer.from((await queryAsync(sql, { format: 'Native' })).bytes());
}

async function text(sql: string, format = 'JSONEachRow'): Promise<string> {
  return (await queryAsync(sql, { format })).text();
}

/** A type or structure inside a single-quoted SQL string. */
const sqlString = (s: string) => s.replace(/\\/g, '\\\\').replace(/'/g, "\\'");

const ENUM8 = "Enum8('a' = 1, 'b\\'c' = -128, 'd' = 127, 'e f' = 0)";
const ENUM16 = "Enum16('x' = -32768, 'y' = 1000, 'z' = 32767)";

const ORACLE_TYPES = [
  'UInt8',
  'UInt16',
  'UInt32',
  'UInt64',
  'Int8',
  'Int16',
  'Int32',
  'Int64',
  'Float32',
  'Float64',
  'String',
  'FixedString(1)',
  'FixedString(7)',
  'Date',
  'DateTime',
  "DateTime('Asia/Tokyo')",
  'UUID',
  ENUM8,
  ENUM16,
  "Enum8('only' = 5)",
  'Nullable(String)',
  'Nullable(UInt8)',
  'Nullable(Int64)',
  'Nullable(Float32)',
  'Nullable(Float64)',
  'Nullable(FixedString(3))',
  `Nullable(${ENUM8})`,
  "Nullable(Enum8('a' = 1, 'b' = 2))",
  'Nullable(UUID)',
  'Nullable(Date)',
  "Nullable(DateTime('America/New_York'))",
  'Array(UInt8)',
  'Array(Int32)',
  'Array(UInt64)',
  'Array(Float64)',
  'Array(String)',
  'Array(Nullable(String))',
  'Array(Array(UInt8))',
  'Array(Array(Nullable(String)))',
  "Array(DateTime('Asia/Tokyo'))",
  'Array(UUID)',
  'Array(Nullable(UUID))',
  `Array(Nullable(${ENUM16}))`,
  'Array(FixedString(2))',
  'Array(Date)',
];

const SEEDS = [1, 2, 3];
const ROWS = 40;

describe('server-written random columns round-trip byte for byte', () => {
  it.each(ORACLE_TYPES)('%s', async (type) => {
    const structure = sqlString(`c ${type}`);
    // JS arrays of numbers quiet signaling NaNs (a Float column read as a TypedArray keeps every bit; a
    // Nullable(Float) reads into a plain array), so those columns are compared without NaNs.
    const where = /^Nullable\(Float/.test(type) ? 'WHERE NOT ifNull(isNaN(c), false)' : '';
    for (const seed of SEEDS) {
      const random = `(SELECT * FROM generateRandom('${structure}', ${seed}, 10, 5) ${where} LIMIT ${ROWS})`;
      // One thread, so that both evaluations of the filtered random rows give the same rows in the same order.
      const raw = await native(`SELECT * FROM ${random} SETTINGS max_threads = 1`);
      const path = tempFile('rowbinary');
      await queryAsync(
        `INSERT INTO FUNCTION file('${path}', 'RowBinary', '${structure}') SELECT * FROM ${random} SETTINGS max_threads = 1`,
      );
      // The CAST restores a DateTime zone that file() drops from the structure.
      const canonical = await native(
        `SELECT CAST(c AS ${type}) AS c FROM file('${path}', 'RowBinary', '${structure}')`,
      );

      const blocks = await NativeFormat.decode(canonical);
      const [rawHeader] = await NativeFormat.decode(raw);
      expect(blocks.map((b) => b.columns[0]!.type)).toEqual(blocks.map(() => rawHeader!.columns[0]!.type));
      expect(blocks.reduce((n, b) => n + b.rows, 0)).toBe(ROWS);
      const encoded = NativeFormat.encode(blocks);
      expect(encoded.toString('hex'), `seed ${seed}`).toBe(canonical.toString('hex'));

      // The server's raw bytes (random data under NULLs) decode to the same values.
      const rawBlocks = await NativeFormat.decode(raw);
      expect(plain(rawBlocks.flatMap((b) => Array.from(b.columns[0]!.values)))).toEqual(
        plain(blocks.flatMap((b) => Array.from(b.columns[0]!.values))),
      );
      if (!type.includes('Nullable'))
        expect(NativeFormat.encode(rawBlocks).equals(raw), `raw, seed ${seed}`).toBe(true);

      // And the server reads our encoding back to its own bytes.
      const ours = tempFile('native');
      writeFileSync(ours, encoded);
      expect((await native(`SELECT * FROM file('${ours}', 'Native')`)).equals(canonical)).toBe(true);
    }
  });

  it('decodes and re-encodes a multi-column, multi-block result', async () => {
    const structure = sqlString(
      `id UInt64, name String, tags Array(Nullable(String)), at DateTime('Europe/Berlin'), e ${ENUM8}, u Nullable(UUID), f FixedString(4), m Array(Array(Int16))`,
    );
    const path = tempFile('rowbinary');
    await queryAsync(
      `INSERT INTO FUNCTION file('${path}', 'RowBinary', '${structure}') SELECT * FROM generateRandom('${structure}', 42, 12, 4) LIMIT 2500`,
    );
    const canonical = await native(
      `SELECT * FROM file('${path}', 'RowBinary', '${structure}') SETTINGS max_block_size = 1000`,
    );
    const blocks = await NativeFormat.decode(canonical);
    expect(blocks.length).toBeGreaterThan(1);
    expect(blocks.map((b) => b.columns.map((c) => c.name))[0]).toEqual([
      'id',
      'name',
      'tags',
      'at',
      'e',
      'u',
      'f',
      'm',
    ]);
    expect(NativeFormat.encode(blocks).equals(canonical)).toBe(true);
  });

  it('reads the server bytes for NULL, [] and a zero-row block', async () => {
    const bytes = await native('SELECT NULL AS n, [] AS a, [NULL] AS an');
    const [block] = await NativeFormat.decode(bytes);
    expect(block!.columns.map((c) => [c.type, c.values])).toEqual([
      ['Nullable(Nothing)', [null]],
      ['Array(Nothing)', [[]]],
      ['Array(Nullable(Nothing))', [[null]]],
    ]);
    expect(NativeFormat.encode([block!]).equals(bytes)).toBe(true);

    // CAST(NULL ...) leaves the enum's default (1) under the NULL where other paths leave 0 (checked above):
    // the slot is not canonical, and the value 1 is read as null all the same.
    const [cast] = await NativeFormat.decode(await native("SELECT CAST(NULL AS Nullable(Enum8('a' = 1))) AS e"));
    expect(cast!.columns[0]!.values).toEqual([null]);

    const empty = await native('SELECT toUInt8(1) AS x, [1] AS y WHERE 0');
    const blocks = await NativeFormat.decode(empty);
    expect(NativeFormat.encode(blocks).equals(empty)).toBe(true);
  });
});

describe('the server reads what we write', () => {
  async function serverRows(block: Block): Promise<unknown[]> {
    const path = tempFile('native');
    writeFileSync(path, NativeFormat.encode([block]));
    const out = await text(
      `SELECT * FROM file('${path}', 'Native') SETTINGS session_timezone = 'UTC', output_format_json_quote_64bit_integers = 1`,
    );
    return out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as unknown);
  }

  it('numbers, from TypedArrays and from plain arrays', async () => {
    const rows = await serverRows({
      rows: 3,
      columns: [
        { name: 'u8', type: 'UInt8', values: new Uint8Array([0, 255, 7]) },
        { name: 'u8b', type: 'UInt8', values: [true, false, 200n] },
        { name: 'i16', type: 'Int16', values: [-32768, 32767, 0] },
        { name: 'u32', type: 'UInt32', values: new Uint16Array([1, 65535, 3]) },
        { name: 'i32', type: 'Int32', values: [-2147483648, 2147483647, -1] },
        { name: 'u64', type: 'UInt64', values: [0, '18446744073709551615', 9007199254740991] },
        { name: 'i64', type: 'Int64', values: [-9223372036854775808n, -1, '9223372036854775807'] },
        { name: 'i64t', type: 'Int64', values: new BigInt64Array([-5n, 0n, 5n]) },
        { name: 'f32', type: 'Float32', values: [1.5, -0.25, 3.4028234663852886e38] },
        { name: 'f64', type: 'Float64', values: new Float64Array([Math.PI, -1e300, 5e-324]) },
      ],
    });
    expect(rows).toEqual([
      {
        u8: 0,
        u8b: 1,
        i16: -32768,
        u32: 1,
        i32: -2147483648,
        u64: '0',
        i64: '-9223372036854775808',
        i64t: '-5',
        f32: 1.5,
        f64: Math.PI,
      },
      {
        u8: 255,
        u8b: 0,
        i16: 32767,
        u32: 65535,
        i32: 2147483647,
        u64: '18446744073709551615',
        i64: '-1',
        i64t: '0',
        f32: -0.25,
        f64: -1e300,
      },
      {
        u8: 7,
        u8b: 200,
        i16: 0,
        u32: 3,
        i32: -1,
        u64: '9007199254740991',
        i64: '9223372036854775807',
        i64t: '5',
        f32: 3.4028235e38,
        f64: 5e-324,
      },
    ]);
  });

  it('strings, fixed strings, UUIDs, enums', async () => {
    const rows = await serverRows({
      rows: 3,
      columns: [
        { name: 's', type: 'String', values: ['', 'héllo "quoted"', Buffer.from('raw')] },
        { name: 'fs', type: 'FixedString(4)', values: ['ab', Buffer.from([0x61, 0x62, 0x63, 0x64]), ''] },
        {
          name: 'u',
          type: 'UUID',
          values: [
            '61f0c404-5cb3-11e7-907b-a6006ad3dba0',
            '00000000-0000-0000-0000-000000000001',
            'A6006AD3-DBA0-4000-8000-000000000000',
          ],
        },
        { name: 'e', type: ENUM8, values: ['a', "b'c", 127] },
        { name: 'e16', type: ENUM16, values: ['x', 1000, 'z'] },
      ],
    });
    expect(rows).toEqual([
      { s: '', fs: 'ab\u0000\u0000', u: '61f0c404-5cb3-11e7-907b-a6006ad3dba0', e: 'a', e16: 'x' },
      { s: 'héllo "quoted"', fs: 'abcd', u: '00000000-0000-0000-0000-000000000001', e: "b'c", e16: 'y' },
      { s: 'raw', fs: '\u0000\u0000\u0000\u0000', u: 'a6006ad3-dba0-4000-8000-000000000000', e: 'd', e16: 'z' },
    ]);
  });

  it('dates and date-times, in UTC and in a zone', async () => {
    const rows = await serverRows({
      rows: 4,
      columns: [
        {
          name: 'd',
          type: 'Date',
          values: ['1970-01-01', new Date(Date.UTC(2024, 1, 29, 23, 59)), 19000, '2149-06-06'],
        },
        {
          name: 'dt',
          type: 'DateTime',
          values: [
            '2024-03-01 12:34:56',
            '2024-03-01T12:34:56.999+02:00',
            new Date(Date.UTC(2106, 1, 7, 6, 28, 15)),
            86400,
          ],
        },
        {
          name: 'tokyo',
          type: "DateTime('Asia/Tokyo')",
          values: ['2024-03-01 09:00:00', '2024-03-01T00:00:00Z', new Date(0), '2000-01-01'],
        },
        {
          name: 'berlin',
          type: "DateTime('Europe/Berlin')",
          values: ['2021-10-31 02:30:00', '2021-03-28 02:30:00', '2021-07-01 12:00', 0],
        },
      ],
    });
    expect(rows).toEqual([
      { d: '1970-01-01', dt: '2024-03-01 12:34:56', tokyo: '2024-03-01 09:00:00', berlin: '2021-10-31 02:30:00' },
      { d: '2024-02-29', dt: '2024-03-01 10:34:56', tokyo: '2024-03-01 09:00:00', berlin: '2021-03-28 01:30:00' },
      { d: '2022-01-08', dt: '2106-02-07 06:28:15', tokyo: '1970-01-01 09:00:00', berlin: '2021-07-01 12:00:00' },
      { d: '2149-06-06', dt: '1970-01-02 00:00:00', tokyo: '2000-01-01 00:00:00', berlin: '1970-01-01 01:00:00' },
    ]);
  });

  it('nullables and arrays', async () => {
    const rows = await serverRows({
      rows: 3,
      columns: [
        { name: 'ns', type: 'Nullable(String)', values: ['a', null, ''] },
        { name: 'ne', type: `Nullable(${ENUM8})`, values: [null, 'e f', 'a'] },
        { name: 'nf', type: 'Nullable(FixedString(2))', values: [null, 'xy', null] },
        { name: 'au', type: 'Array(UInt8)', values: [new Uint8Array([1, 2]), [], [3]] },
        { name: 'ans', type: 'Array(Nullable(String))', values: [['a', null], [], [null]] },
        { name: 'aa', type: 'Array(Array(UInt8))', values: [[[1], []], [], [[2, 3]]] },
        { name: 'adt', type: "Array(DateTime('Asia/Tokyo'))", values: [['2024-01-01 00:00:00'], [], [new Date(0)]] },
        { name: 'auuid', type: 'Array(UUID)', values: [['61f0c404-5cb3-11e7-907b-a6006ad3dba0'], [], []] },
        { name: 'ai64', type: 'Array(Int64)', values: [new BigInt64Array([1n, -1n]), [2, '3'], []] },
      ],
    });
    expect(rows).toEqual([
      {
        ns: 'a',
        ne: null,
        nf: null,
        au: [1, 2],
        ans: ['a', null],
        aa: [[1], []],
        adt: ['2024-01-01 00:00:00'],
        auuid: ['61f0c404-5cb3-11e7-907b-a6006ad3dba0'],
        ai64: ['1', '-1'],
      },
      { ns: null, ne: 'e f', nf: 'xy', au: [], ans: [], aa: [], adt: [], auuid: [], ai64: ['2', '3'] },
      {
        ns: '',
        ne: 'a',
        nf: null,
        au: [3],
        ans: [null],
        aa: [[2, 3]],
        adt: ['1970-01-01 09:00:00'],
        auuid: [],
        ai64: [],
      },
    ]);
  });
});

describe('wall-clock strings in a zone match ClickHouse', () => {
  const WALL_CLOCK = [
    '2021-03-28 01:59:59',
    '2021-03-28 02:00:00',
    '2021-03-28 02:30:00',
    '2021-03-28 03:00:00',
    '2021-10-31 01:59:59',
    '2021-10-31 02:00:00',
    '2021-10-31 02:30:00',
    '2021-10-31 03:00:00',
    '2021-03-14 02:30:00',
    '2021-11-07 01:30:00',
    '2021-04-04 02:30:00',
    '2021-10-03 02:30:00',
    '1970-01-01 12:00:00',
    '2038-01-19 03:14:08',
    '2100-06-15 12:00:00',
  ];

  it.each([
    'UTC',
    'Europe/Berlin',
    'America/New_York',
    'Australia/Lord_Howe',
    'Asia/Kolkata',
    'America/St_Johns',
    'Asia/Tokyo',
  ])('%s', async (zone) => {
    const type = `DateTime('${zone}')`;
    const expected = JSON.parse(
      await text(
        `SELECT arrayMap(s -> toUnixTimestamp(toDateTime(s, '${zone}')), [${WALL_CLOCK.map((s) => `'${s}'`).join(', ')}]) AS t`,
        'JSONCompactEachRow',
      ),
    ) as [number[]];
    const column = { name: 't', type, values: WALL_CLOCK };
    const [block] = await NativeFormat.decode(NativeFormat.encode([{ rows: WALL_CLOCK.length, columns: [column] }]));
    const ours = Array.from(block!.columns[0]!.values as Date[], (d) => d.getTime() / 1000);
    expect(ours).toEqual(expected[0]!.map(Number));
  });
});
