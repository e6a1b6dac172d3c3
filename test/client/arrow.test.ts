/**
 * Apache Arrow interop against the real server (issue #18, item 7): results as RecordBatches and inserts from an
 * Arrow Table, numeric columns without a copy either way; and the package without apache-arrow installed.
 */
import { runToExit } from '../harness/child.js';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as arrow from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockToRecordBatch, recordBatchToColumns } from '../../src/client/arrow.js';
import { fromArrow } from '../../src/index.js';
import { testServer } from '../harness/context.js';
import { admin, clientFor, uniqueTable } from './helpers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const table = uniqueTable('arrow');
const client = clientFor();

describe('Apache Arrow interop', () => {
  beforeAll(async () => {
    await admin(
      `CREATE TABLE ${table} (id UInt64, value Float64, small Int16, name String, maybe Nullable(Int32), ts DateTime) ENGINE = Memory`,
    );
  });
  afterAll(async () => {
    await admin(`DROP TABLE IF EXISTS ${table}`);
    await client.close();
  });

  it('a block becomes a RecordBatch whose numeric vectors are the block TypedArrays, not copies', () => {
    const id = BigUint64Array.from([1n, 2n, 3n]);
    const value = Float64Array.from([0.5, 1.5, 2.5]);
    const batch = blockToRecordBatch(arrow, {
      rows: 3,
      columns: [
        { name: 'id', type: 'UInt64', values: id },
        { name: 'value', type: 'Float64', values: value },
        { name: 'name', type: 'String', values: ['a', 'b', 'c'] },
      ],
    });
    expect(batch.numRows).toBe(3);
    expect(batch.getChild('id')!.data[0]!.values).toBe(id);
    expect(batch.getChild('value')!.data[0]!.values).toBe(value);
    expect([...batch.getChild('name')!]).toEqual(['a', 'b', 'c']);
  });

  it('an Arrow numeric column without nulls goes to insert as a view of its buffer (no copy)', () => {
    const input = arrow.tableFromArrays({ id: BigUint64Array.from([7n, 8n]), value: Float64Array.from([1, 2]) });
    const columns = recordBatchToColumns(arrow, input.batches[0]!);
    const arrowValues = input.getChild('id')!.data[0]!.values as BigUint64Array;
    expect(columns.id).toBeInstanceOf(BigUint64Array);
    expect((columns.id as BigUint64Array).buffer).toBe(arrowValues.buffer);
    expect((columns.id as BigUint64Array).byteOffset).toBe(arrowValues.byteOffset);
  });

  it('inserts an Arrow Table of several batches and reads it back as Arrow, values equal to json()', async () => {
    const part = (from: number) =>
      arrow.tableFromArrays({
        id: BigUint64Array.from({ length: 1000 }, (_, i) => BigInt(from + i)),
        value: Float64Array.from({ length: 1000 }, (_, i) => (from + i) / 4),
        small: Int16Array.from({ length: 1000 }, (_, i) => (i % 200) - 100),
        name: Array.from({ length: 1000 }, (_, i) => `n${(from + i) % 7}`),
      });
    const input = part(0).concat(part(1000));
    expect(input.batches.length).toBe(2);
    const values = await fromArrow(input);
    expect(Array.isArray(values)).toBe(false); // an iterable of columnar chunks, one per batch (an array means rows)
    expect([...(values as Iterable<unknown>)]).toHaveLength(2);
    await client.insert({ table, values, columns: ['id', 'value', 'small', 'name'] });
    // sum(small): each run of 200 rows sums to -100, five runs per part, two parts.
    expect(await admin(`SELECT count(), sum(id), sum(value), sum(small) FROM ${table} FORMAT TSV`)).toBe(
      '2000\t1999000\t499750\t-1000\n',
    );
    const query = `SELECT id, value, small, name, maybe, ts FROM ${table} ORDER BY id`;
    const result = await (await client.query({ query })).arrow();
    const rows = await (await client.query({ query })).json();
    expect(result.numRows).toBe(2000);
    expect(result.schema.fields.map((f) => `${f.name}:${String(f.type)}`)).toEqual([
      'id:Uint64',
      'value:Float64',
      'small:Int16',
      'name:Utf8',
      'maybe:Int32',
      'ts:Timestamp<MILLISECOND>',
    ]);
    const ids = result.getChild('id')!;
    const names = result.getChild('name')!;
    rows.forEach((row, i) => {
      expect(ids.get(i)).toBe(row.id);
      expect(names.get(i)).toBe(row.name);
    });
  });

  it('Nullable and DateTime columns: nulls stay nulls, times are epoch milliseconds', async () => {
    const result = await client.query({
      query:
        "SELECT CAST(number, 'Nullable(Int32)') AS n, toDateTime('2024-03-01 12:00:00', 'UTC') AS t FROM numbers(2)",
    });
    const batches = [];
    for await (const batch of result.arrowBatches()) batches.push(batch);
    expect(batches.length).toBeGreaterThan(0);
    const t = new arrow.Table(batches);
    expect([...t.getChild('n')!]).toEqual([0, 1]);
    expect(Number(t.getChild('t')!.get(0))).toBe(Date.UTC(2024, 2, 1, 12));
    const withNull = await (await client.query({ query: "SELECT CAST(NULL, 'Nullable(Int32)') AS n" })).arrow();
    expect(withNull.getChild('n')!.get(0)).toBeNull();
    expect(withNull.getChild('n')!.nullCount).toBe(1);
  });

  it('an empty result is an empty Table with the header schema', async () => {
    const empty = await (await client.query({ query: 'SELECT toUInt8(1) AS x WHERE 0' })).arrow();
    expect(empty.numRows).toBe(0);
    expect(empty.schema.fields.map((f) => f.name)).toEqual(['x']);
  });

  it('without apache-arrow installed, the package works and an Arrow call says what to install', async () => {
    // The built package in a directory whose node_modules has our dependencies but not apache-arrow.
    const dir = mkdtempSync(path.join(tmpdir(), 'clickhouse-native-no-arrow-'));
    try {
      const pkg = path.join(dir, 'node_modules', 'clickhouse-native');
      mkdirSync(pkg, { recursive: true });
      cpSync(path.join(root, 'dist'), path.join(pkg, 'dist'), { recursive: true });
      cpSync(path.join(root, 'package.json'), path.join(pkg, 'package.json'));
      for (const dependency of ['lz4-napi', '@mongodb-js/zstd']) {
        mkdirSync(path.dirname(path.join(dir, 'node_modules', dependency)), { recursive: true });
        symlinkSync(path.join(root, 'node_modules', dependency), path.join(dir, 'node_modules', dependency));
      }
      const script = path.join(dir, 'main.mjs');
      writeFileSync(
        script,
        `import { createClient, ArrowUnavailableError } from 'clickhouse-native';
const client = createClient({ url: process.env.URL });
const rows = await (await client.query({ query: 'SELECT 1 AS one' })).json();
const error = await (await client.query({ query: 'SELECT 1 AS one' })).arrow().catch((e) => e);
console.log(JSON.stringify({ rows, isArrowError: error instanceof ArrowUnavailableError, message: error.message }));
await client.close();
`,
      );
      const { code, stdout, stderr } = await runToExit([script], {
        cwd: dir,
        env: { ...process.env, URL: testServer().url },
      });
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      expect(JSON.parse(stdout)).toEqual({
        rows: [{ one: 1 }],
        isArrowError: true,
        message:
          'Arrow interop needs the optional dependency apache-arrow, which cannot be loaded: npm install apache-arrow',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
