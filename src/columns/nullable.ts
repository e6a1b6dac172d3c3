/**
 * Nullable(T) (docs/protocol.md §6.7): a null map (one byte per row, 1 = NULL), then T's data for every row, with
 * T's zero value in the NULL slots.
 *
 * Read: null for NULL, else T's value (so Nullable(UInt32) reads as (number | null)[], not a TypedArray).
 * Write: null is NULL; anything else goes to T. `undefined` is an error, not NULL: a missing value is for the
 * insert layer to resolve (a column DEFAULT is not NULL), so it must not turn into NULL silently here.
 */
import { InvalidValueError } from '../errors.js';
import type { ByteReader } from '../protocol/reader.js';
import type { ByteWriter } from '../protocol/writer.js';
import { BaseCodec, FlatPieces, ZERO, type ColumnCodec, type ColumnValues } from './codec.js';
import { badType, expectOneType, type CodecFactory } from './factory.js';

/** What Nullable writes for a block: its null map, and the values T writes (T's zero in the NULL rows). */
interface NullablePlan {
  nulls: Uint8Array;
  values: ColumnValues;
  inner: unknown;
}

export class NullableCodec extends BaseCodec implements ColumnCodec {
  constructor(
    readonly type: string,
    readonly inner: ColumnCodec,
  ) {
    super();
  }

  // The prefix of the whole tree comes first (§6.1); Nullable adds nothing of its own.
  override readPrefix(reader: ByteReader): Promise<unknown> {
    return this.inner.readPrefix(reader);
  }

  override writePrefix(writer: ByteWriter, values: ColumnValues, rows: number): NullablePlan | undefined {
    // A flat T has no prefix: its values are checked and written in one go by `write`.
    if (this.inner.flat) return undefined;
    const plan = this.plan(values, rows);
    plan.inner = this.inner.writePrefix(writer, plan.values, rows);
    return plan;
  }

  async read(reader: ByteReader, rows: number, state?: unknown): Promise<unknown[]> {
    // Copied: the inner read may await, and the map is needed after it.
    const nulls = new Uint8Array(await reader.take(rows));
    const values = await this.inner.read(reader, rows, state);
    // A plain array from the inner codec is ours to reuse; a TypedArray's values are copied out.
    const out: unknown[] = Array.isArray(values) ? values : Array.from(values as ArrayLike<unknown>);
    for (let i = 0; i < rows; i++) if (nulls[i] !== 0) out[i] = null;
    return out;
  }

  write(writer: ByteWriter, values: ColumnValues, rows: number, state?: unknown): void {
    if (this.inner.flat) {
      this.writeFlat(writer, values, rows);
      return;
    }
    const plan = (state as NullablePlan | undefined) ?? this.plan(values, rows);
    writer.bytes(plan.nulls);
    this.inner.write(writer, plan.values, rows, plan.inner);
  }

  /**
   * A flat T: the null map is written straight into the output, then T's values with ZERO for the NULLs, a piece
   * at a time (FlatPieces): no copy of the column. Measured on the wide table (blocks of 16 384 rows):
   * Nullable(String) with a third NULL 115 -> 60 ns per row, Nullable(UInt32) with a fifth 113 -> 27.
   */
  private writeFlat(writer: ByteWriter, values: ColumnValues, rows: number): void {
    if (fillNullMap(values, rows, writer.claim(rows)) === 0) {
      this.inner.write(writer, values, rows);
      return;
    }
    const pieces = new FlatPieces(writer, this.inner, rows);
    for (let i = 0; i < rows; i++) {
      const v = values[i];
      pieces.push(v === null ? ZERO : v);
    }
    pieces.flush();
  }

  private plan(values: ColumnValues, rows: number): NullablePlan {
    const nulls = new Uint8Array(rows);
    if (fillNullMap(values, rows, nulls) === 0) return { nulls, values, inner: undefined };
    const filled = new Array<unknown>(rows);
    for (let i = 0; i < rows; i++) filled[i] = nulls[i] === 1 ? ZERO : values[i];
    return { nulls, values: filled, inner: undefined };
  }
}

/** ClickHouse refuses these inside Nullable ("Nested type ... cannot be inside Nullable type"). */
const NOT_NULLABLE = new Set(['Array', 'Map', 'LowCardinality', 'Nullable', 'Dynamic']);

export const nullableFamily: CodecFactory = (node, type, resolve) => {
  const inner = expectOneType(node, type);
  if (NOT_NULLABLE.has(inner.name)) throw badType(type, `${inner.name} cannot be inside Nullable`);
  return new NullableCodec(type, resolve(inner));
};

/**
 * The null map of values[0, rows) into `map` (1 for NULL or the ZERO placeholder, else 0); returns the NULL count.
 * `undefined` is refused at its row: NULL is spelled null.
 */
function fillNullMap(values: ColumnValues, rows: number, map: Uint8Array): number {
  let nulls = 0;
  for (let i = 0; i < rows; i++) {
    const v = values[i];
    if (v === null || v === ZERO) {
      map[i] = 1;
      nulls++;
    } else {
      if (v === undefined) throw new InvalidValueError('undefined is not a value; use null for NULL', { row: i });
      map[i] = 0;
    }
  }
  return nulls;
}
