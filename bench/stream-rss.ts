/**
 * A child process of the benchmark: a streaming insert of STREAM_ROWS rows (default 100M) through
 * `stream.pipeline(Readable, client.insertStream())` into a Null table, sampling its own RSS. It prints one JSON
 * line: rows, seconds, peak and baseline RSS, and the largest encoded block. Run alone so that nothing else in the
 * process inflates the RSS.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createClient } from '../src/index.js';
import { CHUNK_ROWS, benchChunk, type BenchChunk } from './data.js';

const url = process.env.BENCH_URL!;
const table = process.env.BENCH_TABLE!;
const total = Number(process.env.STREAM_ROWS ?? 100_000_000);
/** Chunks the source and the insert Writable each buffer (objects of CHUNK_ROWS rows). */
const highWaterMark = Number(process.env.STREAM_HWM ?? 1);

/** Fresh arrays per chunk, like a real producer; ids are written as 32-bit halves to keep generation cheap. */
function* chunks(template: BenchChunk): Generator<BenchChunk> {
  for (let offset = 0; offset < total; offset += CHUNK_ROWS) {
    const rows = Math.min(CHUNK_ROWS, total - offset);
    const id = new BigUint64Array(rows);
    const halves = new Uint32Array(id.buffer);
    for (let i = 0; i < rows; i++) {
      const n = offset + i;
      halves[2 * i] = n >>> 0;
      halves[2 * i + 1] = Math.floor(n / 2 ** 32);
    }
    yield {
      id,
      ts: template.ts.slice(0, rows),
      user_id: template.user_id.slice(0, rows),
      event: template.event.slice(0, rows),
      url: template.url.slice(0, rows),
      value: template.value.slice(0, rows),
    };
  }
}

async function main(): Promise<void> {
  const client = createClient({
    url,
    compression: (process.env.STREAM_COMPRESSION ?? 'lz4') as 'lz4' | 'zstd' | 'none',
  });
  await client.ping();
  const template = benchChunk(0, CHUNK_ROWS);
  global.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  let atPeak = process.memoryUsage();
  const timer = setInterval(() => {
    const usage = process.memoryUsage();
    if (usage.rss > peak) {
      peak = usage.rss;
      atPeak = usage;
    }
  }, 20);
  const started = performance.now();
  const insert = client.insertStream({ table, highWaterMark });
  await pipeline(Readable.from(chunks(template), { objectMode: true, highWaterMark }), insert);
  const result = await insert.result;
  const seconds = (performance.now() - started) / 1000;
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  await client.close();
  console.log(
    JSON.stringify({
      rows: result.rows,
      seconds,
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
