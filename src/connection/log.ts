/**
 * The client's own log: what it did on the user's behalf that the calls' results do not show (a connection opened, a
 * host failed over, an insert retried, a default left to the server, the pool ran dry). Silent unless the client
 * config gives a `logger`; the server's own log rows are another thing (`on_log`, send_logs_level).
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'off';

/** What the client logs to: console works as it is (`logger: console`), and so do pino, winston and the like. */
export interface Logger {
  debug(message: string, context?: Record<string, unknown>): void;
  info(message: string, context?: Record<string, unknown>): void;
  warn(message: string, context?: Record<string, unknown>): void;
  error(message: string, context?: Record<string, unknown>): void;
}

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, off: 4 };

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'off'];

/** A logger and the least level it gets. A logger that throws never breaks a request: its error is dropped. */
export class Log {
  private readonly rank: number;

  constructor(
    private readonly logger: Logger | undefined,
    level: LogLevel = 'info',
  ) {
    this.rank = logger === undefined ? RANK.off : RANK[level];
  }

  /** True when `level` reaches the logger (so a caller can skip building a costly message). */
  enabled(level: Exclude<LogLevel, 'off'>): boolean {
    return RANK[level] >= this.rank;
  }

  debug(message: string, context?: Record<string, unknown>): void {
    this.emit('debug', message, context);
  }

  info(message: string, context?: Record<string, unknown>): void {
    this.emit('info', message, context);
  }

  warn(message: string, context?: Record<string, unknown>): void {
    this.emit('warn', message, context);
  }

  error(message: string, context?: Record<string, unknown>): void {
    this.emit('error', message, context);
  }

  private emit(level: Exclude<LogLevel, 'off'>, message: string, context: Record<string, unknown> | undefined): void {
    if (RANK[level] < this.rank) return;
    try {
      this.logger![level](`[clickhouse-native] ${message}`, context);
    } catch {
      // The application's logger failed; the request goes on.
    }
  }
}

/** The log of a client without a logger. */
export const SILENT_LOG = new Log(undefined);
