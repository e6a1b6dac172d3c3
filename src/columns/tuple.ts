/**
 * Tuple(T1, T2, …) and named Tuple(a T1, b T2) (docs/protocol.md §6.9): every element column in turn (all rows of T1,
 * then all rows of T2, …); the prefix is the elements' prefixes in order. Names do not change the bytes. An empty
 * `Tuple()` has no element streams: like Nothing, ClickHouse 26.7 writes one '0' byte per row (checked with chdb).
 *
 * Read: an array per row for a plain tuple ([1, 'a']), an object per row for a named tuple ({ a: 1, b: 'a' }).
 * Write: an array (or TypedArray) of exactly the element count, by position; for named tuples also an object with
 * every element name as a property (extra properties are an error, so a typo is not dropped silently).
 */
import { InvalidValueError } from '../errors.js';
import type { ByteReader } from '../protocol/reader.js';
import type { ByteWriter } from '../protocol/writer.js';
import { BaseCodec, ZERO, type ColumnCodec, type ColumnValues } from './codec.js';
import { badType, type CodecFactory } from './factory.js';
import { describe, getOwn, isTypedArray, setOwn } from './values.js';

const EMPTY_TUPLE_FILLER = 0x30;

/** What Tuple writes for a block: each element's column, and each element's plan. */
interface TuplePlan {
  columns: unknown[][];
  states: unknown[];
}

export class TupleCodec extends BaseCodec implements ColumnCodec {
  constructor(
    readonly type: string,
    readonly elements: readonly ColumnCodec[],
    /** Element names for a named tuple, else undefined. */
    readonly names: readonly string[] | undefined,
  ) {
    super();
  }

  /** The elements' prefixes in order; the state is their states. */
  override async readPrefix(reader: ByteReader): Promise<unknown[]> {
    const states: unknown[] = [];
    for (const e of this.elements) states.push(await e.readPrefix(reader));
    return states;
  }

  override writePrefix(writer: ByteWriter, values: ColumnValues, rows: number): TuplePlan {
    const columns = this.split(values, rows);
    const states = this.elements.map((e, i) => this.forElement(i, () => e.writePrefix(writer, columns[i]!, rows)));
    return { columns, states };
  }

  async read(reader: ByteReader, rows: number, state?: unknown): Promise<unknown[]> {
    const n = this.elements.length;
    if (n === 0) {
      await reader.take(rows);
      return Array.from({ length: rows }, () => []);
    }
    const columns: ColumnValues[] = [];
    const states = state as unknown[] | undefined;
    for (let e = 0; e < n; e++) columns.push(await this.elements[e]!.read(reader, rows, states?.[e]));
    const out = new Array<unknown>(rows);
    const names = this.names;
    if (names) {
      // Element names come from the type name the server sent: `__proto__` must stay an element (setOwn).
      const set = names.includes('__proto__') ? setOwn : assign;
      for (let i = 0; i < rows; i++) {
        const row: Record<string, unknown> = {};
        for (let e = 0; e < n; e++) set(row, names[e]!, columns[e]![i]);
        out[i] = row;
      }
    } else {
      for (let i = 0; i < rows; i++) {
        const row = new Array<unknown>(n);
        for (let e = 0; e < n; e++) row[e] = columns[e]![i];
        out[i] = row;
      }
    }
    return out;
  }

  write(writer: ByteWriter, values: ColumnValues, rows: number, state?: unknown): void {
    const plan = (state as TuplePlan | undefined) ?? { columns: this.split(values, rows), states: [] };
    const n = this.elements.length;
    if (n === 0) {
      writer.claim(rows).fill(EMPTY_TUPLE_FILLER);
      return;
    }
    for (let e = 0; e < n; e++) {
      this.forElement(e, () => this.elements[e]!.write(writer, plan.columns[e]!, rows, plan.states[e]));
    }
  }

  /** Runs `run` for element `e`, naming the element in a bad value's error. */
  private forElement<T>(e: number, run: () => T): T {
    try {
      return run();
    } catch (error) {
      if (error instanceof InvalidValueError && error.row !== undefined) {
        const label = this.names ? JSON.stringify(this.names[e]) : String(e + 1);
        throw new InvalidValueError(`tuple element ${label}: ${error.reason}`, { row: error.row });
      }
      throw error;
    }
  }

  /** The element columns of the rows; a row of the wrong shape throws InvalidValueError. */
  private split(values: ColumnValues, rows: number): unknown[][] {
    const n = this.elements.length;
    const columns: unknown[][] = Array.from({ length: n }, () => new Array<unknown>(rows));
    for (let i = 0; i < rows; i++) {
      const row = this.checkRow(values[i], i);
      if (row === ZERO) {
        for (let e = 0; e < n; e++) columns[e]![i] = ZERO;
      } else if (Array.isArray(row) || isTypedArray(row)) {
        const items = row as ArrayLike<unknown>;
        for (let e = 0; e < n; e++) columns[e]![i] = items[e];
      } else {
        const object = row as Record<string, unknown>;
        for (let e = 0; e < n; e++) columns[e]![i] = getOwn(object, this.names![e]!);
      }
    }
    return columns;
  }

  /** The row itself when it has the tuple's shape, else an InvalidValueError. */
  private checkRow(v: unknown, row: number): unknown {
    const n = this.elements.length;
    if (v === ZERO) return v;
    if (Array.isArray(v) || isTypedArray(v)) {
      if (v.length !== n) {
        throw new InvalidValueError(`expected a tuple of ${n} elements (${this.type}), got ${v.length}`, { row });
      }
      return v;
    }
    if (this.names && typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype) {
      const keys = Object.keys(v);
      for (const name of this.names) {
        if (!Object.hasOwn(v, name))
          throw new InvalidValueError(`the tuple element "${name}" is missing (${this.type})`, { row });
      }
      if (keys.length !== n) {
        const extra = keys.find((k) => !this.names!.includes(k));
        throw new InvalidValueError(`"${extra}" is not an element of ${this.type}`, { row });
      }
      return v;
    }
    const expected = this.names ? 'an array or an object' : 'an array';
    throw new InvalidValueError(`expected ${expected} for ${this.type}, got ${describe(v)}`, { row });
  }
}

function assign(object: Record<string, unknown>, key: string, value: unknown): void {
  object[key] = value;
}

export const tupleFamily: CodecFactory = (node, type, resolve) => {
  const named = node.args.length > 0 && node.args.every((a) => a.kind === 'named');
  if (!named && !node.args.every((a) => a.kind === 'type')) {
    throw badType(type, 'Tuple elements must be all types or all `name Type`');
  }
  const elements: ColumnCodec[] = [];
  const names: string[] = [];
  for (const arg of node.args) {
    if (arg.kind === 'named') names.push(arg.name);
    if (arg.kind === 'named' || arg.kind === 'type') elements.push(resolve(arg.type));
  }
  return tupleOf(type, elements, named ? names : undefined);
};

/** A tuple codec over element codecs (geo types and Nested build theirs this way). */
export function tupleOf(type: string, elements: ColumnCodec[], names: string[] | undefined): TupleCodec {
  if (names && new Set(names).size !== names.length) throw badType(type, 'Tuple element names must be unique');
  return new TupleCodec(type, elements, names);
}
