/**
 * Live protocol checks at the packet level: a Connection to the run's server (or another one) that may advertise a
 * lower revision than CLIENT_REVISION, and a query whose every server packet is kept. So a test sees a revision's
 * field or packet itself, and both sides of it against one server (the revision just below turns it off).
 */
import type { CompressionMethod } from '../../src/compression/frame.js';
import { Connection } from '../../src/connection/connection.js';
import { encodeData, encodeQuery } from '../../src/connection/exchange.js';
import { Secret } from '../../src/connection/secret.js';
import type { Block } from '../../src/columns/block.js';
import type { ServerMessage } from '../../src/connection/packet-reader.js';
import type { Settings } from '../../src/protocol/settings.js';
import { testServer, type TestServerInfo } from '../harness/context.js';

export interface LiveConnectionOptions {
  /** The revision to advertise (default CLIENT_REVISION). */
  revision?: number;
  /** Another server than the run's (e.g. one a test started with its own config). */
  server?: Pick<TestServerInfo, 'host' | 'port' | 'username' | 'password' | 'database'>;
}

export function openConnection(options: LiveConnectionOptions = {}): Promise<Connection> {
  const server = options.server ?? testServer();
  return Connection.open({
    host: server.host,
    port: server.port,
    database: server.database,
    username: server.username,
    password: new Secret(server.password),
    connectTimeoutMs: 10_000,
    requestTimeoutMs: 30_000,
    revision: options.revision,
  });
}

export interface QueryOptions {
  settings?: Settings;
  compression?: CompressionMethod;
  /** Blocks to send after the server's header (an INSERT, or `input()`); the empty block follows them. */
  data?: Block[];
  queryId?: string;
}

/** Every packet the server sent for one query, up to EndOfStream or an Exception (included). */
export async function queryPackets(
  connection: Connection,
  sql: string,
  options: QueryOptions = {},
): Promise<ServerMessage[]> {
  const compression = options.compression ?? 'none';
  await connection.send(
    await encodeQuery(connection, {
      sql,
      queryId: options.queryId ?? '',
      settings: options.settings ?? {},
      compression,
    }),
  );
  const packets: ServerMessage[] = [];
  let sentData = options.data === undefined;
  for (;;) {
    const message = await connection.readPacket({ compression: compression !== 'none' });
    packets.push(message);
    if (message.type === 'endOfStream' || message.type === 'exception') return packets;
    if (!sentData && message.type === 'data') {
      // The header of an INSERT (or of input()): send the data, then the empty block that ends it.
      sentData = true;
      for (const block of options.data!) await connection.send(await encodeData(connection, block, compression));
      await connection.send(await encodeData(connection, null, compression));
    }
  }
}

/**
 * Runs one query on a fresh connection (advertising `options.revision`) and closes it. `bytes` is what the server
 * sent for the query (after its Hello).
 */
export async function liveQuery(
  sql: string,
  options: QueryOptions & LiveConnectionOptions = {},
): Promise<{ packets: ServerMessage[]; connection: Connection; bytes: number }> {
  const connection = await openConnection(options);
  try {
    const start = connection.reader.offset;
    const packets = await queryPackets(connection, sql, options);
    return { packets, connection, bytes: connection.reader.offset - start };
  } finally {
    connection.close();
  }
}

/** The message shape of a packet type (block packets share one shape). */
type MessageOf<T extends ServerMessage['type']> =
  Extract<ServerMessage, { type: T }> extends never
    ? Extract<ServerMessage, { block: Block }> & { type: T }
    : Extract<ServerMessage, { type: T }>;

/** The packets of one type. */
export function packetsOf<T extends ServerMessage['type']>(packets: ServerMessage[], type: T): MessageOf<T>[] {
  return packets.filter((p) => p.type === type) as MessageOf<T>[];
}

/** The rows of the non-empty Data blocks, column by column name. */
export function dataColumns(packets: ServerMessage[]): Map<string, unknown[]> {
  const columns = new Map<string, unknown[]>();
  for (const p of packetsOf(packets, 'data')) {
    for (const column of p.block.columns) {
      const values = columns.get(column.name) ?? [];
      for (let i = 0; i < p.block.rows; i++) values.push(column.values[i]);
      columns.set(column.name, values);
    }
  }
  return columns;
}

/** The run's server speaks `revision` (26.7 does up to 54488, 18.16 stops at 54412). */
export function serverSpeaks(revision: number): boolean {
  return (testServer().revision ?? 0) >= revision;
}
