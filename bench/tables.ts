/** Table and file helpers shared by the benchmark's sections. */
import fs from 'node:fs';
import type { ColumnarInput } from '../src/index.js';
import { NativeFormat } from '../src/columns/native-format.js';
import type { Block } from '../src/columns/block.js';
import { encodeBlockBody } from '../src/connection/exchange.js';
import { BlockSizer, blocksOf, RowScratch } from '../src/insert/input.js';
import { DEFAULT_INSERT_BLOCK_BYTES, DEFAULT_INSERT_BLOCK_ROWS } from '../src/insert/insert.js';
import { CLIENT_REVISION } from '../src/protocol/revision.js';
import { ByteWriter } from '../src/protocol/writer.js';
import { adminQuery, type TestServer } from '../test/harness/server.js';

/** Before 19.x LowCardinality needed an experimental setting, which later servers no longer know. */
function lowCardinalityIsExperimental(server: TestServer): boolean {
  return Number((server.version ?? '0').split('.')[0]) < 19;
}

export async function recreate(server: TestServer, table: string, columns: string, engine: string): Promise<void> {
  await adminQuery(server, `DROP TABLE IF EXISTS ${table}`);
  await adminQuery(server, `CREATE TABLE ${table} (${columns}) ENGINE = ${engine}`, {
    settings: lowCardinalityIsExperimental(server) ? { allow_experimental_low_cardinality_type: 1 } : {},
  });
}

export async function count(server: TestServer, table: string): Promise<number> {
  return Number((await adminQuery(server, `SELECT count() FROM ${table}`)).trim());
}

/** Writes the chunks as one Native file (what the C++ client reads on stdin), one block per chunk. */
export function writeNativeFile(file: string, chunks: readonly ColumnarInput[], types: Record<string, string>): void {
  const fd = fs.openSync(file, 'w');
  try {
    for (const chunk of chunks) {
      const rows = Object.values(chunk)[0]!.length;
      const block: Block = {
        rows,
        columns: Object.entries(chunk).map(([name, values]) => ({ name, type: types[name]!, values })),
      };
      fs.writeSync(fd, NativeFormat.encode([block]));
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The rows (and encoded bytes) of each block our client's `insert` sends for `columns` with the default block sizes: the same
 * BlockSizer, fed the same sample estimate for the first block and each encoded block's body size after it (as
 * src/insert/pipeline.ts records them), at the revision the client negotiates with this server. The C++ client's
 * Native file is cut at these boundaries, so the peer never gets a worse block structure than ours.
 */
export function clientBlockRows(
  columns: ColumnarInput,
  types: Record<string, string>,
  serverRevision: number | undefined,
): { rows: number; bytes: number }[] {
  const revision = Math.min(CLIENT_REVISION, serverRevision ?? CLIENT_REVISION);
  const header = Object.keys(columns).map((name) => ({ name, type: types[name]! }));
  const sizer = new BlockSizer(DEFAULT_INSERT_BLOCK_ROWS, DEFAULT_INSERT_BLOCK_BYTES);
  const body = new ByteWriter(1 << 20);
  const blocks: { rows: number; bytes: number }[] = [];
  for (const block of blocksOf(columns, header, sizer, 0, 0, new RowScratch(header))) {
    encodeBlockBody(revision, block, body);
    sizer.record(block.rows, body.length);
    blocks.push({ rows: block.rows, bytes: body.length });
  }
  return blocks;
}

/** Cuts a columnar object into chunks of the given row counts (views and slices). */
export function chunksOfRows(columns: ColumnarInput, counts: readonly number[]): ColumnarInput[] {
  const out: ColumnarInput[] = [];
  let start = 0;
  for (const count of counts) {
    const chunk: ColumnarInput = {};
    for (const [name, values] of Object.entries(columns)) {
      chunk[name] = ArrayBuffer.isView(values)
        ? (values as unknown as Uint8Array).subarray(start, start + count)
        : (values as unknown[]).slice(start, start + count);
    }
    out.push(chunk);
    start += count;
  }
  return out;
}

/** "name Type(args, ...), ..." → { name: 'Type(args, ...)' } (split at top-level commas). */
export function typesOf(columns: string): Record<string, string> {
  const out: Record<string, string> = {};
  let depth = 0;
  let current = '';
  for (const ch of columns + ',') {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      const trimmed = current.trim();
      const space = trimmed.indexOf(' ');
      out[trimmed.slice(0, space)] = trimmed.slice(space + 1).trim();
      current = '';
    } else current += ch;
  }
  return out;
}

export async function* iterate<T>(items: readonly T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}
