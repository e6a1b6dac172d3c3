/**
 * The insert core. Every insert is one job (docs/protocol.md §4.3):
 *
 *   1. shape the input: its first chunk names the columns, `INSERT INTO t (cols) VALUES` goes out, and the server's
 *      header block gives each column's type; rows and columns are cut into blocks of those types (input.ts);
 *   2. encode once into Data packets, every value validated before its block can go out (pipeline.ts);
 *   3. send with back-pressure, one block ahead of the socket, then the empty block, and read to EndOfStream;
 *   4. retry with the identical packets where that is safe (retry.ts, deduplication.ts).
 *
 * The entry points are thin layers over it: `client.insert` and a session's insert (one job each), `insertStream`
 * (a job whose input is the stream), the batching inserter (a job per batch), the sharded inserter (`client.insert`
 * per shard), and an INSERT whose data was in the query text (`sendInsertData`: the data of an INSERT the server
 * already asked for). A stage (`InsertStage`) may reshape a job before it runs: client-side defaults
 * (src/defaults/), which the client wires in; the core does not know the expression engine.
 *
 * In-memory input (an array of rows, a columnar object) sends nothing until all of it is known to be valid. A job
 * with a retry policy whose input fits the retry buffer is encoded ahead and holds all its packets until the server
 * acknowledges them and resends exactly those. Any other job is sent once with bounded memory: in-memory input is
 * validated in a dry pass first (no bytes kept), then encoded block by block as it is sent; a stream is encoded as
 * it is pulled.
 */
import { randomUUID } from 'node:crypto';
import type { Block } from '../columns/block.js';
import type { Compression } from '../compression/frame.js';
import { startFrameWorker } from '../compression/frame-pool.js';
import { encodeBlockBody, encodeData } from '../connection/exchange.js';
import { emptyProgress, type QueryResponse, type QuerySummary, type RequestParams } from '../connection/response.js';
import {
  AbortError,
  ClickHouseNativeError,
  InsertOutcomeUnknownError,
  InvalidValueError,
  ProtocolError,
} from '../errors.js';
import type { ServerHello } from '../protocol/server-packets.js';
import type { Settings } from '../protocol/settings.js';
import { DryWriter } from '../protocol/writer.js';
import type { DeduplicationVerdict } from './deduplication.js';
import {
  BlockSizer,
  blocksOf,
  chunkRows,
  chunksOf,
  IN_MEMORY_STAGE_BYTES,
  inferColumnNames,
  isInMemory,
  ReplayedCuts,
  RowScratch,
  sampleBytesPerRow,
  type ColumnarInput,
  type ColumnHeader,
  type InsertChunk,
  type InsertRow,
  type InsertValues,
} from './input.js';
import { BlockPipeline, shiftRow, type EncodedBlock, type PipelineStats } from './pipeline.js';
import { StreamBlockBuilder } from './stream-blocks.js';
import {
  classifyInsertFailure,
  fitsRetryBuffer,
  retryDelay,
  sleep,
  supportsDeduplicationToken,
  type RetryPolicy,
} from './retry.js';

export interface InsertRequest extends RequestParams {
  /** Table name as SQL (e.g. `db.events`), inserted as is. */
  table: string;
  values: InsertValues;
  /** The columns to insert; by default the keys of the first row (or of the columnar object). */
  columns?: readonly string[];
  /** Most rows per Data block (default: the client's `insert_block_rows`). */
  block_rows?: number;
  /** About this many encoded bytes per Data block, before compression (default: the client's `insert_block_bytes`). */
  block_bytes?: number;
  /**
   * Who computes DEFAULT and MATERIALIZED columns: `'client'` (the default, or the client config's `defaults`)
   * computes them here and sends them, so the server skips that work; `'server'` leaves them to the server.
   * README, "Client-side defaults".
   */
  defaults?: 'client' | 'server';
  /**
   * With client-side defaults: called before data is sent with what the client computes and which DEFAULT /
   * MATERIALIZED columns it leaves to the server, and why (and again if a stream moves a column to the server).
   */
  on_defaults?: (report: DefaultsReport) => void;
}

export interface InsertResult {
  query_id: string;
  /** Rows sent to the server. */
  rows: number;
  summary: QuerySummary;
  /** The table's column descriptions, when the server sent them (TableColumns packet). */
  table_columns: string | undefined;
  /** With client-side defaults on a table that has DEFAULT/MATERIALIZED columns: who computed which. */
  defaults?: DefaultsReport;
}

/** One column the server computes for this insert, and why the client does not. */
export interface ServerComputedColumn {
  column: string;
  /** 'compile': the client does not evaluate the expression; 'evaluate': it met an input it cannot reproduce. */
  stage: 'compile' | 'evaluate';
  reason: string;
  /** For a streamed insert whose blocks before this row were sent with client values: the first row it covers. */
  from_row?: number;
}

/** Who computed what in one insert (InsertResult.defaults, and the insert's `on_defaults` callback). */
export interface DefaultsReport {
  /** Columns the client computed and sent (DEFAULT columns it filled, MATERIALIZED columns). */
  computed: string[];
  /** DEFAULT and MATERIALIZED columns left out of the INSERT, so that the server computes them. */
  server: ServerComputedColumn[];
}

/** An insert as the core runs it: the request, and how it may be resent. */
export interface InsertJob extends InsertRequest {
  /**
   * Resend the identical packets under this policy. Applies to in-memory input that fits the retry buffer
   * (fitsRetryBuffer), or of any size with `holdAnySize`; other input is sent once, unretried.
   */
  retry?: RetryPolicy;
  /** Hold an in-memory input's packets for a resend whatever its size (an inserter's batches: its buffer bounds them). */
  holdAnySize?: boolean;
  /** Rows acknowledged earlier in the same operation (an inserter's earlier batches), for InsertOutcomeUnknownError. */
  acknowledgedRows?: number;
  /**
   * Called with the INSERT's header, before any data is sent (the defaults stage checks that the table's description
   * is the one it planned with). A throw ends the INSERT, sending nothing.
   */
  checkHeader?(response: QueryResponse, header: Block): void;
  /** Counts the blocks this job's pipelines hold (InsertStream.stats). */
  pipelineStats?: PipelineStats;
}

/** What the core needs from the layer that owns the connections (the client, or a session's pinned connection). */
export interface InsertTransport {
  /** Leases a connection and sends the query (with its empty external-tables block). */
  start(request: RequestParams & { query: string }): Promise<{ response: QueryResponse; queryId: string }>;
  readonly compression: Compression;
  /** Most rows per Data block, when the job does not say. */
  readonly blockRows: number;
  /** About this many encoded bytes per Data block, when the job does not say. */
  readonly blockBytes: number;
  /** The server's Hello (for what its version supports); may open a connection. */
  server(): Promise<Pick<ServerHello, 'versionMajor' | 'versionMinor'>>;
  /** Whether the server deduplicates this table's inserts made with these settings (asked of the server). */
  deduplication(table: string, settings: Settings | undefined): Promise<DeduplicationVerdict>;
}

/**
 * A stage between an entry point and the core: it may change the job (columns, values, settings, a header check)
 * and run it more than once before any data is sent (client-side defaults, src/defaults/stage.ts).
 */
export interface InsertStage {
  run(job: InsertJob, execute: (job: InsertJob) => Promise<InsertResult>): Promise<InsertResult>;
}

/** Runs insert jobs through the stage, if any, on a transport. */
export class InsertCore {
  constructor(
    private readonly transport: InsertTransport,
    private readonly stage?: InsertStage,
  ) {}

  run(job: InsertJob): Promise<InsertResult> {
    if (!this.stage) return runInsert(job, this.transport);
    const sized = {
      ...job,
      block_rows: job.block_rows ?? this.transport.blockRows,
      block_bytes: job.block_bytes ?? this.transport.blockBytes,
    };
    return this.stage.run(sized, (planned) => runInsert(planned, this.transport));
  }
}

/**
 * Default encoded bytes per Data block, before compression: blocks are cut by bytes first (BlockSizer), so that a
 * table's rows, narrow or wide, make blocks of about the same size. Why 1 MiB: a Native block of ~8 MB (100 000
 * application rows) cost ClickHouse 18.16 about twice the server CPU of one of 0.25-4 MiB (1.24 against 0.41-0.52
 * CPU s per M rows into Null, bench/block-size.ts), and this client more too (the 20-column table: 2.6-2.8 CPU s
 * per M rows at 100 000 rows, 1.0-1.2 at 1 MiB, 1.5-2.2 at 2-8 MiB, on 18.16 and 26.7 alike). A block of up to
 * 1 MiB is also one compressed frame (src/compression/frame.ts). Small blocks do not make small parts: the server
 * squashes insert blocks up to min_insert_block_size_rows / _bytes before it writes a MergeTree part. Two blocks in
 * flight bound the insert's own memory.
 */
export const DEFAULT_INSERT_BLOCK_BYTES = 1 << 20;
/**
 * Default most rows per Data block: a cap for rows so small (under ~10 bytes) that 1 MiB would be more rows than
 * this; it does not decide the block for most tables.
 */
export const DEFAULT_INSERT_BLOCK_ROWS = 100_000;

/** Quotes an identifier with backquotes, escaping backslashes and backquotes. */
export function quoteIdentifier(name: string): string {
  return '`' + name.replace(/\\/g, '\\\\').replace(/`/g, '\\`') + '`';
}

/** One insert job, start to acknowledgement. */
export async function runInsert(job: InsertJob, transport: InsertTransport): Promise<InsertResult> {
  const blockRows = positive('block_rows', job.block_rows ?? transport.blockRows);
  const blockBytes = positive('block_bytes', job.block_bytes ?? transport.blockBytes);
  // The frame worker loads (a thread, its modules) while the INSERT's round trip runs, so that the first blocks are
  // compressed off this thread too; a failure to start only means frames are made here.
  if (transport.compression === 'lz4') void startFrameWorker();
  const values = job.values;
  let payload: Payload;
  let columns: readonly string[];
  let retry: RetryPolicy | undefined;
  if (isInMemory(values)) {
    const queryId = job.query_id ?? randomUUID();
    // Nothing to insert: no round trip.
    if (chunkRows(values) === 0) return emptyResult(queryId);
    columns = job.columns ?? inferColumnNames(values);
    if (columns.length === 0)
      throw new InvalidValueError('cannot tell which columns to insert: pass `columns`, or rows with keys');
    retry = job.retry && (job.holdAnySize || fitsRetryBuffer(values)) ? job.retry : undefined;
    payload = new InMemoryPayload(values, blockRows, blockBytes, retry ? Infinity : IN_MEMORY_STAGE_BYTES);
    if (retry)
      return runResendable(job, transport, sqlOf(job.table, columns), payload as InMemoryPayload, retry, queryId);
  } else {
    const stream = await StreamPayload.open(values, new BlockSizer(blockRows, blockBytes));
    columns = job.columns ?? inferColumnNames(stream.first);
    if (columns.length === 0) {
      // Nothing to insert: no round trip.
      if (stream.first === undefined || (Array.isArray(stream.first) && stream.first.length === 0))
        return emptyResult(job.query_id ?? '');
      throw new InvalidValueError('cannot tell which columns to insert: pass `columns`, or rows with keys');
    }
    payload = stream;
  }
  return runOnce(job, transport, sqlOf(job.table, columns), payload);
}

/**
 * Sends in-memory rows as the data of an INSERT the server already asked for (its header block is `header`): the
 * Data blocks, the empty block, then EndOfStream. Used for INSERT statements whose data was in the query text and
 * that the server wants as blocks (src/client/inline-insert.ts). A bad value sends nothing and keeps the connection.
 */
export async function sendInsertData(
  response: QueryResponse,
  header: Block,
  values: readonly InsertRow[] | ColumnarInput,
  options: { compression: Compression; blockRows: number; blockBytes?: number; signal?: AbortSignal },
): Promise<number> {
  const payload = new InMemoryPayload(
    values,
    options.blockRows,
    options.blockBytes ?? DEFAULT_INSERT_BLOCK_BYTES,
    IN_MEMORY_STAGE_BYTES,
  );
  const pipeline = new BlockPipeline(response.connection, options.compression, payload.sizer(), options.signal);
  try {
    await payload.send(pipeline, shapeOf(header));
    await pipeline.end();
    await response.drain();
    return pipeline.rowsSent;
  } catch (error) {
    await pipeline.settle().catch(() => {});
    await endFailedInsert(response, error, options.compression);
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The payload: a job's Data packets
// ---------------------------------------------------------------------------------------------------------------

interface Payload {
  /** The block sizer of the next attempt's pipeline. */
  sizer(): BlockSizer;
  /** Sends the job's Data blocks (not the empty block that ends them) for the server's `header`. */
  send(pipeline: BlockPipeline, header: readonly ColumnHeader[]): Promise<void>;
}

/** The packets of one encoding: resent as they are while the server and the header stay the same. */
interface Encoding {
  revision: number;
  header: string;
  blocks: (EncodedBlock | undefined)[];
  /** Rows in the held blocks: all of them, or the rest is encoded again while it is sent. */
  staged: number;
}

/**
 * In-memory input: nothing goes out until every value is known to be valid. Sent once (a finite `holdBytes`), every
 * block is first run through the codecs with a DryWriter (every check, no bytes: strings are only type-checked), then
 * the blocks are encoded and sent one by one, so encoding overlaps with the server's work and about two blocks are
 * held; the input is encoded once, not once ahead and once again. With no limit (a resendable job), the
 * encoding is kept for the next attempt: a resend sends the same rows, in the same order, cut into the same blocks,
 * byte for byte (encoded again, with the same rows and boundaries, only when the revision or the header changed).
 */
class InMemoryPayload implements Payload {
  readonly rows: number;
  encoding: Encoding | undefined;
  /** Blocks (by index in the encoding) that reached the socket in some attempt. */
  readonly sentEver = new Set<number>();
  /** The current attempt handed a Data packet to the socket. */
  dataSent = false;

  constructor(
    readonly values: readonly InsertRow[] | ColumnarInput,
    private readonly blockRows: number,
    private readonly blockBytes: number,
    private readonly holdBytes: number,
  ) {
    this.rows = chunkRows(values);
  }

  /**
   * A fresh sizer per attempt. An encoding made again (another revision or header) cuts the blocks the held one cut:
   * a resend carries the same rows per block, whatever bytes the new encoding measures.
   */
  sizer(): BlockSizer {
    const held = this.encoding?.blocks;
    if (held && held.length > 0 && held.every((block) => block !== undefined))
      return new ReplayedCuts(held.map((block) => block.rows));
    return new BlockSizer(this.blockRows, this.blockBytes);
  }

  async send(pipeline: BlockPipeline, header: readonly ColumnHeader[]): Promise<void> {
    this.dataSent = false;
    const key = JSON.stringify(header);
    const scratch = new RowScratch(header);
    let encoding = this.encoding;
    if (!encoding || encoding.revision !== pipeline.revision || encoding.header !== key) {
      encoding = await this.encode(pipeline, header, key, scratch);
    }
    const keep = this.holdBytes === Infinity;
    this.encoding = keep ? encoding : undefined;
    for (let i = 0; i < encoding.blocks.length; i++) {
      this.dataSent = true;
      this.sentEver.add(i);
      await pipeline.write(encoding.blocks[i]!);
      if (!keep) encoding.blocks[i] = undefined; // the socket holds the bytes now
    }
    if (encoding.staged < this.rows) {
      for (const block of blocksOf(this.values, header, pipeline.sizer, 0, encoding.staged, scratch))
        await pipeline.push(block);
    }
  }

  private async encode(
    pipeline: BlockPipeline,
    header: readonly ColumnHeader[],
    key: string,
    scratch: RowScratch,
  ): Promise<Encoding> {
    const blocks: EncodedBlock[] = [];
    if (this.holdBytes !== Infinity) {
      // Validate all of it without keeping anything, so that a bad value anywhere still sends nothing; send()
      // then encodes each block as it goes out.
      const dry = new DryWriter(64 * 1024);
      let blockStart = 0;
      for (const block of blocksOf(this.values, header, pipeline.sizer, 0, 0, scratch)) {
        try {
          encodeBlockBody(pipeline.revision, block, dry);
        } catch (error) {
          throw shiftRow(error, blockStart);
        }
        blockStart += block.rows;
      }
      return { revision: pipeline.revision, header: key, blocks, staged: 0 };
    }
    let staged = 0;
    // Block N+1 is encoded on this thread while block N is compressed on the frame worker: awaiting each block's
    // compression before encoding the next left one of the two idle the whole time. One at most is compressing
    // (pipeline.encode), and each block is encoded before blocksOf cuts the next out of the shared row scratch.
    let compressing: Promise<EncodedBlock> | undefined;
    for (const block of blocksOf(this.values, header, pipeline.sizer, 0, 0, scratch)) {
      const next = pipeline.encode(block);
      if (compressing) blocks.push(await compressing);
      compressing = next;
      staged += block.rows;
    }
    if (compressing) blocks.push(await compressing);
    return { revision: pipeline.revision, header: key, blocks, staged };
  }
}

/**
 * A streamed input: encoded as it is pulled (every chunk into the block being built, stream-blocks.ts) and sent
 * block by block, once.
 */
class StreamPayload implements Payload {
  private constructor(
    private readonly chunks: AsyncGenerator<readonly InsertRow[] | ColumnarInput>,
    private next: IteratorResult<readonly InsertRow[] | ColumnarInput>,
    private readonly blockSizer: BlockSizer,
  ) {}

  /** Pulls the first chunk: it names the columns. */
  static async open(values: InsertValues, sizer: BlockSizer): Promise<StreamPayload> {
    const chunks = chunksOf(values, sizer);
    return new StreamPayload(chunks, await chunks.next(), sizer);
  }

  get first(): InsertChunk | undefined {
    return this.next.done ? undefined : this.next.value;
  }

  /** The sizer the blocks are cut by: the pipeline records into it. */
  sizer(): BlockSizer {
    return this.blockSizer;
  }

  async send(pipeline: BlockPipeline, header: readonly ColumnHeader[]): Promise<void> {
    const builder = new StreamBlockBuilder(header, pipeline.revision);
    const sizer = pipeline.sizer;
    /** The rows the block being built takes: decided when it starts, from the blocks before it (or a sample). */
    let target = 0;
    while (!this.next.done) {
      const chunk = this.next.value;
      const total = chunkRows(chunk);
      for (let start = 0; start < total;) {
        if (builder.rows === 0) target = sizer.rowsFor(sizer.maxRows, () => sampleBytesPerRow(chunk, start));
        const end = Math.min(total, start + target - builder.rows);
        builder.add(chunk, start, end, pipeline.rowsEncoded + builder.rows - start);
        start = end;
        if (builder.rows >= target || builder.bytes >= sizer.maxBytes) await builder.flush(pipeline);
      }
      this.next = await this.chunks.next();
    }
    await builder.flush(pipeline);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Attempts
// ---------------------------------------------------------------------------------------------------------------

/** The part of an attempt that both kinds of job share: start, header, data, end, acknowledgement. */
async function attempt(
  job: InsertJob,
  transport: InsertTransport,
  request: RequestParams & { query: string },
  payload: Payload,
  state: { response?: QueryResponse; pipeline?: BlockPipeline },
): Promise<InsertResult> {
  const { response, queryId } = await transport.start(request);
  state.response = response;
  const header = await readInsertHeader(response);
  job.checkHeader?.(response, header);
  const pipeline = new BlockPipeline(
    response.connection,
    transport.compression,
    payload.sizer(),
    job.abort_signal,
    job.pipelineStats,
  );
  state.pipeline = pipeline;
  await payload.send(pipeline, shapeOf(header));
  await pipeline.end();
  await response.drain();
  return {
    query_id: queryId,
    rows: pipeline.rowsSent,
    summary: response.summary(),
    table_columns: response.tableColumns,
  };
}

/** Whatever was handed to the socket goes out before the end of the INSERT (or the socket fails anyway). */
async function endAttempt(
  state: { response?: QueryResponse; pipeline?: BlockPipeline },
  error: unknown,
  compression: Compression,
): Promise<void> {
  if (state.pipeline) await state.pipeline.settle().catch(() => {});
  if (state.response) await endFailedInsert(state.response, error, compression);
}

/** A job sent once: its failure is thrown as it is (a bad value in a stream says how many rows went before it). */
async function runOnce(
  job: InsertJob,
  transport: InsertTransport,
  sql: string,
  payload: Payload,
): Promise<InsertResult> {
  const state: { response?: QueryResponse; pipeline?: BlockPipeline } = {};
  try {
    return await attempt(job, transport, { ...job, query: sql }, payload, state);
  } catch (error) {
    await endAttempt(state, error, transport.compression);
    const rowsSent = state.pipeline?.rowsSent ?? 0;
    if (error instanceof InvalidValueError && rowsSent > 0) {
      throw new InvalidValueError(`${error.reason} (the ${rowsSent} rows streamed before it were sent)`, {
        column: error.column,
        row: error.row,
        type: error.type,
      });
    }
    throw error;
  }
}

/**
 * A job whose packets are held: retried as retry.ts describes, resending the identical packets, and only where the
 * server deduplicates them unless the policy says otherwise.
 */
async function runResendable(
  job: InsertJob,
  transport: InsertTransport,
  sql: string,
  payload: InMemoryPayload,
  policy: RetryPolicy,
  baseQueryId: string,
): Promise<InsertResult> {
  const userToken = job.clickhouse_settings?.insert_deduplication_token;
  let token: string | undefined;
  let tokenDecided = !policy.deduplicationToken || userToken !== undefined;
  const errors: unknown[] = [];
  const queryIds: string[] = [];
  /** An attempt's outcome was unknown and the policy resends only into a deduplicating table: ask before resending. */
  let mustCheckDeduplication = false;

  const outcomeUnknown = (attempts: number, whyNotRetried?: string): InsertOutcomeUnknownError => {
    const encoding = payload.encoding;
    let unknownRows = 0;
    for (const index of payload.sentEver) unknownRows += encoding!.blocks[index]!.rows;
    return new InsertOutcomeUnknownError({
      table: job.table,
      attempts,
      queryIds,
      acknowledgedRows: job.acknowledgedRows,
      unknownRows,
      unsentRows: payload.rows - unknownRows,
      blocks: encoding!.blocks.length,
      blocksSent: payload.sentEver.size,
      deduplicationToken: token ?? (userToken === undefined ? undefined : String(userToken)),
      errors,
      rows: Array.isArray(payload.values) ? (payload.values as readonly InsertRow[]) : undefined,
      whyNotRetried,
    });
  };

  for (let attemptNumber = 1; ; attemptNumber++) {
    const queryId = attemptNumber === 1 ? baseQueryId : `${baseQueryId}-retry-${attemptNumber - 1}`;
    queryIds.push(queryId);
    const state: { response?: QueryResponse; pipeline?: BlockPipeline } = {};
    payload.dataSent = false;
    try {
      if (mustCheckDeduplication) {
        // Asked inside the attempt: a server that is still unreachable is one more failed, nothing-sent attempt.
        const verdict = await transport.deduplication(job.table, job.clickhouse_settings);
        if (!verdict.deduplicated) {
          queryIds.pop(); // this attempt never started
          throw outcomeUnknown(attemptNumber - 1, verdict.reason);
        }
        mustCheckDeduplication = false;
      }
      if (!tokenDecided) {
        // Asked inside the attempt: a server that is down now is a retriable, nothing-sent failure.
        if (supportsDeduplicationToken(await transport.server())) token = randomUUID();
        tokenDecided = true;
      }
      const settings =
        token === undefined
          ? job.clickhouse_settings
          : { ...job.clickhouse_settings, insert_deduplication_token: token };
      const result = await attempt(
        job,
        transport,
        { ...job, query_id: queryId, clickhouse_settings: settings, query: sql },
        payload,
        state,
      );
      return { ...result, rows: payload.rows };
    } catch (error) {
      if (error instanceof InsertOutcomeUnknownError) throw error;
      await endAttempt(state, error, transport.compression);
      const dataSent = payload.dataSent;
      const outcome = classifyInsertFailure(error, dataSent);
      if (outcome === 'fatal') {
        // A failure that is no transport fault (e.g. the deduplication lookup refused) after data went out in an
        // earlier attempt: the outcome of that attempt is still unknown, and the error must say so.
        if (
          payload.sentEver.size > 0 &&
          !dataSent &&
          !(error instanceof AbortError) &&
          !(error instanceof InvalidValueError)
        ) {
          errors.push(error);
          throw outcomeUnknown(attemptNumber, `the attempt before the resend failed: ${describe(error)}`);
        }
        throw error;
      }
      errors.push(error);
      const everSent = payload.sentEver.size > 0;
      const outOfAttempts =
        attemptNumber >= policy.attempts || (outcome === 'unknown' && policy.unknownOutcome === 'fail');
      if (outOfAttempts) {
        // Nothing ever went out: the insert is known not to be in the table, and the plain error says so.
        if (!everSent) throw error;
        throw outcomeUnknown(
          attemptNumber,
          policy.unknownOutcome === 'fail' ? "insert_retry.unknown_outcome is 'fail'" : undefined,
        );
      }
      if (outcome === 'unknown' && policy.unknownOutcome === 'when_deduplicated') {
        // Ask now, so that no retry is announced (on_retry) for an insert that will not be resent. A server that
        // cannot answer now is asked again at the start of the next attempt.
        const verdict = await transport.deduplication(job.table, job.clickhouse_settings).catch(() => undefined);
        if (verdict && !verdict.deduplicated) throw outcomeUnknown(attemptNumber, verdict.reason);
        mustCheckDeduplication = verdict === undefined;
      }
      const delay = retryDelay(policy, attemptNumber);
      policy.onRetry?.({ table: job.table, attempt: attemptNumber + 1, delay_ms: delay, error, outcome });
      await sleep(delay, job.abort_signal);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The INSERT's ends
// ---------------------------------------------------------------------------------------------------------------

/** Reads packets until the header block that tells the column types the server expects. */
export async function readInsertHeader(response: QueryResponse): Promise<Block> {
  const message = await response.next();
  if (message.type !== 'data') throw new ProtocolError('The server ended the INSERT before sending the header block');
  return message.block;
}

/**
 * After a failed insert: a bad value (found before its block went out) ends the INSERT with the empty block,
 * which commits nothing more and keeps the connection; anything else gives the connection up.
 */
async function endFailedInsert(response: QueryResponse, error: unknown, compression: Compression): Promise<void> {
  if (response.finished) return;
  if (error instanceof InvalidValueError && (await endInsertEmpty(response, compression))) return;
  response.abandon(error instanceof Error ? error : new ClickHouseNativeError(String(error)));
}

/**
 * Ends an INSERT whose header the server sent, before any Data block: the empty block commits nothing, and the
 * connection stays clean. False when that failed (the connection is then given up by the caller).
 */
export async function endInsertEmpty(response: QueryResponse, compression: Compression): Promise<boolean> {
  if (!response.connection.usable) return false;
  try {
    await response.connection.send(await encodeData(response.connection, null, compression));
    await response.drain();
    return true;
  } catch {
    return false;
  }
}

function sqlOf(table: string, columns: readonly string[]): string {
  return `INSERT INTO ${table} (${columns.map(quoteIdentifier).join(', ')}) VALUES`;
}

function shapeOf(header: Block): ColumnHeader[] {
  return header.columns.map(({ name, type }) => ({ name, type }));
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw new InvalidValueError(`${name} must be a positive integer, got ${value}`);
  return value;
}

function emptyResult(queryId: string): InsertResult {
  return {
    query_id: queryId,
    rows: 0,
    summary: {
      query_id: queryId,
      progress: emptyProgress(),
      profile_events: {},
      profile_info: undefined,
      totals: undefined,
      extremes: undefined,
    },
    table_columns: undefined,
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
