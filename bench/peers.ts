/**
 * The peers the benchmark runs next to us: the C++ clickhouse-client (a Native file on stdin), @clickhouse/client
 * over HTTP (JSONEachRow), and Python's clickhouse-driver (columnar, uncompressed: Debian's build lacks cityhash).
 * External processes report their CPU time through bash's `times` (user and system time of finished children).
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { createClient as createHttpClient } from '@clickhouse/client';
import type { TestServer } from '../test/harness/server.js';

export interface Measured {
  seconds: number;
  cpuSeconds: number;
}

/** Runs `script` under bash and returns wall time and the CPU time of its children. */
export async function runMeasured(script: string, env: NodeJS.ProcessEnv = {}): Promise<Measured> {
  const started = performance.now();
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn('bash', ['-c', `${script}\ntimes`], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`${script.split('\n')[0]} exited with ${code}: ${stderr.trim().slice(-2000)}`));
    });
  });
  const seconds = (performance.now() - started) / 1000;
  // `times` prints two lines: the shell's own user/sys, then its children's.
  const lines = out.trim().split('\n');
  const children = lines[lines.length - 1]!.trim().split(/\s+/);
  const toSeconds = (t: string) => {
    const m = /^(\d+)m([\d.]+)s$/.exec(t);
    return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
  };
  return { seconds, cpuSeconds: toSeconds(children[0]!) + toSeconds(children[1]!) };
}

export function clickhouseClientArgs(server: TestServer): string {
  return (
    `clickhouse-client --host ${server.host} --port ${server.port} --user ${server.username}` +
    (server.password ? ` --password '${server.password}'` : '')
  );
}

/** The C++ client inserting a Native file (its default: LZ4 on the wire). */
export function cppInsert(server: TestServer, table: string, file: string, settings = ''): Promise<Measured> {
  return runMeasured(
    `${clickhouseClientArgs(server)} ${settings} --query "INSERT INTO ${table} FORMAT Native" < ${file}`,
  );
}

/** The C++ client reading a query's result as Native into /dev/null. */
export function cppSelect(server: TestServer, sql: string): Promise<Measured> {
  return runMeasured(`${clickhouseClientArgs(server)} --query "${sql} FORMAT Native" > /dev/null`);
}

/** @clickhouse/client inserting row objects as JSONEachRow, streamed. */
export async function httpInsert(
  server: TestServer,
  table: string,
  rows: () => Iterable<Record<string, unknown>>,
): Promise<Measured> {
  const client = createHttpClient({
    url: `http://${server.host}:${server.httpPort}`,
    username: server.username,
    password: server.password,
    request_timeout: 600_000,
  });
  try {
    const cpu = process.cpuUsage();
    const started = performance.now();
    await client.insert({ table, values: Readable.from(rows(), { objectMode: true }), format: 'JSONEachRow' });
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    return { seconds, cpuSeconds: (used.user + used.system) / 1e6 };
  } finally {
    await client.close();
  }
}

const PYTHON = '/usr/bin/python3';

/** Whether /usr/bin/python3 has clickhouse_driver; as root, installs Debian's package when it is missing. */
export async function pythonDriver(log: (m: string) => void): Promise<{ ok: boolean; why: string }> {
  const has = () =>
    new Promise<boolean>((resolve) =>
      execFile(PYTHON, ['-c', 'import clickhouse_driver'], (error) => resolve(error === null)),
    );
  if (!fs.existsSync(PYTHON)) return { ok: false, why: `${PYTHON} is missing` };
  if (await has()) return { ok: true, why: '' };
  if (process.getuid?.() !== 0)
    return { ok: false, why: 'python3-clickhouse-driver is not installed (and we are not root)' };
  log('installing python3-clickhouse-driver with apt-get');
  await new Promise<void>((resolve) =>
    execFile('apt-get', ['install', '-y', 'python3-clickhouse-driver'], { timeout: 300_000 }, () => resolve()),
  );
  return (await has()) ? { ok: true, why: '' } : { ok: false, why: 'apt-get install python3-clickhouse-driver failed' };
}

/**
 * The Python driver inserting the bench rows columnar (the rows are built by the same formulas in Python before
 * the clock starts; only `execute` is timed, and its own CPU time is reported).
 */
export async function pythonInsert(server: TestServer, table: string, rows: number): Promise<Measured> {
  const script = `
import sys, time, resource, datetime
from clickhouse_driver import Client
N = ${rows}
EVENTS = ['view', 'click', 'purchase', 'signup', 'logout']
TS0 = int(datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc).timestamp())
ids = list(range(N))
# Raw integers for DateTime: the driver's documented fast path (no datetime conversion per value).
ts = [TS0 + (n % 86400) for n in ids]
user_id = [(n * 2654435761) % 1000003 for n in ids]
event = [EVENTS[n % 5] for n in ids]
url = ['https://example.com/page/%d?ref=%d' % (n % 10007, n % 13) for n in ids]
value = [(n % 1000) / 10 for n in ids]
client = Client(host='${server.host}', port=${server.port}, user='${server.username}', password='${server.password}',
                settings={'insert_block_size': 100000}, compression=False)
client.execute('SELECT 1')
r0 = resource.getrusage(resource.RUSAGE_SELF)
t0 = time.perf_counter()
client.execute('INSERT INTO ${table} (id, ts, user_id, event, url, value) VALUES',
               [ids, ts, user_id, event, url, value], columnar=True)
t1 = time.perf_counter()
r1 = resource.getrusage(resource.RUSAGE_SELF)
print(t1 - t0, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime))
`;
  const out = await new Promise<string>((resolve, reject) => {
    const child = execFile(
      PYTHON,
      ['-'],
      { maxBuffer: 1 << 20, env: { ...process.env, TZ: 'UTC' } },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`python clickhouse-driver failed: ${stderr.slice(-2000)}`));
        else resolve(stdout);
      },
    );
    child.stdin!.end(script);
  });
  const [seconds, cpuSeconds] = out.trim().split(/\s+/).map(Number);
  return { seconds: seconds!, cpuSeconds: cpuSeconds! };
}
