/**
 * Insert input shapes and how they become blocks: row objects, a columnar object, or an (async) iterable of
 * either. Blocks are cut at `blockRows` rows; values are taken as they are, validated by the column codecs.
 */
import { InvalidValueError } from '../errors.js';
import type { Block, BlockColumn } from '../protocol/block.js';
import type { ColumnValues } from '../columns/codec.js';

export type InsertRow = Record<string, unknown>;
/** Column name → one value per row: a TypedArray (taken as is) or an array of JS values. */
export type ColumnarInput = Record<string, ColumnValues>;
export type InsertChunk = InsertRow | readonly InsertRow[] | ColumnarInput;
export type InsertValues =
  | readonly InsertRow[]
  | ColumnarInput
  | AsyncIterable<InsertChunk>
  | Iterable<InsertChunk>;

export interface ColumnHeader {
  name: string;
  type: string;
}

function isIterable(value: unknown): value is Iterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.iterator in value;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

function isColumnValues(value: unknown): value is ColumnValues {
  return Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView));
}

/** A columnar object: a plain object whose every property is an array or a TypedArray. */
export function isColumnar(value: unknown): value is ColumnarInput {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || isIterable(value) || isAsyncIterable(value)) {
    return false;
  }
  const entries = Object.values(value);
  return entries.length > 0 && entries.every(isColumnValues);
}

function columnarLength(input: ColumnarInput, rowOffset: number): number {
  let rows = -1;
  for (const [name, values] of Object.entries(input)) {
    if (rows === -1) rows = values.length;
    else if (values.length !== rows) {
      throw new InvalidValueError(`column has ${values.length} values, but the first column has ${rows}`, {
        column: name,
        row: rowOffset + Math.min(rows, values.length),
      });
    }
  }
  return Math.max(rows, 0);
}

/** The column names an input provides, from its first chunk. */
export function inferColumnNames(first: InsertChunk | undefined): string[] {
  if (first === undefined) return [];
  if (Array.isArray(first)) return first.length > 0 ? Object.keys(first[0] as InsertRow) : [];
  return Object.keys(first);
}

/** Normalises every input shape into an async stream of chunks (arrays pass through as one chunk). */
export async function* chunksOf(values: InsertValues): AsyncGenerator<readonly InsertRow[] | ColumnarInput> {
  if (Array.isArray(values)) {
    yield values as readonly InsertRow[];
    return;
  }
  if (isColumnar(values)) {
    yield values;
    return;
  }
  if (isAsyncIterable(values) || isIterable(values)) {
    let rowBatch: InsertRow[] = [];
    for await (const chunk of values as AsyncIterable<InsertChunk>) {
      if (Array.isArray(chunk)) {
        if (rowBatch.length > 0) yield rowBatch.splice(0);
        yield chunk as readonly InsertRow[];
      } else if (isColumnar(chunk)) {
        if (rowBatch.length > 0) yield rowBatch.splice(0);
        yield chunk;
      } else if (typeof chunk === 'object' && chunk !== null) {
        rowBatch.push(chunk as InsertRow);
        // Single rows are batched so that blocks are not cut per row.
        if (rowBatch.length >= 8192) {
          yield rowBatch;
          rowBatch = [];
        }
      } else {
        throw new InvalidValueError(`expected a row object, an array of rows or a columnar object, got ${typeof chunk}`);
      }
    }
    if (rowBatch.length > 0) yield rowBatch;
    return;
  }
  throw new InvalidValueError('values must be an array of rows, a columnar object, or an (async) iterable of them');
}

/**
 * Cuts one chunk into blocks of at most `blockRows` rows shaped to the server's header.
 * `rowOffset` is the index of the chunk's first row in the whole insert, for error messages.
 */
export function* blocksOf(
  chunk: readonly InsertRow[] | ColumnarInput,
  header: readonly ColumnHeader[],
  blockRows: number,
  rowOffset: number,
): Generator<Block> {
  if (Array.isArray(chunk)) {
    const rows = chunk as readonly InsertRow[];
    for (let start = 0; start < rows.length; start += blockRows) {
      const end = Math.min(rows.length, start + blockRows);
      yield rowBlock(rows, start, end, header, rowOffset);
    }
    return;
  }
  const columnar = chunk as ColumnarInput;
  const total = columnarLength(columnar, rowOffset);
  const known = new Set(header.map((column) => column.name));
  for (const name of Object.keys(columnar)) {
    if (!known.has(name)) throw new InvalidValueError('the table has no such column in this insert', { column: name });
  }
  for (const column of header) {
    if (!(column.name in columnar)) {
      throw new InvalidValueError('the input has no values for this column', { column: column.name, type: column.type });
    }
  }
  for (let start = 0; start < total; start += blockRows) {
    const end = Math.min(total, start + blockRows);
    const columns: BlockColumn[] = header.map(({ name, type }) => ({
      name,
      type,
      values: sliceValues(columnar[name]!, start, end),
    }));
    yield { rows: end - start, columns };
  }
}

function sliceValues(values: ColumnValues, start: number, end: number): ColumnValues {
  if (start === 0 && end === values.length) return values;
  if (ArrayBuffer.isView(values)) return (values as unknown as Uint8Array).subarray(start, end);
  return (values as unknown[]).slice(start, end);
}

function rowBlock(
  rows: readonly InsertRow[],
  start: number,
  end: number,
  header: readonly ColumnHeader[],
  rowOffset: number,
): Block {
  const count = end - start;
  const columns: BlockColumn[] = header.map(({ name, type }) => ({ name, type, values: new Array<unknown>(count) }));
  const width = header.length;
  for (let i = 0; i < count; i++) {
    const row = rows[start + i];
    if (typeof row !== 'object' || row === null) {
      throw new InvalidValueError(`expected a row object, got ${row === null ? 'null' : typeof row}`, {
        row: rowOffset + start + i,
      });
    }
    let keys = 0;
    for (const key in row) if (row[key] !== undefined) keys++;
    for (let c = 0; c < width; c++) {
      const column = columns[c]!;
      const value = row[column.name];
      if (value === undefined) {
        throw new InvalidValueError('the row has no value for this column', {
          column: column.name,
          row: rowOffset + start + i,
          type: column.type,
        });
      }
      (column.values as unknown[])[i] = value;
    }
    if (keys > width) {
      const extra = Object.keys(row).find((key) => row[key] !== undefined && !header.some((h) => h.name === key));
      throw new InvalidValueError('the row has a key that is not a column of this insert', {
        column: extra,
        row: rowOffset + start + i,
      });
    }
  }
  return { rows: count, columns };
}
