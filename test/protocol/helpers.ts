import { ByteReader } from '../../src/protocol/reader.js';
import { vector } from '../vectors.js';

/** A ch-go vector by its path in test/vectors/ch-go, e.g. 'proto/golden/client_hello.raw'. */
export function golden(relative: string): Buffer {
  return vector('ch-go', relative);
}

/**
 * Decodes `bytes` delivered in pieces: the first `split` bytes, then the rest on a later tick, so the decoder
 * must wait for the socket in between.
 */
export async function decodeSplit<T>(
  bytes: Uint8Array,
  split: number,
  decode: (reader: ByteReader) => Promise<T>,
): Promise<T> {
  const reader = new ByteReader();
  const result = decode(reader);
  reader.push(Buffer.from(bytes.subarray(0, split)));
  await new Promise((resolve) => setImmediate(resolve));
  reader.push(Buffer.from(bytes.subarray(split)));
  reader.end();
  return result;
}

/** Decodes `bytes` delivered one byte per chunk, each on its own tick. */
export async function decodeByteByByte<T>(bytes: Uint8Array, decode: (reader: ByteReader) => Promise<T>): Promise<T> {
  const reader = new ByteReader();
  const result = decode(reader);
  for (let i = 0; i < bytes.length; i++) {
    reader.push(Buffer.from(bytes.subarray(i, i + 1)));
    await Promise.resolve();
  }
  reader.end();
  return result;
}
