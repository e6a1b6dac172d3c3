/**
 * The corpus measurement (bench/defaults-corpus.ts, test/expressions/corpus.test.ts): one real-schema expression
 * over 50 seeded input rows of its input columns' types, evaluated by the client as an insert would (cast to the
 * column type) and by ClickHouse 26.7 (chdb, in process) over the same Native bytes, the results compared as Native
 * bytes. The rows include edge cases: empty strings, URLs without a scheme, JSON of several shapes, NULLs, Map rows
 * without the looked-up key, extreme numbers and dates.
 */
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { queryAsync } from 'chdb';
import { compileExpression, UnsupportedExpressionError } from '../../src/expressions/index.js';
import { NativeFormat } from '../../src/columns/native-format.js';
import { parseType, type TypeNode } from '../../src/columns/type-parser.js';

export interface CorpusEntry {
  project: string;
  source: string;
  table: string;
  column: string;
  kind: 'DEFAULT' | 'MATERIALIZED';
  type: string | null;
  expression: string;
  inputs: Record<string, string>;
  deterministic: boolean;
}

export const CORPUS_ROWS = 50;
/** The engine the corpus is measured against (chdb's ClickHouse 26.7): version-dependent inputs are computed for it. */
const CHDB_VERSION = { major: 26, minor: 7 };

export function loadCorpus(): CorpusEntry[] {
  const doc = JSON.parse(readFileSync(new URL('./corpus/schemas.json', import.meta.url), 'utf8')) as {
    entries: CorpusEntry[];
  };
  return doc.entries;
}

export type Outcome = 'computed' | 'refused at compile' | 'refused at evaluate' | 'wrong' | 'crashed' | 'no inputs';
export const OUTCOMES: Outcome[] = [
  'computed',
  'refused at compile',
  'refused at evaluate',
  'wrong',
  'crashed',
  'no inputs',
];

// ---- seeded inputs ---------------------------------------------------------------------------------------------

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

/** The string literals of an expression: keys that lookups and JSON paths name, so that some rows hit them. */
function literalsOf(sql: string): string[] {
  const out: string[] = [];
  for (const m of sql.matchAll(/'((?:[^'\\]|\\.)*)'/g)) out.push(m[1]!.replace(/\\(.)/g, '$1'));
  return out.filter((s) => s.length > 0 && s.length < 64);
}

function stringPool(literals: string[]): string[] {
  const json = literals.flatMap((k) => [
    `{"${k}":"v-${k}","n":1}`,
    `{"${k}":42,"data":{"x":1}}`,
    `{"${k}":"\\"quoted\\"","other":true}`,
    `{"${k}":null}`,
    `{"${k}":[1,2]}`,
  ]);
  return [
    '',
    '',
    'a',
    'Hello, World',
    'UPPER lower',
    '  spaced  ',
    '0',
    '1',
    '42',
    '-7',
    '3.14',
    '1e3',
    'true',
    'false',
    'null',
    'https://example.com/path/to/page?x=1&y=two#frag',
    'http://user@sub.example.org:8080/a/b/?q=',
    'example.com/no/scheme?z=9',
    '//cdn.example.net/x.js',
    '/relative/path',
    'ftp://files.example.com',
    'ÄÖÜ straße',
    'naïve café 😀',
    'a\tb\nc',
    '{"a":1,"b":"x"}',
    '{}',
    '[]',
    '{"data":{"k":"v"},"n":-3.5}',
    'not json {',
    '2024-03-01 12:34:56',
    '2024-03-01',
    '550e8400-e29b-41d4-a716-446655440000',
    '00000000-0000-0000-0000-000000000000',
    '0189f7a0-7c5e-7000-8000-00000000abcd',
    'a.class:text="hi"href="/x"attr_id="id1";button:text="ok"',
    'input:attr_id="f";form.x',
    'GET /api/v1/users/123 HTTP/1.1',
    '10.0.0.1',
    '::1',
    'deadbeef',
    'xyz not hex',
    ...literals,
    ...json,
  ];
}

type Gen = (r: () => number, row: number) => unknown;

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function uuidOf(r: () => number): string {
  const h = Array.from({ length: 32 }, () => Math.floor(r() * 16).toString(16)).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function generator(node: TypeNode, pool: string[]): Gen {
  const inner = (i: number): TypeNode => {
    const a = node.args[i]!;
    return (a as { type: TypeNode }).type;
  };
  switch (node.name) {
    case 'LowCardinality':
      return generator(inner(0), pool);
    case 'Nullable': {
      const g = generator(inner(0), pool);
      return (r, row) => (row % 7 === 3 || r() < 0.1 ? null : g(r, row));
    }
    case 'String':
      return (r, row) => (row < pool.length && row < 8 ? pool[row]! : pick(r, pool));
    case 'FixedString': {
      const n = (node.args[0] as { value: number }).value;
      return (r) =>
        pick(r, pool)
          .slice(0, n)
          .replace(/[^\x00-\x7f]/g, '');
    }
    case 'UInt8':
    case 'UInt16':
    case 'UInt32':
    case 'Int8':
    case 'Int16':
    case 'Int32': {
      const bits = Number(node.name.replace(/\D/g, ''));
      const signed = node.name.startsWith('Int');
      const max = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
      const min = signed ? -(2 ** (bits - 1)) : 0;
      const edges = [0, 1, max, min, 2, 100];
      return (r, row) => (row < edges.length ? edges[row]! : Math.floor(min + r() * (max - min + 1)));
    }
    case 'UInt64':
    case 'Int64':
    case 'UInt128':
    case 'Int128': {
      const bits = Number(node.name.replace(/\D/g, ''));
      const signed = node.name.startsWith('Int');
      const max = signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
      const min = signed ? -(1n << BigInt(bits - 1)) : 0n;
      const edges = [0n, 1n, max, min, 1000n];
      return (r, row) =>
        row < edges.length ? edges[row]! : BigInt(Math.floor(r() * 2 ** 40)) * (signed && r() < 0.5 ? -1n : 1n);
    }
    case 'Float32':
    case 'Float64': {
      const edges = [0, -0, 1.5, -2.25, NaN, Infinity, -Infinity, 1e-300, 123456.789];
      return (r, row) =>
        row < edges.length ? edges[row]! : node.name === 'Float32' ? Math.fround((r() - 0.5) * 1e6) : (r() - 0.5) * 1e9;
    }
    case 'Decimal':
    case 'Decimal32':
    case 'Decimal64':
    case 'Decimal128': {
      const scale = (node.args[node.name === 'Decimal' ? 1 : 0] as { value: number } | undefined)?.value ?? 0;
      return (r, row) => (row === 0 ? '0' : ((r() - 0.3) * 1000).toFixed(Math.min(scale, 6)));
    }
    case 'JSON':
      return (r, row) =>
        row % 4 === 0 ? {} : { data: { k: pick(r, pool) }, n: Math.floor(r() * 100), s: pick(r, pool) };
    case 'Bool':
      return (r) => r() < 0.5;
    case 'Enum8':
    case 'Enum16': {
      const names = node.args.map((a) => (a as { name: string }).name);
      return (r) => pick(r, names);
    }
    case 'Date':
      return (r, row) => [0, 1, 19000, 65535][row] ?? Math.floor(r() * 40000);
    case 'Date32':
      return (r, row) => [-25567, 0, 120529][row] ?? Math.floor(r() * 40000);
    case 'DateTime':
      return (r, row) => [0, 1, 1_700_000_000, 4_294_967_295, 951_782_400][row] ?? Math.floor(r() * 2_000_000_000);
    case 'DateTime64': {
      const p = (node.args[0] as { value: number } | undefined)?.value ?? 3;
      const scale = 10n ** BigInt(p);
      const edges = [0n, 1n, 1_700_000_000n * scale + scale / 3n, -1n, 4_102_444_800n * scale - 1n];
      return (r, row) =>
        edges[row] ?? BigInt(Math.floor(r() * 2_000_000_000)) * scale + BigInt(Math.floor(r() * Number(scale)));
    }
    case 'UUID':
      return (r, row) => (row % 5 === 0 ? '00000000-0000-0000-0000-000000000000' : uuidOf(r));
    case 'Array': {
      const g = generator(inner(0), pool);
      return (r, row) => Array.from({ length: row % 5 === 0 ? 0 : Math.floor(r() * 4) }, () => g(r, row + 1000));
    }
    case 'Map': {
      const k = generator(inner(0), pool);
      const v = generator(inner(1), pool);
      const keys = pool.filter((s) => s !== '');
      return (r, row) => {
        const n = row % 6 === 0 ? 0 : 1 + Math.floor(r() * 4);
        const entries = new Map<unknown, unknown>();
        for (let i = 0; i < n; i++)
          entries.set(r() < 0.6 && typeof k(r, row) === 'string' ? pick(r, keys) : k(r, row), v(r, row));
        return [...entries];
      };
    }
    case 'Tuple': {
      const gs = node.args.map((_, i) => generator(inner(i), pool));
      return (r, row) => gs.map((g) => g(r, row));
    }
    default:
      throw new Error(`no generator for ${node.name}`);
  }
}

// ---- one entry --------------------------------------------------------------------------------------------------

let dir: string | undefined;
let fileNo = 0;

/** Removes the temporary input files. */
export function cleanupCorpusFiles(): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
}
const NOW_MS = Date.UTC(2026, 0, 15, 10, 30, 0);

export async function runCorpusEntry(e: CorpusEntry, seed: number): Promise<{ outcome: Outcome; detail: string }> {
  const literals = literalsOf(e.expression);
  const pool = stringPool(literals);
  const r = rng(seed);
  const inputs = Object.entries(e.inputs);
  const columns: Record<string, unknown[]> = {};
  try {
    for (const [name, type] of inputs) {
      const g = generator(parseType(type), pool);
      columns[name] = Array.from({ length: CORPUS_ROWS }, (_, row) => g(r, row));
    }
  } catch (error) {
    return { outcome: 'no inputs', detail: (error as Error).message };
  }
  // Ours, as the insert would: compile with the table's types, evaluate, cast to the column type.
  let ours: ArrayLike<unknown>;
  let type: string;
  try {
    const compiled = compileExpression(e.expression, e.inputs, {
      timezone: 'UTC',
      resultType: e.type ?? undefined,
      serverVersion: CHDB_VERSION,
    });
    type = compiled.type;
    try {
      ours = compiled.evaluate(columns, CORPUS_ROWS, { now: NOW_MS });
    } catch (error) {
      if (error instanceof UnsupportedExpressionError) return { outcome: 'refused at evaluate', detail: error.message };
      return { outcome: 'crashed', detail: String((error as Error).stack ?? error) };
    }
  } catch (error) {
    if (error instanceof UnsupportedExpressionError) return { outcome: 'refused at compile', detail: error.message };
    return { outcome: 'crashed', detail: String((error as Error).stack ?? error) };
  }
  let ourBytes: Buffer;
  try {
    ourBytes = NativeFormat.encode([{ rows: CORPUS_ROWS, columns: [{ name: 'r', type, values: ours as unknown[] }] }]);
  } catch (error) {
    return { outcome: 'crashed', detail: `encoding our result: ${(error as Error).message}` };
  }
  // ClickHouse over the same input bytes.
  dir ??= mkdtempSync(join(tmpdir(), 'defaults-corpus-'));
  const file = join(dir, `in${fileNo++}.native`);
  const inputBlock = inputs.length
    ? { rows: CORPUS_ROWS, columns: inputs.map(([name, t]) => ({ name, type: t, values: columns[name]! })) }
    : { rows: CORPUS_ROWS, columns: [{ name: '_row', type: 'UInt8', values: new Uint8Array(CORPUS_ROWS) }] };
  writeFileSync(file, NativeFormat.encode([inputBlock]));
  const select = e.type === null ? `(${e.expression})` : `CAST((${e.expression}) AS ${e.type})`;
  const sql = `SELECT ${select} AS r FROM file('${file}', 'Native') SETTINGS session_timezone = 'UTC', max_block_size = 65536`;
  let theirs: Buffer;
  try {
    theirs = Buffer.from((await queryAsync(sql, { format: 'Native' })).bytes());
  } catch (error) {
    return {
      outcome: 'wrong',
      detail: `the client computed rows that ClickHouse refuses: ${(error as Error).message.slice(0, 300)}`,
    };
  }
  if (theirs.equals(ourBytes)) return { outcome: 'computed', detail: '' };
  // Bytes may differ only under NULLs: a Nullable column carries some value beneath each NULL (the server's is
  // what it computed from the default inputs, e.g. -NaN for 0/0), which no query can see. Values decide then.
  if (type.includes('Nullable') && sameValues(await NativeFormat.decode(ourBytes), await NativeFormat.decode(theirs))) {
    return { outcome: 'computed', detail: 'equal values; bytes differ only under NULLs' };
  }
  return {
    outcome: 'wrong',
    detail: describeDiff(
      ourBytes,
      theirs,
      columns,
      inputs.map(([n]) => n),
    ),
  };
}

function sameValues(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'number') return Number.isNaN(a) && Number.isNaN(b);
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.from(a).equals(Buffer.from(b));
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (a instanceof Map && b instanceof Map) return sameValues([...a], [...b]);
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    if (ka.length !== kb.length) return false;
    return ka.every((k) => sameValues((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return false;
}

function describeDiff(ours: Buffer, theirs: Buffer, columns: Record<string, unknown[]>, names: string[]): string {
  const text = (b: Buffer) => {
    try {
      // Decoding is async in the public API; the bytes are small, so show hex around the first difference.
      let i = 0;
      while (i < b.length && i < ours.length && ours[i] === theirs[i]) i++;
      return `${b.length} bytes, first difference at ${i}: ${b.subarray(Math.max(0, i - 16), i + 32).toString('hex')}`;
    } catch {
      return '?';
    }
  };
  void columns;
  void names;
  return `ours ${text(ours)}\n      theirs ${text(theirs)}`;
}
