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
 *     dependency on such a column) are left to the server: the column is not sent. If the user's rows need that
 *     DEFAULT (a provided column with `undefined` cells), fill throws a clear error instead of guessing.
 * Columns are evaluated in dependency order: a MATERIALIZED column may read a DEFAULT one, another MATERIALIZED
 * one, or an EPHEMERAL input.
 */
import { ClickHouseNativeError, InvalidValueError, UnsupportedExpressionError } from '../errors.js';
import { compileExpression, type CompiledExpression } from '../expressions/index.js';
import { full, type Column } from '../expressions/column.js';
import { typeOf } from '../expressions/types.js';
import { toInternal, toPublic } from '../expressions/values.js';
import type { ColumnDescription } from './table-columns.js';

export interface PlanDefaultsOptions {
  /** The server time zone from Hello. */
  timezone: string;
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
   * Returns the block's columns (keyed by name, in `columns` order) with computed columns added and `undefined`
   * cells of DEFAULT columns filled. `now` is the INSERT's one now(), in ms.
   */
  fill(block: Readonly<Record<string, ArrayLike<unknown>>>, rows: number, nowMs: number): Record<string, ArrayLike<unknown>>;
}

/** A DEFAULT the user's rows need but the client cannot compute. */
export class UncomputableDefaultError extends ClickHouseNativeError {
  constructor(
    readonly column: string,
    reason: string,
  ) {
    super(
      `Column ${column}: some rows leave it out, but its DEFAULT cannot be computed on the client (${reason}). ` +
        `Provide the value in every row, or insert with defaults: 'server'.`,
    );
  }
}

interface Computation {
  name: string;
  description: ColumnDescription;
  compiled: CompiledExpression;
}

export function planDefaults(description: readonly ColumnDescription[], userColumns: readonly string[], options: PlanDefaultsOptions): DefaultsPlan {
  const byName = new Map(description.map((c) => [c.name, c]));
  const provided = new Set(userColumns);
  for (const name of userColumns) {
    const c = byName.get(name);
    if (!c) continue; // the server reports unknown columns itself
    if (c.defaultKind === 'ALIAS') throw new InvalidValueError('an ALIAS column cannot be inserted', { column: name });
    if (c.defaultKind === 'MATERIALIZED') throw new InvalidValueError('a MATERIALIZED column is computed, not inserted', { column: name });
  }
  const types = new Map(description.filter((c) => c.defaultKind !== 'ALIAS').map((c) => [c.name, c.type]));

  // Which columns need an expression: DEFAULT/EPHEMERAL ones the user left out or may leave out (undefined
  // cells), and every MATERIALIZED one.
  const candidates = description.filter(
    (c) => (c.defaultKind === 'DEFAULT' || c.defaultKind === 'MATERIALIZED' || c.defaultKind === 'EPHEMERAL') && c.expression !== undefined && c.expression !== '',
  );
  const compiled = new Map<string, Computation>();
  const leftToServer = new Map<string, string>();
  for (const c of candidates) {
    try {
      compiled.set(c.name, {
        name: c.name,
        description: c,
        compiled: compileExpression(c.expression!, types, { timezone: options.timezone, resultType: c.type }),
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
    fill(block, rows, nowMs) {
      // Keyed by the table's column names, which the server gives: no prototype for `__proto__` to reach.
      const out: Record<string, ArrayLike<unknown>> = Object.create(null);
      const internal = new Map<string, Column>();
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
        const missing: number[] = [];
        for (let i = 0; i < rows; i++) if (values[i] === undefined) missing.push(i);
        if (missing.length > 0) {
          const desc = byName.get(name);
          if (!desc?.defaultKind || !desc.expression) continue; // the codec reports the missing value
          if (!compiled.has(name)) throw new UncomputableDefaultError(name, leftToServer.get(name) ?? 'no expression');
          holes.set(name, missing);
        }
      }
      for (const name of computedOrder) {
        const comp = compiled.get(name)!;
        const userHas = provided.has(name);
        if (userHas && !holes.has(name) && byName.get(name)!.defaultKind !== 'MATERIALIZED') continue;
        const inputs = new Map<string, Column>();
        for (const dep of comp.compiled.columns) inputs.set(dep, internalOf(dep));
        let result: Column;
        try {
          result = comp.compiled.evaluateColumns(inputs, rows, nowMs);
        } catch (error) {
          if (error instanceof UnsupportedExpressionError) {
            throw new UncomputableDefaultError(name, error.message);
          }
          throw error;
        }
        if (userHas && holes.has(name)) {
          // Merge: the user's values where given, the default where undefined.
          const mine = Array.from(internalOfPartial(name, block[name]!, rows, types));
          const computedValues = result.constant ? null : result.values;
          for (const i of holes.get(name)!) mine[i] = computedValues ? computedValues[i] : result.values[0];
          result = full(result.type, mine);
        }
        internal.set(name, result);
        out[name] = toPublic(result, rows);
      }
      const ordered: Record<string, ArrayLike<unknown>> = Object.create(null);
      for (const name of columns) ordered[name] = out[name] ?? block[name]!;
      return ordered;
    },
  };
}

/** Internal values of a user column whose undefined cells are placeholders (filled by the caller). */
function internalOfPartial(name: string, values: ArrayLike<unknown>, rows: number, types: Map<string, string>): ArrayLike<unknown> {
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
