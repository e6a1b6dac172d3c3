/**
 * The read path's fast paths, against a real server: fixed-width columns are handed out as views of the
 * decompressed frame, moved in place onto an aligned address when nothing before them in the frame was handed out
 * (ByteReader.takeAligned); frames that span socket chunks go through a scratch shared by every connection
 * (readFrame); the row iterator's String columns are kept as bytes and decoded a run at a time (LazyStringColumn).
 * These check that every value of every column survives, whatever came before it in the block, with and without
 * compression, over many blocks, with blocks kept while later ones are read, and rows equal to what json() makes.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Block } from '../../src/columns/block.js';
import { clientFor } from './helpers.js';

const clients = {
  lz4: clientFor({ compression: 'lz4' }),
  zstd: clientFor({ compression: 'zstd' }),
  none: clientFor({ compression: 'none' }),
};
afterAll(() => Promise.all(Object.values(clients).map((c) => c.close())));

async function allBlocks(client: (typeof clients)['lz4'], query: string): Promise<Block[]> {
  const blocks: Block[] = [];
  for await (const block of (await client.query({ query })).blocks()) blocks.push(block);
  return blocks;
}

for (const [method, client] of Object.entries(clients)) {
  describe(`fixed-width columns read in place (${method})`, () => {
    it('a UInt64 column alone: aligned views, every value, blocks kept while later ones are read', async () => {
      // An odd block size: the varint row count and the frame layout vary between blocks.
      const blocks = await allBlocks(
        client,
        'SELECT number * 3 AS n FROM system.numbers LIMIT 300001 SETTINGS max_block_size = 65537',
      );
      let row = 0;
      for (const block of blocks) {
        const values = block.columns[0]!.values as BigUint64Array;
        expect(values).toBeInstanceOf(BigUint64Array);
        // Compressed: a view of the decompressed frame (its memory is larger), not a copy of its own.
        if (method !== 'none') expect(values.buffer.byteLength).toBeGreaterThan(values.byteLength);
        for (let i = 0; i < values.length; i++, row++) if (values[i] !== BigInt(row * 3)) throw new Error(`row ${row}`);
      }
      expect(row).toBe(300_001);
    });

    it('columns after a view, a string, a FixedString and other widths keep every value', async () => {
      const query =
        'SELECT toUInt8(number % 251) AS u8, number AS u64, toString(number) AS s, toFixedString(toString(number % 10), 1) AS fs, ' +
        'toInt16(-number % 30000) AS i16, toFloat64(number) / 4 AS f64, toUInt32(number * 7) AS u32, toFloat32(number % 1000) AS f32, ' +
        "if(number % 5 = 0, '', 'é\\xff' || toString(number)) AS odd, toInt64(-number) AS i64 " +
        'FROM system.numbers LIMIT 100003 SETTINGS max_block_size = 9999';
      const blocks = await allBlocks(client, query);
      let row = 0;
      for (const block of blocks) {
        const c = Object.fromEntries(block.columns.map((col) => [col.name, col.values])) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- ten column types, checked by value
        // Every fixed-width column is a view of the decompressed frame, after views, strings and headers alike.
        if (method !== 'none') {
          for (const name of ['u8', 'u64', 'i16', 'f64', 'u32', 'f32', 'i64']) {
            expect(c[name].buffer.byteLength, name).toBeGreaterThan(c[name].byteLength);
          }
        }
        for (let i = 0; i < block.rows; i++, row++) {
          const n = row;
          const ok =
            c.u8[i] === n % 251 &&
            c.u64[i] === BigInt(n) &&
            c.s[i] === String(n) &&
            c.fs[i].toString() === String(n % 10) &&
            c.i16[i] === -(n % 30000) &&
            c.f64[i] === n / 4 &&
            c.u32[i] === n * 7 &&
            c.f32[i] === n % 1000 &&
            c.odd[i] === (n % 5 === 0 ? '' : `é\ufffd${n}`) &&
            c.i64[i] === BigInt(-n);
          if (!ok) throw new Error(`row ${n}: ${JSON.stringify(block.columns.map((col) => String(col.values[i])))}`);
        }
      }
      expect(row).toBe(100_003);
    });
  });
}

for (const [method, client] of Object.entries(clients)) {
  describe(`String columns of the row iterator (${method})`, () => {
    async function rows(query: string): Promise<Record<string, unknown>[]> {
      const out: Record<string, unknown>[] = [];
      for await (const row of await client.query({ query })) out.push(row);
      return out;
    }

    it("rows equal json()'s: empty, non-ASCII, invalid UTF-8, long lengths, strings across frames and blocks", async () => {
      // Strings of 0-399 bytes (one- and two-byte lengths) make blocks of ~1.4 MiB: two frames each, a string
      // straddling them.
      const query =
        "WITH (SELECT arrayStringConcat(arrayMap(x -> 'x', range(400)))) AS big " +
        "SELECT number AS n, if(number % 7 = 0, '', toString(number)) AS s, " +
        "multiIf(number % 5 = 0, 'é€日本', number % 5 = 1, '\\xff\\xc3', number % 5 = 2, '\\xed\\xa0\\x80', 'ascii') AS odd, " +
        'substring(big, 1, number % 400) AS long, ' +
        'if(number % 3 = 0, NULL, toString(number)) AS maybe ' +
        'FROM system.numbers LIMIT 30011 SETTINGS max_block_size = 7001';
      const iterated = await rows(query);
      expect(iterated).toEqual(await (await client.query({ query })).json());
      expect(iterated.length).toBe(30_011);
      expect(iterated[1]).toMatchObject({ n: 1n, s: '1', odd: '\ufffd\ufffd', maybe: '1' });
      expect(iterated[7]).toMatchObject({ s: '', odd: '\ufffd\ufffd\ufffd' });
      expect((iterated[399]!.long as string).length).toBe(399);
    });

    it('totals stay plain columns; a column named __proto__ reads the lazy column whole', async () => {
      const result = await client.query({
        query: 'SELECT toString(number % 3) AS k, count() AS c FROM numbers(100) GROUP BY k WITH TOTALS ORDER BY k',
      });
      const got: Record<string, unknown>[] = [];
      for await (const row of result) got.push(row);
      expect(got).toEqual([
        { k: '0', c: 34n },
        { k: '1', c: 33n },
        { k: '2', c: 33n },
      ]);
      // The key's totals value differs between servers ('0' on 18.16, '' later): a plain array of one string.
      const totals = result.summary.totals?.columns[0]!.values;
      expect(Array.isArray(totals) && totals.length === 1 && typeof totals[0] === 'string').toBe(true);
      const proto = await rows("SELECT toString(number) AS `__proto__`, 'b' AS b FROM numbers(3)");
      expect(proto.map((row) => Object.getOwnPropertyDescriptor(row, '__proto__')?.value)).toEqual(['0', '1', '2']);
      expect(Object.getPrototypeOf(proto[0])).toBe(Object.prototype);
    });
  });
}
