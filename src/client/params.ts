/** The parameters and results of the client's calls (and a session's, which take the same). */
import type { QuerySummary, RequestParams } from '../connection/response.js';
import type { ExternalTable } from '../insert/external-tables.js';
import type { InsertRequest } from '../insert/insert.js';
import type { InsertStreamOptions } from '../insert/stream.js';
import type { InsertValuesOf } from '../insert/input.js';
import type { TableSchema } from './schema.js';
import type { QueryParameterValues } from './query-params.js';

export type { InsertResult } from '../insert/insert.js';

/** `insertStream` takes the insert's parameters without `values`: they are written to the stream. */
export type InsertStreamParams = Omit<InsertParams, 'values'> & InsertStreamOptions;

export interface BaseParams extends RequestParams {
  /**
   * Values for the query's `{name:Type}` placeholders. Sent to the server, which types and checks them, from
   * protocol revision 54459; bound into the SQL by the client as typed, escaped literals below it (18.16). A
   * placeholder without a value, or a value without a placeholder, is refused before anything is sent. For insert,
   * placeholders in `table` are bound by the client (e.g. `table: '{db:Identifier}.{t:Identifier}'`).
   */
  query_params?: QueryParameterValues;
}

/**
 * An insert: the rows (or a stream of them) and where they go. The server's header block gives each column's type;
 * values are validated and encoded against it.
 */
export interface InsertParams extends InsertRequest, BaseParams {}

/** `insert<T>()`'s parameters: `values` typed by the row type `T` (an interface or a `RowOf<schema>`). */
export type TypedInsertParams<T> = Omit<InsertParams, 'values'> & { values: InsertValuesOf<T> };

/** Client-side tables the query reads (README, "External tables"). */
interface WithExternalTables {
  /**
   * Tables sent with the query, which it reads by name as temporary tables: `SELECT … WHERE id IN ids`,
   * `JOIN ids USING id`. Each has a name, its columns (`structure: 'id UInt64, name String'`, or `columns`), and
   * `values`: row objects or a columnar object, as for insert. Every value is checked against its column's type
   * before the query is sent; a bad one throws ExternalTableError naming the table, column and row, and sends nothing.
   */
  external_tables?: readonly ExternalTable[];
}

export interface QueryParams extends BaseParams, WithExternalTables {
  query: string;
  /**
   * The text format of result.text() and result.stream(), as a FORMAT clause in the query would choose it (the
   * clause wins when both are given). JSONEachRow, JSONCompactEachRow, JSON, JSONCompact, CSV, CSVWithNames,
   * TabSeparated (TSV), TabSeparatedRaw, TabSeparatedWithNames, TabSeparatedWithNamesAndTypes. Another format, here or
   * in the clause, is refused before the query is sent.
   */
  format?: string;
  /**
   * Rows from json() and iteration in JSON-safe values: 64-bit and wider integers as strings, TypedArrays as arrays,
   * Maps as objects (see toJsonSafe), so JSON.stringify works on them. Default: the client's json_safe (false).
   */
  json_safe?: boolean;
  /**
   * The result's columns as `defineTable` declares them: rows are then typed `RowOf<schema>`, and the header is
   * checked against it (SchemaMismatchError, the result closed) so the type is not a cast. Not with json_safe.
   */
  schema?: TableSchema;
}

export interface CommandParams extends BaseParams, WithExternalTables {
  query: string;
}

export interface CommandResult {
  query_id: string;
  summary: QuerySummary;
}

export type PingResult = { success: true } | { success: false; error: Error };
