/**
 * Client-side DEFAULT / MATERIALIZED columns in the INSERT flow (README, "Client-side defaults").
 *
 * The INSERT's column list is part of its SQL, fixed before the server's header (and its TableColumns description)
 * arrives; which columns the client adds depends on that description. So the flow is:
 *
 *   1. Every INSERT carries the setting that makes the server send TableColumns: `insert_sample_with_metadata=1`
 *      below revision 54429 (18.16), `input_format_defaults_for_omitted_fields=1` from it on.
 *   2. The first INSERT into a table (per client) goes out as the user wrote it. Its TableColumns text is parsed and
 *      cached. When the table has no DEFAULT/MATERIALIZED/EPHEMERAL column, that INSERT simply goes on: tables
 *      without defaults never pay a round trip. Otherwise it is ended before any data is sent (the empty block: it
 *      commits nothing) and the insert starts again with the planned column list.
 *   3. Later INSERTs plan from the cache: the user's columns, then the computed ones (DEFAULT columns the insert
 *      leaves out, every computable MATERIALIZED column, with `insert_allow_materialized_columns=1`); missing cells
 *      (`undefined`, a missing key) of DEFAULT columns are filled. Before data goes out, the INSERT's TableColumns
 *      text is compared with the cached one: when it differs (an ALTER), the cache is refreshed and the insert starts
 *      again, still before any data was sent.
 * ALIAS columns are never sent. Expressions the client cannot compute exactly are left to the server: such a column
 * is left out of the INSERT when every row omits it, and a row that omits it while others give it is an
 * UncomputableDefaultError.
 */
import { InvalidValueError } from '../errors.js';
import { Feature } from '../protocol/revision.js';
import type { Block } from '../protocol/block.js';
import type { QueryResponse } from '../client/response.js';
import { planDefaults, type DefaultsPlan } from './defaults.js';
import { parseTableColumns, type ColumnDescription } from './table-columns.js';
import {
  BlockSizer,
  chunkRows,
  chunksOf,
  inferColumnNames,
  isInMemory,
  RowScratch,
  type ColumnarInput,
  type InsertChunk,
  type InsertRow,
  type InsertValues,
} from './input.js';
import type { InsertParams, InsertSession } from './insert.js';

export type DefaultsMode = 'client' | 'server';

/** The setting that makes the server send TableColumns before an INSERT's header. */
export function tableColumnsSetting(revision: number): string {
  // Below SETTINGS_SERIALIZED_AS_STRINGS (18.16) the setting still had its old name.
  return revision < Feature.SETTINGS_SERIALIZED_AS_STRINGS ? 'insert_sample_with_metadata' : 'input_format_defaults_for_omitted_fields';
}

export interface DefaultsServerInfo {
  timezone: string;
  negotiatedRevision: number;
}

/** A table's description as its last INSERT gave it. */
interface Described {
  text: string | undefined;
  columns: ColumnDescription[] | undefined;
  /** Whether any column has a DEFAULT/MATERIALIZED/EPHEMERAL expression (else inserts go as written). */
  computed: boolean;
  /** Plans by the user's column list. */
  plans: Map<string, DefaultsPlan>;
}

/**
 * Ends an INSERT whose description was not the one planned with; thrown from checkHeader before any data is sent.
 * An InvalidValueError so that the insert flow ends the INSERT cleanly (the empty block) and never retries it.
 */
class PlanAgain extends InvalidValueError {
  constructor() {
    super('the table description changed; planning the insert again');
  }
}

const MAX_ROUNDS = 4;

/** A runner of the plain insert flow (runInsert, or the retrying flow for in-memory input). */
export type InsertRunner<R> = (params: InsertParams, session: InsertSession) => Promise<R>;

/** Per-client state of client-side defaults: the table descriptions seen so far. */
export class ClientDefaults {
  private readonly tables = new Map<string, Described>();
  private serverInfo: Promise<DefaultsServerInfo> | undefined;
  /** Table → whether it is a Distributed table (looked up once). */
  private readonly distributed = new Map<string, Promise<boolean>>();

  constructor(
    private readonly server: () => Promise<DefaultsServerInfo>,
    /** The table's engine name, from system.tables (undefined when the table is not found). */
    private readonly engineOf: (table: string) => Promise<string | undefined>,
  ) {}

  /**
   * A Distributed table forwards the INSERT, settings included, to its shards. ClickHouse 18.16's forwarding code
   * then meets the TableColumns packet the setting asks for and fails ("Unexpected packet from server (expected
   * Data or Exception, got TableColumns)"), so inserts into Distributed tables keep server-side defaults.
   */
  private isDistributed(table: string): Promise<boolean> {
    let known = this.distributed.get(table);
    if (!known) {
      known = this.engineOf(table).then(
        (engine) => engine === 'Distributed',
        (error: unknown) => {
          this.distributed.delete(table);
          throw error;
        },
      );
      this.distributed.set(table, known);
    }
    return known;
  }

  /** The cached TableColumns text of a table (for tests and diagnostics). */
  describedAs(table: string): string | undefined {
    return this.tables.get(table)?.text;
  }

  async insert<R>(params: InsertParams, session: InsertSession, run: InsertRunner<R>): Promise<R> {
    let info: DefaultsServerInfo;
    try {
      info = await (this.serverInfo ??= this.server().catch((error: unknown) => {
        this.serverInfo = undefined;
        throw error;
      }));
    } catch {
      // The server could not be asked (a timeout, a lost connection): server-side defaults are always correct, so
      // this insert takes them, with the insert's own retries; the next one asks again.
      return run(params, session);
    }
    // Without the server's time zone, date functions cannot match it: leave everything to the server.
    if (info.timezone === '') return run(params, session);
    if (isInMemory(params.values) && chunkRows(params.values) === 0) return run(params, session);
    let distributed: boolean;
    try {
      distributed = await this.isDistributed(params.table);
    } catch {
      return run(params, session); // as above: the lookup failed, the server computes the defaults
    }
    if (distributed) return run(params, session);
    const setting = tableColumnsSetting(info.negotiatedRevision);
    const nowMs = Date.now();
    const source = isInMemory(params.values)
      ? undefined
      : new Replay(params.values, new BlockSizer(params.block_rows ?? session.blockRows, params.block_bytes ?? session.blockBytes ?? 32 << 20));
    const userColumns = params.columns ?? (source ? inferColumnNames(await source.first()) : inferColumnNames(firstOf(params.values)));

    for (let round = 1; ; round++) {
      const known = this.tables.get(params.table);
      const settings = { ...params.clickhouse_settings, [setting]: 1 };
      let attempt: InsertParams;
      let checkHeader: (response: QueryResponse, header: Block) => void;
      if (!known || !known.computed) {
        // As written; learn the description from this INSERT's TableColumns.
        attempt = { ...params, clickhouse_settings: settings, values: source ? source.values() : params.values };
        checkHeader = (response) => {
          if (!known || response.tableColumns !== known.text) {
            const described = this.learn(params.table, response.tableColumns);
            if (described.computed) throw new PlanAgain();
          }
          source?.commit();
        };
      } else {
        const columns = source ? userColumns : presentColumns(params.values as readonly InsertRow[] | ColumnarInput, userColumns, known.columns!);
        const plan = this.plan(known, columns, info.timezone);
        const fill = (chunk: readonly InsertRow[] | ColumnarInput, rowOffset: number): ColumnarInput =>
          fillChunk(chunk, plan, columns, known.columns!, nowMs, rowOffset);
        attempt = {
          ...params,
          columns: plan.columns,
          clickhouse_settings: plan.sendsMaterialized ? { ...settings, insert_allow_materialized_columns: 1 } : settings,
          values: source ? mapChunks(source.values(), fill) : fill(params.values as readonly InsertRow[] | ColumnarInput, 0),
        };
        checkHeader = (response) => {
          if (response.tableColumns !== known.text) {
            this.learn(params.table, response.tableColumns);
            throw new PlanAgain();
          }
          source?.commit();
        };
      }
      try {
        return await run(attempt, { ...session, checkHeader });
      } catch (error) {
        if (error instanceof PlanAgain && round < MAX_ROUNDS) continue;
        throw error;
      }
    }
  }

  private learn(table: string, text: string | undefined): Described {
    const columns = text === undefined ? undefined : parseTableColumns(text);
    const computed =
      columns?.some((c) => (c.defaultKind === 'DEFAULT' || c.defaultKind === 'MATERIALIZED' || c.defaultKind === 'EPHEMERAL') && !!c.expression) ?? false;
    const described: Described = { text, columns, computed, plans: new Map() };
    this.tables.set(table, described);
    return described;
  }

  private plan(known: Described, columns: readonly string[], timezone: string): DefaultsPlan {
    const key = JSON.stringify(columns);
    let plan = known.plans.get(key);
    if (!plan) {
      plan = planDefaults(known.columns!, columns, { timezone });
      known.plans.set(key, plan);
    }
    return plan;
  }
}

function firstOf(values: InsertValues): InsertChunk | undefined {
  return values as InsertChunk;
}

/** Columns with an expression: a row may leave them out. */
function optionalColumns(description: readonly ColumnDescription[]): Set<string> {
  return new Set(description.filter((c) => (c.defaultKind === 'DEFAULT' || c.defaultKind === 'EPHEMERAL') && !!c.expression).map((c) => c.name));
}

/**
 * In-memory input: the user's columns minus DEFAULT columns that no row gives (every cell undefined). They are
 * planned as left out, so the client computes them, or the server does when the client cannot.
 */
function presentColumns(values: readonly InsertRow[] | ColumnarInput, columns: readonly string[], description: readonly ColumnDescription[]): readonly string[] {
  const optional = optionalColumns(description);
  const absent = (name: string): boolean => {
    if (!optional.has(name)) return false;
    if (Array.isArray(values)) {
      for (const row of values as readonly InsertRow[]) if (typeof row === 'object' && row !== null && row[name] !== undefined) return false;
      return true;
    }
    const col = (values as ColumnarInput)[name];
    if (!col) return true;
    for (let i = 0; i < col.length; i++) if (col[i] !== undefined) return false;
    return true;
  };
  const kept = columns.filter((name) => !absent(name));
  return kept.length === columns.length ? columns : kept;
}

/** One chunk with the plan's columns: the user's (undefined cells of DEFAULT columns filled) and the computed ones. */
function fillChunk(
  chunk: readonly InsertRow[] | ColumnarInput,
  plan: DefaultsPlan,
  columns: readonly string[],
  description: readonly ColumnDescription[],
  nowMs: number,
  rowOffset: number,
): ColumnarInput {
  const types = new Map(description.map((c) => [c.name, c.type]));
  let rows: number;
  // Keyed by the table's column names, which the server gives: no prototype for `__proto__` to reach.
  const block: Record<string, ArrayLike<unknown>> = Object.create(null);
  if (Array.isArray(chunk)) {
    const list = chunk as readonly InsertRow[];
    rows = list.length;
    const shape = columns.map((name) => ({ name, type: types.get(name) ?? '' }));
    const scratch = new RowScratch(shape, optionalColumns(description));
    const converted = scratch.block(list, 0, rows, rowOffset);
    for (const column of converted.columns) block[column.name] = column.values as ArrayLike<unknown>;
  } else {
    const columnar = chunk as ColumnarInput;
    const wanted = new Set(columns);
    for (const name of Object.keys(columnar)) {
      if (!wanted.has(name)) throw new InvalidValueError('the table has no such column in this insert', { column: name });
    }
    rows = -1;
    for (const name of columns) {
      const values = columnar[name];
      if (!values) throw new InvalidValueError('the input has no values for this column', { column: name, type: types.get(name) });
      if (rows === -1) rows = values.length;
      else if (values.length !== rows) {
        throw new InvalidValueError(`column has ${values.length} values, but the first column has ${rows}`, { column: name });
      }
      block[name] = values as ArrayLike<unknown>;
    }
    rows = Math.max(rows, 0);
  }
  const filled = plan.fill(block, rows, nowMs);
  const out: ColumnarInput = Object.create(null);
  for (const [name, values] of Object.entries(filled)) {
    out[name] = Array.isArray(values) || ArrayBuffer.isView(values) ? (values as ColumnarInput[string]) : Array.from(values);
  }
  return out;
}

async function* mapChunks(
  chunks: AsyncIterable<readonly InsertRow[] | ColumnarInput>,
  fill: (chunk: readonly InsertRow[] | ColumnarInput, rowOffset: number) => ColumnarInput,
): AsyncGenerator<ColumnarInput> {
  let offset = 0;
  for await (const chunk of chunks) {
    const rows = Array.isArray(chunk) ? chunk.length : (Object.values(chunk)[0]?.length ?? 0);
    yield fill(chunk, offset);
    offset += rows;
  }
}

/**
 * A streamed input that can be started again: the chunks taken before the INSERT's header was checked are kept,
 * and a new pass yields them again before reading on. Rows and small arrays are gathered into block-sized chunks
 * first (as the insert flow would), so computed columns are evaluated per block, not per row.
 */
class Replay {
  private readonly iterator: AsyncIterator<readonly InsertRow[] | ColumnarInput>;
  private readonly kept: (readonly InsertRow[] | ColumnarInput)[] = [];
  private committed = false;

  constructor(values: InsertValues, sizer: BlockSizer) {
    this.iterator = chunksOf(values, sizer)[Symbol.asyncIterator]();
  }

  /** The first chunk (kept), to infer the column names from. */
  async first(): Promise<InsertChunk | undefined> {
    if (this.kept.length === 0) {
      const next = await this.iterator.next();
      if (next.done) return undefined;
      this.kept.push(next.value);
    }
    return this.kept[0];
  }

  /** The header was accepted: chunks are no longer kept. */
  commit(): void {
    this.committed = true;
    this.kept.length = 0;
  }

  async *values(): AsyncGenerator<readonly InsertRow[] | ColumnarInput> {
    for (const chunk of this.kept.slice()) yield chunk;
    for (;;) {
      const next = await this.iterator.next();
      if (next.done) return;
      if (!this.committed) this.kept.push(next.value);
      yield next.value;
    }
  }
}
