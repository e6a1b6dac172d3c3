/**
 * The one contract every column type implements (docs/protocol.md §6.1), after clickhouse-cpp's prefix/body split and
 * ch-go's state encoders: a column in a block is a state prefix, then a body, for the whole block column at once.
 * Every codec has both halves; most types' prefix is empty (BaseCodec's no-op defaults), so a composite always
 * delegates to its children and never asks which of them have one. The state a prefix gives is per block and is
 * handed to the body: codecs are shared by every block and connection, so they hold no state of their own.
 *
 * Column values are the JS shapes users see: a TypedArray for fixed-width numbers, a plain array of JS values
 * otherwise (README, "Type mapping").
 */
import { InvalidValueError } from '../errors.js';
import type { ByteReader } from '../protocol/reader.js';
import type { ByteWriter } from '../protocol/writer.js';
import type { TypedArrayClass } from './values.js';

/** A decoded column: what `read` returns and what `write` accepts. */
export type ColumnValues = ArrayLike<unknown>;

export interface ColumnCodec {
  /** The type name as the server spells it, e.g. `Nullable(String)`. */
  readonly type: string;

  /**
   * The TypedArray class `read` returns (UInt32 → Uint32Array, a view of the wire bytes where aligned), or undefined
   * when it returns a plain array. Declared, so that a composite knows a child's shape without reading any of it.
   */
  readonly typedArray: TypedArrayClass | undefined;

  /**
   * True for a flat type (fixed-width numbers, String, FixedString, dates, UUID, enums, decimals, IPs): no state
   * prefix, and its body for rows [a, c) is its body for [a, b) followed by its body for [b, c) (docs/protocol.md
   * §6.1). A composite may then write its values piece by piece (FlatPieces, below) instead of copying them all
   * into one column first.
   */
  readonly flat: boolean;

  /**
   * Reads the state prefix that precedes the body (LowCardinality's key version, Dynamic's type list, JSON's
   * paths); a composite reads its children's prefixes, depth first. Resolves to the block's prefix state, which
   * the caller hands to `read` for the same block.
   */
  readPrefix(reader: ByteReader): Promise<unknown>;

  /**
   * Reads the body: `rows` values. Awaits only when the buffered bytes run out (`reader.take(n)` for a known size,
   * or the reader's window for values of varying size); never per value. `state` is what `readPrefix` gave.
   */
  read(reader: ByteReader, rows: number, state?: unknown): Promise<ColumnValues>;

  /**
   * Plans the block from its values and writes the state prefix. Returns the plan, which the caller hands to
   * `write` for the same values: what the prefix was worked out from (Dynamic's types, JSON's paths) and what a
   * composite gave its children (their columns and their plans), so nothing is worked out twice. A bad value may
   * throw InvalidValueError here already, as `write` would.
   */
  writePrefix(writer: ByteWriter, values: ColumnValues, rows: number): unknown;

  /**
   * Validates and writes the body: `rows` values taken from `values` (an array of JS values, or a TypedArray where
   * the type allows it). A bad value throws `InvalidValueError` whose `row` is the index into `values`; the caller
   * adds the column name, and composites translate their children's rows into their own. Every codec also accepts
   * `ZERO` (below) in any row. `state` is what `writePrefix` returned for these values; without it (a value written
   * alone, to check it or to take its bytes) the codec plans by itself.
   */
  write(writer: ByteWriter, values: ColumnValues, rows: number, state?: unknown): void;
}

/** The no-op halves most types have: no prefix, no plan, a plain array. Codecs extend it and add a body. */
export abstract class BaseCodec {
  readonly typedArray: TypedArrayClass | undefined = undefined;
  readonly flat: boolean = false;

  async readPrefix(_reader: ByteReader): Promise<unknown> {
    return undefined;
  }

  writePrefix(_writer: ByteWriter, _values: ColumnValues, _rows: number): unknown {
    return undefined;
  }
}

/** Reads one column of a block: its prefix, then its `rows` values. */
export async function readColumn(reader: ByteReader, codec: ColumnCodec, rows: number): Promise<ColumnValues> {
  const state = await codec.readPrefix(reader);
  return codec.read(reader, rows, state);
}

/** Writes one column of a block: its prefix, then its first `rows` values. */
export function writeColumn(writer: ByteWriter, codec: ColumnCodec, values: ColumnValues, rows: number): void {
  const state = codec.writePrefix(writer, values, rows);
  codec.write(writer, values, rows, state);
}

/**
 * A value every codec's `write` accepts in any row, written as the type's zero value: 0, '', N zero bytes, the
 * epoch, an empty array, NULL. These are the bytes ClickHouse itself keeps under a NULL (docs/protocol.md §6.7, e.g.
 * 0 for a `Nullable(Enum8('a' = 1))` even though 0 names no entry), so Nullable writes it in its NULL slots.
 * Internal: not a value users pass.
 */
export const ZERO: unique symbol = Symbol('clickhouse-native.zero');

/**
 * Most values in one piece of FlatPieces. Why pieces: Nullable and Array used to copy a block's values (NULLs made
 * ZERO, every row's elements joined) into one fresh array per block, and an array of 16k or more values is a V8
 * large object: filling a fresh one measured ~100 ns per value, against ~3 ns for one of 16 000, and the wide
 * table's profile spent a quarter of its time in the garbage collector. A piece of 4096 values stays small.
 */
const PIECE_VALUES = 4096;

/**
 * Writes values for a flat codec a piece at a time: `push` gathers them into one small array, and each full piece
 * is written with one call of the codec's `write`, its bytes following the pieces before it (flat: the body of
 * the whole is the bodies of its parts in order). A bad value's error names its index among all values pushed.
 */
export class FlatPieces {
  private readonly piece: unknown[];
  private count = 0;
  /** Values written in earlier pieces. */
  private done = 0;

  constructor(
    private readonly writer: ByteWriter,
    private readonly codec: ColumnCodec,
    /** How many values will be pushed, at most (the piece is no larger). */
    total: number,
  ) {
    this.piece = new Array<unknown>(Math.min(total, PIECE_VALUES));
  }

  push(value: unknown): void {
    this.piece[this.count++] = value;
    if (this.count === this.piece.length) this.flush();
  }

  /** Writes the values pushed since the last piece. */
  flush(): void {
    const count = this.count;
    if (count === 0) return;
    try {
      this.codec.write(this.writer, this.piece, count);
    } catch (error) {
      if (error instanceof InvalidValueError && error.row !== undefined) {
        throw new InvalidValueError(error.reason, { row: this.done + error.row });
      }
      throw error;
    }
    this.done += count;
    this.count = 0;
  }
}
