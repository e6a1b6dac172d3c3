/**
 * Cluster inserts: rows/s of client-side sharding (`client.shardedInserter`, each shard's rows straight into its
 * local ReplicatedMergeTree table) against the same rows inserted through a Distributed table, on a local cluster of
 * four 18.16 servers (2 shards × 2 replicas, weights 1 and 2, ZooKeeper) started by test/harness/cluster.ts.
 *
 *   npx tsx bench/cluster.ts            # CLUSTER_ROWS=2000000 CLUSTER_CHUNK=250000 by default
 *
 * Three ways, each into its own fresh table, the same rows (id UInt64, s String, v Float64; key cityHash64(s)):
 *   - client-sharded: the client computes each row's shard and inserts the shards in parallel;
 *   - Distributed, insert_distributed_sync=1: the INSERT returns once every shard has its rows (like-for-like);
 *   - Distributed, async (the server's default): the INSERT returns once the rows are queued on the receiving
 *     server's disk; the timing then waits until the tables hold every row (the background sends).
 * Each INSERT is one chunk; the chunks go one after the other. Wall clock on a shared 2-core machine that also runs
 * the four servers and ZooKeeper: compare the ratios of one run.
 */
import { createClient, type ColumnarInput } from '../src/index.js';
import { clusterRows, startCluster } from '../test/harness/cluster.js';
import { adminQuery } from '../test/harness/server.js';

const ROWS = Number(process.env.CLUSTER_ROWS ?? 2_000_000);
const CHUNK = Number(process.env.CLUSTER_CHUNK ?? 250_000);
const KEY = 'cityHash64(s)';

const chunks: ColumnarInput[] = [];
for (let start = 0; start < ROWS; start += CHUNK) chunks.push(clusterRows(start, Math.min(CHUNK, ROWS - start)));

const cluster = await startCluster({ name: 'bench_cluster', weights: [1, 2], replicas: 2 });
const client = createClient({
  hosts: cluster.servers.map((s) => `${s.host}:${s.port}`),
  load_balancing: 'round_robin',
  request_timeout_ms: 120_000,
});
try {
  for (const table of ['cs', 'ds', 'da']) {
    await cluster.onEveryServer(
      `CREATE TABLE ${table} (id UInt64, s String, v Float64) ` +
        `ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/${table}', '{replica}') ORDER BY id`,
    );
    await cluster.onEveryServer(
      `CREATE TABLE ${table}_dist AS ${table} ENGINE = Distributed(bench_cluster, default, ${table}, ${KEY})`,
    );
  }
  /** Rows on the cluster (one replica per shard). */
  const countOf = async (table: string) =>
    Number(
      (await adminQuery(cluster.servers[0]!, `SELECT count() FROM cluster(bench_cluster, default, ${table})`)).trim(),
    );

  const results: { name: string; ms: number }[] = [];
  const time = async (name: string, run: () => Promise<void>) => {
    const t0 = performance.now();
    await run();
    const ms = performance.now() - t0;
    results.push({ name, ms });
  };

  // The inserter reads the cluster and the table once; that and the evaluator's warm-up stay out of the timing.
  const sharded = client.shardedInserter({ cluster: 'bench_cluster', table: 'cs', sharding_key: KEY });
  await sharded.shardsOf(chunks[0]!);
  await time('client-sharded (shardedInserter, straight into the shards)', async () => {
    for (const c of chunks) await sharded.insert(c);
  });
  await sharded.close();
  await time('Distributed table, insert_distributed_sync=1', async () => {
    for (const c of chunks) {
      await client.insert({
        table: 'ds_dist',
        values: c,
        defaults: 'server',
        clickhouse_settings: { insert_distributed_sync: 1 },
      });
    }
  });
  await time('Distributed table, async (until every row landed)', async () => {
    for (const c of chunks) await client.insert({ table: 'da_dist', values: c, defaults: 'server' });
    while ((await countOf('da')) < ROWS) await new Promise((resolve) => setTimeout(resolve, 50));
  });
  for (const table of ['cs', 'ds', 'da']) {
    const n = await countOf(table);
    if (n !== ROWS) throw new Error(`${table}: ${n} rows, expected ${ROWS}`);
  }

  console.log(
    `\n${ROWS.toLocaleString('en')} rows (id UInt64, s String, v Float64), ${CHUNK.toLocaleString('en')} per INSERT, key ${KEY}, weights 1:2\n`,
  );
  console.log('| Insert path | Time | Rows/s | vs client-sharded |');
  console.log('|---|---:|---:|---:|');
  const base = results[0]!.ms;
  for (const r of results) {
    console.log(
      `| ${r.name} | ${(r.ms / 1000).toFixed(2)} s | ${(((ROWS / r.ms) * 1000) / 1e6).toFixed(2)} M | ${(base / r.ms).toFixed(2)}× |`,
    );
  }
} finally {
  await client.close();
  await cluster.stop();
}
