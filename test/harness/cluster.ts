/**
 * A local ClickHouse cluster for tests and the benchmark: one ZooKeeper and `shards × replicas` local servers on
 * their own 127.0.0.1 ports, each with its `{shard}` / `{replica}` macros, an interserver port, and a
 * `<remote_servers>` cluster naming every server (per-shard weights, internal_replication).
 *
 *   const cluster = await startCluster({ name: 'test_cluster', weights: [1, 2], replicas: 2 });
 *   await cluster.onEveryServer(`CREATE TABLE t (...) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/t', '{replica}') ...`);
 *   cluster.shards[0].replicas[1].kill();
 *   await cluster.stop();
 *
 * The servers' ports are only known once they run, so `<remote_servers>` is written into each server's config.d
 * after the start, and the server restarted (same ports, same data dir) to read it. Uses no code of the client.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { adminQuery, getFreePort, startLocalServer, type LocalServer } from './server.js';
import type { ColumnarInput } from '../../src/index.js';
import { replicaConfigXml, startZooKeeper, type ZooKeeperServer } from './zookeeper.js';

/**
 * Rows `start` .. `start + rows - 1` of the cluster tests' and benchmark's table (id UInt64, s String, v Float64):
 * deterministic, so a Distributed twin can be filled with exactly the same rows.
 */
export function clusterRows(start: number, rows: number): ColumnarInput {
  const id = new BigUint64Array(rows);
  const s = new Array<string>(rows);
  const v = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const n = start + i;
    id[i] = BigInt(n);
    s[i] = `key-${n}`;
    v[i] = n / 4;
  }
  return { id, s, v };
}

export interface ClusterOptions {
  /** The cluster's name in `<remote_servers>` (system.clusters). Default 'test_cluster'. */
  name?: string;
  /** One weight per shard. Default [1, 1]. */
  weights?: readonly number[];
  /** Replicas per shard. Default 2. */
  replicas?: number;
  /** Settings for every server's default profile. */
  profileSettings?: Record<string, string | number | boolean>;
  log?: (message: string) => void;
}

export interface ClusterReplica {
  /** 1-based, as in system.clusters. */
  shard: number;
  /** The `{replica}` macro: r1, r2, ... */
  replica: string;
  server: LocalServer;
  /** `127.0.0.1:port` of its native port. */
  address: string;
}

export interface ClusterShard {
  /** 1-based. */
  shard: number;
  weight: number;
  replicas: ClusterReplica[];
}

export interface LocalCluster {
  name: string;
  zk: ZooKeeperServer;
  shards: ClusterShard[];
  /** Every server, shard by shard. */
  servers: LocalServer[];
  /** Runs `sql` on every (running) server, in parallel. */
  onEveryServer(sql: string): Promise<string[]>;
  stop(): Promise<void>;
}

function remoteServersXml(
  name: string,
  shards: readonly { weight: number; replicas: readonly LocalServer[] }[],
): string {
  const shardXml = shards
    .map(
      (s) =>
        `<shard><weight>${s.weight}</weight><internal_replication>true</internal_replication>` +
        s.replicas.map((r) => `<replica><host>${r.host}</host><port>${r.port}</port></replica>`).join('') +
        `</shard>`,
    )
    .join('');
  return `<?xml version="1.0"?>\n<yandex><remote_servers><${name}>${shardXml}</${name}></remote_servers></yandex>\n`;
}

export async function startCluster(options: ClusterOptions = {}): Promise<LocalCluster> {
  const name = options.name ?? 'test_cluster';
  const weights = options.weights ?? [1, 1];
  const replicaCount = options.replicas ?? 2;
  const zk = await startZooKeeper({ log: options.log });
  const started: LocalServer[] = [];
  const stopAll = async () => {
    await Promise.all(started.map((s) => s.stop().catch(() => {})));
    await zk.stop();
  };
  try {
    const shards: ClusterShard[] = [];
    const jobs: Promise<void>[] = [];
    for (let s = 0; s < weights.length; s++) {
      const shard: ClusterShard = { shard: s + 1, weight: weights[s]!, replicas: [] };
      shards.push(shard);
      for (let r = 0; r < replicaCount; r++) {
        const replica = `r${r + 1}`;
        jobs.push(
          (async () => {
            const server = await startLocalServer({
              configXml: replicaConfigXml(zk, { shard: s + 1, replica, interserverPort: await getFreePort() }),
              profileSettings: options.profileSettings,
              log: options.log,
            });
            started.push(server);
            shard.replicas[r] = { shard: s + 1, replica, server, address: `${server.host}:${server.port}` };
          })(),
        );
      }
    }
    const results = await Promise.allSettled(jobs);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;

    // Now that every port is known: the cluster definition, then a restart so that each server reads it.
    const xml = remoteServersXml(
      name,
      shards.map((s) => ({ weight: s.weight, replicas: s.replicas.map((r) => r.server) })),
    );
    const servers = shards.flatMap((s) => s.replicas.map((r) => r.server));
    await Promise.all(servers.map((server) => fsp.writeFile(path.join(server.dir, 'config.d', 'zz-cluster.xml'), xml)));
    await Promise.all(servers.map((server) => server.restart()));
    for (const server of servers) {
      const text = await adminQuery(server, `SELECT count() FROM system.clusters WHERE cluster = '${name}'`);
      if (Number(text.trim()) !== servers.length) {
        throw new Error(
          `server ${server.port} sees ${text.trim()} replicas in cluster ${name}, expected ${servers.length}`,
        );
      }
    }
    return {
      name,
      zk,
      shards,
      servers,
      onEveryServer: (sql) => Promise.all(servers.filter((s) => s.running).map((s) => adminQuery(s, sql))),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
