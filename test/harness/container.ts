/**
 * Containers through testcontainers: is a runtime answering (detectContainerRuntime, cheap when there is none), and a
 * ClickHouse container published on loopback only, removed by a watchdog process when we die (Ryuk cannot be pulled
 * on registry-less podman machines).
 *
 * Image: CLICKHOUSE_IMAGE, else LOCAL_IMAGE when the runtime has it, else DEFAULT_IMAGE (pulled from Docker Hub).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { adminQuery } from './admin.js';
import { CONTAINER_BASE_CONFIG, CONTAINER_BASE_USERS, generatedConfigFiles } from './config-xml.js';
import { askRevision } from './hello.js';
import { track, untrack, type Cleanup } from './processes.js';
import type { StartServerOptions, TestServer } from './types.js';
import { formatServerUrl } from './url.js';
import { envFlag, envInt, isLoopbackAddress } from './util.js';

/** With a registry: a pinned LTS release (the modern server the suites' version gates open up for). */
export const DEFAULT_IMAGE = 'clickhouse/clickhouse-server:25.8';
/** Without one: built from Debian's 18.16 packages by scripts/build-clickhouse-image.sh. */
export const LOCAL_IMAGE = 'localhost/clickhouse-server:18.16';

export interface RuntimeCandidate {
  /** How testcontainers will reach it: a unix socket path or a TCP host/port. */
  socketPath?: string;
  host?: string;
  port?: number;
  description: string;
}

/**
 * Cheap, synchronous check for something testcontainers could use, mirroring its strategies:
 * ~/.testcontainers.properties (tc.host / docker.host), DOCKER_HOST, /var/run/docker.sock and the rootless sockets.
 * No candidate → no container runtime, decided in microseconds without loading testcontainers.
 */
export function findContainerRuntimeCandidate(): RuntimeCandidate | undefined {
  const fromUri = (uri: string, description: string): RuntimeCandidate | undefined => {
    try {
      const u = new URL(uri);
      if (u.protocol === 'unix:') return { socketPath: u.pathname, description };
      if (u.protocol === 'npipe:') return { description };
      return { host: u.hostname, port: Number(u.port || 2375), description };
    } catch {
      return { description };
    }
  };
  const propsFile = path.join(os.homedir(), '.testcontainers.properties');
  if (fs.existsSync(propsFile)) {
    const props = fs.readFileSync(propsFile, 'utf8');
    const m = /^\s*(tc\.host|docker\.host)\s*[=:]\s*(\S+)/m.exec(props);
    if (m) return fromUri(m[2]!, `${m[1]} in ${propsFile}`);
  }
  if (process.env.DOCKER_HOST) return fromUri(process.env.DOCKER_HOST, `DOCKER_HOST=${process.env.DOCKER_HOST}`);
  if (process.platform !== 'linux' && process.platform !== 'darwin') return undefined;
  const sockets = [
    '/var/run/docker.sock',
    process.env.XDG_RUNTIME_DIR ? path.join(process.env.XDG_RUNTIME_DIR, 'docker.sock') : undefined,
    path.join(os.homedir(), '.docker', 'run', 'docker.sock'),
    path.join(os.homedir(), '.docker', 'desktop', 'docker.sock'),
    typeof process.getuid === 'function' ? `/run/user/${process.getuid()}/docker.sock` : undefined,
  ];
  for (const s of sockets) if (s && fs.existsSync(s)) return { socketPath: s, description: s };
  return undefined;
}

type Testcontainers = typeof import('testcontainers');

/** `GET /version` over a local runtime socket: which engine serves it ("Podman Engine 4.3.1", "Docker Engine …"). */
function runtimeEngine(socketPath: string, timeoutMs: number): Promise<{ name: string; version: string } | undefined> {
  return new Promise((resolve) => {
    const req = http.request(
      { socketPath, path: '/version', method: 'GET', timeout: timeoutMs, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', () => resolve(undefined));
        res.on('end', () => {
          try {
            const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
              Version?: string;
              Components?: { Name?: string; Version?: string }[];
            };
            const engine = body.Components?.find((c) => /engine/i.test(c.Name ?? '')) ?? body.Components?.[0];
            resolve({ name: engine?.Name ?? 'unknown engine', version: engine?.Version ?? body.Version ?? '?' });
          } catch {
            resolve(undefined);
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/**
 * How long a candidate runtime may take to answer: 3 s for a socket found by looking around, 15 s when the user asked
 * for containers (DOCKER_HOST or CLICKHOUSE_USE_CONTAINER=1): a busy machine's podman can take seconds for /info.
 */
function defaultDetectTimeoutMs(): number {
  return process.env.DOCKER_HOST || envFlag('CLICKHOUSE_USE_CONTAINER') ? 15_000 : 3000;
}

export interface DetectedRuntime {
  ok: true;
  candidate: RuntimeCandidate;
  tc: Testcontainers;
  /** E.g. "Podman Engine 4.3.1 via DOCKER_HOST=unix:///tmp/podman.sock". */
  description: string;
  /** Where tests reach the containers' published ports (testcontainers' host). */
  host: string;
}

/**
 * Is a container runtime answering? First the cheap candidate check (no candidate: false at once), then
 * testcontainers' own getContainerRuntimeClient() (which pings the daemon) inside a short timeout.
 *
 * Before testcontainers resolves its host (once per process), a runtime on this machine gets
 * TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1: podman (its containers publish ports in our network namespace), or any
 * runtime on a unix socket when we are not inside a container ourselves. Without it testcontainers, inside a
 * container (/.dockerenv), would reach containers through the bridge gateway (10.88.0.1 with podman): tests must
 * only talk to loopback. A Docker daemon outside our container (socket mounted in) keeps testcontainers' choice;
 * set TESTCONTAINERS_HOST_OVERRIDE to decide yourself.
 */
export async function detectContainerRuntime(
  timeoutMs = envInt('CLICKHOUSE_CONTAINER_DETECT_TIMEOUT_MS') ?? defaultDetectTimeoutMs(),
): Promise<DetectedRuntime | { ok: false; reason: string }> {
  const candidate = findContainerRuntimeCandidate();
  if (!candidate) return { ok: false, reason: 'no DOCKER_HOST, docker socket or ~/.testcontainers.properties' };
  const engine = candidate.socketPath
    ? await runtimeEngine(candidate.socketPath, Math.min(timeoutMs, 5000))
    : undefined;
  const podman = /podman/i.test(engine?.name ?? '') || candidate.socketPath?.includes('podman') === true;
  if (podman && process.env.TESTCONTAINERS_RYUK_DISABLED === undefined) {
    // Ryuk's image cannot be pulled on registry-less podman machines; our own watchdog removes containers instead.
    process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
  }
  if (
    candidate.socketPath &&
    process.env.TESTCONTAINERS_HOST_OVERRIDE === undefined &&
    (podman || !fs.existsSync('/.dockerenv'))
  ) {
    process.env.TESTCONTAINERS_HOST_OVERRIDE = '127.0.0.1';
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    const tc = await import('testcontainers');
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      timer.unref();
    });
    const client = await Promise.race([tc.getContainerRuntimeClient(), timeout]);
    const runtime = engine
      ? `${engine.name} ${engine.version}`
      : `${client.info.containerRuntime.operatingSystem ?? 'container runtime'} ${client.info.containerRuntime.serverVersion ?? ''}`.trim();
    return {
      ok: true,
      candidate,
      tc,
      description: `${runtime} via ${candidate.description}`,
      host: client.info.containerRuntime.host,
    };
  } catch (err) {
    return { ok: false, reason: `${candidate.description}: ${(err as Error).message}` };
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/**
 * One watchdog process per Node process: it holds a pipe from us and, when that pipe closes (we exited, however we
 * died), removes the containers we registered through the runtime's HTTP API. Works with Ryuk disabled.
 */
let containerWatchdog: ChildProcess | undefined;

const WATCHDOG_SOURCE = `
const http = require('http');
const target = JSON.parse(process.argv[1]);
const ids = new Set();
let buf = '';
process.on('SIGINT', () => {}); process.on('SIGHUP', () => {});
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  buf += d;
  let i;
  while ((i = buf.indexOf('\\n')) >= 0) {
    const [op, id] = buf.slice(0, i).split(' ');
    buf = buf.slice(i + 1);
    if (op === 'add') ids.add(id); else if (op === 'del') ids.delete(id);
  }
});
const reap = () => {
  let left = ids.size;
  if (left === 0) process.exit(0);
  setTimeout(() => process.exit(1), 30000);
  for (const id of ids) {
    const req = http.request({ ...target, method: 'DELETE', path: '/containers/' + id + '?force=true&v=true' }, (res) => {
      res.resume(); res.on('end', () => { if (--left === 0) process.exit(0); });
    });
    req.on('error', () => { if (--left === 0) process.exit(1); });
    req.end();
  }
};
process.stdin.on('end', reap);
process.stdin.on('close', reap);
`;

function watchContainer(candidate: RuntimeCandidate, id: string): { release(): void } {
  const target = candidate.socketPath
    ? { socketPath: candidate.socketPath }
    : candidate.host && process.env.DOCKER_TLS_VERIFY !== '1'
      ? { host: candidate.host, port: candidate.port }
      : undefined;
  if (!target) return { release() {} };
  if (!containerWatchdog || containerWatchdog.exitCode !== null || !containerWatchdog.stdin?.writable) {
    containerWatchdog = spawn(process.execPath, ['-e', WATCHDOG_SOURCE, JSON.stringify(target)], {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
    });
    containerWatchdog.unref();
    (containerWatchdog.stdin as unknown as net.Socket).unref?.();
    containerWatchdog.stdin?.on('error', () => {});
  }
  const dog = containerWatchdog;
  dog.stdin?.write(`add ${id}\n`);
  return {
    release() {
      if (dog.stdin?.writable) dog.stdin.write(`del ${id}\n`);
    },
  };
}

/**
 * A GenericContainer that publishes its ports on `bindHostIp` only (when tests reach containers through loopback,
 * nothing else on the network can reach the server) and reports its id as soon as it exists (so the watchdog can
 * remove it even when startup then fails).
 */
function harnessContainer(
  tc: Testcontainers,
  image: string,
  options: { bindHostIp: string | undefined; onCreated: (id: string) => void },
) {
  class HarnessContainer extends tc.GenericContainer {
    protected override async beforeContainerCreated(): Promise<void> {
      const bindings = this.hostConfig.PortBindings as
        Record<string, { HostIp?: string; HostPort?: string }[]> | undefined;
      if (options.bindHostIp === undefined || !bindings) return;
      for (const [port, list] of Object.entries(bindings)) {
        bindings[port] = list.map((b) => ({ ...b, HostIp: options.bindHostIp }));
      }
    }

    protected override async containerCreated(containerId: string): Promise<void> {
      options.onCreated(containerId);
    }
  }
  return new HarnessContainer(image);
}

export async function startContainer(
  options: StartServerOptions,
  detected: DetectedRuntime,
  log: (m: string) => void,
): Promise<TestServer> {
  const { tc, candidate } = detected;
  const client = await tc.getContainerRuntimeClient();
  let image = options.image ?? process.env.CLICKHOUSE_IMAGE;
  if (!image) {
    const hasLocal = await client.image.exists(tc.ImageName.fromString(LOCAL_IMAGE)).catch(() => false);
    image = hasLocal ? LOCAL_IMAGE : DEFAULT_IMAGE;
  }
  const timeoutMs = options.startupTimeoutMs ?? envInt('CLICKHOUSE_STARTUP_TIMEOUT_MS') ?? 120_000;
  const harnessDir = '/etc/clickhouse-server/harness';
  const generated = generatedConfigFiles(options, harnessDir);
  const host = detected.host;
  const bindHostIp = isLoopbackAddress(host) ? host : undefined;
  log(
    `starting container ${image} with testcontainers (${detected.description}); ports published on ` +
      `${bindHostIp ?? 'all host interfaces'}, tests connect to ${host}`,
  );
  let containerId: string | undefined;
  let watch: { release(): void } | undefined;
  const labels: Record<string, string> = {
    'clickhouse-native.harness': 'true',
    'clickhouse-native.pid': String(process.pid),
  };
  if (process.env.CLICKHOUSE_CONTAINER_RUN_ID)
    labels['clickhouse-native.run-id'] = process.env.CLICKHOUSE_CONTAINER_RUN_ID;
  let container = harnessContainer(tc, image, {
    bindHostIp,
    onCreated(id) {
      containerId = id;
      watch = watchContainer(candidate, id);
    },
  })
    .withExposedPorts(9000, 8123)
    .withLabels(labels)
    // Modern images lock the passwordless `default` user to localhost unless told not to.
    .withEnvironment({ CLICKHOUSE_SKIP_USER_SETUP: '1' })
    .withWaitStrategy(tc.Wait.forHttp('/ping', 8123).forStatusCode(200))
    .withStartupTimeout(timeoutMs);
  const copies = [
    { content: CONTAINER_BASE_CONFIG, target: '/etc/clickhouse-server/config.d/00-harness-base.xml' },
    { content: CONTAINER_BASE_USERS, target: '/etc/clickhouse-server/users.d/00-harness-base.xml' },
    ...generated.configD.map((f) => ({ content: f.content, target: `/etc/clickhouse-server/config.d/${f.name}` })),
    ...generated.usersD.map((f) => ({ content: f.content, target: `/etc/clickhouse-server/users.d/${f.name}` })),
    ...Object.entries(options.files ?? {}).map(([rel, content]) => ({
      content: typeof content === 'string' ? content : Buffer.from(content),
      target: path.posix.join(harnessDir, rel),
    })),
  ];
  container = container.withCopyContentToContainer(copies);
  const resource: Cleanup = { sync() {} }; // the watchdog does the work once we are gone
  track(resource);
  const t0 = Date.now();
  let started: Awaited<ReturnType<typeof container.start>>;
  const discard = async () => {
    if (containerId !== undefined)
      await client.container
        .getById(containerId)
        .remove({ force: true, v: true })
        .catch(() => {});
    watch?.release();
    untrack(resource);
  };
  try {
    started = await container.start();
  } catch (err) {
    await discard();
    throw err;
  }
  const info = {
    host: started.getHost(),
    port: started.getMappedPort(9000),
    httpPort: started.getMappedPort(8123),
    username: 'default',
    password: '',
    database: 'default',
  };
  let version: string | undefined;
  try {
    version = (await adminQuery(info, 'SELECT version()', { timeoutMs: 10_000 })).trim();
  } catch (err) {
    await discard();
    throw err;
  }
  const revision = await askRevision(info, log);
  log(
    `container ${started.getId().slice(0, 12)} (${image}) ready in ${Date.now() - t0} ms: ClickHouse ${version}, ` +
      `native ${info.host}:${info.port}, http ${info.host}:${info.httpPort}`,
  );
  let stopped = false;
  return {
    kind: 'container',
    ...info,
    url: formatServerUrl(info),
    version,
    revision,
    image,
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await started.stop({ timeout: 5_000, remove: true });
      } finally {
        watch?.release();
        untrack(resource);
      }
    },
  };
}
