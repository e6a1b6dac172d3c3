/**
 * The INSERT flow (PROTOCOL.md §4.3): send `INSERT INTO t (cols) VALUES`, read the server's header block, shape the
 * input to the header's types, send Data blocks, then the empty block, and read to EndOfStream.
 */
import type { BaseParams } from '../client/client.js';
import type { QueryResponse, QuerySummary } from '../client/response.js';
import type { CompressionMethod } from '../compression/frame.js';
import { encodeData } from '../connection/exchange.js';
import { AbortError, ClickHouseNativeError, InvalidValueError, ProtocolError } from '../errors.js';
import type { Block } from '../protocol/block.js';
import { blocksOf, chunksOf, inferColumnNames, isColumnar, type InsertChunk, type InsertValues } from './input.js';

export interface InsertParams extends BaseParams {
  /** Table name as SQL (e.g. `db.events`), inserted as is. */
  table: string;
  values: InsertValues;
  /** The columns to insert; by default the keys of the first row (or of the columnar object). */
  columns?: readonly string[];
}

export interface InsertResult {
  query_id: string;
  /** Rows sent to the server. */
  rows: number;
  summary: QuerySummary;
  /** The table's column descriptions, when the server sent them (TableColumns packet). */
  table_columns: string | undefined;
}

/** What the insert flow needs from the client. */
export interface InsertSession {
  /** Leases a connection and sends the query (with its empty external-tables block). */
  start(params: BaseParams & { query: string }): Promise<{ response: QueryResponse; queryId: string }>;
  compression: CompressionMethod;
  /** Rows per Data block. */
  blockRows: number;
}

/** Quotes an identifier with backquotes, escaping backslashes and backquotes. */
export function quoteIdentifier(name: string): string {
  return '`' + name.replace(/\\/g, '\\\\').replace(/`/g, '\\`') + '`';
}

export async function runInsert(params: InsertParams, session: InsertSession): Promise<InsertResult> {
  const chunks = chunksOf(params.values);
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
  const sql = `INSERT INTO ${params.table} (${columns.map(quoteIdentifier).join(', ')}) VALUES`;
  const { response, queryId } = await session.start({ ...params, query: sql });
  const connection = response.connection;
  const compression = session.compression;
  // In-memory input is encoded whole before anything is sent: a bad value anywhere sends no row.
  const inMemory = Array.isArray(params.values) || isColumnar(params.values);
  const pending: Buffer[] = [];
  let rowsEncoded = 0;
  let rowsSent = 0;
  try {
    const header = await readInsertHeader(response);
    const shape = header.columns.map(({ name, type }) => ({ name, type }));
    while (!next.done) {
      for (const block of blocksOf(next.value, shape, session.blockRows, rowsEncoded)) {
        let packet: Buffer[];
        try {
          packet = await encodeData(connection, block, compression);
        } catch (error) {
          throw shiftRow(error, rowsEncoded);
        }
        rowsEncoded += block.rows;
        if (inMemory) {
          pending.push(...packet);
        } else {
          checkAbort(params.abort_signal);
          await connection.send(packet);
          rowsSent = rowsEncoded;
        }
      }
      next = await chunks.next();
    }
    checkAbort(params.abort_signal);
    pending.push(...(await encodeData(connection, null, compression)));
    await connection.send(pending);
    rowsSent = rowsEncoded;
    await response.drain();
    return { query_id: queryId, rows: rowsSent, summary: response.summary(), table_columns: response.tableColumns };
  } catch (error) {
    await endFailedInsert(response, error, compression);
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

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError('The insert was aborted', { cause: signal.reason });
}

/** Reads packets until the header block that tells the column types the server expects. */
async function readInsertHeader(response: QueryResponse): Promise<Block> {
  const message = await response.next();
  if (message.type !== 'data') throw new ProtocolError('The server ended the INSERT before sending the header block');
  return message.block;
}

/**
 * After a failed insert: a bad value (found before its block went out) ends the INSERT with the empty block,
 * which commits nothing more and keeps the connection; anything else gives the connection up.
 */
async function endFailedInsert(response: QueryResponse, error: unknown, compression: CompressionMethod): Promise<void> {
  if (response.finished) return;
  if (error instanceof InvalidValueError && response.connection.usable) {
    try {
      await response.connection.send(await encodeData(response.connection, null, compression));
      await response.drain();
      return;
    } catch {
      // Fall through: give the connection up.
    }
  }
  response.abandon(error instanceof Error ? error : new ClickHouseNativeError(String(error)));
}

function emptySummary(queryId: string): QuerySummary {
  return {
    query_id: queryId,
    progress: { read_rows: 0, read_bytes: 0, total_rows_to_read: 0, written_rows: 0, written_bytes: 0, elapsed_ns: 0 },
    profile_info: undefined,
    totals: undefined,
    extremes: undefined,
  };
}

/** Block-relative row numbers become insert-relative. */
function shiftRow(error: unknown, blockStart: number): unknown {
  if (error instanceof InvalidValueError && error.row !== undefined && error.column !== undefined) {
    return new InvalidValueError(error.reason, { column: error.column, row: blockStart + error.row, type: error.type });
  }
  return error;
}
