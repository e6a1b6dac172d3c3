/**
 * Column-level encode/decode helpers for the codec tests: whole-column bytes (prefix + data, as in a block), and a
 * reader fed one byte per chunk by an async producer.
 */
import { readColumn as readCodecColumn, writeColumn, type ColumnValues } from '../../src/columns/codec.js';
import { getCodec } from '../../src/columns/registry.js';
import { ByteReader } from '../../src/protocol/reader.js';
import { ByteWriter } from '../../src/protocol/writer.js';
import { vector } from '../vectors.js';

/** The bytes a block carries for one column: its state prefix, then its data. */
export function encodeColumn(type: string, values: ColumnValues, rows = values.length): Buffer {
  const writer = new ByteWriter();
  writeColumn(writer, getCodec(type), values, rows);
  return Buffer.from(writer.finish());
}

/** Reads prefix + data of one column from `reader`. */
export async function readColumn(type: string, reader: ByteReader, rows: number): Promise<ColumnValues> {
  return readCodecColumn(reader, getCodec(type), rows);
}

/** Decodes a whole column and checks that every byte was consumed. */
export async function decodeColumn(type: string, bytes: Uint8Array, rows: number): Promise<ColumnValues> {
  const reader = ByteReader.from(bytes);
  const values = await readColumn(type, reader, rows);
  if (!reader.drained) throw new Error(`${reader.available} bytes left after decoding ${type}`);
  return values;
}

/**
 * A reader that gets `bytes` one byte per chunk, each pushed only when the reader starves (so every wait in a
 * decoder is exercised), from a producer running on later ticks.
 */
export function byteAtATimeReader(bytes: Uint8Array): ByteReader {
  const reader = new ByteReader();
  let next = 0;
  reader.onStarve = () => {
    setImmediate(() => {
      if (next < bytes.length) reader.push(Buffer.from([bytes[next++]!]));
      else reader.end();
    });
  };
  return reader;
}

/** A ch-go golden column body, from test/vectors/ch-go/proto/golden (see test/vectors/README.md). */
export function golden(name: string): Buffer {
  return vector('ch-go', `proto/golden/${name}.raw`);
}

/** Plain JS data for comparisons: TypedArrays and Buffers become arrays, nested rows too. */
export function plain(value: unknown): unknown {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    if (Buffer.isBuffer(value)) return `bytes:${value.toString('hex')}`;
    return Array.from(value as unknown as ArrayLike<unknown>);
  }
  if (Array.isArray(value)) return value.map(plain);
  return value;
}
