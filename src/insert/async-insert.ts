/**
 * Server-side async inserts (ClickHouse's `async_insert`): the server buffers small INSERTs and writes them as one
 * part. They are plain query settings, passed through `clickhouse_settings` like any other. Servers before revision
 * 54429 (ClickHouse 18.16 among them) take settings in a typed binary form and do not have these at all; the client
 * refuses them before a byte goes out, with an error naming the setting and the server (explainRefusedSetting).
 */
import { Feature } from '../protocol/revision.js';
import { UnsupportedError } from '../errors.js';
import type { ServerHello } from '../protocol/server-packets.js';

/** The async-insert settings, as `clickhouse_settings` keys. */
export interface AsyncInsertSettings {
  /** 1: the server buffers this INSERT with others into one part. */
  async_insert?: 0 | 1 | boolean;
  /** 1 (the server's default): the INSERT is acknowledged once its buffer is flushed to the table; 0: once buffered. */
  wait_for_async_insert?: 0 | 1 | boolean;
  /** Flush the server's buffer this long after its first insert. */
  async_insert_busy_timeout_ms?: number;
  /** Flush the server's buffer at this many bytes. */
  async_insert_max_data_size?: number;
  /** Flush the server's buffer at this many INSERTs. */
  async_insert_max_query_number?: number;
  /** 1: deduplicate async inserts like synchronous ones (Replicated tables; needed for safe retries with async_insert). */
  async_insert_deduplicate?: 0 | 1 | boolean;
}

export const ASYNC_INSERT_SETTINGS: readonly string[] = [
  'async_insert',
  'wait_for_async_insert',
  'async_insert_busy_timeout_ms',
  'async_insert_max_data_size',
  'async_insert_max_query_number',
  'async_insert_deduplicate',
];

/** Settings of newer servers that users reach for, with the release that brought them. */
const INTRODUCED_IN: Readonly<Record<string, string>> = {
  async_insert: '21.11',
  wait_for_async_insert: '21.11',
  async_insert_busy_timeout_ms: '21.11',
  async_insert_max_data_size: '21.11',
  insert_deduplication_token: '22.2',
  deduplicate_insert: '26.2',
};

const REFUSED = /^Setting "([^"]+)" is unknown to this client/;

/**
 * Turns the settings encoder's refusal of an unknown setting (old binary form) into an error that names the setting,
 * the server's version and, for settings of newer servers, the release that brought them. Other errors pass through.
 */
export function explainRefusedSetting(error: unknown, server: ServerHello | undefined, revision: number): unknown {
  if (!(error instanceof UnsupportedError) || server === undefined) return error;
  const match = REFUSED.exec(error.message);
  if (!match) return error;
  const name = match[1]!;
  const version = `${server.name} ${server.versionMajor}.${server.versionMinor}.${server.versionPatch}`;
  const since = INTRODUCED_IN[name];
  let why: string;
  if (ASYNC_INSERT_SETTINGS.includes(name)) {
    why =
      `server-side async inserts arrived in ClickHouse 21.11, and take native-protocol inserts (this client's) ` +
      `from 23.10; this server has no "${name}". Batch on the client instead: client.inserter(table)`;
  } else if (since !== undefined) {
    why = `"${name}" arrived in ClickHouse ${since}; this server does not have it`;
  } else {
    why =
      `this server takes settings in the old typed binary form (protocol revision ${revision}, below ${Feature.SETTINGS_SERIALIZED_AS_STRINGS}) and the ` +
      `client does not know the type of "${name}", which may not exist on it; set it in the server's user profile instead`;
  }
  return new UnsupportedError(
    `Setting "${name}" cannot be sent to ${version} (protocol revision ${revision}): ${why}`,
    {
      cause: error,
    },
  );
}
