/**
 * vitest globalSetup: starts ONE ClickHouse server for the whole run (see startServer in ./server.ts for the order:
 * CLICKHOUSE_URL, CLICKHOUSE_SERVER=chdb|container|local, else a container when a runtime answers, else the local
 * binary), provides its connection info to the tests
 * (read it with testServer() from ./context.ts) and stops it at teardown.
 *
 * It prints which server the run uses and the version gates (./features.ts) that follow from it, e.g.
 *   [clickhouse] tests use a container server (image localhost/clickhouse-server:18.16), version 18.16.1, protocol
 *   revision 54412, native 127.0.0.1:40123, http 127.0.0.1:40124 (ready in 1712 ms)
 *   [clickhouse] version gates (serverSupports): async_insert: off (needs version >= 21.11), ...
 */
import type { TestProject } from 'vitest/node';
import type {} from './context.js'; // the ProvidedContext declaration
import { describeFeatureGates } from './features.js';
import { serverInfo, startServer, type TestServer } from './server.js';

let server: TestServer | undefined;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const t0 = Date.now();
  server = await startServer({ log: (m) => console.log(`[clickhouse] ${m}`) });
  const info = serverInfo(server);
  project.provide('clickhouseServer', info);
  const what =
    info.kind === 'container'
      ? `container server (image ${info.image ?? '?'}, started by testcontainers)`
      : info.kind === 'chdb'
        ? 'chdb server (ClickHouse from the installed chdb package, libchdb.so)'
        : `${info.kind} server`;
  console.log(
    `[clickhouse] tests use a ${what}, version ${info.version ?? 'unknown'}, ` +
      `protocol revision ${info.revision ?? 'unknown'}, native ${info.host}:${info.port}, ` +
      `http ${info.httpPort !== undefined ? `${info.host}:${info.httpPort}` : 'n/a'} (ready in ${Date.now() - t0} ms)`,
  );
  console.log(`[clickhouse] version gates (serverSupports): ${describeFeatureGates(info).join('; ')}`);
  return async () => {
    const s = server;
    server = undefined;
    await s?.stop();
  };
}
