/**
 * Typed access, inside tests, to the one ClickHouse server that test/harness/global-setup.ts started for this run.
 *
 *   import { testServer, serverSupports } from '../harness/context.js';
 *   const { host, port, username, password, database, version, revision } = testServer();
 *   if (serverSupports('async_insert')) { ... }
 */
import { inject } from 'vitest';
import { checkFeature, type ServerFeature, type ServerVersionInfo } from './features.js';
import type { TestServerInfo } from './server.js';

export const PROVIDE_KEY = 'clickhouseServer';

declare module 'vitest' {
  export interface ProvidedContext {
    clickhouseServer: TestServerInfo;
  }
}

/**
 * Connection info of the run's server:
 * { kind, host, port, httpPort, username, password, database, url, version, revision?, image? }.
 */
export function testServer(): TestServerInfo {
  const info = inject(PROVIDE_KEY);
  if (!info) {
    throw new Error(
      'No ClickHouse test server was provided: run the tests with vitest (vitest.config.ts registers ' +
        'test/harness/global-setup.ts as globalSetup).',
    );
  }
  return info;
}

/**
 * Does the run's server (or `server`) have `feature`? Decided from its real version and protocol revision
 * (thresholds in ./features.ts, printed by the global setup at the start of every run).
 *
 * Gate the *expectation*, not the test: a test that is skipped counts as a failure in CI. When the server lacks the
 * feature, check that it refuses it, so the test runs (and means something) against every server:
 *
 *   it('inserts with async_insert', async () => {
 *     if (!serverSupports('async_insert')) {
 *       await expect(client.insert(table, rows, { settings: { async_insert: 1 } })).rejects.toThrow(/async_insert/);
 *       return;
 *     }
 *     ...the real check, live against a modern server...
 *   });
 */
export function serverSupports(feature: ServerFeature, server: ServerVersionInfo = testServer()): boolean {
  return checkFeature(feature, server).ok;
}

export type { TestServerInfo } from './server.js';
export type { ServerFeature } from './features.js';
export { adminQuery } from './server.js';
