/**
 * The one interface every column type implements (PROTOCOL.md §6.1): a state prefix, then bulk data, for a whole
 * block column at once. Column values are the same JS shapes users see: a TypedArray for fixed-width numbers, a
 * plain array of JS values otherwise (see README, "Type mapping").
 */
import type { ByteReader } from '../protocol/reader.js';
import type { ByteWriter } from '../protocol/writer.js';

/** A decoded column: what `read` returns and what `write` accepts. */
export type ColumnValues = ArrayLike<unknown>;

export interface ColumnCodec {
  /** The type name as the server spells it, e.g. `Nullable(String)`. */
  readonly type: string;

  /**
   * Reads the serialization state prefix that precedes the bulk data (LowCardinality's key version, ...).
   * Composite codecs read their children's prefixes, depth first. Absent for types that have no prefix.
   */
  readPrefix?(reader: ByteReader): Promise<void>;

  /** Writes the state prefix (mirrors `readPrefix`). */
  writePrefix?(writer: ByteWriter): void;

  /**
   * Reads `rows` values. Awaits only when the buffered bytes run out (`reader.ensure(n)` for fixed sizes, or
   * `reader.waitForMore()` inside a row loop that keeps its own position); never per value.
   */
  read(reader: ByteReader, rows: number): Promise<ColumnValues>;

  /**
   * Validates and writes `rows` values taken from `values` (an array of JS values, or a TypedArray where the
   * type allows it). A bad value throws `InvalidValueError` whose `row` is the index into `values`; the caller
   * adds the column name. Composite codecs translate their children's row indexes into their own. Every codec
   * also accepts `ZERO` (below) in any row.
   */
  write(writer: ByteWriter, values: ColumnValues, rows: number): void;
}

/**
 * A value every codec's `write` accepts in any row, written as the type's zero value: 0, '', N zero bytes, the
 * epoch, an empty array, NULL. These are the bytes ClickHouse itself keeps under a NULL (PROTOCOL.md §6.7, e.g.
 * 0 for a `Nullable(Enum8('a' = 1))` even though 0 names no entry), so Nullable writes it in its NULL slots.
 * Internal: not a value users pass.
 */
export const ZERO: unique symbol = Symbol('clickhouse-native.zero');
