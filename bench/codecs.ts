/**
 * LZ4 frames and their checksum, the native addon against the fallback (lz4-napi + our TypeScript CityHash), in
 * MB/s of uncompressed bytes, on Native-encoded data shaped like an application's (bench/app-data.ts: ids, times,
 * short and unique strings, floats) and on a UInt64 column counting up (what `SELECT number FROM numbers(N)` reads).
 * It runs itself twice, with CLICKHOUSE_NATIVE_ADDON unset and =0 (the loader decides once per process), and
 * prints both engines' figures and their ratio from the same run. CPU time of this thread, median of the rounds.
 *
 *   npx tsx bench/codecs.ts            (BENCH_QUICK=1: fewer rounds)
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cityHash128Into } from '../src/compression/cityhash.js';
import { compressToFramesSync, decompressingSource, MAX_FRAME_INPUT } from '../src/compression/frame.js';
import { packLz4Frames } from '../src/compression/lz4-frames.js';
import { LZ4_ENGINE, native } from '../src/compression/native.js';
import { NativeFormat } from '../src/columns/native-format.js';
import { ByteReader } from '../src/protocol/reader.js';
import { APP_COLUMNS, appColumns } from './app-data.js';

const ROUNDS = process.env.BENCH_QUICK === '1' ? 5 : 15;
const ROWS = 200_000;

interface Figures {
  engine: string;
  /** MB/s per data set and operation. */
  rates: Record<string, number>;
}

function appBytes(): Buffer {
  const columns = appColumns(ROWS);
  const types = APP_COLUMNS.split(', ').map((c) => c.split(' ') as [string, string]);
  return NativeFormat.encode([
    {
      rows: ROWS,
      columns: types.map(([name, type]) => ({ name, type, values: (columns as Record<string, never>)[name]! })),
    },
  ]);
}

function uint64Bytes(): Buffer {
  const values = new BigUint64Array(1_000_000);
  for (let i = 0; i < values.length; i++) values[i] = BigInt(i);
  return Buffer.from(values.buffer);
}

/** MB/s of `bytes` per call of `run`, from the median CPU time of the rounds. */
function rate(bytes: number, run: () => unknown): number {
  run();
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const start = process.cpuUsage();
    run();
    const used = process.cpuUsage(start);
    times.push((used.user + used.system) / 1e6);
  }
  times.sort((a, b) => a - b);
  return bytes / 1e6 / times[times.length >> 1]!;
}

async function measure(): Promise<Figures> {
  const rates: Record<string, number> = {};
  for (const [name, data] of [
    ['app', appBytes()],
    ['uint64', uint64Bytes()],
  ] as const) {
    const frames = Buffer.concat(compressToFramesSync(data, 'lz4'));
    rates[`${name} ratio`] = data.length / frames.length;
    // Into reused memory, as the frame worker packs an insert's blocks (fresh memory would add its page faults).
    const into = new Uint8Array(2 * data.length);
    rates[`${name} compress`] = rate(data.length, () => packLz4Frames(data, MAX_FRAME_INPUT, into));
    // readFrame as a query reads them (checksum, decode, the reader's copies); synchronous underneath.
    const decodeAll = async () => {
      const pull = decompressingSource(ByteReader.from(frames));
      let total = 0;
      while (total < data.length) total += (await pull())!.length;
    };
    await decodeAll();
    const times: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const start = process.cpuUsage();
      await decodeAll();
      const used = process.cpuUsage(start);
      times.push((used.user + used.system) / 1e6);
    }
    times.sort((a, b) => a - b);
    rates[`${name} decompress`] = data.length / 1e6 / times[times.length >> 1]!;
    const out = new Uint8Array(16);
    rates[`${name} checksum`] = rate(data.length, () =>
      native ? native.cityHash128(data, 0, data.length, out, 0) : cityHash128Into(data, 0, data.length, out, 0),
    );
  }
  return { engine: LZ4_ENGINE, rates };
}

if (process.argv.includes('--child')) {
  console.log(JSON.stringify(await measure()));
} else {
  const self = fileURLToPath(import.meta.url);
  const runs = ['1', '0'].map((flag): Figures => {
    const env = { ...process.env, CLICKHOUSE_NATIVE_ADDON: flag };
    const out = execFileSync(process.execPath, [...process.execArgv, self, '--child'], { env, encoding: 'utf8' });
    return JSON.parse(out.trim().split('\n').pop()!) as Figures;
  });
  const [addon, fallback] = runs as [Figures, Figures];
  console.log(`LZ4 frames (1 MiB) and CityHash128, MB/s of uncompressed bytes, CPU time, median of ${ROUNDS}`);
  console.log(`${'data / operation'.padEnd(22)}${addon.engine.padStart(16)}${fallback.engine.padStart(34)}   ratio`);
  for (const key of Object.keys(addon.rates)) {
    const a = addon.rates[key]!;
    const b = fallback.rates[key]!;
    const ratio = key.endsWith(' ratio') ? '' : `${(a / b).toFixed(2)}x`;
    console.log(
      `${key.padEnd(22)}${a.toFixed(key.endsWith(' ratio') ? 2 : 0).padStart(16)}${b.toFixed(2).padStart(34)}   ${ratio}`,
    );
  }
}
