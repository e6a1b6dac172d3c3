/**
 * Dynamic and Dynamic(max_types=N) (PROTOCOL.md §6.15), in the V1 serialization our revision (54460 < 54473)
 * implies, checked byte for byte against ClickHouse 26.7 (chdb).
 *
 * Prefix: UInt64 structure version 1; VarUInt "legacy max types" (ClickHouse writes the number of listed types
 * there, and so do we); VarUInt number of listed types; their names (String each, sorted by name); then the
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
import { NEED_MORE, type ByteReader } from '../protocol/reader.js';
import { ByteReader as Reader } from '../protocol/reader.js';
import { ByteWriter } from '../protocol/writer.js';
import { BaseCodec, ZERO, type ColumnCodec, type ColumnValues } from './codec.js';
import { badType, type CodecFactory } from './factory.js';
import { formatType, parseType, type TypeNode } from './type-parser.js';
import { describe, isTypedArray, typedArrayClass } from './values.js';
import { VariantCodec, VariantValue, variantValue } from './variant.js';

/**
 * A type name's codec (the registry's cache, handed over by the factory's `resolve`: importing the registry here
 * would be an import cycle).
 */
export type CodecLookup = (type: string) => ColumnCodec;

const STRUCTURE_V1 = 1n;
const BASIC_MODE = 0n;
const NULL_DISCRIMINATOR = 255;
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
  ) {
    super();
  }

  override async readPrefix(reader: ByteReader): Promise<DynamicPlan> {
    const listed = await reader.atomic(() => {
      const version = reader.u64();
      if (version !== STRUCTURE_V1) {
        throw new ProtocolError(`${this.type}: structure version ${version} is not V1 (1), the one revision 54460 gets`);
      }
      reader.varUInt(); // legacy max types
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
        if (error instanceof UnsupportedError) throw new ProtocolError(`${this.type}: ${error.message}`, { cause: error });
        throw error;
      }
    });
    return { listed, sorted, codecs, states: new Array<unknown>(sorted.length) };
  }

  /** Reads the rows as VariantValues (null for NULL). */
  async read(reader: ByteReader, rows: number, state?: unknown): Promise<(VariantValue | null)[]> {
    const { values, types, listed } = await this.readColumn(reader, rows, state);
    const out = new Array<VariantValue | null>(rows);
    for (let i = 0; i < rows; i++) {
      const type = types[i]!;
      out[i] = type === null ? null : new ReadDynamicValue(type, values[i], listed);
    }
    return out;
  }

  /** Reads the rows as an explicit column: values and types apart. */
  async readColumn(reader: ByteReader, rows: number, state?: unknown): Promise<DynamicColumn> {
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
    writer.u64(STRUCTURE_V1);
    writer.varUInt(plan.listed.length);
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
          for (let j = 0; j < g.values.length; j++) {
            const scratch = new ByteWriter(64);
            writeBinaryType(scratch, parseType(g.types[j]!));
            try {
              writeBinaryValue(scratch, parseType(g.types[j]!), g.values[j], this.getCodec);
            } catch (error) {
              if (error instanceof InvalidValueError) throw new InvalidValueError(error.reason, { row: j });
              throw error;
            }
            writer.stringBytes(scratch.view());
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

/** Reads `count` SharedVariant strings and decodes each (binary type, then the value); pushes the types. */
async function readShared(
  reader: ByteReader,
  count: number,
  types: string[],
  type: string,
  getCodec: CodecLookup,
): Promise<unknown[]> {
  const out: unknown[] = [];
  for (let i = 0; i < count; i++) {
    const bytes = await reader.atomic(() => reader.stringBytes());
    const one = Reader.from(bytes, reader.limits);
    const node = decodeOrFail(one, () => readBinaryType(one, 0), type);
    types.push(formatType(node));
    try {
      out.push(await readBinaryValue(one, node, getCodec));
    } catch (error) {
      if (error instanceof ProtocolError || error instanceof UnsupportedError) {
        throw new ProtocolError(`${type}: shared variant value ${i} (${formatType(node)}): ${error.message}`);
      }
      throw error;
    }
    if (!one.drained) throw new ProtocolError(`${type}: ${one.available} bytes left in shared variant value ${i}`);
  }
  return out;
}

function decodeOrFail<T>(reader: ByteReader, decode: () => T, type: string): T {
  const result = reader.tryAtomic(decode);
  if (result === NEED_MORE) throw new ProtocolError(`${type}: a shared variant value ends inside its type`);
  return result;
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
      else if ((element === 'Int64' && t === 'Float64') || (element === 'Float64' && t === 'Int64')) element = 'Float64';
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

// ---- Binary type encoding (docs: "Data types binary encoding"), checked against chdb ----

const SIMPLE_CODES: Record<string, number> = {
  Nothing: 0x00,
  UInt8: 0x01,
  UInt16: 0x02,
  UInt32: 0x03,
  UInt64: 0x04,
  UInt128: 0x05,
  UInt256: 0x06,
  Int8: 0x07,
  Int16: 0x08,
  Int32: 0x09,
  Int64: 0x0a,
  Int128: 0x0b,
  Int256: 0x0c,
  Float32: 0x0d,
  Float64: 0x0e,
  Date: 0x0f,
  Date32: 0x10,
  String: 0x15,
  UUID: 0x1d,
  IPv4: 0x28,
  IPv6: 0x29,
  Bool: 0x2d,
  BFloat16: 0x31,
  Time: 0x32,
};
const SIMPLE_NAMES = new Map(Object.entries(SIMPLE_CODES).map(([name, code]) => [code, name]));
const INTERVALS = [
  'Nanosecond',
  'Microsecond',
  'Millisecond',
  'Second',
  'Minute',
  'Hour',
  'Day',
  'Week',
  'Month',
  'Quarter',
  'Year',
];
const CUSTOM_NAMES = new Set(['Point', 'Ring', 'LineString', 'MultiLineString', 'Polygon', 'MultiPolygon']);

function typeArgs(node: TypeNode): TypeNode[] {
  return node.args.map((a) => {
    if (a.kind !== 'type') throw new UnsupportedError(`binary type encoding of ${formatType(node)}`);
    return a.type;
  });
}

function numberArg(node: TypeNode, i: number): number {
  const a = node.args[i];
  if (a?.kind !== 'number') throw new UnsupportedError(`binary type encoding of ${formatType(node)}`);
  return a.value;
}

function stringArg(node: TypeNode, i: number): string | undefined {
  const a = node.args[i];
  return a?.kind === 'string' ? a.value : undefined;
}

function decimalPrecision(node: TypeNode): [number, number] {
  switch (node.name) {
    case 'Decimal32':
      return [9, numberArg(node, 0)];
    case 'Decimal64':
      return [18, numberArg(node, 0)];
    case 'Decimal128':
      return [38, numberArg(node, 0)];
    case 'Decimal256':
      return [76, numberArg(node, 0)];
    default:
      return [numberArg(node, 0), node.args.length > 1 ? numberArg(node, 1) : 0];
  }
}

/** Writes a type in the binary type encoding (the types Dynamic values take; others throw UnsupportedError). */
export function writeBinaryType(w: ByteWriter, node: TypeNode): void {
  const simple = SIMPLE_CODES[node.name];
  if (simple !== undefined && node.args.length === 0) {
    w.u8(simple);
    return;
  }
  switch (node.name) {
    case 'DateTime': {
      const tz = stringArg(node, 0);
      if (tz === undefined) w.u8(0x11);
      else {
        w.u8(0x12);
        w.string(tz);
      }
      return;
    }
    case 'DateTime64': {
      const tz = stringArg(node, 1);
      w.u8(tz === undefined ? 0x13 : 0x14);
      w.u8(numberArg(node, 0));
      if (tz !== undefined) w.string(tz);
      return;
    }
    case 'Time64':
      w.u8(0x34);
      w.u8(numberArg(node, 0));
      return;
    case 'FixedString':
      w.u8(0x16);
      w.varUInt(numberArg(node, 0));
      return;
    case 'Enum8':
    case 'Enum16': {
      w.u8(node.name === 'Enum8' ? 0x17 : 0x18);
      w.varUInt(node.args.length);
      for (const a of node.args) {
        if (a.kind !== 'enum') throw new UnsupportedError(`binary type encoding of ${formatType(node)}`);
        w.string(a.name);
        if (node.name === 'Enum8') w.i8(a.value);
        else w.i16(a.value);
      }
      return;
    }
    case 'Decimal':
    case 'Decimal32':
    case 'Decimal64':
    case 'Decimal128':
    case 'Decimal256': {
      const [p, s] = decimalPrecision(node);
      w.u8(p <= 9 ? 0x19 : p <= 18 ? 0x1a : p <= 38 ? 0x1b : 0x1c);
      w.u8(p);
      w.u8(s);
      return;
    }
    case 'Array':
      w.u8(0x1e);
      writeBinaryType(w, typeArgs(node)[0]!);
      return;
    case 'Tuple': {
      const named = node.args.length > 0 && node.args.every((a) => a.kind === 'named');
      w.u8(named ? 0x20 : 0x1f);
      w.varUInt(node.args.length);
      for (const a of node.args) {
        if (a.kind === 'named') {
          w.string(a.name);
          writeBinaryType(w, a.type);
        } else if (a.kind === 'type') writeBinaryType(w, a.type);
        else throw new UnsupportedError(`binary type encoding of ${formatType(node)}`);
      }
      return;
    }
    case 'Nullable':
      w.u8(0x23);
      writeBinaryType(w, typeArgs(node)[0]!);
      return;
    case 'LowCardinality':
      w.u8(0x26);
      writeBinaryType(w, typeArgs(node)[0]!);
      return;
    case 'Map': {
      const [k, v] = typeArgs(node);
      w.u8(0x27);
      writeBinaryType(w, k!);
      writeBinaryType(w, v!);
      return;
    }
    case 'Variant': {
      const types = typeArgs(node);
      w.u8(0x2a);
      w.varUInt(types.length);
      for (const t of types) writeBinaryType(w, t);
      return;
    }
    default:
      if (CUSTOM_NAMES.has(node.name) && node.args.length === 0) {
        w.u8(0x2c);
        w.string(node.name);
        return;
      }
      if (node.name.startsWith('Interval') && node.args.length === 0) {
        const kind = INTERVALS.indexOf(node.name.slice('Interval'.length));
        if (kind >= 0) {
          w.u8(0x22);
          w.u8(kind);
          return;
        }
      }
      throw new UnsupportedError(`The binary type encoding of ${formatType(node)} is not supported`);
  }
}

const MAX_BINARY_TYPE_DEPTH = 32;

/** Reads a binary-encoded type (synchronous: throws NEED_MORE when short). */
export function readBinaryType(r: ByteReader, depth: number): TypeNode {
  if (depth > MAX_BINARY_TYPE_DEPTH) throw new ProtocolError('a binary type nests too deep');
  const code = r.u8();
  const simple = SIMPLE_NAMES.get(code);
  if (simple !== undefined) return { name: simple, args: [] };
  const num = (value: number) => ({ kind: 'number' as const, text: String(value), value });
  const str = (value: string) => ({ kind: 'string' as const, value });
  const sub = () => ({ kind: 'type' as const, type: readBinaryType(r, depth + 1) });
  switch (code) {
    case 0x11:
      return { name: 'DateTime', args: [] };
    case 0x12:
      return { name: 'DateTime', args: [str(r.string())] };
    case 0x13:
      return { name: 'DateTime64', args: [num(r.u8())] };
    case 0x14: {
      const p = r.u8();
      return { name: 'DateTime64', args: [num(p), str(r.string())] };
    }
    case 0x34:
      return { name: 'Time64', args: [num(r.u8())] };
    case 0x16:
      return { name: 'FixedString', args: [num(r.varUInt())] };
    case 0x17:
    case 0x18: {
      const n = r.varUInt();
      const args = [];
      for (let i = 0; i < n; i++) {
        const name = r.string();
        args.push({ kind: 'enum' as const, name, value: code === 0x17 ? r.i8() : r.i16() });
      }
      return { name: code === 0x17 ? 'Enum8' : 'Enum16', args };
    }
    case 0x19:
    case 0x1a:
    case 0x1b:
    case 0x1c: {
      const p = r.u8();
      return { name: 'Decimal', args: [num(p), num(r.u8())] };
    }
    case 0x1e:
      return { name: 'Array', args: [sub()] };
    case 0x1f:
    case 0x20: {
      const n = r.varUInt();
      const args = [];
      for (let i = 0; i < n; i++) {
        if (code === 0x20) {
          const name = r.string();
          args.push({ kind: 'named' as const, name, type: readBinaryType(r, depth + 1) });
        } else args.push(sub());
      }
      return n === 0 ? { name: 'Tuple', args, emptyParens: true } : { name: 'Tuple', args };
    }
    case 0x22: {
      const kind = INTERVALS[r.u8()];
      if (kind === undefined) throw new ProtocolError('unknown interval kind in a binary type');
      return { name: `Interval${kind}`, args: [] };
    }
    case 0x23:
      return { name: 'Nullable', args: [sub()] };
    case 0x26:
      return { name: 'LowCardinality', args: [sub()] };
    case 0x27:
      return { name: 'Map', args: [sub(), sub()] };
    case 0x2a: {
      const n = r.varUInt();
      const args = [];
      for (let i = 0; i < n; i++) args.push(sub());
      return { name: 'Variant', args };
    }
    case 0x2c: {
      const name = r.string();
      if (!CUSTOM_NAMES.has(name)) throw new ProtocolError(`unknown custom type ${JSON.stringify(name)} in a binary type`);
      return { name, args: [] };
    }
    default:
      throw new ProtocolError(`binary type code 0x${code.toString(16)} is not supported`);
  }
}

// ---- Single values in RowBinary form (the shared variant's and JSON shared data's values) ----

const GEO_BASE: Record<string, string> = {
  Ring: 'Array(Point)',
  LineString: 'Array(Point)',
  MultiLineString: 'Array(Ring)',
  Polygon: 'Array(Ring)',
  MultiPolygon: 'Array(Polygon)',
  Point: 'Tuple(Float64, Float64)',
};

function elementsOf(node: TypeNode): { types: TypeNode[]; names?: string[] } {
  const types: TypeNode[] = [];
  const names: string[] = [];
  for (const a of node.args) {
    if (a.kind === 'named') {
      names.push(a.name);
      types.push(a.type);
    } else if (a.kind === 'type') types.push(a.type);
  }
  return names.length > 0 ? { types, names } : { types };
}

/** Leaf types whose column has a prefix, so that a single value has no RowBinary form here. */
const WITH_PREFIX = new Set(['Dynamic', 'JSON']);

/** Writes one value of `node` in RowBinary form. */
export function writeBinaryValue(w: ByteWriter, node: TypeNode, v: unknown, getCodec: CodecLookup): void {
  const geo = GEO_BASE[node.name];
  if (geo) return writeBinaryValue(w, parseType(geo), v, getCodec);
  switch (node.name) {
    case 'Nullable':
      if (v === null || v === ZERO) w.u8(1);
      else {
        w.u8(0);
        writeBinaryValue(w, typeArgs(node)[0]!, v, getCodec);
      }
      return;
    case 'LowCardinality':
      return writeBinaryValue(w, typeArgs(node)[0]!, v, getCodec);
    case 'Array': {
      if (!Array.isArray(v) && !isTypedArray(v)) {
        throw new InvalidValueError(`expected an array, got ${describe(v)}`, { row: 0 });
      }
      const items = v as ArrayLike<unknown>;
      w.varUInt(items.length);
      const inner = typeArgs(node)[0]!;
      for (let i = 0; i < items.length; i++) writeBinaryValue(w, inner, items[i], getCodec);
      return;
    }
    case 'Tuple': {
      const { types, names } = elementsOf(node);
      const isArray = Array.isArray(v) || isTypedArray(v);
      if (!isArray && !(names && typeof v === 'object' && v !== null)) {
        throw new InvalidValueError(`expected a tuple, got ${describe(v)}`, { row: 0 });
      }
      types.forEach((t, i) =>
        writeBinaryValue(w, t, isArray ? (v as ArrayLike<unknown>)[i] : (v as Record<string, unknown>)[names![i]!], getCodec),
      );
      return;
    }
    case 'Map': {
      const [k, val] = typeArgs(node);
      let entries: [unknown, unknown][];
      if (v instanceof Map) entries = [...(v as Map<unknown, unknown>)];
      else if (Array.isArray(v)) entries = v as [unknown, unknown][];
      else if (typeof v === 'object' && v !== null) entries = Object.entries(v);
      else throw new InvalidValueError(`expected a Map, got ${describe(v)}`, { row: 0 });
      w.varUInt(entries.length);
      for (const [ek, ev] of entries) {
        writeBinaryValue(w, k!, ek, getCodec);
        writeBinaryValue(w, val!, ev, getCodec);
      }
      return;
    }
    case 'Variant': {
      const codec = getCodec(formatType(node)) as VariantCodec;
      const d = codec.discriminator(v, 0);
      w.u8(d);
      if (d !== NULL_DISCRIMINATOR) {
        writeBinaryValue(w, parseType(codec.names[d]!), v instanceof VariantValue ? v.value : v, getCodec);
      }
      return;
    }
    default: {
      const codec = getCodec(formatType(node));
      if (WITH_PREFIX.has(node.name)) throw new UnsupportedError(`a ${codec.type} value in RowBinary form is not supported`);
      codec.write(w, [v], 1);
    }
  }
}

/** Reads one value of `node` in RowBinary form from a fully buffered reader. */
export async function readBinaryValue(r: ByteReader, node: TypeNode, getCodec: CodecLookup): Promise<unknown> {
  const geo = GEO_BASE[node.name];
  if (geo) return readBinaryValue(r, parseType(geo), getCodec);
  const take = <T>(decode: () => T): T => {
    const out = r.tryAtomic(decode);
    if (out === NEED_MORE) throw new ProtocolError('a value ends early');
    return out;
  };
  switch (node.name) {
    case 'Nullable':
      return take(() => r.u8()) !== 0 ? null : readBinaryValue(r, typeArgs(node)[0]!, getCodec);
    case 'LowCardinality':
      return readBinaryValue(r, typeArgs(node)[0]!, getCodec);
    case 'Array': {
      const n = take(() => r.varUInt());
      if (n > r.available) throw new ProtocolError(`an array claims ${n} elements in ${r.available} bytes`);
      const inner = typeArgs(node)[0]!;
      const out: unknown[] = [];
      for (let i = 0; i < n; i++) out.push(await readBinaryValue(r, inner, getCodec));
      // As Array(T) reads: a TypedArray for fixed-width numeric T.
      const Ctor = getCodec(formatType(inner)).typedArray as { from(a: unknown[]): unknown } | undefined;
      return Ctor ? Ctor.from(out) : out;
    }
    case 'Tuple': {
      const { types, names } = elementsOf(node);
      const items: unknown[] = [];
      for (const t of types) items.push(await readBinaryValue(r, t, getCodec));
      if (!names) return items;
      return Object.fromEntries(names.map((name, i) => [name, items[i]]));
    }
    case 'Map': {
      const [k, val] = typeArgs(node);
      const n = take(() => r.varUInt());
      if (n > r.available) throw new ProtocolError(`a map claims ${n} entries in ${r.available} bytes`);
      const pairs: [unknown, unknown][] = [];
      for (let i = 0; i < n; i++) pairs.push([await readBinaryValue(r, k!, getCodec), await readBinaryValue(r, val!, getCodec)]);
      const map = new Map(pairs);
      return map.size === pairs.length ? map : pairs;
    }
    case 'Variant': {
      const codec = getCodec(formatType(node)) as VariantCodec;
      const d = take(() => r.u8());
      if (d === NULL_DISCRIMINATOR) return null;
      const name = codec.names[d];
      if (name === undefined) throw new ProtocolError(`discriminator ${d} names no variant of ${codec.type}`);
      return readBinaryValue(r, parseType(name), getCodec);
    }
    default: {
      const codec = getCodec(formatType(node));
      if (WITH_PREFIX.has(node.name)) throw new UnsupportedError(`a ${codec.type} value in RowBinary form is not supported`);
      return (await codec.read(r, 1))[0];
    }
  }
}

export const dynamicFamily: CodecFactory = (node, type, resolve) => {
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
  return new DynamicCodec(type, maxTypes, (name) => resolve(parseType(name)));
};
