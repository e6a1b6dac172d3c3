import { randomUUID } from 'node:crypto';
import { createClient, type ClickHouseClient, type ClickHouseClientConfig } from '../../src/index.js';
import { testServer } from '../harness/context.js';
import { adminQuery } from '../harness/server.js';

/** A client for the test run's server. */
export function clientFor(config: ClickHouseClientConfig = {}): ClickHouseClient {
  const server = testServer();
  return createClient({
    host: server.host,
    port: server.port,
    username: server.username,
    password: server.password,
    database: server.database,
    ...config,
  });
}

/** A table name no other test uses. */
export function uniqueTable(prefix: string): string {
  return `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
}

/** Runs SQL over HTTP, independently of the client under test. */
export function admin(sql: string): Promise<string> {
  return adminQuery(testServer(), sql);
}
