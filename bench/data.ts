/**
 * The benchmark's rows, the same for every client: deterministic functions of the row number, made in columnar
 * chunks. Row objects, Native files, JSON and the Python driver's columns are all derived from these chunks.
 */
import type { ColumnarInput, InsertRow } from '../src/index.js';

export const CHUNK_ROWS = 100_000;
export const EVENTS = ['view', 'click', 'purchase', 'signup', 'logout'];
const TS0 = Date.UTC(2026, 0, 1) / 1000;

/** The six-column table of ENVIRONMENT.md. */
export const BENCH_COLUMNS = 'id UInt64, ts DateTime, user_id UInt32, event String, url String, value Float64';

export interface BenchChunk {
  id: BigUint64Array;
  ts: Uint32Array;
  user_id: Uint32Array;
  event: string[];
  url: string[];
  value: Float64Array;
}

export function benchChunk(offset: number, rows: number): BenchChunk {
  const id = new BigUint64Array(rows);
  const ts = new Uint32Array(rows);
  const userId = new Uint32Array(rows);
  const event = new Array<string>(rows);
  const url = new Array<string>(rows);
  const value = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const n = offset + i;
    id[i] = BigInt(n);
    ts[i] = TS0 + (n % 86_400);
    userId[i] = (n * 2_654_435_761) % 1_000_003;
    event[i] = EVENTS[n % 5]!;
    url[i] = `https://example.com/page/${n % 10_007}?ref=${n % 13}`;
    value[i] = (n % 1000) / 10;
  }
  return { id, ts, user_id: userId, event, url, value };
}

export function benchChunks(total: number): BenchChunk[] {
  const out: BenchChunk[] = [];
  for (let offset = 0; offset < total; offset += CHUNK_ROWS)
    out.push(benchChunk(offset, Math.min(CHUNK_ROWS, total - offset)));
  return out;
}

/** The same rows as objects, the way an application holds them (numbers, not bigints, for the ids). */
export function rowsOfChunk(chunk: ColumnarInput): InsertRow[] {
  const names = Object.keys(chunk);
  const columns = names.map((name) => chunk[name]!);
  const rows = chunk[names[0]!]!.length;
  const out = new Array<InsertRow>(rows);
  for (let i = 0; i < rows; i++) {
    const row: InsertRow = {};
    for (let c = 0; c < names.length; c++) {
      const v = columns[c]![i];
      row[names[c]!] = typeof v === 'bigint' ? Number(v) : v;
    }
    out[i] = row;
  }
  return out;
}

/** Bench rows as objects with a fixed literal shape (what `rowsOfChunk` would make, faster and monomorphic). */
export function benchRows(chunk: BenchChunk): InsertRow[] {
  const out = new Array<InsertRow>(chunk.id.length);
  for (let i = 0; i < out.length; i++) {
    out[i] = {
      id: Number(chunk.id[i]),
      ts: chunk.ts[i],
      user_id: chunk.user_id[i],
      event: chunk.event[i],
      url: chunk.url[i],
      value: chunk.value[i],
    };
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// The wide table: 20 columns with LowCardinality, Nullable, Array and a DateTime standing in for DateTime64
// ---------------------------------------------------------------------------------------------------------------

export function wideColumns(lowCardinality: boolean): string {
  const lc = (t: string) => (lowCardinality ? `LowCardinality(${t})` : t);
  return [
    'id UInt64',
    'ts DateTime', // DateTime64(3) on a modern server; 18.16 has no DateTime64
    'day Date',
    'flag UInt8',
    'port UInt16',
    'delta Int32',
    'big Int64',
    'ratio Float32',
    'amount Float64',
    'name String',
    `country ${lc('String')}`,
    `device ${lc('String')}`,
    'comment Nullable(String)',
    'score Nullable(UInt32)',
    'tags Array(String)',
    'counts Array(UInt32)',
    'code FixedString(4)',
    "kind Enum8('a' = 1, 'b' = 2, 'c' = 3)",
    'uuid UUID',
    'updated DateTime', // a second DateTime64 stand-in
  ].join(', ');
}

const COUNTRIES = ['DE', 'FR', 'US', 'JP', 'BR', 'IN', 'NG', 'AU'];
const DEVICES = ['desktop', 'mobile', 'tablet', 'tv'];
const KINDS = ['a', 'b', 'c'];

export function wideChunk(offset: number, rows: number): ColumnarInput {
  const id = new BigUint64Array(rows);
  const ts = new Uint32Array(rows);
  const day = new Uint16Array(rows);
  const flag = new Uint8Array(rows);
  const port = new Uint16Array(rows);
  const delta = new Int32Array(rows);
  const big = new BigInt64Array(rows);
  const ratio = new Float32Array(rows);
  const amount = new Float64Array(rows);
  const name = new Array<string>(rows);
  const country = new Array<string>(rows);
  const device = new Array<string>(rows);
  const comment = new Array<string | null>(rows);
  const score = new Array<number | null>(rows);
  const tags = new Array<string[]>(rows);
  const counts = new Array<number[]>(rows);
  const code = new Array<string>(rows);
  const kind = new Array<string>(rows);
  const uuid = new Array<string>(rows);
  const updated = new Uint32Array(rows);
  for (let i = 0; i < rows; i++) {
    const n = offset + i;
    id[i] = BigInt(n);
    ts[i] = TS0 + (n % 86_400);
    day[i] = 20_454 + (n % 365);
    flag[i] = n & 1;
    port[i] = n % 65_536;
    delta[i] = (n % 2001) - 1000;
    big[i] = BigInt(n) * 1_000_003n - 5_000_000n;
    ratio[i] = (n % 100) / 8;
    amount[i] = (n % 100_000) / 100;
    name[i] = `user-${n % 50_000}`;
    country[i] = COUNTRIES[n % 8]!;
    device[i] = DEVICES[n % 4]!;
    comment[i] = n % 3 === 0 ? null : `comment ${n % 977}`;
    score[i] = n % 5 === 0 ? null : n % 1000;
    tags[i] = n % 4 === 0 ? [] : ['t' + (n % 7), 'x' + (n % 11)];
    counts[i] = [n % 10, n % 100, n % 1000].slice(0, n % 4);
    code[i] = COUNTRIES[n % 8]! + 'xx';
    kind[i] = KINDS[n % 3]!;
    uuid[i] = `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
    updated[i] = TS0 + (n % 3_600);
  }
  return {
    id,
    ts,
    day,
    flag,
    port,
    delta,
    big,
    ratio,
    amount,
    name,
    country,
    device,
    comment,
    score,
    tags,
    counts,
    code,
    kind,
    uuid,
    updated,
  };
}

export function wideChunks(total: number): ColumnarInput[] {
  const out: ColumnarInput[] = [];
  for (let offset = 0; offset < total; offset += CHUNK_ROWS)
    out.push(wideChunk(offset, Math.min(CHUNK_ROWS, total - offset)));
  return out;
}
