/**
 * npm run bench: clickhouse-native against the C++ clickhouse-client on one server started by the test harness
 * (CLICKHOUSE_URL, CLICKHOUSE_SERVER=chdb for ClickHouse 26.7, a container, or the local 18.16 binary), with data
 * shaped the way applications hold it (bench/app-data.ts). Every figure is a ratio against the C++ client in the
 * same run: each case is measured as BENCH_RUNS pairs (ours and the C++ client back to back, alternating which goes
 * first), and the report gives the median ratio with its min–max, CPU per million rows of both, and the load.
 *
 * Environment:
 *   BENCH_RUNS      pairs per case (default 3)
 *   APP_ROWS        rows per application-shaped insert (default 2 000 000)
 *   WIDE_ROWS       rows of the 20-column table per insert (default 1 000 000)
 *   READ_ROWS       UInt64 rows read back (default 100 000 000); READ_STRINGS strings read back (default 10 000 000)
 *   STREAM_ROWS     rows of the streaming-RSS insert (default 100 000 000)
 *   BENCH_SECTIONS  comma list of: app, wide, read, stream (default), and the earlier benchmark's insert, pipeline
 *   BENCH_ROWS      rows of the earlier six-column benchmark (section insert; default 5 000 000)
 *   BENCH_QUICK=1   a quick run: 300k / 100k / 10M / 1M / 5M rows
 *
 * Rows/s are wall-clock; CPU is the client's own user+system time (our whole process: main thread, worker threads
 * and the libuv pool; the C++ client's process through bash's `times`), per million rows. The server runs on the
 * same machine as both clients: only ratios within one run compare.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, type ClickHouseClient, type ColumnarInput, type InsertRow } from '../src/index.js';
import { LZ4_ENGINE } from '../src/compression/native.js';
import { startServer, type TestServer } from '../test/harness/server.js';
import { APP_COLUMNS, appColumns, appRows } from './app-data.js';
import { BENCH_COLUMNS, rowsOfChunk, wideChunk, wideColumns } from './data.js';
import { legacyInsertSection, pipelineReport, pipelineSection } from './legacy.js';
import { casesTable, loadAverage, measureInProcess, median, pair, ratioOf, type Case } from './measure.js';
import { cppInsert, cppSelect, type Measured } from './peers.js';
import { chunksOfRows, clientBlockRows, count, recreate, typesOf, writeNativeFile } from './tables.js';

const quick = process.env.BENCH_QUICK === '1';
const envInt = (name: string, full: number, small: number) => Number(process.env[name] ?? (quick ? small : full));
const RUNS = envInt('BENCH_RUNS', 3, 3);
const APP_ROWS = envInt('APP_ROWS', 2_000_000, 300_000);
const WIDE_ROWS = envInt('WIDE_ROWS', 1_000_000, 100_000);
const READ_ROWS = envInt('READ_ROWS', 100_000_000, 10_000_000);
const READ_STRINGS = envInt('READ_STRINGS', 10_000_000, 1_000_000);
const STREAM_ROWS = envInt('STREAM_ROWS', 100_000_000, 5_000_000);
const BENCH_ROWS = envInt('BENCH_ROWS', 5_000_000, 500_000);
const SECTIONS = new Set((process.env.BENCH_SECTIONS ?? 'app,wide,read,stream').split(','));
const here = path.dirname(fileURLToPath(import.meta.url));

const notes: string[] = [];
const log = (m: string) => console.error(`  ${m}`);
/**
 * A full collection before our measured work, then a pause: V8 sweeps what the collection freed (the data
 * generation's garbage) on helper threads after gc() returns, 0.25-0.35 CPU s per M rows that would land inside our
 * measured insert (bench/profile-insert.ts), work the C++ client, a separate process, never pays.
 */
const settledGc = async (): Promise<void> => {
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((resolve) => setTimeout(resolve, 1000));
};

function describePair(c: Case): string {
  const p = c.pairs[c.pairs.length - 1]!;
  const r = (m: Measured) =>
    `${(c.rows / m.seconds / 1e6).toFixed(2)} M rows/s, ${((m.cpuSeconds / c.rows) * 1e6).toFixed(3)} CPU s/M`;
  return `${c.name}: ours ${r(p.ours)}; C++ ${r(p.peer)}; ${ratioOf(p).toFixed(2)}× (load ${p.load[0].toFixed(1)})`;
}

/** A server of 22.3 or newer has DateTime64 and LowCardinality without an experimental setting. */
function isModern(server: TestServer): boolean {
  const [major, minor] = (server.version ?? '0.0').split('.').map(Number);
  return major! > 22 || (major === 22 && minor! >= 3);
}

/**
 * Writes the C++ client's Native file of `columns`, cut into the blocks our client's insert sends for them with its
 * default block sizes (tables.ts, clientBlockRows): like for like, since the block size changes both clients' and
 * the server's work. Returns the block size, for the section's header.
 */
function writePeerFile(
  server: TestServer,
  file: string,
  columns: ColumnarInput,
  types: Record<string, string>,
): string {
  const blocks = clientBlockRows(columns, types, server.revision);
  writeNativeFile(
    file,
    chunksOfRows(
      columns,
      blocks.map((b) => b.rows),
    ),
    types,
  );
  const typical = blocks[blocks.length > 2 ? 1 : 0]!;
  return (
    `${blocks.length} block${blocks.length === 1 ? '' : 's'} of ~${typical.rows.toLocaleString('en-US')} rows ` +
    `(~${(typical.bytes / 2 ** 20).toFixed(2)} MiB encoded) for both clients, as our default block sizing cuts them`
  );
}

// ---------------------------------------------------------------------------------------------------------------

const APP_TARGETS = [
  { name: 'MergeTree ORDER BY (user_id, ts)', engine: 'MergeTree ORDER BY (user_id, ts)' },
  { name: 'Null', engine: 'Null' },
];

/**
 * The application-shaped insert: one `client.insert` of APP_ROWS row objects (or one columnar object) into
 * MergeTree ORDER BY (user_id, ts) and into Null, lz4, next to the C++ client inserting a Native file of the same
 * rows. Fresh values for every run (no run finds another's strings flattened).
 */
async function appSection(server: TestServer, client: ClickHouseClient, tmp: string): Promise<Case[]> {
  const nativeFile = path.join(tmp, 'app.native');
  const blocks = writePeerFile(server, nativeFile, appColumns(APP_ROWS), typesOf(APP_COLUMNS));
  console.error(
    `\n[app] application-shaped rows, ${APP_ROWS.toLocaleString('en-US')} per insert, ${RUNS} runs; ${blocks}`,
  );
  notes.push(`Application-shaped rows: ${blocks}.`);
  const cases: Case[] = [];
  const shapes = [
    { input: 'row objects', make: (run: number) => appRows(APP_ROWS, run + 1) as InsertRow[] | ColumnarInput },
    { input: 'columns', make: (run: number) => appColumns(APP_ROWS, run + 1) as InsertRow[] | ColumnarInput },
  ];
  const goals: Record<string, number | undefined> = {
    'row objects → MergeTree ORDER BY (user_id, ts)': 1.0,
    'row objects → Null': 1.0,
    'columns → Null': 1.5,
  };
  for (const target of APP_TARGETS) {
    const table = `app_${target.engine === 'Null' ? 'null' : 'mergetree'}`;
    for (const shape of shapes) {
      const name = `${shape.input} → ${target.name}`;
      const c: Case = { name, rows: APP_ROWS, goal: goals[name], pairs: [] };
      for (let run = 0; run < RUNS; run++) {
        let values: InsertRow[] | ColumnarInput | undefined = shape.make(run);
        const ours = async () => {
          await recreate(server, table, APP_COLUMNS, target.engine);
          await settledGc();
          const m = await measureInProcess(() => client.insert({ table, values: values! }));
          values = undefined;
          await checkStored(server, table, target.engine, APP_ROWS);
          return m;
        };
        const peer = async () => {
          await recreate(server, table, APP_COLUMNS, target.engine);
          const m = await cppInsert(server, table, nativeFile);
          await checkStored(server, table, target.engine, APP_ROWS);
          return m;
        };
        c.pairs.push(await pair(run, ours, peer));
        log(describePair(c));
      }
      cases.push(c);
    }
  }
  fs.rmSync(nativeFile, { force: true });
  return cases;
}

async function checkStored(server: TestServer, table: string, engine: string, rows: number): Promise<void> {
  if (engine === 'Null') return;
  const stored = await count(server, table);
  if (stored !== rows) throw new Error(`${table}: ${stored} rows stored, expected ${rows}`);
}

/**
 * The 20-column table (LowCardinality, Nullable, Array, FixedString, Enum, UUID; Date objects for the two
 * DateTime timestamps), one columnar object or row objects per insert.
 */
async function wideSection(server: TestServer, client: ClickHouseClient, tmp: string): Promise<Case[]> {
  const modern = isModern(server);
  // DateTime, not DateTime64(3), on every server: the 18.16 C++ client cannot read a Native file with DateTime64.
  const columns = wideColumns(true);
  notes.push(
    'Wide table: its two timestamp columns are DateTime on every server (ClickHouse 18.16 and its C++ client have no DateTime64); the values are Date objects.',
  );
  const make = (): ColumnarInput => {
    const chunk = wideChunk(0, WIDE_ROWS);
    const toDates = (seconds: ArrayLike<unknown>) =>
      Array.from(seconds as ArrayLike<number>, (s) => new Date(s * 1000));
    return { ...chunk, ts: toDates(chunk.ts!), updated: toDates(chunk.updated!) };
  };
  const nativeFile = path.join(tmp, 'wide.native');
  const blocks = writePeerFile(server, nativeFile, make(), typesOf(columns));
  console.error(
    `\n[wide] 20-column table, ${WIDE_ROWS.toLocaleString('en-US')} rows per insert, ${RUNS} runs; ${blocks}`,
  );
  notes.push(`Wide table: ${blocks}.`);
  const settings = modern ? '' : '--allow_experimental_low_cardinality_type=1';
  const cases: Case[] = [];
  for (const target of [
    { name: 'Null', engine: 'Null' },
    { name: 'MergeTree ORDER BY id', engine: 'MergeTree ORDER BY id' },
  ]) {
    const table = `wide_${target.engine === 'Null' ? 'null' : 'mergetree'}`;
    for (const input of ['columns', 'row objects'] as const) {
      const c: Case = {
        name: `wide: ${input} → ${target.name}`,
        rows: WIDE_ROWS,
        goal: input === 'columns' ? 1.0 : undefined,
        pairs: [],
      };
      for (let run = 0; run < RUNS; run++) {
        let values: InsertRow[] | ColumnarInput | undefined = input === 'columns' ? make() : rowsOfChunk(make(), true);
        const ours = async () => {
          await recreate(server, table, columns, target.engine);
          await settledGc();
          const m = await measureInProcess(() => client.insert({ table, values: values! }));
          values = undefined;
          await checkStored(server, table, target.engine, WIDE_ROWS);
          return m;
        };
        const peer = async () => {
          await recreate(server, table, columns, target.engine);
          const m = await cppInsert(server, table, nativeFile, settings);
          await checkStored(server, table, target.engine, WIDE_ROWS);
          return m;
        };
        c.pairs.push(await pair(run, ours, peer));
        log(describePair(c));
      }
      cases.push(c);
    }
  }
  fs.rmSync(nativeFile, { force: true });
  return cases;
}

// ---------------------------------------------------------------------------------------------------------------

/**
 * Reads, consumed: 100 M UInt64 as blocks (every value summed) and 10 M strings as row objects (every string's
 * length summed), against `clickhouse-client --compression=1 --query "... FORMAT Native" > /dev/null`.
 */
async function readSection(server: TestServer, client: ClickHouseClient): Promise<Case[]> {
  console.error(`\n[read] SELECT consumed by us vs clickhouse-client FORMAT Native > /dev/null, ${RUNS} runs`);
  const numbers = `SELECT number FROM system.numbers LIMIT ${READ_ROWS}`;
  const strings = `SELECT toString(number) AS s FROM system.numbers LIMIT ${READ_STRINGS}`;
  const cases: Case[] = [
    { name: `read: ${READ_ROWS.toLocaleString('en-US')} UInt64 as blocks`, rows: READ_ROWS, goal: 1.0, pairs: [] },
    {
      name: `read: ${READ_STRINGS.toLocaleString('en-US')} strings as row objects`,
      rows: READ_STRINGS,
      goal: 0.8,
      pairs: [],
    },
  ];
  const sumBlocks = async () => {
    let consumed = 0;
    let low = 0;
    const result = await client.query({ query: numbers });
    for await (const block of result.blocks()) {
      const values = block.columns[0]!.values as BigUint64Array;
      const halves = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
      for (let i = 0; i < halves.length; i += 2) low = (low + halves[i]!) | 0;
      consumed += values.length;
    }
    if (consumed !== READ_ROWS) throw new Error(`read ${consumed} rows, expected ${READ_ROWS} (${low})`);
  };
  const sumRows = async () => {
    let consumed = 0;
    let length = 0;
    const result = await client.query({ query: strings });
    for await (const row of result) {
      length += (row.s as string).length;
      consumed++;
    }
    if (consumed !== READ_STRINGS || length === 0) throw new Error(`read ${consumed} rows, expected ${READ_STRINGS}`);
  };
  for (let run = 0; run < RUNS; run++) {
    await settledGc();
    cases[0]!.pairs.push(
      await pair(
        run,
        () => measureInProcess(sumBlocks),
        () => cppSelect(server, numbers),
      ),
    );
    log(describePair(cases[0]!));
    await settledGc();
    cases[1]!.pairs.push(
      await pair(
        run,
        () => measureInProcess(sumRows),
        () => cppSelect(server, strings),
      ),
    );
    log(describePair(cases[1]!));
  }
  return cases;
}

// ---------------------------------------------------------------------------------------------------------------

interface StreamRss {
  shape: string;
  chunkRows: number;
  rows: number;
  seconds: number;
  cpuSeconds: number;
  /** One full block of the stream's data as the driver cuts it by default: rows, and encoded size (the child measures it). */
  blockRows: number;
  blockBytes: number;
  peakRss: number;
  baselineRss: number;
  peakHeapTotal: number;
  peakHeapUsed: number;
  peakArrayBuffers: number;
  peakExternal: number;
}

/**
 * A STREAM_ROWS-row stream.pipeline → insertStream into Null in a child process (bench/stream-rss.ts: an
 * application's producer of 1 000-row arrays of row objects), sampling its RSS.
 */
async function streamSection(server: TestServer): Promise<StreamRss> {
  console.error(
    `\n[stream] ${STREAM_ROWS.toLocaleString('en-US')} rows through insertStream into Null, in a child process`,
  );
  const table = 'bench_stream';
  await recreate(server, table, BENCH_COLUMNS, 'Null');
  // The child runs as one bundled file on plain node when esbuild (tsx's own bundler) is there: tsx's loader
  // thread alone would add tens of MB to the RSS being measured.
  const script = await bundleStreamChild();
  const args = script ? ['--expose-gc', script] : ['--expose-gc', '--import', 'tsx', path.join(here, 'stream-rss.ts')];
  if (!script) notes.push('Streaming RSS measured under tsx (esbuild missing): its loader adds to the RSS.');
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      env: { ...process.env, BENCH_URL: server.url, BENCH_TABLE: table, STREAM_ROWS: String(STREAM_ROWS) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`stream-rss exited with ${code}`))));
  });
  const result = JSON.parse(out.trim().split('\n').pop()!) as StreamRss;
  log(JSON.stringify(result));
  return result;
}

/**
 * Bundles bench/stream-rss.ts, and the frame worker next to it (so that the insert compresses on the worker, as it
 * does from dist/), into node_modules/.cache (so their native dependencies resolve); undefined on failure.
 */
async function bundleStreamChild(): Promise<string | undefined> {
  try {
    const esbuild = await import('esbuild');
    const dir = path.join(here, '..', 'node_modules', '.cache', 'clickhouse-native-bench');
    fs.mkdirSync(dir, { recursive: true });
    // .js files of an ES module package: frame-pool.ts starts `./frame-worker.js` beside a module ending in .js.
    fs.writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}');
    const options = {
      bundle: true,
      platform: 'node',
      format: 'esm',
      external: ['lz4-napi', '@mongodb-js/zstd'],
      logLevel: 'warning',
    } satisfies import('esbuild').BuildOptions;
    await esbuild.build({
      ...options,
      entryPoints: [path.join(here, 'stream-rss.ts')],
      outfile: path.join(dir, 'stream-rss.js'),
    });
    await esbuild.build({
      ...options,
      entryPoints: [path.join(here, '..', 'src', 'compression', 'frame-worker.ts')],
      outfile: path.join(dir, 'frame-worker.js'),
    });
    return path.join(dir, 'stream-rss.js');
  } catch {
    return undefined;
  }
}

/**
 * The target, as bench/stream-rss.ts states it: the RSS may grow during the insert (peak minus the RSS just before
 * it) by at most 2 × the encoded size of one block + 64 MiB.
 */
function streamReport(stream: StreamRss): string {
  const mib = (n: number) => `${(n / 2 ** 20).toFixed(0)} MiB`;
  const bound = 2 * stream.blockBytes + 64 * 2 ** 20;
  const growth = stream.peakRss - stream.baselineRss;
  return (
    `Streaming insert: ${stream.rows.toLocaleString('en-US')} rows (${stream.shape}, ${stream.chunkRows} per chunk) via ` +
    `stream.pipeline → insertStream into Null in ${stream.seconds.toFixed(1)} s ` +
    `(${(stream.rows / stream.seconds / 1e6).toFixed(2)} M rows/s, ` +
    `${((stream.cpuSeconds / stream.rows) * 1e6).toFixed(3)} CPU s / M rows, producer included); RSS grew by ` +
    `${mib(growth)} (peak ${mib(stream.peakRss)}, ${mib(stream.baselineRss)} before the insert); one block is ` +
    `${stream.blockRows.toLocaleString('en-US')} rows, ${(stream.blockBytes / 2 ** 20).toFixed(2)} MiB encoded, so the bound 2 × block + 64 MiB is ${mib(bound)}: ` +
    `${growth <= bound ? 'met' : 'MISSED'}. At the peak: V8 heap ${mib(stream.peakHeapTotal)} ` +
    `(${mib(stream.peakHeapUsed)} used, live or not yet collected), ArrayBuffers ${mib(stream.peakArrayBuffers)}, ` +
    `external ${mib(stream.peakExternal)}.`
  );
}

// ---------------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = Date.now();
  const loadAtStart = loadAverage();
  console.error(
    'Starting a ClickHouse server (CLICKHOUSE_URL, CLICKHOUSE_SERVER=chdb, a container, or the local binary)...',
  );
  const server = await startServer({ log });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'clickhouse-native-bench-'));
  const cases: Case[] = [];
  const reports: string[] = [];
  let stream: StreamRss | undefined;
  try {
    console.error(`Server: ${server.kind}, ClickHouse ${server.version ?? '?'} on ${server.host}:${server.port}`);
    const client = createClient({ url: server.url, compression: 'lz4' });
    await client.ping();
    try {
      if (SECTIONS.has('app')) cases.push(...(await appSection(server, client, tmp)));
      if (SECTIONS.has('wide')) cases.push(...(await wideSection(server, client, tmp)));
      if (SECTIONS.has('read')) cases.push(...(await readSection(server, client)));
    } finally {
      await client.close();
    }
    if (SECTIONS.has('stream')) stream = await streamSection(server);
    if (SECTIONS.has('insert')) reports.push(await legacyInsertSection(server, tmp, BENCH_ROWS));
    if (SECTIONS.has('pipeline')) reports.push(pipelineReport(pipelineSection(BENCH_ROWS)));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
    await server.stop();
  }

  const out: string[] = [];
  out.push(
    `clickhouse-native vs clickhouse-client (C++, --compression=1) — ClickHouse ${server.version ?? '?'} (${server.kind}), ` +
      `Node ${process.version}, ${os.cpus().length} cores, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ` +
      `load average ${loadAtStart.toFixed(1)} at start, ${loadAverage().toFixed(1)} at the end; LZ4 + CityHash: ${LZ4_ENGINE}`,
  );
  if (cases.length > 0) {
    out.push('');
    out.push(casesTable(cases, 'C++'));
    const goals = cases.filter((c) => c.goal !== undefined);
    const missed = goals.filter((c) => median(c.pairs.map(ratioOf)) < c.goal!);
    out.push('');
    out.push(
      `Goals met: ${goals.length - missed.length} of ${goals.length}${missed.length ? `; missed: ${missed.map((c) => c.name).join('; ')}` : ''}.`,
    );
  }
  if (stream) out.push('', streamReport(stream));
  for (const report of reports) out.push('', report);
  for (const note of notes) out.push(`Note: ${note}`);
  out.push(`(${((Date.now() - started) / 1000).toFixed(0)} s in all)`);
  console.log(out.join('\n'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
