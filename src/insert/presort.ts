/**
 * `presort: true`: each block is sorted by the table's sorting key before it is sent. MergeTree sorts every
 * inserted block by that key anyway (and checks first whether it already is); a block that arrives sorted takes that
 * cheap path, moving the sort from the server's CPU to the client's.
 *
 * The key comes from `system.tables.sorting_key` (ClickHouse 18.16 has it, next to `primary_key`), e.g.
 * `user_id, ts` or `toDate(ts), id`. The block is sorted by the longest prefix of that list made of plain columns of
 * the insert: `user_id, ts` sorts by both; `toDate(ts), id` sorts by nothing (a sort by `ts` would not be the key's
 * order when the key is an expression). Order only matters for speed: the server orders the data itself, so the
 * comparison here (JS `<`: numbers, bigints, strings by UTF-16 units, Dates) need not match ClickHouse's exactly.
 */
import type { ColumnValues } from '../columns/codec.js';
import type { Block } from '../protocol/block.js';
import type { ColumnHeader } from './input.js';

/** Splits a sorting-key expression list at its top-level commas. */
export function splitKey(sortingKey: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let current = '';
  for (let i = 0; i < sortingKey.length; i++) {
    const ch = sortingKey[i]!;
    if (quote) {
      if (ch === '\\') {
        current += ch + (sortingKey[++i] ?? '');
        continue;
      }
      if (ch === quote) quote = undefined;
    } else if (ch === "'" || ch === '`' || ch === '"') quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      out.push(current.trim());
      current = '';
      continue;
    }
    current += ch;
  }
  if (current.trim() !== '') out.push(current.trim());
  return out;
}

/** A plain column name of a key element (`id`, `` `my col` ``), or undefined for an expression. */
function plainColumn(element: string): string | undefined {
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(element)) return element;
  const quoted = /^`((?:[^`\\]|\\.)*)`$/.exec(element);
  return quoted ? quoted[1]!.replace(/\\(.)/g, '$1') : undefined;
}

/** Indexes into `header` of the columns to sort by: the longest prefix of the key made of plain insert columns. */
export function sortColumns(sortingKey: string, header: readonly ColumnHeader[]): number[] {
  const out: number[] = [];
  for (const element of splitKey(sortingKey)) {
    const name = plainColumn(element);
    const index = name === undefined ? -1 : header.findIndex((column) => column.name === name);
    if (index < 0) break;
    out.push(index);
  }
  return out;
}

function compare(a: unknown, b: unknown): number {
  // `<` orders numbers, bigints (also against numbers), strings and Dates; anything else compares equal.
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
}

/**
 * The block sorted by the given columns, and the permutation: row i of the sorted block is row perm[i] of the
 * input (to report a bad value at its original row).
 */
export function sortBlock(block: Block, keys: readonly number[]): { block: Block; perm: Uint32Array } | undefined {
  const rows = block.rows;
  if (keys.length === 0 || rows < 2) return undefined;
  const perm = new Uint32Array(rows);
  for (let i = 0; i < rows; i++) perm[i] = i;
  const keyValues = keys.map((k) => block.columns[k]!.values);
  if (keyValues.length === 1) {
    const v = keyValues[0]!;
    perm.sort((x, y) => compare(v[x], v[y]));
  } else {
    perm.sort((x, y) => {
      for (const v of keyValues) {
        const c = compare(v[x], v[y]);
        if (c !== 0) return c;
      }
      return 0;
    });
  }
  const columns = block.columns.map((column) => ({ ...column, values: permute(column.values, perm) }));
  return { block: { ...block, columns }, perm };
}

function permute(values: ColumnValues, perm: Uint32Array): ColumnValues {
  const rows = perm.length;
  if (ArrayBuffer.isView(values)) {
    const typed = values as unknown as Uint8Array;
    const out = new (typed.constructor as new (n: number) => Uint8Array)(rows);
    for (let i = 0; i < rows; i++) out[i] = typed[perm[i]!]!;
    return out;
  }
  const out = new Array<unknown>(rows);
  for (let i = 0; i < rows; i++) out[i] = values[perm[i]!];
  return out;
}
