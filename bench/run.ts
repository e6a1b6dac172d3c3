/**
 * npm run bench: insert throughput of clickhouse-native next to its peers, on one server started by the test
 * harness (CLICKHOUSE_URL, a container, or the local clickhouse-server), with the same rows for everyone.
 *
 * Environment:
 *   BENCH_ROWS      rows of the six-column `bench` table per run (default 5 000 000)
 *   WIDE_ROWS       rows of the 20-column table per run (default 1 000 000)
 *   STREAM_ROWS     rows of the streaming-RSS insert (default 100 000 000)
 *   READ_ROWS       UInt64 rows read back (default 100 000 000); READ_STRINGS strings read back (default 10 000 000)
 *   BENCH_SECTIONS  comma list of: insert, wide, pipeline, stream, read (default all)
 *   BENCH_QUICK=1   a quick run: 500k / 200k / 5M / 10M / 1M rows
 *
 * Rows/s are wall-clock; CPU is the client's own user+system time (our process, or the peer's process), per
 * million rows. The server runs on the same machine: compare ratios within one run.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compressSync as lz4Prefixed } from 'lz4-napi';
import { createClient, type ColumnarInput, type CompressionMethod, type InsertRow } from '../src/index.js';
import { getCodec } from '../src/columns/registry.js';
import { NativeFormat } from '../src/columns/native-format.js';
import { compressToFramesSync, MAX_FRAME_INPUT } from '../src/compression/frame.js';
import { cityHash128 } from '../src/compression/cityhash.js';
import { encodeBlockBody } from '../src/connection/exchange.js';
import { ByteWriter } from '../src/protocol/writer.js';
import type { Block } from '../src/columns/block.js';
import { adminQuery, startServer, type TestServer } from '../test/harness/server.js';
import {
  BENCH_COLUMNS,
  benchChunks,
  benchRows,
  rowsOfChunk,
  wideChunks,
  wideColumns,
  type BenchChunk,
} from './data.js';
import { cppInsert, cppSelect, httpInsert, pythonDriver, pythonInsert, type Measured } from './peers.js';

const quick = process.env.BENCH_QUICK === '1';
const envInt = (name: string, full: number, small: number) => Number(process.env[name] ?? (quick ? small : full));
const BENCH_ROWS = envInt('BENCH_ROWS', 5_000_000, 500_000);
const WIDE_ROWS = envInt('WIDE_ROWS', 1_000_000, 200_000);
const STREAM_ROWS = envInt('STREAM_ROWS', 100_000_000, 5_000_000);
const READ_ROWS = envInt('READ_ROWS', 100_000_000, 10_000_000);
const READ_STRINGS = envInt('READ_STRINGS', 10_000_000, 1_000_000);
const SECTIONS = new Set((process.env.BENCH_SECTIONS ?? 'insert,wide,pipeline,stream,read').split(','));
const REVISION = 54412;
const here = path.dirname(fileURLToPath(import.meta.url));

interface Result {
  schema: string;
  client: string;
  input: string;
  compression: string;
  target: string;
  rows: number;
  m: Measured;
}

const results: Result[] = [];
const notes: string[] = [];
const log = (m: string) => console.error(`  ${m}`);

function mrows(rows: number, m: Measured): string {
  return (rows / m.seconds / 1e6).toFixed(2);
}

function cpuPerM(rows: number, m: Measured): string {
  return ((m.cpuSeconds / rows) * 1e6).toFixed(3);
}

async function measureInProcess(run: () => Promise<unknown>): Promise<Measured> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await run();
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { seconds, cpuSeconds: (used.user + used.system) / 1e6 };
}

async function recreate(server: TestServer, table: string, columns: string, engine: string): Promise<void> {
  await adminQuery(server, `DROP TABLE IF EXISTS ${table}`);
  await adminQuery(server, `CREATE TABLE ${table} (${columns}) ENGINE = ${engine}`, {
    settings: { allow_experimental_low_cardinality_type: 1 },
  });
}

async function count(server: TestServer, table: string): Promise<number> {
  return Number((await adminQuery(server, `SELECT count() FROM ${table}`)).trim());
}

const TARGETS = [
  { name: 'Null', engine: 'Null' },
  { name: 'MergeTree', engine: 'MergeTree ORDER BY id' },
];

async function record(server: TestServer, r: Omit<Result, 'm'>, table: string, run: () => Promise<Measured>) {
  global.gc?.();
  const m = await run();
  if (r.target.startsWith('MergeTree')) {
    const stored = await count(server, table);
    if (stored !== r.rows) throw new Error(`${r.client} ${r.input}: ${stored} rows stored, expected ${r.rows}`);
  }
  results.push({ ...r, m });
  log(
    `${r.schema} ${r.client} ${r.input} ${r.compression} → ${r.target}: ${mrows(r.rows, m)} M rows/s, ${cpuPerM(r.rows, m)} CPU s/M`,
  );
}

/** Writes the chunks as one Native file (what the C++ client reads on stdin). */
function writeNativeFile(file: string, chunks: readonly ColumnarInput[], types: Record<string, string>): void {
  const fd = fs.openSync(file, 'w');
  try {
    for (const chunk of chunks) {
      const rows = Object.values(chunk)[0]!.length;
      const block: Block = {
        rows,
        columns: Object.entries(chunk).map(([name, values]) => ({ name, type: types[name]!, values })),
      };
      fs.writeSync(fd, NativeFormat.encode([block]));
    }
  } finally {
    fs.closeSync(fd);
  }
}

function typesOf(columns: string): Record<string, string> {
  const out: Record<string, string> = {};
  // "name Type(args, ...)" separated by top-level commas
  let depth = 0;
  let current = '';
  for (const ch of columns + ',') {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      const trimmed = current.trim();
      const space = trimmed.indexOf(' ');
      out[trimmed.slice(0, space)] = trimmed.slice(space + 1).trim();
      current = '';
    } else current += ch;
  }
  return out;
}

async function* iterate<T>(items: readonly T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}

// ---------------------------------------------------------------------------------------------------------------

async function insertSection(server: TestServer, tmp: string): Promise<void> {
  console.error(`\n[insert] bench table, ${BENCH_ROWS.toLocaleString('en-US')} rows per run`);
  const chunks = benchChunks(BENCH_ROWS);
  const nativeFile = path.join(tmp, 'bench.native');
  writeNativeFile(nativeFile, chunks as unknown as ColumnarInput[], typesOf(BENCH_COLUMNS));
  const python = await pythonDriver(log);
  if (!python.ok) notes.push(`Python clickhouse-driver not run: ${python.why}.`);
  const rowChunks = chunks.map(benchRows);

  for (const target of TARGETS) {
    const table = `bench_${target.name.toLowerCase()}`;
    const base = { schema: 'bench (6 cols)', rows: BENCH_ROWS, target: target.name };
    for (const compression of ['lz4', 'zstd', 'none'] as CompressionMethod[]) {
      const client = createClient({ url: server.url, compression });
      await client.ping();
      for (const input of ['columns', 'rows'] as const) {
        await recreate(server, table, BENCH_COLUMNS, target.engine);
        const values = input === 'columns' ? iterate(chunks as unknown as ColumnarInput[]) : iterate(rowChunks);
        await record(server, { ...base, client: 'clickhouse-native', input, compression }, table, () =>
          measureInProcess(() => client.insert({ table, values })),
        );
      }
      await client.close();
    }
    await recreate(server, table, BENCH_COLUMNS, target.engine);
    await record(
      server,
      { ...base, client: 'clickhouse-client (C++)', input: 'Native file', compression: 'lz4' },
      table,
      () => cppInsert(server, table, nativeFile),
    );
    await recreate(server, table, BENCH_COLUMNS, target.engine);
    await record(
      server,
      { ...base, client: '@clickhouse/client', input: 'JSONEachRow rows', compression: 'none' },
      table,
      () =>
        httpInsert(server, table, function* () {
          for (const rows of rowChunks) yield* rows;
        }),
    );
    if (python.ok) {
      await recreate(server, table, BENCH_COLUMNS, target.engine);
      await record(
        server,
        { ...base, client: 'clickhouse-driver (Python)', input: 'columns', compression: 'none' },
        table,
        () => pythonInsert(server, table, BENCH_ROWS),
      );
    }
  }
  fs.rmSync(nativeFile, { force: true });
}

async function wideSection(server: TestServer, tmp: string): Promise<void> {
  let lowCardinality = true;
  try {
    getCodec('LowCardinality(String)');
  } catch {
    lowCardinality = false;
    notes.push('Wide table: LowCardinality(String) has no codec in this build yet, so those two columns are String.');
  }
  notes.push('Wide table: ClickHouse 18.16 has no DateTime64, so its two timestamp columns are DateTime.');
  const columns = wideColumns(lowCardinality);
  console.error(
    `\n[wide] 20-column table (${lowCardinality ? 'with' : 'without'} LowCardinality), ${WIDE_ROWS.toLocaleString('en-US')} rows per run`,
  );
  const chunks = wideChunks(WIDE_ROWS);
  const nativeFile = path.join(tmp, 'wide.native');
  writeNativeFile(nativeFile, chunks, typesOf(columns));
  const rowChunks = chunks.map(rowsOfChunk);
  for (const target of TARGETS) {
    const table = `wide_${target.name.toLowerCase()}`;
    const base = { schema: 'wide (20 cols)', rows: WIDE_ROWS, target: target.name };
    const client = createClient({ url: server.url, compression: 'lz4' });
    await client.ping();
    for (const input of ['columns', 'rows'] as const) {
      await recreate(server, table, columns, target.engine);
      const values = input === 'columns' ? iterate(chunks) : iterate(rowChunks);
      await record(server, { ...base, client: 'clickhouse-native', input, compression: 'lz4' }, table, () =>
        measureInProcess(() => client.insert({ table, values })),
      );
    }
    await client.close();
    await recreate(server, table, columns, target.engine);
    await record(
      server,
      { ...base, client: 'clickhouse-client (C++)', input: 'Native file', compression: 'lz4' },
      table,
      () => cppInsert(server, table, nativeFile, '--allow_experimental_low_cardinality_type=1'),
    );
    await recreate(server, table, columns, target.engine);
    await record(
      server,
      { ...base, client: '@clickhouse/client', input: 'JSONEachRow rows', compression: 'none' },
      table,
      () =>
        httpInsert(server, table, function* () {
          for (const rows of rowChunks) for (const row of rows) yield jsonRow(row);
        }),
    );
  }
  notes.push('Wide table: the Python driver is run on the six-column table only.');
  fs.rmSync(nativeFile, { force: true });
}

/** Wide rows for JSONEachRow: dates as text (the JSON parser of 18.16 reads them as text). */
function jsonRow(row: InsertRow): InsertRow {
  const iso = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 19).replace('T', ' ');
  return {
    ...row,
    ts: iso(row.ts as number),
    updated: iso(row.updated as number),
    day: new Date((row.day as number) * 86_400_000).toISOString().slice(0, 10),
  };
}

// ---------------------------------------------------------------------------------------------------------------

interface PipelineCost {
  rawBytes: number;
  bare: number;
  encode: number;
  compress: number;
  checksum: number;
  pipeline: number;
}

/** Encode + LZ4 + checksum of the bench rows against bare lz4-napi on the same bytes, in-process, no network. */
function pipelineSection(): PipelineCost {
  console.error('\n[pipeline] encode + compress + checksum vs bare LZ4');
  const chunks = benchChunks(Math.min(BENCH_ROWS, 2_000_000));
  const blocks: Block[] = chunks.map((chunk: BenchChunk) => ({
    rows: chunk.id.length,
    columns: Object.entries(typesOf(BENCH_COLUMNS)).map(([name, type]) => ({
      name,
      type,
      values: (chunk as unknown as ColumnarInput)[name]!,
    })),
  }));
  const writer = new ByteWriter(8 << 20);
  const bodies = blocks.map((block) => {
    encodeBlockBody(REVISION, block, writer);
    return Buffer.from(writer.view());
  });
  const rawBytes = bodies.reduce((n, b) => n + b.length, 0);
  const best = (run: () => void): number => {
    let min = Infinity;
    for (let round = 0; round < 5; round++) {
      const t = performance.now();
      run();
      min = Math.min(min, performance.now() - t);
    }
    return min / 1000;
  };
  const bare = best(() => {
    for (const body of bodies) {
      for (let i = 0; i < body.length; i += MAX_FRAME_INPUT)
        lz4Prefixed(body.subarray(i, Math.min(i + MAX_FRAME_INPUT, body.length)));
    }
  });
  const encode = best(() => {
    for (const block of blocks) encodeBlockBody(REVISION, block, writer);
  });
  const compressed = bodies.map((body) => compressToFramesSync(body, 'lz4'));
  const compress = best(() => {
    for (const body of bodies) compressToFramesSync(body, 'lz4');
  });
  const checksum = best(() => {
    for (const frames of compressed) for (const frame of frames) cityHash128(frame, 16, frame.length);
  });
  const pipeline = best(() => {
    for (const block of blocks) {
      encodeBlockBody(REVISION, block, writer);
      compressToFramesSync(writer.view(), 'lz4');
    }
  });
  const cost = { rawBytes, bare, encode, compress, checksum, pipeline };
  log(JSON.stringify(cost));
  return cost;
}

// ---------------------------------------------------------------------------------------------------------------

interface StreamRss {
  rows: number;
  seconds: number;
  peakRss: number;
  baselineRss: number;
  peakHeapTotal: number;
  peakHeapUsed: number;
  peakArrayBuffers: number;
  peakExternal: number;
  blockBytes: number;
}

async function streamSection(server: TestServer): Promise<StreamRss> {
  console.error(
    `\n[stream] ${STREAM_ROWS.toLocaleString('en-US')} rows through insertStream into Null, in a child process`,
  );
  const table = 'bench_stream';
  await recreate(server, table, BENCH_COLUMNS, 'Null');
  // The encoded size of one default block of bench rows (100 000 rows).
  const [chunk] = benchChunks(100_000);
  const block: Block = {
    rows: 100_000,
    columns: Object.entries(typesOf(BENCH_COLUMNS)).map(([name, type]) => ({
      name,
      type,
      values: (chunk as unknown as ColumnarInput)[name]!,
    })),
  };
  const writer = new ByteWriter();
  encodeBlockBody(REVISION, block, writer);
  const blockBytes = writer.length;
  // The child runs as one bundled file on plain node when esbuild (tsx's own bundler) is there: tsx's loader
  // thread alone would add tens of MB to the RSS being measured.
  const script = await bundleStreamChild();
  const args = script ? [script] : ['--import', 'tsx', path.join(here, 'stream-rss.ts')];
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
  const parsed = JSON.parse(out.trim().split('\n').pop()!) as Omit<StreamRss, 'blockBytes'>;
  const result = { ...parsed, blockBytes };
  log(JSON.stringify(result));
  return result;
}

/** Bundles bench/stream-rss.ts into node_modules/.cache (so its native dependencies resolve); undefined on failure. */
async function bundleStreamChild(): Promise<string | undefined> {
  try {
    const esbuild = await import('esbuild');
    const outfile = path.join(here, '..', 'node_modules', '.cache', 'clickhouse-native-bench', 'stream-rss.mjs');
    await esbuild.build({
      entryPoints: [path.join(here, 'stream-rss.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile,
      external: ['lz4-napi', '@mongodb-js/zstd'],
      logLevel: 'warning',
    });
    return outfile;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------------

interface ReadResult {
  what: string;
  rows: number;
  ours: Measured;
  cpp: Measured;
}

async function readSection(server: TestServer): Promise<ReadResult[]> {
  console.error('\n[read] SELECT decoded and consumed vs clickhouse-client FORMAT Native > /dev/null');
  const queries = [
    {
      what: `${READ_ROWS.toLocaleString('en-US')} UInt64`,
      rows: READ_ROWS,
      sql: `SELECT number FROM system.numbers LIMIT ${READ_ROWS}`,
    },
    {
      what: `${READ_STRINGS.toLocaleString('en-US')} strings`,
      rows: READ_STRINGS,
      sql: `SELECT toString(number) AS s FROM system.numbers LIMIT ${READ_STRINGS}`,
    },
  ];
  const client = createClient({ url: server.url, compression: 'lz4' });
  await client.ping();
  const out: ReadResult[] = [];
  for (const q of queries) {
    let consumed = 0;
    const ours = await measureInProcess(async () => {
      const result = await client.query({ query: q.sql });
      for await (const block of result.blocks()) {
        const values = block.columns[0]!.values;
        // Touch every value: a sum for numbers, a length sum for strings.
        if (values instanceof BigUint64Array) {
          let low = 0;
          const halves = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
          for (let i = 0; i < halves.length; i += 2) low += halves[i]!;
          consumed += values.length + (low > 0 ? 0 : 0);
        } else {
          let length = 0;
          for (let i = 0; i < values.length; i++) length += (values[i] as string).length;
          consumed += values.length + (length > 0 ? 0 : 0);
        }
      }
    });
    if (consumed !== q.rows) throw new Error(`read ${consumed} rows, expected ${q.rows}`);
    const cpp = await cppSelect(server, q.sql);
    out.push({ what: q.what, rows: q.rows, ours, cpp });
    log(`${q.what}: ours ${mrows(q.rows, ours)} M rows/s, C++ ${mrows(q.rows, cpp)} M rows/s`);
  }
  await client.close();
  return out;
}

// ---------------------------------------------------------------------------------------------------------------

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(headers), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

function find(schema: string, client: string, input: string, compression: string, target: string): Result | undefined {
  return results.find(
    (r) =>
      r.schema.startsWith(schema) &&
      r.client.startsWith(client) &&
      r.input === input &&
      r.compression === compression &&
      r.target === target,
  );
}

function ratio(a: Result | undefined, b: Result | undefined): string {
  if (!a || !b) return 'n/a';
  return `${(b.m.seconds / a.m.seconds).toFixed(2)}×`;
}

async function main(): Promise<void> {
  const started = Date.now();
  console.error('Starting a ClickHouse server (CLICKHOUSE_URL, a container, or the local binary)...');
  const server = await startServer({ log });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'clickhouse-native-bench-'));
  let cost: PipelineCost | undefined;
  let stream: StreamRss | undefined;
  let reads: ReadResult[] = [];
  try {
    console.error(`Server: ${server.kind}, ClickHouse ${server.version ?? '?'} on ${server.host}:${server.port}`);
    if (SECTIONS.has('insert')) await insertSection(server, tmp);
    if (SECTIONS.has('wide')) await wideSection(server, tmp);
    if (SECTIONS.has('pipeline')) cost = pipelineSection();
    if (SECTIONS.has('stream')) stream = await streamSection(server);
    if (SECTIONS.has('read')) reads = await readSection(server);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
    await server.stop();
  }

  const out: string[] = [];
  out.push(
    `clickhouse-native insert benchmark — ClickHouse ${server.version ?? '?'} (${server.kind}), Node ${process.version}, ` +
      `${os.cpus().length} cores, ${new Date().toISOString().slice(0, 10)}`,
  );
  if (results.length > 0) {
    out.push('');
    out.push(
      table(
        ['schema', 'client', 'input', 'compression', 'into', 'rows', 'M rows/s', 'client CPU s / M rows'],
        results.map((r) => [
          r.schema,
          r.client,
          r.input,
          r.compression,
          r.target,
          r.rows.toLocaleString('en-US'),
          mrows(r.rows, r.m),
          cpuPerM(r.rows, r.m),
        ]),
      ),
    );
    const cpp = (target: string) => find('bench', 'clickhouse-client', 'Native file', 'lz4', target);
    const http = (target: string) => find('bench', '@clickhouse', 'JSONEachRow rows', 'none', target);
    const py = (target: string) => find('bench', 'clickhouse-driver', 'columns', 'none', target);
    const oursRows = (target: string) => find('bench', 'clickhouse-native', 'rows', 'lz4', target);
    const oursCols = (target: string) => find('bench', 'clickhouse-native', 'columns', 'lz4', target);
    out.push('');
    out.push('Targets (six-column table, ours with lz4; ratio = their time / our time):');
    out.push(
      table(
        ['target', 'goal', 'measured'],
        [
          ['row objects into MergeTree vs C++ client', '≥ 1.0×', ratio(oursRows('MergeTree'), cpp('MergeTree'))],
          ['columns into Null vs C++ client', '≥ 1.0×', ratio(oursCols('Null'), cpp('Null'))],
          ['columns into MergeTree vs C++ client', '(info)', ratio(oursCols('MergeTree'), cpp('MergeTree'))],
          [
            'row objects into MergeTree vs @clickhouse/client',
            '≥ 10×',
            ratio(oursRows('MergeTree'), http('MergeTree')),
          ],
          ['row objects into Null vs @clickhouse/client', '≥ 10×', ratio(oursRows('Null'), http('Null'))],
          ['columns into MergeTree vs Python columnar', '≥ 2×', ratio(oursCols('MergeTree'), py('MergeTree'))],
          ['columns into Null vs Python columnar', '≥ 2×', ratio(oursCols('Null'), py('Null'))],
          ['row objects into MergeTree vs Python columnar', '≥ 2×', ratio(oursRows('MergeTree'), py('MergeTree'))],
        ],
      ),
    );
  }
  if (cost) {
    const mb = cost.rawBytes / 1e6;
    out.push('');
    out.push(`Pipeline cost, ${mb.toFixed(0)} MB of encoded bench rows, best of 5, one thread:`);
    out.push(
      table(
        ['stage', 'seconds', 'MB/s', '× bare LZ4'],
        [
          ['bare lz4-napi compressSync, 1 MiB slices', cost.bare, 1],
          ['encode (columns → Native bytes)', cost.encode, cost.encode / cost.bare],
          ['compress into frames (LZ4 + CityHash128 + header)', cost.compress, cost.compress / cost.bare],
          ['  of which CityHash128 of the frames', cost.checksum, cost.checksum / cost.bare],
          ['encode + compress + checksum (the pipeline)', cost.pipeline, cost.pipeline / cost.bare],
        ].map(([name, s, x]) => [
          name as string,
          (s as number).toFixed(3),
          (mb / (s as number)).toFixed(0),
          `${(x as number).toFixed(2)}×`,
        ]),
      ),
    );
    out.push(`Goal: pipeline ≤ 1.25× bare LZ4; measured ${(cost.pipeline / cost.bare).toFixed(2)}×.`);
  }
  if (stream) {
    const mib = (n: number) => `${(n / 2 ** 20).toFixed(0)} MiB`;
    const bound = 2 * stream.blockBytes + 100 * 2 ** 20;
    out.push('');
    out.push(
      `Streaming insert: ${stream.rows.toLocaleString('en-US')} rows via stream.pipeline → insertStream into Null in ` +
        `${stream.seconds.toFixed(1)} s (${(stream.rows / stream.seconds / 1e6).toFixed(2)} M rows/s); peak RSS ` +
        `${mib(stream.peakRss)} (at start ${mib(stream.baselineRss)}); block ${mib(stream.blockBytes)} encoded, so the ` +
        `bound 2 × block + 100 MiB is ${mib(bound)}: ${stream.peakRss <= bound ? 'met' : 'MISSED'}. At the peak: V8 heap ` +
        `${mib(stream.peakHeapTotal)} (${mib(stream.peakHeapUsed)} used, live or not yet collected), ArrayBuffers ` +
        `${mib(stream.peakArrayBuffers)}, external ${mib(stream.peakExternal)}.`,
    );
  }
  if (reads.length > 0) {
    out.push('');
    out.push(
      table(
        ['read (lz4)', 'ours M rows/s', 'ours CPU s / M', 'clickhouse-client M rows/s', 'C++ CPU s / M', 'ours / C++'],
        reads.map((r) => [
          r.what,
          mrows(r.rows, r.ours),
          cpuPerM(r.rows, r.ours),
          mrows(r.rows, r.cpp),
          cpuPerM(r.rows, r.cpp),
          `${(r.cpp.seconds / r.ours.seconds).toFixed(2)}×`,
        ]),
      ),
    );
  }
  for (const note of notes) out.push(`Note: ${note}`);
  out.push(`(${((Date.now() - started) / 1000).toFixed(0)} s in all)`);
  console.log(out.join('\n'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
