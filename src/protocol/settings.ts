/**
 * Query settings on the wire (docs/protocol.md §4.6).
 *
 * From revision 54429 a setting is (String name, VarUInt flags, String text). Below it (ClickHouse 18.16 sends
 * 54412) the value is written in a binary form that depends on the setting's C++ type, so the client must know each
 * setting's type; an unknown name would desynchronise the server's reader, so we refuse it on the client instead.
 */
import { UnsupportedError } from '../errors.js';
import { Feature } from './revision.js';
import type { ByteWriter } from './writer.js';

export type SettingValue = string | number | boolean | bigint;
export type Settings = Record<string, SettingValue | undefined>;

/** STRINGS_WITH_FLAGS: the server fails the query on an unknown setting instead of skipping it. */
const FLAG_IMPORTANT = 0x01;

/** How a setting's value is written in the old binary form. */
export type BinarySettingKind =
  /** SettingUInt64, SettingBool, SettingSeconds, SettingMilliseconds, SettingMaxThreads: VarUInt. */
  | 'uint'
  /** SettingInt64: zig-zag VarInt. */
  | 'int'
  /** SettingFloat: the decimal text as a String. */
  | 'float'
  /** SettingString, SettingChar and every enum-like setting: the text as a String. */
  | 'string';

/**
 * The settings of ClickHouse 18.16.1 (the newest server below revision 54429 we test against), by binary kind,
 * taken from its system.settings and its Settings.h types. Servers between 54412 and 54429 may know a few more;
 * those can be sent by upgrading the server or by putting them in a user profile.
 */
const UINT_SETTINGS = [
  'min_compress_block_size',
  'max_compress_block_size',
  'max_block_size',
  'max_insert_block_size',
  'min_insert_block_size_rows',
  'min_insert_block_size_bytes',
  'max_threads',
  'max_read_buffer_size',
  'max_distributed_connections',
  'max_query_size',
  'interactive_delay',
  'connect_timeout',
  'connect_timeout_with_failover_ms',
  'receive_timeout',
  'send_timeout',
  'tcp_keep_alive_timeout',
  'queue_max_wait_ms',
  'poll_interval',
  'distributed_connections_pool_size',
  'connections_with_failover_max_tries',
  'extremes',
  'use_uncompressed_cache',
  'replace_running_query',
  'background_pool_size',
  'background_schedule_pool_size',
  'distributed_directory_monitor_sleep_time_ms',
  'distributed_directory_monitor_batch_inserts',
  'optimize_move_to_prewhere',
  'replication_alter_partitions_sync',
  'replication_alter_columns_timeout',
  'compile',
  'compile_expressions',
  'min_count_to_compile',
  'group_by_two_level_threshold',
  'group_by_two_level_threshold_bytes',
  'distributed_aggregation_memory_efficient',
  'aggregation_memory_efficient_merge_threads',
  'max_parallel_replicas',
  'parallel_replicas_count',
  'parallel_replica_offset',
  'skip_unavailable_shards',
  'distributed_group_by_no_merge',
  'merge_tree_min_rows_for_concurrent_read',
  'merge_tree_min_rows_for_seek',
  'merge_tree_coarse_index_granularity',
  'merge_tree_max_rows_to_use_cache',
  'merge_tree_uniform_read_distribution',
  'mysql_max_rows_to_insert',
  'optimize_min_equality_disjunction_chain_length',
  'min_bytes_to_use_direct_io',
  'force_index_by_date',
  'force_primary_key',
  'mark_cache_min_lifetime',
  'priority',
  'log_queries',
  'log_queries_cut_to_length',
  'max_concurrent_queries_for_user',
  'insert_deduplicate',
  'insert_sample_with_metadata',
  'insert_quorum',
  'insert_quorum_timeout',
  'select_sequential_consistency',
  'table_function_remote_max_addresses',
  'read_backoff_min_latency_ms',
  'read_backoff_max_throughput',
  'read_backoff_min_interval_between_events_ms',
  'read_backoff_min_events',
  'enable_http_compression',
  'http_native_compression_disable_checksumming_on_decompress',
  'output_format_write_statistics',
  'add_http_cors_header',
  'input_format_skip_unknown_fields',
  'input_format_import_nested_json',
  'input_format_values_interpret_expressions',
  'output_format_json_quote_64bit_integers',
  'output_format_json_quote_denormals',
  'output_format_json_escape_forward_slashes',
  'output_format_pretty_max_rows',
  'output_format_pretty_max_column_pad_width',
  'output_format_pretty_color',
  'use_client_time_zone',
  'send_progress_in_http_headers',
  'http_headers_progress_interval_ms',
  'fsync_metadata',
  'input_format_allow_errors_num',
  'join_use_nulls',
  'preferred_block_size_bytes',
  'max_replica_delay_for_distributed_queries',
  'fallback_to_stale_replicas_for_distributed_queries',
  'preferred_max_column_in_block_size_bytes',
  'insert_distributed_sync',
  'insert_distributed_timeout',
  'stream_flush_interval_ms',
  'insert_allow_materialized_columns',
  'http_connection_timeout',
  'http_send_timeout',
  'http_receive_timeout',
  'optimize_throw_if_noop',
  'use_index_for_in_with_subqueries',
  'empty_result_for_aggregation_by_empty_set',
  'allow_distributed_ddl',
  'odbc_max_field_size',
  'max_rows_to_read',
  'max_bytes_to_read',
  'max_rows_to_group_by',
  'max_bytes_before_external_group_by',
  'max_rows_to_sort',
  'max_bytes_to_sort',
  'max_bytes_before_external_sort',
  'max_bytes_before_remerge_sort',
  'max_result_rows',
  'max_result_bytes',
  'max_execution_time',
  'min_execution_speed',
  'timeout_before_checking_execution_speed',
  'max_columns_to_read',
  'max_temporary_columns',
  'max_temporary_non_const_columns',
  'max_subquery_depth',
  'max_pipeline_depth',
  'max_ast_depth',
  'max_ast_elements',
  'max_expanded_ast_elements',
  'readonly',
  'max_rows_in_set',
  'max_bytes_in_set',
  'max_rows_in_join',
  'max_bytes_in_join',
  'max_rows_to_transfer',
  'max_bytes_to_transfer',
  'max_rows_in_distinct',
  'max_bytes_in_distinct',
  'max_memory_usage',
  'max_memory_usage_for_user',
  'max_memory_usage_for_all_queries',
  'max_network_bandwidth',
  'max_network_bytes',
  'max_network_bandwidth_for_user',
  'max_network_bandwidth_for_all_users',
  'format_csv_allow_single_quotes',
  'format_csv_allow_double_quotes',
  'log_profile_events',
  'log_query_settings',
  'log_query_threads',
  'enable_optimize_predicate_expression',
  'low_cardinality_max_dictionary_size',
  'low_cardinality_use_single_dictionary_for_part',
  'allow_experimental_low_cardinality_type',
  'decimal_check_overflow',
  'prefer_localhost_replica',
  'max_fetch_partition_retries_count',
  'asterisk_left_columns_only',
  'http_max_multipart_form_data_size',
  'calculate_text_stack_trace',
  'allow_ddl',
  'parallel_view_processing',
  'enable_debug_queries',
  'low_cardinality_allow_in_native_format',
];
const INT_SETTINGS = ['network_zstd_compression_level', 'http_zlib_compression_level', 'distributed_ddl_task_timeout'];
const FLOAT_SETTINGS = [
  'totals_auto_threshold',
  'max_streams_to_max_threads_ratio',
  'memory_tracker_fault_probability',
  'input_format_allow_errors_ratio',
];
const STRING_SETTINGS = [
  'load_balancing',
  'totals_mode',
  'network_compression_method',
  'distributed_product_mode',
  'count_distinct_implementation',
  'join_default_strictness',
  'format_schema',
  'read_overflow_mode',
  'group_by_overflow_mode',
  'sort_overflow_mode',
  'result_overflow_mode',
  'timeout_overflow_mode',
  'set_overflow_mode',
  'join_overflow_mode',
  'transfer_overflow_mode',
  'distinct_overflow_mode',
  'format_csv_delimiter',
  'date_time_input_format',
  'send_logs_level',
];

export const BINARY_SETTING_KINDS: ReadonlyMap<string, BinarySettingKind> = new Map<string, BinarySettingKind>([
  ...UINT_SETTINGS.map((name) => [name, 'uint'] as const),
  ...INT_SETTINGS.map((name) => [name, 'int'] as const),
  ...FLOAT_SETTINGS.map((name) => [name, 'float'] as const),
  ...STRING_SETTINGS.map((name) => [name, 'string'] as const),
]);

/** The text form the server parses: booleans as 1/0, numbers in decimal. */
export function settingText(value: SettingValue): string {
  if (typeof value === 'boolean') return value ? '1' : '0';
  return String(value);
}

function settingError(name: string, value: SettingValue, expected: string): UnsupportedError {
  return new UnsupportedError(`Setting "${name}" must be ${expected}, got ${JSON.stringify(settingText(value))}`);
}

function toBigInt(name: string, value: SettingValue, signed: boolean): bigint {
  if (typeof value === 'boolean') return value ? 1n : 0n;
  if (typeof value === 'bigint') return value;
  const text = String(value).trim();
  if (!/^-?\d+$/.test(text)) throw settingError(name, value, signed ? 'an integer' : 'a non-negative integer');
  const parsed = BigInt(text);
  if (!signed && parsed < 0n) throw settingError(name, value, 'a non-negative integer');
  return parsed;
}

/**
 * Writes a settings list ending in the empty name. `revision` is the negotiated revision.
 * Undefined values are skipped, so callers can spread optional settings.
 */
export function writeSettings(writer: ByteWriter, settings: Settings, revision: number): void {
  const asStrings = revision >= Feature.SETTINGS_SERIALIZED_AS_STRINGS;
  for (const [name, value] of Object.entries(settings)) {
    if (value === undefined) continue;
    if (asStrings) {
      writer.string(name);
      writer.varUInt(FLAG_IMPORTANT);
      writer.string(settingText(value));
      continue;
    }
    const kind = BINARY_SETTING_KINDS.get(name);
    if (kind === undefined) {
      throw new UnsupportedError(
        `Setting "${name}" is unknown to this client for servers below protocol revision ` +
          `${Feature.SETTINGS_SERIALIZED_AS_STRINGS} (settings in binary form): it cannot be sent to this server`,
      );
    }
    writer.string(name);
    switch (kind) {
      case 'uint':
        writer.varUInt64(toBigInt(name, value, false));
        break;
      case 'int':
        writer.varInt64(toBigInt(name, value, true));
        break;
      case 'float': {
        const text = settingText(value);
        if (!Number.isFinite(Number(text))) throw settingError(name, value, 'a number');
        writer.string(text);
        break;
      }
      case 'string':
        writer.string(settingText(value));
        break;
    }
  }
  writer.string('');
}
