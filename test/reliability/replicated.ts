/**
 * A private 18.16 server with ZooKeeper for the reliability suites: ReplicatedMergeTree tables, whose block
 * deduplication makes a resent insert safe. The server does not squash insert blocks (min_insert_block_size_* = 0),
 * so each Data block the client sends becomes its own part and a cut in the middle of an INSERT leaves the blocks
 * before it committed: the hardest case for a retry.
 */
import { randomUUID } from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { adminQuery, getFreePort, startLocalServer, type LocalServer } from '../harness/server.js';
import { replicaConfigXml, startZooKeeper, type ZooKeeperServer } from '../harness/zookeeper.js';

export interface ReplicatedSetup {
  zk: ZooKeeperServer;
  server: LocalServer;
  stop(): Promise<void>;
}

export async function startReplicatedServer(): Promise<ReplicatedSetup> {
  const zk = await startZooKeeper();
  let server: LocalServer;
  try {
    server = await startLocalServer({
      configXml: replicaConfigXml(zk, { shard: 1, replica: 'r1', interserverPort: await getFreePort() }),
      profileSettings: { min_insert_block_size_rows: 0, min_insert_block_size_bytes: 0 },
    });
  } catch (error) {
    await zk.stop();
    throw error;
  }
  return {
    zk,
    server,
    async stop() {
      await server.stop();
      await zk.stop();
    },
  };
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
}

/** Creates `id UInt64, batch UInt32, s String` as a ReplicatedMergeTree ordered by id. */
export async function createReplicatedTable(server: LocalServer, table: string): Promise<void> {
  await adminQuery(
    server,
    `CREATE TABLE ${table} (id UInt64, batch UInt32, s String) ` +
      `ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/${table}', '{replica}') ORDER BY id`,
  );
}

/** How the server's log counts the blocks it dropped as duplicates ("Block with ID … already exists"). */
export async function deduplicatedBlocks(server: LocalServer, table: string): Promise<number> {
  const log = await fsp.readFile(path.join(server.dir, 'log', 'clickhouse-server.log'), 'utf8').catch(() => '');
  let count = 0;
  for (const line of log.split('\n')) {
    if (line.includes(table) && line.includes('already exists; ignoring it')) count++;
  }
  return count;
}

export interface TableCounts {
  rows: number;
  distinct: number;
  sum: bigint;
}

export async function tableCounts(server: LocalServer, table: string, where = '1'): Promise<TableCounts> {
  const text = await adminQuery(server, `SELECT count(), uniqExact(id), sum(id) FROM ${table} WHERE ${where}`);
  const [rows, distinct, sum] = text.trim().split('\t');
  return { rows: Number(rows), distinct: Number(distinct), sum: BigInt(sum!) };
}
