/**
 * Differential evaluation: one expression over one input column `x`, evaluated by the client's evaluator and by a
 * real ClickHouse of a named version, compared as TabSeparated text together with the result type.
 */
import { query as chdbQuery } from 'chdb';
import { afterAll, expect, it } from 'vitest';
import { adminQuery, testServer } from '../harness/context.js';
import { startLocalServer, type AdminTarget, type LocalServer } from '../harness/server.js';
import { compileExpression } from '../../src/expressions/index.js';
import type { Expr } from '../../src/expressions/ast.js';
import { formatValue } from '../../src/expressions/format.js';
import { typeName, typeOf, base } from '../../src/expressions/types.js';
import { full, type Column } from '../../src/expressions/column.js';
import '../../src/expressions/functions/all.js';

/**
 * The ClickHouse versions the client's evaluator is compared with, each in its own server or engine, whatever server
 * the run uses:
 * - '18.16': the run's server when it is 18.16, else a private 18.16 server (the local binary) for this test file;
 * - '26.7': the run's server when it is 26.7 (live, over HTTP), else chdb's 26.7 engine in this process.
 */
export type Engine = '18.16' | '26.7';

const runIs = (version: string): boolean => testServer().version?.startsWith(`${version}.`) === true;

let private1816: Promise<LocalServer> | undefined;
afterAll(async () => {
  const started = private1816;
  private1816 = undefined;
  await (await started?.catch(() => undefined))?.stop();
});

/** Where to ask 18.16. */
function server1816(): Promise<AdminTarget> {
  if (runIs('18.16')) return Promise.resolve(testServer());
  private1816 ??= startLocalServer().then((s) => {
    if (!s.version?.startsWith('18.16.')) throw new Error(`the local clickhouse-server is ${s.version}, not 18.16`);
    return s;
  });
  return private1816;
}

/** TabSeparated result of `sql` on the engine of `version`. */
export async function runOn(engine: Engine, sql: string): Promise<string> {
  if (engine === '18.16') return adminQuery(await server1816(), sql);
  if (runIs('26.7')) return adminQuery(testServer(), sql);
  return String(chdbQuery(sql, 'TabSeparated'));
}

/** A SQL string literal. */
export function sqlString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\t/g, '\\t').replace(/\r/g, '\\r').replace(/\0/g, '\\0')}'`;
}

/** Our text of one value (NULL as \\N), unescaped: compared with the server's unescaped TabSeparated fields. */
export function textOfValue(v: unknown, col: Column, tz: string): string {
  if (v === null) return '\\N';
  const text = formatValue(v, base(col.type), tz);
  return typeof text === 'string' ? text : Buffer.from(text).toString('latin1');
}

const TSV_UNESCAPES: Record<string, string> = {
  t: '\t',
  n: '\n',
  r: '\r',
  '0': '\0',
  b: '\b',
  f: '\f',
  '\\': '\\',
  "'": "'",
};

/** A TabSeparated field as raw text (18.16 also escapes single quotes, 26.7 does not). */
export function unescapeTsv(field: string): string {
  if (field === '\\N') return field;
  return field.replace(/\\(.)/g, (_, c: string) => TSV_UNESCAPES[c] ?? c);
}

export interface Result {
  type: string;
  rows: string[];
}

const TZ = 'UTC';

/** The client's result: x bound to CAST([values] AS Array(type)) evaluated by the client itself. */
export function clientEval(
  expr: string,
  type: string,
  values: string[],
  serverVersion?: { major: number; minor: number },
): Result {
  // Each input on its own: CAST(v AS T) (an array literal of mixed signedness has no common type here).
  const xs = values.map(
    (v) => compileExpression(`CAST(${v} AS ${type})`, {}, { timezone: TZ }).evaluateColumns(new Map(), 1, 0).values[0],
  );
  const compiled = compileExpression(expr, { x: type }, { timezone: TZ, serverVersion });
  const out = compiled.evaluateColumns(new Map([['x', full(typeOf(type), xs)]]), xs.length, Date.now());
  const rows: string[] = [];
  for (let i = 0; i < xs.length; i++) rows.push(textOfValue(out.constant ? out.values[0] : out.values[i], out, TZ));
  return { type: typeName(out.type), rows };
}

function serverSql(expr: string, type: string, values: string[]): string {
  // Each value cast on its own, so the array literal needs no common type of the raw literals.
  const items = values.map((v) => `CAST(${v} AS ${type})`).join(', ');
  return `SELECT toTypeName(${expr}), ${expr} FROM (SELECT arrayJoin([${items}]) AS x) FORMAT TabSeparated`;
}

export async function engineEval(engine: Engine, expr: string, type: string, values: string[]): Promise<Result> {
  const sql = serverSql(expr, type, values);
  const text = await runOn(engine, sql);
  const lines = text.split('\n').filter((l, i, a) => i < a.length - 1 || l !== '');
  const rows = lines.map((l) => unescapeTsv(l.slice(l.indexOf('\t') + 1)));
  const types = new Set(lines.map((l) => unescapeTsv(l.slice(0, l.indexOf('\t')))));
  return { type: [...types][0] ?? '', rows };
}

/** The names of the functions an expression calls (lambda bodies included). */
export function functionsOf(e: Expr, out = new Set<string>()): Set<string> {
  if (e.kind === 'function') {
    out.add(e.name);
    for (const a of e.args) functionsOf(a, out);
  } else if (e.kind === 'lambda') functionsOf(e.body, out);
  return out;
}

/** One differential case: `expr` over x of `type`, bound to each of `values` (SQL literals). */
export interface DifferentialCase {
  expr: string;
  type: string;
  values: string[];
  /** The engines to compare with; default: the suite's. */
  engines?: Engine[];
  /** Compare the result type too (default true). */
  checkType?: boolean;
  /** Compile for this server version (inputs that versions read differently); compare with chdb only then. */
  serverVersion?: { major: number; minor: number };
  /** Applied to both sides' texts before comparing (e.g. Decimal: 18.16 prints trailing zeros, 26.7 does not). */
  normalize?: (text: string) => string;
}

/** Decimal text without trailing fraction zeros: the value, whichever way a version prints it. */
export const decimalText = (text: string): string =>
  /^-?\d+\.\d+$/.test(text) ? text.replace(/0+$/, '').replace(/\.$/, '') : text;

/**
 * A test per case: the client's result must equal each engine's, value by value (differing rows are listed with
 * their inputs) and in type. `evaluate` wraps the client's evaluation (e.g. compileUnverified for functions not yet
 * trusted); `onPass` runs after a case passed.
 */
export function runDifferential(
  list: DifferentialCase[],
  defaultEngines: Engine[],
  options: { evaluate?: (run: () => Result) => Result; onPass?: (c: DifferentialCase) => void } = {},
): void {
  const evaluate = options.evaluate ?? ((run) => run());
  for (const c of list) {
    const engines = c.engines ?? defaultEngines;
    it(`${c.expr} over ${c.type}`, async () => {
      const norm = (r: Result): Result => (c.normalize ? { ...r, rows: r.rows.map(c.normalize) } : r);
      const ours = norm(evaluate(() => clientEval(c.expr, c.type, c.values, c.serverVersion)));
      for (const engine of engines) {
        const theirs = norm(await engineEval(engine, c.expr, c.type, c.values));
        const diffs = c.values.flatMap((v, i) =>
          ours.rows[i] === theirs.rows[i] ? [] : [`${v}: ours ${ours.rows[i]}, ${engine} ${theirs.rows[i]}`],
        );
        expect(diffs, `${engine} values`).toEqual([]);
        expect(ours.rows, `${engine} values`).toEqual(theirs.rows);
        if (c.checkType !== false) expect(ours.type, `${engine} type`).toEqual(theirs.type);
      }
      options.onPass?.(c);
    });
  }
}
