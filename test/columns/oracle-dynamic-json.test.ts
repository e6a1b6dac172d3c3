/**
 * Dynamic and JSON in the V1 serialization (FORMAT Native, and connections below 54473), against ClickHouse 26.7 (chdb):
 *   1. random columns made by SQL expressions (generateRandom has no Dynamic or JSON) decode and re-encode to the
 *      identical bytes, and the server reads our bytes back to its own;
 *   2. columns written from plain JS values are read by the server as the values chdb itself makes from SQL;
 *   3. byte-at-a-time streaming and truncated prefixes; invalid values name their row.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { queryAsync } from 'chdb';
import { afterAll, describe, expect, it } from 'vitest';
import { dynamicTypes, dynamicValue } from '../../src/columns/dynamic.js';
import { NativeFormat } from '../../src/columns/native-format.js';
import { InvalidValueError, ProtocolError } from '../../src/errors.js';
import { ByteReader } from '../../src/protocol/reader.js';
import { byteAtATimeReader, decodeColumn, encodeColumn, plain, readColumn } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'clickhouse-native-dynamic-json-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const tempFile = () => join(dir, `f${files++}.native`);

async function run(sql: string, format = 'Native'): Promise<Buffer> {
  return Buffer.from((await queryAsync(sql, { format })).bytes());
}

/**
 * Byte-identical, top-level and nested alike: the recorded row types of Dynamic (and JSON) columns survive the
 * slicing into Array, Tuple and Map rows (recorded.ts). The values are compared too: ours decode equal, and the
 * server reads ours back to the same values and bytes.
 */
async function roundTrip(canonical: Buffer, label: string): Promise<void> {
  const blocks = await NativeFormat.decode(canonical);
  const encoded = NativeFormat.encode(blocks);
  const values = (bs: typeof blocks) => plain(bs.map((b) => b.columns.map((c) => Array.from(c.values))));
  expect(encoded.toString('hex'), label).toBe(canonical.toString('hex'));
  expect(values(await NativeFormat.decode(encoded)), `${label}: values`).toEqual(values(blocks));
  const ours = tempFile();
  writeFileSync(ours, encoded);
  const back = await run(`SELECT * FROM file('${ours}', 'Native')`);
  expect(back.toString('hex'), `${label}: server read-back`).toBe(canonical.toString('hex'));
}

const SEEDS = [1, 2, 3, 4, 5];
const ROWS = 40;

/** A random scalar of one of several types, as Dynamic (`rand(n)` is re-seeded per seed and row). */
const SCALAR = `multiIf(rand(1) % 9 = 0, NULL,
  rand(1) % 9 = 1, CAST(toInt64(rand64(2)) AS Dynamic), rand(1) % 9 = 2, CAST(toString(rand(3)) AS Dynamic),
  rand(1) % 9 = 3, CAST(rand(4) / 7 AS Dynamic), rand(1) % 9 = 4, CAST(toUInt8(rand(5) % 256) AS Dynamic),
  rand(1) % 9 = 5, CAST([toInt32(rand(6) % 100), 5] AS Dynamic), rand(1) % 9 = 6, CAST(toDate(rand(7) % 20000) AS Dynamic),
  rand(1) % 9 = 7, CAST(map('k', toNullable(rand(8) % 3)) AS Dynamic), CAST(rand(9) % 2 = 0 AS Dynamic))`;

/**
 * Values whose types JS kind alone tells (Int64, String, Bool, non-integral Float64, Array(Nullable(Int64))): these
 * round-trip by inference as well as by the recorded types.
 */
const NATURAL = `multiIf(rand(1) % 6 = 0, NULL,
  rand(1) % 6 = 1, CAST(toInt64(rand64(2)) AS Dynamic), rand(1) % 6 = 2, CAST(toString(rand(3)) AS Dynamic),
  rand(1) % 6 = 3, CAST(rand(4) / 7 + 0.5 AS Dynamic), rand(1) % 6 = 4, CAST([toInt64(rand(5) % 9), NULL] AS Dynamic),
  CAST(toBool(rand(9) % 2) AS Dynamic))`;

/** A random JSON document with nested objects, arrays, several scalar kinds and a varying path set. */
const DOCUMENT = `concat('{', arrayStringConcat(arrayFilter(x -> x != '', [
  if(rand(1) % 2 = 0, concat('"a":', toString(rand(2) % 1000)), ''),
  if(rand(3) % 3 = 0, concat('"b":{"c":"', toString(rand(4)), '","d":', toString(rand(5) / 3), '}'), ''),
  if(rand(6) % 4 = 0, concat('"e":[', toString(rand(7) % 10), ',', toString(rand(8) % 10), ']'), ''),
  if(rand(9) % 5 = 0, '"f":true', ''),
  if(rand(10) % 3 = 1, concat('"p', toString(rand(11) % 6), '":"', toString(rand(12) % 7), '"'), ''),
  if(rand(13) % 7 = 0, '"g":{"h":{"i":[[1,2],[3]]}}', '')]), ','), '}')`;

const EXPRESSIONS: [label: string, expression: string][] = [
  ['Dynamic', SCALAR],
  ['Dynamic(max_types=2)', `CAST(${SCALAR} AS Dynamic(max_types=2))`],
  ['Dynamic(max_types=0)', `CAST(${SCALAR} AS Dynamic(max_types=0))`],
  ['Array(Dynamic)', `[${NATURAL}, NULL, CAST(toInt64(rand(20)) AS Dynamic)]`],
  ['Tuple(a Dynamic, b String)', `tuple(${NATURAL}, toString(rand(21)))::Tuple(a Dynamic, b String)`],
  ['Map(String, Dynamic)', `map('x', ${NATURAL}, 'y', CAST(toString(rand(22)) AS Dynamic))`],
  ['Array(Array(Dynamic))', `[[${NATURAL}], [${NATURAL}, NULL]]`],
  // Types JS kind does not tell (UInt8, Float32 of an integer, Date, Map, Array(Int32)): only the recorded types
  // give the same bytes.
  [
    'Array(Dynamic), any types',
    `arraySlice([${SCALAR}, CAST(toUInt8(rand(40) % 3) AS Dynamic), NULL], 1, rand(41) % 4)`,
  ],
  ['Array(Dynamic(max_types=2))', `[${SCALAR}, ${SCALAR}]::Array(Dynamic(max_types=2))`],
  ['Tuple(Dynamic, UInt8)', `tuple(${SCALAR}, toUInt8(1))`],
  [
    'Tuple(a Dynamic, b Dynamic(max_types=1))',
    `tuple(${SCALAR}, CAST(toUInt16(rand(42)) AS Dynamic))::Tuple(a Dynamic, b Dynamic(max_types=1))`,
  ],
  [
    'Map(String, Dynamic), any types',
    `mapFromArrays(arraySlice(['a', 'b', 'c'], 1, rand(43) % 4), arraySlice([${SCALAR}, CAST(toFloat32(3) AS Dynamic), NULL], 1, rand(43) % 4))`,
  ],
  ['Map(UInt8, Dynamic) with a repeated key', `map(toUInt8(1), ${SCALAR}, toUInt8(1), CAST(toInt16(-2) AS Dynamic))`],
  ['Array(Array(Dynamic)), any types', `[[${SCALAR}], []::Array(Dynamic), [${SCALAR}, CAST(toUInt32(7) AS Dynamic)]]`],
  ['Array(Tuple(Dynamic, String))', `[tuple(${SCALAR}, 'x'), tuple(CAST(toInt8(-1) AS Dynamic), 'y')]`],
  [
    'Array(Map(String, Dynamic))',
    `[map('k', ${SCALAR}), mapFromArrays([]::Array(String), []::Array(Dynamic)), map('a', CAST(toUInt64(5) AS Dynamic), 'b', NULL::Dynamic)]`,
  ],
  ['Map(String, Array(Dynamic))', `map('k', [${SCALAR}, ${SCALAR}], 'l', []::Array(Dynamic))`],
  ['Map(String, Tuple(Dynamic, Array(Dynamic)))', `map('k', tuple(${SCALAR}, [${SCALAR}]))`],
  ['Tuple(Array(Dynamic), Map(String, Dynamic))', `tuple([${SCALAR}], map('m', ${SCALAR}))`],
  ['Tuple(Tuple(Dynamic, Array(Array(Dynamic))))', `tuple(tuple(${SCALAR}, [[${SCALAR}]]))`],
  [
    'Variant(Array(Dynamic), String)',
    `if(rand(44) % 2 = 0, [${SCALAR}]::Variant(Array(Dynamic), String), 'v'::Variant(Array(Dynamic), String))`,
  ],
  ['Array(Nullable(JSON))', `[if(rand(45) % 2 = 0, NULL, ${DOCUMENT}::Nullable(JSON)), '{"q":1}'::Nullable(JSON)]`],
  ['Array(Array(JSON))', `[[${DOCUMENT}::JSON], [], ['{"z":[1,2]}'::JSON, ${DOCUMENT}::JSON]]`],
  ['Map(String, Array(JSON))', `map('k', [${DOCUMENT}::JSON], 'l', ['{"u":"v"}'::JSON])`],
  [
    'Tuple(a JSON(max_dynamic_paths=1), b Array(Dynamic))',
    `tuple(${DOCUMENT}::JSON(max_dynamic_paths=1), [${SCALAR}])::Tuple(a JSON(max_dynamic_paths=1), b Array(Dynamic))`,
  ],
  [
    'Variant(JSON, String)',
    `if(rand(46) % 2 = 0, ${DOCUMENT}::JSON::Variant(JSON, String), 's'::Variant(JSON, String))`,
  ],
  ['Dynamic holding JSON', `if(rand(47) % 2 = 0, CAST(${DOCUMENT}::JSON AS Dynamic), ${SCALAR})`],
  [
    'JSON(a Dynamic)',
    `concat('{"a":', if(rand(48) % 2 = 0, toString(rand(49) % 300), '"s"'), ',"b":', toString(rand(50) % 4), '}')::JSON(a Dynamic)`,
  ],
  ['JSON', `${DOCUMENT}::JSON`],
  ['JSON(max_dynamic_paths=2)', `${DOCUMENT}::JSON(max_dynamic_paths=2)`],
  ['JSON(max_dynamic_paths=0)', `${DOCUMENT}::JSON(max_dynamic_paths=0)`],
  ['JSON(max_dynamic_types=1)', `${DOCUMENT}::JSON(max_dynamic_types=1)`],
  [
    "JSON(a UInt32, b.c String, SKIP f, SKIP REGEXP 'p[0-2]')",
    `${DOCUMENT}::JSON(a UInt32, b.c String, SKIP f, SKIP REGEXP 'p[0-2]')`,
  ],
  ['Nullable(JSON)', `if(rand(30) % 3 = 0, NULL, ${DOCUMENT}::Nullable(JSON))`],
  ['Array(JSON)', `[${DOCUMENT}::JSON, '{"z":1}'::JSON]`],
  ['Tuple(JSON, Dynamic)', `tuple(${DOCUMENT}::JSON, ${NATURAL})`],
  ['Map(String, JSON(max_dynamic_paths=1))', `map('k', ${DOCUMENT}::JSON(max_dynamic_paths=1))`],
  [
    'JSON with arrays of objects',
    `concat('{"o":[{"x":', toString(rand(1) % 5), '},{"y":"s"}],"n":', toString(rand(2)), '}')::JSON`,
  ],
];

describe('random Dynamic and JSON columns round-trip byte for byte (chdb)', () => {
  it.each(EXPRESSIONS)('%s', async (label, expression) => {
    for (const seed of SEEDS) {
      const sql = `SELECT ${expression.replace(/rand(64)?\((\d+)\)/g, (_m, w: string | undefined, n: string) => `rand${w ?? ''}(${n} + ${seed * 100} + number)`)} AS c FROM numbers(${ROWS})`;
      await roundTrip(await run(sql), `${label}, seed ${seed}`);
    }
  });

  it('reads every Dynamic row as its type and value (dynamicTypes lists the types)', async () => {
    const bytes = await run(
      "SELECT arrayJoin([CAST(toUInt8(1) AS Dynamic), CAST('a' AS Dynamic), NULL, CAST(toFloat32(1.5) AS Dynamic)]) AS c",
    );
    const [block] = await NativeFormat.decode(bytes);
    const values = block!.columns[0]!.values;
    expect(Array.from(values)).toEqual([
      dynamicValue('UInt8', 1),
      dynamicValue('String', 'a'),
      null,
      dynamicValue('Float32', 1.5),
    ]);
    expect(dynamicTypes(values)).toEqual(['UInt8', 'String', null, 'Float32']);
  });
});

describe('Dynamic values keep their types inside composites, after the rows change', () => {
  const column = async (sql: string) => (await NativeFormat.decode(await run(sql)))[0]!.columns[0]!;
  const encode = (type: string, values: unknown[]) =>
    NativeFormat.encode([{ rows: values.length, columns: [{ name: 'c', type, values }] }]);
  const roundTrip = async (type: string, values: unknown[]) =>
    Array.from((await NativeFormat.decode(encode(type, values)))[0]!.columns[0]!.values);
  const v = dynamicValue;

  it('each Array(Dynamic) element keeps its type; reordered, mixed and changed rows write each as its own', async () => {
    const c = await column(
      'SELECT arrayJoin([[CAST(toUInt8(1) AS Dynamic), CAST(toFloat32(2) AS Dynamic)], [CAST(toInt16(-3) AS Dynamic)], [CAST(toInt16(4) AS Dynamic)]]) AS c',
    );
    const rows = Array.from(c.values) as unknown[][];
    expect(rows.map((r) => dynamicTypes(r))).toEqual([['UInt8', 'Float32'], ['Int16'], ['Int16']]);
    // Reordered and repeated rows keep each element's type.
    const back = (await roundTrip(c.type, [rows[1], rows[0], rows[1]])) as unknown[][];
    expect(back.map((r) => dynamicTypes(r))).toEqual([['Int16'], ['UInt8', 'Float32'], ['Int16']]);
    // A value the user added or put in place is inferred; the values read keep theirs.
    rows[0]!.push(5);
    rows[2]![0] = 'now a string';
    const mixed = (await roundTrip(c.type, [[7, 'x'], rows[0], rows[1], rows[2]])) as unknown[][];
    expect(mixed.map((r) => dynamicTypes(r))).toEqual([
      ['Int64', 'String'],
      ['UInt8', 'Float32', 'Int64'],
      ['Int16'],
      ['String'],
    ]);
    expect(mixed).toEqual([
      [v('Int64', 7n), v('String', 'x')],
      [v('UInt8', 1), v('Float32', 2), v('Int64', 5n)],
      [v('Int16', -3)],
      [v('String', 'now a string')],
    ]);
  });

  it('Tuple and Map rows keep their Dynamic types; new values infer', async () => {
    const sql = "SELECT tuple(CAST(toUInt16(9) AS Dynamic), 'a') AS c";
    const t = await column(sql);
    expect(t.values[0]).toEqual([v('UInt16', 9), 'a']);
    expect(encode(t.type, Array.from(t.values)).toString('hex')).toBe((await run(sql)).toString('hex'));
    expect(await roundTrip(t.type, [[9, 'a']])).toEqual([[v('Int64', 9n), 'a']]);
    const m = await column("SELECT map('a', CAST(toInt8(1) AS Dynamic), 'b', CAST(toUInt32(2) AS Dynamic)) AS c");
    const row = m.values[0] as Map<string, unknown>;
    expect(await roundTrip(m.type, [row])).toEqual([
      new Map<string, unknown>([
        ['a', v('Int8', 1)],
        ['b', v('UInt32', 2)],
      ]),
    ]);
    row.set('c', 3);
    expect(await roundTrip(m.type, [row])).toEqual([
      new Map<string, unknown>([
        ['a', v('Int8', 1)],
        ['b', v('UInt32', 2)],
        ['c', v('Int64', 3n)],
      ]),
    ]);
  });
});

/** Our encoding of `values` as `type`, read by the server and printed as JSONEachRow with types. */
async function serverReads(type: string, values: unknown[]): Promise<string> {
  const path = tempFile();
  writeFileSync(path, NativeFormat.encode([{ rows: values.length, columns: [{ name: 'c', type, values }] }]));
  const sql = /^(Dynamic|Array\(Dynamic)/.test(type)
    ? `SELECT c, toString(${type.startsWith('Array') ? 'arrayMap(x -> dynamicType(x), c)' : 'dynamicType(c)'}) AS t FROM file('${path}', 'Native')`
    : `SELECT c FROM file('${path}', 'Native')`;
  return (await run(sql, 'JSONEachRow')).toString();
}

async function chdbMakes(sql: string): Promise<string> {
  return (await run(sql, 'JSONEachRow')).toString();
}

describe('values written from JS read back as the server makes them (chdb)', () => {
  it('Dynamic: type by JS kind, and dynamicValue', async () => {
    const values = [
      1,
      2.5,
      'x',
      true,
      2n ** 63n,
      -5n,
      null,
      [1, null, 3],
      ['a'],
      new Uint8Array([7]),
      dynamicValue('UInt16', 9),
    ];
    expect(await serverReads('Dynamic', values)).toBe(
      await chdbMakes(
        `SELECT c, toString(dynamicType(c)) AS t FROM (SELECT arrayJoin([CAST(toInt64(1) AS Dynamic), CAST(2.5 AS Dynamic), CAST('x' AS Dynamic), CAST(true AS Dynamic), CAST(toUInt64('9223372036854775808') AS Dynamic), CAST(toInt64(-5) AS Dynamic), NULL, CAST([1, NULL, 3]::Array(Nullable(Int64)) AS Dynamic), CAST(['a']::Array(Nullable(String)) AS Dynamic), CAST([7]::Array(UInt8) AS Dynamic), CAST(toUInt16(9) AS Dynamic)]) AS c)`,
      ),
    );
  });

  it('Dynamic(max_types=1): the rest goes to the shared variant', async () => {
    const values = ['a', 'b', 1, 2.5, [1], null];
    expect(await serverReads('Dynamic(max_types=1)', values)).toBe(
      await chdbMakes(
        "SELECT c, toString(dynamicType(c)) AS t FROM (SELECT arrayJoin([CAST('a' AS Dynamic), CAST('b' AS Dynamic), CAST(toInt64(1) AS Dynamic), CAST(2.5 AS Dynamic), CAST([1]::Array(Nullable(Int64)) AS Dynamic), NULL]) AS c)",
      ),
    );
  });

  it('JSON: nested objects, typed paths, SKIP, max_dynamic_paths', async () => {
    const rows = [{ a: 1, b: { c: 'x', d: [1.5, 2] } }, { a: 2, e: true, skip: 1 }, {}, { b: { c: 'y' }, z: 10n }];
    const text = ['{"a":1,"b":{"c":"x","d":[1.5,2]}}', '{"a":2,"e":true,"skip":1}', '{}', '{"b":{"c":"y"},"z":10}'];
    for (const type of [
      'JSON',
      'JSON(max_dynamic_paths=1)',
      'JSON(a UInt8, SKIP skip)',
      'JSON(max_dynamic_paths=0, b.c String)',
    ]) {
      expect(await serverReads(type, rows), type).toBe(
        await chdbMakes(`SELECT c FROM (SELECT arrayJoin(['${text.join("','")}'])::${type} AS c)`),
      );
    }
  });

  it('Array(Dynamic) and Nullable(JSON)', async () => {
    expect(
      await serverReads('Array(Dynamic)', [
        [1, 'a'],
        [null, 2.5],
      ]),
    ).toBe(
      await chdbMakes(
        "SELECT c, toString(arrayMap(x -> dynamicType(x), c)) AS t FROM (SELECT arrayJoin([[CAST(toInt64(1) AS Dynamic), CAST('a' AS Dynamic)], [NULL, CAST(2.5 AS Dynamic)]]) AS c)",
      ),
    );
    expect(await serverReads('Nullable(JSON)', [{ a: 1 }, null, { b: 's' }])).toBe(
      await chdbMakes(`SELECT c FROM (SELECT arrayJoin(['{"a":1}', NULL, '{"b":"s"}'])::Nullable(JSON) AS c)`),
    );
  });

  it('decoded JSON is plain objects, lossless', async () => {
    const [block] = await NativeFormat.decode(
      await run(`SELECT '{"a":{"b":9007199254740993},"c":[1.5],"d":"x"}'::JSON AS j`),
    );
    expect(block!.columns[0]!.values[0]).toEqual({ a: { b: 9007199254740993n }, c: [1.5], d: 'x' });
  });
});

const SAMPLES: [type: string, values: unknown[]][] = [
  ['Dynamic', [1, 'a', null, 2.5, [1, 2], dynamicValue('UInt8', 3)]],
  ['Dynamic(max_types=1)', ['a', 1, [2n], null, dynamicValue('Map(String, UInt8)', { k: 1 })]],
  ['Array(Dynamic)', [[1, 'x'], [], [null]]],
  ['JSON', [{ a: 1, b: { c: 'x' } }, {}, { d: [1, 2] }]],
  ['JSON(max_dynamic_paths=1, a UInt32)', [{ a: 1, b: 'x', c: 2.5 }, { d: true }]],
];

describe.each(SAMPLES)('streaming %s', (type, values) => {
  const bytes = encodeColumn(type, values);
  const rows = values.length;

  it('decodes one byte per chunk like whole', async () => {
    const whole = plain(Array.from(await decodeColumn(type, bytes, rows)));
    expect(plain(Array.from(await readColumn(type, byteAtATimeReader(bytes), rows)))).toEqual(whole);
  });

  it('fails with a ProtocolError on every truncated prefix', async () => {
    for (let k = 0; k < bytes.length; k++) {
      const reader = ByteReader.from(bytes.subarray(0, k));
      await expect(readColumn(type, reader, rows), `prefix of ${k} bytes`).rejects.toBeInstanceOf(ProtocolError);
    }
  });
});

describe('invalid values name their row', () => {
  const cases: [type: string, values: unknown[], row: number, message: RegExp][] = [
    ['Dynamic', [1, { a: 1 }], 1, /cannot tell the type of object Object/],
    ['Dynamic', [1, undefined], 1, /undefined/],
    ['Dynamic', ['a', dynamicValue('UInt8', 300)], 1, /as UInt8/],
    ['Dynamic', [dynamicValue('Nullable(UInt8)', 1)], 0, /cannot be a type/],
    ['Dynamic', [[1, 'a']], 0, /cannot tell the type/],
    ['JSON', [{ a: 1 }, 'x'], 1, /expected a plain object/],
    ['JSON(a UInt8)', [{ a: 1 }, { a: -1 }], 1, /path "a"/],
    ['JSON', [{}, { a: new Map() }], 1, /path "a"/],
    ['Array(Dynamic)', [[1], [2, new Map()]], 1, /element 1/],
  ];
  it.each(cases)('%s %#', (type, values, row, message) => {
    let error: unknown;
    try {
      NativeFormat.encode([{ rows: values.length, columns: [{ name: 'c', type, values }] }]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidValueError);
    expect((error as InvalidValueError).row).toBe(row);
    expect((error as InvalidValueError).column).toBe('c');
    expect((error as Error).message).toMatch(message);
  });

  it('refuses structure versions other than V1 and V2 (V2 is revision 54473 and later: test/protocol/revisions.test.ts)', async () => {
    await expect(decodeColumn('Dynamic', Buffer.from('0300000000000000000000', 'hex'), 1)).rejects.toThrow(
      /neither V1 \(1\) nor V2/,
    );
    await expect(decodeColumn('JSON', Buffer.from('0100000000000000', 'hex'), 1)).rejects.toThrow(
      /neither V1 \(0\) nor V2/,
    );
    await expect(decodeColumn('JSON', Buffer.from('0300000000000000', 'hex'), 1)).rejects.toThrow(
      /neither V1 \(0\) nor V2/,
    );
  });
});
