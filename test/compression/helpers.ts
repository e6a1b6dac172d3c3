/** Shared helpers of the compression tests. */
import { cityHash128Into } from '../../src/compression/cityhash.js';
import { ByteReader } from '../../src/protocol/reader.js';
import { readFrame } from '../../src/compression/frame.js';
import { VECTORS } from '../vectors.js';

/** The test vectors in the repository: ch-go/compress/golden/*, cityhash/* (see test/vectors/README.md). */
export const GOLDEN = VECTORS;

/** Deterministic pseudo-random bytes, xorshift32 (so a failure reproduces). */
export function pseudoRandomBytes(n: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(n);
  let x = (seed * 0x9e3779b9) | 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x >>> 24;
  }
  return out;
}

/**
 * Half compressible, half random data: exercises real matches in LZ4/ZSTD and incompressible stretches alike.
 */
export function mixedBytes(n: number, seed = 1): Buffer {
  const out = pseudoRandomBytes(n, seed);
  for (let i = 0; i < n; i += 8192) out.fill(i & 0xff, i, Math.min(i + 4096, n));
  return out;
}

/**
 * A frame with any header fields and a *valid* checksum: for tests that must get past the checksum check.
 */
export function rawFrame(
  method: number,
  payload: Uint8Array,
  decompressedSize: number,
  compressedSize?: number,
): Buffer {
  const frame = Buffer.alloc(25 + payload.length);
  frame[16] = method;
  frame.writeUInt32LE(compressedSize ?? 9 + payload.length, 17);
  frame.writeUInt32LE(decompressedSize, 21);
  frame.set(payload, 25);
  cityHash128Into(frame, 16, frame.length, frame, 0);
  return frame;
}

/** Reads frames from `bytes` until they run out; returns the decompressed frames. */
export async function readAllFrames(bytes: Uint8Array): Promise<Buffer[]> {
  const reader = ByteReader.from(bytes);
  const out: Buffer[] = [];
  while (!reader.drained) out.push(await readFrame(reader));
  return out;
}

/** The rejection of `promise`, which must be an error. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}
