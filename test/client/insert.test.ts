import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClickHouseError, InvalidValueError } from '../../src/index.js';
import { admin, clientFor, uniqueTable } from './helpers.js';

/** Every type of the first set, in one table, keyed by `k`. */
const COLUMNS = `
  k UInt32,
  u8 UInt8, u16 UInt16, u32 UInt32, u64 UInt64,
  i8 Int8, i16 Int16, i32 Int32, i64 Int64,
  f32 Float32, f64 Float64,
  s String, fs FixedString(4),
  d Date, dt DateTime, dtz DateTime('Asia/Tokyo'),
  uuid UUID,
  e8 Enum8('a' = 1, 'b\\'q' = -2), e16 Enum16('x' = 1000, 'y' = -1000),
  ns Nullable(String), nu Nullable(UInt32),
  arr Array(UInt32), arrs Array(String), arrn Array(Nullable(String)), arr2 Array(Array(Int8))`;

function rowsFor(base: number) {
  return [
    {
      k: base + 1,
      u8: 255,
      u16: 65535,
      u32: 4294967295,
      u64: 18446744073709551615n,
      i8: -128,
      i16: -32768,
      i32: -2147483648,
      i64: -9223372036854775808n,
      f32: 1.5,
      f64: -0.1,
      s: 'héllo, 世界 👋',
      fs: 'ab',
      d: new Date('2026-11-23T00:00:00Z'),
      dt: new Date('2026-11-23T10:55:44Z'),
      dtz: new Date('2026-11-23T10:55:44Z'),
      uuid: '61f0c404-5cb3-11e7-907b-a6006ad3dba0',
      e8: "b'q",
      e16: 'y',
      ns: null,
      nu: 42,
      arr: [1, 2, 3],
      arrs: ['x', '', 'zz'],
      arrn: ['a', null],
      arr2: [[1, -1], [], [127]],
    },
    {
      k: base + 2,
      u8: 0,
      u16: 0,
      u32: 0,
      u64: 0n,
      i8: 127,
      i16: 32767,
      i32: 2147483647,
      i64: 9223372036854775807n,
      f32: -0,
      f64: Number.MAX_VALUE,
      s: '',
      fs: 'wxyz',
      d: new Date('1970-01-01T00:00:00Z'),
      dt: new Date('1970-01-01T00:00:00Z'),
      dtz: new Date('2038-01-19T03:14:07Z'),
      uuid: '00000000-0000-0000-0000-000000000000',
      e8: 'a',
      e16: 'x',
      ns: 'not null',
      nu: null,
      arr: [],
      arrs: [],
      arrn: [],
      arr2: [],
    },
  ];
}

const client = clientFor();
const table = uniqueTable('types');

beforeAll(async () => {
  await client.command({ query: `CREATE TABLE ${table} (${COLUMNS}) ENGINE = MergeTree ORDER BY k` });
});
afterAll(async () => {
  await client.command({ query: `DROP TABLE IF EXISTS ${table}` });
  await client.close();
});

/** Plain arrays for comparison (numeric arrays come back as TypedArrays). */
function normalise(value: unknown): unknown {
  if (ArrayBuffer.isView(value) && !Buffer.isBuffer(value)) return Array.from(value as unknown as ArrayLike<unknown>);
  if (Array.isArray(value)) return value.map(normalise);
  return value;
}

describe.each(['lz4', 'zstd', 'none'] as const)('insert and read back every type (%s)', (compression) => {
  const base = { lz4: 100, zstd: 200, none: 300 }[compression];

  it('round-trips row objects', async () => {
    const typed = clientFor({ compression });
    const rows = rowsFor(base);
    const result = await typed.insert({ table, values: rows });
    expect(result.rows).toBe(2);
    const back = await (
      await typed.query({ query: `SELECT * FROM ${table} WHERE k > ${base} AND k < ${base + 10} ORDER BY k` })
    ).json();
    expect(back).toHaveLength(2);
    for (let i = 0; i < rows.length; i++) {
      const got = back[i] as Record<string, unknown>;
      for (const [name, value] of Object.entries(rows[i]!)) {
        if (name === 'fs') {
          const expected = Buffer.alloc(4);
          expected.write(value as string);
          expect(got.fs, name).toEqual(expected);
        } else {
          expect(normalise(got[name]), name).toEqual(value);
        }
      }
    }
    await typed.close();
  });

  it('the server reads the values we meant (its own text form)', async () => {
    const tsv = await admin(
      `SELECT u64, i64, s, hex(fs), d, dt, dtz, uuid, e8, e16, ns, arr, arrn, arr2 FROM ${table} WHERE k = ${base + 1} FORMAT TSV`,
    );
    expect(tsv.trim().split('\t')).toEqual([
      '18446744073709551615',
      '-9223372036854775808',
      'héllo, 世界 👋',
      '61620000',
      '2026-11-23',
      '2026-11-23 10:55:44',
      '2026-11-23 19:55:44',
      '61f0c404-5cb3-11e7-907b-a6006ad3dba0',
      "b\\'q",
      'y',
      '\\N',
      '[1,2,3]',
      "['a',NULL]",
      '[[1,-1],[],[127]]',
    ]);
  });
});

describe('columnar input', () => {
  it('takes TypedArrays as they are and arrays of values', async () => {
    const target = uniqueTable('columnar');
    await client.command({ query: `CREATE TABLE ${target} (id UInt64, v Float64, n Int32, s String) ENGINE = Memory` });
    const count = 250_000;
    const id = new BigUint64Array(count);
    const v = new Float64Array(count);
    const n = new Int32Array(count);
    const s = new Array<string>(count);
    for (let i = 0; i < count; i++) {
      id[i] = BigInt(i);
      v[i] = i / 4;
      n[i] = -i;
      s[i] = `row ${i}`;
    }
    const result = await client.insert({ table: target, values: { id, v, n, s } });
    expect(result.rows).toBe(count);
    const summary = await admin(`SELECT count(), sum(id), sum(v), sum(n), sum(length(s)) FROM ${target} FORMAT TSV`);
    const expectedLength = s.reduce((total, value) => total + Buffer.byteLength(value), 0);
    expect(summary.trim().split('\t')).toEqual([
      String(count),
      String((count * (count - 1)) / 2),
      String((count * (count - 1)) / 8),
      String(-(count * (count - 1)) / 2),
      String(expectedLength),
    ]);
    await client.command({ query: `DROP TABLE ${target}` });
  });

  it('streams an async iterable of chunks', async () => {
    const target = uniqueTable('stream');
    await client.command({ query: `CREATE TABLE ${target} (id UInt32, s String) ENGINE = Memory` });
    async function* chunks() {
      for (let c = 0; c < 10; c++) {
        yield Array.from({ length: 1000 }, (_, i) => ({ id: c * 1000 + i, s: String(i) }));
      }
      yield { id: new Uint32Array([10_000, 10_001]), s: ['a', 'b'] };
      yield { id: 10_002, s: 'single row' };
    }
    const result = await client.insert({ table: target, values: chunks() });
    expect(result.rows).toBe(10_003);
    expect((await admin(`SELECT count(), uniqExact(id) FROM ${target} FORMAT TSV`)).trim()).toBe('10003\t10003');
    await client.command({ query: `DROP TABLE ${target}` });
  });
});

describe('bad values', () => {
  it('name the column and the row, and nothing is inserted', async () => {
    const target = uniqueTable('bad');
    await client.command({
      query: `CREATE TABLE ${target} (id UInt32, small UInt8, s String) ENGINE = MergeTree ORDER BY id`,
    });
    const rows = Array.from({ length: 150_000 }, (_, i) => ({ id: i, small: i % 200, s: 'ok' }));
    rows[123_456] = { id: 123_456, small: 300, s: 'too big' };
    const error = await client
      .insert({ table: target, values: rows, clickhouse_settings: {} })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidValueError);
    expect((error as InvalidValueError).column).toBe('small');
    expect((error as InvalidValueError).row).toBe(123_456);
    expect((error as Error).message).toMatch(/small/);
    expect((error as Error).message).toMatch(/123456/);
    // In-memory input is encoded whole before sending: the first 123 456 good rows did not go in either.
    expect((await admin(`SELECT count() FROM ${target}`)).trim()).toBe('0');

    const missing = await client
      .insert({
        table: target,
        values: [
          { id: 1, small: 1, s: 'a' },
          { id: 2, s: 'b' },
        ],
      })
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(InvalidValueError);
    expect((missing as InvalidValueError).column).toBe('small');
    expect((missing as InvalidValueError).row).toBe(1);

    const extra = await client
      .insert({
        table: target,
        values: [
          { id: 1, small: 1, s: 'a' },
          { id: 2, small: 2, s: 'b', typo: 5 },
        ],
      })
      .catch((e: unknown) => e);
    expect(extra).toBeInstanceOf(InvalidValueError);
    expect((extra as InvalidValueError).column).toBe('typo');
    expect((extra as InvalidValueError).row).toBe(1);

    const columnar = await client
      .insert({ table: target, values: { id: new Uint32Array([1, 2]), small: [1, -1], s: ['a', 'b'] } })
      .catch((e: unknown) => e);
    expect((columnar as InvalidValueError).column).toBe('small');
    expect((columnar as InvalidValueError).row).toBe(1);
    expect((await admin(`SELECT count() FROM ${target}`)).trim()).toBe('0');

    // The client still works, and a good insert goes in.
    await client.insert({ table: target, values: [{ id: 1, small: 1, s: 'fine' }] });
    expect((await admin(`SELECT count() FROM ${target}`)).trim()).toBe('1');
    await client.command({ query: `DROP TABLE ${target}` });
  });

  it('an input too large for the retry buffer is validated whole before a byte goes out', async () => {
    const target = uniqueTable('bad_large');
    await client.command({
      query: `CREATE TABLE ${target} (id UInt32, ts DateTime, s String) ENGINE = MergeTree ORDER BY id`,
    });
    // About 80 MB estimated (more than the 64 MiB the retrying path holds): the validate-then-stream path.
    const rows = 1_200_000;
    const id = new Uint32Array(rows).map((_, i) => i);
    const ts = Array.from({ length: rows }, (_, i) => new Date(Date.UTC(2026, 0, 1) + i * 1000));
    const s: unknown[] = Array.from(
      { length: rows },
      (_, i) => `https://shop.example.com/item/${i}?session=${(i * 7919).toString(36)}`,
    );
    s[rows - 1] = 42;
    const error = await client.insert({ table: target, values: { id, ts, s } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidValueError);
    expect((error as InvalidValueError).column).toBe('s');
    expect((error as InvalidValueError).row).toBe(rows - 1);
    s[rows - 1] = 'fine';
    ts[rows - 2] = new Date(Date.UTC(1969, 11, 31));
    const early = await client.insert({ table: target, values: { id, ts, s } }).catch((e: unknown) => e);
    expect((early as InvalidValueError).column).toBe('ts');
    expect((early as InvalidValueError).row).toBe(rows - 2);
    expect((await admin(`SELECT count() FROM ${target}`)).trim()).toBe('0');
    ts[rows - 2] = new Date(Date.UTC(2026, 0, 1));
    await client.insert({ table: target, values: { id, ts, s } });
    expect((await admin(`SELECT count(), uniqExact(s), max(id) FROM ${target} FORMAT TSV`)).trim()).toBe(
      `${rows}\t${rows}\t${rows - 1}`,
    );
    await client.command({ query: `DROP TABLE ${target}` });
  });

  it('an unknown column is the server error', async () => {
    const error = await client.insert({ table, values: [{ k: 1, nope: 2 }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClickHouseError);
    expect((error as Error).message).toMatch(/nope/);
  });
});

describe('TableColumns', () => {
  it('arrives on INSERT with the column descriptions when asked for', async () => {
    const target = uniqueTable('defaults');
    await client.command({
      query: `CREATE TABLE ${target} (a UInt64, s String, d String DEFAULT lower(s), h UInt64 MATERIALIZED cityHash64(s)) ENGINE = Memory`,
    });
    const { negotiatedRevision } = await client.serverInfo();
    // 18.16 sends TableColumns only with insert_sample_with_metadata=1, the old name of
    // input_format_defaults_for_omitted_fields (docs/protocol.md §1.4).
    const setting =
      negotiatedRevision < 54429 ? 'insert_sample_with_metadata' : 'input_format_defaults_for_omitted_fields';
    const result = await client.insert({
      table: target,
      values: [{ a: 1, s: 'Hello' }],
      clickhouse_settings: { [setting]: 1 },
    });
    expect(result.table_columns).toMatch(/^columns format version: 1\n4 columns:\n/);
    expect(result.table_columns).toContain('`d` String\tDEFAULT\tlower(s)');
    expect(result.table_columns).toContain('`h` UInt64\tMATERIALIZED\tcityHash64(s)');
    expect((await admin(`SELECT a, s, d FROM ${target} FORMAT TSV`)).trim()).toBe('1\tHello\thello');
    await client.command({ query: `DROP TABLE ${target}` });
  });
});
