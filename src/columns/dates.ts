/**
 * Date and DateTime (docs/protocol.md §6.2).
 *
 * Date: UInt16 days since 1970-01-01 (1970-01-01 to 2149-06-06).
 *   Read: a Date at 00:00:00 UTC of that day.
 *   Write: a Date (its UTC calendar day; the time of day is dropped), an integer number of days, or a
 *   'YYYY-MM-DD' string.
 * DateTime, DateTime('tz'): UInt32 Unix seconds (1970-01-01 00:00:00 to 2106-02-07 06:28:15 UTC). The zone is only
 * in the type name: it does not change the bytes.
 *   Read: a Date.
 *   Write: a Date (milliseconds dropped), an integer number of Unix seconds, or a string:
 *     - ISO 8601 with an offset: '2024-03-01T12:00:00Z', '2024-03-01 12:00:00+05:30' (fractions dropped);
 *     - 'YYYY-MM-DD hh:mm:ss' (or 'T', or no seconds, or a bare date) without an offset: wall-clock time in the
 *       column's zone (DST from the runtime's Intl data; see time-zone.ts for skipped and repeated hours); a column
 *       without a zone reads it as UTC, NOT as the server's zone.
 * Out-of-range or malformed values are InvalidValueErrors.
 */
import { InvalidValueError } from '../errors.js';
import type { ByteReader } from '../protocol/reader.js';
import type { ByteWriter } from '../protocol/writer.js';
import { BaseCodec, ZERO, type ColumnCodec, type ColumnValues } from './codec.js';
import { badType, expectNoArgs, type CodecFactory } from './factory.js';
import { wallClockToUtc } from './time-zone.js';
import { describe } from './values.js';

const DAY_MS = 86_400_000;
const MAX_DATE = 0xffff;
const MAX_DATE_TIME = 0xffffffff;

export const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
export const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/** Days since the epoch of a valid calendar date, or undefined (2023-02-30 is not a date). */
export function civilDays(year: number, month: number, day: number): number | undefined {
  const ms = Date.UTC(year, month - 1, day);
  const check = new Date(ms);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
    return undefined;
  }
  return ms / DAY_MS;
}

export class DateCodec extends BaseCodec implements ColumnCodec {
  override readonly flat = true;
  constructor(readonly type: string) {
    super();
  }

  async read(reader: ByteReader, rows: number): Promise<Date[]> {
    const buf = await reader.take(rows * 2);
    let pos = 0;
    const out = new Array<Date>(rows);
    for (let i = 0; i < rows; i++, pos += 2) out[i] = new Date((buf[pos]! | (buf[pos + 1]! << 8)) * DAY_MS);
    return out;
  }

  write(writer: ByteWriter, values: ColumnValues, rows: number): void {
    if (values instanceof Uint16Array) {
      // Every UInt16 is a valid day number: the TypedArray is the wire layout, copied in bulk.
      writer.typedArray(values.length === rows ? values : values.subarray(0, rows));
      return;
    }
    const region = writer.claim(rows * 2);
    for (let i = 0; i < rows; i++) {
      const days = this.days(values[i], i);
      region[2 * i] = days & 0xff;
      region[2 * i + 1] = days >>> 8;
    }
  }

  private days(v: unknown, row: number): number {
    return dayOfValue(v, row, 0, MAX_DATE, 'Date range 1970-01-01 to 2149-06-06');
  }
}

/**
 * Days since 1970-01-01 of an insert value for Date or Date32: a Date (its UTC day), a whole number of days, or
 * 'YYYY-MM-DD'; outside [min, max] (the type's range, described by `range`) is an error.
 */
export function dayOfValue(v: unknown, row: number, min: number, max: number, range: string): number {
  let days: number;
  if (v instanceof Date) {
    const ms = v.getTime();
    if (Number.isNaN(ms)) throw new InvalidValueError('Invalid Date', { row });
    days = Math.floor(ms / DAY_MS);
  } else if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new InvalidValueError(`${v} is not a whole number of days`, { row });
    days = v;
  } else if (typeof v === 'string') {
    const m = DATE_ONLY.exec(v);
    const parsed = m ? civilDays(Number(m[1]), Number(m[2]), Number(m[3])) : undefined;
    if (parsed === undefined) throw new InvalidValueError(`${describe(v)} is not a date as 'YYYY-MM-DD'`, { row });
    days = parsed;
  } else if (v === ZERO) {
    return 0;
  } else {
    throw new InvalidValueError(`expected a Date, a number of days or a 'YYYY-MM-DD' string, got ${describe(v)}`, {
      row,
    });
  }
  if (days < min || days > max) throw new InvalidValueError(`${describeDay(days)} is outside the ${range}`, { row });
  return days;
}

function describeDay(days: number): string {
  const d = new Date(days * DAY_MS);
  return Number.isNaN(d.getTime()) ? `day ${days}` : d.toISOString().slice(0, 10);
}

export class DateTimeCodec extends BaseCodec implements ColumnCodec {
  override readonly flat = true;
  constructor(
    readonly type: string,
    /** The zone in the type name, or undefined: then strings without an offset are UTC. */
    private readonly timeZone: string | undefined,
  ) {
    super();
  }

  async read(reader: ByteReader, rows: number): Promise<Date[]> {
    const buf = await reader.take(rows * 4);
    let pos = 0;
    const out = new Array<Date>(rows);
    for (let i = 0; i < rows; i++, pos += 4) {
      const seconds = (buf[pos]! | (buf[pos + 1]! << 8) | (buf[pos + 2]! << 16)) + buf[pos + 3]! * 0x1000000;
      out[i] = new Date(seconds * 1000);
    }
    return out;
  }

  write(writer: ByteWriter, values: ColumnValues, rows: number): void {
    if (values instanceof Uint32Array) {
      // Every UInt32 is a valid DateTime: the TypedArray is the wire layout, copied in bulk.
      writer.typedArray(values.length === rows ? values : values.subarray(0, rows));
      return;
    }
    const region = writer.claim(rows * 4);
    for (let i = 0; i < rows; i++) {
      const s = this.seconds(values[i], i);
      const at = 4 * i;
      region[at] = s & 0xff;
      region[at + 1] = (s >>> 8) & 0xff;
      region[at + 2] = (s >>> 16) & 0xff;
      region[at + 3] = s >>> 24;
    }
  }

  private seconds(v: unknown, row: number): number {
    let seconds: number;
    if (v instanceof Date) {
      const ms = v.getTime();
      if (Number.isNaN(ms)) throw new InvalidValueError('Invalid Date', { row });
      seconds = Math.floor(ms / 1000);
    } else if (typeof v === 'number') {
      if (!Number.isInteger(v)) throw new InvalidValueError(`${v} is not a whole number of seconds`, { row });
      seconds = v;
    } else if (typeof v === 'string') {
      seconds = this.parse(v, row);
    } else if (v === ZERO) {
      return 0;
    } else {
      throw new InvalidValueError(`expected a Date, Unix seconds or a date-time string, got ${describe(v)}`, { row });
    }
    if (seconds < 0 || seconds > MAX_DATE_TIME) {
      const shown = Math.abs(seconds) < 8.64e12 ? new Date(seconds * 1000).toISOString() : String(seconds);
      const range = '1970-01-01T00:00:00Z to 2106-02-07T06:28:15Z';
      throw new InvalidValueError(`${shown} is outside the DateTime range ${range}`, { row });
    }
    return seconds;
  }

  private parse(text: string, row: number): number {
    const m = DATE_TIME.exec(text);
    const days = m ? civilDays(Number(m[1]), Number(m[2]), Number(m[3])) : undefined;
    const hour = Number(m?.[4] ?? 0);
    const minute = Number(m?.[5] ?? 0);
    const second = Number(m?.[6] ?? 0);
    if (!m || days === undefined || hour > 23 || minute > 59 || second > 59) {
      throw new InvalidValueError(
        `${describe(text)} is not a date-time ('YYYY-MM-DD hh:mm:ss', maybe with 'T' and an offset: 'Z', '+02:00')`,
        { row },
      );
    }
    const wallClock = days * 86400 + hour * 3600 + minute * 60 + second;
    const zone = m[8];
    if (zone !== undefined) {
      if (zone === 'Z' || zone === 'z') return wallClock;
      const digits = zone.replace(':', '');
      const offsetHours = Number(digits.slice(1, 3));
      const offsetMinutes = Number(digits.slice(3, 5) || 0);
      if (offsetHours > 23 || offsetMinutes > 59) {
        throw new InvalidValueError(`${describe(text)} has a bad offset`, { row });
      }
      const offset = (offsetHours * 3600 + offsetMinutes * 60) * (digits[0] === '-' ? -1 : 1);
      return wallClock - offset;
    }
    if (this.timeZone === undefined) return wallClock;
    try {
      return wallClockToUtc(this.timeZone, wallClock);
    } catch (error) {
      if (error instanceof RangeError) {
        throw new InvalidValueError(
          `the time zone '${this.timeZone}' is unknown to this JavaScript runtime; give the time with an offset`,
          { row },
        );
      }
      throw error;
    }
  }
}

export const dateFamily: CodecFactory = (node, type) => {
  expectNoArgs(node, type);
  return new DateCodec(type);
};

export const dateTimeFamily: CodecFactory = (node, type) => {
  const arg = node.args[0];
  if (node.args.length > 1 || (arg && arg.kind !== 'string')) {
    throw badType(type, "DateTime takes at most one argument, the time zone as a string: DateTime('UTC')");
  }
  return new DateTimeCodec(type, arg?.kind === 'string' ? arg.value : undefined);
};
