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
   * Resolves to the block's prefix state (Dynamic's type list, JSON's path list; undefined for most types),
   * which the caller hands to `read` for the same block. Codecs are shared, so the state never lives on them.
   */
  readPrefix?(reader: ByteReader): Promise<unknown>;

  /**
   * Writes the state prefix (mirrors `readPrefix`) and returns the block's prefix state, which the caller hands
   * to `write` for the same values. `values` and `rows` are given only when `valuePrefix` is set: the prefix of
   * Dynamic and JSON depends on the data (which types, which paths); composites holding such a child set
   * `valuePrefix` too and pass the child its own values.
   */
  writePrefix?(writer: ByteWriter, values?: ColumnValues, rows?: number): unknown;

  /** Set when `writePrefix` needs the values (Dynamic, JSON, and composites holding one). */
  readonly valuePrefix?: boolean;

  /**
   * Reads `rows` values. Awaits only when the buffered bytes run out (`reader.ensure(n)` for fixed sizes, or
   * `reader.waitForMore()` inside a row loop that keeps its own position); never per value. `state` is what
   * `readPrefix` returned for this block.
   */
  read(reader: ByteReader, rows: number, state?: unknown): Promise<ColumnValues>;

  /**
   * Validates and writes `rows` values taken from `values` (an array of JS values, or a TypedArray where the
   * type allows it). A bad value throws `InvalidValueError` whose `row` is the index into `values`; the caller
   * adds the column name. Composite codecs translate their children's row indexes into their own. Every codec
   * also accepts `ZERO` (below) in any row. `state` is what `writePrefix` returned for these values; a codec
   * with a value-dependent prefix works it out again when `state` is undefined (a value written alone).
   */
  write(writer: ByteWriter, values: ColumnValues, rows: number, state?: unknown): void;
}

/**
 * A value every codec's `write` accepts in any row, written as the type's zero value: 0, '', N zero bytes, the
 * epoch, an empty array, NULL. These are the bytes ClickHouse itself keeps under a NULL (PROTOCOL.md §6.7, e.g.
 * 0 for a `Nullable(Enum8('a' = 1))` even though 0 names no entry), so Nullable writes it in its NULL slots.
 * Internal: not a value users pass.
 */
export const ZERO: unique symbol = Symbol('clickhouse-native.zero');
