/**
 * Client-side DEFAULT and MATERIALIZED columns for an INSERT, from the table's TableColumns description.
 *
 *   const plan = planDefaults(parseTableColumns(text), userColumns, { timezone });  // once per INSERT
 *   plan.columns                                  // what the INSERT sends, in this order
 *   plan.fill(block, rows, nowMs)                 // per block: the block with the computed columns added
 *
 * What is computed where:
 *   - DEFAULT columns the user left out, and cells a user column holds as `undefined`, get their expression;
 *   - MATERIALIZED columns are always computed (the INSERT then needs insert_allow_materialized_columns=1);
 *   - ALIAS columns are never sent; EPHEMERAL ones are inputs only;
 *   - expressions the client cannot evaluate exactly (unknown functions, dictGet, version-dependent cases, or a
 *     dependency on such a column) are left to the server: the column is not sent. The same holds for a column
 *     whose evaluation meets an input the client cannot reproduce (fill returns it in `refused`; the flow plans
 *     again without it). If the user's rows need that DEFAULT (a provided column with `undefined` cells), fill
 *     throws UncomputableDefaultError naming the column and row instead of guessing.
 * Columns are evaluated in dependency order: a MATERIALIZED column may read a DEFAULT one, another MATERIALIZED
 * one, or an EPHEMERAL input.
 */
import { ClickHouseNativeError, InvalidValueError, UnsupportedExpressionError } from '../errors.js';
import { compileExpression, type CompiledExpression } from '../expressions/index.js';
import { full, type Column } from '../expressions/column.js';
import { typeOf } from '../expressions/types.js';
import { toCodecValues, toInternal } from '../expressions/values.js';
import type { ColumnDescription } from './table-columns.js';

export interface PlanDefaultsOptions {
  /** The server time zone from Hello. */
  timezone: string;
  /** The server's version from Hello (inputs that versions read differently are computed only for a known one). */
  serverVersion?: { major: number; minor: number };
  /**
   * Columns this insert leaves to the server whatever their expression (column → why): those a previous fill of
   * the same insert could not evaluate. Columns that read them are left to the server too.
   */
  leaveToServer?: ReadonlyMap<string, string>;
}

export interface FillResult {
  /** The block's columns in `plan.columns` order; undefined when `refused` is not empty. */
  values: Record<string, ArrayLike<unknown>> | undefined;
  /** Computed columns the client could not evaluate over this block (column → why): plan again without them. */
  refused: Map<string, string>;
}

export interface DefaultsPlan {
  /** The columns the INSERT sends: the user's (minus ALIAS), then the computed ones. */
  readonly columns: readonly string[];
  /** Computed by the client, in evaluation order. */
  readonly computed: readonly string[];
  /** Left to the server, with the reason. */
  readonly leftToServer: ReadonlyMap<string, string>;
  /** True when a MATERIALIZED column is sent (the INSERT needs insert_allow_materialized_columns=1). */
  readonly sendsMaterialized: boolean;
  /**
   * The block's columns (keyed by name, in `columns` order) with computed columns added and `undefined` cells of
   * DEFAULT columns filled. `nowMs` is the INSERT's one now(). A computed column that cannot be evaluated over
   * some row is returned in `refused` (the insert then plans again and leaves it to the server); a DEFAULT that
   * some rows give and others leave out, and that the client cannot compute for those, throws
   * UncomputableDefaultError naming the column and the first such row.
   */
  fill(
    block: Readonly<Record<string, ArrayLike<unknown>>>,
    rows: number,
    nowMs: number,
    rowOffset?: number,
  ): FillResult;
}

/**
 * A DEFAULT column that some rows give and others leave out, whose expression the client cannot compute for those
 * rows. The server computes a DEFAULT only for a column the INSERT leaves out entirely (the Native protocol has
 * no per-row "missing"), so the insert cannot be sent as it is; nothing was sent.
 */
export class UncomputableDefaultError extends ClickHouseNativeError {
  constructor(
    readonly column: string,
    reason: string,
    /** The first row (of the insert's input) that leaves the column out and needs the client to compute it. */
    readonly row?: number,
  ) {
    super(
      `Column ${column}: ${row === undefined ? 'some rows leave it out' : `row ${row} leaves it out`} while other rows give it, ` +
        `and its DEFAULT cannot be computed on the client (${reason}). The server computes a DEFAULT only for a column ` +
        `the INSERT leaves out of every row. Give the value in every row or in none.`,
    );
  }
}

interface Computation {
  name: string;
  description: ColumnDescription;
  compiled: CompiledExpression;
}

export function planDefaults(
  description: readonly ColumnDescription[],
  userColumns: readonly string[],
  options: PlanDefaultsOptions,
): DefaultsPlan {
  const byName = new Map(description.map((c) => [c.name, c]));
  const provided = new Set(userColumns);
  for (const name of userColumns) {
    const c = byName.get(name);
    if (!c) continue; // the server reports unknown columns itself
    if (c.defaultKind === 'ALIAS') throw new InvalidValueError('an ALIAS column cannot be inserted', { column: name });
    if (c.defaultKind === 'MATERIALIZED')
      throw new InvalidValueError('a MATERIALIZED column is computed, not inserted', { column: name });
  }
  const types = new Map(description.filter((c) => c.defaultKind !== 'ALIAS').map((c) => [c.name, c.type]));

  // Which columns need an expression: DEFAULT/EPHEMERAL ones the user left out or may leave out (undefined
  // cells), and every MATERIALIZED one.
  const candidates = description.filter(
    (c) =>
      (c.defaultKind === 'DEFAULT' || c.defaultKind === 'MATERIALIZED' || c.defaultKind === 'EPHEMERAL') &&
      c.expression !== undefined &&
      c.expression !== '',
  );
  const compiled = new Map<string, Computation>();
  const leftToServer = new Map<string, string>();
  for (const c of candidates) {
    const excluded = options.leaveToServer?.get(c.name);
    if (excluded !== undefined) {
      leftToServer.set(c.name, excluded);
      continue;
    }
    try {
      compiled.set(c.name, {
        name: c.name,
        description: c,
        compiled: compileExpression(c.expression!, types, {
          timezone: options.timezone,
          resultType: c.type,
          serverVersion: options.serverVersion,
        }),
      });
    } catch (error) {
      if (!(error instanceof UnsupportedExpressionError)) throw error;
      leftToServer.set(c.name, error.message);
    }
  }

  // Dependency order (depth-first); a column that reads a column left to the server (and not provided) is left
  // to the server too; a cycle is left to the server.
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string): boolean => {
    const comp = compiled.get(name);
    if (!comp) return !leftToServer.has(name) || provided.has(name);
    const s = state.get(name);
    if (s === 'done') return !leftToServer.has(name);
    if (s === 'visiting') {
      leftToServer.set(name, 'circular dependency');
      return false;
    }
    state.set(name, 'visiting');
    let ok = true;
    for (const dep of comp.compiled.columns) {
      const d = byName.get(dep);
      if (!d) continue;
      const depOk = visit(dep) && (provided.has(dep) || compiled.has(dep) || d.defaultKind === undefined);
      if (!depOk) {
        ok = false;
        if (!leftToServer.has(name)) leftToServer.set(name, `it reads ${dep}, which the client does not compute`);
      }
      if (d.defaultKind === undefined && !provided.has(dep)) {
        // A plain column the user left out holds its type's default on the server; the client would need to
        // know it was left out too. Keep it simple: leave the dependent to the server.
        ok = false;
        leftToServer.set(name, `it reads ${dep}, which the insert does not provide`);
      }
    }
    state.set(name, 'done');
    if (ok) order.push(name);
    return ok;
  };
  for (const name of compiled.keys()) visit(name);
  const computedOrder = order.filter((n) => !leftToServer.has(n));
  for (const n of leftToServer.keys()) compiled.delete(n);

  const sentComputed = computedOrder.filter((n) => {
    const kind = byName.get(n)!.defaultKind;
    if (kind === 'EPHEMERAL') return false;
    return kind === 'MATERIALIZED' || !provided.has(n);
  });
  const columns = [...userColumns.filter((n) => byName.get(n)?.defaultKind !== 'ALIAS'), ...sentComputed];
  const sendsMaterialized = sentComputed.some((n) => byName.get(n)!.defaultKind === 'MATERIALIZED');

  return {
    columns,
    computed: computedOrder,
    leftToServer,
    sendsMaterialized,
    fill(block, rows, nowMs, rowOffset = 0) {
      // Keyed by the table's column names, which the server gives: no prototype for `__proto__` to reach.
      const out: Record<string, ArrayLike<unknown>> = Object.create(null);
      const internal = new Map<string, Column>();
      const refused = new Map<string, string>();
      const internalOf = (name: string): Column => {
        let col = internal.get(name);
        if (!col) {
          const type = typeOf(types.get(name)!);
          const values = block[name]!;
          col = full(type, toInternal(type, values, rows));
          internal.set(name, col);
        }
        return col;
      };
      // User columns with undefined cells: those cells need the DEFAULT.
      const holes = new Map<string, number[]>();
      for (const name of userColumns) {
        const values = block[name];
        if (!values) throw new InvalidValueError('the block has no values for this column', { column: name });
        let missing: number[] | undefined;
        for (let i = 0; i < rows; i++) if (values[i] === undefined) (missing ??= []).push(i);
        if (missing) {
          const desc = byName.get(name);
          if (!desc?.defaultKind || !desc.expression) continue; // the codec reports the missing value
          if (!compiled.has(name))
            throw new UncomputableDefaultError(
              name,
              leftToServer.get(name) ?? 'no expression',
              rowOffset + missing[0]!,
            );
          holes.set(name, missing);
        }
      }
      for (const name of computedOrder) {
        const comp = compiled.get(name)!;
        const userHas = provided.has(name);
        const hole = holes.get(name);
        if (userHas && !hole && byName.get(name)!.defaultKind !== 'MATERIALIZED') continue;
        const refusedDep = comp.compiled.columns.find((dep) => refused.has(dep));
        if (refusedDep !== undefined) {
          const why = `it reads ${refusedDep}, which the client could not compute for this insert`;
          if (hole) throw new UncomputableDefaultError(name, why, rowOffset + hole[0]!);
          refused.set(name, why);
          continue;
        }
        const inputs = new Map<string, Column>();
        for (const dep of comp.compiled.columns) inputs.set(dep, internalOf(dep));
        let result: Column;
        if (hole) {
          // Only the rows that leave the column out need the expression: an input the client cannot reproduce in
          // a row that gives the value does not matter.
          result = mergeHoles(comp, internalOfPartial(name, block[name]!, rows, types), inputs, hole, nowMs, rowOffset);
        } else {
          try {
            result = comp.compiled.evaluateColumns(inputs, rows, nowMs);
          } catch (error) {
            if (!(error instanceof UnsupportedExpressionError)) throw error;
            refused.set(name, error.message);
            continue;
          }
        }
        internal.set(name, result);
        out[name] = toCodecValues(result, rows);
      }
      if (refused.size > 0) return { values: undefined, refused };
      const ordered: Record<string, ArrayLike<unknown>> = Object.create(null);
      for (const name of columns) ordered[name] = out[name] ?? block[name]!;
      return { values: ordered, refused };
    },
  };
}

/** The rows `rows` of a column, as a column of their own. */
function takeRows(col: Column, rows: readonly number[]): Column {
  if (col.constant) return col;
  const values = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) values[i] = col.values[rows[i]!];
  return full(col.type, values);
}

/** A DEFAULT column the user gives in some rows: the user's values, and the expression in the rows left out. */
function mergeHoles(
  comp: Computation,
  given: ArrayLike<unknown>,
  inputs: ReadonlyMap<string, Column>,
  hole: readonly number[],
  nowMs: number,
  rowOffset: number,
): Column {
  const evaluate = (rows: readonly number[]): Column => {
    const sub = new Map<string, Column>();
    for (const [dep, col] of inputs) sub.set(dep, takeRows(col, rows));
    return comp.compiled.evaluateColumns(sub, rows.length, nowMs);
  };
  let result: Column;
  try {
    result = evaluate(hole);
  } catch (error) {
    if (!(error instanceof UnsupportedExpressionError)) throw error;
    // Name the first row that fails (one row at a time, only on this error path).
    const row = hole.find((r) => {
      try {
        evaluate([r]);
        return false;
      } catch {
        return true;
      }
    });
    throw new UncomputableDefaultError(comp.name, error.message, rowOffset + (row ?? hole[0]!));
  }
  const mine = Array.from(given);
  for (let i = 0; i < hole.length; i++) mine[hole[i]!] = result.constant ? result.values[0] : result.values[i];
  return full(result.type, mine);
}

/** Internal values of a user column whose undefined cells are placeholders (filled by the caller). */
function internalOfPartial(
  name: string,
  values: ArrayLike<unknown>,
  rows: number,
  types: Map<string, string>,
): ArrayLike<unknown> {
  const type = typeOf(types.get(name)!);
  const present: number[] = [];
  const given: unknown[] = [];
  for (let i = 0; i < rows; i++) {
    if (values[i] !== undefined) {
      present.push(i);
      given.push(values[i]);
    }
  }
  const converted = toInternal(type, given, given.length);
  const out = new Array(rows).fill(undefined);
  present.forEach((row, k) => (out[row] = converted[k]));
  return out;
}
