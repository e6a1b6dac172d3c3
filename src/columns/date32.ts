/**
 * Date32 (PROTOCOL.md §6.2): Int32 days since 1970-01-01, negative before it; ClickHouse's range is 1900-01-01 to
 * 2299-12-31.
 *
 * Read: a Date at 00:00:00 UTC of that day.
 * Write: a Date (its UTC calendar day), an integer number of days, or a 'YYYY-MM-DD' string.
 */
import { InvalidValueError } from '../errors.js';
import type { ByteReader } from '../protocol/reader.js';
import type { ByteWriter } from '../protocol/writer.js';
import { ZERO, type ColumnCodec, type ColumnValues } from './codec.js';
import { civilDays, DATE_ONLY } from './dates.js';
import { expectNoArgs, type CodecFactory } from './factory.js';
import { describe } from './values.js';

const DAY_MS = 86_400_000;
/** 1900-01-01 and 2299-12-31 in days since the epoch. */
const MIN_DATE32 = -25_567;
const MAX_DATE32 = 120_529;

export class Date32Codec implements ColumnCodec {
  constructor(readonly type: string) {}

  async read(reader: ByteReader, rows: number): Promise<Date[]> {
    await reader.ensure(rows * 4);
    const buf = reader.buf;
    let pos = reader.pos;
    const out = new Array<Date>(rows);
    for (let i = 0; i < rows; i++, pos += 4) {
      out[i] = new Date((buf[pos]! | (buf[pos + 1]! << 8) | (buf[pos + 2]! << 16) | (buf[pos + 3]! << 24)) * DAY_MS);
    }
    reader.pos = pos;
    return out;
  }

  write(writer: ByteWriter, values: ColumnValues, rows: number): void {
    const region = writer.claim(rows * 4);
    for (let i = 0; i < rows; i++) region.writeInt32LE(this.days(values[i], i), i * 4);
  }

  private days(v: unknown, row: number): number {
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
    if (days < MIN_DATE32 || days > MAX_DATE32) {
      const d = new Date(days * DAY_MS);
      const shown = Number.isNaN(d.getTime()) ? `day ${days}` : d.toISOString().slice(0, 10);
      throw new InvalidValueError(`${shown} is outside the Date32 range 1900-01-01 to 2299-12-31`, { row });
    }
    return days;
  }
}

export const date32Family: CodecFactory = (node, type) => {
  expectNoArgs(node, type);
  return new Date32Codec(type);
};
