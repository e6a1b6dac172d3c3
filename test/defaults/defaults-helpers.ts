/** Shared by the client-side defaults tests: one table per defaults mode, dropped after the file. */
import { admin, uniqueTable } from '../client/helpers.js';

/** Creates `${prefix}_client` and `${prefix}_server` tables of one schema; their names go into `created`. */
export async function twoTables(prefix: string, schema: string, created: string[]): Promise<[string, string]> {
  const client = uniqueTable(`${prefix}_client`);
  const server = uniqueTable(`${prefix}_server`);
  created.push(client, server);
  await admin(`CREATE TABLE ${client} ${schema}`);
  await admin(`CREATE TABLE ${server} ${schema}`);
  return [client, server];
}
