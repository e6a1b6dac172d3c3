/**
 * Whether the server deduplicates an insert's blocks, which is what makes resending them after an unknown outcome
 * safe (README, "Reliable inserts"). The default retry policy resends only when this says yes; otherwise an insert
 * whose data went out without an answer throws InsertOutcomeUnknownError, so no row is ever stored twice by a
 * retry of ours.
 *
 * The facts come from the server (system.tables, system.merge_tree_settings, system.settings read with the insert's
 * own settings); this file only decides. ClickHouse deduplicates an INSERT's blocks when:
 *  - the table is a Replicated*MergeTree (block ids kept in ZooKeeper/Keeper), or a non-replicated *MergeTree whose
 *    `non_replicated_deduplication_window` (a table setting, else the server's merge_tree default) is above 0;
 *  - and deduplication is on for this insert: `insert_deduplicate` = 1 for a synchronous insert,
 *    `async_insert_deduplicate` = 1 for an async one (`async_insert` = 1), both overridden from 26.2 by
 *    `deduplicate_insert` ('enable' / 'disable'; 'backward_compatible_choice' defers to the two above). Servers
 *    from 26.2 default to async_insert = 1 with deduplicate_insert = 'enable', which deduplicates async inserts
 *    into non-replicated tables with a window as well (verified on 26.7); before, async_insert_deduplicate applied
 *    to replicated tables only, so an async insert into a non-replicated table is not trusted then.
 * `insert_deduplication_token` changes how blocks are identified, not whether they are deduplicated: it is honoured
 * only where the above holds. Anything else (Memory, Log, Null, Distributed, views, a table that is not found) is
 * taken as not deduplicated.
 */

export interface DeduplicationFacts {
  /** system.tables.engine, undefined when the table was not found. */
  engine: string | undefined;
  /** system.tables.engine_full (holds the table's SETTINGS clause). */
  engineFull: string | undefined;
  /** The server's merge_tree default of non_replicated_deduplication_window; undefined when it has no such setting. */
  serverNonReplicatedWindow: number | undefined;
  /** system.settings values as the insert sees them (its clickhouse_settings applied), by name; absent = unknown. */
  settings: Readonly<Record<string, string>>;
}

export interface DeduplicationVerdict {
  deduplicated: boolean;
  /** Why, in words a user can act on. */
  reason: string;
}

/** The settings the decision reads from system.settings. */
export const DEDUPLICATION_SETTINGS = [
  'insert_deduplicate',
  'deduplicate_insert',
  'async_insert',
  'async_insert_deduplicate',
] as const;

/** The value of a table setting in engine_full's SETTINGS clause, e.g. `... SETTINGS index_granularity = 8192, x = 5`. */
export function tableSetting(engineFull: string | undefined, name: string): string | undefined {
  if (!engineFull) return undefined;
  const at = engineFull.lastIndexOf(' SETTINGS ');
  if (at < 0) return undefined;
  for (const part of engineFull.slice(at + ' SETTINGS '.length).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name)
      return part
        .slice(eq + 1)
        .trim()
        .replace(/^'(.*)'$/, '$1');
  }
  return undefined;
}

const isOn = (value: string | undefined): boolean => value === '1' || value === 'true';

export function decideDeduplication(table: string, facts: DeduplicationFacts): DeduplicationVerdict {
  const engine = facts.engine;
  if (engine === undefined) return { deduplicated: false, reason: `table ${table} was not found in system.tables` };
  const isMergeTree = engine.endsWith('MergeTree');
  const replicated = isMergeTree && engine.startsWith('Replicated');
  if (!isMergeTree)
    return { deduplicated: false, reason: `${table} is a ${engine} table, which does not deduplicate inserted blocks` };
  const settings = facts.settings;
  const async = isOn(settings.async_insert);
  const mode = settings.deduplicate_insert;
  if (mode === 'disable') return { deduplicated: false, reason: `deduplicate_insert = 'disable' for this insert` };
  if (mode !== 'enable') {
    if (async && !isOn(settings.async_insert_deduplicate)) {
      return {
        deduplicated: false,
        reason: 'this is an async insert (async_insert = 1) without async_insert_deduplicate = 1',
      };
    }
    if (!async && settings.insert_deduplicate !== undefined && !isOn(settings.insert_deduplicate)) {
      return { deduplicated: false, reason: 'insert_deduplicate = 0 for this insert' };
    }
  }
  if (replicated) return { deduplicated: true, reason: `${table} is a ${engine} table with insert deduplication on` };
  if (async && mode !== 'enable') {
    // async_insert_deduplicate speaks of replicated tables only; 'enable' (26.2+) covers both, verified on 26.7.
    return { deduplicated: false, reason: `${table} is a non-replicated ${engine} table and this is an async insert` };
  }
  const own = tableSetting(facts.engineFull, 'non_replicated_deduplication_window');
  const window = own !== undefined ? Number(own) : facts.serverNonReplicatedWindow;
  if (window !== undefined && window > 0) {
    return {
      deduplicated: true,
      reason: `${table} is a ${engine} table with non_replicated_deduplication_window = ${window}`,
    };
  }
  return {
    deduplicated: false,
    reason:
      `${table} is a ${engine} table without non_replicated_deduplication_window` +
      (facts.serverNonReplicatedWindow === undefined ? ' (this server has no such setting)' : ' (it is 0)') +
      ', so a resent block could be stored twice',
  };
}
