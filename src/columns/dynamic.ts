/**
 * Dynamic and Dynamic(max_types=N) (docs/protocol.md §6.15), checked byte for byte against ClickHouse 26.7 (chdb).
 *
 * Prefix: UInt64 structure version: 1 (V1) in FORMAT Native and below revision 54473, 2 (V2) from 54473 (written
 * as the codec's serialization says; either is read); V1 only: VarUInt "legacy max types" (ClickHouse writes the
 * number of listed types there, and so do we); VarUInt number of listed types; their names (String each, sorted by
 * name); then the
 * prefix of the internal Variant(T1 … Tk, SharedVariant), its variants re-sorted by name with `SharedVariant`:
 * UInt64 discriminators mode 0 (BASIC) and each variant's own prefix.
 * Data: that Variant's BASIC data (§6.14): a UInt8 discriminator per row (255 = NULL), then each variant's rows.
 * SharedVariant is a String column; each value is the binary type encoding of its type followed by the value in
 * RowBinary form. It holds the values whose types did not fit into max_types.
 *
 * Read: each row is a `VariantValue` ({ type, value }: the row's type, and the value as that type reads, e.g.
 * { type: 'UInt8', value: 5 }, { type: 'Array(UInt8)', value: Uint8Array }), null for NULL. The value carries its
 * type wherever it goes (a row object, a copy of the column, an Array, Tuple or Map row), so writing it back writes
 * the type it was read as; a JS number alone could not say UInt8 or Float64. A column written back from values read
 * from one column also lists the same types, so it gives ClickHouse's bytes again.
 * Write: a row's type is, in order: the type a `VariantValue` states (`dynamicValue(type, value)`, or a value read
 * from a Dynamic column); else inferred from the JS kind, the way ClickHouse infers JSON values: boolean → Bool; a
 * number that is a safe integer → Int64, any other number → Float64; bigint → Int64, or UInt64 / Int128 / UInt128 /
 * Int256 / UInt256 when it does not fit; string or Buffer → String; Date → DateTime64(3); a TypedArray → Array of
 * its element type (Uint8Array → Array(UInt8)); an array → Array(Nullable(T)) for scalar elements of one type T
 * (Int64 and Float64 together give Float64), Array(T) for nested arrays. Other values (objects, Maps, mixed arrays)
 * need `dynamicValue`. null is NULL. When more than max_types distinct types occur, the most frequent ones (ties by
 * name) are listed and the rest go to the shared variant.
 */
import { InvalidValueError, ProtocolError, UnsupportedError } from '../errors.js';
import type { ByteReader } from '../protocol/reader.js';
import { ByteWriter } from '../protocol/writer.js';
import { BaseCodec, ZERO, type ColumnCodec, type ColumnValues } from './codec.js';
import { badType, type CodecFactory, type ObjectSerialization } from './factory.js';
import { formatType, parseType } from './type-parser.js';
import { describe, isTypedArray, typedArrayClass } from './values.js';
import { readTypedValue, writeTypedValue, type CodecLookup } from './row-binary.js';
import { NULL_DISCRIMINATOR, VariantValue, variantValue } from './variant.js';

const STRUCTURE_V1 = 1n;
const STRUCTURE_V2 = 2n;
const BASIC_MODE = 0n;
const SHARED_VARIANT = 'SharedVariant';
const DEFAULT_MAX_TYPES = 32;

/** `dynamicValue('UInt8', 5)`: writes 5 as a UInt8 in a Dynamic column (or a JSON path). */
export const dynamicValue = variantValue;

/**
 * A Dynamic column as the codec reads it: each row's value and type (null for NULL), and the types the column
 * listed. The JSON codec reads its dynamic paths this way and keeps the types with its row objects.
 */
export interface DynamicColumn {
  readonly values: unknown[];
  readonly types: (string | null)[];
  readonly listed: readonly string[];
}

/**
 * A row read from a Dynamic column: a VariantValue that also knows the types its column listed, so that a column
 * written back from such rows lists them again (which types are listed and which are shared is the column's, not
 * the rows'). Private: to users it is a VariantValue.
 */
class ReadDynamicValue extends VariantValue {
  readonly #listed: readonly string[];

  constructor(type: string, value: unknown, listed: readonly string[]) {
    super(type, value);
    this.#listed = listed;
  }

  /** The listed types of the column `v` was read from, if it was read from one. */
  static listedOf(v: unknown): readonly string[] | undefined {
    return v instanceof ReadDynamicValue ? v.#listed : undefined;
  }
}

/**
 * The type of each row of a Dynamic column (null for NULL), read from its values (VariantValues), or undefined
 * when a row is neither null nor a VariantValue.
 */
export function dynamicTypes(column: ColumnValues): (string | null)[] | undefined {
  const out = new Array<string | null>(column.length);
  for (let i = 0; i < column.length; i++) {
    const v = column[i];
    if (v === null) out[i] = null;
    else if (v instanceof VariantValue) out[i] = v.type;
    else return undefined;
  }
  return out;
}

/**
 * What `plan` may go by besides the values (the JSON codec's record of its paths): each row's type as it was read
 * (used while the row's value still fits it), and the listed types.
 */
export interface DynamicHint {
  readonly types: ArrayLike<string | null | undefined>;
  readonly listed?: readonly string[] | undefined;
}

/** One internal variant's rows, on write: their values (unwrapped), where they came from, their types. */
interface DynamicGroup {
  values: unknown[];
  rows: number[];
  types: string[];
}

/**
 * The state of one block: the listed types and the internal variants in discriminator order, with their states;
 * on write also each row's discriminator and each variant's rows.
 */
export interface DynamicPlan {
  listed: readonly string[];
  /** Variant names sorted, SharedVariant included. */
  sorted: string[];
  codecs: (ColumnCodec | undefined)[];
  states: unknown[];
  discriminators?: Uint8Array;
  groups?: DynamicGroup[];
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The canonical spelling of a type name (as the server prints it). */
function canonical(type: string): string {
  return formatType(parseType(type));
}

/** The listed types shared by every row read from one column, or undefined (none, or several columns). */
function commonListed(values: ColumnValues, rows: number): readonly string[] | undefined {
  let listed: readonly string[] | undefined;
  for (let i = 0; i < rows; i++) {
    const v = values[i];
    if (v === null || v === ZERO) continue;
    const own = ReadDynamicValue.listedOf(v);
    if (own === undefined || (listed !== undefined && own !== listed)) return undefined;
    listed = own;
  }
  return listed;
}

export class DynamicCodec extends BaseCodec implements ColumnCodec {
  private readonly scratch = new ByteWriter(64);
  /** Type names stated by VariantValues → their canonical spelling, once checked. */
  private readonly stated = new Map<string, string>();

  constructor(
    readonly type: string,
    readonly maxTypes: number,
    private readonly getCodec: CodecLookup,
    /** What `writePrefix` writes: V1, or V2 (from revision 54473). */
    readonly serialization: ObjectSerialization = 'v1',
  ) {
    super();
  }

  override async readPrefix(reader: ByteReader): Promise<DynamicPlan> {
    const listed = await reader.atomic(() => {
      const version = reader.u64();
      if (version !== STRUCTURE_V1 && version !== STRUCTURE_V2) {
        throw new ProtocolError(
          `${this.type}: structure version ${version} is neither V1 (1) nor V2 (2), the ones a native connection gets`,
        );
      }
      if (version === STRUCTURE_V1) reader.varUInt(); // legacy max types
      const count = reader.varUInt();
      if (count > 254) throw new ProtocolError(`${this.type}: ${count} types listed; at most 254 fit`);
      const names: string[] = [];
      for (let i = 0; i < count; i++) names.push(reader.string());
      const mode = reader.u64();
      if (mode !== BASIC_MODE) throw new ProtocolError(`${this.type}: discriminators mode ${mode} is not BASIC (0)`);
      return names;
    });
    const plan = this.planFor(listed);
    for (let k = 0; k < plan.sorted.length; k++) plan.states[k] = await plan.codecs[k]?.readPrefix(reader);
    return plan;
  }

  /** The variants of a type list. */
  private planFor(listed: readonly string[]): DynamicPlan {
    const sorted = [...listed, SHARED_VARIANT].sort(compareNames);
    const codecs = sorted.map((name) => {
      if (name === SHARED_VARIANT) return undefined;
      try {
        return this.getCodec(name);
      } catch (error) {
        if (error instanceof UnsupportedError)
          throw new ProtocolError(`${this.type}: ${error.message}`, { cause: error });
        throw error;
      }
    });
    return { listed, sorted, codecs, states: new Array<unknown>(sorted.length) };
  }

  /** Reads the rows as VariantValues (null for NULL). */
  async read(reader: ByteReader, rows: number, state?: unknown): Promise<(VariantValue | null)[]> {
    const { values, types, listed } = await this.readTyped(reader, rows, state);
    const out = new Array<VariantValue | null>(rows);
    for (let i = 0; i < rows; i++) {
      const type = types[i]!;
      out[i] = type === null ? null : new ReadDynamicValue(type, values[i], listed);
    }
    return out;
  }

  /** Reads the rows as an explicit column: values and types apart. */
  async readTyped(reader: ByteReader, rows: number, state?: unknown): Promise<DynamicColumn> {
    const plan = state as DynamicPlan | undefined;
    if (!plan) throw new ProtocolError(`${this.type}: data without its prefix`);
    // Copied: the variants' reads may await, and the discriminators are needed after them.
    const discriminators = new Uint8Array(await reader.take(rows));
    const n = plan.sorted.length;
    const counts = new Uint32Array(n);
    for (let i = 0; i < rows; i++) {
      const d = discriminators[i]!;
      if (d === NULL_DISCRIMINATOR) continue;
      if (d >= n) throw new ProtocolError(`${this.type}: discriminator ${d} of row ${i} names no type (${n} variants)`);
      counts[d]!++;
    }
    const columns: ColumnValues[] = [];
    const sharedTypes: string[] = [];
    for (let k = 0; k < n; k++) {
      const count = counts[k]!;
      const codec = plan.codecs[k];
      if (count === 0) columns.push([]);
      else if (codec) columns.push(await codec.read(reader, count, plan.states[k]));
      else columns.push(await readShared(reader, count, sharedTypes, this.type, this.getCodec));
    }
    const next = new Uint32Array(n);
    const values = new Array<unknown>(rows);
    const types = new Array<string | null>(rows);
    let shared = 0;
    for (let i = 0; i < rows; i++) {
      const d = discriminators[i]!;
      if (d === NULL_DISCRIMINATOR) {
        values[i] = null;
        types[i] = null;
        continue;
      }
      values[i] = columns[d]![next[d]!++];
      types[i] = plan.codecs[d] ? plan.sorted[d]! : sharedTypes[shared++]!;
    }
    return { values, types, listed: plan.listed };
  }

  override writePrefix(writer: ByteWriter, values: ColumnValues, rows: number): DynamicPlan {
    const plan = this.plan(values, rows);
    this.writePlanPrefix(writer, plan);
    return plan;
  }

  /** Writes the prefix of a plan (`plan`); fills in the variants' prefix states. */
  writePlanPrefix(writer: ByteWriter, plan: DynamicPlan): void {
    if (this.serialization === 'v2') {
      writer.u64(STRUCTURE_V2);
    } else {
      writer.u64(STRUCTURE_V1);
      writer.varUInt(plan.listed.length);
    }
    writer.varUInt(plan.listed.length);
    for (const name of plan.listed) writer.string(name);
    writer.u64(BASIC_MODE);
    for (let k = 0; k < plan.sorted.length; k++) {
      const codec = plan.codecs[k];
      const g = plan.groups![k]!;
      if (codec) plan.states[k] = this.forVariant(plan, k, () => codec.writePrefix(writer, g.values, g.values.length));
    }
  }

  /** Works out each row's type and the listed types; a value no type fits throws InvalidValueError. */
  plan(values: ColumnValues, rows: number, hint?: DynamicHint): DynamicPlan {
    const hinted = hint && hint.types.length >= rows ? hint.types : undefined;
    const rowTypes = new Array<string | null>(rows);
    for (let i = 0; i < rows; i++) rowTypes[i] = this.typeOf(values[i], i, hinted?.[i]);
    let listed = hint ? hint.listed : commonListed(values, rows);
    if (listed === undefined || listed.length > this.maxTypes) {
      const counts = new Map<string, number>();
      for (const t of rowTypes) if (t !== null) counts.set(t, (counts.get(t) ?? 0) + 1);
      listed = [...counts.keys()]
        .sort((a, b) => counts.get(b)! - counts.get(a)! || compareNames(a, b))
        .slice(0, this.maxTypes)
        .sort(compareNames);
    }
    const plan = this.planFor(listed);
    this.group(plan, values, rowTypes);
    return plan;
  }

  /** The type a row is written as. */
  private typeOf(v: unknown, row: number, hinted: string | null | undefined): string | null {
    if (v === null || v === ZERO) return null;
    if (v === undefined) throw new InvalidValueError('undefined is not a value; use null for NULL', { row });
    if (v instanceof VariantValue) return this.statedType(v.type, row);
    if (hinted && this.accepts(hinted, v)) return hinted;
    const inferred = inferType(v);
    if (inferred === undefined) {
      throw new InvalidValueError(`cannot tell the type of ${describe(v)}; give it with dynamicValue(type, value)`, {
        row,
      });
    }
    return inferred;
  }

  /** The canonical name of a type a VariantValue states, once checked to be one a Dynamic column can hold. */
  private statedType(type: string, row: number): string {
    const known = this.stated.get(type);
    if (known !== undefined) return known;
    let name: string;
    try {
      name = canonical(type);
      this.getCodec(name);
    } catch (error) {
      if (error instanceof UnsupportedError) throw new InvalidValueError(`${type}: ${error.message}`, { row });
      throw error;
    }
    if (/^(Nullable|LowCardinality\(Nullable|Dynamic|SharedVariant)\b/.test(name)) {
      throw new InvalidValueError(`${name} cannot be a type of ${this.type}`, { row });
    }
    this.stated.set(type, name);
    return name;
  }

  private accepts(type: string, v: unknown): boolean {
    const scratch = this.scratch;
    scratch.reset();
    try {
      this.getCodec(type).write(scratch, [v], 1);
      return true;
    } catch (error) {
      if (error instanceof InvalidValueError) return false;
      throw error;
    }
  }

  /** Each row's discriminator, each variant's values and the rows they came from (unlisted types: SharedVariant). */
  private group(plan: DynamicPlan, values: ColumnValues, rowTypes: (string | null)[]): void {
    const index = new Map(plan.sorted.map((name, k) => [name, k]));
    const sharedIndex = index.get(SHARED_VARIANT)!;
    const groups: DynamicGroup[] = plan.sorted.map(() => ({ values: [], rows: [], types: [] }));
    const rows = rowTypes.length;
    const discriminators = new Uint8Array(rows);
    for (let i = 0; i < rows; i++) {
      const t = rowTypes[i]!;
      if (t === null) {
        discriminators[i] = NULL_DISCRIMINATOR;
        continue;
      }
      const k = index.get(t) ?? sharedIndex;
      discriminators[i] = k;
      const v = values[i];
      const g = groups[k]!;
      g.values.push(v instanceof VariantValue ? v.value : v);
      g.rows.push(i);
      g.types.push(t);
    }
    plan.discriminators = discriminators;
    plan.groups = groups;
  }

  write(writer: ByteWriter, values: ColumnValues, rows: number, state?: unknown): void {
    const plan = (state as DynamicPlan | undefined) ?? this.plan(values, rows);
    writer.bytes(plan.discriminators!);
    for (let k = 0; k < plan.sorted.length; k++) {
      const g = plan.groups![k]!;
      if (g.values.length === 0) continue;
      const codec = plan.codecs[k];
      this.forVariant(plan, k, () => {
        if (codec) {
          codec.write(writer, g.values, g.values.length, plan.states[k]);
        } else {
          const scratch = new ByteWriter(64);
          for (let j = 0; j < g.values.length; j++) {
            try {
              writeTypedValue(writer, scratch, g.types[j]!, g.values[j], this.getCodec);
            } catch (error) {
              if (error instanceof InvalidValueError) throw new InvalidValueError(error.reason, { row: j });
              throw error;
            }
          }
        }
      });
    }
  }

  /** Runs `run` for internal variant `k`, pointing a bad value's error at its row and naming its type. */
  private forVariant<T>(plan: DynamicPlan, k: number, run: () => T): T {
    try {
      return run();
    } catch (error) {
      if (error instanceof InvalidValueError && error.row !== undefined) {
        const g = plan.groups![k]!;
        const name = plan.codecs[k] ? plan.sorted[k]! : g.types[error.row]!;
        throw new InvalidValueError(`as ${name}: ${error.reason}`, { row: g.rows[error.row] });
      }
      throw error;
    }
  }
}

/** Reads `count` SharedVariant strings (each a binary type, then the value); pushes the types. */
async function readShared(
  reader: ByteReader,
  count: number,
  types: string[],
  type: string,
  getCodec: CodecLookup,
): Promise<unknown[]> {
  const out: unknown[] = [];
  for (let i = 0; i < count; i++) {
    const one = await readTypedValue(reader, `${type}: shared variant value ${i}`, getCodec);
    types.push(one.type);
    out.push(one.value);
  }
  return out;
}

/** The JS-kind type inference of the header comment; undefined when the kind says nothing. */
export function inferType(v: unknown): string | undefined {
  switch (typeof v) {
    case 'boolean':
      return 'Bool';
    case 'string':
      return 'String';
    case 'number':
      return Number.isSafeInteger(v) && !Object.is(v, -0) ? 'Int64' : 'Float64';
    case 'bigint':
      if (v >= -(2n ** 63n) && v < 2n ** 63n) return 'Int64';
      if (v >= 0n && v < 2n ** 64n) return 'UInt64';
      if (v >= -(2n ** 127n) && v < 2n ** 127n) return 'Int128';
      if (v >= 0n && v < 2n ** 128n) return 'UInt128';
      if (v >= -(2n ** 255n) && v < 2n ** 255n) return 'Int256';
      if (v >= 0n && v < 2n ** 256n) return 'UInt256';
      return undefined;
    default:
      break;
  }
  if (v instanceof Date) return 'DateTime64(3)';
  if (Buffer.isBuffer(v)) return 'String';
  if (isTypedArray(v)) {
    const element = TYPED_ELEMENT[typedArrayClass(v).name];
    return element ? `Array(${element})` : undefined;
  }
  if (Array.isArray(v)) {
    let element: string | undefined;
    let nulls = false;
    for (const e of v) {
      if (e === null) {
        nulls = true;
        continue;
      }
      const t = e instanceof VariantValue ? canonical(e.type) : inferType(e);
      if (t === undefined) return undefined;
      if (element === undefined || element === t) element = t;
      else if ((element === 'Int64' && t === 'Float64') || (element === 'Float64' && t === 'Int64'))
        element = 'Float64';
      else return undefined;
    }
    if (element === undefined) return 'Array(Nullable(Nothing))';
    if (/^(Array|Map|Tuple|Nullable|LowCardinality|Variant|JSON|Dynamic)\b/.test(element)) {
      return nulls ? undefined : `Array(${element})`;
    }
    return `Array(Nullable(${element}))`;
  }
  return undefined;
}

const TYPED_ELEMENT: Record<string, string> = {
  Int8Array: 'Int8',
  Uint8Array: 'UInt8',
  Uint8ClampedArray: 'UInt8',
  Int16Array: 'Int16',
  Uint16Array: 'UInt16',
  Int32Array: 'Int32',
  Uint32Array: 'UInt32',
  Float32Array: 'Float32',
  Float64Array: 'Float64',
  BigInt64Array: 'Int64',
  BigUint64Array: 'UInt64',
};

export const dynamicFamily: CodecFactory = (node, type, resolve, serialization) => {
  let maxTypes = DEFAULT_MAX_TYPES;
  for (const arg of node.args) {
    if (arg.kind === 'setting' && arg.name === 'max_types' && arg.value.kind === 'number') {
      maxTypes = arg.value.value;
      if (!Number.isInteger(maxTypes) || maxTypes < 0 || maxTypes > 254) {
        throw badType(type, 'max_types must be an integer from 0 to 254');
      }
    } else {
      throw badType(type, 'Dynamic takes only max_types=N');
    }
  }
  return new DynamicCodec(type, maxTypes, (name) => resolve(parseType(name)), serialization);
};
