/**
 * Variant(T1, …, Tn) (docs/protocol.md §6.14). The server sorts the variants by type name; a row's discriminator is
 * its variant's index in that order, 255 is NULL.
 * Prefix: UInt64 discriminators mode (0 = BASIC, the only mode Native uses), then each variant's prefix.
 * Data: rows × UInt8 discriminators, then for each variant in order the values of its rows, as that variant's
 * column.
 *
 * Read: the value as its variant reads it, null for NULL. The variant's type is not kept: two variants whose
 * values look alike in JS (Int32 and UInt32 are both numbers) are told apart only by the type name.
 * Write: null for NULL; a `VariantValue` (`variantValue('UInt32', 5)`) for an explicit variant; any other value
 * goes to the first variant, in the type's order, that accepts it among those whose JS kind matches the value
 * (strings → String/FixedString first, bigints → 64-bit-and-wider integers, numbers → integers then floats,
 * booleans → Bool, Dates → date types, arrays → Array/Tuple, Maps and objects → Map/Tuple/JSON), then any
 * variant that accepts it.
 */
import { InvalidValueError, ProtocolError } from '../errors.js';
import type { ByteReader } from '../protocol/reader.js';
import { ByteWriter } from '../protocol/writer.js';
import { BaseCodec, ZERO, type ColumnCodec, type ColumnValues } from './codec.js';
import { badType, type CodecFactory } from './factory.js';
import { formatType, type TypeNode } from './type-parser.js';
import { describe, isTypedArray, typedArrayClass } from './values.js';

export const NULL_DISCRIMINATOR = 255;
const BASIC_MODE = 0;

/** A value with its ClickHouse type stated, for Variant and Dynamic columns. */
export class VariantValue {
  constructor(
    readonly type: string,
    readonly value: unknown,
  ) {}
}

/** `variantValue('UInt32', 5)`: writes 5 as the UInt32 variant (or as a UInt32 in a Dynamic column). */
export function variantValue(type: string, value: unknown): VariantValue {
  return new VariantValue(type, value);
}

/** The Array element type each TypedArray class reads from. */
const TYPED_ELEMENT: Record<string, string> = {
  Int8Array: 'Int8',
  Uint8Array: 'UInt8|Bool',
  Int16Array: 'Int16',
  Uint16Array: 'UInt16',
  Int32Array: 'Int32',
  Uint32Array: 'UInt32',
  Float32Array: 'Float32|BFloat16',
  Float64Array: 'Float64',
  BigInt64Array: 'Int64|Interval\\w+',
  BigUint64Array: 'UInt64',
};

/** The variants that fit a JS value best: exactly (a TypedArray's own Array type), then by family. */
function exactAffinity(v: unknown): RegExp | undefined {
  if (!isTypedArray(v)) return undefined;
  const element = TYPED_ELEMENT[typedArrayClass(v).name];
  return element ? new RegExp(`^Array\\((${element})\\)$`) : undefined;
}

/** Which variant families suit a JS value first (the rest are tried after). */
function affinity(v: unknown): RegExp | undefined {
  switch (typeof v) {
    case 'string':
      return /^(String|FixedString|LowCardinality\((Nullable\()?(String|FixedString))/;
    case 'bigint':
      return /^(U?Int(64|128|256)|Decimal)/;
    case 'number':
      return /^(U?Int(8|16|32|64|128|256)|Float(32|64)|BFloat16|Decimal)/;
    case 'boolean':
      return /^Bool$/;
    default:
      if (v instanceof Date) return /^(DateTime64|DateTime|Date32|Date)\b/;
      if (Array.isArray(v) || isTypedArray(v)) return /^(Array|Tuple|Ring|LineString|Polygon|Multi|Point)/;
      if (v instanceof Map || typeof v === 'object') return /^(Map|Tuple|JSON|Nested)/;
      return undefined;
  }
}

/** What Variant writes for a block: each row's discriminator, each variant's values (and their rows), their plans. */
interface VariantPlan {
  discriminators: Uint8Array;
  groups: unknown[][];
  rowsOf: number[][];
  states: unknown[];
}

export class VariantCodec extends BaseCodec implements ColumnCodec {
  private readonly byName = new Map<string, number>();
  private readonly scratch = new ByteWriter(64);

  constructor(
    readonly type: string,
    readonly variants: readonly ColumnCodec[],
    /** The variants' type names, in discriminator order. */
    readonly names: readonly string[],
  ) {
    super();
    names.forEach((name, i) => this.byName.set(name, i));
  }

  /** UInt64 discriminators mode, then each variant's prefix; the state is the variants' states, in order. */
  override async readPrefix(reader: ByteReader): Promise<unknown[]> {
    const mode = await reader.atomic(() => reader.u64());
    if (mode !== BigInt(BASIC_MODE)) {
      throw new ProtocolError(`${this.type}: discriminators mode ${mode} is not BASIC (0), the mode of Native data`);
    }
    const states: unknown[] = [];
    for (const v of this.variants) states.push(await v.readPrefix(reader));
    return states;
  }

  override writePrefix(writer: ByteWriter, values: ColumnValues, rows: number): VariantPlan {
    writer.u64(BigInt(BASIC_MODE));
    const plan = this.plan(values, rows);
    for (let k = 0; k < this.variants.length; k++) {
      const group = plan.groups[k]!;
      plan.states[k] = this.forVariant(plan, k, () => this.variants[k]!.writePrefix(writer, group, group.length));
    }
    return plan;
  }

  async read(reader: ByteReader, rows: number, state?: unknown): Promise<unknown[]> {
    // Copied: the variants' reads may await, and the discriminators are needed after them.
    const discriminators = new Uint8Array(await reader.take(rows));
    const n = this.variants.length;
    const counts = new Uint32Array(n);
    for (let i = 0; i < rows; i++) {
      const d = discriminators[i]!;
      if (d === NULL_DISCRIMINATOR) continue;
      if (d >= n)
        throw new ProtocolError(`${this.type}: discriminator ${d} of row ${i} names no variant (${n} variants)`);
      counts[d]!++;
    }
    const columns: ColumnValues[] = [];
    const states = state as unknown[] | undefined;
    for (let k = 0; k < n; k++) {
      columns.push(counts[k]! > 0 ? await this.variants[k]!.read(reader, counts[k]!, states?.[k]) : []);
    }
    const next = new Uint32Array(n);
    const out = new Array<unknown>(rows);
    for (let i = 0; i < rows; i++) {
      const d = discriminators[i]!;
      out[i] = d === NULL_DISCRIMINATOR ? null : columns[d]![next[d]!++];
    }
    return out;
  }

  write(writer: ByteWriter, values: ColumnValues, rows: number, state?: unknown): void {
    const plan = (state as VariantPlan | undefined) ?? this.plan(values, rows);
    writer.bytes(plan.discriminators);
    for (let k = 0; k < this.variants.length; k++) {
      const group = plan.groups[k]!;
      if (group.length === 0) continue;
      this.forVariant(plan, k, () => this.variants[k]!.write(writer, group, group.length, plan.states[k]));
    }
  }

  /** Each row's variant, and each variant's values (`VariantValue`s unwrapped) with the rows they came from. */
  private plan(values: ColumnValues, rows: number): VariantPlan {
    const discriminators = this.discriminate(values, rows);
    const n = this.variants.length;
    const groups: unknown[][] = Array.from({ length: n }, () => []);
    const rowsOf: number[][] = Array.from({ length: n }, () => []);
    for (let i = 0; i < rows; i++) {
      const d = discriminators[i]!;
      if (d === NULL_DISCRIMINATOR) continue;
      const v = values[i];
      groups[d]!.push(v instanceof VariantValue ? v.value : v);
      rowsOf[d]!.push(i);
    }
    return { discriminators, groups, rowsOf, states: new Array<unknown>(n) };
  }

  /** Runs `run` for variant `k`, pointing a bad value's error at its row. */
  private forVariant<T>(plan: VariantPlan, k: number, run: () => T): T {
    try {
      return run();
    } catch (error) {
      if (error instanceof InvalidValueError && error.row !== undefined) {
        throw new InvalidValueError(`as ${this.names[k]}: ${error.reason}`, { row: plan.rowsOf[k]![error.row] });
      }
      throw error;
    }
  }

  /** The discriminator of every row. */
  discriminate(values: ColumnValues, rows: number): Uint8Array {
    const out = new Uint8Array(rows);
    for (let i = 0; i < rows; i++) out[i] = this.discriminator(values[i], i);
    return out;
  }

  discriminator(v: unknown, row: number): number {
    if (v === null || v === ZERO) return NULL_DISCRIMINATOR;
    if (v === undefined) throw new InvalidValueError('undefined is not a value; use null for NULL', { row });
    if (v instanceof VariantValue) {
      const d = this.byName.get(v.type);
      if (d === undefined) throw new InvalidValueError(`${v.type} is not a variant of ${this.type}`, { row });
      return d;
    }
    const exact = exactAffinity(v);
    const preferred = affinity(v);
    const rank = (name: string) => (exact?.test(name) ? 0 : preferred?.test(name) ? 1 : 2);
    const order = this.names.map((_, i) => i);
    order.sort((a, b) => rank(this.names[a]!) - rank(this.names[b]!));
    for (const d of order) if (this.accepts(d, v)) return d;
    throw new InvalidValueError(`no variant of ${this.type} accepts ${describe(v)}`, { row });
  }

  private accepts(d: number, v: unknown): boolean {
    const scratch = this.scratch;
    scratch.reset();
    try {
      this.variants[d]!.write(scratch, [v], 1);
      return true;
    } catch (error) {
      if (error instanceof InvalidValueError) return false;
      throw error;
    }
  }
}

export const variantFamily: CodecFactory = (node, type, resolve) => {
  const types: TypeNode[] = [];
  for (const arg of node.args) if (arg.kind === 'type') types.push(arg.type);
  if (types.length === 0 || types.length > 255 || types.length !== node.args.length) {
    throw badType(type, 'Variant takes 1 to 255 types');
  }
  // Discriminators index the variants sorted by type name, whatever order the name lists them in.
  const sorted = types
    .map((t) => ({ name: formatType(t), node: t }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i - 1]!.name === sorted[i]!.name) throw badType(type, `${sorted[i]!.name} appears twice`);
  }
  return new VariantCodec(
    type,
    sorted.map((v) => resolve(v.node)),
    sorted.map((v) => v.name),
  );
};
