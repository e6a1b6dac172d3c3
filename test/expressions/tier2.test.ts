/**
 * Tier 2 functions, differential (same style as tier1.test.ts): our evaluator against ClickHouse 18.16 where it has
 * the function, and against ClickHouse 26.7 (live when the run's server is 26.7, else chdb in process; see Engine in
 * ./helpers.ts). A function joins VERIFIED in src/expressions/compile.ts
 * once its cases here pass; the last test checks that every function these cases cover is in VERIFIED.
 */
import { describe, expect, it } from 'vitest';
import { clientEval, engineEval, runDifferential, type DifferentialCase, type Engine, functionsOf } from './helpers.js';
import { compileUnverified, isVerified } from '../../src/expressions/compile.js';
import { parseExpression } from '../../src/expressions/parser.js';
import { UnsupportedExpressionError } from '../../src/errors.js';

type Case = DifferentialCase;

/** Tier-2 functions are tried before they are trusted; every function of a passing case is recorded. */
function runCases(list: Case[], engines: Engine[]): void {
  runDifferential(list, engines, {
    evaluate: compileUnverified,
    onPass: (c) => {
      for (const f of functionsOf(parseExpression(c.expr))) passed.add(f);
    },
  });
}

const strings = [
  "''",
  "'a'",
  "'Hello, World'",
  "'ÀÉÎ straße'",
  "'😀 emoji'",
  "'  spaced  '",
  "'tab\\there'",
  "'new\\nline'",
  "'x,y,,z'",
];
const uints = ['0', '1', '127', '128', '255'];
const ints = ['0', '1', '-1', '127', '-128'];
const numberStrings = [
  "'0'",
  "'1'",
  "'-1'",
  "'255'",
  "'256'",
  "'-129'",
  "'1.5'",
  "''",
  "'abc'",
  "' 1'",
  "'1e3'",
  "'18446744073709551615'",
  "'9223372036854775808'",
  "'-9223372036854775808'",
  "'4294967296'",
];
const urls = [
  "'https://user@www.example.com:8080/a/b.html?x=1&y=%20z&x=2#frag'",
  "'http://example.com'",
  "'//cdn.example.net/p?q'",
  "'not a url'",
  "''",
  "'ftp://a.b/c/?'",
  "'https://example.com/?utm_source=s&x'",
  "'https://example.com/path;p?a=b'",
];

/** A deterministic pseudo-random sequence (mulberry32), so a failure is reproducible. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(20261123);
const randInt = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));

/** DST transitions (UTC seconds) of 2024 and 1990 in the three zones, with the seconds around them. */
const transitions = [1711846800, 1729990800, 1710054000, 1730613600, 1712415600, 1728142200, 638326800, 654656400];
const aroundTransitions = transitions.flatMap((t) => [
  t - 3601,
  t - 1,
  t,
  t + 1,
  t + 1799,
  t + 1800,
  t + 3600,
  t + 86399,
]);
/** Unix times both server versions agree on: local dates 1970-01-02 .. 2105-12-31. */
const times = [
  ...aroundTransitions,
  172800,
  951782400,
  951868799,
  1e9,
  2147483647,
  4102444799,
  ...Array.from({ length: 40 }, () => randInt(172800, 4133894400 - 172800)),
].map(String);
const floats = [
  '0',
  '-0.',
  '1',
  '-1',
  '0.1',
  '-0.1',
  '1.55',
  '-1.55',
  '2.5',
  '-2.5',
  '0.49999999999999994',
  '1e300',
  '-1e300',
  '1e-300',
  'inf',
  '-inf',
  'nan',
  '123456.789',
  '-98765.4321',
  ...Array.from({ length: 20 }, () => String((rand() - 0.5) * 10 ** randInt(-3, 12))),
];
const randUInt64s = Array.from({ length: 10 }, () =>
  String(BigInt(randInt(0, 2 ** 32 - 1)) * 4294967296n + BigInt(randInt(0, 2 ** 32 - 1))),
);
const randInt64s = randUInt64s.map((u) => String(BigInt.asIntN(64, BigInt(u)) / (rand() < 0.5 ? 1n : 1000n)));
const ms64 = [
  '0',
  '1',
  '-1',
  '-999',
  '-1000',
  '-1001',
  '1711846800000',
  '1712415600000',
  '1712415599999',
  '-2208988800000',
  '4102444800000',
  ...Array.from({ length: 12 }, () => String(randInt(-2e12, 4e12))),
];
const weekTimes = times.filter((t) => Number(t) >= 345600);
const zones = ['Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'UTC'];
const dayValues = [
  '1',
  '2',
  '3',
  '4',
  '59',
  '10957',
  '11016',
  '11017',
  '49309',
  ...Array.from({ length: 30 }, () => String(randInt(1, 49309))),
];

const dateCases: Case[] = zones.flatMap((tz) => [
  ...[
    'toUnixTimestamp(toStartOfMinute(x))',
    'toStartOfDay(x)',
    'toUInt16(toStartOfMonth(x))',
    'toYYYYMM(x)',
    'toYYYYMMDD(x)',
    'toUnixTimestamp(x)',
    "toStartOfDay(x, 'Asia/Kolkata')",
    "toYYYYMMDD(x, 'America/New_York')",
  ].map((expr) => ({ expr, type: `DateTime('${tz}')`, values: times })),
  // toStartOfHour: refused on days whose offset is not whole hours (Lord_Howe's standard time is +10:30).
  ...(tz === 'Australia/Lord_Howe' ? [] : [{ expr: 'toStartOfHour(x)', type: `DateTime('${tz}')`, values: times }]),
]);

/** Functions 18.16 has, checked against both engines. */
const both: Case[] = [
  // hashes
  {
    expr: 'sipHash64(x)',
    type: 'String',
    values: [
      ...strings,
      "'12345678'",
      "'1234567'",
      "'123456789abcdefgh'",
      `'${'ab'.repeat(100)}'`,
      "unhex('FF00FE80')",
      ...Array.from(
        { length: 20 },
        () =>
          `'${Array.from({ length: randInt(0, 40) }, () => String.fromCodePoint(randInt(32, 0x4ff)))
            .join('')
            .replace(/\\/g, '\\\\')
            .replace(/'/g, "\\'")}'`,
      ),
    ],
  },
  { expr: 'sipHash64(x)', type: 'Nullable(String)', values: ["'a'", 'NULL', "''"] },
  // greatest, least, floor, round
  ...[
    'greatest(x, 3)',
    'least(x, 3)',
    'greatest(x, -1)',
    'least(-1, x)',
    'greatest(x, 2.5)',
    'least(x, toUInt16(300))',
  ].map((expr) => ({ expr, type: 'Int8', values: ['0', '1', '-1', '3', '127', '-128'] })),
  ...[
    'greatest(x, 1)',
    'least(x, 1)',
    'greatest(1, x)',
    'least(1, x)',
    'greatest(x, -0.)',
    'least(x, toFloat32(0.5))',
  ].map((expr) => ({ expr, type: 'Float64', values: floats })),
  ...['greatest(x, toUInt64(5))', 'least(x, toUInt32(7))'].map((expr) => ({
    expr,
    type: 'UInt64',
    values: ['0', '5', '18446744073709551615', ...randUInt64s],
  })),
  ...['floor(x)', 'floor(x, 1)', 'floor(x, 2)', 'floor(x, -1)', 'floor(x, -3)', 'round(x)'].flatMap((expr) =>
    ['Float64', 'Float32']
      .filter((type) => type === 'Float64' || !/floor\(x, /.test(expr))
      .map((type) => ({
        expr,
        type,
        values: floats.filter((f) => {
          const v = type === 'Float32' ? Math.fround(Number(f)) : Number(f);
          return Math.abs(v - Math.trunc(v)) !== 0.5;
        }),
      })),
  ),
  ...[
    'floor(x, -1)',
    'floor(x, -2)',
    'floor(x)',
    'floor(x, 2)',
    'round(x, -1)',
    'round(x, -2)',
    'round(x)',
    'round(x, 3)',
  ].flatMap((expr) => [
    { expr, type: 'Int8', values: ['0', '1', '-1', '5', '-5', '15', '-15', '-25', '-27', '25', '-14'] },
    { expr, type: 'UInt8', values: ['0', '5', '15', '25', '149'] },
    {
      expr,
      type: 'Int64',
      values: ['0', '-15', '15', '-922337203685477580', ...randInt64s.filter((v) => v.length < 19)],
    },
    { expr, type: 'UInt64', values: ['0', '1844674407370955160', '5', ...randUInt64s.filter((v) => v.length < 20)] },
  ]),
  ...dateCases,
  ...['toUInt16(toStartOfMonth(x))', 'toYYYYMM(x)', 'toYYYYMMDD(x)'].map((expr) => ({
    expr,
    type: 'Date',
    values: dayValues,
  })),
  { expr: 'toStartOfMinute(x)', type: "DateTime('Europe/Berlin')", values: times },
  { expr: 'toStartOfMonth(x)', type: "DateTime('America/New_York')", values: times.filter((t) => Number(t) > 5e6) },
  // conditionals and NULL
  { expr: "multiIf(x > 200, 'big', x > 100, 'mid', 'small')", type: 'UInt8', values: uints },
  { expr: 'multiIf(x = 0, 1, x = 1, -1, 1000)', type: 'UInt8', values: uints },
  { expr: 'coalesce(x, 42)', type: 'Nullable(UInt8)', values: ['1', 'NULL'] },
  { expr: "coalesce(x, 'd')", type: 'Nullable(String)', values: ["'a'", 'NULL'] },
  { expr: 'isNull(x)', type: 'Nullable(UInt8)', values: ['1', 'NULL'] },
  { expr: 'isNotNull(x)', type: 'Nullable(String)', values: ["'a'", 'NULL'] },
  { expr: 'isNull(x)', type: 'UInt8', values: ['1'] },
  { expr: 'x IN (1, 2, 255)', type: 'UInt8', values: uints },
  { expr: "x IN ('a', '')", type: 'String', values: strings },
  { expr: 'x NOT IN (1, 2)', type: 'UInt8', values: uints },
  { expr: 'x > 1 ? 10 : 20', type: 'UInt8', values: uints },
  { expr: 'xor(x > 1, x < 200)', type: 'UInt8', values: uints },
  // conversions
  ...['toUInt8', 'toUInt16', 'toUInt32', 'toUInt64', 'toInt8', 'toInt16', 'toInt32', 'toInt64'].map((f) => ({
    expr: `${f}(x)`,
    type: 'Int64',
    values: ['0', '1', '-1', '255', '256', '-129', '65536', '9223372036854775807', '-9223372036854775808'],
  })),
  // The integer OrZero/OrNull forms over edge and random text: see "integer OrZero/OrNull" below.
  ...['toUInt64OrZero', 'toFloat32OrZero', 'toFloat64OrZero', 'toUInt64OrNull', 'toFloat32OrNull'].map((f) => ({
    expr: `${f}(x)`,
    type: 'String',
    values: numberStrings,
  })),
  { expr: 'toFloat64(x)', type: 'Int64', values: ['0', '-1', '9223372036854775807'] },
  { expr: 'toFloat32(x)', type: 'Float64', values: ['0.1', '1e300', '-2.5'] },
  { expr: 'toInt32(x)', type: 'Float64', values: ['1.9', '-1.9', '0'] },
  { expr: 'toUInt8(x)', type: 'String', values: ["'1'", "'255'"] },
  { expr: 'toNullable(x)', type: 'UInt8', values: ['1'] },
  { expr: 'assumeNotNull(x)', type: 'Nullable(UInt8)', values: ['1', '7'] },
  // arithmetic
  { expr: 'abs(x)', type: 'Int8', values: ints },
  { expr: 'abs(x)', type: 'Int64', values: ['-9223372036854775808', '-1', '5'] },
  { expr: 'abs(x)', type: 'Float64', values: ['-1.5', '0', '-0.', 'inf', '-inf'] },
  // strings
  ...["replaceOne(x, 'l', 'L')", "replaceAll(x, 'l', '')", "replaceAll(x, ' ', '__')"].map((expr) => ({
    expr,
    type: 'String',
    values: strings,
  })),
  // arrays
  { expr: 'arraySum(x)', type: 'Array(UInt8)', values: ['[1, 2, 255]', '[]'] },
  { expr: 'arraySum(x)', type: 'Array(Int32)', values: ['[1, -2, 2147483647]', '[]'] },
  { expr: 'arraySum(x)', type: 'Array(Float64)', values: ['[0.1, 0.2]', '[]'] },
  { expr: 'arraySort(x)', type: 'Array(String)', values: ["['b', 'a', '', 'B']", '[]'] },
  { expr: 'arraySort(x)', type: 'Array(Int16)', values: ['[3, -1, 2]', '[]'] },
  { expr: 'arraySort(x)', type: 'Array(Float64)', values: ['[3, nan, -inf, 0.5]'] },
  { expr: 'arrayFilter(y -> y > 1, x)', type: 'Array(UInt8)', values: ['[1, 2, 3]', '[]'] },
  { expr: "arrayFilter(y -> y != '', x)", type: 'Array(String)', values: ["['a', '', 'b']"] },
  { expr: 'arrayExists(y -> y > 2, x)', type: 'Array(UInt8)', values: ['[1, 2, 3]', '[]', '[1]'] },
  { expr: 'arrayAll(y -> y > 0, x)', type: 'Array(UInt8)', values: ['[1, 2, 3]', '[]', '[0]'] },
  { expr: 'arrayCount(y -> y > 1, x)', type: 'Array(UInt8)', values: ['[1, 2, 3]', '[]'] },
  { expr: 'has(x, 2)', type: 'Array(UInt8)', values: ['[1, 2]', '[]'] },
  { expr: "has(x, 'a')", type: 'Array(String)', values: ["['a']", "['b']", '[]'] },
  { expr: 'indexOf(x, 3)', type: 'Array(Int32)', values: ['[1, 3, 3]', '[]'] },
  { expr: "indexOf(x, 'b')", type: 'Array(String)', values: ["['a', 'b']", '[]'] },
  // urls
  { expr: 'path(x)', type: 'String', values: urls.filter((u) => u.includes('//')) },
  ...[
    'protocol(x)',
    "extractURLParameter(x, 'x')",
    "extractURLParameter(x, 'y')",
    "extractURLParameter(x, 'utm_source')",
    'cutQueryString(x)',
  ].map((expr) => ({ expr, type: 'String', values: urls })),
  // regexps: `.` matches a newline in match/extract/extractAll, not in replaceRegexp*
  { expr: "match(x, '^a.b$')", type: 'String', values: ["'a\\nb'", "'axb'"] },
  { expr: "extract(x, 'a(.)b')", type: 'String', values: ["'a\\nb'", "'axb'"] },
];

/** Functions 18.16 lacks (or has with other rules): chdb only. */
const modern: Case[] = [
  // toStartOfWeek: 18.16 lacks it.
  ...zones.map((tz) => ({ expr: 'toStartOfWeek(x)', type: `DateTime('${tz}')`, values: weekTimes })),
  {
    expr: 'toStartOfWeek(x)',
    type: 'Date',
    values: [...dayValues.filter((d) => Number(d) >= 3), '3', '9', '10', '11'],
  },
  { expr: "toStartOfWeek(x, 0, 'America/New_York')", type: "DateTime('Europe/Berlin')", values: weekTimes },
  // DateTime64: 18.16 lacks it.
  ...[0, 1, 3, 6, 9].map((s) => ({
    expr: `toUnixTimestamp64Milli(CAST(fromUnixTimestamp64Milli(x) AS DateTime64(${s}, 'Europe/Berlin')))`,
    type: 'Int64',
    values: ms64,
  })),
  ...[0, 3, 6].map((s) => ({
    expr: `toUnixTimestamp64Milli(CAST(x AS DateTime64(${s})))`,
    type: "DateTime('America/New_York')",
    values: times,
  })),
  ...[
    'fromUnixTimestamp64Milli(x)',
    "fromUnixTimestamp64Milli(x, 'America/New_York')",
    "fromUnixTimestamp64Milli(x, 'Australia/Lord_Howe')",
  ].map((expr) => ({ expr, type: 'Int64', values: ms64 })),
  // Text differs on 18.16 (0000-00-00 for 0, Lord_Howe's half-hour transitions); the values agree (checked below).
  ...zones.flatMap((tz) =>
    ['toStartOfMonth(x)', 'toStartOfMinute(x)'].map((expr) => ({
      expr,
      type: `DateTime('${tz}')`,
      values: [...times, '172800'],
    })),
  ),
  ...['toStartOfMonth(x)', 'toYYYYMMDD(x)'].map((expr) => ({ expr, type: 'Date', values: ['0', '1', '2', '30'] })),
  ...[
    'ltrim(x)',
    'rtrim(x)',
    'trimBoth(x)',
    'trimLeft(x)',
    'trimRight(x)',
    'base64Encode(x)',
    'upper(base64Encode(x))',
  ].map((expr) => ({ expr, type: 'String', values: strings })),
  { expr: 'base64Decode(x)', type: 'String', values: ["'SGVsbG8='", "''", "'YQ=='"] },
  { expr: 'tryBase64Decode(x)', type: 'String', values: ["'SGVsbG8='", "'!!'", "''"] },
  { expr: "mapKeys(map('a', x, 'b', 2))", type: 'UInt8', values: ['1'] },
  { expr: "mapValues(map('a', x, 'b', 2))", type: 'UInt8', values: ['1'] },
  { expr: "mapApply((k, v) -> (k, v * 2), map('a', x, 'b', 2))", type: 'UInt8', values: ['1', '100'] },
  ...[
    // JSONExtractString/Int/UInt/Float and JSONExtract(…, type): see the JSONExtract family cases below.
    "JSONExtractBool(x, 'b')",
    "JSONHas(x, 'a')",
    'JSONLength(x)',
    "JSONExtractArrayRaw(x, 'arr')",
  ].map((expr) => ({
    expr,
    type: 'String',
    values: [
      '\'{"a": "x\\\\u00e9\\\\n", "n": -12, "b": true, "arr": [1, 2, 3]}\'',
      '\'{"a": 1, "n": 3.7, "b": 0, "arr": []}\'',
      "'not json'",
      "''",
      '\'{"n": 18446744073709551615, "a": null}\'',
      '\'{"n": "12", "a": "😀"}\'',
    ],
  })),
];

const passed = new Set<string>();

describe('tier 2, differential against 18.16 and 26.7', () => {
  runCases(both, ['18.16', '26.7']);
});

describe('tier 2, differential against 26.7 (functions 18.16 lacks)', () => {
  runCases(modern, ['26.7']);
});

describe('refused where server versions differ', () => {
  it.each([
    ["replaceRegexpAll(x, 'a.b', '_')", 'String', "'a'"],
    ["replaceRegexpOne(x, '^.', '_')", 'String', "'a'"],
  ])('%s over %s', (expr, type, value) => {
    expect(() => clientEval(expr, type, [value])).toThrow(/newline/);
  });
  it.each([
    ['toStartOfDay(x)', "DateTime('Asia/Tokyo')", '4294967295'],
    ['toYYYYMM(x)', "DateTime('America/New_York')", '0'],
    ['toStartOfMonth(x)', 'Date', '65535'],
    ['toStartOfHour(x)', "DateTime('Australia/Lord_Howe')", '1712415600'],
    ['toStartOfWeek(x)', 'Date', '1'],
    ['toUnixTimestamp(x)', 'Date', '1'],
    ['toStartOfDay(x)', 'Date', '1'],
    ['round(x)', 'Float64', '2.5'],
    ['floor(x, 1)', 'Float32', '1.5'],
    ['round(x, 1)', 'Float64', '1.25'],
    ['round(x, -1)', 'Int8', '125'],
    ['floor(x, -1)', 'Int8', '-128'],
    ['round(x, -2)', 'UInt64', '18446744073709551609'],
    ['greatest(x, 1, 2)', 'UInt8', '1'],
  ])('%s over %s (%s): the server versions differ', (expr, type, value) => {
    expect(() => clientEval(expr, type, [value])).toThrow(/server|not supported|takes/);
  });
});

// ---- JSONExtract family (26.7 only: 18.16 has none of them) ---------------------------------------------------

/** JSON documents as SQL literals: valid, malformed, nested, unicode escapes, big and fractional numbers. */
const jsonDocs = [
  '{"a": "x\\\\u00e9\\\\n", "n": -12, "b": true, "arr": [1, 2, 3]}',
  '{"a": 1, "n": 3.7, "b": 0, "arr": []}',
  'not json',
  '',
  '{"n": 18446744073709551615, "a": null}',
  '{"n": 18446744073709551616}',
  '{"n": -9223372036854775808, "a": "\\\\ud83d\\\\ude00"}',
  '{"n": -9223372036854775809}',
  '{"n": "12", "a": "😀"}',
  '{"n": 1e3, "f": 1.5e-7, "a": ["x", {"y": 2}]}',
  '{"n": true, "f": false, "a": {"b": {"c": "deep", "n": 7}}}',
  '{"n": 2.9999999999999996, "f": -0.0, "a": "tab\\\\tq\\\\""}',
  '{"n": 1.8446744073709552e19, "f": 123456789012345678901234567890}',
  '{"n": -1.5, "f": 1e400}',
  '[1, "two", 3.5, true, null, {"a": 1}]',
  '{"a": 1, "a": 2}',
  '{"a": "x"} trailing',
  '{"a": "bad \\\\x escape"}',
  '{"a": "lone \\\\ud800"}',
  "{'a': 1}",
  '{"n": 01}',
  '{"n": 1.}',
  '{"n": 4294967296, "f": 255, "a": 256}',
  '{"n": -129, "f": 128, "a": 65535}',
  '  {"n" : 5 }  ',
  '"just a string"',
  '42',
  '{"n": null}',
  '{"n": 9223372036854775807, "f": 9223372036854775808}',
  '{"n": -0, "f": -0.0, "a": 1E5}',
  '{"n": 300.5, "f": -128.9, "a": 1e19}',
  '{"n": 1e+2, "f": 0.1000000000000000055511151231257827, "a": 12345678901234567890e0}',
  '{"n": 5e-324, "f": 1.7976931348623157e308, "a": -1e19}',
  '{"n": 65535.99, "f": 4294967295.5, "a": -2147483648.7}',
  '['.repeat(1000) + ']'.repeat(1000),
  '{"a":' + '['.repeat(1030) + ']'.repeat(1030) + '}',
  '{"a": 1,}',
  '{"a": [1, 2,]}',
  '{"a": tru}',
  '{"a": nul}',
  '{"a": "\\\\u0000x"}',
  '{"a": +1}',
  '{"a": .5}',
  '{"a": 1e}',
  '{"a": 0x10}',
  '{"a": NaN}',
  '{"\\\\u0061": 5, "a": 6}',
  '{"é": 3, "n": "é"}',
].map((d) => `'${d.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`);
const jsonPaths = [
  "'a'",
  "'n'",
  "'f'",
  "'b'",
  "'missing'",
  "'a', 'b', 'c'",
  "'a', 'b', 'n'",
  "'a', 1",
  "'a', -1",
  "'a', 2, 'y'",
  '1',
  '-1',
  '2',
  '4',
  '6',
  '0',
  '100',
  "'arr', 2",
  "'arr', -1",
  "'é'",
];
const jsonExprs = [
  ...['JSONExtractString', 'JSONExtractInt', 'JSONExtractUInt', 'JSONExtractFloat'].flatMap((f) => [
    `${f}(x)`,
    ...jsonPaths.map((p) => `${f}(x, ${p})`),
  ]),
  ...[
    'String',
    'Int64',
    'UInt64',
    'Int8',
    'UInt8',
    'Int16',
    'UInt16',
    'Int32',
    'UInt32',
    'Float64',
    'Float32',
    'Nullable(String)',
    'Nullable(Int64)',
    'Nullable(UInt8)',
    'Nullable(Float64)',
    'Array(Int64)',
    'Array(String)',
    'Array(Float64)',
    'Array(Nullable(Int64))',
    'Array(UInt8)',
  ].flatMap((t) => [
    `JSONExtract(x, '${t}')`,
    ...["'a'", "'n'", "'f'", "'arr'", "'missing'", '1', '-1', "'a', 'b', 'n'"].map(
      (p) => `JSONExtract(x, ${p}, '${t}')`,
    ),
  ]),
  ...[
    'String',
    'Int64',
    'UInt8',
    'Int8',
    'Float64',
    'Float32',
    'Nullable(Int64)',
    'Nullable(String)',
    'Array(Int64)',
  ].flatMap((t) => [
    `JSONExtractKeysAndValues(x, '${t}')`,
    `JSONExtractKeysAndValues(x, 'a', 'b', '${t}')`,
    `JSONExtractKeysAndValues(x, 'a', '${t}')`,
  ]),
];
/** The client refuses some (document, expression) pairs (a string into a number, a non-string into a String). */
function acceptedDocs(expr: string): string[] {
  // Strings nested in arrays/tuples: the harness's TSV unescaping differs from 26.7's for backslashes and NUL.
  const nested = /KeysAndValues|Array\(/.test(expr);
  return jsonDocs.filter((d) => {
    if (nested && /\\\\/.test(d)) return false;
    try {
      compileUnverified(() => clientEval(expr, 'String', [d]));
      return true;
    } catch (error) {
      if (error instanceof UnsupportedExpressionError) return false;
      throw error;
    }
  });
}
const jsonCases: Case[] = jsonExprs.map((expr) => ({ expr, type: 'String', values: acceptedDocs(expr) }));

describe('JSONExtract family, differential against 26.7', () => {
  it('covers most documents for every expression', () => {
    const few = jsonCases.filter((c) => c.values.length < 20).map((c) => `${c.expr}: ${c.values.length}`);
    expect(few).toEqual([]);
  });
  runCases(
    [
      ...jsonCases.filter((c) => c.values.length > 0),
      ...[
        "JSONExtractInt(x, 'n')",
        "JSONExtract(x, 'n', 'Nullable(Int64)')",
        "JSONExtract(x, 'n', 'Int64')",
        "JSONExtractString(x, 'a')",
      ].flatMap((expr) => [
        { expr, type: 'Nullable(String)', values: ['NULL', '\'{"n": 3, "a": "s"}\'', "'{}'", "''"] },
        { expr, type: 'LowCardinality(String)', values: ['\'{"n": 3, "a": "s"}\'', "'{}'", "''"] },
      ]),
    ],
    ['26.7'],
  );
  it.each([
    ["JSONExtractInt(x, 'n')", '\'{"n": "12"}\''],
    ["JSONExtractFloat(x, 'n')", '\'{"n": "1.5"}\''],
    ["JSONExtractString(x, 'n')", '\'{"n": 12}\''],
    ["JSONExtract(x, 'n', 'Int64')", '\'{"n": "12"}\''],
    ["JSONExtract(x, 'n', 'String')", '\'{"n": true}\''],
    ["JSONExtract(x, 'n', 'UInt128')", '\'{"n": 1}\''],
    ["JSONExtract(x, 'n', 'Bool')", '\'{"n": true}\''],
  ])('%s of %s is left to the server (it differs across versions)', (expr, doc) => {
    expect(() => clientEval(expr, 'String', [doc])).toThrow(UnsupportedExpressionError);
  });
  it('leaves LowCardinality(Nullable(String)) to the server, which rejects it', () => {
    expect(() => clientEval("JSONExtractString(x, 'a')", 'LowCardinality(Nullable(String))', ["'{}'"])).toThrow(
      UnsupportedExpressionError,
    );
  });
});

/** Hash functions over several arguments and types (src/expressions/functions/hashes.ts). */
const hashRand = rng(64);
const hashInt = (lo: number, hi: number): number => lo + Math.floor(hashRand() * (hi - lo + 1));
const sqlLit = (s: string): string =>
  `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\t/g, '\\t').replace(/\r/g, '\\r').replace(/\0/g, '\\0')}'`;
const randText = (n: number, maxCp: number): string =>
  Array.from({ length: n }, () => String.fromCodePoint(hashInt(1, maxCp))).join('');
const randHex = (n: number): string =>
  Array.from({ length: n }, () => hashInt(0, 255).toString(16).padStart(2, '0')).join('');
const hashStrings = [
  ...strings,
  "unhex('FF00FE80')",
  "unhex('C328A0A1')",
  "unhex('00')",
  "'\\0\\0\\0'",
  // every length 0..100 (the block and tail boundaries of each hash), ASCII and multi-byte
  ...Array.from({ length: 101 }, (_, n) => sqlLit(randText(n, 126))),
  ...Array.from({ length: 20 }, () => sqlLit(randText(hashInt(0, 60), 0x10ffff).replace(/[\ud800-\udfff]/g, 'x'))),
  // invalid UTF-8, and a few KB
  ...Array.from({ length: 12 }, () => `unhex('${randHex(hashInt(1, 80))}')`),
  ...[200, 1000, 4096, 5003].map((n) => sqlLit(randText(n, 0x4ff))),
];
const hashNumbers: Array<[string, string[]]> = [
  ['UInt8', ['0', '1', '127', '128', '255']],
  ['Int8', ['0', '1', '-1', '127', '-128']],
  ['UInt16', ['0', '1', '65535', '256']],
  ['Int16', ['0', '-1', '-32768', '32767']],
  ['UInt32', ['0', '1', '4294967295', '65536']],
  ['Int32', ['0', '-1', '-2147483648', '2147483647']],
  ['UInt64', ['0', '1', '18446744073709551615', ...randUInt64s.slice(0, 4)]],
  ['Int64', ['0', '-1', '-9223372036854775808', '9223372036854775807', ...randInt64s.slice(0, 4)]],
  ['Float32', ['0', '-0.', '1.5', '-1e30', 'inf', '-inf', 'nan', '0.1']],
  ['Float64', ['0', '-0.', '1.5', '-1e300', 'inf', '-inf', 'nan', '0.1']],
  ['Date', ['0', '1', '17000', '49000']],
  ['DateTime', ['0', '1', '1711846800', '4294967295']],
  ["Enum8('a' = 1, 'b' = -2)", ["'a'", "'b'"]],
  ["Enum16('a' = 1, 'b' = 1000)", ["'a'", "'b'"]],
];
/** The hash cases for one function; `hex` for a FixedString(16) result (compared as text). */
function hashCases(f: string, opts: { hex?: boolean; multi: boolean; numbers: boolean; engines: Engine[] }): Case[] {
  const w = (e: string): string => (opts.hex ? `hex(${e})` : e);
  const engines = opts.engines;
  const out: Case[] = [
    { expr: w(`${f}(x)`), type: 'String', values: hashStrings, engines },
    // 18.16's sipHash128 and murmurHash3_128 take a String only.
    {
      expr: w(`${f}(x)`),
      type: 'FixedString(5)',
      values: ["''", "'ab'", "'abcde'"],
      engines: opts.hex ? ['26.7'] : engines,
    },
    { expr: w(`${f}(x)`), type: 'Nullable(String)', values: ["'ab'", 'NULL', "''"], engines },
  ];
  if (opts.multi) {
    out.push(
      { expr: w(`${f}(x, 'b')`), type: 'String', values: hashStrings.slice(0, 40), engines },
      { expr: w(`${f}('', x, x)`), type: 'String', values: hashStrings.slice(0, 40), engines },
      {
        expr: w(`${f}(x, toString(length(x)), length(x), [x], (1, x))`),
        type: 'String',
        values: hashStrings.slice(0, 40),
        engines,
      },
      { expr: w(`${f}(x)`), type: 'Array(UInt8)', values: ['[]', '[1, 2]', '[255]'], engines },
      { expr: w(`${f}(x, 'b')`), type: 'Array(String)', values: ["['a', '']", '[]', "['😀']"], engines },
      { expr: w(`${f}(x, x)`), type: 'Array(Array(Int16))', values: ['[[1, -2], [3]]', '[[7]]'], engines },
      { expr: w(`${f}(x)`), type: 'Tuple(UInt8, String)', values: ["(1, 'a')", "(0, '')"], engines },
      { expr: w(`${f}(x)`), type: 'Nullable(UInt32)', values: ['7', 'NULL'], engines },
    );
  }
  if (opts.numbers) {
    for (const [type, values] of hashNumbers) {
      out.push({ expr: w(`${f}(x)`), type, values, engines }, { expr: w(`${f}('s', x, x)`), type, values, engines });
    }
  }
  return out;
}
const hashesBoth: Case[] = [
  ...hashCases('sipHash64', { multi: true, numbers: true, engines: ['18.16', '26.7'] }),
  ...hashCases('murmurHash3_64', { multi: true, numbers: true, engines: ['18.16', '26.7'] }),
  // 18.16: one String argument only.
  ...hashCases('sipHash128', { hex: true, multi: false, numbers: false, engines: ['18.16', '26.7'] }),
  ...hashCases('murmurHash3_128', { hex: true, multi: false, numbers: false, engines: ['18.16', '26.7'] }),
];
const hashesModern: Case[] = [
  ...hashCases('xxHash64', { multi: true, numbers: true, engines: ['26.7'] }),
  ...hashCases('farmFingerprint64', { multi: true, numbers: true, engines: ['26.7'] }),
  ...hashCases('sipHash128', { hex: true, multi: true, numbers: true, engines: ['26.7'] }).slice(3),
  ...hashCases('murmurHash3_128', { hex: true, multi: true, numbers: true, engines: ['26.7'] }).slice(3),
  { expr: 'sipHash64(x)', type: 'Map(String, UInt16)', values: ["map('a', 1, 'b', 2)", 'map()'] },
  { expr: 'hex(sipHash128(x))', type: 'Map(String, UInt16)', values: ["map('a', 1, 'b', 2)", 'map()'] },
  { expr: 'farmFingerprint64(x, 1)', type: 'String', values: ["'a'", "''"] },
  { expr: 'xxHash64(x, -1.5)', type: 'String', values: ["'a'", "''"] },
  // Bool (18.16 lacks it), IPv4 refused (not checked)
  ...['sipHash64', 'murmurHash3_64', 'xxHash64', 'farmFingerprint64', 'hex(sipHash128', 'hex(murmurHash3_128'].map(
    (f) => ({ expr: f.startsWith('hex') ? `${f}(x, x))` : `${f}(x, x)`, type: 'Bool', values: ['true', 'false'] }),
  ),
];

describe('hash functions, differential', () => {
  runCases(hashesBoth, ['18.16', '26.7']);
  runCases(hashesModern, ['26.7']);
  it.each(['sipHash128', 'murmurHash3_128'])('%s is FixedString(16)', async (f) => {
    const ours = compileUnverified(() => clientEval(`${f}(x)`, 'String', ["'a'"]));
    expect(ours.type).toBe('FixedString(16)');
    for (const engine of ['18.16', '26.7'] as const)
      expect((await engineEval(engine, `${f}(x)`, 'String', ["'a'"])).type).toBe('FixedString(16)');
  });
  // 18.16 hashes a constant number (at any position) otherwise than a column of them, and otherwise than 26.7.
  it.each([
    ['sipHash64(x, 1)', 'String', "'a'"],
    ['sipHash64(1, x)', 'String', "'a'"],
    ['murmurHash3_64(x, toDate(1))', 'String', "'a'"],
    ["sipHash64(x, (1, 'b'))", 'String', "'a'"],
  ])('%s over %s (%s): refused, the server versions differ', (expr, type, value) => {
    expect(() => compileUnverified(() => clientEval(expr, type, [value]))).toThrow(/server versions/);
  });
});

// ---- IP addresses ----------------------------------------------------------------------------------------------

const ipv4Texts = [
  '1.2.3.4',
  '0.0.0.0',
  '255.255.255.255',
  '10.0.0.1',
  '192.168.1.255',
  '127.0.0.1',
  '199.200.249.250',
  '100.10.1.0',
  ...Array.from({ length: 20 }, () => Array.from({ length: 4 }, () => randInt(0, 255)).join('.')),
];
const ipv6Texts = [
  '::1',
  '::',
  '1.2.3.4',
  '2001:db8:0:0:1:0:0:1',
  '2001:db8::',
  '1:0:1:0:1:0:1:0',
  '::ffff:1.2.3.4',
  '0:0:0:0:0:0:0:0',
  '::1.2.3.4',
  'AB::CD',
  '0001:0db8::',
  '1:2:3:4:5:6:7::',
  '::2:3:4:5:6:7:8',
  '1:2:3:4:5:6:1.2.3.4',
  '1:0:0:2:0:0:0:3',
  '1:0:0:2:0:0:3:4',
  '0:0:0:0:0:ffff:102:304',
  '0:0:0:0:0:fffe:102:304',
  '0:0:0:0:1:ffff:102:304',
  '::0.0.1.0',
  '::ffff:0.0.0.0',
  '::ffff:0:0',
  'fe80::1',
  'FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF',
  '1::',
  '::ffff',
  '0:0:0:0:0:1:0:0',
  '1:0:0:1:0:0:0:0',
  '0:0:1:0:0:1:0:0',
  '::ffff:ffff:ffff',
  '::1:0:0:0:0:0',
  '::0.0.0.0',
  '::0.0.0.1',
  '::1.0.0.0',
  '2001:DB8:85A3::8A2E:370:7334',
  '::fffe:1.2.3.4',
  '0::0',
  ...Array.from({ length: 30 }, () =>
    Array.from({ length: 8 }, () => (rand() < 0.4 ? 0 : randInt(0, 65535)).toString(16)).join(':'),
  ),
];
/** Malformed or ambiguous text the servers read differently (or reject): the client leaves it to the server. */
const badAddresses = [
  '01.2.3.4',
  '1.2.3.04',
  '256.1.1.1',
  '1.2.3',
  '1.2.3.4.5',
  '',
  ' 1.2.3.4',
  '1.2.3.4 ',
  'abc',
  '1..2.3',
  '-1.2.3.4',
  '1.2.3.4/24',
  '1.2.3.a',
];
const badIPv6 = [
  '::01.2.3.4',
  '1:2:3:4:5:6:7:8:9',
  '1:2:3:4:5:6:7:1.2.3.4',
  '12345::',
  '[::1]',
  '::ffff:1.2.3',
  'fe80::1%eth0',
  ' ::1',
  '::1 ',
  ':1::',
  '1:::2',
  '1::2:3:4:5:6:7:8',
  '00000::',
  '',
  'zz',
];
const sq = (s: string) => `'${s}'`;
const ipBoth: Case[] = [
  ...['IPv4StringToNum(x)', 'IPv4NumToString(IPv4StringToNum(x))'].map((expr) => ({
    expr,
    type: 'String',
    values: ipv4Texts.map(sq),
  })),
  {
    expr: 'IPv4NumToString(x)',
    type: 'UInt32',
    values: [
      '0',
      '1',
      '16909060',
      '4294967295',
      '2130706433',
      ...Array.from({ length: 10 }, () => String(randInt(0, 2 ** 32 - 1))),
    ],
  },
  { expr: 'IPv4StringToNum(x)', type: 'Nullable(String)', values: ['NULL', "'1.2.3.4'"] },
];
const ipModern: Case[] = [
  ...['toIPv4(x)', 'IPv4NumToString(toIPv4(x))', 'toIPv6(x)', 'toIPv6(toIPv4(x))', 'toString(toIPv4(x))'].map(
    (expr) => ({ expr, type: 'String', values: ipv4Texts.map(sq) }),
  ),
  ...['toIPv6(x)', 'toString(toIPv6(x))', '[toIPv6(x)]'].map((expr) => ({
    expr,
    type: 'String',
    values: ipv6Texts.map(sq),
  })),
  { expr: 'toIPv4(x)', type: 'UInt32', values: ['0', '1', '16909060', '4294967295'] },
  ...['toIPv4(x)', 'toIPv6(x)', 'IPv4StringToNum(x)'].map((expr) => ({
    expr,
    type: 'Nullable(String)',
    values: ['NULL', "'1.2.3.4'"],
  })),
  ...['toIPv4(x)', 'IPv4NumToString(x)', 'toIPv6(x)'].map((expr) => ({
    expr,
    type: 'IPv4',
    values: ["'1.2.3.4'", "'0.0.0.0'"],
  })),
  ...['toIPv4(x)', 'toIPv6(x)', 'IPv4NumToString(toIPv4(x))', 'toIPv6(toIPv4(x))'].flatMap((expr) =>
    ['LowCardinality(String)', 'LowCardinality(Nullable(String))'].map((type) => ({
      expr,
      type,
      values: ["'1.2.3.4'", "'0.0.0.0'"],
    })),
  ),
];

describe('IP address functions, differential', () => {
  describe('against 18.16 and 26.7', () => runCases(ipBoth, ['18.16', '26.7']));
  describe('against 26.7 (18.16 lacks toIPv4, toIPv6 and the IPv4 type)', () => runCases(ipModern, ['26.7']));
  it.each([
    ...badAddresses.flatMap((a) => ['IPv4StringToNum(x)', 'toIPv4(x)'].map((expr) => [expr, a])),
    ...badIPv6.map((a) => ['toIPv6(x)', a]),
  ])('%s of %j is left to the server', (expr, a) => {
    expect(() => clientEval(expr, 'String', [sq(a)])).toThrow(UnsupportedExpressionError);
  });
  it.each([
    ['IPv4NumToString(x)', 'UInt8'],
    ['IPv4NumToString(x)', 'UInt64'],
    ['toIPv4(x)', 'Int32'],
    ['toIPv4(x)', 'UInt64'],
    // 26.7 fails on the dictionary's default '' here.
    ['IPv4StringToNum(x)', 'LowCardinality(String)'],
  ])('%s over %s is left to the server', (expr, type) => {
    expect(() => clientEval(expr, type, [type.includes('String') ? "'1.2.3.4'" : '1'])).toThrow(
      UnsupportedExpressionError,
    );
  });
});

// ---- toDecimal32/64/128 and their OrZero/OrNull forms ------------------------------------------------------------

/** Decimal text without trailing fractional zeros: 26.7 writes 1.5 where 18.16 (and the client) write 1.50. */
function trimDecimal(text: string): string {
  return text.replace(/(-?\d+)\.(\d*?)0*(?=$|[,)\]])/g, (_, i: string, f: string) => (f ? `${i}.${f}` : i));
}
const decimalFloats = [
  ...floats.filter((f) => !/inf|nan|e300/.test(f)),
  '1.005',
  '2.675',
  '0.285',
  '1.999',
  '1.99999999',
  '-1.555',
  '123456789.123456789',
  '0.5',
  '-0.5',
  '1e-20',
  '9999999.99',
  '-9999999.99',
  '1.1',
];
const decimalInts = [
  '0',
  '1',
  '-1',
  '127',
  '-128',
  '9999999',
  '-9999999',
  '10000000',
  '999999999',
  '123456789012',
  '-9223372036854775807',
  '9223372036854775807',
];
const decimalTexts = [
  '0',
  '-0',
  '1',
  '-1',
  '1.5',
  '+1.5',
  '.5',
  '1.',
  '-0.01',
  '9999999.99',
  '-9999999.99',
  '123456.7',
  '0.000000001',
  '12345678901234567890.123',
  '99999999',
  '1.50',
  ...Array.from(
    { length: 15 },
    () => (rand() < 0.5 ? '-' : '') + String(randInt(0, 99999)) + (rand() < 0.7 ? `.${String(randInt(0, 99))}` : ''),
  ),
];
/** Inputs the client refuses (the servers disagree, or reject them with their own errors). */
const decimalRefusedTexts = [
  '1.555',
  '1.500',
  'abc',
  ' 1',
  '1 ',
  '1e3',
  '0x10',
  '1,5',
  '',
  '007',
  '99999999.99',
  '1.2.3',
  '-',
  '.',
  'nan',
  'inf',
];
const decimalExprs = [
  'toDecimal32(x, 0)',
  'toDecimal32(x, 2)',
  'toDecimal32(x, 9)',
  'toDecimal64(x, 0)',
  'toDecimal64(x, 3)',
  'toDecimal64(x, 18)',
  'toDecimal128(x, 0)',
  'toDecimal128(x, 10)',
  'toDecimal128(x, 30)',
];
function accepted(expr: string, type: string, values: string[]): string[] {
  return values.filter((v) => {
    try {
      compileUnverified(() => clientEval(expr, type, [v]));
      return true;
    } catch (error) {
      if (error instanceof UnsupportedExpressionError) return false;
      throw error;
    }
  });
}
const decimalBoth: Case[] = decimalExprs
  .flatMap((expr) => [
    { expr, type: 'Float64', values: accepted(expr, 'Float64', decimalFloats) },
    { expr, type: 'Float32', values: accepted(expr, 'Float32', decimalFloats) },
    { expr, type: 'Int64', values: accepted(expr, 'Int64', decimalInts) },
    { expr, type: 'UInt8', values: accepted(expr, 'UInt8', ['0', '1', '255']) },
    {
      expr,
      type: 'String',
      values: accepted(
        expr,
        'String',
        decimalTexts.map((t) => `'${t}'`),
      ),
    },
    { expr, type: 'Nullable(String)', values: accepted(expr, 'Nullable(String)', ["'1'", "'-0.5'"]) },
    { expr, type: 'Nullable(Float64)', values: accepted(expr, 'Nullable(Float64)', ['NULL', '1.5']) },
    { expr, type: 'Nullable(Int32)', values: ['NULL', '0'] },
  ])
  .filter((c) => c.values.length > 0);
const decimalModern: Case[] = [
  'toDecimal32OrZero(x, 2)',
  'toDecimal32OrNull(x, 2)',
  'toDecimal64OrZero(x, 4)',
  'toDecimal64OrNull(x, 0)',
  'toDecimal128OrNull(x, 10)',
  'toDecimal128OrZero(x, 3)',
].flatMap((expr) => [
  {
    expr,
    type: 'String',
    values: accepted(
      expr,
      'String',
      [...decimalTexts, ...decimalRefusedTexts, 'hello', 'x1', 'NULL', 'ABC', '$'].map((t) => `'${t}'`),
    ),
  },
  { expr, type: 'Nullable(String)', values: ['NULL', "'1'", "'zzz'"] },
]);

describe('toDecimal*, differential', () => {
  const run = (list: Case[], engines: Engine[]) => {
    for (const c of list) {
      it(`${c.expr} over ${c.type}`, async () => {
        const ours = compileUnverified(() => clientEval(c.expr, c.type, c.values));
        for (const engine of engines) {
          const theirs = await engineEval(engine, c.expr, c.type, c.values);
          const diffs = c.values.flatMap((v, i) =>
            trimDecimal(ours.rows[i]!) === trimDecimal(theirs.rows[i]!)
              ? []
              : [`${v}: ours ${ours.rows[i]}, ${engine} ${theirs.rows[i]}`],
          );
          expect(diffs, `${engine} values`).toEqual([]);
          expect(ours.type, `${engine} type`).toEqual(theirs.type);
        }
        for (const f of functionsOf(parseExpression(c.expr))) passed.add(f);
      });
    }
  };
  it('accepts most inputs', () => {
    const count = (expr: string, type: string) =>
      decimalBoth.find((c) => c.expr === expr && c.type === type)?.values.length ?? 0;
    expect(count('toDecimal32(x, 2)', 'String')).toBeGreaterThan(20);
    expect(count('toDecimal64(x, 3)', 'Float64')).toBeGreaterThan(30);
    expect(count('toDecimal64(x, 3)', 'Float32')).toBeGreaterThan(30);
    expect(count('toDecimal128(x, 30)', 'Int64')).toBeGreaterThan(5);
    expect(decimalModern.every((c) => c.values.length >= 3)).toBe(true);
  });
  describe('against 18.16 and 26.7', () => run(decimalBoth, ['18.16', '26.7']));
  describe('against 26.7 (18.16 lacks the OrZero/OrNull forms)', () => run(decimalModern, ['26.7']));
  it.each(decimalRefusedTexts.flatMap((t) => ['toDecimal32(x, 2)', 'toDecimal64(x, 1)'].map((expr) => [expr, t])))(
    '%s of %j is left to the server',
    (expr, t) => {
      expect(() => clientEval(expr, 'String', [`'${t}'`])).toThrow(UnsupportedExpressionError);
    },
  );
  it.each([
    ['toDecimal32(x, 2)', 'Float64', 'nan'],
    ['toDecimal32(x, 2)', 'Float64', 'inf'],
    ['toDecimal32(x, 2)', 'Float64', '1e10'],
    ['toDecimal32(x, 2)', 'Int64', '100000000'],
    ['toDecimal64(x, 0)', 'UInt64', '18446744073709551615'],
    ['toDecimal32(x, 10)', 'Int64', '1'],
    ['toDecimal32OrZero(x, 2)', 'Float64', '1.5'],
    ['toDecimal32(x, 2)', 'Date', '1'],
    ['toDecimal128(x, 2)', 'Float64', '1.5'],
    ['toDecimal32(x, 2)', 'Nullable(String)', 'NULL'],
  ])('%s over %s (%s) is left to the server', (expr, type, v) => {
    expect(() => clientEval(expr, type, [v])).toThrow(UnsupportedExpressionError);
  });
});

// ---- toUIntN/toIntN OrZero/OrNull over text --------------------------------------------------------------------

const intOrFunctions = ['UInt8', 'UInt16', 'UInt32', 'UInt64', 'Int8', 'Int16', 'Int32', 'Int64'].flatMap((t) => [
  `to${t}OrZero`,
  `to${t}OrNull`,
]);
const bounds = [8, 16, 32, 64]
  .flatMap((b) => [2n ** BigInt(b), 2n ** BigInt(b - 1)])
  .flatMap((v) => [v - 1n, v, v + 1n, -v - 1n, -v, -v + 1n]);
const intTexts = [
  '',
  ' 1',
  '1 ',
  '+1',
  '-0',
  '+0',
  '0',
  '1e3',
  '0x10',
  '0b1',
  '1.5',
  '1.',
  '.5',
  '-',
  '+',
  '--1',
  '+-1',
  '-+1',
  '++1',
  '-a',
  '+ 1',
  '- 1',
  '1-',
  '1+',
  'abc',
  '1a',
  '\t1',
  '1\n',
  '00012',
  '-00012',
  '0000000000000000000000000001',
  '١٢',
  '１２',
  '²',
  'inf',
  'nan',
  '1_000',
  '1,000',
  '99999999999999999999999',
  '-99999999999999999999999',
  '340282366920938463463374607431768211456',
  '18446744073709551616',
  '36893488147419103232',
  ...bounds.map(String),
  ...bounds.map((v) => (v >= 0n ? `+${v}` : `-0${-v}`)),
  ...Array.from({ length: 60 }, () =>
    Array.from({ length: randInt(0, 22) }, () => '0123456789012345678901234567890123456789+- ex.'[randInt(0, 46)]).join(
      '',
    ),
  ),
  ...Array.from({ length: 40 }, () =>
    String(
      BigInt.asIntN(64, BigInt(randInt(0, 2 ** 32 - 1)) * 4294967296n + BigInt(randInt(0, 2 ** 32 - 1))) >>
        BigInt(randInt(0, 63)),
    ),
  ),
].map((t) => `'${t.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`);

function refused(expr: string, type: string, v: string): boolean {
  try {
    compileUnverified(() => clientEval(expr, type, [v]));
    return false;
  } catch (error) {
    if (error instanceof UnsupportedExpressionError) return true;
    throw error;
  }
}

describe('integer OrZero/OrNull over text, differential against 18.16 and 26.7', () => {
  runCases(
    intOrFunctions.flatMap((f) => [
      { expr: `${f}(x)`, type: 'String', values: intTexts.filter((v) => !refused(`${f}(x)`, 'String', v)) },
      { expr: `${f}(x)`, type: 'Nullable(String)', values: ['NULL', "'1'", "''", "'-1'", "'abc'", "'127'"] },
    ]),
    ['18.16', '26.7'],
  );
  it.each(intOrFunctions)('%s: refused exactly where 18.16 and 26.7 differ', async (f) => {
    const v18 = await engineEval('18.16', `${f}(x)`, 'String', intTexts);
    const v26 = await engineEval('26.7', `${f}(x)`, 'String', intTexts);
    const wrong = intTexts.flatMap((v, i) => {
      const differ = v18.rows[i] !== v26.rows[i];
      return differ === refused(`${f}(x)`, 'String', v)
        ? []
        : [
            `${v}: ${differ ? 'differ' : 'agree'} (18.16 ${v18.rows[i]}, 26.7 ${v26.rows[i]}), ${differ ? 'accepted' : 'refused'}`,
          ];
    });
    expect(wrong).toEqual([]);
  });
  it.each(intOrFunctions.flatMap((f) => ['UInt8', 'Int64', 'Float64'].map((t) => [f, t])))(
    '%s over %s is left to the server (18.16 takes only String)',
    (f, t) => {
      expect(() => clientEval(`${f}(x)`, t!, ['1'])).toThrow(UnsupportedExpressionError);
    },
  );
});

describe('VERIFIED', () => {
  it('holds every function the differential cases above cover (run with them)', () => {
    const missing = [...passed].filter((f) => !isVerified(f));
    expect(missing).toEqual([]);
  });
});
