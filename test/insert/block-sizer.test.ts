/**
 * How insert blocks are cut (src/insert/input.ts): by bytes first, from a sample for the first block and from each
 * encoded block after it; and, for a resend encoded again at another revision, at the boundaries the first encoding
 * cut (ReplayedCuts), since a server's insert deduplication compares blocks by their rows.
 */
import { describe, expect, it } from 'vitest';
import { encodeBlockBody } from '../../src/connection/exchange.js';
import { BlockSizer, blocksOf, ReplayedCuts, RowScratch, type ColumnarInput } from '../../src/insert/input.js';
import { DEFAULT_INSERT_BLOCK_BYTES, DEFAULT_INSERT_BLOCK_ROWS } from '../../src/insert/insert.js';
import { ByteWriter } from '../../src/protocol/writer.js';

const HEADER = [
  { name: 'id', type: 'UInt64' },
  { name: 's', type: 'String' },
];

function input(rows: number): ColumnarInput {
  return {
    id: new BigUint64Array(rows).map((_, i) => BigInt(i)),
    s: Array.from({ length: rows }, (_, i) => 'x'.repeat(i % 23)),
  };
}

/** The rows of each block `sizer` cuts, encoding each at `revision` and recording its size as the pipeline does. */
function cut(values: ColumnarInput, sizer: BlockSizer, revision: number, sizes: number[] = []): number[] {
  const header = Object.keys(values).map((name) => HEADER.find((h) => h.name === name) ?? { name, type: 'UInt8' });
  const body = new ByteWriter(1024);
  const rows: number[] = [];
  for (const block of blocksOf(values, header, sizer, 0, 0, new RowScratch(header))) {
    encodeBlockBody(revision, block, body);
    sizer.record(block.rows, body.length);
    rows.push(block.rows);
    sizes.push(body.length);
  }
  return rows;
}

describe('insert block sizes', () => {
  it('the defaults cut by bytes first: about 1 MiB per block, the row cap only for tiny rows', () => {
    expect(DEFAULT_INSERT_BLOCK_BYTES).toBe(1 << 20);
    // 8 + 8 bytes a row (a UInt64 and an 7-character string with its length), by the sample and as encoded.
    const rows = 200_000;
    const values = { id: new BigUint64Array(rows), s: new Array<string>(rows).fill('abcdefg') };
    const sizes: number[] = [];
    const blocks = cut(values, new BlockSizer(DEFAULT_INSERT_BLOCK_ROWS, DEFAULT_INSERT_BLOCK_BYTES), 54460, sizes);
    expect(blocks[0]).toBe(Math.floor(DEFAULT_INSERT_BLOCK_BYTES / 16));
    expect(blocks.length).toBe(4);
    expect(blocks.reduce((a, b) => a + b)).toBe(rows);
    // Every full block within a row and the block's own header of 1 MiB.
    for (const size of sizes.slice(0, -1)) expect(Math.abs(size - DEFAULT_INSERT_BLOCK_BYTES)).toBeLessThan(64);
    // One byte a row: the row cap decides.
    const tiny = cut(
      { v: new Uint8Array(rows) } as ColumnarInput,
      new BlockSizer(DEFAULT_INSERT_BLOCK_ROWS, DEFAULT_INSERT_BLOCK_BYTES),
      54460,
    );
    expect(tiny).toEqual([DEFAULT_INSERT_BLOCK_ROWS, DEFAULT_INSERT_BLOCK_ROWS]);
  });

  it("a resend encoded at another revision cuts the first encoding's blocks, where a fresh sizer would not", () => {
    const values = input(20_000);
    // 4 001 bytes a block: the byte per column that 54454 adds moves a boundary.
    const first = cut(values, new BlockSizer(1e9, 4_001), 54453);
    expect(cut(values, new BlockSizer(1e9, 4_001), 54454)).not.toEqual(first);
    expect(cut(values, new ReplayedCuts(first), 54454)).toEqual(first);
    expect(first.reduce((a, b) => a + b)).toBe(20_000);
  });
});
