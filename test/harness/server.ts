/**
 * Test server harness: gets a real ClickHouse server for tests, the demo and the benchmark.
 *
 * `startServer()` picks, in order:
 *   (a) `CLICKHOUSE_URL` (clickhouse://user:pass@host:port/db): an existing server, `stop()` does nothing (url.ts);
 *   (b) `CLICKHOUSE_SERVER=chdb`: ClickHouse 26.7 served from the installed chdb package (chdb-server.ts);
 *       `CLICKHOUSE_SERVER=local` / `=container` pick (d) / (c) alone;
 *   (c) a container through testcontainers, only when a container runtime answers (container.ts);
 *   (d) the local `clickhouse-server` binary (installed with apt-get when missing and we are root), started from a
 *       generated config in a fresh temp dir, on free ports (local-binary.ts).
 *
 * The rest lives by concern: admin.ts (SQL over HTTP, independent of the client under test), hello.ts (the server's
 * Hello: version and revision), config-xml.ts (generated configs), processes.ts and managed.ts (server processes of
 * our own, which never outlive us), ports.ts, types.ts. This module re-exports what tests use.
 *
 * Environment:
 *   CLICKHOUSE_URL                     use this server (a); `?http_port=8123` or CLICKHOUSE_HTTP_PORT gives its HTTP port
 *   CLICKHOUSE_SERVER                  chdb | container | local: that kind of server only (unset: (c), then (d))
 *   CLICKHOUSE_IMAGE                   container image (default: localhost/clickhouse-server:18.16 when present in the
 *                                      runtime, else clickhouse/clickhouse-server:25.8, an LTS release)
 *   CLICKHOUSE_USE_CONTAINER           unset: auto; 0/false: never use containers; 1/true: require a container
 *   CLICKHOUSE_CONTAINER_DETECT_TIMEOUT_MS  how long a candidate runtime may take to answer (default 3000, or 15000
 *                                      with DOCKER_HOST or CLICKHOUSE_USE_CONTAINER=1)
 *   CLICKHOUSE_SERVER_BIN              path of the clickhouse-server (or `clickhouse`) binary to use
 *   CLICKHOUSE_LIBCHDB, CLICKHOUSE_PYTHON  libchdb.so and python3 for the chdb server
 *   CLICKHOUSE_STARTUP_TIMEOUT_MS      startup timeout for servers and containers (default 30000 / 60000 / 120000)
 *   CLICKHOUSE_HARNESS_DEBUG=1         print what the harness decides
 *   CLICKHOUSE_CONTAINER_RUN_ID        label containers with clickhouse-native.run-id=<it> (.ci/run removes them by label)
 *   TESTCONTAINERS_HOST_OVERRIDE       where tests connect to containers. Unset, the harness sets it to 127.0.0.1 for a
 *                                      runtime on this machine (podman, or Docker outside a container) and publishes
 *                                      the container's ports on 127.0.0.1 only: tests never talk to a bridge address.
 *
 * The harness uses no code of the client under test: only node:*, node:http and testcontainers.
 */
import { startChdbServer } from './chdb-server.js';
import { detectContainerRuntime, startContainer } from './container.js';
import { startLocalServer } from './local-binary.js';
import type { StartServerOptions, TestServer } from './types.js';
import { serverFromUrl } from './url.js';
import { envFlag, makeLogger, toArray } from './util.js';

export type { AdminTarget, ChdbServer, LocalServer, StartServerOptions, TestServer, TestServerInfo } from './types.js';
export { adminQuery } from './admin.js';
export { findLibchdb, startChdbServer } from './chdb-server.js';
export { detectContainerRuntime, findContainerRuntimeCandidate } from './container.js';
export { nativeHello, refusedLoginCode } from './hello.js';
export { runAptScript, startLocalServer } from './local-binary.js';
export { getFreePort, isPortOpen } from './ports.js';
export { formatServerUrl, parseServerUrl, serverInfo, serverSharesTestLoopback } from './url.js';

/** The server kinds CLICKHOUSE_SERVER may name. */
const CHOSEN_KINDS = ['chdb', 'container', 'local'] as const;
type ChosenKind = (typeof CHOSEN_KINDS)[number];

function chosenKind(): ChosenKind | undefined {
  const v = process.env.CLICKHOUSE_SERVER;
  if (v === undefined || v === '' || v === 'auto') return undefined;
  if (!(CHOSEN_KINDS as readonly string[]).includes(v)) {
    throw new Error(`CLICKHOUSE_SERVER=${v}: expected one of ${CHOSEN_KINDS.join(', ')} (or unset)`);
  }
  return v as ChosenKind;
}

export async function startServer(options: StartServerOptions = {}): Promise<TestServer> {
  const log = makeLogger(options);
  const prefer = options.prefer ?? 'any';
  if (prefer === 'local') return startLocalServer(options);
  if (prefer === 'chdb') return startChdbServer(options);

  const customized =
    toArray(options.configXml).length > 0 ||
    toArray(options.usersXml).length > 0 ||
    Object.keys(options.profileSettings ?? {}).length > 0 ||
    Object.keys(options.users ?? {}).length > 0 ||
    Object.keys(options.files ?? {}).length > 0;
  const url = process.env.CLICKHOUSE_URL;
  if (url) {
    if (customized) log('CLICKHOUSE_URL ignored: this server needs config changes the harness cannot apply to it');
    else return serverFromUrl(url, log);
  }

  const kind = chosenKind();
  if (kind === 'chdb') return startChdbServer(options);
  if (kind === 'local') return startLocalServer(options);

  const useContainer = kind === 'container' ? true : envFlag('CLICKHOUSE_USE_CONTAINER');
  if (useContainer === false) {
    log('containers disabled by CLICKHOUSE_USE_CONTAINER: using the local binary');
    return startLocalServer(options);
  }
  const t0 = Date.now();
  const detected = await detectContainerRuntime();
  if (!detected.ok) {
    if (useContainer)
      throw new Error(`a container server is required but no container runtime answers (${detected.reason})`);
    log(`no container runtime (${detected.reason}; decided in ${Date.now() - t0} ms): using the local binary`);
    return startLocalServer(options);
  }
  try {
    return await startContainer(options, detected, log);
  } catch (err) {
    const explicit = options.image !== undefined || process.env.CLICKHOUSE_IMAGE !== undefined || useContainer;
    if (explicit) throw err;
    log(
      `!!! the container runtime answers but the container failed; FALLING BACK to the local binary !!!\n` +
        `!!! ${(err as Error).message.split('\n').join('\n!!! ')}`,
    );
    return startLocalServer(options);
  }
}
