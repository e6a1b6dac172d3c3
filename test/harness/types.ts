/**
 * The harness's public types: what a started server looks like, and the options that shape it. Plain declarations,
 * shared by every server kind (url.ts, container.ts, local-binary.ts, chdb-server.ts) and by server.ts.
 */

/**
 * Where the server comes from: `url` an existing server (CLICKHOUSE_URL), `container` testcontainers, `local` the
 * local clickhouse-server binary (Debian's 18.16), `chdb` ClickHouse 26.7 served from the chdb package.
 */
export type ServerKind = 'url' | 'container' | 'local' | 'chdb';

/** Connection facts of a server: plain data, safe to pass between processes (vitest provide/inject). */
export interface TestServerInfo {
  kind: ServerKind;
  host: string;
  /** Native TCP port. */
  port: number;
  /** HTTP port, when known (always for 'local', 'container' and 'chdb'). */
  httpPort: number | undefined;
  username: string;
  password: string;
  database: string;
  /** clickhouse://user:pass@host:port/db */
  url: string;
  /** `SELECT version()`, when it could be asked. */
  version: string | undefined;
  /** Native protocol revision from the server's Hello (e.g. 54412 for 18.16), when it could be asked. */
  revision?: number | undefined;
  /** The container image, for kind 'container'. */
  image?: string | undefined;
}

export interface TestServer extends TestServerInfo {
  /** Stops what the harness started (a no-op for 'url'). Idempotent. */
  stop(): Promise<void>;
}

/** A server process of our own (the local binary or chdb): tests may kill, freeze and restart it. */
export interface ManagedServer extends TestServer {
  kind: 'local' | 'chdb';
  /** The server's temp dir (config, users, data, logs). Removed by stop(). */
  dir: string;
  /** Pid of the running server process, undefined while it is not running. */
  readonly pid: number | undefined;
  readonly running: boolean;
  /**
   * Sends `signal` (default SIGKILL) to the server process and resolves once it exited.
   * SIGSTOP/SIGTSTP/SIGCONT resolve right after sending (freeze / thaw the server, e.g. for timeout tests).
   */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** (Gracefully stops the server if running, then) starts it again: same ports, same data dir. Resolves when ready. */
  restart(): Promise<void>;
  /** The server's error log (useful in assertion messages). */
  readErrorLog(): Promise<string>;
}

export interface LocalServer extends ManagedServer {
  kind: 'local';
}

export interface ChdbServer extends ManagedServer {
  kind: 'chdb';
}

export interface ServerSetupOptions {
  /**
   * Extra server config: XML *inside* the root element, e.g. `<remote_servers>…</remote_servers>`.
   * Each snippet becomes a file in `config.d/`, merged by ClickHouse itself. `{{dir}}` is replaced by the
   * directory holding the `files` below.
   */
  configXml?: string | string[];
  /** Extra users config: XML inside the root (users.d/). E.g. `<users><alice><password>x</password>…</alice></users>`. */
  usersXml?: string | string[];
  /** Settings added to the `default` profile (users.d/), e.g. `{ log_queries: 1 }`. */
  profileSettings?: Record<string, string | number | boolean>;
  /** Extra users: name → password (and profile, default 'default'). Network: any. */
  users?: Record<string, { password: string; profile?: string }>;
  /** Files to put in the `{{dir}}` directory (e.g. TLS certificate and key): relative path → content. */
  files?: Record<string, string | Uint8Array>;
  /** Startup timeout in ms. */
  startupTimeoutMs?: number;
  /** Local server log level (default 'information'). */
  logLevel?: 'trace' | 'debug' | 'information' | 'warning' | 'error';
  /** Progress messages (which server, installs). Default: silent unless CLICKHOUSE_HARNESS_DEBUG=1. */
  log?: (message: string) => void;
}

export interface StartServerOptions extends ServerSetupOptions {
  /**
   * 'any' (default): CLICKHOUSE_SERVER decides, else URL, then container, then local binary.
   * 'local': the local binary only. 'chdb': ClickHouse 26.7 from the chdb package only.
   */
  prefer?: 'any' | 'local' | 'chdb';
  /** Container image (overrides CLICKHOUSE_IMAGE). */
  image?: string;
}

export interface LocalServerOptions extends ServerSetupOptions {
  /** Binary to run (default: found on PATH / CLICKHOUSE_SERVER_BIN, installed with apt when missing and root). */
  binary?: string;
}

export interface ChdbServerOptions extends ServerSetupOptions {
  /** libchdb.so to serve from (default: CLICKHOUSE_LIBCHDB, else the installed @chdb/lib-linux-x64-gnu). */
  library?: string;
  /** Also open the HTTP listener (default true: adminQuery uses it). */
  http?: boolean;
}

export interface AdminQueryOptions {
  /** Database (default: the server's). */
  database?: string;
  /** Query settings, sent as URL parameters. */
  settings?: Record<string, string | number | boolean>;
  /** Data for an INSERT … FORMAT X query: the SQL goes in the URL, this in the body. */
  data?: string | Uint8Array;
  /** Request timeout in ms (default 60000). */
  timeoutMs?: number;
}

/** What adminQuery needs of a server. */
export type AdminTarget = Pick<TestServerInfo, 'host' | 'port' | 'httpPort' | 'username' | 'password' | 'database'>;

/** What connecting needs of a server. */
export type Endpoint = Pick<TestServerInfo, 'host' | 'port' | 'username' | 'password' | 'database'>;
