/**
 * Admin queries: SQL run on a server independently of the client under test, over the HTTP interface (node:http
 * without keep-alive: no pooled socket survives a server kill/restart), or with clickhouse-client when the HTTP port
 * is unknown.
 */
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AdminQueryOptions, AdminTarget } from './types.js';
import { abbreviate, findBinary, hostForUrl } from './util.js';

interface HttpResult {
  status: number;
  body: string;
}

function httpRequest(
  url: string,
  init: { method: 'GET' | 'POST'; body?: string | Uint8Array; timeoutMs: number },
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: init.method, agent: false, timeout: init.timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () =>
      req.destroy(
        new Error(
          `HTTP request to ${url.replace(/password=[^&]*/, 'password=***')} timed out after ${init.timeoutMs} ms`,
        ),
      ),
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

export async function ping(host: string, httpPort: number, timeoutMs = 1000): Promise<boolean> {
  try {
    const r = await httpRequest(`http://${hostForUrl(host)}:${httpPort}/ping`, { method: 'GET', timeoutMs });
    return r.status === 200;
  } catch {
    return false;
  }
}

/**
 * Runs SQL on the server independently of the client under test: POST to the HTTP interface (or, when the HTTP
 * port is unknown, `clickhouse-client`). Returns the response text (TabSeparated unless the SQL says FORMAT …).
 * Throws with the server's message on a non-200 answer.
 */
export async function adminQuery(server: AdminTarget, sql: string, options: AdminQueryOptions = {}): Promise<string> {
  const database = options.database ?? server.database;
  const timeoutMs = options.timeoutMs ?? 60_000;
  if (server.httpPort === undefined) return clientQuery(server, sql, database, options, timeoutMs);

  const params = new URLSearchParams();
  params.set('user', server.username);
  if (server.password !== '') params.set('password', server.password);
  params.set('database', database);
  for (const [k, v] of Object.entries(options.settings ?? {}))
    params.set(k, typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
  let body: string | Uint8Array = sql;
  if (options.data !== undefined) {
    params.set('query', sql);
    body = options.data;
  }
  const url = `http://${hostForUrl(server.host)}:${server.httpPort}/?${params}`;
  let res: HttpResult;
  try {
    res = await httpRequest(url, { method: 'POST', body, timeoutMs });
  } catch (err) {
    throw new Error(
      `adminQuery: cannot reach ClickHouse HTTP at ${server.host}:${server.httpPort}: ${(err as Error).message}\nSQL: ${abbreviate(sql)}`,
      { cause: err },
    );
  }
  if (res.status !== 200) {
    throw new Error(
      `adminQuery: HTTP ${res.status} from ${server.host}:${server.httpPort}: ${res.body.trim()}\nSQL: ${abbreviate(sql)}`,
    );
  }
  return res.body;
}

async function clientQuery(
  server: AdminTarget,
  sql: string,
  database: string,
  options: AdminQueryOptions,
  timeoutMs: number,
): Promise<string> {
  const client = findBinary('clickhouse-client', process.env.CLICKHOUSE_CLIENT_BIN);
  if (!client) {
    throw new Error(
      `adminQuery: the server's HTTP port is unknown (set ?http_port= in CLICKHOUSE_URL or CLICKHOUSE_HTTP_PORT) ` +
        `and clickhouse-client is not installed`,
    );
  }
  const args = [
    '--host',
    server.host,
    '--port',
    String(server.port),
    '--user',
    server.username,
    '--database',
    database,
  ];
  if (server.password !== '') args.push('--password', server.password);
  for (const [k, v] of Object.entries(options.settings ?? {}))
    args.push(`--${k}=${typeof v === 'boolean' ? (v ? 1 : 0) : v}`);
  args.push('--query', sql);
  return new Promise((resolve, reject) => {
    const child = execFile(
      client,
      args,
      { timeout: timeoutMs, maxBuffer: 256 << 20, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err)
          reject(
            new Error(
              `adminQuery (clickhouse-client) failed: ${stderr.trim() || err.message}\nSQL: ${abbreviate(sql)}`,
            ),
          );
        else resolve(stdout);
      },
    );
    child.stdin?.end(options.data ?? '');
  });
}
