/**
 * The UInt64 cumulative end offsets that Array, Map and Nested write before their elements (docs/protocol.md §6.8),
 * shared by the composite codecs that are not ArrayCodec itself.
 */
import { InvalidValueError, ProtocolError } from '../errors.js';
import type { ByteReader } from '../protocol/reader.js';
import type { ByteWriter } from '../protocol/writer.js';

/**
 * Reads `rows` offsets. They must not decrease, and the total must stay within `reader.limits.maxArrayElements`
 * (checked before any element is read, so a lying offset allocates nothing).
 */
export async function readOffsets(reader: ByteReader, rows: number, type: string): Promise<Uint32Array> {
  const buf = await reader.take(rows * 8);
  const first = reader.offset - buf.length;
  const cap = Math.min(reader.limits.maxArrayElements, 2 ** 32 - 1);
  const ends = new Uint32Array(rows);
  let previous = 0;
  for (let i = 0, pos = 0; i < rows; i++, pos += 8) {
    const low = buf.readUInt32LE(pos);
    const high = buf.readUInt32LE(pos + 4);
    const at = first + pos;
    if (high !== 0 || low > cap) {
      const claimed = BigInt(high) * 2n ** 32n + BigInt(low);
      throw new ProtocolError(`${type} offset of row ${i} at byte ${at} claims ${claimed} elements; the cap is ${cap}`);
    }
    if (low < previous)
      throw new ProtocolError(`${type} offsets decrease at row ${i} (byte ${at}): ${low} after ${previous}`);
    ends[i] = previous = low;
  }
  return ends;
}

/** Writes cumulative offsets from per-row lengths given by `lengthOf` (which throws for a bad row). */
export function writeOffsets(writer: ByteWriter, rows: number, lengthOf: (row: number) => number): number {
  const region = writer.claim(rows * 8);
  let total = 0;
  for (let i = 0; i < rows; i++) {
    total += lengthOf(i);
    if (total > 2 ** 32 - 1) {
      throw new InvalidValueError(`the column holds more than ${2 ** 32 - 1} elements`, { row: i });
    }
    region.writeUInt32LE(total, i * 8);
    region.writeUInt32LE(0, i * 8 + 4);
  }
  return total;
}
