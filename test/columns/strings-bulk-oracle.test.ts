/**
 * The bulk String write (ByteWriter.strings: batches of ASCII strings written with one call) against ClickHouse
 * 26.7 in process (chdb): a String column of ropes, boundary lengths and non-ASCII text encodes to exactly the
 * Native bytes the server writes for the same strings, and decodes back to them.
 */
import { queryAsync } from 'chdb';
import { describe, expect, it } from 'vitest';
import { NativeFormat } from '../../src/columns/native-format.js';

/** A single-quoted SQL literal of `s` (valid UTF-8 text). */
const literal = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

async function serverNative(values: readonly string[]): Promise<Buffer> {
  const sql = `SELECT s FROM (SELECT arrayJoin([${values.map(literal).join(', ')}]) AS s) FORMAT Native`;
  return Buffer.from((await queryAsync(sql, { format: 'Native' })).bytes());
}

function ours(values: readonly string[]): Buffer {
  return NativeFormat.encode([{ rows: values.length, columns: [{ name: 's', type: 'String', values: [...values] }] }]);
}

const SECTIONS = ['item', 'cart', 'search'];
const rope = (n: number) => `https://shop.example.com/${SECTIONS[n % 3]}/${n}?s=${(n * 2654435761).toString(36)}`;

const COLUMNS: Record<string, string[]> = {
  'ASCII ropes': Array.from({ length: 700 }, (_, n) => rope(n)),
  'boundary lengths': [0, 1, 12, 13, 127, 128, 129, 255, 256, 16_383, 16_384].map((n) => 'x'.repeat(n)),
  'non-ASCII among ASCII': Array.from({ length: 600 }, (_, n) => (n % 97 === 0 ? `${rope(n)}/café` : rope(n))),
  'non-ASCII throughout': Array.from({ length: 300 }, (_, n) => `日本語テキスト ${n} — ✓`),
  'short strings': Array.from({ length: 500 }, (_, n) => ['', 'a', 'view', 'ü', 'click'][n % 5]!),
};

describe('bulk String write against chdb', () => {
  for (const [name, values] of Object.entries(COLUMNS)) {
    it(`${name}: the server's Native bytes, and back`, async () => {
      const bytes = ours(values);
      expect(bytes.equals(await serverNative(values))).toBe(true);
      const [block] = await NativeFormat.decode(bytes);
      expect(block!.columns[0]!.values).toEqual(values);
    });
  }
});
