/**
 * JSON and JSON(max_dynamic_paths=N, max_dynamic_types=M, a.b UInt32, SKIP x, SKIP REGEXP '…') (docs/protocol.md
 * §6.16), checked byte for byte against ClickHouse 26.7 (chdb).
 *
 * Prefix: UInt64 serialization version: 0 (V1) in FORMAT Native and below revision 54473, 2 (V2) from 54473 (written
 * as the codec's serialization says; either is read); V1 only: VarUInt "legacy max dynamic paths" (ClickHouse
 * writes the number of dynamic paths there, and so do we); VarUInt number of dynamic paths and their names (sorted); the prefixes of the
 * typed paths (sorted by path); the Dynamic(max_types=M) prefix of each dynamic path (§6.15).
 * Data: each typed path's column, each dynamic path's Dynamic column, then the shared data as
 * Map(String, String): per row the paths (sorted) and values in binary type encoding + RowBinary form.
 *
 * Read: a plain object per row, dotted paths as nested objects (`a.b` → `{ a: { b: … } }`). Typed paths are always
 * present, as their type reads (JSON(a UInt64) gives `a` as a bigint); other paths only in the rows that have
 * them, as their own type reads (Int64 → bigint, Float64 → number, String → string, Array(Nullable(Int64)) →
 * (bigint | null)[], …), so nothing is lossy. Each path's type is kept with each row object (so rows keep it wherever
 * they go: sliced out of Array(JSON), in a Tuple, a Map or a Variant, or filtered), and writing the rows of one
 * column back in their order gives the same bytes.
 * Write: a plain object per row (null writes an empty object); nested plain objects are flattened into dotted
 * paths, null and undefined leaves are absent paths, SKIP'ed paths are dropped. Typed paths take what their type
 * accepts (missing → the type's zero). Other leaves are typed as in a Dynamic column (see dynamic.ts: number →
 * Int64 when a safe integer else Float64, bigint → Int64 or wider, string → String, boolean → Bool, arrays of
 * scalars → Array(Nullable(T)), `dynamicValue(type, v)` for anything else). The max_dynamic_paths most frequent
 * paths (ties by name) become dynamic paths; the rest go to the shared data.
 */
import { InvalidValueError, ProtocolError } from '../errors.js';
import type { ByteReader } from '../protocol/reader.js';
import { ByteWriter } from '../protocol/writer.js';
import { BaseCodec, ZERO, type ColumnCodec, type ColumnValues } from './codec.js';
import { DynamicCodec, inferType, type DynamicColumn, type DynamicHint, type DynamicPlan } from './dynamic.js';
import { readTypedValue, writeBinaryValue, writeTypedValue, type CodecLookup } from './row-binary.js';
import { badType, type CodecFactory, type ObjectSerialization } from './factory.js';
import { readOffsets, writeOffsets } from './offsets.js';
import { formatType, parseType, type TypeNode } from './type-parser.js';
import { describe, getOwn, isPlainObject, setOwn } from './values.js';
import { VariantValue } from './variant.js';

const JSON_V1 = 0n;
const JSON_V2 = 2n;
const DEFAULT_MAX_PATHS = 1024;
const DEFAULT_MAX_TYPES = 32;

/** What is known about a JSON column that was read: its dynamic paths (each with its rows' types), the shared paths' types. */
interface JsonColumnInfo {
  dynamicPaths: readonly string[];
  /** Path → its index in dynamicPaths. */
  dynamicIndex: ReadonlyMap<string, number>;
  /** Each dynamic path's column as read: its rows' types and its listed types (the values are in the rows). */
  dynamicColumns: readonly DynamicColumn[];
  /** Per row, the type of each shared-data path. */
  sharedTypes: readonly Map<string, string>[];
}

/** A row object of a JSON column that was read: which column, which row. */
interface JsonRowRecord {
  base: JsonColumnInfo;
  index: number;
}

/**
 * The record of each row object read from a JSON column. A path's value in a row is a plain JS value (a bigint, a
 * string, ...) that cannot hold its type, so the row object holds it for all its paths: keyed by the object, it
 * goes wherever the row goes (an Array(JSON) row, a Tuple, a Map, a Variant, a filtered list), and a row written
 * back writes each path as the type it was read as, while its value still fits that type.
 */
const ROWS = new WeakMap<object, JsonRowRecord>();

/** The type `path` had in a row that was read, if any. */
function recordedType(record: JsonRowRecord | undefined, path: string): string | undefined {
  if (!record) return undefined;
  const k = record.base.dynamicIndex.get(path);
  if (k !== undefined) return record.base.dynamicColumns[k]!.types[record.index] ?? undefined;
  return record.base.sharedTypes[record.index]?.get(path);
}

interface JsonReadState {
  paths: string[];
  typedStates: unknown[];
  dynamicStates: DynamicPlan[];
}

interface JsonWritePlan {
  paths: string[];
  typedColumns: unknown[][];
  typedStates: unknown[];
  dynamicColumns: unknown[][];
  dynamicPlans: DynamicPlan[];
  /** Per row, the shared paths (sorted) with value and type. */
  shared: [path: string, value: unknown, type: string][][];
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export class JsonCodec extends BaseCodec implements ColumnCodec {
  private readonly dynamic: DynamicCodec;
  private readonly scratch = new ByteWriter(64);

  constructor(
    readonly type: string,
    readonly maxPaths: number,
    maxTypes: number,
    /** Typed paths, sorted by path. */
    readonly typedPaths: readonly string[],
    readonly typedCodecs: readonly ColumnCodec[],
    readonly skip: readonly string[],
    readonly skipRegexps: readonly RegExp[],
    private readonly getCodec: CodecLookup,
    /** What `writePrefix` writes (its dynamic paths' prefixes too): V1, or V2 (from revision 54473). */
    readonly serialization: ObjectSerialization = 'v1',
  ) {
    super();
    this.dynamic = new DynamicCodec(`Dynamic(max_types=${maxTypes})`, maxTypes, getCodec, serialization);
  }

  override async readPrefix(reader: ByteReader): Promise<JsonReadState> {
    const paths = await reader.atomic(() => {
      const version = reader.u64();
      if (version !== JSON_V1 && version !== JSON_V2) {
        throw new ProtocolError(
          `${this.type}: serialization version ${version} is neither V1 (0) nor V2 (2), the ones a native connection gets`,
        );
      }
      if (version === JSON_V1) reader.varUInt(); // legacy max dynamic paths
      const count = reader.varUInt();
      if (count > reader.limits.maxArrayElements)
        throw new ProtocolError(`${this.type}: ${count} dynamic paths claimed`);
      const names: string[] = [];
      for (let i = 0; i < count; i++) names.push(reader.string());
      return names;
    });
    const typedStates: unknown[] = [];
    for (const codec of this.typedCodecs) typedStates.push(await codec.readPrefix(reader));
    const dynamicStates: DynamicPlan[] = [];
    for (let i = 0; i < paths.length; i++) dynamicStates.push(await this.dynamic.readPrefix(reader));
    return { paths, typedStates, dynamicStates };
  }

  async read(reader: ByteReader, rows: number, state?: unknown): Promise<Record<string, unknown>[]> {
    const s = state as JsonReadState | undefined;
    if (!s) throw new ProtocolError(`${this.type}: data without its prefix`);
    const out: Record<string, unknown>[] = Array.from({ length: rows }, () => ({}));
    const typed: ColumnValues[] = [];
    for (let k = 0; k < this.typedCodecs.length; k++) {
      typed.push(await this.typedCodecs[k]!.read(reader, rows, s.typedStates[k]));
    }
    const dynamic: DynamicColumn[] = [];
    for (let k = 0; k < s.paths.length; k++)
      dynamic.push(await this.dynamic.readTyped(reader, rows, s.dynamicStates[k]));
    // Shared data: Map(String, String).
    const ends = await readOffsets(reader, rows, this.type);
    const total = rows > 0 ? ends[rows - 1]! : 0;
    const keys = (await this.getCodec('String').read(reader, total)) as string[];
    const values: unknown[] = [];
    const types: string[] = [];
    for (let j = 0; j < total; j++) {
      const one = await readTypedValue(reader, `${this.type}: shared data value ${j}`, this.getCodec);
      types.push(one.type);
      values.push(one.value);
    }
    const sharedTypes: Map<string, string>[] = [];
    let start = 0;
    for (let i = 0; i < rows; i++) {
      const row = out[i]!;
      for (let k = 0; k < this.typedPaths.length; k++) setPath(row, this.typedPaths[k]!, typed[k]![i]);
      for (let k = 0; k < s.paths.length; k++) {
        if (dynamic[k]!.types[i] !== null) setPath(row, s.paths[k]!, dynamic[k]!.values[i]);
      }
      const rowTypes = new Map<string, string>();
      const end = ends[i]!;
      for (let j = start; j < end; j++) {
        setPath(row, keys[j]!, values[j]);
        rowTypes.set(keys[j]!, types[j]!);
      }
      sharedTypes.push(rowTypes);
      start = end;
    }
    const base: JsonColumnInfo = {
      dynamicPaths: s.paths,
      dynamicIndex: new Map(s.paths.map((p, k) => [p, k])),
      dynamicColumns: dynamic,
      sharedTypes,
    };
    for (let i = 0; i < rows; i++) ROWS.set(out[i]!, { base, index: i });
    return out;
  }

  override writePrefix(writer: ByteWriter, values: ColumnValues, rows: number): JsonWritePlan {
    const plan = this.plan(values, rows);
    if (this.serialization === 'v2') {
      writer.u64(JSON_V2);
    } else {
      writer.u64(JSON_V1);
      writer.varUInt(plan.paths.length);
    }
    writer.varUInt(plan.paths.length);
    for (const path of plan.paths) writer.string(path);
    for (let k = 0; k < this.typedCodecs.length; k++) {
      const codec = this.typedCodecs[k]!;
      plan.typedStates[k] = this.forPath(this.typedPaths[k]!, () =>
        codec.writePrefix(writer, plan.typedColumns[k]!, rows),
      );
    }
    for (let k = 0; k < plan.paths.length; k++) {
      this.forPath(plan.paths[k]!, () => this.dynamic.writePlanPrefix(writer, plan.dynamicPlans[k]!));
    }
    return plan;
  }

  /** Splits the rows into typed, dynamic and shared paths; a bad row throws InvalidValueError. */
  private plan(values: ColumnValues, rows: number): JsonWritePlan {
    // The rows that were read, and the one column they all come from (null: several).
    const records = new Array<JsonRowRecord | undefined>(rows);
    let single: JsonColumnInfo | null | undefined;
    for (let i = 0; i < rows; i++) {
      const v = values[i];
      const record = typeof v === 'object' && v !== null ? ROWS.get(v) : undefined;
      records[i] = record;
      if (record) single = single === undefined || single === record.base ? record.base : null;
    }
    const typedIndex = new Map(this.typedPaths.map((p, k) => [p, k]));
    const typedColumns = this.typedPaths.map(() => new Array<unknown>(rows).fill(ZERO));
    const flat: Map<string, unknown>[] = [];
    const counts = new Map<string, number>();
    for (let i = 0; i < rows; i++) {
      const v = values[i];
      const leaves = new Map<string, unknown>();
      if (v !== null && v !== ZERO) {
        if (!isPlainObject(v)) {
          throw new InvalidValueError(`expected a plain object for ${this.type}, got ${describe(v)}`, { row: i });
        }
        this.flatten(v, '', leaves, i);
      }
      for (const [path, leaf] of leaves) {
        const k = typedIndex.get(path);
        if (k !== undefined) {
          typedColumns[k]![i] = leaf;
          leaves.delete(path);
        } else {
          counts.set(path, (counts.get(path) ?? 0) + 1);
        }
      }
      flat.push(leaves);
    }
    let paths: string[];
    if (single && single.dynamicPaths.length <= this.maxPaths) {
      paths = [...single.dynamicPaths];
    } else {
      paths = [...counts.keys()]
        .sort((a, b) => counts.get(b)! - counts.get(a)! || compareNames(a, b))
        .slice(0, this.maxPaths)
        .sort(compareNames);
    }
    const dynamicIndex = new Map(paths.map((p, k) => [p, k]));
    const dynamicColumns = paths.map(() => new Array<unknown>(rows).fill(null));
    const shared: [string, unknown, string][][] = [];
    for (let i = 0; i < rows; i++) {
      const row: [string, unknown, string][] = [];
      for (const [path, leaf] of flat[i]!) {
        const k = dynamicIndex.get(path);
        if (k !== undefined) {
          dynamicColumns[k]![i] = leaf;
          continue;
        }
        row.push([path, leaf, this.sharedType(leaf, i, path, recordedType(records[i], path))]);
      }
      row.sort((a, b) => compareNames(a[0], b[0]));
      shared.push(row);
    }
    const dynamicPlans = paths.map((path, k) => {
      let hint: DynamicHint | undefined;
      if (single !== undefined) {
        const column = dynamicColumns[k]!;
        const rowTypes = new Array<string | null | undefined>(rows);
        for (let i = 0; i < rows; i++) if (column[i] !== null) rowTypes[i] = recordedType(records[i], path);
        const at = single?.dynamicIndex.get(path);
        hint = { listed: at === undefined ? undefined : single!.dynamicColumns[at]!.listed, types: rowTypes };
      }
      try {
        return this.dynamic.plan(dynamicColumns[k]!, rows, hint);
      } catch (error) {
        if (error instanceof InvalidValueError) {
          throw new InvalidValueError(`path ${JSON.stringify(path)}: ${error.reason}`, { row: error.row });
        }
        throw error;
      }
    });
    return { paths, typedColumns, typedStates: [], dynamicColumns, dynamicPlans, shared };
  }

  /** Collects the leaves of a row object under dotted paths. */
  private flatten(object: Record<string, unknown>, prefix: string, out: Map<string, unknown>, row: number): void {
    for (const key of Object.keys(object)) {
      const path = prefix + key;
      if (this.skipped(path)) continue;
      const v = object[key];
      if (v === null || v === undefined) continue;
      if (isPlainObject(v) && !this.typedPaths.includes(path)) {
        this.flatten(v, `${path}.`, out, row);
        continue;
      }
      if (out.has(path)) throw new InvalidValueError(`the path ${JSON.stringify(path)} appears twice`, { row });
      out.set(path, v);
    }
  }

  private skipped(path: string): boolean {
    for (const s of this.skip) if (path === s || path.startsWith(`${s}.`)) return true;
    for (const r of this.skipRegexps) if (r.test(path)) return true;
    return false;
  }

  /** The type a shared-data value is written as. */
  private sharedType(v: unknown, row: number, path: string, recorded: string | undefined): string {
    if (v instanceof VariantValue) return formatType(parseType(v.type));
    if (recorded) {
      const scratch = this.scratch;
      scratch.reset();
      try {
        writeBinaryValue(scratch, parseType(recorded), v, this.getCodec);
        return recorded;
      } catch {
        // inferred below
      }
    }
    const t = inferType(v);
    if (t === undefined) {
      throw new InvalidValueError(
        `path ${JSON.stringify(path)}: cannot tell the type of ${describe(v)}; give it with dynamicValue(type, value)`,
        { row },
      );
    }
    return t;
  }

  write(writer: ByteWriter, values: ColumnValues, rows: number, state?: unknown): void {
    const plan = (state as JsonWritePlan | undefined) ?? this.plan(values, rows);
    for (let k = 0; k < this.typedCodecs.length; k++) {
      this.forPath(this.typedPaths[k]!, () =>
        this.typedCodecs[k]!.write(writer, plan.typedColumns[k]!, rows, plan.typedStates[k]),
      );
    }
    for (let k = 0; k < plan.paths.length; k++) {
      this.forPath(plan.paths[k]!, () =>
        this.dynamic.write(writer, plan.dynamicColumns[k]!, rows, plan.dynamicPlans[k]),
      );
    }
    writeOffsets(writer, rows, (i) => plan.shared[i]!.length);
    for (const row of plan.shared) for (const [path] of row) writer.string(path);
    const scratch = new ByteWriter(64);
    for (let i = 0; i < rows; i++) {
      for (const [path, v, type] of plan.shared[i]!) {
        try {
          writeTypedValue(writer, scratch, type, v, this.getCodec);
        } catch (error) {
          if (error instanceof InvalidValueError) {
            throw new InvalidValueError(`path ${JSON.stringify(path)} as ${type}: ${error.reason}`, { row: i });
          }
          throw error;
        }
      }
    }
  }

  /** Runs `run` for one path, naming the path in a bad value's error. */
  private forPath<T>(path: string, run: () => T): T {
    try {
      return run();
    } catch (error) {
      if (error instanceof InvalidValueError && error.row !== undefined) {
        throw new InvalidValueError(`path ${JSON.stringify(path)}: ${error.reason}`, { row: error.row });
      }
      throw error;
    }
  }
}

/**
 * Sets a dotted path in a row object, creating the nested objects; a clash keeps the dotted key as is. Paths come
 * from the server: only own properties are walked and set (`__proto__`, `constructor` are keys like any other).
 */
function setPath(row: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let at = row;
  for (let i = 0; i < parts.length - 1; i++) {
    const next = getOwn(at, parts[i]!);
    if (next === undefined) {
      const created: Record<string, unknown> = {};
      setOwn(at, parts[i]!, created);
      at = created;
    } else if (isPlainObject(next)) {
      at = next;
    } else {
      setOwn(row, path, value);
      return;
    }
  }
  const last = parts[parts.length - 1]!;
  if (isPlainObject(getOwn(at, last))) setOwn(row, path, value);
  else setOwn(at, last, value);
}

export const jsonFamily: CodecFactory = (node, type, resolve, serialization) => {
  let maxPaths = DEFAULT_MAX_PATHS;
  let maxTypes = DEFAULT_MAX_TYPES;
  const typed: { path: string; node: TypeNode }[] = [];
  const skip: string[] = [];
  const skipRegexps: RegExp[] = [];
  for (const arg of node.args) {
    if (
      arg.kind === 'setting' &&
      arg.value.kind === 'number' &&
      Number.isInteger(arg.value.value) &&
      arg.value.value >= 0
    ) {
      if (arg.name === 'max_dynamic_paths') maxPaths = arg.value.value;
      else if (arg.name === 'max_dynamic_types' && arg.value.value <= 254) maxTypes = arg.value.value;
      else throw badType(type, `unknown or out-of-range JSON setting ${arg.name}`);
    } else if (arg.kind === 'named') {
      typed.push({ path: arg.name, node: arg.type });
    } else if (arg.kind === 'skip') {
      skip.push(arg.path);
    } else if (arg.kind === 'skipRegexp') {
      try {
        skipRegexps.push(new RegExp(arg.pattern));
      } catch {
        throw badType(type, `SKIP REGEXP '${arg.pattern}' is not a regular expression JS can run`);
      }
    } else {
      throw badType(type, 'JSON takes settings, `path Type` hints and SKIP clauses');
    }
  }
  typed.sort((a, b) => compareNames(a.path, b.path));
  for (let i = 1; i < typed.length; i++) {
    if (typed[i - 1]!.path === typed[i]!.path) throw badType(type, `the path ${typed[i]!.path} is typed twice`);
  }
  return new JsonCodec(
    type,
    maxPaths,
    maxTypes,
    typed.map((t) => t.path),
    typed.map((t) => resolve(t.node)),
    skip,
    skipRegexps,
    (name) => resolve(parseType(name)),
    serialization,
  );
};
