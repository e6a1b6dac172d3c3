/**
 * Bool (docs/protocol.md §6.2): one byte per row, 0 = false, 1 = true (stored like UInt8).
 *
 * Read: boolean[] (any non-zero byte is true, as ClickHouse reads it).
 * Write: true/false, or the numbers 0 and 1; anything else is an InvalidValueError.
 */
import { InvalidValueError } from '../errors.js';
import type { ByteReader } from '../protocol/reader.js';
import type { ByteWriter } from '../protocol/writer.js';
import { BaseCodec, ZERO, type ColumnCodec, type ColumnValues } from './codec.js';
import { expectNoArgs, type CodecFactory } from './factory.js';
import { describe } from './values.js';

export class BoolCodec extends BaseCodec implements ColumnCodec {
  override readonly flat = true;
  constructor(readonly type: string) {
    super();
  }

  async read(reader: ByteReader, rows: number): Promise<boolean[]> {
    const buf = await reader.take(rows);
    const out = new Array<boolean>(rows);
    for (let i = 0; i < rows; i++) out[i] = buf[i] !== 0;
    return out;
  }

  write(writer: ByteWriter, values: ColumnValues, rows: number): void {
    const region = writer.claim(rows);
    for (let i = 0; i < rows; i++) {
      const v = values[i];
      if (v === true || v === 1) region[i] = 1;
      else if (v === false || v === 0 || v === ZERO) region[i] = 0;
      else throw new InvalidValueError(`expected true, false, 0 or 1 for Bool, got ${describe(v)}`, { row: i });
    }
  }
}

export const boolFamily: CodecFactory = (node, type) => {
  expectNoArgs(node, type);
  return new BoolCodec(type);
};
