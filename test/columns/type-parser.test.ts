import { describe, expect, it } from 'vitest';
import { formatType, parseType } from '../../src/columns/type-parser.js';
import { UnsupportedError } from '../../src/errors.js';

/** Type names as ClickHouse 26.7 prints them in Native headers (checked with chdb), printed back unchanged. */
const CANONICAL = [
  'UInt8',
  'String',
  'Nothing',
  'FixedString(16)',
  'Nullable(String)',
  'Array(Array(Nullable(UInt8)))',
  'LowCardinality(Nullable(String))',
  "DateTime('Asia/Tokyo')",
  "DateTime64(3, 'Asia/Tokyo')",
  'Decimal(10, 2)',
  'Map(String, Array(Nullable(Decimal(10, 2))))',
  'Variant(Array(UInt8), String, UInt64)',
  'Tuple()',
  'Tuple(UInt8, String)',
  'Tuple(a UInt8, `b c` String)',
  'Tuple(a UInt8, `1x` Nullable(String), `x\\`y` UInt8)',
  'Nested(a UInt8, b String)',
  'Dynamic(max_types=10)',
  "JSON(max_dynamic_paths=10, `a.b` UInt32, SKIP `x.y`, SKIP REGEXP 'ab.*')",
  'AggregateFunction(quantiles(0.5, 0.9), UInt64)',
  'AggregateFunction(1, sumMap, Array(UInt8), Array(UInt8))',
  'SimpleAggregateFunction(anyLast, Nullable(String))',
  "Object('json')",
  "Enum8('a' = 1, 'b' = 2)",
  "Enum8('c' = -2, 'a\\'b' = 1, 'new\\nline' = 3, 'tab\\there' = 4, 'back\\\\slash' = 5, 'q\"q' = 6, 'x\u0001' = 7, 'bs\\\\' = 8)",
  "Enum16('a\\'b' = 1000, '' = -32768, 'é' = 32767)",
  "Nullable(Enum8('a' = 1, 'b' = 2))",
  "Array(Enum16('x, y' = 1, '(' = 2, ')' = 3))",
];

describe('parseType / formatType', () => {
  it.each(CANONICAL)('round-trips %s', (text) => {
    expect(formatType(parseType(text))).toBe(text);
  });

  it('parses nested types into a tree', () => {
    expect(parseType('Array(Nullable(FixedString(3)))')).toEqual({
      name: 'Array',
      args: [
        {
          kind: 'type',
          type: {
            name: 'Nullable',
            args: [{ kind: 'type', type: { name: 'FixedString', args: [{ kind: 'number', text: '3', value: 3 }] } }],
          },
        },
      ],
    });
  });

  it('parses enum entries with escapes and negative values', () => {
    const node = parseType("Enum8('a\\'b' = 1, 'c' = -2, 'it''s' = 3, '\\\\' = 4, '\\x41\\t' = 5, ',)' = 6)");
    expect(node.args).toEqual([
      { kind: 'enum', name: "a'b", value: 1 },
      { kind: 'enum', name: 'c', value: -2 },
      { kind: 'enum', name: "it's", value: 3 },
      { kind: 'enum', name: '\\', value: 4 },
      { kind: 'enum', name: 'A\t', value: 5 },
      { kind: 'enum', name: ',)', value: 6 },
    ]);
    // The printed form uses backslash escapes, as the server does.
    expect(formatType(node)).toBe("Enum8('a\\'b' = 1, 'c' = -2, 'it\\'s' = 3, '\\\\' = 4, 'A\\t' = 5, ',)' = 6)");
  });

  it('parses named tuple elements, quoted names and strings', () => {
    expect(parseType('Tuple(a UInt8, `b c` Nullable(String), "d" DateTime(\'UTC\'))').args).toEqual([
      { kind: 'named', name: 'a', type: { name: 'UInt8', args: [] } },
      {
        kind: 'named',
        name: 'b c',
        type: { name: 'Nullable', args: [{ kind: 'type', type: { name: 'String', args: [] } }] },
      },
      { kind: 'named', name: 'd', type: { name: 'DateTime', args: [{ kind: 'string', value: 'UTC' }] } },
    ]);
  });

  it('parses settings, JSON paths and SKIP clauses', () => {
    expect(parseType("JSON(max_dynamic_paths=10, a.b UInt32, SKIP x.y, SKIP REGEXP 'ab.*')").args).toEqual([
      { kind: 'setting', name: 'max_dynamic_paths', value: { kind: 'number', text: '10', value: 10 } },
      { kind: 'named', name: 'a.b', type: { name: 'UInt32', args: [] } },
      { kind: 'skip', path: 'x.y' },
      { kind: 'skipRegexp', pattern: 'ab.*' },
    ]);
    // Outside JSON, SKIP is just an element name.
    expect(parseType('Tuple(SKIP UInt8)').args).toEqual([
      { kind: 'named', name: 'SKIP', type: { name: 'UInt8', args: [] } },
    ]);
  });

  it('ignores whitespace between tokens and prints the canonical spacing', () => {
    expect(formatType(parseType("  Array (  Nullable( Enum8( 'a'=1 ,'b'  =  -2 ) ) )  "))).toBe(
      "Array(Nullable(Enum8('a' = 1, 'b' = -2)))",
    );
    expect(formatType(parseType('Tuple(\n    a UInt8,\n    `b c` String)'))).toBe('Tuple(a UInt8, `b c` String)');
    expect(formatType(parseType('Tuple( )'))).toBe('Tuple()');
  });

  it('keeps number text exactly (64-bit parameters, decimals)', () => {
    const node = parseType('groupArraySample(10, 18446744073709551615, 0.25)');
    expect(node.args.map((a) => (a.kind === 'number' ? a.text : a.kind))).toEqual([
      '10',
      '18446744073709551615',
      '0.25',
    ]);
  });

  it.each([
    ['', 'expected a type name at position 0'],
    ['Array(', 'expected an argument of Array at position 6'],
    ['Array(String', "expected ',' or ')' in the arguments of Array at position 12"],
    ['Array(String))', 'unexpected text after the type at position 13'],
    ["Enum8('a = 1)", "unterminated '-quoted literal at position 6"],
    ["Enum8('a' = )", 'expected a number at position 12'],
    ["Enum8('a' = 1.5)", "expected an integer value for enum entry 'a'"],
    ['Tuple(a `b`)', "expected ',' or ')' in the arguments of Tuple at position 8"],
    ['Nullable(String UInt8 x)', "expected ',' or ')' in the arguments of Nullable at position 22"],
    ['1UInt8', 'expected a type name at position 0'],
    ["DateTime('\\x4')", 'expected two hex digits after \\x'],
    ['Array(a.b)', 'expected a type name at position 6'],
  ])('rejects %j', (text, message) => {
    expect(() => parseType(text)).toThrow(UnsupportedError);
    expect(() => parseType(text)).toThrow(message);
  });
});
