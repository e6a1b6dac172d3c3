/**
 * Protocol revisions, by feature. Every optional field on the wire is gated on the *negotiated* revision,
 * min(CLIENT_REVISION, server Hello revision) (src/Core/ProtocolDefines.h; docs/protocol.md §1).
 */

/**
 * The revision we advertise. Everything up to it is implemented and was checked live against ClickHouse 26.7
 * (docs/protocol-revisions.md, one note per revision above 54460).
 */
export const CLIENT_REVISION = 54488;

/** The oldest server revision we talk to (ClickHouse 18.16.1 sends its build revision 54412). */
export const MIN_SERVER_REVISION = 54406;

/**
 * The features the code gates on. Older ones that every server from MIN_SERVER_REVISION has (table names in Data
 * packets, BlockInfo, LowCardinality, Log packets, TableColumns) are always on and need no gate: docs/protocol.md,
 * "Revisions", lists them.
 */
export const Feature = {
  /** Query carries ClientInfo. */
  CLIENT_INFO: 54032,
  /** Server Hello carries its time zone. */
  SERVER_TIMEZONE: 54058,
  /** ClientInfo carries quota_key. */
  QUOTA_KEY_IN_CLIENT_INFO: 54060,
  /** Server Hello carries display_name. */
  SERVER_DISPLAY_NAME: 54372,
  /** Server Hello and ClientInfo carry the patch version. */
  VERSION_PATCH: 54401,
  /** Progress carries written_rows and written_bytes. */
  CLIENT_WRITE_INFO: 54420,
  /** Settings are (name, flags, text); before this, the typed binary form. */
  SETTINGS_SERIALIZED_AS_STRINGS: 54429,
  /** Query carries the interserver auth hash String. */
  INTERSERVER_SECRET: 54441,
  /** ClientInfo carries an OpenTelemetry trace context. */
  OPENTELEMETRY: 54442,
  /** ClientInfo carries distributed_depth. */
  DISTRIBUTED_DEPTH: 54448,
  /** ClientInfo carries initial_query_start_time_microseconds. */
  INITIAL_QUERY_START_TIME: 54449,
  /** ProfileEvents packets. */
  INCREMENTAL_PROFILE_EVENTS: 54451,
  /** ClientInfo carries three parallel-replica VarUInts. */
  PARALLEL_REPLICAS: 54453,
  /** Each block column header carries a has_custom_serialization byte. */
  CUSTOM_SERIALIZATION: 54454,
  /** The client sends an addendum (quota key) right after Hello. */
  ADDENDUM: 54458,
  /** Query ends with a parameters list. */
  PARAMETERS: 54459,
  /** Progress carries elapsed_ns. */
  SERVER_QUERY_TIME_IN_PROGRESS: 54460,
  /** Server Hello lists the password complexity rules (pattern, message) new passwords must meet. */
  PASSWORD_COMPLEXITY_RULES: 54461,
  /** Server Hello carries a UInt64 nonce, which servers mix into the interserver-secret hash (v2). */
  INTERSERVER_SECRET_V2: 54462,
  /** Progress carries total_bytes_to_read after total_rows_to_read. */
  TOTAL_BYTES_IN_PROGRESS: 54463,
  /** TimezoneUpdate packets (the session time zone, e.g. for INSERT ... SELECT FROM input()). */
  TIMEZONE_UPDATES: 54464,
  /** Columns may arrive sparse: only their non-default values, after the offsets of their rows. */
  SPARSE_SERIALIZATION: 54465,
  /**
   * A user name starting with ' SSH KEY AUTHENTICATION ' asks for an SSH-key challenge before the server's Hello.
   * The client does not sign challenges, and refuses such user names (writeHello).
   */
  SSH_AUTHENTICATION: 54466,
  /** TablesStatusResponse says, for a replicated table, whether it is read-only. */
  TABLE_READ_ONLY_CHECK: 54467,
  /** The server has system.keywords (clickhouse-client completes words from it); nothing changes on the wire. */
  SYSTEM_KEYWORDS_TABLE: 54468,
  /** ProfileInfo carries applied_aggregation and rows_before_aggregation. */
  ROWS_BEFORE_AGGREGATION: 54469,
  /**
   * Server Hello says, per direction, whether the server sends and receives chunk-framed packets; the addendum carries
   * the client's decision (src/protocol/chunked.ts).
   */
  CHUNKED_PACKETS: 54470,
  /** Server Hello (before the time zone) and the addendum carry a parallel-replicas protocol version. */
  VERSIONED_PARALLEL_REPLICAS_PROTOCOL: 54471,
  /** Query carries the externally granted roles (a String, before the interserver hash): empty from clients. */
  INTERSERVER_EXTERNALLY_GRANTED_ROLES: 54472,
  /** Dynamic and JSON columns use serialization V2 (no "legacy max" count in their prefixes), both ways. */
  V2_DYNAMIC_AND_JSON_SERIALIZATION: 54473,
  /** Server Hello ends with the settings the server wants the client to apply (the user's profile). */
  SERVER_SETTINGS: 54474,
  /** ClientInfo carries the query's number in a script and its line (two VarUInts; 0 from a client). */
  QUERY_AND_LINE_NUMBERS: 54475,
  /** ClientInfo carries a JWT (a UInt8 flag, then the token) an initiator forwards to other servers: none from a client. */
  JWT_IN_INTERSERVER: 54476,
  /** Server Hello carries the version of its query plan serialization (plans travel between servers). */
  QUERY_PLAN_SERIALIZATION: 54477,
  /**
   * Columns may arrive DETACHED: pre-serialized, compressed blobs. Servers send them only for SECONDARY queries between
   * servers (enable_parallel_blocks_marshalling), which a client never sends; a DETACHED column is a ProtocolError.
   */
  PARALLEL_BLOCK_MARSHALLING: 54478,
  /** Server Hello carries the version of the protocol *Cluster table functions speak between servers. */
  VERSIONED_CLUSTER_FUNCTION_PROTOCOL: 54479,
  /** BlockInfo has field 3: the two-level aggregation buckets a block carries out of order. */
  OUT_OF_ORDER_BUCKETS_IN_AGGREGATION: 54480,
  /**
   * With compression on, Log and ProfileEvents blocks and the TableColumns strings go through the compressed stream
   * too (before, only Data, Totals and Extremes did).
   */
  COMPRESSED_LOGS_PROFILE_EVENTS_COLUMNS: 54481,
  /** Columns may arrive replicated: row indexes into a smaller column of distinct values (JOIN results). */
  REPLICATED_SERIALIZATION: 54482,
  /** A Nullable column may arrive sparse (NULL its default, the values without a null map). */
  NULLABLE_SPARSE_SERIALIZATION: 54483,
  /** An async insert ends with a Progress packet (what was written, when the insert waited for it). */
  PROGRESS_IN_ASYNC_INSERT: 54484,
  /** ClientInfo carries client_agent: the AI coding agent clickhouse-client detected it runs under ('' from us). */
  CLIENT_AGENT_IN_CLIENT_INFO: 54485,
  /** ClientInfo carries is_internal: a query a server runs for its own purposes (0 from a client). */
  INTERNAL_QUERY_FLAG: 54486,
  /**
   * On an interserver connection a TablesStatusRequest is preceded by a cluster-secret hash. A client's requests are
   * unchanged.
   */
  INTERSERVER_SECRET_TABLES_STATUS: 54487,
  /** ClientInfo carries the initiator's current roles (a UInt8 flag, then the list): none from a client. */
  INTERSERVER_CURRENT_ROLES: 54488,
} as const;
