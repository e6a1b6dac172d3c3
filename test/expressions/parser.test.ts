/**
 * Parser corpus: expressions as 18.16 and newer servers format DEFAULT/MATERIALIZED columns, and every construct
 * of the grammar, printed back as function calls (the server's own operator → function mapping).
 */
import { describe, expect, it } from 'vitest';
import { formatExpr } from '../../src/expressions/ast.js';
import { parseExpression } from '../../src/expressions/parser.js';
import { UnsupportedExpressionError } from '../../src/errors.js';

const corpus: Array<[string, string]> = [
  ['a + b * c - d', 'minus(plus(a, multiply(b, c)), d)'],
  ['-1', '-1'],
  ['-a.b', 'negate(a.b)'],
  ['a OR b AND NOT c', 'or(a, and(b, not(c)))'],
  ['a = 1 OR a = 2 OR a = 3', 'or(equals(a, 1), equals(a, 2), equals(a, 3))'],
  ['x IS NOT NULL AND y IS NULL', 'and(isNotNull(x), isNull(y))'],
  ["s LIKE 'a%' AND s NOT ILIKE '%b'", "and(like(s, 'a%'), notILike(s, '%b'))"],
  ['x IN (1, 2, 3)', 'in(x, tuple(1, 2, 3))'],
  ['x NOT IN [1]', 'notIn(x, array(1))'],
  ['x BETWEEN 1 AND 10', 'and(greaterOrEquals(x, 1), lessOrEquals(x, 10))'],
  ["a || 'x' || b", "concat(a, 'x', b)"],
  ['c ? 1 : 2', 'if(c, 1, 2)'],
  ["CASE WHEN a > 1 THEN 'x' WHEN a > 0 THEN 'y' ELSE 'z' END", "multiIf(greater(a, 1), 'x', greater(a, 0), 'y', 'z')"],
  ["CASE a WHEN 1 THEN 'x' END", "multiIf(equals(a, 1), 'x', NULL)"],
  ['CAST(x AS Nullable(String))', "CAST(x, 'Nullable(String)')"],
  ["CAST(x, 'UInt8')", "CAST(x, 'UInt8')"],
  ['x::Array(UInt8)', "CAST(x, 'Array(UInt8)')"],
  ['arr[1] + arr[-1]', 'plus(arrayElement(arr, 1), arrayElement(arr, -1))'],
  ["m['key']", "arrayElement(m, 'key')"],
  ['t.1', 'tupleElement(t, 1)'],
  ['(1, 2).2', 'tupleElement(tuple(1, 2), 2)'],
  ['`weird name`.x', '`weird name.x`'],
  ['"quoted"', 'quoted'],
  ['arrayMap(x -> x * 2, arr)', 'arrayMap((x) -> multiply(x, 2), arr)'],
  ['arrayMap((k, v) -> k, a, b)', 'arrayMap((k, v) -> k, a, b)'],
  ["{'a': 1, 'b': 2}", "map('a', 1, 'b', 2)"],
  ['[]', 'array()'],
  ['INTERVAL 1 DAY', 'toIntervalDay(1)'],
  ["now() - INTERVAL '3 hours'", 'minus(now(), toIntervalHour(3))'],
  ['0x1F + 0b101 + 1e3 + .5', 'plus(plus(plus(31, 5), 1000), 0.5)'],
  ["'it\\'s' || 'a''b'", "concat('it\\'s', 'a\\'b')"],
  ['NULL', 'NULL'],
  ['inf', 'inf'],
  ['a % 2 MOD 3 DIV 4', 'intDiv(modulo(modulo(a, 2), 3), 4)'],
  ["trim(BOTH ' ' FROM s)", "trimBoth(s, ' ')"],
  ['substring(s FROM 2 FOR 3)', 'substring(s, 2, 3)'],
  ["position('x' IN s)", "position(s, 'x')"],
  ["DATE '2024-01-01'", "toDate('2024-01-01')"],
  ['(a + 1) AS b', 'plus(a, 1)'],
  ['f(a, -b) /* c */ -- d', 'f(a, negate(b))'],
];

describe('expression parser', () => {
  it.each(corpus)('%s', (sql, expected) => {
    expect(formatExpr(parseExpression(sql))).toBe(expected);
  });

  it.each(['a +', '(a', "'open", 'f(a,)', 'a b', 'quantile(0.5)(x)', 'CASE END'])('refuses %s', (sql) => {
    expect(() => parseExpression(sql)).toThrow(UnsupportedExpressionError);
  });
});
