/**
 * Nothing (docs/protocol.md §6.5): the type of `NULL` in `Nullable(Nothing)` and of the elements of `[]` in
 * `Array(Nothing)`. One byte per row that readers skip; the server writes '0' (0x30), and so do we.
 *
 * Read: null per row. Write: null per row (there is no other value).
 */
import { InvalidValueError } from '../errors.js';
import type { ByteReader } from '../protocol/reader.js';
import type { ByteWriter } from '../protocol/writer.js';
import { BaseCodec, ZERO, type ColumnCodec, type ColumnValues } from './codec.js';
import { expectNoArgs, type CodecFactory } from './factory.js';
import { describe } from './values.js';

const FILLER = 0x30;

export class NothingCodec extends BaseCodec implements ColumnCodec {
  constructor(readonly type: string) {
    super();
  }

  async read(reader: ByteReader, rows: number): Promise<null[]> {
    await reader.take(rows);
    return new Array<null>(rows).fill(null);
  }

  write(writer: ByteWriter, values: ColumnValues, rows: number): void {
    for (let i = 0; i < rows; i++) {
      const v = values[i];
      if (v !== null && v !== ZERO) {
        throw new InvalidValueError(`the Nothing type holds only NULL, got ${describe(v)}`, { row: i });
      }
    }
    writer.claim(rows).fill(FILLER);
  }
}

export const nothingFamily: CodecFactory = (node, type) => {
  expectNoArgs(node, type);
  return new NothingCodec(type);
};
