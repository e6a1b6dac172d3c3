import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { ByteReader } from '../../src/protocol/reader.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** ../shared beside the project checkout. */
export const SHARED = path.resolve(here, '../../../shared');

export function golden(relative: string): Buffer {
  return readFileSync(path.join(SHARED, 'golden/ch-go', relative));
}

/**
 * Decodes `bytes` delivered in pieces: the first `split` bytes, then the rest on a later tick, so the decoder
 * must wait for the socket in between.
 */
export async function decodeSplit<T>(bytes: Uint8Array, split: number, decode: (reader: ByteReader) => Promise<T>): Promise<T> {
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
