/**
 * A streaming query result. Blocks are read from the socket only as the consumer asks for them, so a large result
 * never sits in memory unless `json()` is asked for (and the socket is paused while the consumer is slow).
 */
import { Readable } from 'node:stream';
import { setOwn } from '../columns/values.js';
import { ClickHouseNativeError } from '../errors.js';
import type { ColumnValues } from '../columns/codec.js';
import type { Block, BlockColumn } from '../columns/block.js';
import { LazyStringColumn } from '../columns/string.js';
import type { QueryResponse, QuerySummary } from '../connection/response.js';
import { TextWriter, type TextFormat, type TextOptions } from './text-formats.js';
import { blockToRecordBatch, loadArrow } from './arrow.js';
import type { RecordBatch as ArrowRecordBatch, Table as ArrowTable } from 'apache-arrow';

export type Row = Record<string, unknown>;

export interface ColumnInfo {
  name: string;
  type: string;
}

/** Turns block columns into row objects (JSON-safe values with `jsonSafe`, see toJsonSafe). */
export function* rowsOf<T = Row>(block: Block, jsonSafe = false): Generator<T> {
  const columns: BlockColumn[] = block.columns;
  const count = columns.length;
  // Column names come from the server: a column named `__proto__` must stay a column (setOwn), not a prototype.
  const set = columns.some((c) => c.name === '__proto__') ? setOwn : undefined;
  for (let i = 0; i < block.rows; i++) {
    const row: Row = {};
    for (let c = 0; c < count; c++) {
      const column = columns[c]!;
      const value = jsonSafe ? toJsonSafe(column.values[i]) : column.values[i];
      if (set) set(row, column.name, value);
      else row[column.name] = value;
    }
    yield row as T;
  }
}

/** A block's columns as the row maker reads them: values, or a lazy String column (read with `get`). */
type RowSource = ColumnValues | LazyStringColumn;
type RowMaker<T> = (columns: readonly RowSource[], row: number) => T;

/**
 * A function that makes row `row` of a block as one object literal of the columns' names, so every row of a result
 * has one shape, built without a keyed store per value. Undefined when a column is named `__proto__` (an object
 * literal would set the prototype): rowsOf's own-property path handles that.
 */
function rowMaker<T>(columns: readonly BlockColumn[]): RowMaker<T> | undefined {
  if (columns.some((c) => c.name === '__proto__')) return undefined;
  // The names are JSON string literals: no column name can change the code's shape.
  const fields = columns.map(
    (c, i) => `${JSON.stringify(c.name)}: columns[${i}]${c instanceof LazyStringColumn ? '.get(row)' : '[row]'}`,
  );
  return new Function('columns', 'row', `return { ${fields.join(', ')} };`) as RowMaker<T>;
}

/** Whether the row maker made for `a` reads `b` too: the same names, and lazy String columns in the same places. */
function sameShape(a: readonly BlockColumn[], b: readonly BlockColumn[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i]!.name !== b[i]!.name) return false;
    if (a[i] instanceof LazyStringColumn !== b[i] instanceof LazyStringColumn) return false;
  }
  return true;
}

/**
 * A value JSON.stringify prints without loss and without throwing, in the shape @clickhouse/client's JSON output has:
 * bigints (64-bit and wider integers, intervals) as decimal strings, TypedArrays as plain arrays (their 64-bit
 * elements as strings), Maps as plain objects (keys as strings; a map whose keys repeat stays an array of pairs),
 * Buffers (FixedString) as their UTF-8 text. Dates stay Dates (JSON.stringify prints them as ISO strings); NaN and
 * ±Infinity stay numbers (printed as null, as ClickHouse's JSON does).
 */
export function toJsonSafe(value: unknown): unknown {
  switch (typeof value) {
    case 'bigint':
      return value.toString();
    case 'object': {
      if (value === null || value instanceof Date) return value;
      if (Buffer.isBuffer(value)) return value.toString('utf8');
      if (ArrayBuffer.isView(value)) {
        const items = Array.from(value as unknown as ArrayLike<number | bigint>);
        return typeof items[0] === 'bigint' ? items.map(String) : items;
      }
      if (Array.isArray(value)) return value.map(toJsonSafe);
      // Object.fromEntries defines own properties: a key such as "__proto__" from the server stays a plain key.
      if (value instanceof Map)
        return Object.fromEntries([...value.entries()].map(([k, v]) => [String(toJsonSafe(k)), toJsonSafe(v)]));
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJsonSafe(v)]));
    }
    default:
      return value;
  }
}

/** What text() and stream() need to print a result (see text-formats.ts). */
export interface ResultTextOptions {
  /** The FORMAT clause (or `format` parameter) of the query; TabSeparated when there was none. */
  format: TextFormat | undefined;
  /** The server's format defaults and time zone, asked when the text is made (the time zone may come late). */
  options: () => TextOptions;
  /** When the query was sent (performance.now()), for JSON's statistics.elapsed. */
  startedAt: number;
}

export interface ResultSetOptions {
  /** Rows (json(), iteration) in JSON-safe values (toJsonSafe). */
  jsonSafe?: boolean;
  text?: ResultTextOptions;
}

export class ResultSet<T = Row> implements AsyncIterable<T> {
  /** Column names and types from the server's header block. */
  readonly columns: ColumnInfo[];
  private consumed = false;

  constructor(
    private readonly response: QueryResponse,
    header: Block | undefined,
    /** A first block that already carried rows (read while waiting for the header). */
    private pending: Block | undefined,
    private readonly options: ResultSetOptions = {},
  ) {
    this.columns = header ? header.columns.map(({ name, type }) => ({ name, type })) : [];
  }

  /** The text format text() and stream() produce: the query's FORMAT clause, or TabSeparated. */
  get format(): TextFormat {
    return this.options.text?.format ?? 'TabSeparated';
  }

  get query_id(): string {
    return this.response.queryId;
  }

  /** Progress, profile info, totals and extremes; complete once the stream has ended. */
  get summary(): QuerySummary {
    return this.response.summary();
  }

  /** Columnar blocks as they arrive from the server (blocks with rows only). */
  async *blocks(): AsyncGenerator<Block, void, undefined> {
    if (this.consumed) throw new ClickHouseNativeError('This result set was already consumed');
    this.consumed = true;
    try {
      if (this.pending) {
        const first = this.pending;
        this.pending = undefined;
        yield first;
      }
      while (!this.response.finished) {
        const message = await this.response.next();
        if (message.type === 'data' && message.block.rows > 0) yield message.block;
      }
    } finally {
      // The consumer stopped early (break, throw, an abort): Cancel, and drain in the background. The caller goes on
      // at once; the connection returns to the pool when the server has ended the query (or is closed if it does not).
      if (!this.response.finished) void this.response.cancel();
    }
  }

  /**
   * Rows as objects, streamed. Not an async generator: a row already decoded is handed out with one resolved
   * promise, where a generator delegating to rowsOf took several microtask hops per row.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    const jsonSafe = this.options.jsonSafe === true;
    // Rows made as they are handed out: String columns are decoded a run at a time (LazyStringColumn).
    if (!jsonSafe) this.response.lazyStrings = true;
    const blocks = this.blocks();
    let values: RowSource[] = [];
    let rows = 0;
    let next = 0;
    let make: RowMaker<T> | undefined;
    let slow: Generator<T> | undefined;
    let shape: readonly BlockColumn[] | undefined;
    /** The blocks ended, or the consumer stopped (return): no row is handed out after that. */
    let finished = false;
    const take = (): IteratorResult<T> | undefined => {
      if (finished) return undefined;
      if (slow) {
        const r = slow.next();
        return r.done ? undefined : r;
      }
      return next < rows ? { value: make!(values, next++), done: false } : undefined;
    };
    const pull = async (): Promise<IteratorResult<T>> => {
      for (;;) {
        if (finished) return { value: undefined, done: true };
        const r = await blocks.next();
        if (r.done) {
          finished = true;
          return { value: undefined, done: true };
        }
        const block = r.value;
        if (!jsonSafe && (shape === undefined || !sameShape(shape, block.columns))) {
          shape = block.columns;
          make = rowMaker<T>(block.columns);
        }
        if (jsonSafe || !make) {
          slow = rowsOf<T>(block, jsonSafe);
        } else {
          slow = undefined;
          values = block.columns.map((c) => (c instanceof LazyStringColumn ? c : c.values));
          rows = block.rows;
          next = 0;
        }
        const first = take();
        if (first) return first;
      }
    };
    const iterator: AsyncIterableIterator<T> = {
      next: () => {
        const ready = take();
        return ready ? Promise.resolve(ready) : pull();
      },
      return: async (value?: unknown) => {
        // As a generator's return: the blocks' own finally cancels the query and releases the connection.
        finished = true;
        slow = undefined;
        await blocks.return(undefined);
        return { value: value as T, done: true };
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /**
   * Reads the whole result into an array of row objects: JS values (the type mapping in README), or JSON-safe
   * values with the `json_safe` option. A FORMAT clause does not change it: it chooses what text() prints.
   */
  async json(): Promise<T[]> {
    const jsonSafe = this.options.jsonSafe === true;
    const rows: T[] = [];
    for await (const block of this.blocks()) for (const row of rowsOf<T>(block, jsonSafe)) rows.push(row);
    return rows;
  }

  /**
   * The result as text in the query's FORMAT (JSONEachRow, JSON, CSV, TabSeparated, … see README, "FORMAT
   * clauses"), made on the client from the blocks; TabSeparated when the query has no FORMAT clause. Holds the whole
   * text: use stream() for large results.
   */
  async text(): Promise<string> {
    let text = '';
    for await (const chunk of this.textChunks()) text += chunk;
    return text;
  }

  /** The result's text (as text()) as a Node Readable of UTF-8 chunks, one or more per block, with back-pressure. */
  stream(): Readable {
    return Readable.from(this.textChunks(), { objectMode: false, encoding: 'utf8' });
  }

  private async *textChunks(): AsyncGenerator<string, void, undefined> {
    const text = this.options.text;
    const writer = new TextWriter(this.format, this.columns, text ? text.options() : defaultTextOptions());
    const header = writer.header();
    if (header !== '') yield header;
    for await (const block of this.blocks()) yield writer.block(block);
    const elapsed = text ? (performance.now() - text.startedAt) / 1000 : 0;
    const footer = writer.footer(this.response.summary(), elapsed);
    if (footer !== '') yield footer;
  }

  /**
   * The result as Apache Arrow RecordBatches, one per block (needs the optional dependency apache-arrow; numeric
   * columns are not copied). See README, "Apache Arrow".
   */
  async *arrowBatches(): AsyncGenerator<ArrowRecordBatch, void, undefined> {
    let arrow;
    try {
      arrow = await loadArrow();
    } catch (error) {
      await this.close(); // not left holding its connection
      throw error;
    }
    for await (const block of this.blocks()) yield blockToRecordBatch(arrow, block);
  }

  /** The whole result as one Apache Arrow Table (its batches are the blocks). */
  async arrow(): Promise<ArrowTable> {
    const batches: ArrowRecordBatch[] = [];
    for await (const batch of this.arrowBatches()) batches.push(batch);
    const arrow = await loadArrow(); // loaded by arrowBatches() already
    if (batches.length === 0) {
      // No rows: the header's columns still give the schema.
      const empty: Block = { rows: 0, columns: this.columns.map(({ name, type }) => ({ name, type, values: [] })) };
      batches.push(blockToRecordBatch(arrow, empty));
    }
    return new arrow.Table(batches);
  }

  /** Stops reading: cancels the query on the server if it is still running. */
  async close(): Promise<void> {
    this.consumed = true;
    if (!this.response.finished) await this.response.cancel();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function defaultTextOptions(): TextOptions {
  return {
    quote64BitIntegers: false,
    decimalTrailingZeros: false,
    namedTuplesAsObjects: true,
    csvTupleFieldNames: true,
    jsonPrettyPrint: true,
    legacy: false,
    timezone: 'UTC',
  };
}
