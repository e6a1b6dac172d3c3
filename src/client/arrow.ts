/**
 * Apache Arrow interop, with `apache-arrow` as an optional peer dependency: loaded on first use only, so the package
 * works without it, and a call that needs it says how to get it (ArrowUnavailableError).
 *
 * Blocks → RecordBatches: fixed-width numeric columns arrive as TypedArrays (README, "Type mapping") whose layout is
 * Arrow's own (little-endian values, no nulls), so they become Arrow vectors without a copy. Strings, dates,
 * booleans and Nullable columns are built value by value. Arrow Table → insert: each RecordBatch becomes a columnar
 * chunk; a numeric column without nulls hands its values buffer over as a TypedArray view (no copy), which the
 * insert encoder writes in bulk.
 */
import type * as Arrow from 'apache-arrow';
import type { Block, BlockColumn } from '../columns/block.js';
import { ClickHouseNativeError, UnsupportedError } from '../errors.js';
import type { ColumnarInput } from '../insert/input.js';

/** Thrown when an Arrow call is made and `apache-arrow` cannot be loaded. */
export class ArrowUnavailableError extends ClickHouseNativeError {}

type ArrowModule = typeof Arrow;
/** The TypedArrays a block column or an Arrow numeric vector holds. */
type NumericArray =
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;
let arrowModule: Promise<ArrowModule> | undefined;

/** Loads apache-arrow once; a failed load is retried on the next call (it may have been installed since). */
export function loadArrow(): Promise<ArrowModule> {
  arrowModule ??= import('apache-arrow').catch((error: unknown) => {
    arrowModule = undefined;
    throw new ArrowUnavailableError(
      'Arrow interop needs the optional dependency apache-arrow, which cannot be loaded: npm install apache-arrow',
      { cause: error },
    );
  });
  return arrowModule;
}

/** Strips Nullable(…) and LowCardinality(…): the Arrow type comes from the inner type, nullability from the data. */
function innerType(type: string): { inner: string; nullable: boolean } {
  let inner = type;
  let nullable = false;
  for (;;) {
    const match = /^(Nullable|LowCardinality)\((.*)\)$/.exec(inner);
    if (!match) return { inner, nullable };
    if (match[1] === 'Nullable') nullable = true;
    inner = match[2]!;
  }
}

function arrowTypeFor(arrow: ArrowModule, column: BlockColumn): Arrow.DataType {
  const { inner } = innerType(column.type);
  switch (inner) {
    case 'Int8':
      return new arrow.Int8();
    case 'Int16':
      return new arrow.Int16();
    case 'Int32':
      return new arrow.Int32();
    case 'Int64':
      return new arrow.Int64();
    case 'UInt8':
      return new arrow.Uint8();
    case 'UInt16':
      return new arrow.Uint16();
    case 'UInt32':
      return new arrow.Uint32();
    case 'UInt64':
      return new arrow.Uint64();
    case 'Float32':
      return new arrow.Float32();
    case 'Float64':
      return new arrow.Float64();
    case 'Bool':
      return new arrow.Bool();
    case 'String':
    case 'UUID':
    case 'IPv4':
    case 'IPv6':
      return new arrow.Utf8();
    case 'Date':
    case 'Date32':
      return new arrow.DateMillisecond();
  }
  if (inner === 'DateTime' || inner.startsWith('DateTime(')) return new arrow.TimestampMillisecond();
  if (/^DateTime64\([0-3](,|\))/.test(inner)) return new arrow.TimestampMillisecond();
  if (/^Enum(8|16)\(/.test(inner) || /^Decimal/.test(inner)) return new arrow.Utf8();
  throw new UnsupportedError(
    `Column ${column.name} has type ${column.type}, which has no Arrow mapping here: ` +
      'numbers, Bool, String, UUID, IP, Enum, Decimal (as text), Date, DateTime, DateTime64(0..3), Nullable and ' +
      'LowCardinality of them',
  );
}

/** One block as an Arrow RecordBatch: numeric TypedArray columns without a copy, others value by value. */
export function blockToRecordBatch(arrow: ArrowModule, block: Block): Arrow.RecordBatch {
  const vectors: Record<string, Arrow.Vector> = {};
  for (const column of block.columns) {
    const type = arrowTypeFor(arrow, column);
    const values = column.values;
    if (ArrayBuffer.isView(values) && !(values instanceof DataView)) {
      // The TypedArray is Arrow's buffer layout already: makeVector wraps it.
      vectors[column.name] = arrow.makeVector(values as Float64Array); // any NumericArray; the cast only picks an overload;
    } else {
      const plain = Array.from(values as ArrayLike<unknown>, (v) =>
        typeof v === 'object' && v !== null && !(v instanceof Date) ? String(v) : v,
      );
      if (arrow.DataType.isTimestamp(type) || arrow.DataType.isDate(type)) {
        // Arrow's date and timestamp builders take epoch milliseconds.
        vectors[column.name] = arrow.vectorFromArray(
          plain.map((v) => (v instanceof Date ? v.getTime() : (v as null))),
          type,
        );
      } else {
        vectors[column.name] = arrow.vectorFromArray(plain, type);
      }
    }
  }
  const table = new arrow.Table(vectors);
  const [batch] = table.batches;
  return batch ?? new arrow.RecordBatch(table.schema);
}

/** A RecordBatch as a columnar insert chunk: numeric columns without nulls as views of Arrow's buffers. */
export function recordBatchToColumns(arrow: ArrowModule, batch: Arrow.RecordBatch): ColumnarInput {
  const columns: ColumnarInput = Object.create(null) as ColumnarInput;
  for (const field of batch.schema.fields) {
    const vector = batch.getChild(field.name)!;
    const data = vector.data[0];
    // Int8..Uint64 and Float32/64: ClickHouse's layout of the same type (Float16 has none).
    const numeric =
      arrow.DataType.isInt(field.type) ||
      (arrow.DataType.isFloat(field.type) && field.type.precision !== arrow.Precision.HALF);
    if (data && vector.data.length === 1 && vector.nullCount === 0 && numeric) {
      // values is a TypedArray over the IPC/Arrow buffer, already offset to this slice.
      columns[field.name] = (data.values as NumericArray).subarray(0, vector.length);
    } else if (arrow.DataType.isTimestamp(field.type) || arrow.DataType.isDate(field.type)) {
      // Epoch milliseconds (or a Date, depending on the apache-arrow version) → Date, as DateTime columns take it.
      columns[field.name] = Array.from(vector, (v: unknown) =>
        v === null || v === undefined ? null : v instanceof Date ? v : new Date(Number(v)),
      );
    } else {
      columns[field.name] = Array.from(vector, (v: unknown) => v ?? null);
    }
  }
  return columns;
}

/**
 * An Arrow Table (or RecordBatch) as insert values: one columnar chunk per RecordBatch, numeric columns without nulls
 * passed as views of Arrow's buffers. Column names are the Arrow field names.
 */
export async function fromArrow(
  source: Arrow.Table | Arrow.RecordBatch,
): Promise<ColumnarInput | Iterable<ColumnarInput>> {
  const arrow = await loadArrow();
  const batches = source instanceof arrow.RecordBatch ? [source] : (source as Arrow.Table).batches;
  const chunks = batches.map((batch) => recordBatchToColumns(arrow, batch));
  if (chunks.length === 1) return chunks[0]!;
  // Not an array: insert reads an array as rows, an iterable as chunks.
  return { [Symbol.iterator]: () => chunks[Symbol.iterator]() };
}
