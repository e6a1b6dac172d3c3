/**
 * Insert input shapes and how they become blocks: row objects, a columnar object, or an (async) iterable of
 * either (a Node Readable in object mode is one). Blocks are cut at a size in rows and in bytes (`BlockSizer`);
 * values are taken as they are, validated by the column codecs.
 */
import { InvalidValueError } from '../errors.js';
import type { Block, BlockColumn } from '../columns/block.js';
import type { ColumnValues } from '../columns/codec.js';

export type InsertRow = Record<string, unknown>;
/** Column name → one value per row: a TypedArray (taken as is) or an array of JS values. */
export type ColumnarInput = Record<string, ColumnValues>;
export type InsertChunk = InsertRow | readonly InsertRow[] | ColumnarInput;
export type InsertValues = readonly InsertRow[] | ColumnarInput | AsyncIterable<InsertChunk> | Iterable<InsertChunk>;

/**
 * Insert input typed by its row type `T` (an interface works: no index signature needed): rows, a columnar object
 * of `T`'s keys (a TypedArray or an array of values each), or an (async) iterable of either or of row arrays.
 */
export type ColumnarOf<T> = { readonly [K in keyof T]: ArrayLike<T[K]> | ArrayLike<unknown> };
export type InsertChunkOf<T> = T | readonly T[] | ColumnarOf<T>;
export type InsertValuesOf<T> =
  readonly T[] | ColumnarOf<T> | AsyncIterable<InsertChunkOf<T>> | Iterable<InsertChunkOf<T>>;

/**
 * In-memory input up to about this size (estimated) can be held, encoded, for a resend (fitsRetryBuffer). Larger
 * input is sent once: validated first in a pass that keeps no bytes, then encoded block by block as it is sent, so a
 * bad value anywhere still sends nothing and memory stays bounded at any input size.
 */
export const IN_MEMORY_STAGE_BYTES = 64 << 20;

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
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    isIterable(value) ||
    isAsyncIterable(value)
  ) {
    return false;
  }
  const entries = Object.values(value);
  return entries.length > 0 && entries.every(isColumnValues);
}

/** Input that is wholly in memory (an array of rows or a columnar object), as opposed to a stream of chunks. */
export function isInMemory(values: InsertValues): values is readonly InsertRow[] | ColumnarInput {
  return Array.isArray(values) || isColumnar(values);
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

/** Rows in a chunk (as blocksOf sees it). */
export function chunkRows(chunk: readonly InsertRow[] | ColumnarInput): number {
  if (Array.isArray(chunk)) return chunk.length;
  const first = Object.values(chunk)[0];
  return first ? first.length : 0;
}

/** The column names an input provides, from its first chunk. */
export function inferColumnNames(first: InsertChunk | undefined): string[] {
  if (first === undefined) return [];
  if (Array.isArray(first)) return first.length > 0 ? Object.keys(first[0] as InsertRow) : [];
  return Object.keys(first);
}

// ---------------------------------------------------------------------------------------------------------------
// Block size: rows and bytes
// ---------------------------------------------------------------------------------------------------------------

/**
 * Decides how many rows the next block takes: at most `maxRows`, and about `maxBytes` of encoded data. The bytes
 * per row come from the blocks already encoded (`record`), and for the first block from a small sample of it, so
 * cutting costs nothing per row.
 */
export class BlockSizer {
  private bytesPerRow = 0;

  constructor(
    readonly maxRows: number,
    readonly maxBytes: number,
  ) {}

  /** Rows for a block out of `available`; `sample` estimates bytes per row when no block was encoded yet. */
  rowsFor(available: number, sample: () => number): number {
    let rows = Math.min(available, this.maxRows);
    const perRow = this.bytesPerRow > 0 ? this.bytesPerRow : sample();
    if (perRow > 0) rows = Math.min(rows, Math.max(1, Math.floor(this.maxBytes / perRow)));
    return rows;
  }

  /** Rows a streaming source should gather before a block is cut (single rows and small row arrays merge). */
  get targetRows(): number {
    if (this.bytesPerRow <= 0) return this.maxRows;
    return Math.max(1, Math.min(this.maxRows, Math.floor(this.maxBytes / this.bytesPerRow)));
  }

  /** What an encoded block measured. */
  record(rows: number, bytes: number): void {
    if (rows > 0) this.bytesPerRow = bytes / rows;
  }
}

/**
 * Cuts the blocks an earlier encoding of the same input cut, in order. A resendable insert encoded again (another
 * revision or header after a reconnect) must send the same rows in each block, which is what a server's insert
 * deduplication compares; a BlockSizer would cut by the bytes it measured, and those differ between revisions (a
 * byte per column from 54454, docs/protocol.md), which can move a boundary by a row.
 */
export class ReplayedCuts extends BlockSizer {
  private next = 0;

  constructor(private readonly cuts: readonly number[]) {
    super(Math.max(1, ...cuts), Infinity);
  }

  override rowsFor(available: number): number {
    return Math.min(available, this.cuts[this.next++] ?? available);
  }
}

const SAMPLE_ROWS = 16;

/** Rough encoded size of one value (strings by their UTF-16 length: exact for ASCII, which most data is). */
function valueBytes(v: unknown): number {
  switch (typeof v) {
    case 'string':
      return v.length + 1;
    case 'number':
    case 'bigint':
      return 8;
    case 'boolean':
      return 1;
    case 'object':
      if (v === null) return 1;
      if (ArrayBuffer.isView(v)) return v.byteLength + 1;
      if (Array.isArray(v)) {
        let n = 8;
        for (let i = 0; i < v.length; i++) n += valueBytes(v[i]);
        return n;
      }
      return 8; // a Date, or an object a codec takes apart
    default:
      return 8;
  }
}

function sampleRows(rows: readonly InsertRow[], start: number, end: number): number {
  const n = Math.min(SAMPLE_ROWS, end - start);
  if (n <= 0) return 0;
  let bytes = 0;
  for (let i = start; i < start + n; i++) {
    const row = rows[i];
    if (typeof row !== 'object' || row === null) continue;
    for (const key in row) bytes += valueBytes(row[key]);
  }
  return bytes / n;
}

function sampleColumns(columns: readonly ColumnValues[], start: number, end: number): number {
  const n = Math.min(SAMPLE_ROWS, end - start);
  if (n <= 0) return 0;
  let bytes = 0;
  for (const values of columns) {
    if (ArrayBuffer.isView(values)) {
      bytes += (values as unknown as Uint8Array).BYTES_PER_ELEMENT * n;
    } else {
      for (let i = start; i < start + n; i++) bytes += valueBytes(values[i]);
    }
  }
  return bytes / n;
}

/** Estimated encoded bytes per row of a chunk from its row `start` on (a sample of a few rows). */
export function sampleBytesPerRow(chunk: readonly InsertRow[] | ColumnarInput, start: number): number {
  if (Array.isArray(chunk)) return sampleRows(chunk as readonly InsertRow[], start, chunk.length);
  return sampleColumns(Object.values(chunk), start, chunkRows(chunk));
}

// ---------------------------------------------------------------------------------------------------------------
// Chunks: every input shape as a stream of row arrays and columnar objects
// ---------------------------------------------------------------------------------------------------------------

/**
 * Single rows and small row arrays of a stream are gathered into chunks of this many rows before they are added to
 * a block (src/insert/stream-blocks.ts): enough that the per-chunk work is small, few enough that the rows die in
 * V8's young generation. Gathering whole blocks (100 000 rows) kept them alive until V8 promoted them.
 */
const STREAM_GATHER_ROWS = 1024;

/**
 * Normalises every input shape into an async stream of chunks. Arrays and columnar objects pass through; single
 * rows and small row arrays are gathered (by reference) up to STREAM_GATHER_ROWS rows (or a block, if smaller), so
 * that the insert flow does not work per row or per small write; blocks are built from the chunks as they arrive
 * (stream-blocks.ts). Columnar chunks pass through as they are (they are not concatenated).
 */
export async function* chunksOf(
  values: InsertValues,
  sizer?: BlockSizer,
): AsyncGenerator<readonly InsertRow[] | ColumnarInput> {
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
    const target = () => Math.min(sizer?.targetRows ?? STREAM_GATHER_ROWS, STREAM_GATHER_ROWS);
    for await (const chunk of values as AsyncIterable<InsertChunk>) {
      if (Array.isArray(chunk)) {
        const rows = chunk as readonly InsertRow[];
        if (rowBatch.length === 0 && rows.length >= target()) {
          yield rows;
          continue;
        }
        for (let i = 0; i < rows.length; i++) rowBatch.push(rows[i]!);
        if (rowBatch.length >= target()) {
          yield rowBatch;
          rowBatch = [];
        }
      } else if (isColumnar(chunk)) {
        if (rowBatch.length > 0) {
          yield rowBatch;
          rowBatch = [];
        }
        yield chunk;
      } else if (typeof chunk === 'object' && chunk !== null && !ArrayBuffer.isView(chunk)) {
        rowBatch.push(chunk as InsertRow);
        if (rowBatch.length >= target()) {
          yield rowBatch;
          rowBatch = [];
        }
      } else {
        const what = ArrayBuffer.isView(chunk) ? 'bytes (is the stream in object mode?)' : typeof chunk;
        throw new InvalidValueError(`expected a row object, an array of rows or a columnar object, got ${what}`);
      }
    }
    if (rowBatch.length > 0) yield rowBatch;
    return;
  }
  throw new InvalidValueError('values must be an array of rows, a columnar object, or an (async) iterable of them');
}

// ---------------------------------------------------------------------------------------------------------------
// Blocks
// ---------------------------------------------------------------------------------------------------------------

/**
 * Cuts one chunk into blocks shaped to the server's header, each sized by `sizer`. `rowOffset` is the index of the
 * chunk's first row in the whole insert, for error messages; `startRow` skips the chunk's first rows.
 * Blocks from row objects, and slices of a columnar chunk's plain arrays, reuse `scratch` column arrays: a block is
 * valid until the next one is taken.
 */
export function* blocksOf(
  chunk: readonly InsertRow[] | ColumnarInput,
  header: readonly ColumnHeader[],
  sizer: BlockSizer,
  rowOffset: number,
  startRow = 0,
  scratch?: RowScratch,
): Generator<Block> {
  if (Array.isArray(chunk)) {
    const rows = chunk as readonly InsertRow[];
    const reader = scratch ?? new RowScratch(header);
    for (let start = startRow; start < rows.length;) {
      const count = sizer.rowsFor(rows.length - start, () => sampleRows(rows, start, rows.length));
      yield reader.block(rows, start, start + count, rowOffset);
      start += count;
    }
    return;
  }
  const { inputs, total } = columnarInputs(chunk as ColumnarInput, header, rowOffset);
  const slices = scratch ?? new RowScratch(header);
  for (let start = startRow; start < total;) {
    const count = sizer.rowsFor(total - start, () => sampleColumns(inputs, start, total));
    const end = start + count;
    const columns: BlockColumn[] = header.map(({ name, type }, c) => ({
      name,
      type,
      values: slices.slice(c, inputs[c]!, start, end),
    }));
    yield { rows: count, columns };
    start = end;
  }
}

/**
 * A columnar chunk's values in the header's column order, and its row count; throws InvalidValueError for a column
 * the table does not have, one the chunk lacks, or columns of different lengths.
 */
export function columnarInputs(
  columnar: ColumnarInput,
  header: readonly ColumnHeader[],
  rowOffset: number,
): { inputs: ColumnValues[]; total: number } {
  const total = columnarLength(columnar, rowOffset);
  const known = new Set(header.map((column) => column.name));
  for (const name of Object.keys(columnar)) {
    if (!known.has(name)) throw new InvalidValueError('the table has no such column in this insert', { column: name });
  }
  for (const column of header) {
    if (!(column.name in columnar)) {
      throw new InvalidValueError('the input has no values for this column', {
        column: column.name,
        type: column.type,
      });
    }
  }
  return { inputs: header.map(({ name }) => columnar[name]!), total };
}

/**
 * Turns row objects into columns. The per-row loop is generated for the header's column names
 * (`row["id"]`, `row["ts"]`, … as literal property loads), so each load has its own inline cache and stays
 * monomorphic for rows of one shape, where a loop over names would make one megamorphic keyed load. The column
 * arrays are allocated once per insert and reused by every block.
 */
export class RowScratch {
  private readonly columns: unknown[][];
  private readonly extract: RowExtractor;

  /**
   * `optional`: columns whose cells may be missing (`undefined`), left for the client-side defaults plan to fill
   * (src/defaults/stage.ts). Every other column needs a value in every row.
   */
  constructor(
    private readonly header: readonly ColumnHeader[],
    private readonly optional: ReadonlySet<string> = new Set(),
  ) {
    this.columns = header.map(() => []);
    this.extract = compileExtractor(
      header.map((column) => column.name),
      optional,
    );
  }

  /**
   * Rows [start, end) of a columnar input's column `c`: the column itself when it is all of it, a view of a
   * TypedArray, or the values copied into this column's reused array. Why reused: a fresh array of more than 32k
   * values lands in V8's large-object space, and filling one (as `slice` does) measured ~35 ns per value, against
   * ~1 ns into an array allocated once per insert.
   */
  slice(c: number, values: ColumnValues, start: number, end: number): ColumnValues {
    if (start === 0 && end === values.length) return values;
    if (ArrayBuffer.isView(values)) return (values as unknown as Uint8Array).subarray(start, end);
    const count = end - start;
    const out = this.columns[c]!;
    if (out.length < count) out.length = count;
    for (let i = 0; i < count; i++) out[i] = values[start + i];
    return out;
  }

  block(rows: readonly InsertRow[], start: number, end: number, rowOffset: number): Block {
    const count = end - start;
    const header = this.header;
    for (const column of this.columns) if (column.length < count) column.length = count;
    const failed = this.extract(rows, start, end, this.columns);
    if (failed >= 0) this.fail(rows, failed, rowOffset);
    return {
      rows: count,
      columns: header.map(({ name, type }, c) => ({ name, type, values: this.columns[c]! })),
    };
  }

  /** Says what is wrong with row `index` (the generated loop only reports which row failed). */
  private fail(rows: readonly InsertRow[], index: number, rowOffset: number): never {
    const row = rows[index];
    if (typeof row !== 'object' || row === null) {
      throw new InvalidValueError(`expected a row object, got ${row === null ? 'null' : typeof row}`, {
        row: rowOffset + index,
      });
    }
    for (const column of this.header) {
      const value = Object.hasOwn(row, column.name) ? row[column.name] : undefined;
      if (value === undefined && !this.optional.has(column.name)) {
        throw new InvalidValueError('the row has no value for this column', {
          column: column.name,
          row: rowOffset + index,
          type: column.type,
        });
      }
    }
    const extra = Object.keys(row).find((key) => row[key] !== undefined && !this.header.some((h) => h.name === key));
    throw new InvalidValueError('the row has a key that is not a column of this insert', {
      column: extra,
      row: rowOffset + index,
    });
  }
}

/** Copies rows[start, end) into the column arrays; returns the index of the first bad row, or -1. */
type RowExtractor = (rows: readonly InsertRow[], start: number, end: number, columns: unknown[][]) => number;

function compileExtractor(names: readonly string[], optional: ReadonlySet<string>): RowExtractor {
  const width = names.length;
  const lines: string[] = [];
  for (let c = 0; c < width; c++) lines.push(`const c${c} = columns[${c}];`);
  lines.push('for (let i = start, j = 0; i < end; i++, j++) {');
  lines.push('  const row = rows[i];');
  lines.push("  if (typeof row !== 'object' || row === null) return i;");
  for (let c = 0; c < width; c++) {
    // A column named `__proto__` (the server names the columns) must not read the row's prototype.
    const own = names[c] === '__proto__' ? 'Object.hasOwn(row, "__proto__") ? row.__proto__ : undefined' : '';
    lines.push(`  const v${c} = ${own || `row[${JSON.stringify(names[c])}]`};`);
    if (!optional.has(names[c]!)) lines.push(`  if (v${c} === undefined) return i;`);
    lines.push(`  c${c}[j] = v${c};`);
  }
  // A key beyond the columns is an error unless its value is undefined (counted exactly only when over).
  lines.push('  let keys = 0;');
  lines.push('  for (const key in row) keys++;');
  lines.push(`  if (keys > ${width}) {`);
  lines.push('    let defined = 0;');
  lines.push('    for (const key in row) if (row[key] !== undefined) defined++;');
  lines.push(`    if (defined > ${width}) return i;`);
  lines.push('  }');
  lines.push('}');
  lines.push('return -1;');
  // The names are embedded as JSON string literals: no input can change the code's shape.
  return new Function('rows', 'start', 'end', 'columns', lines.join('\n')) as RowExtractor;
}
