/**
 * Typed access, inside tests, to the one ClickHouse server that test/harness/global-setup.ts started for this run.
 *
 *   import { testServer } from '../harness/context.js';
 *   const { host, port, username, password, database } = testServer();
 */
import { inject } from 'vitest';
import type { TestServerInfo } from './server.js';

export const PROVIDE_KEY = 'clickhouseServer';

declare module 'vitest' {
  export interface ProvidedContext {
    clickhouseServer: TestServerInfo;
  }
}

/** Connection info of the run's server: { kind, host, port, httpPort, username, password, database, url, version }. */
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

export type { TestServerInfo } from './server.js';
export { adminQuery } from './server.js';
