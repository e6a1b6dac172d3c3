/**
 * The request side of one query on a connection: the Query packet, Data packets (compressed when the query asked
 * for it), and Cancel (docs/protocol.md §4.1–4.3).
 */
import { compressToFrames, type Compression, type CompressOptions } from '../compression/frame.js';
import { writeBlock, writeEmptyBlock, type Block } from '../columns/block.js';
import { CANCEL_PACKET, writeDataHeader, writeQuery, type TraceContext } from '../protocol/client-packets.js';
import type { Settings } from '../protocol/settings.js';
import { ByteWriter } from '../protocol/writer.js';
import { ProtocolError } from '../errors.js';
import type { Connection } from './connection.js';

export interface QueryRequest {
  sql: string;
  queryId: string;
  settings: Settings;
  compression: Compression;
  /** Query parameters for the server to bind (see QueryFields.parameters). */
  parameters?: ReadonlyArray<readonly [string, string]>;
  /** ClientInfo's quota_key. */
  quotaKey?: string;
  /** ClientInfo's trace context (revision 54442 on). */
  traceContext?: TraceContext;
  /**
   * The Data packets of the query's external tables, encoded (external-tables.ts in the insert layer): sent after the
   * Query packet, before the empty block that ends them.
   */
  externalTables?: readonly Buffer[];
}

/**
 * Settings the client adds for its compression choice. They also choose how the server compresses what it sends
 * back, as for clickhouse-client: `network_compression_method` (lz4, lz4hc, zstd) and, for a zstd level other
 * than the default 1, `network_zstd_compression_level`.
 */
export function compressionSettings(compression: Compression): Settings {
  if (compression === 'none') return {};
  if (typeof compression === 'string') return { network_compression_method: compression };
  return compression.method === 'zstd'
    ? { network_compression_method: 'zstd', network_zstd_compression_level: compression.level ?? 1 }
    : { network_compression_method: compression.method };
}

/**
 * Encodes the Query packet, the external tables' Data packets, if any, and the empty block that ends them, which the
 * server reads after every Query (docs/protocol.md §4.1). Encoding finishes before anything is sent, so a bad setting
 * sends nothing.
 */
export async function encodeQuery(connection: Connection, request: QueryRequest): Promise<Buffer[]> {
  const writer = new ByteWriter(512 + request.sql.length * 3);
  writeQuery(writer, connection.revision, connection.identity, {
    queryId: request.queryId,
    sql: request.sql,
    settings: { ...compressionSettings(request.compression), ...request.settings },
    compression: request.compression !== 'none',
    parameters: request.parameters,
    quotaKey: request.quotaKey,
    traceContext: request.traceContext,
  });
  const query = writer.finish();
  return [query, ...(request.externalTables ?? []), ...(await encodeData(connection, null, request.compression))];
}

/** Encodes one Data packet: a block, or the empty block that ends external tables and INSERT data. */
export async function encodeData(
  connection: Connection,
  block: Block | null,
  compression: Compression,
): Promise<Buffer[]> {
  const body = new ByteWriter(block ? 64 * 1024 : 32);
  encodeBlockBody(connection.revision, block, body);
  return dataPacket(body.view(), compression);
}

/**
 * Encodes a block (or the empty block) into `body`, after resetting it, framed for the negotiated `revision`. Every value is validated here, before a
 * byte of the block can go out: a bad value throws InvalidValueError naming the column and row.
 */
export function encodeBlockBody(revision: number, block: Block | null, body: ByteWriter): void {
  const framing = { blockInfo: true, revision };
  body.reset();
  if (block) writeBlock(body, block, framing);
  else writeEmptyBlock(body, framing);
}

/** The Data packet type and (empty) table name, the same for every block of a query. */
const DATA_HEADER = (() => {
  const header = new ByteWriter(16);
  writeDataHeader(header);
  return header.finish();
})();

/**
 * The Data packet around an encoded block body. Uncompressed, the packet references `body` (the caller keeps it
 * unchanged until the bytes are written); compressed, the frames are new buffers and `body` may be reused as soon
 * as this resolves. `tableName` names an external table (TCPHandler::receiveData creates a temporary table of that
 * name from the block's columns); empty for INSERT data.
 */
export async function dataPacket(
  body: Buffer,
  compression: Compression,
  tableName = '',
  options?: CompressOptions,
): Promise<Buffer[]> {
  let header = DATA_HEADER;
  if (tableName !== '') {
    const named = new ByteWriter(16 + tableName.length * 3);
    writeDataHeader(named, tableName);
    header = named.finish();
  }
  if (compression === 'none') return [header, body];
  // The packet type and table name stay raw; only the block goes into frames (docs/protocol.md §5.1).
  return [header, ...(await compressToFrames(body, compression, options))];
}

export function sendCancel(connection: Connection): Promise<void> {
  return connection.send(CANCEL_PACKET);
}

/**
 * Runs a statement that returns no rows (SET ROLE) on a leased connection, before the caller's own query, and reads its
 * answer to EndOfStream. A server Exception is thrown; the caller then gives the connection up.
 */
export async function runStatement(
  connection: Connection,
  sql: string,
  queryId: string,
  compression: Compression,
): Promise<void> {
  await connection.send(await encodeQuery(connection, { sql, queryId, settings: {}, compression }));
  for (;;) {
    const message = await connection.readPacket({ compression: compression !== 'none' });
    if (message.type === 'endOfStream') return;
    if (message.type === 'exception') throw message.error;
    if (message.type === 'data' && message.block.rows > 0) {
      throw new ProtocolError(`${sql} returned rows; it was expected to return none`);
    }
  }
}
