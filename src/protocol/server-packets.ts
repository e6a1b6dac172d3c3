/**
 * Server → client packets (docs/protocol.md §2.1, §3.3–3.16), all but the body of the block packets: those (Data,
 * Totals, Extremes, Log, ProfileEvents) carry a Native block, which the column codecs decode, so the connection
 * layer reads them (src/connection/packet-reader.ts) and hands every other packet to `readControlPacket`. Each
 * packet is decoded whole, whatever its type, so the stream never desynchronises; a packet type we cannot decode is
 * a ProtocolError (the connection is then discarded: a native stream cannot be resynchronised).
 */
import { ClickHouseError, ProtocolError } from '../errors.js';
import { ServerPacket } from './codes.js';
import type { ByteReader } from './reader.js';
import { CLIENT_REVISION, Feature } from './revision.js';

export interface ServerHello {
  name: string;
  versionMajor: number;
  versionMinor: number;
  versionPatch: number;
  /** The revision the server announced. */
  revision: number;
  /** The server's default time zone. */
  timezone: string;
  displayName: string;
  /**
   * The rules the server checks a new password against (from 54461; empty when it has none or for older servers):
   * a regular expression each password must match, and the message that says what it asks for.
   */
  passwordComplexityRules: PasswordComplexityRule[];
  /**
   * A random number the server sends with each Hello (from 54462). Servers mix it into the hash that authenticates
   * a query between servers of a cluster (interserver secret v2); a client has no use for it.
   */
  nonce?: bigint;
  /**
   * Whether the server chunks what it sends, and wants chunks from the client (from 54470): "chunked" or
   * "notchunked", strict, or with "_optional" (server config `proto_caps`; default "notchunked"). Undefined below 54470.
   */
  chunkedSend?: string;
  chunkedRecv?: string;
  /**
   * The version of the protocol the server's replicas speak among themselves to read one table in parallel (from
   * 54471). A client takes no part in it.
   */
  parallelReplicasProtocolVersion?: number;
  /**
   * Settings the server wants the client to apply (from 54474, when the user's `apply_settings_from_server` is on):
   * the user's profile, as name → value text. The server applies them itself; the client uses them where it
   * formats or parses on its own (result.text()). An object without a prototype: names come from the wire.
   */
  settings?: Readonly<Record<string, string>>;
  /** The version of the query plans the server sends to and reads from other servers (from 54477). */
  queryPlanSerializationVersion?: number;
  /** The version of the task protocol of s3Cluster() and the other *Cluster table functions (from 54479). */
  clusterFunctionProtocolVersion?: number;
}

export interface PasswordComplexityRule {
  pattern: string;
  message: string;
}

/** Progress values are increments since the previous Progress packet. */
export interface Progress {
  readRows: number;
  readBytes: number;
  totalRowsToRead: number;
  /** From 54463; 0 below it. */
  totalBytesToRead: number;
  writtenRows: number;
  writtenBytes: number;
  elapsedNs: number;
}

export interface ProfileInfo {
  rows: number;
  blocks: number;
  bytes: number;
  appliedLimit: boolean;
  rowsBeforeLimit: number;
  calculatedRowsBeforeLimit: boolean;
  /**
   * With the setting `rows_before_aggregation = 1` (from revision 54469; false and 0 below it): whether the query
   * aggregated, and how many rows went into the aggregation.
   */
  appliedAggregation: boolean;
  rowsBeforeAggregation: number;
}

export interface TableStatus {
  database: string;
  table: string;
  isReplicated: boolean;
  absoluteDelay: number;
  /** A replicated table that cannot take writes (lost its ZooKeeper session, ...); from 54467, false below. */
  isReadonly: boolean;
}

export type BlockPacketKind = 'data' | 'totals' | 'extremes' | 'log' | 'profileEvents';

/** Every server packet but the block packets (src/connection/packet-reader.ts adds those). */
export type ServerControlMessage =
  | { type: 'hello'; hello: ServerHello }
  | { type: 'exception'; error: ClickHouseError }
  | { type: 'progress'; progress: Progress }
  | { type: 'pong' }
  | { type: 'endOfStream' }
  | { type: 'profileInfo'; info: ProfileInfo }
  | { type: 'tableColumns'; tableName: string; description: string }
  | { type: 'tablesStatus'; tables: TableStatus[] }
  | { type: 'partUUIDs'; count: number }
  | { type: 'readTaskRequest' }
  | { type: 'timezoneUpdate'; timezone: string }
  | { type: 'sshChallenge'; challenge: string };

/**
 * ClickHouse's own client refuses more password rules than this in a Hello, and rule strings longer than 4096 bytes
 * (DBMS_MAX_PASSWORD_COMPLEXITY_RULES, DBMS_MAX_HELLO_STRING_SIZE in ProtocolDefines.h); so do we, before allocating.
 */
const MAX_PASSWORD_RULES = 256;
const MAX_HELLO_STRING_BYTES = 4096;
/** ClickHouse has about 1500 settings; a Hello listing more than this many is not a server's. */
const MAX_HELLO_SETTINGS = 10_000;

/** Nested exceptions are a chain; a server never nests deeply, so a long chain means hostile bytes. */
const MAX_EXCEPTION_DEPTH = 64;
/** Caps list lengths of rarely used packets (TablesStatus, PartUUIDs) before allocating. */
const MAX_LIST_ENTRIES = 1_000_000;

const BLOCK_PACKETS: Readonly<Partial<Record<number, BlockPacketKind>>> = {
  [ServerPacket.Data]: 'data',
  [ServerPacket.Totals]: 'totals',
  [ServerPacket.Extremes]: 'extremes',
  [ServerPacket.Log]: 'log',
  [ServerPacket.ProfileEvents]: 'profileEvents',
};

/** The kind of block a packet code carries, or undefined for a control packet. */
export function blockPacketKind(code: number): BlockPacketKind | undefined {
  return BLOCK_PACKETS[code];
}

/**
 * Whether a block packet's body (after its table name) is in compressed frames: Data, Totals and Extremes when the
 * query enabled compression; Log and ProfileEvents too from 54481 on (TCPHandler::sendLogs, sendProfileEvents).
 */
export function isCompressedBody(kind: BlockPacketKind, compression: boolean, revision: number): boolean {
  if (!compression) return false;
  return (
    kind === 'data' ||
    kind === 'totals' ||
    kind === 'extremes' ||
    revision >= Feature.COMPRESSED_LOGS_PROFILE_EVENTS_COLUMNS
  );
}

/**
 * Whether a TableColumns packet (its table name and description) is in compressed frames: from 54481 on, when the
 * query enabled compression (TCPHandler::sendTableColumns). src/connection/packet-reader.ts decompresses it.
 */
export function isCompressedTableColumns(compression: boolean, revision: number): boolean {
  return compression && revision >= Feature.COMPRESSED_LOGS_PROFILE_EVENTS_COLUMNS;
}

export function decodeServerHello(reader: ByteReader, advertised: number = CLIENT_REVISION): ServerHello {
  const name = reader.string();
  const versionMajor = reader.varUInt();
  const versionMinor = reader.varUInt();
  const revision = reader.varUInt();
  // The server gates each field on the revision *we* advertised, capped by its own.
  const negotiated = Math.min(revision, advertised);
  // The one field that comes before the time zone.
  const parallelReplicas = negotiated >= Feature.VERSIONED_PARALLEL_REPLICAS_PROTOCOL ? reader.varUInt() : undefined;
  const timezone = negotiated >= Feature.SERVER_TIMEZONE ? reader.string() : '';
  const displayName = negotiated >= Feature.SERVER_DISPLAY_NAME ? reader.string() : '';
  const versionPatch = negotiated >= Feature.VERSION_PATCH ? reader.varUInt() : revision;
  let chunked: [string, string] | undefined;
  if (negotiated >= Feature.CHUNKED_PACKETS)
    chunked = [helloString(reader, 'a chunking mode'), helloString(reader, 'a chunking mode')];
  const passwordComplexityRules: PasswordComplexityRule[] = [];
  if (negotiated >= Feature.PASSWORD_COMPLEXITY_RULES) {
    const count = reader.varUInt();
    if (count > MAX_PASSWORD_RULES) {
      throw new ProtocolError(
        `The server's Hello lists ${count} password rules; at most ${MAX_PASSWORD_RULES} are accepted`,
      );
    }
    for (let i = 0; i < count; i++) {
      const pattern = helloString(reader, 'a password rule pattern');
      const message = helloString(reader, 'a password rule message');
      passwordComplexityRules.push({ pattern, message });
    }
  }
  const nonce = negotiated >= Feature.INTERSERVER_SECRET_V2 ? reader.u64() : undefined;
  const settings = negotiated >= Feature.SERVER_SETTINGS ? readHelloSettings(reader) : undefined;
  const queryPlan = negotiated >= Feature.QUERY_PLAN_SERIALIZATION ? reader.varUInt() : undefined;
  const clusterFunction = negotiated >= Feature.VERSIONED_CLUSTER_FUNCTION_PROTOCOL ? reader.varUInt() : undefined;
  const hello: ServerHello = {
    name,
    versionMajor,
    versionMinor,
    versionPatch,
    revision,
    timezone,
    displayName,
    passwordComplexityRules,
  };
  if (nonce !== undefined) hello.nonce = nonce;
  if (chunked) [hello.chunkedSend, hello.chunkedRecv] = chunked;
  if (parallelReplicas !== undefined) hello.parallelReplicasProtocolVersion = parallelReplicas;
  if (settings) hello.settings = settings;
  if (queryPlan !== undefined) hello.queryPlanSerializationVersion = queryPlan;
  if (clusterFunction !== undefined) hello.clusterFunctionProtocolVersion = clusterFunction;
  return hello;
}

/**
 * The settings list of a Hello (BaseSettings, STRINGS_WITH_FLAGS): (name, VarUInt flags, value text) until an
 * empty name.
 */
function readHelloSettings(reader: ByteReader): Record<string, string> {
  const settings: Record<string, string> = Object.create(null);
  for (let count = 0; ; count++) {
    const name = reader.string();
    if (name === '') return settings;
    if (count === MAX_HELLO_SETTINGS)
      throw new ProtocolError(`The server's Hello lists more than ${MAX_HELLO_SETTINGS} settings`);
    reader.varUInt(); // flags: important, custom
    settings[name] = reader.string();
  }
}

/** A Hello string of at most MAX_HELLO_STRING_BYTES, refused by its length prefix before its bytes are read. */
function helloString(reader: ByteReader, what: string): string {
  const length = reader.varUInt();
  if (length > MAX_HELLO_STRING_BYTES) {
    throw new ProtocolError(
      `The server's Hello has ${what} of ${length} bytes; at most ${MAX_HELLO_STRING_BYTES} are accepted`,
    );
  }
  return reader.view(length).toString('utf8');
}

function decodeException(reader: ByteReader): ClickHouseError {
  const chain: { code: number; name: string; message: string; stackTrace: string }[] = [];
  for (;;) {
    const code = reader.i32();
    const name = reader.string();
    const message = reader.string();
    const stackTrace = reader.string();
    const hasNested = reader.u8() !== 0;
    chain.push({ code, name, message, stackTrace });
    if (!hasNested) break;
    if (chain.length >= MAX_EXCEPTION_DEPTH) {
      throw new ProtocolError(`Exception nests more than ${MAX_EXCEPTION_DEPTH} levels deep`);
    }
  }
  let error: ClickHouseError | undefined;
  for (let i = chain.length - 1; i >= 0; i--) error = new ClickHouseError({ ...chain[i]!, nested: error });
  return error!;
}

function decodeProgress(reader: ByteReader, revision: number): Progress {
  const readRows = reader.varUInt();
  const readBytes = reader.varUInt();
  const totalRowsToRead = reader.varUInt();
  const totalBytesToRead = revision >= Feature.TOTAL_BYTES_IN_PROGRESS ? reader.varUInt() : 0;
  let writtenRows = 0;
  let writtenBytes = 0;
  if (revision >= Feature.CLIENT_WRITE_INFO) {
    writtenRows = reader.varUInt();
    writtenBytes = reader.varUInt();
  }
  const elapsedNs = revision >= Feature.SERVER_QUERY_TIME_IN_PROGRESS ? reader.varUInt() : 0;
  return { readRows, readBytes, totalRowsToRead, totalBytesToRead, writtenRows, writtenBytes, elapsedNs };
}

function decodeProfileInfo(reader: ByteReader, revision: number): ProfileInfo {
  const rows = reader.varUInt();
  const blocks = reader.varUInt();
  const bytes = reader.varUInt();
  const appliedLimit = reader.u8() !== 0;
  const rowsBeforeLimit = reader.varUInt();
  const calculatedRowsBeforeLimit = reader.u8() !== 0;
  let appliedAggregation = false;
  let rowsBeforeAggregation = 0;
  if (revision >= Feature.ROWS_BEFORE_AGGREGATION) {
    appliedAggregation = reader.u8() !== 0;
    rowsBeforeAggregation = reader.varUInt();
  }
  return {
    rows,
    blocks,
    bytes,
    appliedLimit,
    rowsBeforeLimit,
    calculatedRowsBeforeLimit,
    appliedAggregation,
    rowsBeforeAggregation,
  };
}

function decodeTablesStatus(reader: ByteReader, revision: number): TableStatus[] {
  const count = reader.varUInt();
  if (count > MAX_LIST_ENTRIES) throw new ProtocolError(`TablesStatusResponse claims ${count} tables`);
  const tables: TableStatus[] = [];
  for (let i = 0; i < count; i++) {
    const database = reader.string();
    const table = reader.string();
    const isReplicated = reader.u8() !== 0;
    const absoluteDelay = isReplicated ? reader.varUInt() : 0;
    const isReadonly = isReplicated && revision >= Feature.TABLE_READ_ONLY_CHECK ? reader.varUInt() !== 0 : false;
    tables.push({ database, table, isReplicated, absoluteDelay, isReadonly });
  }
  return tables;
}

function decodePartUUIDs(reader: ByteReader): number {
  const count = reader.varUInt();
  if (count > MAX_LIST_ENTRIES) throw new ProtocolError(`PartUUIDs claims ${count} UUIDs`);
  reader.skip(count * 16);
  return count;
}

/** Reads the rest of one control packet whose code was read (`blockPacketKind(code)` is undefined). */
export async function readControlPacket(
  reader: ByteReader,
  code: number,
  revision: number,
  advertisedRevision: number = CLIENT_REVISION,
): Promise<ServerControlMessage> {
  switch (code) {
    case ServerPacket.Hello:
      return { type: 'hello', hello: await reader.atomic(() => decodeServerHello(reader, advertisedRevision)) };
    case ServerPacket.Exception:
      return { type: 'exception', error: await reader.atomic(() => decodeException(reader)) };
    case ServerPacket.Progress:
      return { type: 'progress', progress: await reader.atomic(() => decodeProgress(reader, revision)) };
    case ServerPacket.Pong:
      return { type: 'pong' };
    case ServerPacket.EndOfStream:
      return { type: 'endOfStream' };
    case ServerPacket.ProfileInfo:
      return { type: 'profileInfo', info: await reader.atomic(() => decodeProfileInfo(reader, revision)) };
    case ServerPacket.TableColumns: {
      const { tableName, description } = await reader.atomic(() => ({
        tableName: reader.string(),
        description: reader.string(),
      }));
      return { type: 'tableColumns', tableName, description };
    }
    case ServerPacket.TablesStatusResponse:
      return { type: 'tablesStatus', tables: await reader.atomic(() => decodeTablesStatus(reader, revision)) };
    case ServerPacket.PartUUIDs:
      return { type: 'partUUIDs', count: await reader.atomic(() => decodePartUUIDs(reader)) };
    case ServerPacket.ReadTaskRequest:
      return { type: 'readTaskRequest' };
    case ServerPacket.TimezoneUpdate:
      return { type: 'timezoneUpdate', timezone: await reader.atomic(() => reader.string()) };
    case ServerPacket.SSHChallenge:
      return { type: 'sshChallenge', challenge: await reader.atomic(() => reader.string()) };
    default:
      throw new ProtocolError(`Unknown server packet type ${code} at byte ${reader.offset - 1}`);
  }
}
