/**
 * The local clickhouse-server binary (Debian's 18.16; CLICKHOUSE_SERVER_BIN overrides), installed with apt-get when
 * missing and we are root, started from a generated config in a fresh temp dir on free ports.
 */
import { spawn } from 'node:child_process';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { serverConfigXml, USERS_XML } from './config-xml.js';
import { startManagedServer } from './managed.js';
import { makeServerDir } from './processes.js';
import type { LocalServer, LocalServerOptions } from './types.js';
import { envInt, findBinary, isExecutable, makeLogger } from './util.js';

interface ServerCommand {
  file: string;
  args: string[];
}

function findServerCommand(override?: string): ServerCommand | undefined {
  const explicit = override ?? process.env.CLICKHOUSE_SERVER_BIN;
  if (explicit) {
    if (!isExecutable(explicit)) throw new Error(`clickhouse server binary ${explicit} is not an executable file`);
    return path.basename(explicit) === 'clickhouse'
      ? { file: explicit, args: ['server'] }
      : { file: explicit, args: [] };
  }
  const server = findBinary('clickhouse-server');
  if (server) return { file: server, args: [] };
  const single = findBinary('clickhouse'); // the single-binary distribution: `clickhouse server`
  if (single) return { file: single, args: ['server'] };
  return undefined;
}

const INSTALL_HINT =
  'Install ClickHouse: `sudo apt-get update && sudo apt-get install -y clickhouse-server clickhouse-client` ' +
  '(Debian/Ubuntu), or set CLICKHOUSE_SERVER_BIN=/path/to/clickhouse-server, or point CLICKHOUSE_URL at a server ' +
  '(clickhouse://user:pass@host:port/db), or run Docker/podman so testcontainers can start CLICKHOUSE_IMAGE.';

let installPromise: Promise<void> | undefined;

/** Runs an apt-get shell script non-interactively; resolves with its exit code and its last output. */
export async function runAptScript(script: string): Promise<{ code: number | null; output: string }> {
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn('bash', ['-c', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive', NEEDRESTART_MODE: 'a' },
    });
    child.stdout.on('data', (d: Buffer) => output.push(d.toString()));
    child.stderr.on('data', (d: Buffer) => output.push(d.toString()));
    child.on('error', reject);
    child.on('close', resolve);
  });
  return { code, output: output.join('').slice(-4000) };
}

/** Runs `apt-get update && apt-get install -y clickhouse-server clickhouse-client` (root only). */
export function installClickHouse(log: (m: string) => void = () => {}): Promise<void> {
  installPromise ??= (async () => {
    if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
      throw new Error(
        `clickhouse-server is not installed and we are not root, so the harness cannot install it. ${INSTALL_HINT}`,
      );
    }
    if (!findBinary('apt-get'))
      throw new Error(`clickhouse-server is not installed and apt-get is missing. ${INSTALL_HINT}`);
    log('installing clickhouse-server and clickhouse-client with apt-get (about 5-30 s)');
    const script =
      'apt-get -o DPkg::Lock::Timeout=300 update && ' +
      'apt-get -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold ' +
      'install -y clickhouse-server clickhouse-client';
    const { code, output } = await runAptScript(script);
    // apt may exit non-zero only because the package's service could not be started here: that is harmless.
    if (!findServerCommand()) {
      throw new Error(`apt-get install clickhouse-server failed (exit ${code}):\n${output}\n${INSTALL_HINT}`);
    }
    log(`clickhouse-server installed (apt exit code ${code})`);
  })();
  installPromise.catch(() => {
    installPromise = undefined;
  });
  return installPromise;
}

async function ensureServerCommand(override: string | undefined, log: (m: string) => void): Promise<ServerCommand> {
  const found = findServerCommand(override);
  if (found) return found;
  await installClickHouse(log);
  const after = findServerCommand(override);
  if (!after) throw new Error(`clickhouse-server still missing after installing. ${INSTALL_HINT}`);
  return after;
}

/** Starts the local clickhouse-server binary from a generated config in a fresh temp dir, on free ports. */
export async function startLocalServer(options: LocalServerOptions = {}): Promise<LocalServer> {
  const log = makeLogger(options);
  const command = await ensureServerCommand(options.binary, log);
  const dir = await makeServerDir('local');
  const configPath = path.join(dir, 'config.xml');
  const logLevel = options.logLevel ?? 'information';
  return startManagedServer({
    kind: 'local',
    name: `local clickhouse-server (${command.file})`,
    dir,
    options,
    http: true,
    startupTimeoutMs: options.startupTimeoutMs ?? envInt('CLICKHOUSE_STARTUP_TIMEOUT_MS') ?? 30_000,
    async writeConfig({ port, httpPort }) {
      await fsp.writeFile(configPath, serverConfigXml(dir, port, httpPort!, logLevel));
      await fsp.writeFile(path.join(dir, 'users.xml'), USERS_XML);
    },
    command: () => ({
      file: command.file,
      args: [...command.args, `--config-file=${configPath}`],
      // Newer binaries fork a watchdog parent unless told not to: keep one process we can signal.
      env: { ...process.env, CLICKHOUSE_WATCHDOG_ENABLE: '0' },
    }),
    log,
  });
}
