/**
 * ClickHouse 26.7 as a real server, from the chdb package the project already installs (devDependency `chdb` pulls
 * @chdb/lib-linux-x64-gnu, whose libchdb.so holds ClickHouse): no network, no Docker, no other package.
 *
 * libchdb.so is clickhouse-local, which in 26.x can open the server's TCP and HTTP listeners for as long as one of
 * its queries runs. Node has no FFI of its own, so a small Python 3 script (./chdb-serve.py, ctypes from the
 * standard library) calls it: it guards the failed-login path first (see the script), then runs clickhouse-local
 * with the listeners open and an endless sleeping query. Each server gets its own temp dir (data, config, users,
 * logs) and free ports; it dies with us (PR_SET_PDEATHSIG, and it exits when its stdin pipe from us closes).
 *
 * Before the server is handed out, verifyFailedLogin() logs in with a wrong password and checks that the server
 * still answers: a failed login must stay an ordinary error, on this server as on 18.16.
 *
 * Environment: CLICKHOUSE_LIBCHDB (libchdb.so to use), CLICKHOUSE_PYTHON (python3 to use),
 * CLICKHOUSE_STARTUP_TIMEOUT_MS.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { adminQuery } from './admin.js';
import { CHDB_USERS_XML, chdbConfigXml } from './config-xml.js';
import { refusedLoginCode } from './hello.js';
import { startManagedServer } from './managed.js';
import { makeServerDir } from './processes.js';
import type { ChdbServer, ChdbServerOptions, ManagedServer } from './types.js';
import { envInt, findBinary, makeLogger } from './util.js';

const SERVE_SCRIPT = path.join(import.meta.dirname, 'chdb-serve.py');

/** Exit code of chdb-serve.py when it refuses to start (unknown build, or the guard found something unexpected). */
const GUARD_REFUSED = 3;

/** The libchdb.so to serve from: CLICKHOUSE_LIBCHDB, else the one npm installed beside the chdb package. */
export function findLibchdb(override = process.env.CLICKHOUSE_LIBCHDB): string {
  if (override) {
    if (!fs.existsSync(override)) throw new Error(`CLICKHOUSE_LIBCHDB=${override}: no such file`);
    return override;
  }
  let pkg: string;
  try {
    pkg = createRequire(import.meta.url).resolve('@chdb/lib-linux-x64-gnu/package.json');
  } catch {
    throw new Error(
      'the chdb server needs the chdb package (@chdb/lib-linux-x64-gnu, Linux x64 glibc): run `npm ci` in the ' +
        'project, or set CLICKHOUSE_LIBCHDB=/path/to/libchdb.so',
    );
  }
  const lib = path.join(path.dirname(pkg), 'libchdb.so');
  if (!fs.existsSync(lib)) throw new Error(`${lib} is missing: reinstall the chdb package (npm ci)`);
  return lib;
}

function findPython(): string {
  const python = findBinary('python3', process.env.CLICKHOUSE_PYTHON);
  if (!python) {
    throw new Error(
      'the chdb server is started by a Python 3 script (ctypes): install python3 (`apt-get install -y python3`) ' +
        'or set CLICKHOUSE_PYTHON=/path/to/python3',
    );
  }
  return python;
}

/**
 * A failed login must not end the server (clickhouse-local's own error handler would terminate the process; the
 * script neutralises it). Proven live: a wrong password is refused, and once the server closed that connection, a
 * query still works.
 */
async function verifyFailedLogin(server: ManagedServer): Promise<void> {
  const wrong = { ...server, password: `wrong-${randomUUID()}` };
  const code = await refusedLoginCode(wrong);
  const alive = await adminQuery(server, 'SELECT 1', { timeoutMs: 10_000 }).then(
    (answer) => answer.trim() === '1',
    () => false,
  );
  if (!alive || !server.running) {
    throw new Error(
      `the chdb server did not survive a failed login (code ${code}): the failed-login guard of ` +
        `test/harness/chdb-serve.py did not hold on this libchdb.so. Its log: ${path.join(server.dir, 'log', 'console.log')}`,
    );
  }
}

/** Starts ClickHouse 26.7 from the chdb package on free ports, with its own temp dir; resolves when it answers. */
export async function startChdbServer(options: ChdbServerOptions = {}): Promise<ChdbServer> {
  const log = makeLogger(options);
  const library = findLibchdb(options.library);
  const python = findPython();
  const dir = await makeServerDir('chdb');
  const configPath = path.join(dir, 'config.xml');
  const logLevel = options.logLevel ?? 'information';
  try {
    return await startManagedServer({
      kind: 'chdb',
      name: `chdb server (${library})`,
      dir,
      options,
      http: options.http ?? true,
      startupTimeoutMs: options.startupTimeoutMs ?? envInt('CLICKHOUSE_STARTUP_TIMEOUT_MS') ?? 60_000,
      async writeConfig() {
        await fsp.writeFile(configPath, chdbConfigXml(dir, logLevel));
        await fsp.writeFile(path.join(dir, 'users.xml'), CHDB_USERS_XML);
      },
      command: ({ port, httpPort }) => ({
        file: python,
        args: [
          SERVE_SCRIPT,
          `--lib=${library}`,
          `--path=${path.join(dir, 'data')}/`,
          `--tcp-port=${port}`,
          ...(httpPort !== undefined ? [`--http-port=${httpPort}`] : []),
          `--config-file=${configPath}`,
          `--parent-pid=${process.pid}`,
        ],
      }),
      // The script exits when this pipe closes (we died), and sets its own PR_SET_PDEATHSIG.
      stdinPipe: true,
      verify: verifyFailedLogin,
      log,
    });
  } catch (err) {
    const message = (err as Error).message;
    if (message.includes(`code ${GUARD_REFUSED},`)) {
      throw new Error(
        `the chdb server refused to start: its failed-login guard does not fit this libchdb.so.\n${message}`,
        {
          cause: err,
        },
      );
    }
    throw err;
  }
}
