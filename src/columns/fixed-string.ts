/**
 * FixedString(N) (docs/protocol.md §6.4): exactly N bytes per row, no length, shorter values right-padded with 0x00.
 *
 * Read: a Buffer of N bytes per row (lossless: trailing zero bytes are kept; a view of the reader's buffer).
 * Write: a string (UTF-8) or a Uint8Array/Buffer of at most N bytes, right-padded with zero bytes; longer is an
 * error, never a silent truncation.
 */
import { InvalidValueError } from '../errors.js';
import type { ByteReader } from '../protocol/reader.js';
import type { ByteWriter } from '../protocol/writer.js';
import { BaseCodec, ZERO, type ColumnCodec, type ColumnValues } from './codec.js';
import { integerArg, badType, type CodecFactory } from './factory.js';
import { describe } from './values.js';

/** Strings up to this many characters are tried as ASCII by a JS loop (the writer's crossover, writer.ts). */
const SHORT_STRING = 24;

/** ClickHouse's own limit (MAX_FIXEDSTRING_SIZE). */
const MAX_FIXED_STRING = 0xffffff;

export class FixedStringCodec extends BaseCodec implements ColumnCodec {
  override readonly flat = true;
  constructor(
    readonly type: string,
    private readonly size: number,
  ) {
    super();
  }

  async read(reader: ByteReader, rows: number): Promise<Buffer[]> {
    const n = this.size;
    const buf = await reader.take(rows * n);
    let pos = 0;
    const out: Buffer[] = new Array<Buffer>(rows);
    for (let i = 0; i < rows; i++, pos += n) out[i] = buf.subarray(pos, pos + n);
    return out;
  }

  write(writer: ByteWriter, values: ColumnValues, rows: number): void {
    const n = this.size;
    const region = writer.claim(rows * n);
    region.fill(0);
    for (let i = 0, at = 0; i < rows; i++, at += n) {
      const v = values[i];
      if (typeof v === 'string') {
        const length = v.length;
        if (length <= SHORT_STRING && length <= n) {
          // Copied by this loop while ASCII: a native write costs ~50 ns a call, several times a few characters'
          // worth. The first other character falls through to the UTF-8 write, which rewrites the value whole.
          let k = 0;
          for (; k < length; k++) {
            const c = v.charCodeAt(k);
            if (c >= 0x80) break;
            region[at + k] = c;
          }
          if (k === length) continue;
        }
        // A UTF-16 unit is at least one UTF-8 byte and at most three: measure only when the length is unclear.
        if (v.length * 3 > n && (v.length > n || Buffer.byteLength(v, 'utf8') > n)) {
          throw new InvalidValueError(
            `the string is ${Buffer.byteLength(v, 'utf8')} bytes in UTF-8; FixedString(${n}) holds at most ${n}`,
            { row: i },
          );
        }
        region.write(v, at, n, 'utf8');
      } else if (v instanceof Uint8Array) {
        if (v.length > n) {
          throw new InvalidValueError(`${v.length} bytes given; FixedString(${n}) holds at most ${n}`, { row: i });
        }
        region.set(v, at);
      } else if (v !== ZERO) {
        throw new InvalidValueError(`expected a string or a Uint8Array, got ${describe(v)}`, { row: i });
      }
    }
  }
}

export const fixedStringFamily: CodecFactory = (node, type) => {
  if (node.args.length !== 1) throw badType(type, 'FixedString takes one argument, the size in bytes');
  return new FixedStringCodec(type, integerArg(node, type, 0, 1, MAX_FIXED_STRING));
};
