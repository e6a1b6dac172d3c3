/**
 * Map(K, V) (docs/protocol.md §6.10): the bytes of Array(Tuple(K, V)): UInt64 cumulative offsets per row, then all
 * keys as a K column, then all values as a V column. The prefix is K's then V's.
 *
 * Read: a JS `Map` per row, in the server's entry order. ClickHouse allows a key to repeat within one row
 * (`map(1, 2, 1, 3)` keeps both); a JS Map cannot hold that, so such a row reads as an array of [key, value]
 * pairs instead, and nothing is lost. Both shapes iterate as [key, value] pairs (`for (const [k, v] of row)`,
 * `new Map(row)`).
 * Write: a Map, an array of [key, value] pairs, or a plain object (its own string keys; for 8- to 32-bit
 * integer and Float key types the key text is turned into a number first, so `{ 1: 'a' }` fits Map(UInt8, String)).
 */
import { InvalidValueError } from '../errors.js';
import type { ByteReader } from '../protocol/reader.js';
import type { ByteWriter } from '../protocol/writer.js';
import { BaseCodec, ZERO, type ColumnCodec, type ColumnValues } from './codec.js';
import { badType, type CodecFactory } from './factory.js';
import { readOffsets, writeOffsets } from './offsets.js';
import { describe } from './values.js';

const NUMERIC_KEY = /^(U?Int(8|16|32)|Float(32|64)|BFloat16)$/;

/** What Map writes for a block: each row's entries, all keys and all values as columns, and K's and V's plans. */
interface MapPlan {
  entries: [unknown, unknown][][];
  keys: unknown[];
  values: unknown[];
  states: [unknown, unknown];
}

export class MapCodec extends BaseCodec implements ColumnCodec {
  private readonly numericKeys: boolean;

  constructor(
    readonly type: string,
    readonly keys: ColumnCodec,
    readonly values: ColumnCodec,
  ) {
    super();
    this.numericKeys = NUMERIC_KEY.test(keys.type);
  }

  /** K's prefix, then V's; the state is [K's state, V's state]. */
  override async readPrefix(reader: ByteReader): Promise<[unknown, unknown]> {
    const k = await this.keys.readPrefix(reader);
    return [k, await this.values.readPrefix(reader)];
  }

  override writePrefix(writer: ByteWriter, values: ColumnValues, rows: number): MapPlan {
    const plan = this.plan(values, rows);
    plan.states[0] = this.forChild(plan.entries, 'key', () =>
      this.keys.writePrefix(writer, plan.keys, plan.keys.length),
    );
    plan.states[1] = this.forChild(plan.entries, 'value', () =>
      this.values.writePrefix(writer, plan.values, plan.values.length),
    );
    return plan;
  }

  async read(
    reader: ByteReader,
    rows: number,
    state?: unknown,
  ): Promise<(Map<unknown, unknown> | [unknown, unknown][])[]> {
    const ends = await readOffsets(reader, rows, this.type);
    const total = rows > 0 ? ends[rows - 1]! : 0;
    const states = state as [unknown, unknown] | undefined;
    const keys = await this.keys.read(reader, total, states?.[0]);
    const values = await this.values.read(reader, total, states?.[1]);
    const out = new Array<Map<unknown, unknown> | [unknown, unknown][]>(rows);
    let start = 0;
    for (let i = 0; i < rows; i++) {
      const end = ends[i]!;
      const map = new Map<unknown, unknown>();
      for (let j = start; j < end; j++) map.set(keys[j], values[j]);
      if (map.size === end - start) {
        out[i] = map;
      } else {
        const pairs: [unknown, unknown][] = [];
        for (let j = start; j < end; j++) pairs.push([keys[j], values[j]]);
        out[i] = pairs;
      }
      start = end;
    }
    return out;
  }

  write(writer: ByteWriter, values: ColumnValues, rows: number, state?: unknown): void {
    const plan = (state as MapPlan | undefined) ?? this.plan(values, rows);
    const entries = plan.entries;
    writeOffsets(writer, rows, (i) => entries[i]!.length);
    this.forChild(entries, 'key', () => this.keys.write(writer, plan.keys, plan.keys.length, plan.states[0]));
    this.forChild(entries, 'value', () => this.values.write(writer, plan.values, plan.values.length, plan.states[1]));
  }

  /** Each row's entries, and all keys and all values as two columns. */
  private plan(values: ColumnValues, rows: number): MapPlan {
    const entries: [unknown, unknown][][] = new Array(rows);
    let total = 0;
    for (let i = 0; i < rows; i++) {
      entries[i] = this.entriesOf(values[i], i);
      total += entries[i]!.length;
      if (total > 2 ** 32 - 1)
        throw new InvalidValueError(`the column holds more than ${2 ** 32 - 1} entries`, { row: i });
    }
    const keys = new Array<unknown>(total);
    const vals = new Array<unknown>(total);
    let at = 0;
    for (let i = 0; i < rows; i++) {
      for (const [k, v] of entries[i]!) {
        keys[at] = k;
        vals[at++] = v;
      }
    }
    return { entries, keys, values: vals, states: [undefined, undefined] };
  }

  private entriesOf(v: unknown, row: number): [unknown, unknown][] {
    if (v instanceof Map) return [...(v as Map<unknown, unknown>)];
    if (v === ZERO) return [];
    if (Array.isArray(v)) {
      for (const pair of v) {
        if (!Array.isArray(pair) || pair.length !== 2) {
          throw new InvalidValueError(
            `expected [key, value] pairs for ${this.type}, got an element ${describe(pair)}`,
            {
              row,
            },
          );
        }
      }
      return v as [unknown, unknown][];
    }
    if (typeof v === 'object' && v !== null && !ArrayBuffer.isView(v) && !(v instanceof Date)) {
      const pairs = Object.entries(v);
      if (this.numericKeys) for (const pair of pairs) (pair as unknown[])[0] = Number(pair[0]);
      return pairs;
    }
    throw new InvalidValueError(
      `expected a Map, [key, value] pairs or an object for ${this.type}, got ${describe(v)}`,
      {
        row,
      },
    );
  }

  /** Runs `run` for the keys or the values; an entry's error points at the row holding it. */
  private forChild<T>(entries: [unknown, unknown][][], what: string, run: () => T): T {
    try {
      return run();
    } catch (error) {
      if (!(error instanceof InvalidValueError) || error.row === undefined) throw error;
      let index = error.row;
      for (let i = 0; i < entries.length; i++) {
        const n = entries[i]!.length;
        if (index < n) throw new InvalidValueError(`${what} of entry ${index}: ${error.reason}`, { row: i });
        index -= n;
      }
      throw error;
    }
  }
}

export const mapFamily: CodecFactory = (node, type, resolve) => {
  const [k, v] = node.args;
  if (node.args.length !== 2 || k?.kind !== 'type' || v?.kind !== 'type') {
    throw badType(type, 'Map takes two type arguments: Map(K, V)');
  }
  return new MapCodec(type, resolve(k.type), resolve(v.type));
};
