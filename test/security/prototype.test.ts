/**
 * Keys that come from the server (JSON paths, tuple and Nested element names, column names) never name a
 * prototype: `__proto__`, `constructor` and `prototype` become own properties of the row objects, as JSON.parse
 * makes them, and nothing reaches Object.prototype. The bytes are ClickHouse's own: JSON and named tuples from
 * chdb (26.7), and a column named `__proto__` from the run's live server.
 */
import { queryAsync } from 'chdb';
import { afterEach, describe, expect, it } from 'vitest';
import { NativeFormat } from '../../src/columns/native-format.js';
import { InvalidValueError, rowsOf } from '../../src/index.js';
import { clientFor, uniqueTable } from '../client/helpers.js';

async function decodeFirst(sql: string): Promise<{ type: string; value: unknown }> {
  const bytes = Buffer.from((await queryAsync(sql, { format: 'Native' })).bytes());
  const [block] = await NativeFormat.decode(bytes);
  const column = block!.columns[0]!;
  return { type: column.type, value: column.values[0] };
}

/** The value as a JSON text: own enumerable properties only, with bigints as numbers. */
const text = (value: unknown) => JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v));

function expectPrototypeUntouched(): void {
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain('polluted');
}

afterEach(() => {
  // A failure must not leak into the next test.
  delete (Object.prototype as Record<string, unknown>).polluted;
});

describe('server keys never name a prototype', () => {
  it('JSON: a "__proto__" path is an own property, not Object.prototype', async () => {
    const { type, value } = await decodeFirst(`SELECT '{"__proto__":{"polluted":1},"a":1}'::JSON AS j`);
    expectPrototypeUntouched();
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(text(value)).toBe('{"__proto__":{"polluted":1},"a":1}');
    expect(Object.keys(value as object)).toEqual(['__proto__', 'a']);
    // Written back, the server reads the same document.
    const encoded = NativeFormat.encode([{ rows: 1, columns: [{ name: 'j', type, values: [value] }] }]);
    const [again] = await NativeFormat.decode(encoded);
    expect(text(again!.columns[0]!.values[0])).toBe('{"__proto__":{"polluted":1},"a":1}');
  });

  it('JSON: __proto__ deeper in a path, and a dotted "__proto__.x" key', async () => {
    let { value } = await decodeFirst(`SELECT '{"a":{"__proto__":{"polluted":2}}}'::JSON AS j`);
    expectPrototypeUntouched();
    expect(text(value)).toBe('{"a":{"__proto__":{"polluted":2}}}');
    ({ value } = await decodeFirst(`SELECT '{"__proto__.polluted":3}'::JSON AS j`));
    expectPrototypeUntouched();
    expect(text(value)).toBe('{"__proto__":{"polluted":3}}');
  });

  it('JSON: "constructor" and "prototype" paths nest as own objects, not through inherited members', async () => {
    const { value } = await decodeFirst(`SELECT '{"constructor":{"prototype":{"polluted":4}}}'::JSON AS j`);
    expectPrototypeUntouched();
    expect(text(value)).toBe('{"constructor":{"prototype":{"polluted":4}}}');
    expect((value as { constructor: unknown }).constructor).not.toBe(Object);
  });

  it('named Tuple and Nested: an element called __proto__ stays an element', async () => {
    const tuple = await decodeFirst('SELECT tuple(tuple(5))::Tuple(`__proto__` Tuple(polluted UInt8)) AS t');
    expect(Object.getPrototypeOf(tuple.value)).toBe(Object.prototype);
    expect((tuple.value as Record<string, unknown>).polluted).toBeUndefined();
    expect(text(tuple.value)).toBe('{"__proto__":{"polluted":5}}');
    const nested = await decodeFirst('SELECT [tuple(7)]::Nested(`__proto__` UInt8) AS n');
    const element = (nested.value as object[])[0]!;
    expect(Object.getPrototypeOf(element)).toBe(Object.prototype);
    expect(text(nested.value)).toBe('[{"__proto__":7}]');
    // Both write back as read; a named-tuple object must have the element as its own property.
    const encoded = NativeFormat.encode([
      { rows: 1, columns: [{ name: 't', type: tuple.type, values: [tuple.value] }] },
    ]);
    expect(text((await NativeFormat.decode(encoded))[0]!.columns[0]!.values[0])).toBe('{"__proto__":{"polluted":5}}');
    expect(() => NativeFormat.encode([{ rows: 1, columns: [{ name: 't', type: tuple.type, values: [{}] }] }])).toThrow(
      /the tuple element "__proto__" is missing/,
    );
  });

  it('row objects: a column named __proto__ is a column (live server)', async () => {
    const client = clientFor();
    try {
      const result = await client.query({ query: 'SELECT 1 AS `__proto__`, 2 AS b' });
      const rows = await result.json();
      expect(rows).toHaveLength(1);
      expect(Object.getPrototypeOf(rows[0])).toBe(Object.prototype);
      expect(Object.keys(rows[0]!)).toEqual(['__proto__', 'b']);
      expect(text(rows[0])).toBe('{"__proto__":1,"b":2}');
    } finally {
      await client.close();
    }
    // rowsOf on a block decoded from ClickHouse's bytes, with an object value under that name.
    const bytes = Buffer.from(
      (await queryAsync("SELECT CAST(tuple(1), 'Tuple(polluted UInt8)') AS `__proto__`", { format: 'Native' })).bytes(),
    );
    const [block] = await NativeFormat.decode(bytes);
    const [row] = [...rowsOf<Record<string, unknown>>(block!)];
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect(row!.polluted).toBeUndefined();
    expect(text(row)).toBe('{"__proto__":{"polluted":1}}');
    expectPrototypeUntouched();
  });
});

describe('insert: table columns named by the server', () => {
  it('a column named __proto__ with a DEFAULT is filled client-side and stored (live server)', async () => {
    const table = uniqueTable('proto');
    const client = clientFor();
    await client.command({
      query: `CREATE TABLE ${table} (k UInt32, \`__proto__\` UInt32 DEFAULT k * 2, s String) ENGINE = Memory`,
    });
    try {
      await client.insert({
        table,
        values: [
          { k: 1, s: 'a' },
          { k: 2, s: 'b' },
        ],
      });
      await client.insert({ table, values: { k: [3], s: ['c'] } });
      const rows = await (
        await client.query({ query: `SELECT k, \`__proto__\` AS p, s FROM ${table} ORDER BY k` })
      ).json();
      expect(rows).toEqual([
        { k: 1, p: 2, s: 'a' },
        { k: 2, p: 4, s: 'b' },
        { k: 3, p: 6, s: 'c' },
      ]);
    } finally {
      await client.command({ query: `DROP TABLE IF EXISTS ${table}` });
      await client.close();
    }
  });
});

describe('insert rows: a column named __proto__ is read from the row itself', () => {
  it('a row without it is missing that column, not holding Object.prototype; one that owns it is stored (live server)', async () => {
    const table = uniqueTable('proto_rows');
    const client = clientFor();
    await client.command({ query: `CREATE TABLE ${table} (k UInt32, \`__proto__\` String) ENGINE = Memory` });
    // JSON.parse makes `__proto__` an own property, as a row decoded from a JSON document has it.
    const owning = JSON.parse('{"k":1,"__proto__":"x"}') as Record<string, unknown>;
    try {
      const error = await client.insert({ table, values: [owning, { k: 2 }] }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidValueError);
      expect((error as InvalidValueError).column).toBe('__proto__');
      expect((error as InvalidValueError).row).toBe(1);
      expect((error as Error).message).toMatch(/no value for this column/);
      await client.insert({ table, values: [owning] });
      const stored = await (await client.query({ query: `SELECT k, \`__proto__\` AS p FROM ${table}` })).json();
      expect(stored).toEqual([{ k: 1, p: 'x' }]);
    } finally {
      await client.command({ query: `DROP TABLE IF EXISTS ${table}` });
      await client.close();
    }
  });
});
