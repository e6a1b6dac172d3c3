/**
 * DateTime64(p), DateTime64(p, 'tz') (docs/protocol.md §6.2): Int64 ticks of 10^-p seconds since the epoch (p = 0…9),
 * negative before 1970. The zone is only in the type name.
 *
 * Read (lossless either way):
 *   - p ≤ 3: a Date (milliseconds hold every tick);
 *   - p > 3: an ISO 8601 UTC string with exactly p fraction digits, '2024-03-01T12:34:56.123456789Z'
 *     (`new Date(text)` is the millisecond-precision convenience).
 * Write:
 *   - a Date (its milliseconds; below p = 3 the extra digits are dropped, as DateTime drops them);
 *   - a string 'YYYY-MM-DD hh:mm:ss[.fraction]' with an optional 'T' and offset ('Z', '+02:00'); without an
 *     offset it is wall-clock time in the column's zone (UTC when the type has none), as for DateTime. More than
 *     p non-zero fraction digits is an error;
 *   - a number of Unix seconds, fractions allowed up to p decimal places ('1.5' for 1.5 s; never rounded);
 *   - a bigint: the raw tick count.
 */
import { InvalidValueError } from '../errors.js';
import type { ByteReader } from '../protocol/reader.js';
import type { ByteWriter } from '../protocol/writer.js';
import { BaseCodec, ZERO, type ColumnCodec, type ColumnValues } from './codec.js';
import { civilDays, DATE_TIME } from './dates.js';
import { parseDecimal } from './decimal.js';
import { badType, integerArg, type CodecFactory } from './factory.js';
import { wallClockToUtc } from './time-zone.js';
import { describe } from './values.js';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Unix seconds and the fraction digits of a date-time string, or undefined when it is not one. Strings without
 * an offset are wall-clock time in `timeZone` (UTC when undefined). Throws InvalidValueError for an unknown zone.
 */
export function parseDateTimeText(
  text: string,
  timeZone: string | undefined,
  row: number,
): { seconds: number; fraction: string } | undefined {
  const m = DATE_TIME.exec(text);
  const days = m ? civilDays(Number(m[1]), Number(m[2]), Number(m[3])) : undefined;
  const hour = Number(m?.[4] ?? 0);
  const minute = Number(m?.[5] ?? 0);
  const second = Number(m?.[6] ?? 0);
  if (!m || days === undefined || hour > 23 || minute > 59 || second > 59) return undefined;
  const wallClock = days * 86400 + hour * 3600 + minute * 60 + second;
  const fraction = m[7] ?? '';
  const zone = m[8];
  if (zone !== undefined) {
    if (zone === 'Z' || zone === 'z') return { seconds: wallClock, fraction };
    const digits = zone.replace(':', '');
    const offsetHours = Number(digits.slice(1, 3));
    const offsetMinutes = Number(digits.slice(3, 5) || 0);
    if (offsetHours > 23 || offsetMinutes > 59) return undefined;
    const offset = (offsetHours * 3600 + offsetMinutes * 60) * (digits[0] === '-' ? -1 : 1);
    return { seconds: wallClock - offset, fraction };
  }
  if (timeZone === undefined) return { seconds: wallClock, fraction };
  try {
    return { seconds: wallClockToUtc(timeZone, wallClock), fraction };
  } catch (error) {
    if (error instanceof RangeError) {
      throw new InvalidValueError(
        `the time zone '${timeZone}' is unknown to this JavaScript runtime; give the time with an offset`,
        { row },
      );
    }
    throw error;
  }
}

export class DateTime64Codec extends BaseCodec implements ColumnCodec {
  override readonly flat = true;
  private readonly perSecond: bigint;

  constructor(
    readonly type: string,
    readonly precision: number,
    private readonly timeZone: string | undefined,
  ) {
    super();
    this.perSecond = 10n ** BigInt(precision);
  }

  async read(reader: ByteReader, rows: number): Promise<(Date | string)[]> {
    const buf = await reader.take(rows * 8);
    let pos = 0;
    const p = this.precision;
    const out = new Array<Date | string>(rows);
    if (p <= 3) {
      const msPerTick = 10 ** (3 - p);
      for (let i = 0; i < rows; i++, pos += 8) {
        const low = buf.readUInt32LE(pos);
        const high = buf.readInt32LE(pos + 4);
        out[i] = new Date((high * 0x100000000 + low) * msPerTick);
      }
    } else {
      const perSecond = this.perSecond;
      for (let i = 0; i < rows; i++, pos += 8) {
        const ticks = buf.readBigInt64LE(pos);
        let seconds = ticks / perSecond;
        let fraction = ticks % perSecond;
        if (fraction < 0n) {
          fraction += perSecond;
          seconds -= 1n;
        }
        const whole = new Date(Number(seconds) * 1000).toISOString();
        out[i] = `${whole.slice(0, whole.length - 5)}.${fraction.toString().padStart(p, '0')}Z`;
      }
    }
    return out;
  }

  write(writer: ByteWriter, values: ColumnValues, rows: number): void {
    const region = writer.claim(rows * 8);
    for (let i = 0; i < rows; i++) region.writeBigInt64LE(this.ticks(values[i], i), i * 8);
  }

  private ticks(v: unknown, row: number): bigint {
    const p = this.precision;
    let ticks: bigint;
    if (v instanceof Date) {
      const ms = v.getTime();
      if (Number.isNaN(ms)) throw new InvalidValueError('Invalid Date', { row });
      ticks = p >= 3 ? BigInt(ms) * 10n ** BigInt(p - 3) : BigInt(Math.floor(ms / 10 ** (3 - p)));
    } else if (typeof v === 'bigint') {
      ticks = v;
    } else if (typeof v === 'number') {
      const parsed = Number.isFinite(v) ? parseDecimal(String(v), p) : `${v} is not a finite number of seconds`;
      if (typeof parsed === 'string') throw new InvalidValueError(`${parsed} (Unix seconds for ${this.type})`, { row });
      ticks = parsed;
    } else if (typeof v === 'string') {
      const parsed = parseDateTimeText(v, this.timeZone, row);
      if (!parsed) {
        throw new InvalidValueError(
          `${describe(v)} is not a date-time ('YYYY-MM-DD hh:mm:ss.fff', maybe with 'T' and an offset: 'Z', '+02:00')`,
          { row },
        );
      }
      const { seconds, fraction } = parsed;
      if (/[^0]/.test(fraction.slice(p))) {
        throw new InvalidValueError(`${describe(v)} has more than ${p} fraction digits (${this.type})`, { row });
      }
      const digits = fraction.slice(0, p).padEnd(p, '0');
      ticks = BigInt(seconds) * this.perSecond + (p > 0 ? BigInt(digits) : 0n);
    } else if (v === ZERO) {
      return 0n;
    } else {
      throw new InvalidValueError(
        `expected a Date, a date-time string, Unix seconds or a bigint of ticks, got ${describe(v)}`,
        { row },
      );
    }
    if (ticks < INT64_MIN || ticks > INT64_MAX) {
      throw new InvalidValueError(`${describe(v)} is outside the range of ${this.type}`, { row });
    }
    return ticks;
  }
}

export const dateTime64Family: CodecFactory = (node, type) => {
  if (node.args.length < 1 || node.args.length > 2 || (node.args[1] && node.args[1].kind !== 'string')) {
    throw badType(type, "DateTime64 takes a precision and an optional time zone: DateTime64(3, 'UTC')");
  }
  const zone = node.args[1];
  return new DateTime64Codec(type, integerArg(node, type, 0, 0, 9), zone?.kind === 'string' ? zone.value : undefined);
};
