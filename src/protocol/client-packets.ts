/**
 * Client → server packets (docs/protocol.md §3.2–3.5, §3.12). Each writer appends one whole packet to a ByteWriter;
 * the connection sends the bytes only once a packet (or a whole request) is fully encoded.
 */
import { ClientPacket, INTERFACE_TCP, QUERY_KIND_INITIAL, QUERY_STAGE_COMPLETE } from './codes.js';
import { Feature } from './revision.js';
import { UnsupportedError } from '../errors.js';
import { writeSettings, type Settings } from './settings.js';
import type { ByteWriter } from './writer.js';

export interface ClientIdentity {
  /** Sent in Hello and ClientInfo; servers with validate_tcp_client_information check that both match. */
  name: string;
  versionMajor: number;
  versionMinor: number;
  versionPatch: number;
  osUser: string;
  hostname: string;
  /** The revision we advertise (CLIENT_REVISION); ClientInfo repeats it. */
  revision: number;
}

export interface HelloFields {
  database: string;
  username: string;
  password: string;
}

/**
 * User names that start another handshake instead of a password login (EncodedUserInfo in ClickHouse's
 * src/Core/Protocol.h): the server would then wait for packets this client never sends (an SSH challenge request
 * from revision 54466; the cluster name and salt of an interserver connection), and the connection would hang until
 * connect_timeout_ms. Refused before anything is sent.
 */
const SSH_KEY_MARKER = ' SSH KEY AUTHENTICATION ';
const INTERSERVER_MARKER = ' INTERSERVER SECRET ';

export function writeHello(writer: ByteWriter, client: ClientIdentity, login: HelloFields): void {
  if (login.username.startsWith(SSH_KEY_MARKER)) {
    throw new UnsupportedError(
      `The user name asks for SSH key authentication (it starts with "${SSH_KEY_MARKER}"), which this client does not support`,
    );
  }
  if (login.username === INTERSERVER_MARKER && login.password === '') {
    throw new UnsupportedError(
      `The user name "${INTERSERVER_MARKER}" is how servers of a cluster log in to each other; a client cannot`,
    );
  }
  writer.varUInt(ClientPacket.Hello);
  writer.string(client.name);
  writer.varUInt(client.versionMajor);
  writer.varUInt(client.versionMinor);
  writer.varUInt(client.revision);
  writer.string(login.database);
  writer.string(login.username);
  writer.string(login.password);
}

export interface AddendumFields {
  quotaKey?: string;
  /** Whether we chunk what we send, and want chunks from the server (from 54470; src/protocol/chunked.ts). */
  chunkedSend?: boolean;
  chunkedRecv?: boolean;
}

/** The addendum follows the server's Hello from 54458 on; it has no packet type (docs/protocol.md §3.4). */
export function writeAddendum(writer: ByteWriter, revision: number, fields: AddendumFields = {}): void {
  if (revision >= Feature.ADDENDUM) writer.string(fields.quotaKey ?? '');
  if (revision >= Feature.CHUNKED_PACKETS) {
    writer.string(fields.chunkedSend ? 'chunked' : 'notchunked');
    writer.string(fields.chunkedRecv ? 'chunked' : 'notchunked');
  }
  // The parallel-replicas protocol version we speak: none. A server reads it only when it serves a query for another
  // server as one of its replicas (where 0 means "an initiator from before the versioning").
  if (revision >= Feature.VERSIONED_PARALLEL_REPLICAS_PROTOCOL) writer.varUInt(0);
}

export interface QueryFields {
  queryId: string;
  sql: string;
  settings: Settings;
  compression: boolean;
  quotaKey?: string;
  /**
   * Query parameters (name, value), sent from revision 54459 (PARAMETERS). The value is written as it is: the dump
   * of a String Field, i.e. the parameter's text in single quotes, backslash-escaped, which the server unquotes
   * (readQuoted) before parsing it as the declared type. Older servers cannot take parameters: the caller binds
   * them into the SQL itself.
   */
  parameters?: ReadonlyArray<readonly [string, string]>;
}

/** Flag of a custom setting; query parameters are written as custom settings (docs/protocol.md §4.6). */
const SETTING_FLAG_CUSTOM = 0x02;

function writeClientInfo(writer: ByteWriter, revision: number, client: ClientIdentity, query: QueryFields): void {
  writer.u8(QUERY_KIND_INITIAL);
  writer.string(''); // initial_user: the server fills it in for an initial query
  writer.string(query.queryId); // initial_query_id
  writer.string('0.0.0.0:0'); // initial_address: the server overwrites it with the real peer for initial queries
  if (revision >= Feature.INITIAL_QUERY_START_TIME) writer.i64(0n);
  writer.u8(INTERFACE_TCP);
  writer.string(client.osUser);
  writer.string(client.hostname);
  writer.string(client.name);
  writer.varUInt(client.versionMajor);
  writer.varUInt(client.versionMinor);
  writer.varUInt(client.revision);
  if (revision >= Feature.QUOTA_KEY_IN_CLIENT_INFO) writer.string(query.quotaKey ?? '');
  if (revision >= Feature.DISTRIBUTED_DEPTH) writer.varUInt(0);
  if (revision >= Feature.VERSION_PATCH) writer.varUInt(client.versionPatch);
  if (revision >= Feature.OPENTELEMETRY) writer.u8(0); // no trace context
  if (revision >= Feature.PARALLEL_REPLICAS) {
    writer.varUInt(0); // collaborate_with_initiator
    writer.varUInt(0); // count_participating_replicas
    writer.varUInt(0); // number_of_current_replica
  }
  if (revision >= Feature.QUERY_AND_LINE_NUMBERS) {
    writer.varUInt(0); // script_query_number: which query of a multi-query script (clickhouse-client --queries-file)
    writer.varUInt(0); // script_line_number: its first line there
  }
  // A JWT the initial query was authenticated with, forwarded between servers (ClickHouse Cloud): none.
  if (revision >= Feature.JWT_IN_INTERSERVER) writer.u8(0);
  // clickhouse-client names the AI coding agent it finds in its environment (CLAUDECODE, CURSOR_AGENT, ...) for
  // query_log; a library does not guess what runs it.
  if (revision >= Feature.CLIENT_AGENT_IN_CLIENT_INFO) writer.string('');
  if (revision >= Feature.INTERNAL_QUERY_FLAG) writer.u8(0); // is_internal: a user's query
  // The roles an initiating server pushes with a query to the others (SET ROLE stays in a session's server): none.
  if (revision >= Feature.INTERSERVER_CURRENT_ROLES) writer.u8(0);
}

/**
 * Query packet. Settings are encoded for the negotiated revision: an unknown setting for an old server throws
 * before any byte of the query is sent.
 */
export function writeQuery(writer: ByteWriter, revision: number, client: ClientIdentity, query: QueryFields): void {
  writer.varUInt(ClientPacket.Query);
  writer.string(query.queryId);
  if (revision >= Feature.CLIENT_INFO) writeClientInfo(writer, revision, client, query);
  writeSettings(writer, query.settings, revision);
  // Roles an initiator's external authenticator (LDAP) granted, pushed to the other servers: none from a client.
  if (revision >= Feature.INTERSERVER_EXTERNALLY_GRANTED_ROLES) writer.string('');
  if (revision >= Feature.INTERSERVER_SECRET) writer.string(''); // interserver auth hash: empty for clients
  writer.varUInt(QUERY_STAGE_COMPLETE);
  writer.varUInt(query.compression ? 1 : 0);
  writer.string(query.sql);
  if (revision >= Feature.PARAMETERS) {
    for (const [name, value] of query.parameters ?? []) {
      writer.string(name);
      writer.varUInt(SETTING_FLAG_CUSTOM);
      writer.string(value);
    }
    writer.string(''); // the list's terminator
  } else if (query.parameters !== undefined && query.parameters.length > 0) {
    throw new UnsupportedError(
      `Query parameters need protocol revision ${Feature.PARAMETERS}; this server speaks ${revision}`,
    );
  }
}

/**
 * TablesStatusRequest (docs/protocol.md §3.15): which of these tables exist, are replicated, how far behind, read-only.
 * Outside a query only; the server answers with TablesStatusResponse.
 */
export function writeTablesStatusRequest(
  writer: ByteWriter,
  tables: ReadonlyArray<{ database: string; table: string }>,
): void {
  writer.varUInt(ClientPacket.TablesStatusRequest);
  writer.varUInt(tables.length);
  for (const { database, table } of tables) {
    writer.string(database);
    writer.string(table);
  }
}

/** The start of a client Data packet: type and (empty) table name. The block, maybe compressed, follows. */
export function writeDataHeader(writer: ByteWriter, tableName = ''): void {
  writer.varUInt(ClientPacket.Data);
  writer.string(tableName);
}

export const PING_PACKET: Buffer = Buffer.from([ClientPacket.Ping]);
export const CANCEL_PACKET: Buffer = Buffer.from([ClientPacket.Cancel]);
