/**
 * `client.shardedInserter({ cluster, table, sharding_key })`: client-side sharding into a ClickHouse cluster.
 *
 * Each row's shard is picked exactly as the Distributed engine picks it (DistributedBlockOutputStream and
 * createBlockSelector in the server): the sharding key is evaluated (by our own evaluator, which the client hands in
 * as `compileKey`: src/expressions);
 * it must be an integer of at most 64 bits; a signed value is read as the unsigned integer of the same width (Int8 -1
 * is 255, Int64 -1 is 2^64 - 1); that value modulo the total weight is a slot, and the slots go to the shards in
 * order, `weight` slots each (weights 1 and 2: slot 0 is shard 1, slots 1 and 2 are shard 2).
 *
 * Each shard's rows then go straight to its local table on one of its replicas, through a client of its own whose
 * hosts are the shard's replicas: failover between replicas on connect errors, and the idempotent insert retries
 * (identical blocks resent; ReplicatedMergeTree drops a block it already has, whichever replica took it).
 *
 * With `target: 'distributed'`, rows go instead to `table`, a Distributed table, through the client's own hosts:
 * the server shards them.
 */
import { quoteString } from '../columns/type-parser.js';
import type { LoadBalancing } from '../connection/multi-host.js';
import { ClickHouseNativeError, InvalidValueError } from '../errors.js';
import type { Settings } from '../protocol/settings.js';
import type { ColumnarInput, InsertRow } from './input.js';
import { quoteIdentifier, type InsertResult } from './insert.js';
import type { InsertRetryConfig } from './retry.js';
import { splitTopLevel } from './sql-text.js';
import { splitTableName } from './table-name.js';

export interface ShardSpec {
  /** Default 1. A shard of weight 0 gets no rows (as in the server). */
  weight?: number;
  /** `host:port` of each replica. */
  replicas: readonly string[];
}

export interface ShardedInserterOptions {
  /**
   * A cluster name from `system.clusters` (of the client's server), or the shards themselves. Omitted when `table`
   * is a Distributed table: its cluster is used.
   */
  cluster?: string | readonly ShardSpec[];
  /**
   * The local table each shard's rows go to (`t` or `db.t`). A Distributed table may be named instead: its local
   * table, cluster and sharding key are read from its definition (SHOW CREATE TABLE).
   */
  table: string;
  /** The sharding key expression, as in `Distributed(cluster, db, table, sharding_key)`. */
  sharding_key?: string;
  /**
   * 'shards' (default): client-side sharding, each shard's rows to one of its replicas. 'distributed': every row
   * to `table`, a Distributed table, on the client's hosts (the server shards).
   */
  target?: 'shards' | 'distributed';
  /** How a shard's replicas are picked. Default: the client's load_balancing. */
  load_balancing?: LoadBalancing;
  /** Settings for every INSERT. */
  clickhouse_settings?: Settings;
  /** Retries of each shard's INSERT. Default: the client's insert_retry. */
  retry?: InsertRetryConfig | false;
}

/** What the inserter needs of a client (ClickHouseClient fits). */
export interface ShardedClient {
  query<T>(params: { query: string }): Promise<{ json(): Promise<T[]> }>;
  insert(params: {
    table: string;
    values: readonly InsertRow[] | ColumnarInput;
    columns?: readonly string[];
    clickhouse_settings?: Settings;
    retry?: InsertRetryConfig | false;
    defaults?: 'client' | 'server';
  }): Promise<InsertResult>;
  serverInfo(): Promise<{ timezone: string }>;
  close(): Promise<void>;
}

/** A sharding key compiled against the local table's columns. */
export interface ShardingKey {
  /** The expression as given. */
  readonly sql: string;
  /** Its result type name. */
  readonly type: string;
  /** The columns it reads. */
  readonly columns: readonly string[];
  /** Its value for each of `rows` rows of the given columns. */
  evaluate(columns: Record<string, ArrayLike<unknown>>, rows: number): ArrayLike<unknown>;
}

export interface ShardedInserterContext {
  /** The client the inserter was made from: cluster lookups, and the Distributed target. */
  client: ShardedClient;
  /** A client for one shard: its replicas as hosts. */
  shardClient(replicas: readonly string[], loadBalancing: LoadBalancing | undefined): ShardedClient;
  /** Compiles the sharding key against the local table's column types, in the server's time zone. */
  compileKey(sql: string, columnTypes: ReadonlyMap<string, string>, timezone: string): ShardingKey;
}

export interface ShardLayout {
  /** 1-based, in the cluster's order. */
  shard: number;
  weight: number;
  replicas: string[];
}

export interface ShardedInsertResult {
  rows: number;
  /** One entry per shard that got rows. */
  shards: { shard: number; rows: number; query_id: string }[];
}

interface Resolved {
  localTable: string;
  shards: ShardLayout[];
  clients: ShardedClient[];
  key: ShardingKey;
  /** Slot → shard index (0-based). */
  slots: Uint32Array;
}

const INTEGER_KEY_TYPES = new Set(['UInt8', 'UInt16', 'UInt32', 'UInt64', 'Int8', 'Int16', 'Int32', 'Int64']);

/** Slot → shard index: `weight` slots per shard, shards in order (the server's Cluster::slot_to_shard). */
export function slotsOf(weights: readonly number[]): Uint32Array {
  const total = weights.reduce((a, b) => a + b, 0);
  if (total <= 0) throw new InvalidValueError("The shards' weights add up to 0: no shard can take rows");
  const slots = new Uint32Array(total);
  let at = 0;
  weights.forEach((weight, shard) => {
    slots.fill(shard, at, at + weight);
    at += weight;
  });
  return slots;
}

/**
 * Each row's shard index (0-based) from the sharding key's values, as the server's createBlockSelector computes it:
 * the key as an unsigned integer of its own width, modulo the total weight, through the slots.
 */
export function shardIndexes(
  keyType: string,
  values: ArrayLike<unknown>,
  rows: number,
  slots: Uint32Array,
): Uint32Array {
  if (!INTEGER_KEY_TYPES.has(keyType)) {
    throw new InvalidValueError(`The sharding key must be an integer type (UInt8..Int64), but it is ${keyType}`);
  }
  const total = slots.length;
  const totalBig = BigInt(total);
  const out = new Uint32Array(rows);
  const mask = keyType === 'Int8' ? 0xff : keyType === 'Int16' ? 0xffff : undefined;
  for (let i = 0; i < rows; i++) {
    const v = values[i] as number | bigint;
    let slot: number;
    if (typeof v === 'bigint') slot = Number(BigInt.asUintN(64, v) % totalBig);
    else if (mask !== undefined) slot = (v & mask) % total;
    else slot = (v >>> 0) % total; // Int32 as UInt32; UInt8..UInt32 unchanged
    out[i] = slots[slot]!;
  }
  return out;
}

function unquote(s: string): string {
  const m = /^(['`"])(.*)\1$/s.exec(s);
  return m ? m[2]!.replace(/\\(.)/g, '$1') : s;
}

/** The arguments of `ENGINE = Distributed(cluster, db, table[, key])` in a CREATE statement, or undefined. */
export function parseDistributedEngine(
  create: string,
): { cluster: string; database: string; table: string; shardingKey: string | undefined } | undefined {
  const m = /ENGINE\s*=\s*Distributed\s*\(/i.exec(create);
  if (!m) return undefined;
  let depth = 1;
  let i = m.index + m[0].length;
  let quote: string | undefined;
  for (; i < create.length && depth > 0; i++) {
    const c = create[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '`' || c === '"') quote = c;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
  }
  const args = splitTopLevel(create.slice(m.index + m[0].length, i - 1)).parts;
  if (args.length < 3) return undefined;
  return { cluster: unquote(args[0]!), database: unquote(args[1]!), table: unquote(args[2]!), shardingKey: args[3] };
}

export class ShardedInserter {
  private resolving: Promise<Resolved> | undefined;
  private closed = false;

  constructor(
    private readonly options: ShardedInserterOptions,
    private readonly context: ShardedInserterContext,
  ) {
    if (typeof options.table !== 'string' || options.table === '')
      throw new InvalidValueError('shardedInserter: table is required');
    if (options.target !== undefined && options.target !== 'shards' && options.target !== 'distributed') {
      throw new InvalidValueError(
        `shardedInserter: target must be 'shards' or 'distributed', got ${String(options.target)}`,
      );
    }
  }

  /** The shards, their weights and replicas, and the local table (resolved on first use). */
  async layout(): Promise<{ table: string; sharding_key: string; shards: ShardLayout[] }> {
    const r = await this.resolve();
    return {
      table: r.localTable,
      sharding_key: r.key.sql,
      shards: r.shards.map((s) => ({ ...s, replicas: [...s.replicas] })),
    };
  }

  /** Each row's shard (1-based), by the rule above. */
  async shardsOf(values: readonly InsertRow[] | ColumnarInput): Promise<Uint32Array> {
    const r = await this.resolve();
    const indexes = this.indexes(r, values);
    return indexes.map((i) => i + 1);
  }

  /** Inserts the rows: each shard's share to one of its replicas (or all to the Distributed table), in parallel. */
  async insert(
    values: readonly InsertRow[] | ColumnarInput,
    params: { columns?: readonly string[] } = {},
  ): Promise<ShardedInsertResult> {
    if (this.closed) throw new ClickHouseNativeError('The sharded inserter is closed');
    const settings = this.options.clickhouse_settings;
    if (this.options.target === 'distributed') {
      const result = await this.context.client.insert({
        table: this.options.table,
        values,
        columns: params.columns,
        clickhouse_settings: settings,
        retry: this.options.retry,
        // 18.16 forwards insert_sample_with_metadata (sent for client-side defaults) to the other shards, whose
        // TableColumns answer its Distributed sender does not expect: the Distributed table computes its defaults.
        defaults: 'server',
      });
      return { rows: result.rows, shards: [{ shard: 0, rows: result.rows, query_id: result.query_id }] };
    }
    const r = await this.resolve();
    const indexes = this.indexes(r, values);
    const parts = split(values, indexes, r.shards.length);
    const results = await Promise.all(
      parts.map(async (part, i) => {
        if (part.rows === 0) return undefined;
        const result = await r.clients[i]!.insert({
          table: r.localTable,
          values: part.values,
          columns: params.columns,
          clickhouse_settings: settings,
          retry: this.options.retry,
        });
        return { shard: r.shards[i]!.shard, rows: part.rows, query_id: result.query_id };
      }),
    );
    const shards = results.filter((x): x is NonNullable<typeof x> => x !== undefined);
    return { rows: shards.reduce((n, s) => n + s.rows, 0), shards };
  }

  /** Closes the shards' clients (not the client the inserter was made from). */
  async close(): Promise<void> {
    this.closed = true;
    const resolving = this.resolving;
    if (!resolving) return;
    const r = await resolving.catch(() => undefined);
    if (r) await Promise.all(r.clients.map((c) => c.close()));
  }

  private indexes(r: Resolved, values: readonly InsertRow[] | ColumnarInput): Uint32Array {
    const rows = Array.isArray(values) ? values.length : rowCount(values as ColumnarInput);
    // Keyed by column names: no prototype for a column named `__proto__` to reach.
    const columns: Record<string, ArrayLike<unknown>> = Object.create(null);
    for (const name of r.key.columns) {
      if (Array.isArray(values)) {
        const column = new Array(rows);
        for (let i = 0; i < rows; i++) {
          const v = (values as readonly InsertRow[])[i]![name];
          if (v === undefined)
            throw new InvalidValueError(`Row ${i} has no value for ${name}, which the sharding key reads`);
          column[i] = v;
        }
        columns[name] = column;
      } else {
        const column = (values as ColumnarInput)[name];
        if (column === undefined) throw new InvalidValueError(`No column ${name}, which the sharding key reads`);
        columns[name] = column as ArrayLike<unknown>;
      }
    }
    const keys = r.key.evaluate(columns, rows);
    return shardIndexes(r.key.type, keys, rows, r.slots);
  }

  private resolve(): Promise<Resolved> {
    this.resolving ??= this.doResolve();
    this.resolving.catch(() => {
      this.resolving = undefined;
    });
    return this.resolving;
  }

  private async doResolve(): Promise<Resolved> {
    const { client } = this.context;
    let cluster = this.options.cluster;
    let table = this.options.table;
    let shardingKey = this.options.sharding_key;
    if (this.options.target === 'distributed')
      throw new ClickHouseNativeError('A distributed target has no client-side layout');

    if (cluster === undefined || shardingKey === undefined) {
      const { database, name } = splitTableName(table);
      const create = await client.query<{ statement: string }>({
        query: `SHOW CREATE TABLE ${database ? `${quoteIdentifier(database)}.` : ''}${quoteIdentifier(name)}`,
      });
      const text = ((await create.json())[0]?.statement ?? '').toString();
      const engine = parseDistributedEngine(text);
      if (!engine) {
        throw new InvalidValueError(
          `shardedInserter: ${table} is not a Distributed table: pass cluster and sharding_key`,
        );
      }
      if (engine.shardingKey === undefined && shardingKey === undefined) {
        throw new InvalidValueError(
          `shardedInserter: the Distributed table ${table} has no sharding key: pass sharding_key`,
        );
      }
      cluster ??= engine.cluster;
      shardingKey ??= engine.shardingKey;
      table = `${quoteIdentifier(engine.database)}.${quoteIdentifier(engine.table)}`;
    }

    let shards: ShardLayout[];
    if (typeof cluster === 'string') {
      const result = await client.query<{
        shard_num: number;
        shard_weight: number;
        host_address: string;
        port: number;
      }>({
        query:
          'SELECT shard_num, shard_weight, host_address, port FROM system.clusters ' +
          `WHERE cluster = ${quoteString(cluster)} ORDER BY shard_num, replica_num`,
      });
      const rows = await result.json();
      if (rows.length === 0) throw new InvalidValueError(`shardedInserter: no cluster ${cluster} in system.clusters`);
      const byShard = new Map<number, ShardLayout>();
      for (const row of rows) {
        const shard = Number(row.shard_num);
        let layout = byShard.get(shard);
        if (!layout) byShard.set(shard, (layout = { shard, weight: Number(row.shard_weight), replicas: [] }));
        const host = row.host_address.includes(':') ? `[${row.host_address}]` : row.host_address;
        layout.replicas.push(`${host}:${Number(row.port)}`);
      }
      shards = [...byShard.values()];
    } else if (Array.isArray(cluster) && cluster.length > 0) {
      shards = cluster.map((spec, i) => {
        const weight = spec.weight ?? 1;
        if (!Number.isInteger(weight) || weight < 0)
          throw new InvalidValueError(`shard ${i + 1}: weight must be a non-negative integer`);
        if (!Array.isArray(spec.replicas) || spec.replicas.length === 0)
          throw new InvalidValueError(`shard ${i + 1}: no replicas`);
        return { shard: i + 1, weight, replicas: [...spec.replicas] };
      });
    } else {
      throw new InvalidValueError('shardedInserter: cluster must be a cluster name or a non-empty array of shards');
    }
    const slots = slotsOf(shards.map((s) => s.weight));
    const clients = shards.map((s) => this.context.shardClient(s.replicas, this.options.load_balancing));
    try {
      // The local table's columns and the server's time zone, from the first shard: the key is compiled against them.
      const first = clients[slots[0]!]!;
      const { database, name } = splitTableName(table);
      const result = await first.query<{ name: string; type: string }>({
        query:
          'SELECT name, type FROM system.columns WHERE database = ' +
          `${database === undefined ? 'currentDatabase()' : quoteString(database)} AND table = ${quoteString(name)}`,
      });
      const columns = await result.json();
      if (columns.length === 0)
        throw new InvalidValueError(`shardedInserter: no table ${table} on shard ${shards[slots[0]!]!.shard}`);
      const { timezone } = await first.serverInfo();
      const key = this.context.compileKey(shardingKey!, new Map(columns.map((c) => [c.name, c.type])), timezone);
      if (!INTEGER_KEY_TYPES.has(key.type)) {
        throw new InvalidValueError(
          `The sharding key ${shardingKey} must be an integer type (UInt8..Int64), but it is ${key.type}`,
        );
      }
      return { localTable: table, shards, clients, key, slots };
    } catch (error) {
      await Promise.all(clients.map((c) => c.close()));
      throw error;
    }
  }
}

function rowCount(values: ColumnarInput): number {
  for (const column of Object.values(values)) return (column as ArrayLike<unknown>).length;
  return 0;
}

type TypedArray = ArrayLike<number | bigint> & {
  constructor: new (length: number) => { [i: number]: number | bigint };
};

/** The rows of each shard, in their order; typed-array columns stay typed arrays. */
function split(
  values: readonly InsertRow[] | ColumnarInput,
  indexes: Uint32Array,
  shards: number,
): { rows: number; values: readonly InsertRow[] | ColumnarInput }[] {
  const counts = new Array<number>(shards).fill(0);
  for (let i = 0; i < indexes.length; i++) counts[indexes[i]!]!++;
  if (Array.isArray(values)) {
    const out = counts.map(() => [] as InsertRow[]);
    for (let i = 0; i < indexes.length; i++) out[indexes[i]!]!.push((values as readonly InsertRow[])[i]!);
    return out.map((rows) => ({ rows: rows.length, values: rows }));
  }
  const columnar = values as ColumnarInput;
  const parts = counts.map((rows) => ({ rows, values: Object.create(null) as ColumnarInput }));
  for (const [name, column] of Object.entries(columnar)) {
    const source = column as ArrayLike<unknown>;
    const typed = ArrayBuffer.isView(source) && !(source instanceof DataView);
    const targets = counts.map((n) =>
      typed ? new (source as unknown as TypedArray).constructor(n) : new Array(n),
    ) as unknown as {
      [i: number]: unknown;
    }[];
    const at = new Array<number>(shards).fill(0);
    for (let i = 0; i < indexes.length; i++) {
      const s = indexes[i]!;
      targets[s]![at[s]!++] = source[i];
    }
    targets.forEach((target, s) => {
      (parts[s]!.values as Record<string, unknown>)[name] = target;
    });
  }
  return parts;
}
