/**
 * Small helpers shared by the codecs: describing a bad value in an error, recognizing TypedArrays, and reading
 * a fixed-width column as a TypedArray.
 */
import type { ByteReader } from '../protocol/reader.js';

export type NumberArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array;
export type BigIntArray = BigInt64Array | BigUint64Array;
export type AnyTypedArray = NumberArray | BigIntArray;

export interface TypedArrayConstructor<T extends AnyTypedArray> {
  new (length: number): T;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): T;
  readonly BYTES_PER_ELEMENT: number;
}

/** True for every TypedArray (Buffer included), false for DataView and everything else. */
export function isTypedArray(value: unknown): value is AnyTypedArray {
  return ArrayBuffer.isView(value) && !(value instanceof DataView);
}

/** The built-in TypedArray classes. */
export const TYPED_ARRAY_CLASSES = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
] as const;
export type TypedArrayClass = (typeof TYPED_ARRAY_CLASSES)[number];

const BY_TAG = new Map<string, TypedArrayClass>(TYPED_ARRAY_CLASSES.map((c) => [c.name, c]));

/** The built-in class of a TypedArray, seeing through subclasses (a Buffer is a Uint8Array). */
export function typedArrayClass(values: AnyTypedArray): TypedArrayClass {
  return BY_TAG.get(values[Symbol.toStringTag])!;
}

/**
 * Sets `object[key]` as an own, enumerable property whatever the key. Keys that come from the wire (JSON paths,
 * tuple element names, column names) must never name a prototype: assigning `__proto__` would run
 * Object.prototype's setter and replace the object's prototype (and a path walked through it would write into
 * Object.prototype itself). `__proto__` is the only accessor an ordinary object inherits, so every other key is a
 * plain assignment; `__proto__` becomes an own property, as JSON.parse makes it.
 */
export function setOwn(object: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
  else object[key] = value;
}

/** `object[key]` when it is the object's own property, else undefined (never an inherited member). */
export function getOwn(object: object, key: string): unknown {
  return Object.hasOwn(object, key) ? (object as Record<string, unknown>)[key] : undefined;
}

/** True for an object made by `{}` or `Object.create(null)`, and never for Object.prototype itself. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || (proto === null && v !== Object.prototype);
}

/** A short description of a value for an error message: `number 1.5`, `string "abc"`, `object Map`. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  switch (typeof value) {
    case 'string':
      return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
    case 'number':
    case 'boolean':
      return `${typeof value} ${String(value)}`;
    case 'bigint':
      return `bigint ${value}n`;
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
    default: {
      const name = (value as object).constructor?.name;
      return name ? `object ${name}` : 'object';
    }
  }
}

/**
 * Reads `rows` fixed-width values as a TypedArray: a view of the reader's buffer when the byte offset is aligned
 * (no copy), else one copy. The reader's chunks are never written to after they are pushed, so the view stays
 * valid; it keeps the chunk alive as long as the values are referenced.
 */
export async function readTypedArray<T extends AnyTypedArray>(
  reader: ByteReader,
  rows: number,
  Ctor: TypedArrayConstructor<T>,
): Promise<T> {
  const size = Ctor.BYTES_PER_ELEMENT;
  const bytes = await reader.takeAligned(rows * size, size);
  if (bytes.byteOffset % size === 0) return new Ctor(bytes.buffer, bytes.byteOffset, rows);
  // Unaligned: copied into memory of its own, which is not zeroed first (every byte is overwritten); an ArrayBuffer
  // of its own starts aligned for any element size.
  const copy = Buffer.allocUnsafeSlow(bytes.length);
  copy.set(bytes);
  return new Ctor(copy.buffer, copy.byteOffset, rows);
}

/** The host's byte order; the bulk TypedArray paths assume the wire's little endian. */
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
