/**
 * Fixed-width numbers (docs/protocol.md §6.2): UInt8/16/32/64, Int8/16/32/64, Float32/64, little endian, one after
 * another.
 *
 * Read: the matching TypedArray (a view of the reader's buffer when aligned, else one copy).
 * Write:
 *   - the matching TypedArray is copied in bulk, unchecked (it cannot hold a bad value);
 *   - another TypedArray whose every value fits (e.g. Uint8Array into UInt32) is converted in bulk;
 *   - anything else array-like is checked value by value:
 *       integers: a number that is an integer in range, a bigint in range, true/false as 1/0;
 *       64-bit integers also: a safe-integer number, a decimal string (`'-12'`, `'18446744073709551615'`);
 *       floats: any number (NaN and ±Infinity included); Float32 refuses finite numbers beyond its range.
 *     Strings are refused for 8- to 32-bit integers and floats; null/undefined are refused everywhere.
 * Values are checked into a reused Float64Array chunk and converted to the column type in bulk, so the per-value
 * loop is monomorphic and allocates nothing.
 */
import { InvalidValueError } from '../errors.js';
import type { ByteReader } from '../protocol/reader.js';
import type { ByteWriter } from '../protocol/writer.js';
import { BaseCodec, ZERO, type ColumnCodec, type ColumnValues } from './codec.js';
import { expectNoArgs, type CodecFactory } from './factory.js';
import { bigIntInRange } from './wide-integers.js';
import {
  describe,
  isTypedArray,
  readTypedArray,
  typedArrayClass,
  type AnyTypedArray,
  type BigIntArray,
  type NumberArray,
  type TypedArrayClass,
  type TypedArrayConstructor,
} from './values.js';

/** Values are checked and converted this many at a time through the shared scratch buffers. */
const CHUNK = 8192;
const scratchValues = new Float64Array(CHUNK);
const scratchBuffer = new ArrayBuffer(CHUNK * 8);
const scratchBytes = new Uint8Array(scratchBuffer);
const scratchU32 = new Uint32Array(scratchBuffer);

const TWO_32 = 2 ** 32;

interface NumberRange {
  integer: boolean;
  min: number;
  max: number;
}

interface NumberSpec extends NumberRange {
  ctor: TypedArrayConstructor<NumberArray>;
}

const NUMBER_SPECS = {
  UInt8: { ctor: Uint8Array, integer: true, min: 0, max: 0xff },
  UInt16: { ctor: Uint16Array, integer: true, min: 0, max: 0xffff },
  UInt32: { ctor: Uint32Array, integer: true, min: 0, max: 0xffffffff },
  Int8: { ctor: Int8Array, integer: true, min: -0x80, max: 0x7f },
  Int16: { ctor: Int16Array, integer: true, min: -0x8000, max: 0x7fff },
  Int32: { ctor: Int32Array, integer: true, min: -0x80000000, max: 0x7fffffff },
  Float32: { ctor: Float32Array, integer: false, min: -Infinity, max: Infinity },
  Float64: { ctor: Float64Array, integer: false, min: -Infinity, max: Infinity },
} satisfies Record<string, NumberSpec>;

export type NumberTypeName = keyof typeof NUMBER_SPECS;

/** The value range of each number TypedArray, to know which ones convert into a column type without a check. */
const TYPED_RANGES = new Map<TypedArrayClass, NumberRange>([
  [Int8Array, { integer: true, min: -0x80, max: 0x7f }],
  [Uint8Array, { integer: true, min: 0, max: 0xff }],
  [Uint8ClampedArray, { integer: true, min: 0, max: 0xff }],
  [Int16Array, { integer: true, min: -0x8000, max: 0x7fff }],
  [Uint16Array, { integer: true, min: 0, max: 0xffff }],
  [Int32Array, { integer: true, min: -0x80000000, max: 0x7fffffff }],
  [Uint32Array, { integer: true, min: 0, max: 0xffffffff }],
  [Float32Array, { integer: false, min: -Infinity, max: Infinity }],
  [Float64Array, { integer: false, min: -Infinity, max: Infinity }],
]);

export class NumberCodec extends BaseCodec implements ColumnCodec {
  override readonly flat = true;
  override readonly typedArray: TypedArrayClass;
  private readonly ctor: TypedArrayConstructor<NumberArray>;
  private readonly size: number;
  private readonly integer: boolean;
  private readonly min: number;
  private readonly max: number;
  private readonly minBig: bigint;
  private readonly maxBig: bigint;
  private readonly float32: boolean;
  /** The shared scratch buffer seen as this column's TypedArray. */
  private readonly scratchTyped: NumberArray;

  constructor(
    readonly type: string,
    private readonly name: NumberTypeName,
  ) {
    super();
    const spec: NumberSpec = NUMBER_SPECS[name];
    this.ctor = spec.ctor;
    this.typedArray = spec.ctor as TypedArrayClass;
    this.size = spec.ctor.BYTES_PER_ELEMENT;
    this.integer = spec.integer;
    this.min = spec.min;
    this.max = spec.max;
    this.minBig = spec.integer ? BigInt(spec.min) : 0n;
    this.maxBig = spec.integer ? BigInt(spec.max) : 0n;
    this.float32 = name === 'Float32';
    this.scratchTyped = new spec.ctor(scratchBuffer, 0, CHUNK);
  }

  read(reader: ByteReader, rows: number): Promise<NumberArray> {
    return readTypedArray(reader, rows, this.ctor);
  }

  write(writer: ByteWriter, values: ColumnValues, rows: number): void {
    if (values instanceof this.ctor) {
      writer.typedArray(values.length === rows ? values : values.subarray(0, rows));
      return;
    }
    const size = this.size;
    const region = writer.claim(rows * size);
    const bulk = isTypedArray(values) && this.convertsLosslessly(values);
    for (let start = 0; start < rows; start += CHUNK) {
      const n = Math.min(CHUNK, rows - start);
      if (bulk) {
        this.scratchTyped.set((values as NumberArray).subarray(start, start + n));
      } else {
        if (this.integer) this.checkIntegers(values, start, n);
        else this.checkFloats(values, start, n);
        this.scratchTyped.set(scratchValues.subarray(0, n));
      }
      region.set(scratchBytes.subarray(0, n * size), start * size);
    }
  }

  /** True when every value the TypedArray can hold fits this column type (Float32 may round, as it does anyway). */
  private convertsLosslessly(values: AnyTypedArray): boolean {
    const range = TYPED_RANGES.get(typedArrayClass(values));
    if (!range) return false; // BigInt64Array/BigUint64Array: checked one by one
    if (!this.integer) return this.float32 ? range.integer || values instanceof Float32Array : true;
    return range.integer && range.min >= this.min && range.max <= this.max;
  }

  private checkIntegers(values: ColumnValues, start: number, n: number): void {
    const out = scratchValues;
    const min = this.min;
    const max = this.max;
    for (let i = 0; i < n; i++) {
      const v = values[start + i];
      if (typeof v === 'number' && v >= min && v <= max && Number.isInteger(v)) out[i] = v;
      else out[i] = this.otherInteger(v, start + i);
    }
  }

  private otherInteger(v: unknown, row: number): number {
    if (typeof v === 'bigint') {
      if (v >= this.minBig && v <= this.maxBig) return Number(v);
      throw new InvalidValueError(`${v} is out of range for ${this.name} (${this.min} to ${this.max})`, { row });
    }
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (v === ZERO) return 0;
    if (typeof v === 'number') {
      if (!Number.isInteger(v)) throw new InvalidValueError(`${v} is not an integer (${this.name})`, { row });
      throw new InvalidValueError(`${v} is out of range for ${this.name} (${this.min} to ${this.max})`, { row });
    }
    throw new InvalidValueError(`expected an integer for ${this.name}, got ${describe(v)}`, { row });
  }

  private checkFloats(values: ColumnValues, start: number, n: number): void {
    const out = scratchValues;
    const float32 = this.float32;
    for (let i = 0; i < n; i++) {
      const v = values[start + i];
      if (typeof v === 'number' && (!float32 || Number.isFinite(Math.fround(v)) || !Number.isFinite(v))) out[i] = v;
      else out[i] = this.otherFloat(v, start + i);
    }
  }

  private otherFloat(v: unknown, row: number): number {
    if (v === ZERO) return 0;
    if (typeof v === 'number') throw new InvalidValueError(`${v} is out of range for Float32`, { row });
    throw new InvalidValueError(`expected a number for ${this.name}, got ${describe(v)}`, { row });
  }
}

/**
 * UInt64 and Int64. Read as BigUint64Array / BigInt64Array. Numbers are written as two 32-bit halves, so only
 * bigint and string inputs create bigints.
 */
export class BigIntCodec extends BaseCodec implements ColumnCodec {
  override readonly flat = true;
  override readonly typedArray: TypedArrayClass;
  private readonly ctor: TypedArrayConstructor<BigIntArray>;
  private readonly signed: boolean;
  private readonly min: bigint;
  private readonly max: bigint;
  private readonly scratchBig: BigIntArray;

  constructor(
    readonly type: string,
    private readonly name: 'UInt64' | 'Int64',
  ) {
    super();
    this.signed = name === 'Int64';
    this.ctor = this.signed ? BigInt64Array : BigUint64Array;
    this.typedArray = this.signed ? BigInt64Array : BigUint64Array;
    this.min = this.signed ? -(2n ** 63n) : 0n;
    this.max = this.signed ? 2n ** 63n - 1n : 2n ** 64n - 1n;
    this.scratchBig = new this.ctor(scratchBuffer, 0, CHUNK);
  }

  read(reader: ByteReader, rows: number): Promise<BigIntArray> {
    return readTypedArray(reader, rows, this.ctor);
  }

  write(writer: ByteWriter, values: ColumnValues, rows: number): void {
    if (values instanceof this.ctor) {
      writer.typedArray(values.length === rows ? values : values.subarray(0, rows));
      return;
    }
    const region = writer.claim(rows * 8);
    const halves = scratchU32;
    const minNumber = this.signed ? Number.MIN_SAFE_INTEGER : 0;
    for (let start = 0; start < rows; start += CHUNK) {
      const n = Math.min(CHUNK, rows - start);
      for (let i = 0; i < n; i++) {
        const v = values[start + i];
        if (typeof v === 'number' && v >= minNumber && v <= Number.MAX_SAFE_INTEGER && Number.isInteger(v)) {
          const high = Math.floor(v / TWO_32);
          halves[2 * i] = v - high * TWO_32;
          halves[2 * i + 1] = high >>> 0; // two's complement of a negative high half
        } else {
          this.scratchBig[i] = this.other(v, start + i);
        }
      }
      region.set(scratchBytes.subarray(0, n * 8), start * 8);
    }
  }

  private other(v: unknown, row: number): bigint {
    return bigIntInRange(v, row, this.name, this.min, this.max);
  }
}

export function numberFamily(name: NumberTypeName): CodecFactory {
  return (node, type) => {
    expectNoArgs(node, type);
    return new NumberCodec(type, name);
  };
}

export function bigIntFamily(name: 'UInt64' | 'Int64'): CodecFactory {
  return (node, type) => {
    expectNoArgs(node, type);
    return new BigIntCodec(type, name);
  };
}
