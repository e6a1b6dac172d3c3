/**
 * Decimal(P, S), Decimal32(S), Decimal64(S), Decimal128(S), Decimal256(S) (docs/protocol.md §6.2): the unscaled value
 * (value × 10^S) as a little-endian two's complement integer of 4 (P ≤ 9), 8 (P ≤ 18), 16 (P ≤ 38) or 32 bytes.
 *
 * Read: a decimal string with exactly S fraction digits, e.g. '-12.50' for Decimal(10, 2): lossless, and what
 * ClickHouse prints. `Number(value)` is the lossy convenience.
 * Write:
 *   - a decimal string ('12.5', '-0.001', '+3', '1.5e3', '.5');
 *   - a number: its shortest round-trip text (`String(0.1)` = '0.1'), so 0.1 is exactly 0.1, not 0.1000000000000000055;
 *   - a bigint: an integer value (scaled by 10^S).
 * A value with more than S fraction digits (other than trailing zeros), or with more than P digits in all, is an
 * InvalidValueError: nothing is rounded or truncated silently.
 */
import { InvalidValueError } from '../errors.js';
import type { ByteReader } from '../protocol/reader.js';
import type { ByteWriter } from '../protocol/writer.js';
import { BaseCodec, ZERO, type ColumnCodec, type ColumnValues } from './codec.js';
import { badType, integerArg, type CodecFactory } from './factory.js';
import { describe } from './values.js';
import { readWideUnsigned, writeWide } from './wide-integers.js';

const DECIMAL_TEXT = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** Formats an unscaled integer's decimal digits with `scale` fraction digits. */
export function formatDecimal(unscaled: bigint | number, scale: number): string {
  const negative = unscaled < 0;
  let digits = (negative ? -unscaled : unscaled).toString();
  if (scale > 0) {
    if (digits.length <= scale) digits = digits.padStart(scale + 1, '0');
    digits = `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  }
  return negative ? `-${digits}` : digits;
}

/**
 * The unscaled value of a decimal text at `scale`, or a string saying why it is not one. Exact: no rounding.
 */
export function parseDecimal(text: string, scale: number): bigint | string {
  const m = DECIMAL_TEXT.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return `${describe(text)} is not a decimal number`;
  const intPart = m[2]!;
  const fraction = m[3] ?? '';
  const exponent = m[4] === undefined ? 0 : Number(m[4]);
  if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > 1000) return `the exponent of ${text} is out of range`;
  // digits × 10^(exponent - fraction.length) × 10^scale
  let digits = (intPart + fraction).replace(/^0+(?=\d)/, '');
  let shift = scale + exponent - fraction.length;
  if (shift < 0) {
    const dropped = digits.slice(Math.max(0, digits.length + shift));
    if (/[^0]/.test(dropped)) return `${text} has more than ${scale} decimal places`;
    digits = digits.slice(0, Math.max(0, digits.length + shift)) || '0';
    shift = 0;
  }
  const unscaled = BigInt(digits + '0'.repeat(shift));
  return m[1] === '-' ? -unscaled : unscaled;
}

export class DecimalCodec extends BaseCodec implements ColumnCodec {
  override readonly flat = true;
  /** Bytes per value: 4, 8, 16 or 32. */
  private readonly size: number;
  private readonly limit: bigint;
  private readonly scaleFactor: bigint;

  constructor(
    readonly type: string,
    readonly precision: number,
    readonly scale: number,
  ) {
    super();
    this.size = precision <= 9 ? 4 : precision <= 18 ? 8 : precision <= 38 ? 16 : 32;
    this.limit = 10n ** BigInt(precision);
    this.scaleFactor = 10n ** BigInt(scale);
  }

  async read(reader: ByteReader, rows: number): Promise<string[]> {
    const size = this.size;
    const buf = await reader.take(rows * size);
    let pos = 0;
    const scale = this.scale;
    const out = new Array<string>(rows);
    if (size === 4) {
      for (let i = 0; i < rows; i++, pos += 4) out[i] = formatDecimal(buf.readInt32LE(pos), scale);
    } else if (size === 8) {
      for (let i = 0; i < rows; i++, pos += 8) {
        const low = buf.readUInt32LE(pos);
        const high = buf.readInt32LE(pos + 4);
        // Exact as a number while |high| < 2^21 (below 2^53); otherwise through a bigint.
        const unscaled: number | bigint =
          high >= -0x200000 && high < 0x200000 ? high * 0x100000000 + low : buf.readBigInt64LE(pos);
        out[i] = formatDecimal(unscaled, scale);
      }
    } else {
      const limbs = size / 8;
      const bits = size * 8;
      for (let i = 0; i < rows; i++, pos += size) {
        out[i] = formatDecimal(BigInt.asIntN(bits, readWideUnsigned(buf, pos, limbs)), scale);
      }
    }
    return out;
  }

  write(writer: ByteWriter, values: ColumnValues, rows: number): void {
    const size = this.size;
    const region = writer.claim(rows * size);
    for (let i = 0; i < rows; i++) {
      const unscaled = this.unscaled(values[i], i);
      const at = i * size;
      if (size === 4) region.writeInt32LE(Number(unscaled), at);
      else if (size === 8) region.writeBigInt64LE(unscaled, at);
      else writeWide(region, at, unscaled, size / 8);
    }
  }

  private unscaled(v: unknown, row: number): bigint {
    let unscaled: bigint | string;
    if (typeof v === 'string') unscaled = parseDecimal(v, this.scale);
    else if (typeof v === 'number') {
      unscaled = Number.isFinite(v) ? parseDecimal(String(v), this.scale) : `${v} is not a finite number`;
    } else if (typeof v === 'bigint') unscaled = v * this.scaleFactor;
    else if (v === ZERO) return 0n;
    else {
      throw new InvalidValueError(
        `expected a decimal string, a number or a bigint for ${this.type}, got ${describe(v)}`,
        {
          row,
        },
      );
    }
    if (typeof unscaled === 'string') {
      throw new InvalidValueError(unscaled, { row });
    }
    if (unscaled >= this.limit || unscaled <= -this.limit) {
      throw new InvalidValueError(`${describe(v)} has more than ${this.precision} digits (${this.type})`, { row });
    }
    return unscaled;
  }
}

/** The precision of Decimal32/64/128/256. */
const SIZED: Record<string, number> = { Decimal32: 9, Decimal64: 18, Decimal128: 38, Decimal256: 76 };

export const decimalFamily: CodecFactory = (node, type) => {
  const sized = SIZED[node.name];
  if (sized !== undefined) {
    if (node.args.length !== 1) throw badType(type, `${node.name} takes one argument, the scale`);
    return new DecimalCodec(type, sized, integerArg(node, type, 0, 0, sized));
  }
  if (node.args.length < 1 || node.args.length > 2) {
    throw badType(type, 'Decimal takes the precision and the scale: Decimal(P, S)');
  }
  const precision = integerArg(node, type, 0, 1, 76);
  const scale = node.args.length === 2 ? integerArg(node, type, 1, 0, precision) : 0;
  return new DecimalCodec(type, precision, scale);
};
