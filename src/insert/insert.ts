/**
 * The INSERT flow (PROTOCOL.md §4.3): send `INSERT INTO t (cols) VALUES`, read the server's header block, shape the
 * input to the header's types, send Data blocks, then the empty block, and read to EndOfStream.
 */
import type { BaseParams } from '../client/client.js';
import type { QueryResponse, QuerySummary } from '../client/response.js';
import type { CompressionMethod } from '../compression/frame.js';
import { encodeBlockBody, encodeData } from '../connection/exchange.js';
import { ClickHouseNativeError, InvalidValueError, ProtocolError } from '../errors.js';
import type { Block } from '../protocol/block.js';
import { ByteWriter } from '../protocol/writer.js';
import {
  BlockSizer,
  blocksOf,
  chunkRows,
  chunksOf,
  inferColumnNames,
  isInMemory,
  RowScratch,
  type ColumnarInput,
  type ColumnHeader,
  type InsertChunk,
  type InsertRow,
  type InsertValues,
} from './input.js';
import { BlockPipeline, shiftRow, type EncodedBlock } from './pipeline.js';
import { sortColumns } from './presort.js';
import type { DefaultsReport } from './defaults.js';

export interface InsertParams extends BaseParams {
  /** Table name as SQL (e.g. `db.events`), inserted as is. */
  table: string;
  values: InsertValues;
  /** The columns to insert; by default the keys of the first row (or of the columnar object). */
  columns?: readonly string[];
  /** Most rows per Data block (default: the client's `insert_block_rows`). */
  block_rows?: number;
  /** About this many encoded bytes per Data block, before compression (default: the client's `insert_block_bytes`). */
  block_bytes?: number;
  /**
   * Sort each block by the table's sorting key (`system.tables.sorting_key`) before sending it, so MergeTree's own
   * sort finds it already sorted. Only the leading plain columns of the key that the insert has are used; a key
   * that starts with an expression (e.g. `toDate(ts)`) sorts nothing. Costs client CPU; see BENCHMARKS.md.
   */
  presort?: boolean;
  /**
   * Who computes DEFAULT and MATERIALIZED columns: `'client'` (the default, or the client config's `defaults`)
   * computes them here and sends them, so the server skips that work; `'server'` leaves them to the server.
   * README, "Client-side defaults".
   */
  defaults?: 'client' | 'server';
  /**
   * With client-side defaults: called before data is sent with what the client computes and which DEFAULT /
   * MATERIALIZED columns it leaves to the server, and why (and again if a stream moves a column to the server).
   */
  on_defaults?: (report: DefaultsReport) => void;
}

export interface InsertResult {
  query_id: string;
  /** Rows sent to the server. */
  rows: number;
  summary: QuerySummary;
  /** The table's column descriptions, when the server sent them (TableColumns packet). */
  table_columns: string | undefined;
  /** With client-side defaults on a table that has DEFAULT/MATERIALIZED columns: who computed which. */
  defaults?: DefaultsReport;
}

/** What the insert flow needs from the client. */
export interface InsertSession {
  /** Leases a connection and sends the query (with its empty external-tables block). */
  start(params: BaseParams & { query: string }): Promise<{ response: QueryResponse; queryId: string }>;
  compression: CompressionMethod;
  /** Most rows per Data block. */
  blockRows: number;
  /** About this many encoded bytes per Data block (default DEFAULT_INSERT_BLOCK_BYTES). */
  blockBytes?: number;
  /** The table's sorting key as `system.tables` spells it ('' when it has none), for `presort`. */
  sortingKey?(table: string): Promise<string>;
  /**
   * Called with the INSERT's header, before any data is sent (client-side defaults check that the table's
   * description is the one they planned with; src/insert/defaults-flow.ts). A throw ends the INSERT, sending nothing.
   */
  checkHeader?(response: QueryResponse, header: Block): void;
}

/**
 * Default encoded bytes per Data block: blocks of typical rows are cut by rows (100 000), wide rows by bytes. Two
 * blocks in flight bound the insert's own memory.
 */
export const DEFAULT_INSERT_BLOCK_BYTES = 32 << 20;

/**
 * In-memory input (an array or a columnar object) is encoded ahead, and nothing is sent until all of it is known
 * to be valid. Up to this many bytes of encoded packets are held; beyond that the rest of the input is validated
 * without being kept (an encode pass without compression), then encoded again as it is sent. So a bad value anywhere
 * still sends nothing, and memory stays bounded at any input size.
 */
export const IN_MEMORY_STAGE_BYTES = 64 << 20;

/** Quotes an identifier with backquotes, escaping backslashes and backquotes. */
export function quoteIdentifier(name: string): string {
  return '`' + name.replace(/\\/g, '\\\\').replace(/`/g, '\\`') + '`';
}

export async function runInsert(params: InsertParams, session: InsertSession): Promise<InsertResult> {
  const sizer = new BlockSizer(
    positive('block_rows', params.block_rows ?? session.blockRows),
    positive('block_bytes', params.block_bytes ?? session.blockBytes ?? DEFAULT_INSERT_BLOCK_BYTES),
  );
  const chunks = chunksOf(params.values, sizer);
  let next = await chunks.next();
  const columns = params.columns ?? inferColumnNames(next.done ? undefined : (next.value as InsertChunk));
  if (columns.length === 0) {
    if (next.done || (Array.isArray(next.value) && next.value.length === 0)) {
      // Nothing to insert: no round trip.
      const queryId = params.query_id ?? '';
      return { query_id: queryId, rows: 0, summary: emptySummary(queryId), table_columns: undefined };
    }
    throw new InvalidValueError('cannot tell which columns to insert: pass `columns`, or rows with keys');
  }
  // Looked up before the INSERT starts: the lookup needs a connection of its own.
  const sortingKey = params.presort && session.sortingKey ? await session.sortingKey(params.table) : '';
  const sql = `INSERT INTO ${params.table} (${columns.map(quoteIdentifier).join(', ')}) VALUES`;
  const { response, queryId } = await session.start({ ...params, query: sql });
  const connection = response.connection;
  const compression = session.compression;
  const pipeline = new BlockPipeline(connection, compression, sizer, params.abort_signal);
  try {
    const header = await readInsertHeader(response);
    session.checkHeader?.(response, header);
    const shape = header.columns.map(({ name, type }) => ({ name, type }));
    const scratch = new RowScratch(shape);
    if (sortingKey !== '') {
      const keys = sortColumns(sortingKey, shape);
      if (keys.length > 0) pipeline.sortKeys = keys;
    }
    if (!next.done && isInMemory(params.values)) {
      await sendInMemory(next.value, shape, sizer, pipeline, scratch);
    } else {
      while (!next.done) {
        for (const block of blocksOf(next.value, shape, sizer, pipeline.rowsEncoded, 0, scratch)) {
          await pipeline.push(block);
        }
        next = await chunks.next();
      }
    }
    await pipeline.end();
    await response.drain();
    return { query_id: queryId, rows: pipeline.rowsSent, summary: response.summary(), table_columns: response.tableColumns };
  } catch (error) {
    // Whatever was handed to the socket goes out before the end of the INSERT (or the socket fails anyway).
    await pipeline.settle().catch(() => {});
    await endFailedInsert(response, error, compression);
    const rowsSent = pipeline.rowsSent;
    if (error instanceof InvalidValueError && rowsSent > 0) {
      throw new InvalidValueError(`${error.reason} (the ${rowsSent} rows streamed before it were sent)`, {
        column: error.column,
        row: error.row,
        type: error.type,
      });
    }
    throw error;
  }
}

/**
 * Sends in-memory rows as the data of an INSERT the server already asked for (its header block is `header`): the
 * Data blocks, the empty block, then EndOfStream. Used for INSERT statements whose data was in the query text and
 * that the server wants as blocks (src/insert/inline.ts). A bad value sends nothing and keeps the connection.
 */
export async function sendInsertData(
  response: QueryResponse,
  header: Block,
  values: readonly InsertRow[] | ColumnarInput,
  options: { compression: CompressionMethod; blockRows: number; blockBytes?: number; signal?: AbortSignal },
): Promise<number> {
  const sizer = new BlockSizer(options.blockRows, options.blockBytes ?? DEFAULT_INSERT_BLOCK_BYTES);
  const pipeline = new BlockPipeline(response.connection, options.compression, sizer, options.signal);
  const shape = header.columns.map(({ name, type }) => ({ name, type }));
  try {
    await sendInMemory(values, shape, sizer, pipeline, new RowScratch(shape));
    await pipeline.end();
    await response.drain();
    return pipeline.rowsSent;
  } catch (error) {
    await pipeline.settle().catch(() => {});
    await endFailedInsert(response, error, options.compression);
    throw error;
  }
}

/**
 * In-memory input: nothing goes out until every value is known to be valid. Packets are encoded ahead up to
 * IN_MEMORY_STAGE_BYTES; the rest is validated first, then encoded again while the held packets are sent.
 */
async function sendInMemory(
  chunk: readonly InsertRow[] | ColumnarInput,
  shape: readonly ColumnHeader[],
  sizer: BlockSizer,
  pipeline: BlockPipeline,
  scratch: RowScratch,
): Promise<void> {
  const held: EncodedBlock[] = [];
  let heldBytes = 0;
  let staged = 0;
  const total = chunkRows(chunk);
  for (const block of blocksOf(chunk, shape, sizer, 0, 0, scratch)) {
    const encoded = await pipeline.encode(block);
    held.push(encoded);
    heldBytes += encoded.bytes;
    staged += block.rows;
    if (heldBytes >= IN_MEMORY_STAGE_BYTES) break;
  }
  if (staged < total) {
    const dry = new ByteWriter(1 << 20);
    let blockStart = staged;
    for (const block of blocksOf(chunk, shape, sizer, 0, staged, scratch)) {
      try {
        encodeBlockBody(pipeline.revision, block, dry);
      } catch (error) {
        throw shiftRow(error, blockStart);
      }
      blockStart += block.rows;
    }
  }
  for (let i = 0; i < held.length; i++) {
    await pipeline.write(held[i]!);
    held[i] = undefined as unknown as EncodedBlock; // the socket holds the bytes now
  }
  if (staged < total) {
    for (const block of blocksOf(chunk, shape, sizer, 0, staged, scratch)) await pipeline.push(block);
  }
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new InvalidValueError(`${name} must be a positive integer, got ${value}`);
  return value;
}

/** Reads packets until the header block that tells the column types the server expects. */
export async function readInsertHeader(response: QueryResponse): Promise<Block> {
  const message = await response.next();
  if (message.type !== 'data') throw new ProtocolError('The server ended the INSERT before sending the header block');
  return message.block;
}

/**
 * After a failed insert: a bad value (found before its block went out) ends the INSERT with the empty block,
 * which commits nothing more and keeps the connection; anything else gives the connection up.
 */
export async function endFailedInsert(response: QueryResponse, error: unknown, compression: CompressionMethod): Promise<void> {
  if (response.finished) return;
  if (error instanceof InvalidValueError && (await endInsertEmpty(response, compression))) return;
  response.abandon(error instanceof Error ? error : new ClickHouseNativeError(String(error)));
}

/**
 * Ends an INSERT whose header the server sent, before any Data block: the empty block commits nothing, and the
 * connection stays clean. False when that failed (the connection is then given up by the caller).
 */
export async function endInsertEmpty(response: QueryResponse, compression: CompressionMethod): Promise<boolean> {
  if (!response.connection.usable) return false;
  try {
    await response.connection.send(await encodeData(response.connection, null, compression));
    await response.drain();
    return true;
  } catch {
    return false;
  }
}

function emptySummary(queryId: string): QuerySummary {
  return {
    query_id: queryId,
    progress: { read_rows: 0, read_bytes: 0, total_rows_to_read: 0, total_bytes_to_read: 0, written_rows: 0, written_bytes: 0, elapsed_ns: 0 },
    profile_info: undefined,
    totals: undefined,
    extremes: undefined,
  };
}
