/**
 * Custom serialization kinds (docs/protocol.md §6.18): from revision 54454 each column header in a block has a
 * has_custom_serialization byte; when it is 1, the column's kind stacks follow, and the column data is written by
 * the serializations those kinds stack over the type's own. A server uses them only for clients that asked:
 *
 * - SPARSE (54465): the column's default values are left out. Data: VarUInt offsets, one per non-default row, each
 *   the number of default rows before it (since the previous non-default row), then one VarUInt with the number of
 *   trailing default rows ORed with 2^62 (END_OF_GRANULE); then the non-default values only, as the type writes
 *   them. For Nullable the default is NULL, and the values are written without their null map (all non-NULL).
 *   MergeTree parts keep mostly-default columns that way (ratio_of_defaults_for_sparse_serialization), and a SELECT
 *   sends them on as they were read.
 * - REPLICATED (54482): each row is an index into a column of values. Data: VarUInt rows, UInt8 index width (1, 2, 4
 *   or 8), the rows' indexes, VarUInt number of values, the values as the type writes them. A JOIN builds such
 *   columns when one side's rows repeat (enable_lazy_columns_replication), and the server sends them on, the values
 *   no longer referenced removed.
 *
 * Kind stacks (SerializationInfo::serialializeKindStackBinary): one byte, 0 DEFAULT, 1 SPARSE, 2 DETACHED,
 * 3 DETACHED over SPARSE, 4 REPLICATED, or 5 followed by a VarUInt count and that many kinds (0 DEFAULT, 1 SPARSE,
 * 2 DETACHED, 3 REPLICATED), bottom first. A Tuple's own stack is followed by each element's, recursively; every
 * other type has its own stack only (checked live against 26.7 for Nullable, Array, Map, Variant, Dynamic).
 *
 * The client reads such columns into full columns: users see the same values, TypedArrays included, as from a
 * server that sent every row. The prefix of a wrapped column is its type's own prefix.
 */
import { ProtocolError } from '../errors.js';
import { ByteReader } from '../protocol/reader.js';
import { Feature } from '../protocol/revision.js';
import { ByteWriter } from '../protocol/writer.js';
import { BaseCodec, readColumn, writeColumn, ZERO, type ColumnCodec, type ColumnValues } from './codec.js';
import { NullableCodec } from './nullable.js';
import { getCodec } from './registry.js';
import { TupleCodec } from './tuple.js';
import type { AnyTypedArray } from './values.js';

/** ISerialization::Kind, as COMBINATION lists them. */
const KIND_DEFAULT = 0;
const KIND_SPARSE = 1;
const KIND_DETACHED = 2;
const KIND_REPLICATED = 3;

/** The kinds each one-byte stack stands for, above DEFAULT. */
const STACKS: readonly (readonly number[])[] = [
  [],
  [KIND_SPARSE],
  [KIND_DETACHED],
  [KIND_SPARSE, KIND_DETACHED],
  [KIND_REPLICATED],
];
const STACK_COMBINATION = 5;
/** A real stack has a kind or two above DEFAULT; a long one is hostile bytes. */
const MAX_STACK = 8;

/** SerializationInfo as the wire has it: the kinds above DEFAULT, bottom first, and a Tuple's elements'. */
export interface SerializationInfo {
  kinds: number[];
  elements?: SerializationInfo[];
}

const KIND_NAMES = ['DEFAULT', 'SPARSE', 'DETACHED', 'REPLICATED'];

/** Reads the kind stacks of a column of `codec`'s type. Synchronous: run it inside `reader.atomic`. */
export function readSerializationInfo(reader: ByteReader, codec: ColumnCodec): SerializationInfo {
  const type = reader.u8();
  let kinds: number[];
  if (type < STACKS.length) {
    kinds = [...STACKS[type]!];
  } else if (type === STACK_COMBINATION) {
    const count = reader.varUInt();
    if (count > MAX_STACK)
      throw new ProtocolError(`A serialization kind stack of ${count} kinds, at byte ${reader.offset}`);
    kinds = [];
    for (let i = 0; i < count; i++) {
      const kind = reader.u8();
      if (kind > KIND_REPLICATED)
        throw new ProtocolError(`Unknown serialization kind ${kind} at byte ${reader.offset - 1}`);
      // DEFAULT is the bottom of every stack; the stacks above it are what matters.
      if (kind !== KIND_DEFAULT || i > 0) kinds.push(kind);
    }
  } else {
    throw new ProtocolError(`Unknown serialization kind stack ${type} at byte ${reader.offset - 1}`);
  }
  if (!(codec instanceof TupleCodec)) return { kinds };
  return { kinds, elements: codec.elements.map((element) => readSerializationInfo(reader, element)) };
}

/** Codecs for (codec, serialization) pairs already seen: a table's blocks repeat the same kinds. */
const wrapped = new WeakMap<ColumnCodec, Map<string, ColumnCodec>>();

function infoKey(info: SerializationInfo): string {
  const own = info.kinds.join('.');
  return info.elements ? `${own}(${info.elements.map(infoKey).join(',')})` : own;
}

/**
 * The codec that reads a column of `codec`'s type serialized as `info` says, at the negotiated `revision` (a kind
 * that revision does not allow means the stream is not what we think it is).
 */
export function serializedCodec(codec: ColumnCodec, info: SerializationInfo, revision: number): ColumnCodec {
  const key = infoKey(info);
  let byKey = wrapped.get(codec);
  const known = byKey?.get(key);
  if (known) {
    checkAllowed(info, revision, codec.type);
    return known;
  }
  const built = build(codec, info, revision);
  if (!byKey) wrapped.set(codec, (byKey = new Map()));
  byKey.set(key, built);
  return built;
}

function checkAllowed(info: SerializationInfo, revision: number, type: string): void {
  for (const kind of info.kinds) allowed(kind, revision, type);
  info.elements?.forEach((e) => checkAllowed(e, revision, type));
}

function allowed(kind: number, revision: number, type: string): void {
  const needs =
    kind === KIND_SPARSE
      ? Feature.SPARSE_SERIALIZATION
      : kind === KIND_REPLICATED
        ? Feature.REPLICATED_SERIALIZATION
        : undefined;
  if (needs === undefined || revision < needs) {
    // DETACHED blobs are for SECONDARY queries between servers (enable_parallel_blocks_marshalling): never ours.
    throw new ProtocolError(
      `A ${type} column arrived with the ${KIND_NAMES[kind]} serialization, which protocol revision ${revision} does not allow`,
    );
  }
}

function build(codec: ColumnCodec, info: SerializationInfo, revision: number): ColumnCodec {
  let base = codec;
  if (info.elements && codec instanceof TupleCodec && info.elements.some((e) => e.kinds.length > 0 || e.elements)) {
    const elements = codec.elements.map((element, i) => serializedCodec(element, info.elements![i]!, revision));
    base = new TupleCodec(codec.type, elements, codec.names);
  }
  for (const kind of info.kinds) {
    allowed(kind, revision, codec.type);
    if (kind === KIND_SPARSE) base = new SparseCodec(base);
    else if (kind === KIND_REPLICATED) base = new ReplicatedCodec(base);
  }
  return base;
}

/** 2^62: the flag of the last offset of a granule (VarUInts stop at 2^63). */
const END_OF_GRANULE_BIT = 0x40;

/**
 * Reads a sparse column's offsets: the rows (of `rows`) that hold non-default values, in order. Parses the VarUInts
 * that are in the reader's window and widens it only when one runs past its end; each offset is at least one byte
 * on the wire, so the positions never outgrow the bytes received.
 */
async function readSparsePositions(reader: ByteReader, rows: number, type: string): Promise<Uint32Array> {
  let positions = new Uint32Array(Math.min(rows, 1024));
  let count = 0;
  let row = 0;
  for (;;) {
    const buf = reader.window();
    let p = 0;
    while (p < buf.length) {
      // One VarUInt: bits 0..52 as a number; bit 62 (in the ninth byte) is the end-of-granule flag.
      let value = 0;
      let scale = 1;
      let end = false;
      let q = p;
      let complete = false;
      for (let i = 0; q < buf.length; i++) {
        const byte = buf[q++]!;
        if (i < 8) {
          value += (byte & 0x7f) * scale;
          scale *= 0x80;
        } else if (i === 8) {
          end = (byte & END_OF_GRANULE_BIT) !== 0;
          if ((byte & 0x3f) !== 0 || byte >= 0x80) {
            throw new ProtocolError(`${type}: a sparse offset at byte ${reader.offset + p} is too large`);
          }
        }
        if (byte < 0x80) {
          complete = true;
          break;
        }
      }
      if (!complete) break;
      if (value > rows - row) {
        throw new ProtocolError(
          `${type}: sparse offsets run past the block's ${rows} rows, at byte ${reader.offset + p}`,
        );
      }
      p = q;
      row += value;
      if (end) {
        reader.advance(p);
        if (row !== rows) throw new ProtocolError(`${type}: sparse offsets cover ${row} of the block's ${rows} rows`);
        return positions.subarray(0, count);
      }
      if (row >= rows) {
        throw new ProtocolError(
          `${type}: sparse offsets run past the block's ${rows} rows, at byte ${reader.offset + p}`,
        );
      }
      if (count === positions.length) {
        const grown = new Uint32Array(Math.min(rows, positions.length * 2));
        grown.set(positions);
        positions = grown;
      }
      positions[count++] = row++;
    }
    reader.advance(p);
    await reader.widen();
  }
}

/** The value a codec reads from its type's zero bytes (a column's default), and whether it is shared safely. */
interface DefaultValue {
  value: unknown;
  /** A string, number, bigint, boolean or null: one value serves every row. */
  primitive: boolean;
}

const defaults = new WeakMap<ColumnCodec, DefaultValue>();

/**
 * Fresh copies of values of `type`, as that type reads them: the values written and read back by the type's plain
 * codec (the one without custom serialization). Each value then is a new object, as in a full column.
 */
async function freshValues(type: string, values: ColumnValues, count: number): Promise<ColumnValues> {
  const codec = getCodec(type);
  const writer = new ByteWriter(64);
  writeColumn(writer, codec, values, count);
  return readColumn(ByteReader.from(writer.finish()), codec, count);
}

/** Reads `count` default values of `codec`'s type, by writing its zero value and reading it back. */
function readDefaults(codec: ColumnCodec, count: number): Promise<ColumnValues> {
  return freshValues(codec.type, new Array<unknown>(count).fill(ZERO), count);
}

function isPrimitive(value: unknown): boolean {
  return value === null || (typeof value !== 'object' && typeof value !== 'function');
}

async function defaultOf(codec: ColumnCodec): Promise<DefaultValue> {
  let known = defaults.get(codec);
  if (!known) {
    const value = (await readDefaults(codec, 1))[0];
    known = { value, primitive: isPrimitive(value) };
    defaults.set(codec, known);
  }
  return known;
}

/**
 * What the serialization wrappers share: they are columns of the type they wrap (its name, its TypedArray class), its
 * state prefix is theirs (docs/protocol.md §6.18), and they write as it does: the client sends full columns only, so
 * a wrapper is never written, but a codec must be able to.
 */
abstract class WrappedCodec extends BaseCodec implements ColumnCodec {
  readonly type: string;
  override readonly typedArray: ColumnCodec['typedArray'];

  constructor(readonly base: ColumnCodec) {
    super();
    this.type = base.type;
    this.typedArray = base.typedArray;
  }

  abstract read(reader: ByteReader, rows: number, state?: unknown): Promise<ColumnValues>;

  override readPrefix(reader: ByteReader): Promise<unknown> {
    return this.base.readPrefix(reader);
  }

  override writePrefix(writer: ByteWriter, values: ColumnValues, rows: number): unknown {
    return this.base.writePrefix(writer, values, rows);
  }

  write(writer: ByteWriter, values: ColumnValues, rows: number, state?: unknown): void {
    this.base.write(writer, values, rows, state);
  }
}

/**
 * A sparse column of `base`'s type, read into a full column. For a TypedArray type the defaults are its zeros; for
 * others they are what the type reads from its zero bytes (fresh objects per row where the value is an object, as a
 * full column would give), NULL for Nullable.
 */
export class SparseCodec extends WrappedCodec {
  /** What writes the non-default values: a Nullable's nested type (they are never NULL), else the type itself. */
  private readonly values: ColumnCodec;

  constructor(base: ColumnCodec) {
    super(base);
    this.values = base instanceof NullableCodec ? base.inner : base;
  }

  async read(reader: ByteReader, rows: number, state?: unknown): Promise<ColumnValues> {
    // Defaults take no bytes on the wire: what this allocates is bounded by the block's row cap (max_block_rows).
    const positions = await readSparsePositions(reader, rows, this.type);
    const values = await this.values.read(reader, positions.length, state);
    const Typed = this.typedArray;
    if (Typed) {
      const out = new Typed(rows) as AnyTypedArray;
      const from = values as AnyTypedArray;
      for (let j = 0; j < positions.length; j++) (out as Record<number, unknown>)[positions[j]!] = from[j];
      return out;
    }
    const out = new Array<unknown>(rows);
    if (this.base instanceof NullableCodec) {
      out.fill(null);
    } else {
      const fallback = await defaultOf(this.values);
      if (fallback.primitive) {
        out.fill(fallback.value);
      } else {
        const fresh = await readDefaults(this.values, rows - positions.length);
        for (let i = 0, d = 0, j = 0; i < rows; i++) {
          if (j < positions.length && positions[j] === i) j++;
          else out[i] = fresh[d++];
        }
      }
    }
    for (let j = 0; j < positions.length; j++) out[positions[j]!] = values[j];
    return out;
  }
}

const INDEX_CLASSES: Partial<
  Record<number, new (buffer: ArrayBufferLike, byteOffset: number, length: number) => ArrayLike<number | bigint>>
> = {
  1: Uint8Array,
  2: Uint16Array,
  4: Uint32Array,
  8: BigUint64Array,
};

/**
 * A replicated column of `base`'s type, read into a full column: each row gets its value by its index. A value that
 * several rows share is a string, number, bigint or null, or (an object: a Date, an array, a row of a Tuple) a fresh
 * copy per row after the first, as a full column would give.
 */
export class ReplicatedCodec extends WrappedCodec {
  async read(reader: ByteReader, rows: number, state?: unknown): Promise<ColumnValues> {
    const { count, width } = await reader.atomic(() => ({ count: reader.varUInt(), width: reader.u8() }));
    if (count !== rows)
      throw new ProtocolError(`${this.type}: a replicated column of ${count} rows in a block of ${rows}`);
    const Index = INDEX_CLASSES[width];
    if (!Index) throw new ProtocolError(`${this.type}: replicated indexes of ${width} bytes`);
    // Copied into an aligned array: the values' read may await, and the indexes are needed after it.
    const indexBytes = Buffer.from(await reader.take(rows * width));
    const indexes = new Index(indexBytes.buffer, indexBytes.byteOffset, rows);
    const size = await reader.atomic(() => reader.varUInt());
    // The server sends only the values some row refers to: never more values than rows.
    if (size > rows) throw new ProtocolError(`${this.type}: a replicated column of ${rows} rows claims ${size} values`);
    const values = await this.base.read(reader, size, state);
    const positions = new Uint32Array(rows);
    for (let i = 0; i < rows; i++) {
      const index = Number(indexes[i]!);
      if (index >= size) throw new ProtocolError(`${this.type}: row ${i} refers to value ${index} of ${size}`);
      positions[i] = index;
    }
    const Typed = this.typedArray;
    if (Typed) {
      const out = new Typed(rows) as AnyTypedArray;
      const from = values as AnyTypedArray;
      for (let i = 0; i < rows; i++) (out as Record<number, unknown>)[i] = from[positions[i]!];
      return out;
    }
    const out = new Array<unknown>(rows);
    const taken = new Uint8Array(size);
    let repeats: number[] | undefined;
    for (let i = 0; i < rows; i++) {
      const j = positions[i]!;
      const value = values[j];
      out[i] = value;
      if (taken[j] === 0 || isPrimitive(value)) taken[j] = 1;
      else (repeats ??= []).push(i);
    }
    if (repeats) {
      const copies = await freshValues(
        this.type,
        repeats.map((i) => out[i]),
        repeats.length,
      );
      for (let k = 0; k < repeats.length; k++) out[repeats[k]!] = copies[k];
    }
    return out;
  }
}
