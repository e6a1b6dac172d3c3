/**
 * UInt128, Int128, UInt256, Int256 (docs/protocol.md §6.2): 16 or 32 bytes per row, little endian (least significant
 * 64-bit limb first, each limb little endian), two's complement for the signed types.
 *
 * Read: bigint[] (lossless).
 * Write: a bigint, a safe-integer number, a decimal integer string (`'-170141183460469231731687303715884105728'`)
 * or true/false; out of range is an InvalidValueError. Also used by Decimal128/256 for their unscaled values.
 */
import { InvalidValueError } from '../errors.js';
import type { ByteReader } from '../protocol/reader.js';
import type { ByteWriter } from '../protocol/writer.js';
import { BaseCodec, ZERO, type ColumnCodec, type ColumnValues } from './codec.js';
import { expectNoArgs, type CodecFactory } from './factory.js';
import { describe } from './values.js';

const DECIMAL_INTEGER = /^[-+]?\d+$/;

/** Reads one little-endian integer of `limbs` 64-bit limbs at `pos` (unsigned). */
export function readWideUnsigned(buf: Buffer, pos: number, limbs: number): bigint {
  // Limbs as two 32-bit halves each: BigInt arithmetic only once per half.
  let value = 0n;
  for (let l = limbs - 1; l >= 0; l--) {
    const at = pos + l * 8;
    const low = buf.readUInt32LE(at);
    const high = buf.readUInt32LE(at + 4);
    value = (value << 64n) | (BigInt(high) << 32n) | BigInt(low);
  }
  return value;
}

/** Writes `value` (already in range, two's complement for negatives) as `limbs` 64-bit limbs at `at`. */
export function writeWide(out: Buffer, at: number, value: bigint, limbs: number): void {
  let v = BigInt.asUintN(limbs * 64, value);
  for (let l = 0; l < limbs; l++) {
    out.writeBigUInt64LE(v & 0xffffffffffffffffn, at + l * 8);
    v >>= 64n;
  }
}

/** A bigint from what a wide integer column accepts, or undefined for a value of the wrong kind. */
export function toBigInt(v: unknown): bigint | undefined {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return Number.isSafeInteger(v) ? BigInt(v) : undefined;
  if (typeof v === 'string') return DECIMAL_INTEGER.test(v) ? BigInt(v) : undefined;
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (v === ZERO) return 0n;
  return undefined;
}

/**
 * The bigint of an insert value for a 64-bit or wider integer column, range-checked. Numbers must be safe
 * integers: a larger one may already have lost precision, so it is refused rather than guessed.
 */
export function bigIntInRange(v: unknown, row: number, name: string, min: bigint, max: bigint): bigint {
  const big = toBigInt(v);
  if (big === undefined) {
    if (typeof v === 'number') {
      if (!Number.isInteger(v)) throw new InvalidValueError(`${v} is not an integer (${name})`, { row });
      throw new InvalidValueError(`${v} is beyond 2^53 and may have lost precision; pass a bigint or a string`, {
        row,
      });
    }
    throw new InvalidValueError(`expected a bigint, an integer or a decimal string for ${name}, got ${describe(v)}`, {
      row,
    });
  }
  if (big < min || big > max)
    throw new InvalidValueError(`${big} is out of range for ${name} (${min} to ${max})`, { row });
  return big;
}

export type WideIntegerName = 'UInt128' | 'Int128' | 'UInt256' | 'Int256';

export class WideIntegerCodec extends BaseCodec implements ColumnCodec {
  override readonly flat = true;
  private readonly limbs: number;
  private readonly size: number;
  private readonly signed: boolean;
  readonly min: bigint;
  readonly max: bigint;

  constructor(
    readonly type: string,
    private readonly name: WideIntegerName,
  ) {
    super();
    const bits = name.endsWith('128') ? 128 : 256;
    this.limbs = bits / 64;
    this.size = bits / 8;
    this.signed = name.startsWith('Int');
    this.min = this.signed ? -(1n << BigInt(bits - 1)) : 0n;
    this.max = this.signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
  }

  async read(reader: ByteReader, rows: number): Promise<bigint[]> {
    const size = this.size;
    const buf = await reader.take(rows * size);
    let pos = 0;
    const limbs = this.limbs;
    const bits = limbs * 64;
    const out = new Array<bigint>(rows);
    for (let i = 0; i < rows; i++, pos += size) {
      const u = readWideUnsigned(buf, pos, limbs);
      out[i] = this.signed ? BigInt.asIntN(bits, u) : u;
    }
    return out;
  }

  write(writer: ByteWriter, values: ColumnValues, rows: number): void {
    const size = this.size;
    const region = writer.claim(rows * size);
    for (let i = 0; i < rows; i++) writeWide(region, i * size, this.check(values[i], i), this.limbs);
  }

  private check(v: unknown, row: number): bigint {
    return bigIntInRange(v, row, this.name, this.min, this.max);
  }
}

export function wideIntegerFamily(name: WideIntegerName): CodecFactory {
  return (node, type) => {
    expectNoArgs(node, type);
    return new WideIntegerCodec(type, name);
  };
}
