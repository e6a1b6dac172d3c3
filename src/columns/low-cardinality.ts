/**
 * LowCardinality(T) and LowCardinality(Nullable(T)) (docs/protocol.md §6.13).
 *
 * Prefix: UInt64 key serialization version, always 1 (shared dictionaries with additional keys).
 * Data, per granule (the Native writer writes one; readers loop until the rows are read):
 *   UInt64 index type = width code (0 UInt8, 1 UInt16, 2 UInt32, 3 UInt64) | flags
 *     (HasAdditionalKeys 1 << 9, NeedUpdateDictionary 1 << 10; NeedGlobalDictionary 1 << 8 never in Native);
 *   if HasAdditionalKeys: UInt64 key count, then the keys as a plain column of T (Nullable removed);
 *   UInt64 row count, then the indexes at that width.
 * For LowCardinality(Nullable(T)), index 0 means NULL; its key is a placeholder holding T's default.
 *
 * Read: what T reads as, per row: a TypedArray of T's class for numeric T (LowCardinality(UInt32) → Uint32Array),
 * else an array; null for NULL under Nullable. Any index width and key order is accepted.
 * Write: what T (or Nullable(T)) accepts. The dictionary is laid out as ClickHouse lays it out (checked against
 * 26.7): [NULL placeholder,] T's default, then the distinct values in order of first appearance; the index width
 * is the smallest that holds the largest index. So a column read from the server re-encodes to the same bytes.
 * Values are deduplicated by their encoded bytes (each distinct JS value is encoded once), so 'a' and
 * Buffer.from('a') share a key, as do the default and ''.
 */
import { InvalidValueError, ProtocolError } from '../errors.js';
import type { ByteReader } from '../protocol/reader.js';
import { ByteWriter } from '../protocol/writer.js';
import { BaseCodec, ZERO, type ColumnCodec, type ColumnValues } from './codec.js';
import { badType, expectOneType, type CodecFactory } from './factory.js';
import { type AnyTypedArray, type TypedArrayClass, type TypedArrayConstructor } from './values.js';

const KEY_VERSION = 1;
const NEED_GLOBAL_DICTIONARY = 1 << 8;
const HAS_ADDITIONAL_KEYS = 1 << 9;
const NEED_UPDATE_DICTIONARY = 1 << 10;
const KNOWN_FLAGS = NEED_GLOBAL_DICTIONARY | HAS_ADDITIONAL_KEYS | NEED_UPDATE_DICTIONARY;

/** Reads a UInt64 that must fit a safe integer (sizes and flags). */
function readSize(reader: ByteReader, what: string, type: string): number {
  const low = reader.u32();
  const high = reader.u32();
  if (high >= 0x200000)
    throw new ProtocolError(`${type}: ${what} ${BigInt(high) * 2n ** 32n + BigInt(low)} is too large`);
  return high * 0x100000000 + low;
}

/** Allowed inside LowCardinality (ClickHouse refuses the rest). */
const ALLOWED_INNER =
  /^(String|FixedString|U?Int(8|16|32|64|128|256)|Float(32|64)|BFloat16|Date|Date32|DateTime|DateTime64|UUID|IPv4|IPv6|Decimal(32|64|128|256)?|Time|Time64|Bool|Enum8|Enum16)$/;

export class LowCardinalityCodec extends BaseCodec implements ColumnCodec {
  /** T's TypedArray class when T reads as one and NULL cannot occur. */
  override readonly typedArray: TypedArrayClass | undefined;
  /** Scratch writer for encoding one distinct value at a time. */
  private readonly single = new ByteWriter(64);

  constructor(
    readonly type: string,
    /** T without Nullable: the dictionary's codec. */
    readonly keys: ColumnCodec,
    readonly nullable: boolean,
  ) {
    super();
    this.typedArray = nullable ? undefined : keys.typedArray;
  }

  override async readPrefix(reader: ByteReader): Promise<void> {
    const version = await reader.atomic(() => readSize(reader, 'key version', this.type));
    if (version !== KEY_VERSION) {
      throw new ProtocolError(`${this.type}: unknown key serialization version ${version} (expected ${KEY_VERSION})`);
    }
  }

  override writePrefix(writer: ByteWriter): void {
    writer.u64(BigInt(KEY_VERSION));
  }

  async read(reader: ByteReader, rows: number): Promise<ColumnValues> {
    let out: unknown[] | AnyTypedArray | undefined;
    let done = 0;
    let dictionary: ColumnValues | undefined;
    while (done < rows) {
      const indexType = await reader.atomic(() => readSize(reader, 'index type', this.type));
      const width = indexType & 0xff;
      const flags = indexType & ~0xff;
      if (width > 3 || (flags & ~KNOWN_FLAGS) !== 0) {
        throw new ProtocolError(
          `${this.type}: unknown index type 0x${indexType.toString(16)} at byte ${reader.offset - 8}`,
        );
      }
      if (flags & HAS_ADDITIONAL_KEYS) {
        const count = await reader.atomic(() => readSize(reader, 'key count', this.type));
        const cap = reader.limits.maxDictionaryKeys;
        if (count > cap) {
          throw new ProtocolError(`${this.type}: the dictionary claims ${count} keys; the cap is ${cap}`);
        }
        dictionary = await this.keys.read(reader, count);
      } else if (flags & NEED_GLOBAL_DICTIONARY || !dictionary) {
        throw new ProtocolError(`${this.type}: a granule without its own dictionary (no global dictionary in Native)`);
      }
      const granule = await reader.atomic(() => readSize(reader, 'row count', this.type));
      if (granule > rows - done) {
        throw new ProtocolError(`${this.type}: a granule claims ${granule} rows; only ${rows - done} remain`);
      }
      if (!out) out = this.allocate(rows);
      await this.readIndexes(reader, width, granule, dictionary, out, done);
      done += granule;
    }
    return out ?? this.allocate(0);
  }

  /** The output column: T's TypedArray class when it has one (and NULL cannot occur), else an array. */
  private allocate(rows: number): unknown[] | AnyTypedArray {
    const Ctor = this.typedArray as TypedArrayConstructor<AnyTypedArray> | undefined;
    return Ctor ? new Ctor(rows) : new Array<unknown>(rows);
  }

  private async readIndexes(
    reader: ByteReader,
    width: number,
    count: number,
    dictionary: ColumnValues,
    out: unknown[] | AnyTypedArray,
    at: number,
  ): Promise<void> {
    const size = 1 << width;
    const buf = await reader.take(count * size);
    let pos = 0;
    const keys = dictionary.length;
    const nullable = this.nullable;
    const target = out as unknown[];
    for (let i = 0; i < count; i++, pos += size) {
      let index: number;
      if (size === 1) index = buf[pos]!;
      else if (size === 2) index = buf[pos]! | (buf[pos + 1]! << 8);
      else {
        index = buf.readUInt32LE(pos);
        if (size === 8 && buf.readUInt32LE(pos + 4) !== 0) index = Number.MAX_SAFE_INTEGER;
      }
      if (index >= keys) {
        throw new ProtocolError(`${this.type}: index ${index} of row ${at + i} is beyond the ${keys} keys`);
      }
      target[at + i] = nullable && index === 0 ? null : dictionary[index];
    }
  }

  write(writer: ByteWriter, values: ColumnValues, rows: number): void {
    if (rows === 0) return;
    // Distinct values by their encoded bytes; primitives are looked up directly after their first encoding.
    const byBytes = new Map<string, number>();
    const byPrimitive = new Map<unknown, number>();
    const keyBytes: Buffer[] = [];
    const addKey = (bytes: Buffer): number => {
      const text = bytes.toString('latin1');
      let index = byBytes.get(text);
      if (index === undefined) {
        index = keyBytes.length;
        byBytes.set(text, index);
        keyBytes.push(bytes);
      }
      return index;
    };
    const defaultBytes = this.encodeOne(ZERO, 0);
    if (this.nullable) keyBytes.push(defaultBytes); // the NULL placeholder, index 0
    addKey(defaultBytes);

    const indexes = new Uint32Array(rows);
    for (let i = 0; i < rows; i++) {
      const v = values[i];
      if (v === null && this.nullable) {
        indexes[i] = 0;
        continue;
      }
      const primitive = typeof v === 'string' || typeof v === 'bigint' || (typeof v === 'number' && !Object.is(v, -0));
      let index = primitive ? byPrimitive.get(v) : undefined;
      if (index === undefined) {
        if (v === undefined) {
          throw new InvalidValueError(this.nullable ? 'undefined is not a value; use null for NULL' : 'got undefined', {
            row: i,
          });
        }
        index = addKey(this.encodeOne(v, i));
        if (primitive) byPrimitive.set(v, index);
      }
      indexes[i] = index;
    }

    const count = keyBytes.length;
    const maxIndex = count - 1;
    const width = maxIndex <= 0xff ? 0 : maxIndex <= 0xffff ? 1 : 2;
    writer.u64(BigInt(width | HAS_ADDITIONAL_KEYS | NEED_UPDATE_DICTIONARY));
    writer.u64(BigInt(count));
    for (const bytes of keyBytes) writer.bytes(bytes);
    writer.u64(BigInt(rows));
    const size = 1 << width;
    const region = writer.claim(rows * size);
    if (size === 1) region.set(indexes);
    else if (size === 2) for (let i = 0; i < rows; i++) region.writeUInt16LE(indexes[i]!, i * 2);
    else for (let i = 0; i < rows; i++) region.writeUInt32LE(indexes[i]!, i * 4);
  }

  /** The bytes of one value in the key column; the key codec's error is pointed at `row`. */
  private encodeOne(v: unknown, row: number): Buffer {
    const single = this.single;
    single.reset();
    try {
      this.keys.write(single, [v], 1);
    } catch (error) {
      if (error instanceof InvalidValueError) throw new InvalidValueError(error.reason, { row });
      throw error;
    }
    return Buffer.from(single.view());
  }
}

export const lowCardinalityFamily: CodecFactory = (node, type, resolve) => {
  const inner = expectOneType(node, type);
  const nullable = inner.name === 'Nullable';
  const keyType = nullable ? expectOneType(inner, type) : inner;
  if (!ALLOWED_INNER.test(keyType.name)) throw badType(type, `${keyType.name} cannot be inside LowCardinality`);
  return new LowCardinalityCodec(type, resolve(keyType), nullable);
};
