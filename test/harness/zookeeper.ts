/**
 * A throwaway ZooKeeper for Replicated tables in tests: Debian's `zookeeper` package (installed with apt-get when
 * missing and we are root), started with java on a free 127.0.0.1 port from a generated zoo.cfg in a temp dir.
 *
 *   const zk = await startZooKeeper();
 *   const server = await startLocalServer({ configXml: replicaConfigXml(zk, { shard: 1, replica: 'r1', interserverPort }) });
 *   ...
 *   await zk.stop();
 *
 * One ZooKeeper serves any number of servers (the cluster tests start four). Like the servers, it runs under
 * `setpriv --pdeathsig SIGKILL`, so it never outlives the test process. This module uses no code of the client.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { getFreePort, runAptScript } from './server.js';

export interface ZooKeeperServer {
  host: string;
  port: number;
  /** Temp dir holding zoo.cfg, data/ and zookeeper.log. Removed by stop(). */
  dir: string;
  /** The `<zookeeper>` section a ClickHouse config needs to use this ZooKeeper. */
  configXml(options?: { sessionTimeoutMs?: number }): string;
  /** Sends `signal` to the java process; SIGSTOP/SIGCONT freeze and thaw it. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  stop(): Promise<void>;
}

export interface ZooKeeperOptions {
  /** Milliseconds per tick. Sessions may be as short as 2 ticks: the default 500 ms allows 1 s sessions. */
  tickTimeMs?: number;
  startupTimeoutMs?: number;
  log?: (message: string) => void;
}

/** Where Debian's package puts the jars and the logging config. */
const JAVA_DIR = '/usr/share/java';
const CONF_DIR = '/etc/zookeeper/conf';
const ZOOKEEPER_JAR = path.join(JAVA_DIR, 'zookeeper.jar');
const MAIN_CLASS = 'org.apache.zookeeper.server.quorum.QuorumPeerMain';

let installPromise: Promise<void> | undefined;

/** `apt-get install -y zookeeper` (root only). Debian's service start may fail here: harmless, we start our own. */
export function installZooKeeper(log: (message: string) => void = () => {}): Promise<void> {
  installPromise ??= (async () => {
    if (fs.existsSync(ZOOKEEPER_JAR)) return;
    if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
      throw new Error(
        `ZooKeeper is not installed (${ZOOKEEPER_JAR} is missing) and we are not root: ` +
          '`sudo apt-get install -y zookeeper` (Debian/Ubuntu; needs a Java runtime).',
      );
    }
    log('installing zookeeper with apt-get');
    const script =
      'apt-get -o DPkg::Lock::Timeout=300 install -y zookeeper || ' +
      '(apt-get -o DPkg::Lock::Timeout=300 update && apt-get -o DPkg::Lock::Timeout=300 install -y zookeeper)';
    const { code, output } = await runAptScript(script);
    if (!fs.existsSync(ZOOKEEPER_JAR)) {
      throw new Error(`apt-get install zookeeper failed (exit ${code}):\n${output}`);
    }
    log(`zookeeper installed (apt exit code ${code})`);
  })();
  installPromise.catch(() => {
    installPromise = undefined;
  });
  return installPromise;
}

function findJava(): string {
  for (const candidate of [process.env.JAVA_HOME && path.join(process.env.JAVA_HOME, 'bin', 'java'), '/usr/bin/java']) {
    if (candidate && fs.existsSync(candidate)) return candidate;
  }
  return 'java';
}

/** Sends a four-letter command and returns the answer ('' when nothing answers). */
export function fourLetterWord(host: string, port: number, word: string, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const chunks: Buffer[] = [];
    const done = () => {
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    socket.setTimeout(timeoutMs, done);
    socket.on('connect', () => socket.write(word));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', done);
    socket.on('close', done);
    socket.on('error', done);
  });
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function killAllSync(): void {
  for (const child of live) {
    try {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

export async function startZooKeeper(options: ZooKeeperOptions = {}): Promise<ZooKeeperServer> {
  const log =
    options.log ?? (process.env.CLICKHOUSE_HARNESS_DEBUG ? (m: string) => console.error(`[zookeeper] ${m}`) : () => {});
  await installZooKeeper(log);
  const host = '127.0.0.1';
  const tickTimeMs = options.tickTimeMs ?? 500;
  const startupTimeoutMs = options.startupTimeoutMs ?? 30_000;
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'clickhouse-native-zk-'));
  const dataDir = path.join(dir, 'data');
  await fsp.mkdir(dataDir);
  const port = await getFreePort(host);
  const config = [
    `tickTime=${tickTimeMs}`,
    'initLimit=10',
    'syncLimit=5',
    `dataDir=${dataDir}`,
    `clientPort=${port}`,
    `clientPortAddress=${host}`,
    'admin.enableServer=false',
    '4lw.commands.whitelist=ruok,srvr,stat',
    'maxClientCnxns=0',
    // Tests create and drop many tables: no snapshots worth keeping.
    'autopurge.purgeInterval=0',
  ].join('\n');
  const configPath = path.join(dir, 'zoo.cfg');
  await fsp.writeFile(configPath, `${config}\n`);
  const logPath = path.join(dir, 'zookeeper.log');

  const java = findJava();
  const javaArgs = [
    '-Xms64m',
    '-Xmx256m',
    '-XX:+UseSerialGC',
    // Start fast: a test ZooKeeper does little work, C1 alone is plenty.
    '-XX:TieredStopAtLevel=1',
    '-Dzookeeper.admin.enableServer=false',
    `-Dzookeeper.log.dir=${dir}`,
    '-cp',
    `${JAVA_DIR}/*:${CONF_DIR}`,
    MAIN_CLASS,
    configPath,
  ];
  const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => fs.existsSync(p));
  const [file, args] = setpriv ? [setpriv, ['--pdeathsig', 'SIGKILL', '--', java, ...javaArgs]] : [java, javaArgs];
  const out = fs.openSync(logPath, 'a');
  let child: ChildProcess;
  try {
    child = spawn(file, args, { cwd: dir, stdio: ['ignore', out, out] });
  } finally {
    fs.closeSync(out);
  }
  child.unref();
  live.add(child);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', killAllSync);
  }
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      live.delete(child);
      resolve();
    });
    child.once('error', () => {
      exited = true;
      live.delete(child);
      resolve();
    });
  });

  /** Waits for the java process to exit; the child is unref'd, so a timer keeps the event loop alive meanwhile. */
  const waitExit = async () => {
    const keepAlive = setInterval(() => {}, 1000);
    try {
      await exit;
    } finally {
      clearInterval(keepAlive);
    }
  };

  const stop = async () => {
    if (!exited && child.pid !== undefined) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      await waitExit();
    }
    await fsp.rm(dir, { recursive: true, force: true });
  };

  const started = Date.now();
  for (;;) {
    if (exited) {
      const text = await fsp.readFile(logPath, 'utf8').catch(() => '');
      await stop();
      throw new Error(`ZooKeeper (java) exited during startup:\n${text.slice(-4000)}`);
    }
    if ((await fourLetterWord(host, port, 'ruok', 500)) === 'imok') break;
    if (Date.now() - started > startupTimeoutMs) {
      const text = await fsp.readFile(logPath, 'utf8').catch(() => '');
      await stop();
      throw new Error(
        `ZooKeeper did not answer ruok on ${host}:${port} within ${startupTimeoutMs} ms:\n${text.slice(-4000)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  log(`ZooKeeper on ${host}:${port} in ${Date.now() - started} ms (${dir})`);

  return {
    host,
    port,
    dir,
    configXml({ sessionTimeoutMs = 4 * tickTimeMs * 2 } = {}) {
      return (
        `<zookeeper><node><host>${host}</host><port>${port}</port></node>` +
        `<session_timeout_ms>${sessionTimeoutMs}</session_timeout_ms></zookeeper>`
      );
    },
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (exited || child.pid === undefined) return;
      process.kill(child.pid, signal);
      if (signal === 'SIGKILL' || signal === 'SIGTERM') await waitExit();
    },
    stop,
  };
}

export interface ReplicaConfig {
  /** `{shard}` macro. */
  shard: number | string;
  /** `{replica}` macro, unique per server. */
  replica: string;
  /** Port replicas fetch parts from each other on (any free port; required by Replicated tables). */
  interserverPort: number;
  /** ZooKeeper session timeout; short sessions let a killed server's replica come back quickly. Default 4 s. */
  sessionTimeoutMs?: number;
}

/**
 * Config for one replica (ServerSetupOptions.configXml): the `<zookeeper>` section, the macros and the interserver
 * endpoint. Add `<remote_servers>` for clusters.
 */
export function replicaConfigXml(zk: ZooKeeperServer, replica: ReplicaConfig): string {
  return (
    zk.configXml({ sessionTimeoutMs: replica.sessionTimeoutMs }) +
    `<macros><shard>${replica.shard}</shard><replica>${replica.replica}</replica></macros>` +
    `<interserver_http_host>127.0.0.1</interserver_http_host>` +
    `<interserver_http_port>${replica.interserverPort}</interserver_http_port>`
  );
}
