/** clickhouse-native: a ClickHouse client over the native TCP protocol. */
export { createClient, ClickHouseClient } from './client/client.js';
export { ClickHouseSession } from './client/session.js';
export { quoteIdentifier } from './insert/insert.js';
export { quoteLiteral, QueryParameterError } from './client/query-params.js';
export type { QueryParameterValues } from './client/query-params.js';
export type {
  BaseParams,
  CommandParams,
  CommandResult,
  InsertParams,
  InsertResult,
  InsertStreamParams,
  PingResult,
  QueryParams,
} from './client/params.js';
export type { ClickHouseClientConfig } from './client/config.js';
export { ConfigError } from './client/config.js';
export { ResultSet, rowsOf } from './client/result-set.js';
export type { ColumnInfo, Row } from './client/result-set.js';
export type { LogEntry, ProfileEvent, QueryProgress, QuerySummary } from './connection/response.js';
export type { Logger, LogLevel } from './connection/log.js';
export type { TracingConfig, TracerLike, SpanLike } from './client/tracing.js';
export { ExternalTableError } from './insert/external-tables.js';
export type { ExternalTable } from './insert/external-tables.js';
export type { Block, BlockColumn, BlockInfo } from './columns/block.js';
export type { ProfileInfo, ServerHello } from './protocol/server-packets.js';
export type { Settings, SettingValue } from './protocol/settings.js';
export type { Compression, CompressionMethod, CompressionOptions } from './compression/frame.js';
export type { InsertValues, InsertRow, ColumnarInput, InsertChunk } from './insert/input.js';
export { InsertStream } from './insert/stream.js';
export {
  AbortError,
  ClickHouseError,
  ClickHouseNativeError,
  ConnectionError,
  InvalidValueError,
  PoolExhaustedError,
  ProtocolError,
  SessionBusyError,
  SessionClosedError,
  UnsupportedError,
} from './errors.js';
export { InsertOutcomeUnknownError } from './errors.js';
export { Inserter } from './insert/inserter.js';
export { ShardedInserter } from './insert/sharded.js';
export type { ShardedInserterOptions, ShardSpec, ShardLayout, ShardedInsertResult } from './insert/sharded.js';
export type { LoadBalancing, HostPoolStats, HostStatus } from './connection/multi-host.js';
export type { PoolStats } from './connection/pool.js';
export type { InserterBatch, InserterOptions, InserterStats } from './insert/inserter.js';
export type { InsertRetryConfig, InsertRetryEvent } from './insert/retry.js';
export type { AsyncInsertSettings } from './insert/async-insert.js';
export { NativeFormat } from './columns/native-format.js';
export { variantValue, VariantValue } from './columns/variant.js';
export { dynamicValue, dynamicTypes } from './columns/dynamic.js';
// Client-side defaults (README, "Client-side defaults").
export { compileExpression } from './expressions/index.js';
export type { CompiledExpression, CompileExpressionOptions, EvaluateOptions } from './expressions/index.js';
export { UnsupportedExpressionError } from './errors.js';
export { UncomputableDefaultError } from './defaults/plan.js';
export type { DefaultsReport, ServerComputedColumn } from './insert/insert.js';
export { defineTable, blockColumns, SchemaMismatchError } from './client/schema.js';
export type { TableSchema, SchemaColumns, RowOf, BlockColumnsOf } from './client/schema.js';
export type { ClickHouseTypeToTS, ColumnValuesOf, TypedArrayOf } from './columns/ts-types.js';
export type { InsertValuesOf, InsertChunkOf, ColumnarOf } from './insert/input.js';
export type { TypedInsertParams } from './client/params.js';
export { fromArrow, ArrowUnavailableError } from './client/arrow.js';
