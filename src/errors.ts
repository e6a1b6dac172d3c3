/**
 * The error types every layer of clickhouse-native throws. Callers branch on the class, never on message text.
 */

/** Base class of every error this package throws on purpose. */
export class ClickHouseNativeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An exception the server sent (packet Exception). `cause` holds the nested exception, if the server sent one. */
export class ClickHouseError extends ClickHouseNativeError {
  /** The server's numeric error code, e.g. 60 for UNKNOWN_TABLE. */
  readonly code: number;
  /** The server's exception class name, e.g. "DB::Exception". */
  readonly serverName: string;
  /** The server's stack trace text (may be empty). */
  readonly serverStack: string;

  constructor(fields: { code: number; name: string; message: string; stackTrace: string; nested?: ClickHouseError }) {
    super(fields.message, fields.nested ? { cause: fields.nested } : undefined);
    this.code = fields.code;
    this.serverName = fields.name;
    this.serverStack = fields.stackTrace;
  }
}

/**
 * The bytes on the wire broke the protocol: an unknown packet, a size over a cap, a bad checksum, a truncated
 * stream. The connection that saw it is closed and never reused.
 */
export class ProtocolError extends ClickHouseNativeError {}

/** The transport failed: refused, reset, closed mid-query, timed out. The connection is discarded. */
export class ConnectionError extends ClickHouseNativeError {
  readonly code: string | undefined;
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(message, options);
    this.code = options?.code;
  }
}

/** The caller aborted the operation through its AbortSignal. */
export class AbortError extends ClickHouseNativeError {
  constructor(message = 'The operation was aborted', options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * No pooled connection became free within pool_acquire_timeout_ms: every one of max_open_connections is in use.
 * Connections are held by requests still running, and by results nobody has read to the end: an unconsumed
 * ResultSet keeps its connection until it is read, closed or aborted.
 */
export class PoolExhaustedError extends ClickHouseNativeError {
  /** The pool's size (max_open_connections). */
  readonly maxOpenConnections: number;
  /** How long the request waited, in ms. */
  readonly waitedMs: number;
  constructor(message: string, fields: { maxOpenConnections: number; waitedMs: number }) {
    super(message);
    this.maxOpenConnections = fields.maxOpenConnections;
    this.waitedMs = fields.waitedMs;
  }
}

/** A value given to an insert does not fit its column. Nothing of that insert was sent. */
export class InvalidValueError extends ClickHouseNativeError {
  /** Column name, when known. */
  readonly column: string | undefined;
  /** Zero-based row index inside the insert's input, when known. */
  readonly row: number | undefined;
  /** The ClickHouse type of the column. */
  readonly type: string | undefined;
  /** What is wrong with the value, without the place. */
  readonly reason: string;

  constructor(reason: string, where: { column?: string; row?: number; type?: string } = {}) {
    const place = [
      where.column !== undefined ? `column "${where.column}"` : undefined,
      where.type !== undefined ? `(${where.type})` : undefined,
      where.row !== undefined ? `row ${where.row}` : undefined,
    ]
      .filter(Boolean)
      .join(' ');
    super(place ? `Invalid value for ${place}: ${reason}` : reason);
    this.reason = reason;
    this.column = where.column;
    this.row = where.row;
    this.type = where.type;
  }
}

/**
 * A session (client.session()) cannot run the call: it was closed, or its connection was lost, taking its temporary
 * tables and settings with it. Open a new session.
 */
export class SessionClosedError extends ClickHouseNativeError {}

/** A session call waited request_timeout_ms for the call before it to end (an open, unconsumed result). */
export class SessionBusyError extends ClickHouseNativeError {}

/** A type name, setting or feature this client does not support (or the server revision does not allow). */
export class UnsupportedError extends ClickHouseNativeError {}

/**
 * A DEFAULT / MATERIALIZED expression the client cannot evaluate exactly as the server would (an unknown function,
 * dictGet, a user-defined function, currentUser(), a type this client does not model, ...). The insert flow leaves
 * such columns to the server; `compileExpression` throws it so callers can do the same.
 */
export class UnsupportedExpressionError extends UnsupportedError {
  /** The expression text, when known. */
  readonly expression: string | undefined;
  constructor(message: string, options?: { cause?: unknown; expression?: string }) {
    super(message, options);
    this.expression = options?.expression;
  }
}

/**
 * An insert whose outcome is unknown when its retries ran out (or when retrying it was not allowed): data went to
 * the server, and no answer said whether it was committed. Rows in blocks that reached the socket may or may not be
 * in the table; rows never sent are not. `cause` is the last failure, `errors` every attempt's.
 */
export class InsertOutcomeUnknownError extends ClickHouseNativeError {
  /** The table, as given to the insert. */
  readonly table: string;
  /** Attempts made, the first included. */
  readonly attempts: number;
  /** Every attempt's query id, in order. */
  readonly queryIds: readonly string[];
  /** Rows the server acknowledged (EndOfStream) before this failure, in the same operation (an inserter's earlier batches). */
  readonly acknowledgedRows: number;
  /** Rows of this insert that reached the server's socket in some attempt: they may or may not be committed. */
  readonly unknownRows: number;
  /** Rows of this insert that were never sent: they are not in the table. */
  readonly unsentRows: number;
  /** Blocks of this insert, and how many of them were sent in some attempt. */
  readonly blocks: number;
  readonly blocksSent: number;
  /** The insert_deduplication_token the attempts carried, if any: a later retry with it stays deduplicated. */
  readonly deduplicationToken: string | undefined;
  /** Every attempt's error, in order. */
  readonly errors: readonly unknown[];
  /** The rows of the insert, when it was given as an array of rows (to retry later or set aside). */
  readonly rows: readonly Record<string, unknown>[] | undefined;
  /**
   * Why the insert was not resent when attempts were left: e.g. the table does not deduplicate inserts (a plain
   * MergeTree), so a resend could store rows twice. Undefined when the attempts ran out.
   */
  readonly whyNotRetried: string | undefined;

  constructor(fields: {
    table: string;
    attempts: number;
    queryIds: readonly string[];
    acknowledgedRows?: number;
    unknownRows: number;
    unsentRows: number;
    blocks: number;
    blocksSent: number;
    deduplicationToken?: string;
    errors: readonly unknown[];
    rows?: readonly Record<string, unknown>[];
    whyNotRetried?: string;
  }) {
    const last = fields.errors[fields.errors.length - 1];
    const reason = last instanceof Error ? last.message : String(last);
    super(
      `The outcome of the insert into ${fields.table} is unknown after ${fields.attempts} attempt(s): ` +
        `${fields.unknownRows} rows were sent and may or may not be committed, ${fields.unsentRows} were not sent ` +
        `(last error: ${reason})` +
        (fields.whyNotRetried === undefined ? '' : `; not resent: ${fields.whyNotRetried}`),
      { cause: last },
    );
    this.table = fields.table;
    this.attempts = fields.attempts;
    this.queryIds = fields.queryIds;
    this.acknowledgedRows = fields.acknowledgedRows ?? 0;
    this.unknownRows = fields.unknownRows;
    this.unsentRows = fields.unsentRows;
    this.blocks = fields.blocks;
    this.blocksSent = fields.blocksSent;
    this.deduplicationToken = fields.deduplicationToken;
    this.errors = fields.errors;
    this.rows = fields.rows;
    this.whyNotRetried = fields.whyNotRetried;
  }
}
