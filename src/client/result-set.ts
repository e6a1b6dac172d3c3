/**
 * A streaming query result. Blocks are read from the socket only as the consumer asks for them, so a large result
 * never sits in memory unless `json()` is asked for (and the socket is paused while the consumer is slow).
 */
import { ClickHouseNativeError } from '../errors.js';
import type { Block, BlockColumn } from '../protocol/block.js';
import type { QueryResponse, QuerySummary } from './response.js';

export type Row = Record<string, unknown>;

export interface ColumnInfo {
  name: string;
  type: string;
}

/** Turns block columns into row objects. */
export function* rowsOf<T = Row>(block: Block): Generator<T> {
  const columns: BlockColumn[] = block.columns;
  const count = columns.length;
  for (let i = 0; i < block.rows; i++) {
    const row: Row = {};
    for (let c = 0; c < count; c++) {
      const column = columns[c]!;
      row[column.name] = column.values[i];
    }
    yield row as T;
  }
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
  ) {
    this.columns = header ? header.columns.map(({ name, type }) => ({ name, type })) : [];
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

  /** Rows as objects, streamed. */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for await (const block of this.blocks()) yield* rowsOf<T>(block);
  }

  /** Reads the whole result into an array of row objects. */
  async json(): Promise<T[]> {
    const rows: T[] = [];
    for await (const block of this.blocks()) for (const row of rowsOf<T>(block)) rows.push(row);
    return rows;
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
