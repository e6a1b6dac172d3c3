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
import type { Block } from '../columns/block.js';
import type { QueryResponse } from '../connection/response.js';
import { InvalidValueError } from '../errors.js';
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
} from '../insert/input.js';
import type { DefaultsReport, InsertJob, InsertResult, InsertStage, ServerComputedColumn } from '../insert/insert.js';
import { shiftRow } from '../insert/pipeline.js';
import { fitsRetryBuffer } from '../insert/retry.js';
import { encodeBlockBody } from '../connection/exchange.js';
import { ByteWriter } from '../protocol/writer.js';
import { Feature } from '../protocol/revision.js';
import { planDefaults, type DefaultsPlan } from './plan.js';
import { parseTableColumns, type ColumnDescription } from './table-columns.js';

export type DefaultsMode = 'client' | 'server';

/** The setting that makes the server send TableColumns before an INSERT's header. */
export function tableColumnsSetting(revision: number): string {
  // Below SETTINGS_SERIALIZED_AS_STRINGS (18.16) the setting still had its old name.
  return revision < Feature.SETTINGS_SERIALIZED_AS_STRINGS
    ? 'insert_sample_with_metadata'
    : 'input_format_defaults_for_omitted_fields';
}

export interface DefaultsServerInfo {
  timezone: string;
  negotiatedRevision: number;
  /** From Hello: lets the evaluator compute inputs that server versions read differently, for a known version. */
  versionMajor?: number;
  versionMinor?: number;
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

/**
 * The client-side defaults stage of the insert core (one per client): it plans each job's columns from the table
 * descriptions seen so far, and runs the job again, before any data is sent, when the description it planned with
 * turns out to be stale.
 */
export class ClientDefaults implements InsertStage {
  private readonly tables = new Map<string, Described>();
  private serverInfo: Promise<DefaultsServerInfo> | undefined;
  /** Table → whether it is a Distributed table (looked up once). */
  private readonly distributed = new Map<string, Promise<boolean>>();

  constructor(
    private readonly server: () => Promise<DefaultsServerInfo>,
    /** The table's engine name, from system.tables (undefined when the table is not found). */
    private readonly engineOf: (table: string) => Promise<string | undefined>,
    /** Who computes defaults for a job that does not say (the client config's `defaults`). */
    private readonly mode: DefaultsMode = 'client',
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

  /** Runs `params` with the client's DEFAULT/MATERIALIZED columns planned in, unless it says `defaults: 'server'`. */
  async run(params: InsertJob, execute: (job: InsertJob) => Promise<InsertResult>): Promise<InsertResult> {
    if ((params.defaults ?? this.mode) === 'server') return execute(params);
    const run = (job: InsertJob, checkHeader?: InsertJob['checkHeader']): Promise<InsertResult> =>
      execute(checkHeader ? { ...job, checkHeader } : job);
    let info: DefaultsServerInfo;
    try {
      info = await (this.serverInfo ??= this.server().catch((error: unknown) => {
        this.serverInfo = undefined;
        throw error;
      }));
    } catch {
      // The server could not be asked (a timeout, a lost connection): server-side defaults are always correct, so
      // this insert takes them, with the insert's own retries; the next one asks again.
      return run(params);
    }
    // Without the server's time zone, date functions cannot match it: leave everything to the server.
    if (info.timezone === '') return run(params);
    if (isInMemory(params.values) && chunkRows(params.values) === 0) return run(params);
    let distributed: boolean;
    try {
      distributed = await this.isDistributed(params.table);
    } catch {
      return run(params); // as above: the lookup failed, the server computes the defaults
    }
    if (distributed) return run(params);
    const setting = tableColumnsSetting(info.negotiatedRevision);
    const nowMs = Date.now();
    // The core resolves the block sizes (the client's, unless the insert sets them) before it calls a stage.
    const source: ChunkSource | undefined = isInMemory(params.values)
      ? blockwise(params)
      : new Replay(params.values, new BlockSizer(params.block_rows!, params.block_bytes!));
    const userColumns =
      params.columns ?? (source ? inferColumnNames(await source.first()) : inferColumnNames(firstOf(params.values)));
    /** Rows the stream's INSERTs have sent so far (a stream may be split when a column goes to the server). */
    const sent = { rows: 0 };

    for (let round = 1; ; round++) {
      const known = this.tables.get(params.table);
      const settings = { ...params.clickhouse_settings, [setting]: 1 };
      let attempt: InsertJob;
      let checkHeader: (response: QueryResponse, header: Block) => void;
      if (!known || !known.computed) {
        // As written (in-memory input as such); learn the description from this INSERT's TableColumns.
        const replay = source instanceof Replay ? source : undefined;
        attempt = { ...params, clickhouse_settings: settings, values: replay ? replay.values() : params.values };
        checkHeader = (response) => {
          if (!known || response.tableColumns !== known.text) {
            const described = this.learn(params.table, response.tableColumns);
            if (described.computed) throw new PlanAgain();
          }
          replay?.commit();
        };
      } else {
        const described = known;
        const columns = source
          ? userColumns
          : presentColumns(params.values as readonly InsertRow[] | ColumnarInput, userColumns, described.columns!);
        // Columns the client could not evaluate over this insert's rows: planned again without them, so the server
        // computes them. Decided before the first attempt (in-memory input) so that retries send the same bytes.
        const leave = new Map<string, string>();
        const fromRow = new Map<string, number>();
        let plan = this.plan(described, columns, info, leave);
        const settle = (chunk: readonly InsertRow[] | ColumnarInput, rowOffset: number): ColumnarInput => {
          for (;;) {
            const filled = fillChunk(chunk, plan, columns, described.columns!, nowMs, rowOffset);
            if (filled.values) return filled.values;
            for (const [column, why] of filled.refused) leave.set(column, why);
            plan = this.plan(described, columns, info, leave);
          }
        };
        const compileOnly = plan;
        const report = (): DefaultsReport => reportOf(plan, compileOnly, described.columns!, columns, fromRow);
        if (!source) {
          const values = settle(params.values as readonly InsertRow[] | ColumnarInput, 0);
          const settled = report();
          params.on_defaults?.(settled);
          attempt = { ...params, columns: plan.columns, clickhouse_settings: withMaterialized(settings, plan), values };
          checkHeader = (response) => {
            if (response.tableColumns !== described.text) {
              this.learn(params.table, response.tableColumns);
              throw new PlanAgain();
            }
          };
          try {
            const result = await run(attempt, checkHeader);
            return { ...result, defaults: settled };
          } catch (error) {
            if (error instanceof PlanAgain && round < MAX_ROUNDS) continue;
            throw error;
          }
        }
        // A stream: the first chunk settles the plan before anything is sent. A later chunk that the plan cannot
        // fill ends this INSERT after the blocks before it (the server keeps those, as with any streamed insert)
        // and a new INSERT goes on with the refused columns left to the server.
        const first = await source.first();
        if (first) settle(first as readonly InsertRow[] | ColumnarInput, 0);
        let merged: InsertResult | undefined;
        for (;;) {
          const current = plan;
          const split: { chunk?: readonly InsertRow[] | ColumnarInput; refused?: Map<string, string>; offset: number } =
            { offset: sent.rows };
          params.on_defaults?.(report());
          attempt = {
            ...params,
            columns: current.columns,
            clickhouse_settings: withMaterialized(settings, current),
            values: fillStream(source.values(), current, columns, described.columns!, nowMs, sent, split),
          };
          checkHeader = (response, header) => {
            if (response.tableColumns !== described.text) {
              this.learn(params.table, response.tableColumns);
              throw new PlanAgain();
            }
            // In-memory input sent block by block: every value the user gave is checked before the first block.
            if (source instanceof Blockwise) source.validate(header, response.connection.revision, columns);
            source.commit();
          };
          let result: InsertResult;
          try {
            result = await run(attempt, checkHeader);
          } catch (error) {
            if (error instanceof PlanAgain && round < MAX_ROUNDS && merged === undefined) break;
            throw error;
          }
          merged =
            merged === undefined ? result : { ...result, query_id: merged.query_id, rows: merged.rows + result.rows };
          if (!split.chunk) return { ...merged, defaults: report() };
          for (const [column, why] of split.refused!) {
            leave.set(column, why);
            fromRow.set(column, split.offset);
          }
          plan = this.plan(described, columns, info, leave);
          source.pushBack(split.chunk);
        }
        continue;
      }
      try {
        return await run(attempt, checkHeader);
      } catch (error) {
        if (error instanceof PlanAgain && round < MAX_ROUNDS) continue;
        throw error;
      }
    }
  }

  private learn(table: string, text: string | undefined): Described {
    const columns = text === undefined ? undefined : parseTableColumns(text);
    const computed =
      columns?.some(
        (c) =>
          (c.defaultKind === 'DEFAULT' || c.defaultKind === 'MATERIALIZED' || c.defaultKind === 'EPHEMERAL') &&
          !!c.expression,
      ) ?? false;
    const described: Described = { text, columns, computed, plans: new Map() };
    this.tables.set(table, described);
    return described;
  }

  private plan(
    known: Described,
    columns: readonly string[],
    info: DefaultsServerInfo,
    leaveToServer: ReadonlyMap<string, string>,
  ): DefaultsPlan {
    const key = JSON.stringify([columns, [...leaveToServer.keys()].sort()]);
    let plan = known.plans.get(key);
    if (!plan) {
      const serverVersion =
        info.versionMajor !== undefined ? { major: info.versionMajor, minor: info.versionMinor ?? 0 } : undefined;
      plan = planDefaults(known.columns!, columns, {
        timezone: info.timezone,
        serverVersion,
        leaveToServer: new Map(leaveToServer),
      });
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
  return new Set(
    description
      .filter((c) => (c.defaultKind === 'DEFAULT' || c.defaultKind === 'EPHEMERAL') && !!c.expression)
      .map((c) => c.name),
  );
}

/**
 * In-memory input: the user's columns minus DEFAULT columns that no row gives (every cell undefined). They are
 * planned as left out, so the client computes them, or the server does when the client cannot.
 */
function presentColumns(
  values: readonly InsertRow[] | ColumnarInput,
  columns: readonly string[],
  description: readonly ColumnDescription[],
): readonly string[] {
  const optional = optionalColumns(description);
  const absent = (name: string): boolean => {
    if (!optional.has(name)) return false;
    if (Array.isArray(values)) {
      for (const row of values as readonly InsertRow[])
        if (typeof row === 'object' && row !== null && row[name] !== undefined) return false;
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

/**
 * One chunk with the plan's columns: the user's (undefined cells of DEFAULT columns filled) and the computed ones;
 * or, when some computed column cannot be evaluated over it, which ones (values undefined).
 */
function fillChunk(
  chunk: readonly InsertRow[] | ColumnarInput,
  plan: DefaultsPlan,
  columns: readonly string[],
  description: readonly ColumnDescription[],
  nowMs: number,
  rowOffset: number,
): { values: ColumnarInput | undefined; refused: Map<string, string> } {
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
      if (!wanted.has(name))
        throw new InvalidValueError('the table has no such column in this insert', { column: name });
    }
    rows = -1;
    for (const name of columns) {
      const values = columnar[name];
      if (!values)
        throw new InvalidValueError('the input has no values for this column', { column: name, type: types.get(name) });
      if (rows === -1) rows = values.length;
      else if (values.length !== rows) {
        throw new InvalidValueError(`column has ${values.length} values, but the first column has ${rows}`, {
          column: name,
        });
      }
      block[name] = values as ArrayLike<unknown>;
    }
    rows = Math.max(rows, 0);
  }
  const filled = plan.fill(block, rows, nowMs, rowOffset);
  if (!filled.values) return { values: undefined, refused: filled.refused };
  const out: ColumnarInput = Object.create(null);
  for (const [name, values] of Object.entries(filled.values)) {
    out[name] =
      Array.isArray(values) || ArrayBuffer.isView(values) ? (values as ColumnarInput[string]) : Array.from(values);
  }
  return { values: out, refused: filled.refused };
}

function withMaterialized(settings: Record<string, unknown>, plan: DefaultsPlan): InsertJob['clickhouse_settings'] {
  return (
    plan.sendsMaterialized ? { ...settings, insert_allow_materialized_columns: 1 } : settings
  ) as InsertJob['clickhouse_settings'];
}

/** What this insert computed and what it left to the server (InsertResult.defaults). */
function reportOf(
  plan: DefaultsPlan,
  /** The plan before any evaluation: what it leaves to the server, it leaves at compile time. */
  compileOnly: DefaultsPlan,
  description: readonly ColumnDescription[],
  userColumns: readonly string[],
  fromRow: ReadonlyMap<string, number>,
): DefaultsReport {
  const provided = new Set(userColumns);
  const sent = new Set(plan.columns);
  const computed = plan.computed.filter((name) => sent.has(name) || provided.has(name));
  const server: ServerComputedColumn[] = [];
  for (const c of description) {
    if (c.defaultKind !== 'DEFAULT' && c.defaultKind !== 'MATERIALIZED') continue;
    if (provided.has(c.name) || sent.has(c.name) || !c.expression) continue;
    const reason = plan.leftToServer.get(c.name) ?? 'left to the server';
    const entry: ServerComputedColumn = {
      column: c.name,
      stage: compileOnly.leftToServer.has(c.name) ? 'compile' : 'evaluate',
      reason,
    };
    const row = fromRow.get(c.name);
    if (row !== undefined && row > 0) entry.from_row = row;
    server.push(entry);
  }
  return { computed, server };
}

/**
 * The stream's chunks filled by one plan. A chunk the plan cannot fill ends the stream (the INSERT then sends its
 * end and is acknowledged); it is handed back in `split` with the refused columns and its first row.
 */
async function* fillStream(
  chunks: AsyncIterable<readonly InsertRow[] | ColumnarInput>,
  plan: DefaultsPlan,
  columns: readonly string[],
  description: readonly ColumnDescription[],
  nowMs: number,
  sent: { rows: number },
  split: { chunk?: readonly InsertRow[] | ColumnarInput; refused?: Map<string, string>; offset: number },
): AsyncGenerator<ColumnarInput> {
  for await (const chunk of chunks) {
    const rows = Array.isArray(chunk) ? chunk.length : (Object.values(chunk)[0]?.length ?? 0);
    const filled = fillChunk(chunk, plan, columns, description, nowMs, sent.rows);
    if (!filled.values) {
      split.chunk = chunk;
      split.refused = filled.refused;
      split.offset = sent.rows;
      return;
    }
    sent.rows += rows;
    yield filled.values;
  }
}

/** Where the stream branch of ClientDefaults.run takes its chunks from. */
interface ChunkSource {
  first(): Promise<InsertChunk | undefined>;
  pushBack(chunk: readonly InsertRow[] | ColumnarInput): void;
  commit(): void;
  values(): AsyncGenerator<readonly InsertRow[] | ColumnarInput>;
}

/**
 * In-memory columnar input that the core would send once (it does not fit the retry buffer, or the insert has no
 * retry policy) is evaluated block by block, as a stream is: block N+1 is computed while block N is compressed and
 * written, so the evaluation overlaps with the socket and the server instead of all of it coming before the first
 * block. Nothing is lost by it: such an insert is never resent, and every value the user gave is still checked
 * before the first block goes out (Blockwise.validate, from the INSERT's header check). What changes is where an
 * evaluate-time refusal in a later block is handled: as for a stream, the blocks before it stay sent (with values
 * that are exactly the server's) and a second INSERT carries the rest with that column left to the server (the
 * report's `from_row`). Input that may be resent keeps being computed whole before the first attempt, so that
 * every attempt sends the same bytes (the core resends the packets it encoded once). Row objects, and columns
 * with missing cells (DEFAULT holes), keep that path too.
 */
function blockwise(params: InsertJob): Blockwise | undefined {
  const values = params.values as readonly InsertRow[] | ColumnarInput;
  if (Array.isArray(values)) return undefined;
  const resendable = params.retry && params.retry.attempts > 1 && (params.holdAnySize || fitsRetryBuffer(values));
  if (resendable) return undefined;
  const columnar = values as ColumnarInput;
  const rows = chunkRows(columnar);
  if (rows <= params.block_rows!) return undefined;
  for (const name of Object.keys(columnar)) {
    const column = columnar[name]!;
    if (column.length !== rows) return undefined; // the eager path reports it
    if (!ArrayBuffer.isView(column) && (column as unknown[]).includes(undefined)) return undefined;
  }
  return new Blockwise(columnar, rows, params.block_rows!);
}

function isStrings(values: readonly unknown[], start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const v = values[i];
    if (typeof v !== 'string' && !(v instanceof Uint8Array)) return false;
  }
  return true;
}

/** Rows per slice when the user's columns are checked before the first block (young-generation sized arrays). */
const VALIDATE_ROWS = 8192;

class Blockwise implements ChunkSource {
  private next = 0;
  private readonly pending: (readonly InsertRow[] | ColumnarInput)[] = [];
  private committed = false;
  private validated = false;

  constructor(
    private readonly input: ColumnarInput,
    private readonly rows: number,
    private readonly blockRows: number,
  ) {}

  private slice(start: number, end: number): ColumnarInput {
    const out: ColumnarInput = Object.create(null);
    for (const name of Object.keys(this.input)) {
      const column = this.input[name]!;
      out[name] = ArrayBuffer.isView(column)
        ? ((column as unknown as Uint8Array).subarray(start, end) as unknown as ColumnarInput[string])
        : (column as unknown[]).slice(start, end);
    }
    return out;
  }

  first(): Promise<InsertChunk | undefined> {
    return Promise.resolve(this.slice(0, Math.min(this.rows, this.blockRows)));
  }

  pushBack(chunk: readonly InsertRow[] | ColumnarInput): void {
    this.pending.push(chunk);
  }

  commit(): void {
    this.committed = true;
  }

  /**
   * Every value of the user's columns through its codec, for the server's header, before any block is sent: a bad
   * value throws the codec's InvalidValueError with its column and insert row, and the INSERT ends sending nothing.
   */
  validate(header: Block, revision: number, columns: readonly string[]): void {
    if (this.validated) return;
    const types = new Map(header.columns.map((c) => [c.name, c.type]));
    const dry = new ByteWriter(1 << 16);
    for (const name of columns) {
      const type = types.get(name);
      const column = this.input[name];
      if (type === undefined || !column) continue; // the core reports a column the server does not take
      // A String column takes any JS string or byte array: checking the kind is the codec's whole check, and it
      // neither copies the text nor flattens the application's concatenated strings. Anything else goes through
      // the codec below, which throws its own error for it.
      const strings = type === 'String' && Array.isArray(column);
      for (let start = 0; start < this.rows; start += VALIDATE_ROWS) {
        if (strings && isStrings(column as unknown[], start, Math.min(this.rows, start + VALIDATE_ROWS))) continue;
        const end = Math.min(this.rows, start + VALIDATE_ROWS);
        const values = ArrayBuffer.isView(column)
          ? (column as unknown as Uint8Array).subarray(start, end)
          : (column as unknown[]).slice(start, end);
        try {
          encodeBlockBody(
            revision,
            { rows: end - start, columns: [{ name, type, values: values as ColumnarInput[string] }] },
            dry,
          );
        } catch (error) {
          throw shiftRow(error, start);
        }
      }
    }
    this.validated = true;
  }

  async *values(): AsyncGenerator<readonly InsertRow[] | ColumnarInput> {
    // Before the header is accepted, a pass starts from the first row again (the insert may be planned again).
    if (!this.committed) this.next = 0;
    while (this.pending.length > 0) yield this.pending.shift()!;
    while (this.next < this.rows) {
      const start = this.next;
      const end = Math.min(this.rows, start + this.blockRows);
      this.next = end;
      yield this.slice(start, end);
    }
  }
}

/**
 * A streamed input that can be started again: the chunks taken before the INSERT's header was checked are kept,
 * and a new pass yields them again before reading on. Rows and small arrays are gathered into block-sized chunks
 * first (as the insert flow would), so computed columns are evaluated per block, not per row.
 */
class Replay implements ChunkSource {
  private readonly iterator: AsyncIterator<readonly InsertRow[] | ColumnarInput>;
  private readonly kept: (readonly InsertRow[] | ColumnarInput)[] = [];
  private readonly pending: (readonly InsertRow[] | ColumnarInput)[] = [];
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

  /** A chunk taken but not sent (a split stream): the next pass yields it first, whenever its header is checked. */
  pushBack(chunk: readonly InsertRow[] | ColumnarInput): void {
    this.pending.push(chunk);
  }

  /** The header was accepted: chunks are no longer kept. */
  commit(): void {
    this.committed = true;
    this.kept.length = 0;
  }

  async *values(): AsyncGenerator<readonly InsertRow[] | ColumnarInput> {
    for (const chunk of this.kept.slice()) yield chunk;
    while (this.pending.length > 0) yield this.pending.shift()!;
    for (;;) {
      const next = await this.iterator.next();
      if (next.done) return;
      if (!this.committed) this.kept.push(next.value);
      yield next.value;
    }
  }
}
