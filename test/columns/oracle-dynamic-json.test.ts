/**
 * Dynamic and JSON in the V1 serialization (revision 54460), against ClickHouse 26.7 (chdb):
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
 * Byte-identical for top-level columns. Nested Dynamic (Array(Dynamic), Map(String, JSON), …) loses its recorded
 * type lists when rows are sliced, so there the values are compared instead of the bytes: ours decode equal, and the
 * server reads ours back to the same values.
 */
async function roundTrip(canonical: Buffer, label: string, nested = false): Promise<void> {
  const blocks = await NativeFormat.decode(canonical);
  const encoded = NativeFormat.encode(blocks);
  const values = (bs: typeof blocks) => plain(bs.map((b) => b.columns.map((c) => Array.from(c.values))));
  if (nested) {
    const ours = tempFile();
    writeFileSync(ours, encoded);
    const json = async (path: string) => (await run(`SELECT * FROM file('${path}', 'Native')`, 'JSONEachRow')).toString();
    const theirs = tempFile();
    writeFileSync(theirs, canonical);
    expect(await json(ours), `${label}: server read-back`).toBe(await json(theirs));
    expect(values(await NativeFormat.decode(encoded)), label).toEqual(values(blocks));
    return;
  }
  expect(encoded.toString('hex'), label).toBe(canonical.toString('hex'));
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
 * Values whose types JS kind alone tells (Int64, String, Bool, non-integral Float64, Array(Nullable(Int64))): inside
 * Array, Tuple and Map a Dynamic row's recorded type is not kept (rows are sliced into new arrays), so these are
 * written back by inference.
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
  ['JSON', `${DOCUMENT}::JSON`],
  ['JSON(max_dynamic_paths=2)', `${DOCUMENT}::JSON(max_dynamic_paths=2)`],
  ['JSON(max_dynamic_paths=0)', `${DOCUMENT}::JSON(max_dynamic_paths=0)`],
  ['JSON(max_dynamic_types=1)', `${DOCUMENT}::JSON(max_dynamic_types=1)`],
  ['JSON(a UInt32, b.c String, SKIP f, SKIP REGEXP \'p[0-2]\')', `${DOCUMENT}::JSON(a UInt32, b.c String, SKIP f, SKIP REGEXP 'p[0-2]')`],
  ['Nullable(JSON)', `if(rand(30) % 3 = 0, NULL, ${DOCUMENT}::Nullable(JSON))`],
  ['Array(JSON)', `[${DOCUMENT}::JSON, '{"z":1}'::JSON]`],
  ['Tuple(JSON, Dynamic)', `tuple(${DOCUMENT}::JSON, ${NATURAL})`],
  ['Map(String, JSON(max_dynamic_paths=1))', `map('k', ${DOCUMENT}::JSON(max_dynamic_paths=1))`],
  ['JSON with arrays of objects', `concat('{"o":[{"x":', toString(rand(1) % 5), '},{"y":"s"}],"n":', toString(rand(2)), '}')::JSON`],
];

describe('random Dynamic and JSON columns round-trip byte for byte (chdb)', () => {
  it.each(EXPRESSIONS)('%s', async (label, expression) => {
    for (const seed of SEEDS) {
      const sql = `SELECT ${expression.replace(/rand(64)?\((\d+)\)/g, (_m, w: string | undefined, n: string) => `rand${w ?? ''}(${n} + ${seed * 100} + number)`)} AS c FROM numbers(${ROWS})`;
      await roundTrip(await run(sql), `${label}, seed ${seed}`, /^(Array|Tuple|Map)\(.*(Dynamic|JSON)/.test(label));
    }
  });

  it('keeps the type of every Dynamic row (dynamicTypes)', async () => {
    const bytes = await run(
      "SELECT arrayJoin([CAST(toUInt8(1) AS Dynamic), CAST('a' AS Dynamic), NULL, CAST(toFloat32(1.5) AS Dynamic)]) AS c",
    );
    const [block] = await NativeFormat.decode(bytes);
    const values = block!.columns[0]!.values;
    expect(Array.from(values)).toEqual([1, 'a', null, 1.5]);
    expect(dynamicTypes(values)).toEqual(['UInt8', 'String', null, 'Float32']);
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
    const values = [1, 2.5, 'x', true, 2n ** 63n, -5n, null, [1, null, 3], ['a'], new Uint8Array([7]), dynamicValue('UInt16', 9)];
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
    for (const type of ['JSON', 'JSON(max_dynamic_paths=1)', 'JSON(a UInt8, SKIP skip)', 'JSON(max_dynamic_paths=0, b.c String)']) {
      expect(await serverReads(type, rows), type).toBe(
        await chdbMakes(`SELECT c FROM (SELECT arrayJoin(['${text.join("','")}'])::${type} AS c)`),
      );
    }
  });

  it('Array(Dynamic) and Nullable(JSON)', async () => {
    expect(await serverReads('Array(Dynamic)', [[1, 'a'], [null, 2.5]])).toBe(
      await chdbMakes(
        "SELECT c, toString(arrayMap(x -> dynamicType(x), c)) AS t FROM (SELECT arrayJoin([[CAST(toInt64(1) AS Dynamic), CAST('a' AS Dynamic)], [NULL, CAST(2.5 AS Dynamic)]]) AS c)",
      ),
    );
    expect(await serverReads('Nullable(JSON)', [{ a: 1 }, null, { b: 's' }])).toBe(
      await chdbMakes(`SELECT c FROM (SELECT arrayJoin(['{"a":1}', NULL, '{"b":"s"}'])::Nullable(JSON) AS c)`),
    );
  });

  it('decoded JSON is plain objects, lossless', async () => {
    const [block] = await NativeFormat.decode(await run(`SELECT '{"a":{"b":9007199254740993},"c":[1.5],"d":"x"}'::JSON AS j`));
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

  it('refuses other structure versions', async () => {
    await expect(decodeColumn('Dynamic', Buffer.from('0200000000000000000000', 'hex'), 1)).rejects.toThrow(/not V1/);
    await expect(decodeColumn('JSON', Buffer.from('0200000000000000', 'hex'), 1)).rejects.toThrow(/not V1/);
  });
});
