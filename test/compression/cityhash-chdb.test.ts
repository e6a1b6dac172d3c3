/**
 * cityHash64 against the real engine: chdb (in-process ClickHouse) computes SQL `cityHash64(String)`, which is
 * CityHash64 v1.0.2 of the string's bytes. Inputs travel as hex (`unhex`) so any byte value is covered.
 *
 * This file uses chdb's stateless `query`; chdb binds one data directory per process, so the Session-based part
 * test lives in its own file (vitest runs each file in its own worker process).
 */
import { query } from 'chdb';
import { describe, expect, it } from 'vitest';
import { cityHash64 } from '../../src/compression/cityhash.js';
import { pseudoRandomBytes } from './helpers.js';

/** SQL cityHash64 of each input, in one query. */
function engineCityHash64(inputs: Buffer[]): bigint[] {
  const list = inputs.map((b) => `'${b.toString('hex')}'`).join(',');
  const out = query(`SELECT arrayJoin(arrayMap(x -> toString(cityHash64(unhex(x))), [${list}]))`, 'TSVRaw');
  return out
    .trim()
    .split('\n')
    .map((line) => BigInt(line));
}

describe('cityHash64 vs chdb SQL cityHash64', () => {
  it('agrees on the empty string and every length 1..100 (random bytes)', () => {
    const inputs: Buffer[] = [Buffer.alloc(0)];
    for (let len = 1; len <= 100; len++) inputs.push(pseudoRandomBytes(len, len * 31));
    const expected = engineCityHash64(inputs);
    expect(expected).toHaveLength(inputs.length);
    inputs.forEach((input, i) => expect(cityHash64(input), `length ${input.length}`).toBe(expected[i]));
  });

  it('agrees on ASCII words and UTF-8 text', () => {
    const words = ['Moscow', 'ClickHouse', 'a', 'Привет, мир', '🙂 emoji', 'x'.repeat(64), 'y'.repeat(65)];
    const inputs = words.map((s) => Buffer.from(s, 'utf8'));
    const expected = engineCityHash64(inputs);
    inputs.forEach((input, i) => expect(cityHash64(input), input.toString()).toBe(expected[i]));
    expect(expected[0]).toBe(12507901496292878638n);
  });

  it('agrees on lengths around the 64-byte chunking (101..300) and on a few KB', () => {
    const inputs: Buffer[] = [];
    for (let len = 101; len <= 300; len++) inputs.push(pseudoRandomBytes(len, len));
    for (const len of [1000, 1023, 1024, 1025, 4096, 4097, 10_000, 20_001]) inputs.push(pseudoRandomBytes(len, len));
    const expected = engineCityHash64(inputs);
    inputs.forEach((input, i) => expect(cityHash64(input), `length ${input.length}`).toBe(expected[i]));
  });

  it('agrees on long strings built in SQL (1 MiB and 3 MiB + 7)', () => {
    const unit = pseudoRandomBytes(1000, 99);
    for (const [repeats, tail] of [
      [1049, 0],
      [3146, 7],
    ] as const) {
      const data = Buffer.concat([...Array<Buffer>(repeats).fill(unit), unit.subarray(0, tail)]);
      const sql =
        `SELECT toString(cityHash64(concat(repeat(unhex('${unit.toString('hex')}'), ${repeats}), ` +
        `unhex('${unit.subarray(0, tail).toString('hex')}'))))`;
      expect(cityHash64(data), `${data.length} bytes`).toBe(BigInt(query(sql, 'TSVRaw').trim()));
    }
  });
});
