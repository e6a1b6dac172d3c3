/**
 * Column codec speed: decode and encode of 10M-row columns, in MB/s (of Native bytes) and values/s, with the
 * ratio to a bare memory copy of the same bytes, and ch-go's published 10 GB/s per core for UInt64 reads.
 *
 *   npx tsx bench/columns.ts            (ROWS=1000000 npx tsx bench/columns.ts for a quick run)
 *
 * Not a timed test: numbers vary with the machine; compare ratios within one run.
 */
import { readColumn, writeColumn, type ColumnValues } from '../src/columns/codec.js';
import { getCodec } from '../src/columns/registry.js';
import { ByteReader } from '../src/protocol/reader.js';
import { ByteWriter } from '../src/protocol/writer.js';

const ROWS = Number(process.env.ROWS ?? 10_000_000);
const REPEAT = Number(process.env.REPEAT ?? 3);

function columns(): [type: string, values: ColumnValues][] {
  const u64 = new BigUint64Array(ROWS);
  for (let i = 0; i < ROWS; i++) u64[i] = BigInt(i) * 2654435761n;
  const strings = new Array<string>(ROWS);
  for (let i = 0; i < ROWS; i++) strings[i] = `value-${i % 100_003}`;
  const words = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'];
  const lc = new Array<string>(ROWS);
  for (let i = 0; i < ROWS; i++) lc[i] = words[(i * 7) % words.length]!;
  const nf = new Array<number | null>(ROWS);
  for (let i = 0; i < ROWS; i++) nf[i] = i % 10 === 0 ? null : i * 0.5;
  const arrays = new Array<Uint32Array>(ROWS);
  const pool = new Uint32Array(ROWS * 4);
  for (let i = 0; i < pool.length; i++) pool[i] = i;
  for (let i = 0, at = 0; i < ROWS; i++) {
    const n = i % 5; // 0..4 elements, 2 on average
    arrays[i] = pool.subarray(at, at + n);
    at += n;
  }
  return [
    ['UInt64', u64],
    ['String', strings],
    ['LowCardinality(String)', lc],
    ['Nullable(Float64)', nf],
    ['Array(UInt32)', arrays],
  ];
}

function best(run: () => void | Promise<void>): Promise<number> {
  return (async () => {
    let fastest = Infinity;
    for (let r = 0; r < REPEAT; r++) {
      const start = process.hrtime.bigint();
      await run();
      fastest = Math.min(fastest, Number(process.hrtime.bigint() - start) / 1e9);
    }
    return fastest;
  })();
}

const mb = (bytes: number, s: number) => bytes / 1e6 / s;
const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 0 });

async function main(): Promise<void> {
  console.log(`Column codecs, ${ROWS.toLocaleString('en-US')} rows, best of ${REPEAT}, Node ${process.version}`);
  console.log(
    '| Column | Native bytes | Decode MB/s | Decode values/s | Encode MB/s | Encode values/s | memcpy MB/s | Decode / memcpy | Encode / memcpy |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const [type, values] of columns()) {
    const codec = getCodec(type);
    const writer = new ByteWriter(1 << 20);
    const encodeSeconds = await best(() => {
      writer.reset();
      writeColumn(writer, codec, values, ROWS);
    });
    const bytes = Buffer.from(writer.view());
    const decodeSeconds = await best(async () => {
      const reader = ByteReader.from(bytes);
      await readColumn(reader, codec, ROWS);
    });
    const target = Buffer.allocUnsafe(bytes.length);
    const copySeconds = await best(() => {
      bytes.copy(target);
    });
    const copy = mb(bytes.length, copySeconds);
    const decode = mb(bytes.length, decodeSeconds);
    const encode = mb(bytes.length, encodeSeconds);
    console.log(
      `| ${type} | ${(bytes.length / 1e6).toFixed(0)} MB | ${fmt(decode)} | ${fmt(ROWS / decodeSeconds)} | ${fmt(encode)} | ${fmt(ROWS / encodeSeconds)} | ${fmt(copy)} | ${(decode / copy).toFixed(3)} | ${(encode / copy).toFixed(3)} |`,
    );
    if (type === 'UInt64') {
      console.log(
        `|   UInt64 decode vs ch-go's published 10 GB/s per core: ${(decode / 10_000).toFixed(2)}x | | | | | | | | |`,
      );
    }
  }
}

await main();
