/**
 * Functions and conversions that real schemas use (test/expressions/corpus/schemas.json), differential like
 * tier2.test.ts: our evaluator against 18.16 where it has the function, and against 26.7 always (each engine in its
 * own server: see Engine in ./helpers.ts). A function joins VERIFIED in
 * src/expressions/compile.ts once its cases here pass; the last test checks that.
 */
import { describe, expect, it } from 'vitest';
import {
  clientEval,
  decimalText,
  runDifferential,
  type DifferentialCase,
  type Engine,
  functionsOf,
} from './helpers.js';
import { compileUnverified, isVerified } from '../../src/expressions/compile.js';
import { parseExpression } from '../../src/expressions/parser.js';
import { UnsupportedExpressionError } from '../../src/errors.js';
import { delimitedField } from '../../src/expressions/functions/strings.js';
import { re2Pair } from '../../src/expressions/functions/regexp.js';

const passed = new Set<string>();
function runCases(list: DifferentialCase[], engines: Engine[]): void {
  runDifferential(list, engines, {
    evaluate: compileUnverified,
    onPass: (c) => {
      for (const f of functionsOf(parseExpression(c.expr))) passed.add(f);
    },
  });
}

const both: Engine[] = ['18.16', '26.7'];
/** Functions and types 18.16 lacks: against 26.7 only (live when it is the run's server, chdb in process otherwise). */
const modernOnly: Engine[] = ['26.7'];

const texts = [
  "''",
  "'a'",
  "'Hello'",
  "'ÄÖÜ straße'",
  "'😀 x'",
  "'INPUT_tokens'",
  "'cached_input'",
  "'Output'",
  "'in'",
  "unhex('FF41C3')",
  "unhex('E282')",
  "unhex('80808041')",
  "'a\\0b'",
];
const uuids = [
  "'00000000-0000-0000-0000-000000000000'",
  "'550e8400-e29b-41d4-a716-446655440000'",
  "'ffffffff-ffff-ffff-ffff-ffffffffffff'",
  "'0189f7a0-7c5e-7000-8000-00000000abcd'",
  "'00000000-0000-0000-0000-000000000001'",
  "'10000000-0000-0000-0000-000000000000'",
];

describe('strings', () => {
  runCases(
    [
      { expr: 'lengthUTF8(x)', type: 'String', values: texts },
      { expr: "positionCaseInsensitive(x, 'input')", type: 'String', values: texts },
      { expr: "positionCaseInsensitive(x, 'ÄÖ')", type: 'String', values: texts },
      { expr: "positionCaseInsensitive(x, '')", type: 'String', values: texts },
      { expr: "positionCaseInsensitive('some Input here', x)", type: 'String', values: texts },
      { expr: 'hex(toFixedString(x, 16))', type: 'String', values: texts.filter((t) => !t.includes('😀')) },
      { expr: "toFixedString('', 32)", type: 'String', values: ["''"] },
    ],
    both,
  );
  it('toFixedString of a string longer than N is refused (the server throws)', () => {
    expect(() => compileUnverified(() => clientEval('toFixedString(x, 2)', 'String', ["'abc'"]))).toThrow(
      UnsupportedExpressionError,
    );
  });
});

const V26_7 = { major: 26, minor: 7 };
const urls = [
  "''",
  "'http://a.b/c/d?e#f'",
  "'https://example.com'",
  "'//cdn.example.net/x.js?a'",
  "'http://a.b?x/y'",
  "'ftp://h/p#f/g'",
  "'http:///three/slashes'",
  "'https://u:p@h.com:8080/p/q?r'",
];
const schemeless = [
  "'example.com/no/scheme?z=9'",
  "'/relative/path?x#f'",
  "'#frag/x'",
  "'?q=1'",
  "'not a url'",
  "'a:b/c'",
  "'http:/x/y'",
  "'localhost:8080/p'",
];

describe('JSON values of another type as String (26.7: their raw text)', () => {
  const docs = [
    '\'{"a":1.50}\'',
    '\'{"a":null}\'',
    '\'{"a":[1, 2 ]}\'',
    '\'{"a":{ "b" : "x" }}\'',
    '\'{"a":true}\'',
    '\'{"b":1}\'',
    "'not json'",
    '\'{"a":"s"}\'',
    '\'{"a":-0}\'',
  ];
  runCases(
    [
      { expr: "JSONExtractString(x, 'a')", type: 'String', values: docs, serverVersion: V26_7 },
      { expr: "JSONExtract(x, 'a', 'String')", type: 'String', values: docs, serverVersion: V26_7 },
      { expr: "JSONExtract(x, 'a', 'Nullable(String)')", type: 'String', values: docs, serverVersion: V26_7 },
      // (assumeNotNull of a NULL is refused: the server returns whatever lies beneath it.)
      {
        expr: "assumeNotNull(coalesce(JSONExtract(x, 'a', 'Nullable(String)'), JSONExtract(x, 'b', 'Nullable(String)')))",
        type: 'String',
        values: docs.filter((d) => /"[ab]":[^n]/.test(d)),
        serverVersion: V26_7,
      },
    ],
    modernOnly,
  );
});

describe('unhex of text that is not hex (26.7: a non-hex digit counts as -1)', () => {
  runCases(
    [
      {
        expr: 'hex(unhex(x))',
        type: 'String',
        values: [
          "'zz'",
          "'4g'",
          "'abc'",
          "'41 42'",
          "'G1'",
          "'x'",
          "'0'",
          "''",
          "'4142'",
          "'FF0'",
          "'-1'",
          "'é1'",
          "unhex('80')",
        ],
        serverVersion: V26_7,
      },
    ],
    modernOnly,
  );
  it('is refused when the server version is not known', () => {
    expect(() => clientEval('unhex(x)', 'String', ["'zz'"])).toThrow(UnsupportedExpressionError);
  });
});

describe('URLs', () => {
  runCases([{ expr: 'path(x)', type: 'String', values: urls }], both);
  runCases(
    [
      { expr: 'pathFull(x)', type: 'String', values: urls },
      { expr: 'path(x)', type: 'String', values: [...urls, ...schemeless], serverVersion: V26_7 },
      { expr: 'pathFull(x)', type: 'String', values: [...urls, ...schemeless], serverVersion: V26_7 },
    ],
    modernOnly,
  );
  it('path of text without "//" is refused when the server version is not known', () => {
    expect(() => compileUnverified(() => clientEval('path(x)', 'String', ["'example.com/p'"]))).toThrow(
      UnsupportedExpressionError,
    );
  });
});

describe('regexps', () => {
  const subjects = [
    "''",
    "'a=1&b=22'",
    "'key\\=value'",
    "'x=😀=y'",
    "'😀😀 a=7'",
    '\'{"browser":"Chrome","n":1}\'',
    '\'{"browser":"😀"}\'',
    "'no match'",
  ];
  runCases(
    [
      // RE2 takes punctuation escaped; JS's unicode mode rejects \= and \": translated to the characters.
      // (Backslashes doubled in SQL: 18.16 drops the backslash of an unknown string escape, 26.7 keeps it.)
      { expr: "extract(x, 'a\\\\=(\\\\d+)')", type: 'String', values: subjects },
      { expr: 'extract(x, \'\\"browser\\":\\"([^\\"]*)\\"\')', type: 'String', values: subjects },
      { expr: "match(x, '^[^=]{3}=')", type: 'String', values: subjects },
      { expr: "extractAll(x, '[^=&]+')", type: 'String', values: subjects },
      { expr: "replaceRegexpAll(x, '[0-9]+', 'N')", type: 'String', values: subjects },
      { expr: "replaceRegexpOne(x, '([a-z])\\\\=', '\\\\1:')", type: 'String', values: subjects },
    ],
    both,
  );
  // Patterns of the form P([^c]*)c and P([^c]*), which extract() computes with indexOf (delimitedField): a prefix
  // that occurs more than once, a first occurrence without its closing character, the closing character inside
  // the prefix, escaped punctuation, an empty field, non-ASCII inside the field.
  const fields = [
    ...subjects,
    "'xa1ya2b'",
    "'a1'",
    "'a(1)b(2)'",
    "'(open'",
    "'k=v&k=w'",
    "'k=&x'",
    '\'"""x"\'',
    '\'"n":12,"n":3\'',
    '\'"n":😀\'',
    '\'{"browser":"Ch\\\\"rome"}\'',
  ];
  runCases(
    [
      { expr: "extract(x, 'a([^b]*)b')", type: 'String', values: fields },
      { expr: "extract(x, 'a([^b]*)')", type: 'String', values: fields },
      { expr: "extract(x, '\\\\(([^\\\\)]*)\\\\)')", type: 'String', values: fields },
      { expr: "extract(x, '=([^&]*)')", type: 'String', values: fields },
      { expr: 'extract(x, \'"([^"]*)"\')', type: 'String', values: fields },
      { expr: 'extract(x, \'"n":([^,]*)\')', type: 'String', values: fields },
      { expr: "extract(x, '([^=]*)=')", type: 'String', values: fields },
    ],
    both,
  );
});

describe('UUIDs', () => {
  runCases(
    [
      { expr: 'toUUID(x)', type: 'String', values: uuids },
      { expr: "toUUID('00000000-0000-0000-0000-000000000000')", type: 'String', values: ["''"] },
      {
        expr: "(x != '00000000-0000-0000-0000-000000000000') + (x != '00000000-0000-0000-0000-000000000001')",
        type: 'UUID',
        values: uuids,
      },
    ],
    both,
  );
  // 18.16 has no cityHash64 of a UUID: a schema with one exists only on newer servers.
  runCases(
    [
      { expr: 'cityHash64(x)', type: 'UUID', values: uuids },
      { expr: "cityHash64(x, 'tail')", type: 'UUID', values: uuids },
      { expr: 'arrayMap(t -> cityHash64(t), [x, x])', type: 'UUID', values: uuids },
    ],
    modernOnly,
  );
});

describe('arrays', () => {
  runCases(
    [
      { expr: 'arrayResize([0], length(x))', type: 'Array(String)', values: ['[]', "['a']", "['a', 'b', 'c']"] },
      { expr: "arrayResize([['']], length(x))", type: 'Array(String)', values: ['[]', "['a']", "['a', 'b', 'c']"] },
      { expr: 'arrayResize(x, 2)', type: 'Array(UInt8)', values: ['[]', '[1]', '[1, 2, 3]'] },
      { expr: 'arrayResize(x, -2)', type: 'Array(UInt8)', values: ['[]', '[1]', '[1, 2, 3]'] },
      { expr: 'arrayResize(x, 0)', type: 'Array(String)', values: ['[]', "['a']"] },
    ],
    both,
  );
});

describe('Decimal', () => {
  runCases(
    [
      { expr: 'CAST(x AS Decimal(18, 12))', type: 'UInt8', values: ['0', '1', '255'], normalize: decimalText },
      {
        expr: 'CAST(x AS Decimal(38, 0))',
        type: 'Int64',
        values: ['0', '-1', '9223372036854775807', '-9223372036854775808'],
        normalize: decimalText,
      },
      {
        expr: 'CAST(x AS Decimal(9, 2))',
        type: 'Int32',
        values: ['0', '-1', '9999999', '-9999999'],
        normalize: decimalText,
      },
    ],
    both,
  );
  runCases(
    [
      {
        expr: 'arraySum(x)',
        type: 'Array(Decimal(18, 12))',
        normalize: decimalText,
        values: [
          "CAST([], 'Array(Decimal(18, 12))')",
          "[toDecimal64('1.5', 12), toDecimal64('2.000000000001', 12)]",
          "[toDecimal64('-0.5', 12), toDecimal64('0.25', 12)]",
        ],
      },
      {
        expr: "arraySum(mapValues(mapFilter(k -> positionCaseInsensitive(k.1, 'input') > 0, x)))",
        type: 'Map(LowCardinality(String), Decimal(18, 12))',
        normalize: decimalText,
        values: [
          "CAST(map(), 'Map(String, Decimal(18, 12))')",
          "map('input', toDecimal64('0.000001', 12), 'output', toDecimal64('2', 12))",
          "map('cached_INPUT', toDecimal64('1.5', 12), 'input_audio', toDecimal64('0.25', 12), 'x', toDecimal64('7', 12))",
        ],
      },
    ],
    modernOnly,
  );
  it('a Decimal that does not fit the column type is refused (the server throws)', () => {
    expect(() => compileUnverified(() => clientEval('CAST(x AS Decimal(9, 2))', 'Int32', ['10000000']))).toThrow(
      UnsupportedExpressionError,
    );
  });
});

describe('Map inputs', () => {
  const maps = [
    'map()',
    "map('k8s.pod.name', 'pod-1')",
    "map('a', 'x', 'k8s.pod.name', '')",
    "map('SampleRate', '10', 'b', 'y')",
    "map('SampleRate', 'abc')",
    "map('SampleRate', '-3')",
  ];
  runCases(
    [
      { expr: "x['k8s.pod.name']", type: 'Map(LowCardinality(String), String)', values: maps },
      {
        expr: "if(mapContains(x, 'k8s.pod.name') != 0, true, false)",
        type: 'Map(LowCardinality(String), String)',
        values: maps,
      },
      {
        expr: "greatest(toUInt64OrZero(x['SampleRate']), 1)",
        type: 'Map(LowCardinality(String), String)',
        values: maps,
      },
      {
        expr: "arrayMap(t -> concat(t.1, '=', t.2), CAST(x, 'Array(Tuple(String, String))'))",
        type: 'Map(LowCardinality(String), String)',
        values: maps,
      },
      { expr: 'mapKeys(x)', type: 'Map(LowCardinality(String), String)', values: maps },
      {
        expr: "mapFilter(e -> e.1 != 'a' AND e.2 != '', x)",
        type: 'Map(LowCardinality(String), String)',
        values: maps,
      },
      {
        expr: "mapApply(e -> (e.1, concat(e.2, '!')), x)",
        type: 'Map(String, String)',
        values: ["map('b', '1', 'a', '2')", 'map()'],
      },
      { expr: 'mapSort(x)', type: 'Map(String, String)', values: ["map('b', '1', 'a', '2')", 'map()'] },
      {
        expr: 'toUInt16OrDefault(x)',
        type: 'String',
        values: [
          "''",
          "'0'",
          "'65535'",
          "'65536'",
          "'-1'",
          "'+5'",
          "' 5'",
          "'5 '",
          "'007'",
          "'1e3'",
          "'abc'",
          "'--1'",
          "'1-'",
        ],
      },
      { expr: 'toInt8OrDefault(x, toInt8(-1))', type: 'String', values: ["'127'", "'128'", "'-128'", "'-129'", "'x'"] },
    ],
    modernOnly,
  );
});

describe('DateTime64 inputs', () => {
  const ms = ['0', '1', '999', '1000', '1700000000123', '4102444799999', '1711846799999'];
  const dt64 = ms.map((t) => `fromUnixTimestamp64Milli(toInt64(${t}))`);
  runCases(
    [
      { expr: 'toDateTime(x)', type: 'DateTime64(9)', values: dt64, checkType: false },
      { expr: 'toDate(x)', type: 'DateTime64(9)', values: dt64, checkType: false },
    ],
    modernOnly,
  );
});

describe('VERIFIED', () => {
  it('holds every function the differential cases above cover (run with them)', () => {
    const missing = [...passed].filter((f) => !isVerified(f));
    expect(missing).toEqual([]);
  });
});

describe('DateTime64 and Date32', () => {
  const ms = ['0', '1', '999', '1709634030123', '4102444799999', '-1', '-86400000', '90000000'];
  const dt64 = ms.map((t) => `fromUnixTimestamp64Milli(toInt64(${t}), 'UTC')`);
  // Local days 1970-01-02 .. 2105-12-31 (where the DateTime functions are taken at all).
  const days = dt64.filter((_, i) => i === 3 || i === 7);
  runCases(
    [
      { expr: "CAST(x AS DateTime64(6, 'UTC'))", type: 'Int64', values: ['0', '1', '-1', '1709634030', '4102444799'] },
      {
        expr: "CAST(x AS DateTime64(3, 'UTC'))",
        type: 'String',
        values: [
          "'2024-01-01 00:00:00.1234567'",
          "'2024-03-05 10:20:30'",
          "'2024-03-05'",
          "'1969-12-31 23:59:59.5'",
          "'2299-12-31 23:59:59.999'",
        ],
      },
      {
        expr: "CAST(x AS DateTime64(3, 'Europe/Berlin'))",
        type: 'String',
        values: ["'2024-03-31 02:30:00'", "'2024-10-27 02:30:00.5'", "'2024-07-01 12:00:00'"],
      },
      { expr: 'CAST(x AS Date32)', type: 'Int32', values: ['0', '-5', '70000', '-25567', '120529'] },
      {
        expr: 'CAST(x AS Date32)',
        type: 'String',
        values: ["'1900-01-01'", "'2024-02-29'", "'2299-12-31'", "'1969-12-31'"],
      },
      { expr: 'toStartOfDay(x)', type: "DateTime64(6, 'UTC')", values: days },
      { expr: 'toStartOfMonth(x)', type: "DateTime64(6, 'UTC')", values: days },
      { expr: 'toStartOfHour(x)', type: "DateTime64(3, 'UTC')", values: days },
      { expr: 'toYYYYMM(x)', type: "DateTime64(9, 'UTC')", values: days },
      { expr: 'toUnixTimestamp(x)', type: "DateTime64(6, 'UTC')", values: days },
      { expr: 'toUnixTimestamp64Nano(x)', type: "DateTime64(6, 'UTC')", values: dt64 },
      { expr: 'toUnixTimestamp64Micro(x)', type: "DateTime64(3, 'UTC')", values: dt64 },
      { expr: 'toUnixTimestamp64Second(x)', type: "DateTime64(3, 'UTC')", values: dt64.filter((_, i) => i !== 5) },
      { expr: 'x > 0', type: "DateTime64(6, 'UTC')", values: dt64 },
      { expr: 'x >= 1709634030', type: "DateTime64(3, 'UTC')", values: dt64 },
      { expr: "toDateTime64(x, 3, 'UTC')", type: 'String', values: ["'2024-01-01 00:00:00.1234567'", "'2024-03-05'"] },
      { expr: 'toDateTime64(x, 6)', type: "DateTime('UTC')", values: ['0', '1709634030', '4294967295'] },
    ],
    modernOnly,
  );
});

describe('conditions and small string functions', () => {
  runCases(
    [
      // A NULL condition is refused (18.16: NULL, newer: the else branch); non-NULL ones agree.
      { expr: "if(x > 1, 'a', 'b')", type: 'Nullable(UInt8)', values: ['0', '1', '2', '255'], checkType: false },
      {
        expr: "multiIf(x = 'a', 1, x = 'b', 2, 3)",
        type: 'Nullable(String)',
        values: ["'a'", "'b'", "'c'"],
        checkType: false,
      },
      { expr: "nullIf(x, '')", type: 'String', values: ["''", "'a'", "'b c'"] },
      { expr: 'nullIf(x, 0)', type: 'UInt32', values: ['0', '1', '7'] },
    ],
    both,
  );
  runCases(
    [
      { expr: 'hex(left(x, 3))', type: 'String', values: texts },
      { expr: 'hex(right(x, 2))', type: 'String', values: texts },
      { expr: 'hex(left(x, -1))', type: 'String', values: texts },
      { expr: 'hex(right(x, -4))', type: 'String', values: texts },
    ],
    modernOnly,
  );
  // Known to be 26.7: a NULL condition picks the else branch.
  runCases(
    [
      { expr: "if(x > 1, 'a', 'b')", type: 'Nullable(UInt8)', values: ['NULL', '0', '2'], serverVersion: V26_7 },
      { expr: 'if(x >= 3, x - 3, NULL)', type: 'Nullable(UInt16)', values: ['NULL', '1', '7'], serverVersion: V26_7 },
      {
        expr: "multiIf(x = 'a', 1, x = 'b', 2, 3)",
        type: 'Nullable(String)',
        values: ['NULL', "'a'", "'c'"],
        serverVersion: V26_7,
      },
    ],
    modernOnly,
  );
  it('a NULL condition is refused when the server version is not known', () => {
    expect(() => compileUnverified(() => clientEval("if(x > 1, 'a', 'b')", 'Nullable(UInt8)', ['NULL']))).toThrow(
      UnsupportedExpressionError,
    );
  });
});

describe('delimitedField', () => {
  it('recognises the field patterns above (so the differential cases run the indexOf path) and nothing wider', () => {
    const shape = (pattern: string) => delimitedField(re2Pair(pattern, false, true).unicode);
    expect(shape('"browser":"([^"]*)"')).toEqual({ prefix: '"browser":"', stop: '"', closed: true });
    expect(shape('\\"browser\\":\\"([^\\"]*)\\"')).toEqual({ prefix: '"browser":"', stop: '"', closed: true });
    expect(shape('a([^b]*)')).toEqual({ prefix: 'a', stop: 'b', closed: false });
    expect(shape('\\(([^\\)]*)\\)')).toEqual({ prefix: '(', stop: ')', closed: true });
    expect(shape('([^=]*)=')).toEqual({ prefix: '', stop: '=', closed: true });
    for (const wider of [
      '(?i)a([^b]*)b',
      'a([^b]+)b',
      'a.([^b]*)b',
      'a([^b]*)c',
      'a([^bc]*)b',
      'ä([^b]*)b',
      'a([^b]*)b$',
    ])
      expect(shape(wider)).toBeUndefined();
  });
});
