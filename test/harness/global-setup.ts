/**
 * vitest globalSetup: starts ONE ClickHouse server for the whole run (see startServer in ./server.ts for the order:
 * CLICKHOUSE_URL, a container when a runtime answers, the local binary), provides its connection info to the tests
 * (read it with testServer() from ./context.ts) and stops it at teardown.
 */
import type { TestProject } from 'vitest/node';
import type {} from './context.js'; // the ProvidedContext declaration
import { serverInfo, startServer, type TestServer } from './server.js';

let server: TestServer | undefined;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const t0 = Date.now();
  server = await startServer({ log: (m) => console.log(`[clickhouse] ${m}`) });
  const info = serverInfo(server);
  project.provide('clickhouseServer', info);
  console.log(
    `[clickhouse] tests use a ${info.kind} server, version ${info.version ?? 'unknown'}, ` +
      `native ${info.host}:${info.port}, http ${info.httpPort ?? 'n/a'} (ready in ${Date.now() - t0} ms)`,
  );
  return async () => {
    const s = server;
    server = undefined;
    await s?.stop();
  };
}
