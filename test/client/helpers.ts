import { randomUUID } from 'node:crypto';
import { createClient, type ClickHouseClient, type ClickHouseClientConfig } from '../../src/index.js';
import { testServer } from '../harness/context.js';
import { adminQuery } from '../harness/server.js';
import { FaultProxy } from '../harness/fault-proxy.js';

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

const opened: Array<{ close(): Promise<void> }> = [];

/** Registers a client, proxy or anything with close() to be closed by closeOpened() (call it in afterEach). */
export function closeLater<T extends { close(): Promise<void> }>(thing: T): T {
  opened.push(thing);
  return thing;
}

/** Closes, newest first, what closeLater() registered. */
export async function closeOpened(): Promise<void> {
  for (const thing of opened.splice(0).reverse()) await thing.close();
}

/** Waits until `condition` holds, checking every 10 ms; the test's own timeout bounds the wait. */
export async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 10));
}

/**
 * A client whose connections all go through a fresh FaultProxy in front of the run's server (to count them, delay
 * or swallow their bytes). Both are closed by closeOpened().
 */
export async function proxiedClientFor(
  config: ClickHouseClientConfig = {},
): Promise<{ client: ClickHouseClient; proxy: FaultProxy }> {
  const server = testServer();
  const proxy = closeLater(await FaultProxy.start({ host: server.host, port: server.port }));
  const client = closeLater(
    createClient({
      host: proxy.host,
      port: proxy.port,
      username: server.username,
      password: server.password,
      database: server.database,
      ...config,
    }),
  );
  return { client, proxy };
}
