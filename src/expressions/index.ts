/**
 * Client-side evaluation of ClickHouse DEFAULT / MATERIALIZED expressions.
 *
 *   const expr = compileExpression('lower(concat(a, b))', { a: 'String', b: 'String' }, { timezone: 'UTC' });
 *   expr.evaluate({ a: ['X'], b: ['Y'] }, 1)  // ['xy']
 *
 * compileExpression throws UnsupportedExpressionError for anything it cannot evaluate exactly as the server would;
 * evaluate may throw it too, for values the server would reject or that the client cannot reproduce (a string
 * CAST cannot parse, a date form parseDateTimeBestEffort reads but this client does not). Callers then leave the
 * column to the server.
 */
import { UnsupportedExpressionError } from '../errors.js';
import { parseExpression } from './parser.js';
import { Compiler } from './compile.js';
import { convertValues } from './cast.js';
import { full, type Column } from './column.js';
import type { CompiledNode, EvalContext } from './registry.js';
import { sameType, typeName, typeOf, withoutLowCardinality, type DataType } from './types.js';
import { toInternal, toPublic } from './values.js';
import './functions/all.js';

export interface CompileExpressionOptions {
  /** The server's time zone (from its Hello): zone-less DateTime values are read and written in it. */
  timezone: string;
  /** Cast the result to this type, as the server does for a column's DEFAULT (its column type). */
  resultType?: string;
  /**
   * The server's version (from Hello). Where server versions read an input differently (a NULL `if` condition,
   * `path()` of text without a scheme), the client computes it for a verified version (26.7 and newer) and refuses
   * it otherwise.
   */
  serverVersion?: { major: number; minor: number };
}

export interface EvaluateOptions {
  /** The one `now()` of the insert, in ms since the epoch (default: Date.now() at this call). */
  now?: number | Date;
}

export interface CompiledExpression {
  /** The expression as given. */
  readonly sql: string;
  /** The result type name (the cast target when `resultType` was given). */
  readonly type: string;
  /** The input columns the expression reads. */
  readonly columns: readonly string[];
  /** Evaluates over `rows` rows of the given columns (user JS values); returns the result column's JS values. */
  evaluate(columns: Record<string, ArrayLike<unknown>>, rows: number, options?: EvaluateOptions): ArrayLike<unknown>;
  /** The same over internal columns (used by the insert's defaults, which chain expressions). */
  evaluateColumns(columns: ReadonlyMap<string, Column>, rows: number, nowMs: number): Column;
}

export function compileExpression(
  sql: string,
  columnTypes: Record<string, string> | ReadonlyMap<string, string>,
  options: CompileExpressionOptions,
): CompiledExpression {
  try {
    return compile(sql, columnTypes, options);
  } catch (error) {
    if (error instanceof UnsupportedExpressionError && error.expression === undefined) {
      throw new UnsupportedExpressionError(`${error.message} (in "${sql}")`, { cause: error, expression: sql });
    }
    throw error;
  }
}

function compile(
  sql: string,
  columnTypes: Record<string, string> | ReadonlyMap<string, string>,
  options: CompileExpressionOptions,
): CompiledExpression {
  const entries = columnTypes instanceof Map ? [...columnTypes] : Object.entries(columnTypes);
  const types = new Map<string, DataType>();
  // A column whose type the evaluator does not model is only an error if the expression reads it.
  const unmodelled = new Map<string, unknown>();
  for (const [name, type] of entries) {
    try {
      types.set(name, typeOf(type));
    } catch (error) {
      unmodelled.set(name, error);
    }
  }
  const compiler = new Compiler(types, { serverTz: options.timezone, serverVersion: options.serverVersion });
  const ast = parseExpression(sql);
  let node: CompiledNode;
  try {
    node = compiler.compile(ast);
  } catch (error) {
    const m = /^Unknown identifier (.*)$/.exec((error as Error).message);
    if (m && unmodelled.has(m[1]!)) throw unmodelled.get(m[1]!);
    throw error;
  }
  const target = options.resultType !== undefined ? typeOf(options.resultType) : undefined;
  const resultType = target ?? node.type;
  const dependencies = [...compiler.dependencies];
  const serverTz = options.timezone;

  const evaluateColumns = (columns: ReadonlyMap<string, Column>, rows: number, nowMs: number): Column => {
    const ctx: EvalContext = {
      rows,
      nowMs,
      serverTz,
      column(name) {
        const c = columns.get(name);
        if (!c) throw new UnsupportedExpressionError(`Column ${name} has no values`);
        return c;
      },
    };
    let col = node.eval(ctx);
    if (
      target &&
      !sameType(col.type, target) &&
      sameType(withoutLowCardinality(col.type), withoutLowCardinality(target))
    ) {
      // LowCardinality changes the wire form, not the values: the same column under the target type.
      col = { ...col, type: target };
    } else if (target && !sameType(col.type, target)) {
      const n = col.constant ? 1 : rows;
      col = {
        type: target,
        values: convertValues(col.values, n, col.type, target, serverTz, 'cast'),
        constant: col.constant,
      };
    }
    return col;
  };

  return {
    sql,
    type: typeName(resultType),
    columns: dependencies,
    evaluateColumns,
    evaluate(columns, rows, evalOptions = {}) {
      const now =
        evalOptions.now === undefined
          ? Date.now()
          : evalOptions.now instanceof Date
            ? evalOptions.now.getTime()
            : evalOptions.now;
      const internal = new Map<string, Column>();
      for (const name of dependencies) {
        const values = columns[name];
        if (values === undefined) throw new UnsupportedExpressionError(`Column ${name} has no values`);
        const type = types.get(name)!;
        internal.set(name, full(type, toInternal(type, values, rows)));
      }
      return toPublic(evaluateColumns(internal, rows, now), rows);
    },
  };
}

export { UnsupportedExpressionError };
export type { Column } from './column.js';
