/**
 * Tier 2 functions, differential (same style as tier1.test.ts): our evaluator against the live 18.16 server where it
 * has the function, and against chdb (ClickHouse 26.7). A function joins VERIFIED in src/expressions/compile.ts
 * once its cases here pass; the last test checks that every function these cases cover is in VERIFIED.
 */
import { describe, expect, it } from 'vitest';
import { clientEval, engineEval, type Engine } from './helpers.js';
import { compileUnverified, isVerified } from '../../src/expressions/compile.js';
import { parseExpression } from '../../src/expressions/parser.js';
import type { Expr } from '../../src/expressions/ast.js';

interface Case {
  expr: string;
  type: string;
  values: string[];
  engines?: Engine[];
  checkType?: boolean;
}

const strings = ["''", "'a'", "'Hello, World'", "'ÀÉÎ straße'", "'😀 emoji'", "'  spaced  '", "'tab\\there'", "'new\\nline'", "'x,y,,z'"];
const uints = ['0', '1', '127', '128', '255'];
const ints = ['0', '1', '-1', '127', '-128'];
const numberStrings = ["'0'", "'1'", "'-1'", "'255'", "'256'", "'-129'", "'1.5'", "''", "'abc'", "' 1'", "'1e3'", "'18446744073709551615'", "'9223372036854775808'", "'-9223372036854775808'", "'4294967296'"];
const urls = ["'https://user@www.example.com:8080/a/b.html?x=1&y=%20z&x=2#frag'", "'http://example.com'", "'//cdn.example.net/p?q'", "'not a url'", "''", "'ftp://a.b/c/?'", "'https://example.com/?utm_source=s&x'", "'https://example.com/path;p?a=b'"];

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
const aroundTransitions = transitions.flatMap((t) => [t - 3601, t - 1, t, t + 1, t + 1799, t + 1800, t + 3600, t + 86399]);
/** Unix times both server versions agree on: local dates 1970-01-02 .. 2105-12-31. */
const times = [...aroundTransitions, 172800, 951782400, 951868799, 1e9, 2147483647, 4102444799, ...Array.from({ length: 40 }, () => randInt(172800, 4133894400 - 172800))].map(String);
const floats = ['0', '-0.', '1', '-1', '0.1', '-0.1', '1.55', '-1.55', '2.5', '-2.5', '0.49999999999999994', '1e300', '-1e300', '1e-300', 'inf', '-inf', 'nan', '123456.789', '-98765.4321', ...Array.from({ length: 20 }, () => String((rand() - 0.5) * 10 ** randInt(-3, 12)))];
const randUInt64s = Array.from({ length: 10 }, () => String(BigInt(randInt(0, 2 ** 32 - 1)) * 4294967296n + BigInt(randInt(0, 2 ** 32 - 1))));
const randInt64s = randUInt64s.map((u) => String(BigInt.asIntN(64, BigInt(u)) / (rand() < 0.5 ? 1n : 1000n)));
const ms64 = ['0', '1', '-1', '-999', '-1000', '-1001', '1711846800000', '1712415600000', '1712415599999', '-2208988800000', '4102444800000', ...Array.from({ length: 12 }, () => String(randInt(-2e12, 4e12)))];
const weekTimes = times.filter((t) => Number(t) >= 345600);
const zones = ['Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'UTC'];
const dayValues = ['1', '2', '3', '4', '59', '10957', '11016', '11017', '49309', ...Array.from({ length: 30 }, () => String(randInt(1, 49309)))];

const dateCases: Case[] = zones.flatMap((tz) => [
  ...['toUnixTimestamp(toStartOfMinute(x))', 'toStartOfDay(x)', 'toUInt16(toStartOfMonth(x))', 'toYYYYMM(x)', 'toYYYYMMDD(x)', 'toUnixTimestamp(x)', "toStartOfDay(x, 'Asia/Kolkata')", "toYYYYMMDD(x, 'America/New_York')"].map((expr) => ({ expr, type: `DateTime('${tz}')`, values: times })),
  // toStartOfHour: refused on days whose offset is not whole hours (Lord_Howe's standard time is +10:30).
  ...(tz === 'Australia/Lord_Howe' ? [] : [{ expr: 'toStartOfHour(x)', type: `DateTime('${tz}')`, values: times }]),
]);

/** Functions 18.16 has, checked against both engines. */
const both: Case[] = [
  // hashes
  { expr: 'sipHash64(x)', type: 'String', values: [...strings, "'12345678'", "'1234567'", "'123456789abcdefgh'", `'${'ab'.repeat(100)}'`, "unhex('FF00FE80')", ...Array.from({ length: 20 }, () => `'${Array.from({ length: randInt(0, 40) }, () => String.fromCodePoint(randInt(32, 0x4ff))).join('').replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`)] },
  { expr: 'sipHash64(x)', type: 'Nullable(String)', values: ["'a'", 'NULL', "''"] },
  // greatest, least, floor, round
  ...['greatest(x, 3)', 'least(x, 3)', 'greatest(x, -1)', 'least(-1, x)', 'greatest(x, 2.5)', 'least(x, toUInt16(300))'].map((expr) => ({ expr, type: 'Int8', values: ['0', '1', '-1', '3', '127', '-128'] })),
  ...['greatest(x, 1)', 'least(x, 1)', 'greatest(1, x)', 'least(1, x)', 'greatest(x, -0.)', 'least(x, toFloat32(0.5))'].map((expr) => ({ expr, type: 'Float64', values: floats })),
  ...['greatest(x, toUInt64(5))', 'least(x, toUInt32(7))'].map((expr) => ({ expr, type: 'UInt64', values: ['0', '5', '18446744073709551615', ...randUInt64s] })),
  ...['floor(x)', 'floor(x, 1)', 'floor(x, 2)', 'floor(x, -1)', 'floor(x, -3)', 'round(x)'].flatMap((expr) => ['Float64', 'Float32'].filter((type) => type === 'Float64' || !/floor\(x, /.test(expr)).map((type) => ({ expr, type, values: floats.filter((f) => { const v = type === 'Float32' ? Math.fround(Number(f)) : Number(f); return Math.abs(v - Math.trunc(v)) !== 0.5; }) }))),
  ...['floor(x, -1)', 'floor(x, -2)', 'floor(x)', 'floor(x, 2)', 'round(x, -1)', 'round(x, -2)', 'round(x)', 'round(x, 3)'].flatMap((expr) => [
    { expr, type: 'Int8', values: ['0', '1', '-1', '5', '-5', '15', '-15', '-25', '-27', '25', '-14'] },
    { expr, type: 'UInt8', values: ['0', '5', '15', '25', '149'] },
    { expr, type: 'Int64', values: ['0', '-15', '15', '-922337203685477580', ...randInt64s.filter((v) => v.length < 19)] },
    { expr, type: 'UInt64', values: ['0', '1844674407370955160', '5', ...randUInt64s.filter((v) => v.length < 20)] },
  ]),
  ...dateCases,
  ...['toUInt16(toStartOfMonth(x))', 'toYYYYMM(x)', 'toYYYYMMDD(x)'].map((expr) => ({ expr, type: 'Date', values: dayValues })),
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
  ...['toUInt8', 'toUInt16', 'toUInt32', 'toUInt64', 'toInt8', 'toInt16', 'toInt32', 'toInt64'].map((f) => ({ expr: `${f}(x)`, type: 'Int64', values: ['0', '1', '-1', '255', '256', '-129', '65536', '9223372036854775807', '-9223372036854775808'] })),
  // The integer OrZero/OrNull forms differ from 18.16 on overflowing text ('256' → UInt8): not verified yet.
  ...['toUInt64OrZero', 'toFloat32OrZero', 'toFloat64OrZero', 'toUInt64OrNull', 'toFloat32OrNull'].map((f) => ({ expr: `${f}(x)`, type: 'String', values: numberStrings })),
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
  ...["replaceOne(x, 'l', 'L')", "replaceAll(x, 'l', '')", "replaceAll(x, ' ', '__')"].map((expr) => ({ expr, type: 'String', values: strings })),
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
  ...['protocol(x)', "extractURLParameter(x, 'x')", "extractURLParameter(x, 'y')", "extractURLParameter(x, 'utm_source')", 'cutQueryString(x)'].map((expr) => ({ expr, type: 'String', values: urls })),
  // regexps: `.` matches a newline in match/extract/extractAll, not in replaceRegexp*
  { expr: "match(x, '^a.b$')", type: 'String', values: ["'a\\nb'", "'axb'"] },
  { expr: "extract(x, 'a(.)b')", type: 'String', values: ["'a\\nb'", "'axb'"] },
];

/** Functions 18.16 lacks (or has with other rules): chdb only. */
const modern: Case[] = [
  // toStartOfWeek: 18.16 lacks it.
  ...zones.map((tz) => ({ expr: 'toStartOfWeek(x)', type: `DateTime('${tz}')`, values: weekTimes })),
  { expr: 'toStartOfWeek(x)', type: 'Date', values: [...dayValues.filter((d) => Number(d) >= 3), '3', '9', '10', '11'] },
  { expr: "toStartOfWeek(x, 0, 'America/New_York')", type: "DateTime('Europe/Berlin')", values: weekTimes },
    // DateTime64: 18.16 lacks it.
  ...[0, 1, 3, 6, 9].map((s) => ({ expr: `toUnixTimestamp64Milli(CAST(fromUnixTimestamp64Milli(x) AS DateTime64(${s}, 'Europe/Berlin')))`, type: 'Int64', values: ms64 })),
  ...[0, 3, 6].map((s) => ({ expr: `toUnixTimestamp64Milli(CAST(x AS DateTime64(${s})))`, type: "DateTime('America/New_York')", values: times })),
  ...['fromUnixTimestamp64Milli(x)', "fromUnixTimestamp64Milli(x, 'America/New_York')", "fromUnixTimestamp64Milli(x, 'Australia/Lord_Howe')"].map((expr) => ({ expr, type: 'Int64', values: ms64 })),
  // Text differs on 18.16 (0000-00-00 for 0, Lord_Howe's half-hour transitions); the values agree (checked below).
  ...zones.flatMap((tz) => ['toStartOfMonth(x)', 'toStartOfMinute(x)'].map((expr) => ({ expr, type: `DateTime('${tz}')`, values: [...times, '172800'] }))),
  ...['toStartOfMonth(x)', 'toYYYYMMDD(x)'].map((expr) => ({ expr, type: 'Date', values: ['0', '1', '2', '30'] })),
  ...['ltrim(x)', 'rtrim(x)', 'trimBoth(x)', 'trimLeft(x)', 'trimRight(x)', 'base64Encode(x)', 'upper(base64Encode(x))'].map((expr) => ({ expr, type: 'String', values: strings })),
  { expr: 'base64Decode(x)', type: 'String', values: ["'SGVsbG8='", "''", "'YQ=='"] },
  { expr: 'tryBase64Decode(x)', type: 'String', values: ["'SGVsbG8='", "'!!'", "''"] },
  { expr: "mapKeys(map('a', x, 'b', 2))", type: 'UInt8', values: ['1'] },
  { expr: "mapValues(map('a', x, 'b', 2))", type: 'UInt8', values: ['1'] },
  { expr: "mapApply((k, v) -> (k, v * 2), map('a', x, 'b', 2))", type: 'UInt8', values: ['1', '100'] },
  ...[
    // JSONExtractString/Int/UInt/Float and JSONExtract(…, type) of values of another JSON type differ across server
    // versions; the client refuses those (and they stay out of VERIFIED for now).
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

function functionsOf(e: Expr, out = new Set<string>()): Set<string> {
  if (e.kind === 'function') {
    out.add(e.name);
    for (const a of e.args) functionsOf(a, out);
  } else if (e.kind === 'lambda') functionsOf(e.body, out);
  return out;
}

const passed = new Set<string>();

function runCases(list: Case[], defaultEngines: Engine[]): void {
  for (const c of list) {
    const engines = c.engines ?? defaultEngines;
    it(`${c.expr} over ${c.type}`, async () => {
      const ours = compileUnverified(() => clientEval(c.expr, c.type, c.values));
      for (const engine of engines) {
        const theirs = await engineEval(engine, c.expr, c.type, c.values);
        const diffs = c.values.flatMap((v, i) => (ours.rows[i] === theirs.rows[i] ? [] : [`${v}: ours ${ours.rows[i]}, ${engine} ${theirs.rows[i]}`]));
        expect(diffs, `${engine} values`).toEqual([]);
        expect(ours.rows, `${engine} values`).toEqual(theirs.rows);
        if (c.checkType !== false) expect(ours.type, `${engine} type`).toEqual(theirs.type);
      }
      for (const f of functionsOf(parseExpression(c.expr))) passed.add(f);
    });
  }
}

describe('tier 2, differential against 18.16 and 26.7', () => {
  runCases(both, ['server', 'chdb']);
});

describe('tier 2, differential against 26.7 (functions 18.16 lacks)', () => {
  runCases(modern, ['chdb']);
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

describe('VERIFIED', () => {
  it('holds every function the differential cases above cover (run with them)', () => {
    const missing = [...passed].filter((f) => !isVerified(f));
    expect(missing).toEqual([]);
  });
});
