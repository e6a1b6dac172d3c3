/**
 * A real cluster: ZooKeeper and four 18.16 servers on 127.0.0.1 (2 shards × 2 replicas, weights 1 and 2,
 * ReplicatedMergeTree), started and stopped by test/harness/cluster.ts.
 *
 *  - several hosts: failover past a dead host, and a killed host comes back healthy after its restart;
 *  - 1M rows sharded on the client land exactly where the Distributed engine puts the same rows (a twin table filled
 *    through a Distributed table, compared shard by shard), and the replicas agree;
 *  - a replica killed in the middle of a sharded stream: no row lost, none stored twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type ClickHouseClient } from '../../src/index.js';
import { shardIndexes, slotsOf, parseDistributedEngine } from '../../src/insert/sharded.js';
import { clusterRows, startCluster, type LocalCluster } from '../harness/cluster.js';
import { adminQuery, getFreePort, type LocalServer } from '../harness/server.js';

const ROWS = 1_000_000;
const CHUNK = 250_000;
const KEY = 'cityHash64(s)';

let cluster: LocalCluster;
let client: ClickHouseClient;

const schema = (table: string) =>
  `CREATE TABLE ${table} (id UInt64, s String, v Float64) ` +
  `ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/${table}', '{replica}') ORDER BY id`;

async function one(server: LocalServer, sql: string): Promise<string> {
  return (await adminQuery(server, sql)).trim();
}

async function syncReplicas(table: string): Promise<void> {
  await cluster.onEveryServer(`SYSTEM SYNC REPLICA ${table}`);
}

/** count, distinct ids, sum(id), a checksum of the rows: the same on two tables means the same rows. */
const fingerprint = (table: string) =>
  `SELECT count(), uniqExact(id), sum(id), sum(cityHash64(id, s, v)) FROM ${table}`;

describe('cluster: several hosts and client-side sharding', () => {
  beforeAll(async () => {
    cluster = await startCluster({ name: 'test_cluster', weights: [1, 2], replicas: 2 });
    for (const table of ['ev', 'ev_twin', 'ev_kill']) await cluster.onEveryServer(schema(table));
    await cluster.onEveryServer(
      `CREATE TABLE ev_dist AS ev_twin ENGINE = Distributed(test_cluster, default, ev_twin, ${KEY})`,
    );
    client = createClient({
      hosts: cluster.servers.map((s) => `${s.host}:${s.port}`),
      load_balancing: 'round_robin',
      connect_timeout_ms: 2000,
      request_timeout_ms: 30_000,
      insert_block_rows: 125_000,
    });
  }, 180_000);

  afterAll(async () => {
    await client?.close();
    await cluster?.stop();
  }, 60_000);

  it('fails over past a host that refuses connections, in every load-balancing mode', async () => {
    const dead = `127.0.0.1:${await getFreePort()}`;
    const live = cluster.servers[0]!;
    for (const mode of ['in_order', 'round_robin', 'random', 'first_or_random'] as const) {
      const c = createClient({
        hosts: [dead, `${live.host}:${live.port}`],
        load_balancing: mode,
        connect_timeout_ms: 1000,
      });
      try {
        for (let i = 0; i < 4; i++) {
          const rows = await (await c.query<{ p: string }>({ query: 'SELECT 1 AS p' })).json();
          expect(rows.length).toBe(1);
        }
        expect((await c.ping()).success).toBe(true);
        if (mode === 'in_order') {
          const status = c.hostStatus()!;
          expect(status[0]!.healthy).toBe(false);
          expect(status[0]!.failures).toBeGreaterThan(0);
          expect(status[1]!.healthy).toBe(true);
        }
      } finally {
        await c.close();
      }
    }
    const none = createClient({ hosts: [dead], connect_timeout_ms: 1000 });
    await expect(none.query({ query: 'SELECT 1' })).rejects.toThrow(/No host could be reached/);
    await none.close();
  });

  it('reads the cluster and the placement rule the Distributed engine uses', async () => {
    const inserter = client.shardedInserter({ table: 'ev_dist' });
    try {
      const layout = await inserter.layout();
      expect(layout.sharding_key).toBe(KEY);
      expect(layout.table).toBe('`default`.`ev_twin`');
      expect(layout.shards.map((s) => s.weight)).toEqual([1, 2]);
      expect(layout.shards.map((s) => s.replicas)).toEqual(cluster.shards.map((s) => s.replicas.map((r) => r.address)));
    } finally {
      await inserter.close();
    }
    expect(parseDistributedEngine("ENGINE = Distributed('c', 'db', 't', intHash64(a, 'x,y'))")).toEqual({
      cluster: 'c',
      database: 'db',
      table: 't',
      shardingKey: "intHash64(a, 'x,y')",
    });
    // Signed keys are read as unsigned of their own width (createBlockSelector): Int8 -1 → 255, Int64 -1 → 2^64 - 1.
    const slots = slotsOf([1, 2, 4]);
    expect([...shardIndexes('Int8', [-1, 0, 6], 3, slots)]).toEqual([slots[255 % 7], 0, 2]);
    expect([...shardIndexes('Int32', [-1], 1, slots)]).toEqual([slots[4294967295 % 7]]);
    expect([...shardIndexes('Int64', [-1n], 1, slots)]).toEqual([slots[Number((2n ** 64n - 1n) % 7n)]]);
    expect(() => shardIndexes('Float64', [1], 1, slots)).toThrow(/integer/);
  });

  it('puts 1M client-sharded rows on the shards the Distributed engine picks, and the replicas agree', async () => {
    const sharded = client.shardedInserter({ cluster: 'test_cluster', table: 'ev', sharding_key: KEY });
    const started = Date.now();
    try {
      for (let start = 0; start < ROWS; start += CHUNK) {
        const result = await sharded.insert(clusterRows(start, CHUNK));
        expect(result.rows).toBe(CHUNK);
      }
    } finally {
      await sharded.close();
    }
    const clientMs = Date.now() - started;
    // The same rows through the Distributed table, synchronously, into the twin table.
    for (let start = 0; start < ROWS; start += CHUNK) {
      // With the client's default (client-side defaults): a Distributed table keeps server-side defaults, since
      // 18.16 would forward the TableColumns setting to the shards and then fail on their TableColumns packet.
      await client.insert({
        table: 'ev_dist',
        values: clusterRows(start, CHUNK),
        clickhouse_settings: { insert_distributed_sync: 1 },
      });
    }
    await syncReplicas('ev');
    await syncReplicas('ev_twin');

    let total = 0;
    for (const shard of cluster.shards) {
      const [r1, r2] = shard.replicas.map((r) => r.server);
      const mine = await one(r1!, fingerprint('ev'));
      const twin = await one(r1!, fingerprint('ev_twin'));
      expect(mine, `shard ${shard.shard}: client-sharded rows = Distributed rows`).toBe(twin);
      expect(await one(r2!, fingerprint('ev')), `shard ${shard.shard}: replicas agree`).toBe(mine);
      expect(await one(r2!, fingerprint('ev_twin'))).toBe(twin);
      // Row by row: every row on shard 1 has cityHash64(s) % 3 < 1, every row on shard 2 the rest.
      const rule = shard.shard === 1 ? `${KEY} % 3 >= 1` : `${KEY} % 3 < 1`;
      expect(await one(r1!, `SELECT count() FROM ev WHERE ${rule}`)).toBe('0');
      const count = Number(mine.split('\t')[0]);
      expect(count).toBeGreaterThan(0);
      total += count;
    }
    expect(total).toBe(ROWS);
    console.log(`client-sharded insert of ${ROWS} rows: ${clientMs} ms`);
  }, 240_000);

  it('loses nothing and stores nothing twice when a replica is killed in the middle of the stream', async () => {
    const rows = 200_000;
    const per = 10_000;
    // in_order: every shard writes to its first replica until it dies, then to the second.
    const sharded = client.shardedInserter({
      cluster: 'test_cluster',
      table: 'ev_kill',
      sharding_key: KEY,
      load_balancing: 'in_order',
      retry: { attempts: 20, initial_delay_ms: 50, max_delay_ms: 500, on_retry: () => void retries++ },
    });
    let retries = 0;
    const victim = cluster.shards[1]!.replicas[0]!.server;
    let killed = false;
    try {
      for (let start = 0, n = 0; start < rows; start += per, n++) {
        const insert = sharded.insert(clusterRows(start, per));
        if (n === 8) {
          // While chunk 8 is on its way.
          await new Promise((resolve) => setTimeout(resolve, 5));
          await victim.kill('SIGKILL');
          killed = true;
        }
        expect((await insert).rows).toBe(per);
      }
    } finally {
      await sharded.close();
    }
    expect(killed).toBe(true);
    console.log(`replica killed mid-stream: ${retries} insert retries`);
    // The client's own multi-host pool: queries while the victim is down fail over, and mark it down.
    const address = `${victim.host}:${victim.port}`;
    const statusOf = () => client.hostStatus()!.find((h) => `${h.host}:${h.port}` === address)!;
    for (let i = 0; i < 8; i++) await client.query({ query: 'SELECT 1' }).then((r) => r.json());
    expect(statusOf().healthy).toBe(false);
    await victim.restart();
    await syncReplicas('ev_kill');
    let total = 0;
    for (const shard of cluster.shards) {
      const [r1, r2] = shard.replicas.map((r) => r.server);
      const a = await one(r1!, fingerprint('ev_kill'));
      expect(await one(r2!, fingerprint('ev_kill')), `shard ${shard.shard}: replicas agree`).toBe(a);
      const [count, distinct] = a.split('\t').map(Number);
      expect(distinct, `shard ${shard.shard}: no duplicates`).toBe(count);
      total += count!;
    }
    expect(total).toBe(rows);
    const all = await one(
      cluster.servers[0]!,
      `SELECT count(), uniqExact(id), min(id), max(id) FROM cluster(test_cluster, default, ev_kill)`,
    );
    expect(all).toBe(`${rows}\t${rows}\t0\t${rows - 1}`);

    // Restarted, the victim is brought back by the pool's health check (a ping once its back-off ran out).
    const deadline = Date.now() + 40_000;
    for (;;) {
      const status = statusOf();
      if (status.healthy) break;
      if (Date.now() > deadline) throw new Error(`host ${address} never came back: ${JSON.stringify(status)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }, 180_000);
});
