/**
 * A child process of the benchmark (bench/run.ts, section `stream`): a streaming insert of STREAM_ROWS rows through
 * `stream.pipeline(Readable, client.insertStream())` into a Null table, sampling its own RSS. It prints one JSON
 * line. Run alone (and with --expose-gc, so that the baseline is taken after a collection) so that nothing else in
 * the process inflates the RSS.
 *
 * What the target "a streamed insert holds RSS under two blocks plus 64 MiB" means here: the growth of the RSS
 * during the insert (its peak minus the RSS just before the insert starts; what the process held before, node and
 * the application, is outside a driver's control) must stay under 2 × (the encoded size of one block) + 64 MiB. The
 * block is a full block as the driver cuts it from this data by default (insert_block_rows rows, or fewer if
 * insert_block_bytes cuts it), encoded uncompressed (the Native body the codecs write); the child measures it from the
 * same generator and prints it as `blockBytes` (and its rows as `blockRows`).
 *
 * The producer is an application's: a generator that builds every chunk when the stream pulls it (so
 * back-pressure holds it: Readable.from pulls only when the insert Writable has room), with values made at run
 * time. STREAM_SHAPE picks what it yields:
 *   rows     (default) arrays of STREAM_CHUNK (default 1 000) row objects, as a cursor or a parser hands out pages:
 *            { id: bigint, ts: Date, user_id, event, url: a unique string, value }
 *   columns  columnar chunks of STREAM_CHUNK (default 10 000) rows: BigUint64Array ids, Date[] timestamps,
 *            Uint32Array, string[] events and unique urls, Float64Array
 * STREAM_SINK=null sends the same stream into a Writable that drops it: the producer's own share of the growth.
 * STREAM_BLOCK_ROWS / STREAM_BLOCK_BYTES set the client's insert_block_rows / insert_block_bytes (default: its defaults).
 */
import fs from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createClient, type ColumnarInput, type InsertChunk, type InsertRow } from '../src/index.js';
import { encodeBlockBody } from '../src/connection/exchange.js';
import { DEFAULT_INSERT_BLOCK_BYTES, DEFAULT_INSERT_BLOCK_ROWS } from '../src/insert/insert.js';
import { ByteWriter } from '../src/protocol/writer.js';

const url = process.env.BENCH_URL!;
const table = process.env.BENCH_TABLE!;
/** The table's columns (bench/app-data.ts's APP_COLUMNS), for measuring one encoded block. */
const TYPES: Record<string, string> = {
  id: 'UInt64',
  ts: 'DateTime',
  user_id: 'UInt32',
  event: 'String',
  url: 'String',
  value: 'Float64',
};
const total = Number(process.env.STREAM_ROWS ?? 100_000_000);
const shape = process.env.STREAM_SHAPE === 'columns' ? 'columns' : 'rows';
const chunkRows = Number(process.env.STREAM_CHUNK ?? (shape === 'rows' ? 1_000 : 10_000));
/**
 * Chunks the producer's Readable buffers (default 1: a cursor that fetches the next page when it is asked for it).
 * Node's object-mode default, 16, holds 16 000 rows in the producer's own buffer; they outlive V8's young
 * generation there, whoever consumes them (STREAM_HWM=16 shows what that costs).
 */
const highWaterMark = Number(process.env.STREAM_HWM ?? 1);
/** Chunks the insert Writable buffers (default: insertStream's own default). */
const insertHighWaterMark = process.env.STREAM_INSERT_HWM ? Number(process.env.STREAM_INSERT_HWM) : undefined;
const sinkOnly = process.env.STREAM_SINK === 'null';
const maxBlockRows = Number(process.env.STREAM_BLOCK_ROWS ?? DEFAULT_INSERT_BLOCK_ROWS);
const maxBlockBytes = Number(process.env.STREAM_BLOCK_BYTES ?? DEFAULT_INSERT_BLOCK_BYTES);

const EVENTS = ['view', 'click', 'purchase', 'signup', 'logout'];
const TS0_MS = Date.UTC(2026, 0, 1);

/** A unique url for row n, built at run time like bench/app-data.ts's (45-52 ASCII characters). */
function urlOf(n: number): string {
  return `https://shop.example.com/item/${n}?s=${(Math.imul(n, 2_654_435_761) >>> 0).toString(36)}&p=${n % 97}`;
}

/** Rows [offset, offset + rows) of the stream in the chosen shape, made fresh when the stream pulls them. */
function chunkAt(offset: number, rows: number): InsertChunk {
  if (shape === 'rows') {
    const out = new Array<InsertRow>(rows);
    for (let i = 0; i < rows; i++) {
      const n = offset + i;
      out[i] = {
        id: BigInt(n),
        ts: new Date(TS0_MS + (n % 86_400) * 1000),
        user_id: (n * 2_654_435_761) % 1_000_003,
        event: EVENTS[n % 5]!,
        url: urlOf(n),
        value: (n % 10_000) / 100,
      };
    }
    return out;
  }
  const id = new BigUint64Array(rows);
  const ts = new Array<Date>(rows);
  const user = new Uint32Array(rows);
  const event = new Array<string>(rows);
  const urls = new Array<string>(rows);
  const value = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const n = offset + i;
    id[i] = BigInt(n);
    ts[i] = new Date(TS0_MS + (n % 86_400) * 1000);
    user[i] = (n * 2_654_435_761) % 1_000_003;
    event[i] = EVENTS[n % 5]!;
    urls[i] = urlOf(n);
    value[i] = (n % 10_000) / 100;
  }
  return { id, ts, user_id: user, event, url: urls, value };
}

function* chunks(): Generator<InsertChunk> {
  for (let offset = 0; offset < total; offset += chunkRows) yield chunkAt(offset, Math.min(chunkRows, total - offset));
}

/**
 * One full block of this stream's data as the driver cuts it by default: its rows, and its encoded (uncompressed)
 * size. The rows come from the bytes per row of a first 10 000 rows, as the driver's BlockSizer takes them from the
 * blocks it encoded.
 */
function oneBlock(): { rows: number; bytes: number } {
  const probe = 10_000;
  const perRow = encodedBytes(probe) / probe;
  const rows = Math.min(maxBlockRows, Math.max(1, Math.floor(maxBlockBytes / perRow)));
  return { rows, bytes: encodedBytes(rows) };
}

/** The encoded (uncompressed) size of the stream's first `blockRows` rows as one block. */
function encodedBytes(blockRows: number): number {
  const parts: InsertChunk[] = [];
  for (let offset = 0; offset < blockRows; offset += chunkRows)
    parts.push(chunkAt(offset, Math.min(chunkRows, blockRows - offset)));
  const values: Record<string, unknown[]> = {};
  const types = TYPES;
  for (const name of Object.keys(types)) values[name] = [];
  for (const part of parts) {
    if (Array.isArray(part)) {
      for (const row of part as InsertRow[]) for (const name of Object.keys(types)) values[name]!.push(row[name]);
    } else {
      for (const name of Object.keys(types)) values[name]!.push(...Array.from((part as ColumnarInput)[name]!));
    }
  }
  const writer = new ByteWriter();
  encodeBlockBody(
    54412,
    { rows: blockRows, columns: Object.entries(types).map(([name, type]) => ({ name, type, values: values[name]! })) },
    writer,
  );
  return writer.length;
}

async function main(): Promise<void> {
  const client = createClient({
    url,
    compression: (process.env.STREAM_COMPRESSION ?? 'lz4') as 'lz4' | 'zstd' | 'none',
    insert_block_rows: maxBlockRows,
    insert_block_bytes: maxBlockBytes,
  });
  await client.ping();
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  let atPeak = process.memoryUsage();
  /** STREAM_SMAPS=file: /proc/self/smaps as it was at the peak, written there (Linux), to see what the RSS is. */
  let smaps = '';
  if (process.env.STREAM_SMAPS)
    fs.writeFileSync(`${process.env.STREAM_SMAPS}.start`, fs.readFileSync('/proc/self/smaps'));
  const timer = setInterval(() => {
    const usage = process.memoryUsage();
    if (usage.rss > peak) {
      peak = usage.rss;
      atPeak = usage;
      if (process.env.STREAM_SMAPS) smaps = fs.readFileSync('/proc/self/smaps', 'utf8');
    }
  }, 20);
  const cpu = process.cpuUsage();
  const started = performance.now();
  const source = Readable.from(chunks(), { objectMode: true, highWaterMark });
  let rows: number;
  if (sinkOnly) {
    rows = 0;
    const sink = new Writable({
      objectMode: true,
      highWaterMark,
      write(chunk: InsertChunk, _encoding, callback) {
        rows += Array.isArray(chunk) ? chunk.length : Object.values(chunk as ColumnarInput)[0]!.length;
        callback();
      },
    });
    await pipeline(source, sink);
  } else {
    const insert = client.insertStream({ table, highWaterMark: insertHighWaterMark });
    await pipeline(source, insert);
    rows = (await insert.result).rows;
  }
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  await client.close();
  if (process.env.STREAM_SMAPS) fs.writeFileSync(process.env.STREAM_SMAPS, smaps);
  // Measured after the run: its rows would otherwise be in the heap the baseline is taken from.
  const block = oneBlock();
  console.log(
    JSON.stringify({
      shape,
      chunkRows,
      sink: sinkOnly ? 'null' : 'insert',
      rows,
      seconds,
      cpuSeconds: (used.user + used.system) / 1e6,
      blockRows: block.rows,
      blockBytes: block.bytes,
      peakRss: peak,
      baselineRss: baseline,
      // What the RSS held at its peak: V8's heap (live and not yet collected), and Buffers/TypedArrays.
      peakHeapTotal: atPeak.heapTotal,
      peakHeapUsed: atPeak.heapUsed,
      peakArrayBuffers: atPeak.arrayBuffers,
      peakExternal: atPeak.external,
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
