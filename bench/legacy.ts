/**
 * The earlier benchmark's sections, kept for comparison with BENCHMARKS.md's older figures (BENCH_SECTIONS=insert,
 * pipeline): the friendly six-column bench rows (bench/data.ts) under lz4, zstd and none next to the C++ client,
 * @clickhouse/client (HTTP) and Python's clickhouse-driver; and the encode/compress pipeline against bare LZ4.
 */
import fs from 'node:fs';
import path from 'node:path';
import { compressSync as lz4Prefixed } from 'lz4-napi';
import { createClient, type ColumnarInput, type CompressionMethod } from '../src/index.js';
import { compressToFramesSync, MAX_FRAME_INPUT } from '../src/compression/frame.js';
import { cityHash128 } from '../src/compression/cityhash.js';
import { encodeBlockBody } from '../src/connection/exchange.js';
import { ByteWriter } from '../src/protocol/writer.js';
import type { Block } from '../src/columns/block.js';
import { type TestServer } from '../test/harness/server.js';
import { BENCH_COLUMNS, benchChunks, benchRows, type BenchChunk } from './data.js';
import { measureInProcess, markdownTable } from './measure.js';
import { cppInsert, httpInsert, pythonDriver, pythonInsert, type Measured } from './peers.js';
import { count, iterate, recreate, typesOf, writeNativeFile } from './tables.js';

const REVISION = 54412;
const log = (m: string) => console.error(`  ${m}`);

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

function mrows(rows: number, m: Measured): string {
  return (rows / m.seconds / 1e6).toFixed(2);
}

function cpuPerM(rows: number, m: Measured): string {
  return ((m.cpuSeconds / rows) * 1e6).toFixed(3);
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

// ---------------------------------------------------------------------------------------------------------------

/**
 * The six-column bench rows into Null and MergeTree ORDER BY id under lz4, zstd and none, next to the C++ client,
 * @clickhouse/client (when the server has an HTTP port) and Python's clickhouse-driver. Returns its report as
 * text.
 */
export async function legacyInsertSection(server: TestServer, tmp: string, BENCH_ROWS: number): Promise<string> {
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
    if (server.httpPort !== undefined) {
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
    } else if (target === TARGETS[0]) {
      notes.push('@clickhouse/client not run: the server has no HTTP port (CLICKHOUSE_URL without ?http_port=).');
    }
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
  return legacyReport();
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

function legacyReport(): string {
  const out: string[] = [];
  out.push(
    markdownTable(
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
  out.push('Earlier targets (six-column bench rows, ours with lz4; ratio = their time / our time, one run each):');
  out.push(
    markdownTable(
      ['target', 'goal', 'measured'],
      [
        ['row objects into MergeTree vs C++ client', '≥ 1.0×', ratio(oursRows('MergeTree'), cpp('MergeTree'))],
        ['columns into Null vs C++ client', '≥ 1.0×', ratio(oursCols('Null'), cpp('Null'))],
        ['columns into MergeTree vs C++ client', '(info)', ratio(oursCols('MergeTree'), cpp('MergeTree'))],
        ['row objects into MergeTree vs @clickhouse/client', '≥ 10×', ratio(oursRows('MergeTree'), http('MergeTree'))],
        ['row objects into Null vs @clickhouse/client', '≥ 10×', ratio(oursRows('Null'), http('Null'))],
        ['columns into MergeTree vs Python columnar', '≥ 2×', ratio(oursCols('MergeTree'), py('MergeTree'))],
        ['columns into Null vs Python columnar', '≥ 2×', ratio(oursCols('Null'), py('Null'))],
        ['row objects into MergeTree vs Python columnar', '≥ 2×', ratio(oursRows('MergeTree'), py('MergeTree'))],
      ],
    ),
  );
  for (const note of notes) out.push(`Note: ${note}`);
  return out.join('\n');
}

export interface PipelineCost {
  rawBytes: number;
  bare: number;
  encode: number;
  compress: number;
  checksum: number;
  pipeline: number;
}

/** Encode + LZ4 + checksum of the bench rows against bare lz4-napi on the same bytes, in-process, no network. */
export function pipelineSection(BENCH_ROWS: number): PipelineCost {
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

export function pipelineReport(cost: PipelineCost): string {
  const mb = cost.rawBytes / 1e6;
  return [
    `Pipeline cost, ${mb.toFixed(0)} MB of encoded bench rows, best of 5, one thread:`,
    markdownTable(
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
    `Goal: pipeline ≤ 1.25× bare LZ4; measured ${(cost.pipeline / cost.bare).toFixed(2)}×.`,
  ].join('\n');
}
