/** Table and file helpers shared by the benchmark's sections. */
import fs from 'node:fs';
import type { ColumnarInput } from '../src/index.js';
import { NativeFormat } from '../src/columns/native-format.js';
import type { Block } from '../src/columns/block.js';
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
