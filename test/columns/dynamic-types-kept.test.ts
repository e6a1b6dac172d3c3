/**
 * A value read from a Dynamic column inserts back as the type it was read as, whatever path it takes: the block's
 * column as decoded, a copy of that column (`.slice()`, `Array.from`, spread), or row objects (what `json()` and
 * iteration give) turned back into columns. Checked against ClickHouse 26.7 in process (chdb): random values made
 * by `generateRandom` (which has no Dynamic type of its own) cast to Dynamic, one of 22 types per row; decoded by us,
 * re-encoded from each path, our bytes must equal chdb's, and chdb must read every row back with its dynamicType.
 * The live version, through a real table and the client, is in test/client/dynamic-live.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { queryAsync } from 'chdb';
import { afterAll, describe, expect, it } from 'vitest';
import { NativeFormat } from '../../src/columns/native-format.js';
import { rowsOf, type Block } from '../../src/index.js';
import { DYNAMIC_TYPES_SQL } from './dynamic-random.js';

const dir = mkdtempSync(join(tmpdir(), 'clickhouse-native-dynamic-kept-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

async function chdb(sql: string, format = 'Native'): Promise<Buffer> {
  return Buffer.from((await queryAsync(sql, { format })).bytes());
}

/** chdb's reading of Native bytes: each row's key, the dynamicType of each Dynamic value, and the value as text. */
async function chdbReads(bytes: Buffer): Promise<string> {
  const path = join(dir, `f${files++}.native`);
  writeFileSync(path, bytes);
  return (
    await chdb(
      `SELECT k, dynamicType(d), toString(d), dynamicType(dm), toString(dm), arrayMap(x -> dynamicType(x), a), toString(a),
              mapApply((k, v) -> (k, dynamicType(v)), m), toString(m)
       FROM file('${path}', 'Native') ORDER BY k`,
      'TSV',
    )
  ).toString();
}

/** The same block with its columns replaced by `columns` (by name). */
function withColumns(block: Block, columns: Record<string, ArrayLike<unknown>>): Block {
  return { rows: block.rows, columns: block.columns.map((c) => ({ ...c, values: columns[c.name]! })) };
}

describe('Dynamic values keep the type they were read as, whatever path they take (chdb, generateRandom)', () => {
  it.each([1, 2, 3])(
    'seed %i: decoded, copied and turned into row objects, they encode to chdb’s bytes',
    async (seed) => {
      const canonical = await chdb(DYNAMIC_TYPES_SQL(seed, 1000));
      const [block, more] = await NativeFormat.decode(canonical);
      expect(more).toBeUndefined();
      expect(block!.rows).toBe(1000);
      const expected = await chdbReads(canonical);
      // Many types, including those JS kind alone does not tell.
      for (const type of ['UInt8', 'Date', 'Float64', 'Float32', 'UInt64', 'Int16', 'Array(UInt8)', 'Decimal(10, 2)']) {
        expect(expected, type).toContain(`\t${type}\t`);
      }

      const names = block!.columns.map((c) => c.name);
      const paths: [string, Block][] = [
        ['the block as decoded', block!],
        [
          '.slice() of each column',
          withColumns(
            block!,
            Object.fromEntries(block!.columns.map((c) => [c.name, Array.prototype.slice.call(c.values)])),
          ),
        ],
        [
          'Array.from of each column',
          withColumns(block!, Object.fromEntries(block!.columns.map((c) => [c.name, Array.from(c.values)]))),
        ],
        [
          '[...column]',
          withColumns(block!, Object.fromEntries(block!.columns.map((c) => [c.name, [...(c.values as unknown[])]]))),
        ],
      ];
      // Row objects (json(), iteration), copied with a spread, and gathered back into columns as an insert does.
      const rows = [...rowsOf<Record<string, unknown>>(block!)].map((row) => ({ ...row }));
      paths.push([
        'row objects',
        withColumns(block!, Object.fromEntries(names.map((n) => [n, rows.map((r) => r[n])]))),
      ]);
      // Rows reordered: the types go with the values, not with the positions.
      const reversed = [...rows].reverse();
      paths.push([
        'row objects, reversed',
        withColumns(block!, Object.fromEntries(names.map((n) => [n, reversed.map((r) => r[n])]))),
      ]);

      for (const [label, path] of paths) {
        const encoded = NativeFormat.encode([path]);
        if (!label.includes('reversed')) expect(encoded.toString('hex'), label).toBe(canonical.toString('hex'));
        expect(await chdbReads(encoded), label).toBe(expected);
      }
    },
  );
});
