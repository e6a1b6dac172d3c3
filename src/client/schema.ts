/**
 * Typed rows from a table schema: `defineTable({ id: 'UInt64', ts: 'DateTime64(3)' })` gives the row type
 * (`RowOf`) that `query({ schema })`, `insert<RowOf<…>>` and `blockColumns` use, and the query checks at run time
 * that the server's columns are the schema's, so the static type is not a cast.
 */
import type { Block } from '../columns/block.js';
import type { ClickHouseTypeToTS, ColumnValuesOf } from '../columns/ts-types.js';
import { ClickHouseNativeError } from '../errors.js';

/** Column name → ClickHouse type name, as the server prints it (`system.columns.type`, the result header). */
export type SchemaColumns = Readonly<Record<string, string>>;

export interface TableSchema<C extends SchemaColumns = SchemaColumns> {
  readonly columns: C;
}

/** One row of a schema: each column's JS value (README, "Type mapping"). */
export type RowOf<S extends TableSchema | SchemaColumns> =
  S extends TableSchema<infer C>
    ? { -readonly [K in keyof C]: ClickHouseTypeToTS<C[K]> }
    : S extends SchemaColumns
      ? { -readonly [K in keyof S]: ClickHouseTypeToTS<S[K]> }
      : never;

/** checkSchema on a result's header; on a mismatch the result is closed (Cancel) before the error is thrown. */
export async function checkResultSchema(
  result: { columns: ReadonlyArray<{ name: string; type: string }>; close(): Promise<void> },
  schema: TableSchema,
): Promise<void> {
  try {
    checkSchema(schema, result.columns);
  } catch (error) {
    await result.close();
    throw error;
  }
}

/** A block's columns by name, each typed as `blocks()` gives it (TypedArrays for fixed-width numbers). */
export type BlockColumnsOf<S extends TableSchema> =
  S extends TableSchema<infer C> ? { -readonly [K in keyof C]: ColumnValuesOf<C[K]> } : never;

/** Thrown when a result's columns are not the schema's: the row type would have been a lie. */
export class SchemaMismatchError extends ClickHouseNativeError {}

/**
 * A table's columns and their ClickHouse types, for typed rows. Write each type as the server prints it (for
 * example `Nullable(String)`, `DateTime64(3)`, `Map(String, UInt64)`).
 */
export function defineTable<const C extends SchemaColumns>(columns: C): TableSchema<C> {
  if (typeof columns !== 'object' || columns === null) throw new TypeError('defineTable: expected { column: type }');
  const copy = Object.create(null) as Record<string, string>;
  for (const [name, type] of Object.entries(columns)) {
    if (typeof type !== 'string' || type.length === 0) {
      throw new TypeError(`defineTable: column ${JSON.stringify(name)} needs a ClickHouse type name`);
    }
    copy[name] = type;
  }
  return Object.freeze({ columns: Object.freeze(copy) as C });
}

/** Collapses spaces after commas so `Map(String,UInt64)` and `Map(String, UInt64)` compare equal. */
function normaliseType(type: string): string {
  return type.replace(/\s*,\s*/g, ', ').trim();
}

/**
 * Checks that `columns` (a result header) are exactly the schema's, in any order: same names, same types. Throws a
 * SchemaMismatchError naming every difference.
 */
export function checkSchema(schema: TableSchema, columns: ReadonlyArray<{ name: string; type: string }>): void {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const { name, type } of columns) {
    seen.add(name);
    const declared = Object.hasOwn(schema.columns, name) ? schema.columns[name] : undefined;
    if (declared === undefined) problems.push(`column ${name} (${type}) is not in the schema`);
    else if (normaliseType(declared) !== normaliseType(type))
      problems.push(`column ${name} is ${type}, the schema says ${declared}`);
  }
  for (const name of Object.keys(schema.columns)) {
    if (!seen.has(name)) problems.push(`column ${name} (${schema.columns[name]}) is missing from the result`);
  }
  if (problems.length > 0) {
    throw new SchemaMismatchError(`The result does not match the schema: ${problems.join('; ')}`);
  }
}

/** A block's columns by name, typed by the schema (checked against the block's own column types). */
export function blockColumns<S extends TableSchema>(block: Block, schema: S): BlockColumnsOf<S> {
  checkSchema(schema, block.columns);
  const out = Object.create(null) as Record<string, unknown>;
  for (const column of block.columns) out[column.name] = column.values;
  return out as BlockColumnsOf<S>;
}
