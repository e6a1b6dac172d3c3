/**
 * Tier 1 functions and operators, differential: every case runs on our evaluator, on ClickHouse 18.16 (when it has
 * the function) and on ClickHouse 26.7, each in its own server or engine (see Engine in ./helpers.ts: the run's
 * server when it is that version). Results and result types must be equal.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { clientEval, engineEval, runDifferential, sqlString, type DifferentialCase } from './helpers.js';
import { UnsupportedExpressionError } from '../../src/errors.js';

type Case = DifferentialCase;

const strings = [
  "''",
  "'a'",
  "'Hello, World'",
  "'ÀÉÎ straße'",
  "'😀 emoji'",
  "'tab\\there'",
  "'new\\nline'",
  "'back\\\\slash'",
  "'quote\\'s'",
  "'UPPER lower 123'",
  "'\\0nul'",
  "'  spaced  '",
];
const uints = ['0', '1', '127', '128', '255'];
const ints = ['0', '1', '-1', '127', '-128'];
const u64 = ['0', '1', '18446744073709551615', '9223372036854775808', '4294967296'];
const i64 = ['0', '-1', '9223372036854775807', '-9223372036854775808', '4294967296'];
const floats = ['0', '-0.', '1.5', '-2.25', '1e300', '1e-300', '0.1', '3.4028234663852886e38', 'inf', '-inf', 'nan'];

const cases: Case[] = [
  // arithmetic and type promotion
  ...['UInt8', 'Int8'].flatMap((t) =>
    ['x + 1', 'x - 1', 'x * 300', 'x / 3', 'intDiv(x, 3)', '-x', 'x + x', 'x * -1', 'x - 200', '(x + 1) * (x - 1)'].map(
      (expr) => ({ expr, type: t, values: t === 'UInt8' ? uints : ints }),
    ),
  ),
  // modulo's result type differs between 18.16 and 26.7 (values do not): compare values only.
  ...['UInt8', 'Int8', 'Int32', 'UInt64', 'Int64'].flatMap((t) =>
    ['x % 7', 'x % 100'].map((expr) => ({ expr, type: t, values: t.startsWith('U') ? uints : ints, checkType: false })),
  ),
  ...['x + 1', 'x - 1', 'x * 3', 'x / 3', 'intDiv(x, 3)', 'x * x'].map((expr) => ({
    expr,
    type: 'UInt64',
    values: u64,
  })),
  ...['x + 1', 'x - 1', 'x * 3', 'x / 3', 'intDiv(x, 7)', '-x'].map((expr) => ({ expr, type: 'Int64', values: i64 })),
  ...['x + 1', 'x * 2', 'x / 0', '-x', 'x - 0.5'].map((expr) => ({ expr, type: 'Float64', values: floats })),
  { expr: 'x + toUInt32(1)', type: 'UInt32', values: ['0', '4294967295'] },
  { expr: 'x * toInt32(-2)', type: 'Int32', values: ['0', '2147483647', '-2147483648'] },
  { expr: 'x + toFloat32(0.5)', type: 'Float32', values: ['0', '1.5', '-3.25'] },
  // comparisons and logic
  ...[
    'x = 1',
    'x != 1',
    'x < 128',
    'x >= 127',
    'x > -1',
    'x <= 0',
    'x = 1.5',
    'x < 1e10',
    'not (x = 1)',
    'x = 1 or x = 127',
    'x > 0 and x < 200',
  ].map((expr) => ({ expr, type: 'UInt8', values: uints })),
  ...['x < 0', 'x = 9223372036854775807', 'x > 1.5', 'x = -1'].map((expr) => ({ expr, type: 'Int64', values: i64 })),
  ...['x > 1', 'x = x', 'x != x', 'x < inf'].map((expr) => ({ expr, type: 'Float64', values: floats })),
  ...["x = 'a'", "x < 'b'", "x >= ''", 'x = x'].map((expr) => ({ expr, type: 'String', values: strings })),
  { expr: 'ifNull(x, 0) = 1 or ifNull(x, 0) = 2', type: 'Nullable(UInt8)', values: ['1', 'NULL', '2'] },
  // if and CAST
  { expr: "if(x > 1, 'big', 'small')", type: 'UInt8', values: uints },
  { expr: 'if(x > 1, x, -1)', type: 'UInt8', values: uints },
  { expr: 'if(x > 1, x, 1.5)', type: 'UInt8', values: uints },
  { expr: 'if(ifNull(x, 0), 1, 0)', type: 'Nullable(UInt8)', values: ['1', 'NULL', '0'] },
  { expr: 'CAST(x AS UInt8)', type: 'Int64', values: i64 },
  { expr: 'CAST(x AS Int16)', type: 'UInt64', values: u64 },
  { expr: "CAST(x, 'String')", type: 'Float64', values: floats },
  { expr: 'CAST(x AS String)', type: 'Int64', values: i64 },
  { expr: 'CAST(x AS Float32)', type: 'Float64', values: floats.filter((f) => f !== '1e300') },
  { expr: 'CAST(x AS UInt32)', type: 'String', values: ["'0'", "'123'", "'4294967295'"] },
  { expr: 'CAST(x AS Float64)', type: 'String', values: ["'1.5'", "'-0.1'", "'1e10'", "'inf'", "'0'"] },
  { expr: 'CAST(x AS Nullable(String))', type: 'Nullable(UInt8)', values: ['1', 'NULL'] },
  { expr: 'CAST(x AS FixedString(4))', type: 'String', values: ["'ab'", "''", "'abcd'"] },
  // toString, toDate, toDateTime, time zones
  { expr: 'toString(x)', type: 'Float64', values: floats },
  { expr: 'toString(x)', type: 'Float32', values: ['0.1', '1.5', '3.4e38', '1e-7', '123456789'] },
  { expr: 'toString(x)', type: 'Int64', values: i64 },
  {
    expr: 'toString(x)',
    type: 'DateTime',
    values: ["'2024-03-31 01:30:00'", "'1970-01-01 00:00:01'", "'2038-01-19 03:14:08'"],
  },
  // 18.16 prints day 0 as 0000-00-00 and misreads the DateTime maximum: boundaries against 26.7 only.
  {
    expr: 'toString(x)',
    type: 'DateTime',
    values: ["'1970-01-01 00:00:00'", "'2106-02-07 06:28:15'"],
    engines: ['26.7'],
  },
  { expr: 'toString(x)', type: 'Date', values: ["'1970-01-01'", "'2149-06-06'"], engines: ['26.7'] },
  {
    expr: "toString(x, 'Europe/Berlin')",
    type: 'DateTime',
    values: ["'2024-03-31 00:59:59'", "'2024-03-31 01:00:00'", "'2024-10-27 00:30:00'", "'2024-10-27 01:30:00'"],
  },
  // 18.16 reads strings inside CAST(array AS Array(DateTime('tz'))) in the server zone: 26.7 only.
  {
    engines: ['26.7'],
    expr: 'toString(x)',
    type: "DateTime('America/New_York')",
    values: ["'2024-03-10 01:59:59'", "'2024-03-10 03:00:00'", "'2024-11-03 01:30:00'"],
  },
  { expr: 'toString(x)', type: 'Array(String)', values: ["['a', 'b\\'c']", '[]'] },
  { expr: 'toString(x)', type: 'Date', values: ["'2024-02-29'", "'1970-01-02'", "'2100-02-28'"] },
  { expr: 'toDate(x)', type: 'DateTime', values: ["'2024-02-29 23:59:59'", "'1970-01-02 00:00:00'"] },
  { expr: "toDate(x, 'Asia/Tokyo')", type: 'DateTime', values: ["'2024-02-29 15:00:00'", "'2024-02-29 14:59:59'"] },
  { expr: 'toDate(x)', type: 'String', values: ["'2024-02-29'", "'2000-01-01'"] },
  {
    expr: "toDateTime(x, 'Europe/Berlin')",
    type: 'String',
    values: ["'2024-03-31 02:30:00'", "'2024-10-27 02:30:00'", "'2024-06-01 12:00:00'"],
  },
  { expr: 'toDateTime(x)', type: 'Date', values: ["'2024-02-29'", "'1970-01-02'"] },
  { expr: 'toUInt32(toDateTime(x))', type: 'String', values: ["'2024-02-29 10:11:12'"] },
  {
    expr: "toUInt32(toDateTime(x, 'Australia/Lord_Howe'))",
    type: 'String',
    values: ["'2024-04-07 01:45:00'", "'2024-10-06 02:15:00'"],
  },
  // strings
  ...[
    'length(x)',
    'lower(x)',
    'upper(x)',
    "concat(x, '-', x)",
    "x || '!'",
    'empty(x)',
    'notEmpty(x)',
    'cityHash64(x)',
    'hex(x)',
    "replaceRegexpAll(x, '[aeiou]', '_')",
    "replaceRegexpAll(x, '(\\\\w+)', '<\\\\1>')",
    "replaceRegexpAll(x, '\\\\s+', ' ')",
    "replaceRegexpOne(x, 'l+', 'L')",
    'lowerUTF8(x)',
    "position(x, 'l')",
    "startsWith(x, 'H')",
    "endsWith(x, 'd')",
    'hex(substring(x, 2, 3))',
    'hex(substring(x, -3))',
    'hex(substring(x, 3))',
    'hex(substring(x, -30, 29))',
    "x LIKE '%o%'",
    "x NOT LIKE 'H_llo%'",
    "match(x, '^[A-Z]')",
    "extract(x, '(\\\\d+)')",
    "extractAll(x, '[a-z]+')",
  ].map((expr) => ({ expr, type: 'String', values: strings })),
  { expr: 'upperUTF8(x)', type: 'String', values: strings.filter((v) => !v.includes('ß')) },
  // 18.16 escapes array text differently in TSV: 26.7 only.
  ...["length(splitByChar(' ', x))", "splitByChar(' ', x)[1]", "splitByChar(' ', x)[-1]", "splitByChar(',', x)[2]"].map(
    (expr) => ({ expr, type: 'String', values: strings, checkType: false }),
  ),
  { expr: 'hex(unhex(x))', type: 'String', values: ["'48656C6C6F'", "''", "'0'", "'abc'", "'ff'"] },
  { expr: 'length(unhex(x))', type: 'String', values: ["'48656C6C6F'", "''", "'abc'"] },
  // hashes of several arguments and composite types
  { expr: "cityHash64(x, 'salt', 42)", type: 'String', values: strings },
  { expr: 'cityHash64(x)', type: 'UInt8', values: uints },
  { expr: 'cityHash64(x)', type: 'Int8', values: ints },
  { expr: 'cityHash64(x)', type: 'Int64', values: i64 },
  { expr: 'cityHash64(x)', type: 'Float64', values: floats },
  { expr: 'cityHash64(x, toFloat32(x))', type: 'Float64', values: ['0', '1.5', '-2.25'] },
  { expr: 'cityHash64(x)', type: 'Array(String)', values: ["['a', 'b']", '[]', "['']"] },
  { expr: 'cityHash64(x, [x])', type: 'Array(UInt16)', values: ['[1, 2]', '[]'] },
  { expr: "cityHash64((x, 'a'), 1)", type: 'UInt32', values: ['0', '7'] },
  { expr: 'cityHash64(x)', type: 'Date', values: ["'2024-01-01'"] },
  { expr: 'cityHash64(x)', type: 'DateTime', values: ["'2024-01-01 00:00:00'"] },
  { expr: 'cityHash64(x)', type: 'Nullable(String)', values: ["'a'", 'NULL'] },
  // arrays, tuples, subscripts
  { expr: 'x[1]', type: 'Array(String)', values: ["['a', 'b']", '[]'] },
  { expr: 'x[-1]', type: 'Array(UInt32)', values: ['[1, 2, 3]', '[]'] },
  { expr: 'x[5]', type: 'Array(Nullable(UInt8))', values: ['[1, NULL]', '[]'] },
  { expr: 'arrayMap(y -> y * 2, x)', type: 'Array(UInt8)', values: ['[1, 2, 200]', '[]'] },
  { expr: "arrayMap(y -> concat(y, '!'), x)", type: 'Array(String)', values: ["['a', '']", '[]'] },
  { expr: 'arrayMap((a, b) -> a + b, x, x)', type: 'Array(Int16)', values: ['[1, -2]', '[]'] },
  { expr: 'arrayMap(y -> y + length(x), x)', type: 'Array(UInt8)', values: ['[1, 2]', '[7]'] },
  { expr: 'arrayDistinct(x)', type: 'Array(String)', values: ["['a', 'b', 'a', '']", '[]'] },
  { expr: 'arrayDistinct(x)', type: 'Array(Nullable(UInt8))', values: ['[1, NULL, 1, 2]'], checkType: false },
  { expr: 'arrayConcat(x, [1, 2])', type: 'Array(UInt8)', values: ['[3]', '[]'] },
  { expr: 'arrayConcat(x, x)', type: 'Array(String)', values: ["['a']", '[]'] },
  { expr: '(x, 1).1', type: 'String', values: ["'a'"] },
  { expr: "tuple(x, 'b').2", type: 'UInt8', values: ['1'] },
  { expr: '[x, 1000][2]', type: 'UInt8', values: ['1'] },
  // NULL propagation
  { expr: 'x + 1', type: 'Nullable(UInt8)', values: ['1', 'NULL'] },
  { expr: "concat(x, 'z')", type: 'Nullable(String)', values: ["'a'", 'NULL'] },
  { expr: 'lower(x)', type: 'Nullable(String)', values: ["'A'", 'NULL'] },
  { expr: 'x + NULL', type: 'UInt8', values: ['1'], checkType: false },
  // misc tier 1
  // 18.16's domain() has older rules (userinfo, scheme-less hosts): 26.7 only, see the 18.16 note in the report.
  {
    engines: ['26.7'],
    expr: 'domain(x)',
    type: 'String',
    values: [
      "'http://example.com/path'",
      "'//cdn.example.net/x'",
      "'example.com'",
      "''",
      "'http://localhost/'",
      "'ftp://a.b'",
      "'not a url'",
      "'http://[::1]/x'",
      "'https://www.example.com?q=1'",
    ],
  },
  {
    expr: 'toFloat64OrNull(x)',
    type: 'String',
    values: ["'1.5'", "''", "'abc'", "'1e3'", "'-0.25'", "'inf'", "'12abc'"],
  },
  // 18.16 reads '' as 2000-01-01 and 10-digit timestamps as dates: 26.7 only.
  {
    engines: ['26.7'],
    expr: 'parseDateTimeBestEffortOrNull(x)',
    type: 'String',
    values: [
      "'2024-02-29 10:11:12'",
      "'2024-02-29T10:11:12Z'",
      "'2024-02-29T10:11:12+02:00'",
      "''",
      "'garbage'",
      "'2024-02-29'",
      "'1709201472'",
      "'Thu, 29 Feb 2024 10:11:12 GMT'",
    ],
  },
  {
    engines: ['26.7'],
    expr: "parseDateTimeBestEffortOrNull(x, 'Europe/Berlin')",
    type: 'String',
    values: ["'2024-03-31 02:30:00'", "'2024-07-01 12:00:00'"],
  },
];

// Functions 18.16 lacks: chdb only.
const modern: Case[] = [
  { expr: "map('a', x, 'b', 2)['a']", type: 'UInt8', values: uints },
  { expr: "mapContains(map('a', x), 'a')", type: 'UInt8', values: ['1'] },
  { expr: "mapContains(map(x, 1), 'zz')", type: 'String', values: ["'zz'", "'a'"] },
  { expr: "mapFilter((k, v) -> v > 1, map('a', x, 'b', 2))", type: 'UInt8', values: uints },
  { expr: "mapSort(map('b', x, 'a', 2))", type: 'UInt8', values: ['1'] },
  { expr: "mapSort((k, v) -> v, map('b', x, 'a', 2, 'c', 0))", type: 'UInt8', values: ['1', '5'] },
  { expr: "cityHash64(map('a', x, 'b', 2))", type: 'UInt8', values: ['1', '7'] },
  { expr: "map('a', x)['missing']", type: 'String', values: ["'v'"] },
  {
    expr: "JSONExtractRaw(x, 'a')",
    type: 'String',
    values: [
      '\'{"a": [1, 2.50, -0, 1e3, "s\\\\n", true, null, {"b" : 1}]}\'',
      '\'{"a":1} x\'',
      "'not json'",
      '\'{"a": 12345678901234567890123}\'',
      '\'{"b": 1}\'',
      "''",
      '\'{"a":"é😀"}\'',
      '\'{"a":1,"a":2}\'',
      '\'{"a":-0.0}\'',
    ],
  },
  { expr: 'JSONExtractRaw(x)', type: 'String', values: ["'[1, 2]'", '\' {"x" : "y" } \'', "'[1,]'"] },
  { expr: 'JSONExtractRaw(x, 2)', type: 'String', values: ["'[1, [2]]'", '\'{"a":1,"b":2}\'', "'[1]'"] },
  { expr: 'JSONExtractRaw(x, -1)', type: 'String', values: ["'[1, [2]]'", "'[]'"] },
];

describe('tier 1, differential against 18.16 and 26.7', () => {
  runDifferential(cases, ['18.16', '26.7']);
});

describe('tier 1, differential against 26.7 (functions 18.16 lacks)', () => {
  runDifferential(modern, ['26.7']);
});

describe('refused where server versions differ', () => {
  it.each([
    ['upperUTF8(x)', 'String', "'straße'"],
    ['x = 1 or isNull(x)', 'Nullable(UInt8)', '1'],
    // A Nullable condition is taken; a NULL one is refused (18.16: NULL, newer: the else branch).
    ['if(x, 1, 0)', 'Nullable(UInt8)', 'NULL'],
    ['concat(x, 1)', 'String', "'a'"],
    ['x % -7', 'UInt8', '1'],
    ["dictGet('d', 'a', x)", 'UInt64', '1'],
    ['currentUser()', 'UInt8', '1'],
  ])('%s over %s', (expr, type, value) => {
    expect(() => clientEval(expr, type, [value])).toThrow(UnsupportedExpressionError);
  });
});

describe('random inputs', () => {
  const exprs = [
    'lower(x)',
    'length(x)',
    'cityHash64(x)',
    'concat(x, x)',
    "replaceRegexpAll(x, '[0-9]', '#')",
    "cityHash64(x, length(x), 'k')",
    'upper(x)',
    'hex(x)',
  ];
  it('string functions over random unicode strings', async () => {
    const samples = fc.sample(fc.string({ unit: 'grapheme', maxLength: 12 }), { numRuns: 60, seed: 42 });
    const values = samples.map(sqlString);
    for (const expr of exprs) {
      const ours = clientEval(expr, 'String', values);
      for (const engine of ['18.16', '26.7'] as const) {
        expect(ours.rows, `${expr} on ${engine}`).toEqual((await engineEval(engine, expr, 'String', values)).rows);
      }
    }
  });
  it('string kernels over a long column: batch boundaries, repeated values, a memo that gives up, non-ASCII rows', async () => {
    // 5000 rows in one block: cityHash64 hashes strings in batches of 256 with a table of repeated values that
    // gives up after 4096 mostly-new rows; string results are interned. Repeats first (hits inside one batch and
    // across batches), then unique values with non-ASCII and byte-string rows between ASCII ones.
    const repeated = ["'page_view'", "'Sign_Up'", "''", "'é'", '\'{"k":"v1"}\''];
    const values: string[] = [];
    for (let i = 0; i < 5000; i++) {
      if (i < 700) values.push(repeated[(i * 7) % repeated.length]!);
      else if (i % 97 === 0) values.push(`'é${i}😀'`);
      else if (i % 251 === 0) values.push("unhex('FF41C3')");
      else values.push(`'{"k":"${i % 13}","n":${i}}'`);
    }
    // extract() refuses byte strings that are not UTF-8 (the whole column goes to the server): text rows only.
    const text = values.filter((v) => !v.startsWith('unhex'));
    for (const [expr, rows] of [
      ['cityHash64(x)', values],
      ['cityHash64(x, x)', values],
      ['hex(lower(x))', values],
      [`extract(x, '"k":"([^"]*)"')`, text],
      ["replaceRegexpAll(x, '[0-9]+', 'N')", text],
    ] as const) {
      const ours = clientEval(expr, 'String', rows);
      for (const engine of ['18.16', '26.7'] as const) {
        expect(ours.rows, `${expr} on ${engine}`).toEqual((await engineEval(engine, expr, 'String', rows)).rows);
      }
    }
  });
  it('arithmetic over random integers of every width', async () => {
    for (const [type, arb] of [
      ['UInt8', fc.integer({ min: 0, max: 255 })],
      ['Int16', fc.integer({ min: -32768, max: 32767 })],
      ['UInt32', fc.integer({ min: 0, max: 2 ** 32 - 1 })],
      ['Int32', fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })],
      ['Int64', fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })],
      ['UInt64', fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })],
    ] as const) {
      const values = fc.sample(arb as fc.Arbitrary<number | bigint>, { numRuns: 40, seed: 7 }).map(String);
      for (const expr of ['x + x', 'x * 3', 'x - 100', 'cityHash64(x)', 'toString(x / 7)', 'x % 13', 'x > 1000']) {
        const ours = clientEval(expr, type, values);
        const theirs = await engineEval('18.16', expr, type, values);
        expect(ours.rows, `${expr} over ${type}`).toEqual(theirs.rows);
        if (!expr.includes('%')) expect(ours.type, `${expr} over ${type}`).toEqual(theirs.type);
      }
    }
  });
  it('float formatting over random doubles', async () => {
    const values = fc
      .sample(
        fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => d === 0 || Math.abs(d) > 1e-300),
        { numRuns: 80, seed: 3 },
      )
      .map((d) => (Object.is(d, -0) ? '-0.' : String(d).replace('e+', 'e')));
    for (const expr of ['toString(x)', 'cityHash64(x)', 'toString(toFloat32(x))']) {
      const ours = clientEval(expr, 'Float64', values);
      for (const engine of ['18.16', '26.7'] as const) {
        expect(ours.rows, `${expr} on ${engine}`).toEqual((await engineEval(engine, expr, 'Float64', values)).rows);
      }
    }
  });
});
