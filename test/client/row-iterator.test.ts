/**
 * `for await (const row of result)`: the row iterator builds each row with one object literal per block shape
 * (src/client/result-set.ts). These check that it hands out exactly what json() makes, that no column name can
 * change the code or the prototype, and that it behaves as the generator it replaced: an early stop releases the
 * connection, a server error mid-stream reaches the loop, nothing comes after the end.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ClickHouseError } from '../../src/index.js';
import { clientFor } from './helpers.js';

const client = clientFor({ max_open_connections: 1 });
afterAll(() => client.close());

async function iterated(query: string, jsonSafe = false): Promise<unknown[]> {
  const rows: unknown[] = [];
  for await (const row of await client.query({ query, json_safe: jsonSafe })) rows.push(row);
  return rows;
}

describe('row iterator', () => {
  it('hands out the rows json() makes, across many blocks of several types', async () => {
    const query =
      'SELECT number AS n, toString(number) AS s, toUInt8(number % 7) AS small, ' +
      "if(number % 3 = 0, NULL, number * 2) AS maybe, [number, 1] AS arr, 'é' || toString(number) AS utf " +
      'FROM system.numbers LIMIT 25000 SETTINGS max_block_size = 1000';
    const rows = await iterated(query);
    expect(rows.length).toBe(25_000);
    expect(rows).toEqual(await (await client.query({ query })).json());
    expect(rows[3]).toEqual({ n: 3n, s: '3', small: 3, maybe: null, arr: new BigUint64Array([3n, 1n]), utf: 'é3' });
    expect(Object.keys(rows[0] as object)).toEqual(['n', 's', 'small', 'maybe', 'arr', 'utf']);
  });

  it('column names are data: quotes, braces, code-like names, and __proto__ as an own property', async () => {
    const names = ['a"b', "c'd", '}); throw 1; ({', 'constructor', 'x\\ny', '0'];
    const select = names.map((name, i) => `${i} AS \`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``).join(', ');
    const [row] = (await iterated(`SELECT ${select}`)) as Record<string, unknown>[];
    expect(Object.keys(row!).sort()).toEqual([...names].sort());
    names.forEach((name, i) => expect(row![name]).toBe(i));

    const [proto] = (await iterated('SELECT 1 AS `__proto__`, 2 AS b')) as Record<string, unknown>[];
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(proto, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(proto, '__proto__')!.value).toBe(1);
    expect(proto!.b).toBe(2);
  });

  it('json_safe rows are the JSON-safe values', async () => {
    const rows = await iterated('SELECT toUInt64(18446744073709551615) AS u, 1 AS one', true);
    expect(rows).toEqual([{ u: '18446744073709551615', one: 1 }]);
  });

  it('a break releases the connection, and the iterator is done after it', async () => {
    const result = await client.query({
      query: 'SELECT number FROM system.numbers LIMIT 10000000 SETTINGS max_block_size = 1000',
    });
    const iterator = result[Symbol.asyncIterator]();
    let seen = 0;
    for await (const _ of { [Symbol.asyncIterator]: () => iterator }) if (++seen === 1500) break;
    expect(seen).toBe(1500);
    // Rows of the block in hand are not handed out after the stop.
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
    // One connection in the pool: the next query gets it back.
    expect(await (await client.query({ query: 'SELECT 7 AS seven' })).json()).toEqual([{ seven: 7 }]);
  });

  it('a server error in the middle of the stream rejects the loop, after the rows before it', async () => {
    const result = await client.query({
      query: 'SELECT number, throwIf(number = 15000) AS boom FROM numbers(30000) SETTINGS max_block_size = 1000',
    });
    let seen = 0;
    const error = await (async () => {
      for await (const _ of result) seen++;
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClickHouseError);
    expect(seen).toBeGreaterThan(0);
    expect(seen).toBeLessThanOrEqual(15000);
    expect(await (await client.query({ query: 'SELECT 8 AS eight' })).json()).toEqual([{ eight: 8 }]);
  });

  it('after the last row, next() stays done', async () => {
    const iterator = (await client.query({ query: 'SELECT 1 AS one' }))[Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ value: { one: 1 }, done: false });
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
  });
});
