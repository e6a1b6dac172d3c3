/**
 * BFloat16 (docs/protocol.md §6.2): two bytes per row, the upper 16 bits of the Float32 bit pattern, little endian.
 *
 * Read: a Float32Array (every BFloat16 is exactly a Float32, so nothing is lost).
 * Write: numbers (or a Float32Array / Float64Array). Like ClickHouse's Float32 → BFloat16 conversion, the low 16
 * bits of the Float32 pattern are dropped (rounding toward zero), so values read from a BFloat16 column are written
 * back unchanged. NaN stays NaN.
 */
import { InvalidValueError } from '../errors.js';
import type { ByteReader } from '../protocol/reader.js';
import type { ByteWriter } from '../protocol/writer.js';
import { BaseCodec, ZERO, type ColumnCodec, type ColumnValues } from './codec.js';
import { expectNoArgs, type CodecFactory } from './factory.js';
import { describe } from './values.js';

const CHUNK = 8192;
const scratchFloats = new Float32Array(CHUNK);
const scratchBits = new Uint32Array(scratchFloats.buffer);

export class BFloat16Codec extends BaseCodec implements ColumnCodec {
  override readonly flat = true;
  override readonly typedArray = Float32Array;

  constructor(readonly type: string) {
    super();
  }

  async read(reader: ByteReader, rows: number): Promise<Float32Array> {
    const buf = await reader.take(rows * 2);
    let pos = 0;
    const out = new Float32Array(rows);
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < rows; i++, pos += 2) bits[i] = (buf[pos]! | (buf[pos + 1]! << 8)) << 16;
    return out;
  }

  write(writer: ByteWriter, values: ColumnValues, rows: number): void {
    const region = writer.claim(rows * 2);
    for (let start = 0; start < rows; start += CHUNK) {
      const n = Math.min(CHUNK, rows - start);
      for (let i = 0; i < n; i++) {
        const v = values[start + i];
        if (typeof v === 'number') scratchFloats[i] = v;
        else if (v === ZERO) scratchFloats[i] = 0;
        else throw new InvalidValueError(`expected a number for BFloat16, got ${describe(v)}`, { row: start + i });
      }
      for (let i = 0, at = start * 2; i < n; i++, at += 2) {
        const high = scratchBits[i]! >>> 16;
        region[at] = high & 0xff;
        region[at + 1] = high >>> 8;
      }
    }
  }
}

export const bfloat16Family: CodecFactory = (node, type) => {
  expectNoArgs(node, type);
  return new BFloat16Codec(type);
};
