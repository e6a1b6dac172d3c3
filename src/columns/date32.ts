/**
 * Date32 (docs/protocol.md §6.2): Int32 days since 1970-01-01, negative before it; ClickHouse's range is 1900-01-01 to
 * 2299-12-31.
 *
 * Read: a Date at 00:00:00 UTC of that day.
 * Write: a Date (its UTC calendar day), an integer number of days, or a 'YYYY-MM-DD' string.
 */
import type { ByteReader } from '../protocol/reader.js';
import type { ByteWriter } from '../protocol/writer.js';
import { BaseCodec, type ColumnCodec, type ColumnValues } from './codec.js';
import { dayOfValue } from './dates.js';
import { expectNoArgs, type CodecFactory } from './factory.js';

const DAY_MS = 86_400_000;
/** 1900-01-01 and 2299-12-31 in days since the epoch. */
const MIN_DATE32 = -25_567;
const MAX_DATE32 = 120_529;

export class Date32Codec extends BaseCodec implements ColumnCodec {
  override readonly flat = true;
  constructor(readonly type: string) {
    super();
  }

  async read(reader: ByteReader, rows: number): Promise<Date[]> {
    const buf = await reader.take(rows * 4);
    let pos = 0;
    const out = new Array<Date>(rows);
    for (let i = 0; i < rows; i++, pos += 4) {
      out[i] = new Date((buf[pos]! | (buf[pos + 1]! << 8) | (buf[pos + 2]! << 16) | (buf[pos + 3]! << 24)) * DAY_MS);
    }
    return out;
  }

  write(writer: ByteWriter, values: ColumnValues, rows: number): void {
    const region = writer.claim(rows * 4);
    for (let i = 0; i < rows; i++) region.writeInt32LE(this.days(values[i], i), i * 4);
  }

  private days(v: unknown, row: number): number {
    return dayOfValue(v, row, MIN_DATE32, MAX_DATE32, 'Date32 range 1900-01-01 to 2299-12-31');
  }
}

export const date32Family: CodecFactory = (node, type) => {
  expectNoArgs(node, type);
  return new Date32Codec(type);
};
