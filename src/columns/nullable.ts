/**
 * Nullable(T) (PROTOCOL.md §6.7): a null map (one byte per row, 1 = NULL), then T's data for every row, with
 * T's zero value in the NULL slots.
 *
 * Read: null for NULL, else T's value (so Nullable(UInt32) reads as (number | null)[], not a TypedArray).
 * Write: null is NULL; anything else goes to T. `undefined` is an error, not NULL: a missing value is for the
 * insert layer to resolve (a column DEFAULT is not NULL), so it must not turn into NULL silently here.
 */
import { InvalidValueError } from '../errors.js';
import type { ByteReader } from '../protocol/reader.js';
import type { ByteWriter } from '../protocol/writer.js';
import { ZERO, type ColumnCodec, type ColumnValues } from './codec.js';
import { badType, expectOneType, type CodecFactory } from './factory.js';

export class NullableCodec implements ColumnCodec {
  readPrefix?: (reader: ByteReader) => Promise<unknown>;
  writePrefix?: (writer: ByteWriter, values?: ColumnValues, rows?: number) => unknown;
  readonly valuePrefix?: boolean;

  constructor(
    readonly type: string,
    readonly inner: ColumnCodec,
  ) {
    // The prefix of the whole tree comes first (§6.1); Nullable adds nothing of its own.
    if (inner.readPrefix) this.readPrefix = (reader) => inner.readPrefix!(reader);
    if (inner.writePrefix) this.writePrefix = (writer, values, rows) => inner.writePrefix!(writer, values, rows);
    // Nullable(JSON): the prefix sees the values with null in the NULL rows (JSON takes null as no paths).
    if (inner.valuePrefix) this.valuePrefix = true;
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
    const map = writer.claim(rows);
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
    if (nulls === 0) {
      this.inner.write(writer, values, rows, state);
      return;
    }
    const filled = new Array<unknown>(rows);
    for (let i = 0; i < rows; i++) filled[i] = map[i] === 1 ? ZERO : values[i];
    this.inner.write(writer, filled, rows, state);
  }
}

/** ClickHouse refuses these inside Nullable ("Nested type ... cannot be inside Nullable type"). */
const NOT_NULLABLE = new Set(['Array', 'Map', 'LowCardinality', 'Nullable', 'Dynamic']);

export const nullableFamily: CodecFactory = (node, type, resolve) => {
  const inner = expectOneType(node, type);
  if (NOT_NULLABLE.has(inner.name)) throw badType(type, `${inner.name} cannot be inside Nullable`);
  return new NullableCodec(type, resolve(inner));
};
