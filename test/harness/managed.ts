/**
 * A server process of our own, whatever the binary (local-binary.ts, chdb-server.ts): a temp dir with the generated
 * config, free ports (new ones if somebody takes ours before the server binds them), a ServerProcess, and the
 * ManagedServer object tests use (kill, freeze, restart, stop).
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { adminQuery, ping } from './admin.js';
import { generatedConfigFiles } from './config-xml.js';
import { askRevision } from './hello.js';
import { getFreePort, isPortOpen } from './ports.js';
import { ServerProcess, track, untrack, type Cleanup } from './processes.js';
import type { ManagedServer, ServerSetupOptions } from './types.js';
import { formatServerUrl } from './url.js';
import { tail } from './util.js';

export interface Ports {
  port: number;
  /** Undefined when the server has no HTTP listener. */
  httpPort: number | undefined;
}

export interface ManagedServerSpec<K extends ManagedServer['kind']> {
  kind: K;
  /** For messages, e.g. 'local clickhouse-server (/usr/bin/clickhouse-server)'. */
  name: string;
  /** The temp dir (from makeServerDir), removed by stop() or on failure. */
  dir: string;
  options: ServerSetupOptions;
  /** Whether the server gets an HTTP port. */
  http: boolean;
  startupTimeoutMs: number;
  /** Writes the config files that depend on the ports (called again with new ports after a clash). */
  writeConfig(ports: Ports): Promise<void>;
  command(ports: Ports): { file: string; args: string[]; env?: NodeJS.ProcessEnv };
  stdinPipe?: boolean;
  pdeathsig?: boolean;
  /** Runs once after the first start, before the server is handed out; throwing stops and removes it. */
  verify?(server: ManagedServer): Promise<void>;
  log(message: string): void;
}

/** Creates the standard subdirectories, users.d/config.d from the options, and the option files. */
export async function prepareServerDir(dir: string, options: ServerSetupOptions): Promise<void> {
  for (const sub of ['data', 'tmp', 'user_files', 'format_schemas', 'log', 'config.d', 'users.d', 'files']) {
    await fsp.mkdir(path.join(dir, sub), { recursive: true });
  }
  const generated = generatedConfigFiles(options, path.join(dir, 'files'));
  for (const f of generated.configD) await fsp.writeFile(path.join(dir, 'config.d', f.name), f.content);
  for (const f of generated.usersD) await fsp.writeFile(path.join(dir, 'users.d', f.name), f.content);
  for (const [rel, content] of Object.entries(options.files ?? {})) {
    const target = path.join(dir, 'files', rel);
    await fsp.mkdir(path.dirname(target), { recursive: true });
    await fsp.writeFile(target, content);
  }
}

export async function startManagedServer<K extends ManagedServer['kind']>(
  spec: ManagedServerSpec<K>,
): Promise<ManagedServer & { kind: K }> {
  const { dir } = spec;
  const host = '127.0.0.1';
  const errorLogPath = path.join(dir, 'log', 'clickhouse-server.err.log');
  const consoleLogPath = path.join(dir, 'log', 'console.log');
  const newPorts = async (): Promise<Ports> => ({
    port: await getFreePort(host),
    httpPort: spec.http ? await getFreePort(host) : undefined,
  });
  let ports: Ports;
  try {
    await prepareServerDir(dir, spec.options);
    ports = await newPorts();
    await spec.writeConfig(ports);
  } catch (err) {
    await fsp.rm(dir, { recursive: true, force: true });
    throw err;
  }

  const proc = new ServerProcess({
    name: spec.name,
    dir,
    consoleLog: consoleLogPath,
    command: () => spec.command(ports),
    stdinPipe: spec.stdinPipe ?? false,
    pdeathsig: spec.pdeathsig ?? true,
    startupTimeoutMs: spec.startupTimeoutMs,
    isReady: () =>
      ports.httpPort !== undefined ? ping(host, ports.httpPort, 1000) : isPortOpen(host, ports.port, 1000),
    async failure(what) {
      const errLog = await tail(errorLogPath);
      const consoleLog = await tail(consoleLogPath, 3000);
      const listening =
        ports.httpPort !== undefined ? `native ${ports.port}, http ${ports.httpPort}` : `native ${ports.port}`;
      return new Error(
        `${spec.name} (${listening}, dir ${dir}) ${what}.\n` +
          `--- error log (${errorLogPath}) ---\n${errLog.trim() || '(empty)'}\n` +
          `--- stdout/stderr (${consoleLogPath}) ---\n${consoleLog.trim() || '(empty)'}`,
      );
    },
  });
  const resource: Cleanup = {
    sync() {
      proc.killSync();
      try {
        fs.rmSync(dir, { recursive: true, force: true });
      } catch {
        /* best effort */
      }
    },
  };
  track(resource);

  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await proc.start();
        break;
      } catch (err) {
        // Someone took one of our free ports between the OS handing it out and the server binding it: new ports.
        const clash = /Address already in use: \S*:(\d+)/.exec((err as Error).message);
        const ours = clash !== null && (Number(clash[1]) === ports.port || Number(clash[1]) === ports.httpPort);
        if (attempt >= 3 || !ours) throw err;
        spec.log(`port clash on ${ports.port}/${ports.httpPort ?? '-'}, retrying with new ports`);
        ports = await newPorts();
        await spec.writeConfig(ports);
        await fsp.rm(errorLogPath, { force: true });
      }
    }
  } catch (err) {
    untrack(resource);
    resource.sync();
    throw err;
  }

  const info = {
    host,
    port: ports.port,
    httpPort: ports.httpPort,
    username: 'default',
    password: '',
    database: 'default',
  };
  let version: string | undefined;
  try {
    version = (await adminQuery(info, 'SELECT version()', { timeoutMs: 10_000 })).trim();
  } catch {
    version = undefined;
  }
  const revision = await askRevision(info, spec.log);
  let stopped = false;
  const server = {
    kind: spec.kind,
    ...info,
    url: formatServerUrl(info),
    version,
    revision,
    dir,
    get pid() {
      return proc.pid;
    },
    get running() {
      return proc.running;
    },
    kill: (signal: NodeJS.Signals = 'SIGKILL') => proc.kill(signal),
    async restart() {
      if (stopped) throw new Error('restart() after stop()');
      await proc.terminate();
      await proc.start();
    },
    readErrorLog() {
      return fsp.readFile(errorLogPath, 'utf8').catch(() => '');
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await proc.terminate();
      } finally {
        untrack(resource);
        await fsp.rm(dir, { recursive: true, force: true });
      }
    },
  } as ManagedServer & { kind: K };
  if (spec.verify) {
    try {
      await spec.verify(server);
    } catch (err) {
      await server.stop().catch(() => {});
      throw err;
    }
  }
  spec.log(
    `${spec.name}: ClickHouse ${version ?? '?'} (revision ${revision ?? '?'}) on native ${info.port}` +
      `${info.httpPort !== undefined ? ` / http ${info.httpPort}` : ''} in ${dir}`,
  );
  return server;
}
