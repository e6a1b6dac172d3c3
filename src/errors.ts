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

/** A type name, setting or feature this client does not support (or the server revision does not allow). */
export class UnsupportedError extends ClickHouseNativeError {}
