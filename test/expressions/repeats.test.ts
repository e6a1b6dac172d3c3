/**
 * The kernels that reuse a recent result instead of making a new string (src/expressions/functions/repeats.ts):
 * extract() of a delimited field and replaceRegexpAll() of a run of one ASCII class, over long columns built to
 * meet every way a reuse could go wrong, compared value for value with ClickHouse 18.16 and 26.7.
 */
import { describe, expect, it } from 'vitest';
import { runOn, sqlString, textOfValue, unescapeTsv, type Engine } from './helpers.js';
import { compileExpression } from '../../src/expressions/index.js';
import { full } from '../../src/expressions/column.js';
import { typeOf } from '../../src/expressions/types.js';
import { asciiClassRun } from '../../src/expressions/functions/repeats.js';
import { re2 } from '../../src/expressions/functions/regexp.js';

/**
 * 6000 rows: results that repeat (hits), near misses of a recent result (same length and another character, one
 * character longer or shorter, a common prefix), more than eight distinct results in rotation (a result leaves the
 * recent ones and comes back), non-ASCII and surrogate pairs inside and around the field, empty fields, no field,
 * an unclosed field; then 4096 rows of unique results (the comparison turns itself off) followed by repeats again.
 */
function rows(make: (i: number) => string): string[] {
  const out: string[] = [];
  for (let i = 0; i < 6000; i++) out.push(make(i));
  return out;
}

/** The client's rows: the column of JS strings as one block (helpers' clientEval compiles a CAST per value). */
function ours(expr: string, values: string[]): string[] {
  const out = compileExpression(expr, { x: 'String' }, { timezone: 'UTC' }).evaluateColumns(
    new Map([['x', full(typeOf('String'), values)]]),
    values.length,
    0,
  );
  return values.map((_, i) => textOfValue(out.constant ? out.values[0] : out.values[i], out, 'UTC'));
}

const fields = [
  'Chrome',
  'Chromf',
  'Chrom',
  'Chromee',
  '',
  'é',
  'e\u0301',
  '😀',
  '😀x',
  'x😀',
  'Firefox',
  'Safari',
  'Edge',
  'Opera',
  'Brave',
  'Vivaldi',
  'Arc',
  'Chrome',
];

function payload(i: number): string {
  if (i >= 1200 && i < 5400) return `{"browser":"u${i}é","n":${i}}`; // unique: the comparison gives up
  if (i % 101 === 0) return `{"n":${i}}`; // no field
  if (i % 103 === 0) return `{"browser":"open-ended ${i % 3}`; // unclosed
  if (i % 107 === 0) return `{"browser":"😀","browser":"second"}`; // the first occurrence counts
  const k = i < 600 ? i % 4 : (i * 7) % fields.length; // few distinct first, then a rotation of many
  return `{"n":${i},"browser":"${fields[k]}","x":"😀"}`;
}

function url(i: number): string {
  if (i >= 1200 && i < 5400) return `https://h${i % 10}.example/${'ab'.repeat(i % 7)}/${i}`; // unique results
  if (i % 97 === 0) return `https://é.example/p/${i}/😀/${i % 5}?q=${i}`;
  if (i % 89 === 0) return `${i}`; // all digits
  if (i % 83 === 0) return ''; // empty
  if (i % 79 === 0) return `/p/${i}x/item${i % 3}`; // same length as a neighbour's result, other text
  return `https://shop.example.com/p/${i % 5000}/item/${i}?ref=${i % 97}`;
}

/**
 * The engine's rows of each of `exprs` (String results) for `values`: one query per 2000 rows (the server's
 * max_query_size; its functions are per row) with the results joined by \x01, to keep the test short under load.
 */
async function engineRows(engine: Engine, exprs: readonly string[], values: string[]): Promise<string[][]> {
  const out: string[][] = exprs.map(() => []);
  const joined = `concat(${exprs.join(", '\\x01', ")})`;
  for (let start = 0; start < values.length; start += 2000) {
    // Plain String literals (no CAST per value, which the engines analyse one by one).
    const items = values
      .slice(start, start + 2000)
      .map(sqlString)
      .join(', ');
    const text = await runOn(engine, `SELECT ${joined} FROM (SELECT arrayJoin([${items}]) AS x) FORMAT TabSeparated`);
    for (const line of text.split('\n').slice(0, -1))
      unescapeTsv(line)
        .split('\x01')
        .forEach((field, k) => out[k]!.push(field));
  }
  return out;
}

/** Every expression over `values`: ours equal to each engine's, row for row. */
async function compare(exprs: readonly string[], values: string[]): Promise<void> {
  for (const engine of ['18.16', '26.7'] as const) {
    const theirs = await engineRows(engine, exprs, values);
    exprs.forEach((expr, k) => expect(ours(expr, values), `${expr} on ${engine}`).toEqual(theirs[k]));
  }
}

describe('recent-result kernels, differential (18.16 and 26.7)', () => {
  it('extract of a delimited field over a long column', async () => {
    await compare(
      [`extract(x, '"browser":"([^"]*)"')`, `extract(x, '"browser":"([^"]*)')`, `extract(x, 'browser([^,]*)')`],
      rows(payload),
    );
  });

  it('replaceRegexpAll of a run of one ASCII class over a long column', async () => {
    // With a non-ASCII row every 97 most batches of 128 rows are compared as strings; without, as bytes.
    const mixed = rows(url);
    const ascii = rows((i) => (i % 97 === 0 ? `https://x.example/p/${i}/${i % 5}?q=${i}` : url(i)));
    await compare(["replaceRegexpAll(x, '[0-9]+', 'N')", "replaceRegexpAll(x, '[\\\\-:?=]+', 'NN')"], mixed);
    await compare(
      [
        "replaceRegexpAll(x, '[0-9]+', 'N')",
        "replaceRegexpAll(x, '[0-9]+', '')",
        "replaceRegexpAll(x, '[0-9]+', 'é')",
        "replaceRegexpAll(x, '[0-9]+', '$1$&')",
        "replaceRegexpAll(x, '[a-z]+', '\\\\.')",
        "replaceRegexpAll(x, '[\\\\d/.]+', '-')",
        "replaceRegexpAll(x, '[\\\\-:?=]+', 'NN')",
      ],
      ascii,
    );
  });
});

describe('asciiClassRun', () => {
  it('takes a positive class of ASCII characters, from the regexp the string path runs', () => {
    const table = asciiClassRun('[0-9]+', re2('[0-9]+', true))!;
    expect([...table].flatMap((inClass, c) => (inClass ? [String.fromCharCode(c)] : [])).join('')).toBe('0123456789');
    expect(asciiClassRun('[\\d_]+', re2('[\\d_]+', true))).toBeDefined();
  });

  it('refuses negated classes, classes that take non-ASCII characters, and other shapes', () => {
    for (const pattern of ['[^0-9]+', '[\\D]+', '[\\W]+', '[0-9]*', '[0-9]', '[0-9]+x', 'a+', '[é]+', '(?i)[a-z]+'])
      expect(asciiClassRun(pattern, re2(pattern, true)), pattern).toBeUndefined();
  });
});
