/**
 * Process bookkeeping: nothing the harness starts may outlive the test runner.
 *
 * - `track()` registers a synchronous last-resort cleanup, run on process exit and on SIGINT/SIGTERM/SIGHUP.
 * - `ServerProcess` runs one server process (the local binary, or chdb's server script) with its console in a log
 *   file, waits until it answers, and stops, kills, freezes or restarts it. The kernel kills it when we die
 *   (PR_SET_PDEATHSIG, through `setpriv --pdeathsig` or the process itself).
 * - Temp dirs carry an owner.json with our pid; `sweepStaleDirs()` removes those of dead owners (after a SIGKILL).
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { findBinary, sleep } from './util.js';

export interface Cleanup {
  /** Synchronous last-resort cleanup (process 'exit' / fatal signal). */
  sync(): void;
}

const liveResources = new Set<Cleanup>();
let handlersInstalled = false;

function cleanupAllSync(): void {
  for (const r of [...liveResources]) {
    try {
      r.sync();
    } catch {
      /* best effort */
    }
  }
  liveResources.clear();
}

function onFatalSignal(signal: NodeJS.Signals): void {
  cleanupAllSync();
  // If nobody else handles this signal, do what Node would have done without our listener: die of it.
  if (process.listenerCount(signal) <= 1) {
    process.removeListener(signal, onFatalSignal);
    process.kill(process.pid, signal);
  }
}

export function track(resource: Cleanup): void {
  if (!handlersInstalled) {
    handlersInstalled = true;
    process.on('exit', cleanupAllSync);
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, onFatalSignal);
  }
  liveResources.add(resource);
}

export function untrack(resource: Cleanup): void {
  liveResources.delete(resource);
}

let setprivPath: string | null | undefined;

/** `setpriv --pdeathsig SIGKILL` makes the kernel kill a child when the Node thread that spawned it dies. */
export function pdeathsigWrapper(): string | undefined {
  if (setprivPath === undefined) {
    setprivPath = null;
    if (process.platform === 'linux') {
      const p = findBinary('setpriv');
      if (p) setprivPath = p;
    }
  }
  return setprivPath ?? undefined;
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Prefix of every temp dir of a harness server (local binary or chdb). */
export const TEMP_PREFIX = 'clickhouse-native-test-';

/**
 * Removes temp dirs left by harness processes that died without cleaning up (SIGKILL): each dir holds an
 * owner.json with the owning Node pid; the server itself died with its owner (pdeathsig).
 */
export async function sweepStaleDirs(): Promise<void> {
  let entries: string[];
  try {
    entries = await fsp.readdir(os.tmpdir());
  } catch {
    return;
  }
  for (const name of entries) {
    if (!name.startsWith(TEMP_PREFIX)) continue;
    const dir = path.join(os.tmpdir(), name);
    try {
      const owner = JSON.parse(await fsp.readFile(path.join(dir, 'owner.json'), 'utf8')) as {
        pid?: number;
        serverPid?: number;
      };
      if (typeof owner.pid !== 'number' || processAlive(owner.pid)) continue;
      if (typeof owner.serverPid === 'number' && processAlive(owner.serverPid)) continue;
      await fsp.rm(dir, { recursive: true, force: true });
    } catch {
      /* not ours, or being created right now */
    }
  }
}

/** A fresh temp dir with an owner.json naming us (see sweepStaleDirs). */
export async function makeServerDir(kind: string): Promise<string> {
  await sweepStaleDirs();
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), `${TEMP_PREFIX}${kind}-`));
  await fsp.writeFile(path.join(dir, 'owner.json'), JSON.stringify({ pid: process.pid }));
  return dir;
}

const NON_TERMINATING = new Set<NodeJS.Signals>(['SIGSTOP', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU', 'SIGCONT']);

export interface ServerProcessSpec {
  /** For messages, e.g. 'local clickhouse-server'. */
  name: string;
  /** The server's temp dir: cwd, and where owner.json records the server's pid. */
  dir: string;
  /** Where the process's stdout and stderr go. */
  consoleLog: string;
  /** The command line (asked again at every start: ports may change after a clash). */
  command(): { file: string; args: string[]; env?: NodeJS.ProcessEnv };
  /**
   * Give the process a stdin pipe that stays open while we live: a process that exits when its stdin closes then
   * dies with us, however we die. Default: no stdin.
   */
  stdinPipe?: boolean;
  /** Wrap the command in `setpriv --pdeathsig SIGKILL` when available (default true). */
  pdeathsig?: boolean;
  /** True once the server answers. */
  isReady(): Promise<boolean>;
  startupTimeoutMs: number;
  /** What went wrong, with the server's logs: `what` is e.g. 'exited during startup (code 1)'. */
  failure(what: string): Promise<Error>;
}

type ExitInfo = { code: number | null; signal: NodeJS.Signals | null };

/** One server process at a time, started again by restart(). */
export class ServerProcess {
  private child: ChildProcess | undefined;
  private exitInfo: ExitInfo | undefined;
  private exited: Promise<void> = Promise.resolve();

  constructor(private readonly spec: ServerProcessSpec) {}

  get running(): boolean {
    return this.child !== undefined && this.exitInfo === undefined;
  }

  get pid(): number | undefined {
    return this.running ? this.child!.pid : undefined;
  }

  /** Synchronous SIGKILL (for the exit handler). */
  killSync(): void {
    if (this.child?.pid !== undefined && this.exitInfo === undefined) {
      try {
        process.kill(this.child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }

  /** Starts the process and resolves once isReady(); rejects with spec.failure() if it exits or times out. */
  async start(): Promise<void> {
    const { spec } = this;
    const out = fs.openSync(spec.consoleLog, 'a');
    const command = spec.command();
    const wrapper = spec.pdeathsig === false ? undefined : pdeathsigWrapper();
    const [file, args] = wrapper
      ? [wrapper, ['--pdeathsig', 'SIGKILL', '--', command.file, ...command.args]]
      : [command.file, command.args];
    const stdio: StdioOptions = [spec.stdinPipe ? 'pipe' : 'ignore', out, out];
    let proc: ChildProcess;
    try {
      proc = spawn(file, args, { cwd: spec.dir, stdio, env: command.env ?? process.env });
    } finally {
      fs.closeSync(out);
    }
    this.child = proc;
    this.exitInfo = undefined;
    if (proc.stdin) {
      proc.stdin.on('error', () => {});
      (proc.stdin as unknown as net.Socket).unref?.(); // the open pipe must not keep a finished script alive
    }
    fs.writeFileSync(path.join(spec.dir, 'owner.json'), JSON.stringify({ pid: process.pid, serverPid: proc.pid }));
    this.exited = new Promise<void>((resolve) => {
      proc.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve();
      });
      proc.once('error', (err) => {
        this.exitInfo = { code: null, signal: null };
        fs.appendFileSync(spec.consoleLog, `spawn error: ${err.message}\n`);
        resolve();
      });
    });
    proc.unref(); // a forgotten server must not keep a script alive; the exit handler kills it

    const started = Date.now();
    const keepAlive = setInterval(() => {}, 1000);
    try {
      for (;;) {
        const ended = this.exitInfo as ExitInfo | undefined; // set by the 'exit' listener meanwhile
        if (ended) throw await spec.failure(`exited during startup (code ${ended.code}, signal ${ended.signal})`);
        if (await spec.isReady()) return;
        if (Date.now() - started > spec.startupTimeoutMs) {
          await this.terminate(2_000).catch(() => {});
          throw await spec.failure(`did not answer within ${spec.startupTimeoutMs} ms`);
        }
        await sleep(50);
      }
    } finally {
      clearInterval(keepAlive);
    }
  }

  /** Waits for the current process to exit, keeping the event loop alive meanwhile. */
  async waitExit(timeoutMs: number): Promise<boolean> {
    if (!this.running) return true;
    const keepAlive = setInterval(() => {}, 1000);
    let timer: NodeJS.Timeout | undefined;
    try {
      const timedOut = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      return await Promise.race([this.exited.then(() => true as const), timedOut]);
    } finally {
      clearTimeout(timer);
      clearInterval(keepAlive);
    }
  }

  /** SIGTERM (and SIGCONT, in case a test froze it), SIGKILL after graceMs. */
  async terminate(graceMs = 5_000): Promise<void> {
    if (!this.running) return;
    const pid = this.child!.pid!;
    try {
      process.kill(pid, 'SIGTERM');
      process.kill(pid, 'SIGCONT');
    } catch {
      /* gone */
    }
    if (await this.waitExit(graceMs)) return;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    if (!(await this.waitExit(10_000))) throw new Error(`${this.spec.name} pid ${pid} did not die after SIGKILL`);
  }

  /** Sends `signal`; resolves once the process exited (at once for SIGSTOP/SIGCONT and the like). */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.running) return;
    const pid = this.child!.pid!;
    try {
      process.kill(pid, signal);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
    if (NON_TERMINATING.has(signal)) return;
    if (!(await this.waitExit(30_000))) throw new Error(`${this.spec.name} pid ${pid} still runs 30 s after ${signal}`);
  }
}
