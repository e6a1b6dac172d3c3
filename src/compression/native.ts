/**
 * The optional native addon (native/clickhouse_native.c): LZ4 block compression and decompression and CityHash128
 * v1.0.2 in C, written into memory the caller provides. Why: with lz4-napi and the TypeScript CityHash, LZ4 decoding
 * was ~50% and the checksum ~18% of reading UInt64 blocks (bench/profile-read.ts), and lz4-napi allocates every
 * output (see frame-worker.ts).
 *
 * `native` is the addon when it was built for this platform (scripts/build-native.mjs, at `npm run build`; the
 * package ships the linux-x64 build), it loads, and its self-check below gives the bytes the TypeScript path gives;
 * otherwise undefined, and every caller uses the fallback (lz4-napi and cityhash.ts), which stays complete.
 * `CLICKHOUSE_NATIVE_ADDON=0` in the environment forces the fallback. A runtime that cannot load it (a Node-API it
 * lacks, no `require` of `.node` files) falls back silently.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { cityHash128Into as cityHash128IntoTs } from './cityhash.js';

/** The addon's functions. Every one checks its arguments' bounds (a RangeError or TypeError otherwise). */
export interface NativeCodecs {
  /** CityHash128 v1.0.2 of data[start .. end) into out[outOffset .. outOffset+16), low64 LE then high64 LE. */
  cityHash128(data: Uint8Array, start: number, end: number, out: Uint8Array, outOffset: number): void;
  /** One raw LZ4 block of `src` into `dst`: its size, or -1 when it does not fit. */
  lz4Compress(src: Uint8Array, dst: Uint8Array): number;
  /** Decodes one raw LZ4 block into `dst` (exactly the decompressed size): the bytes decoded, or -1 if malformed. */
  lz4Decompress(src: Uint8Array, dst: Uint8Array): number;
  /** Checksummed LZ4 frames of `src`, `frameInput` bytes each, into `dst`: their total size, or -1 if they do not fit. */
  packLz4Frames(src: Uint8Array, frameInput: number, dst: Uint8Array): number;
  /**
   * Verifies and decodes one whole LZ4 frame (from its checksum to its end) into `dst`, exactly its decompressed
   * size: that size, or -1 checksum mismatch, -2 header not matching the frame and `dst`, -3 malformed block.
   */
  decodeLz4Frame(frame: Uint8Array, dst: Uint8Array): number;
  /** The contract's version; bumped in the C source when a function changes. */
  abi: number;
}

const ABI = 1;
/** Where scripts/build-native.mjs puts the addon: the package root's prebuilds/, two levels above src/compression and dist/compression. */
const ADDON_PATH = `../../prebuilds/${process.platform}-${process.arch}/clickhouse_native.node`;

/** True when the addon computes what the TypeScript path computes, on inputs that reach every branch it has. */
function selfCheck(addon: NativeCodecs): boolean {
  if (addon.abi !== ABI) return false;
  const data = new Uint8Array(3000);
  for (let i = 0; i < data.length; i++) data[i] = i < 1000 ? (i * 31) >>> 3 : i < 2000 ? 7 : (i * i) >>> 5;
  for (const length of [0, 3, 9, 20, 70, 200, 3000]) {
    const ours = new Uint8Array(16);
    const theirs = new Uint8Array(16);
    addon.cityHash128(data, 0, length, ours, 0);
    cityHash128IntoTs(data, 0, length, theirs, 0);
    if (!ours.every((byte, i) => byte === theirs[i])) return false;
  }
  const frames = new Uint8Array(data.length * 2);
  const size = addon.packLz4Frames(data, 1024, frames);
  if (size <= 0) return false;
  const back = new Uint8Array(data.length);
  for (let at = 0, frame = 0; at < size; frame++) {
    const end = at + 16 + Buffer.from(frames.buffer, at + 17, 4).readUInt32LE(0);
    const into = back.subarray(frame * 1024, Math.min(data.length, (frame + 1) * 1024));
    if (addon.decodeLz4Frame(frames.subarray(at, end), into) !== into.length) return false;
    at = end;
  }
  return back.every((byte, i) => byte === data[i]);
}

function load(): NativeCodecs | undefined {
  try {
    if (process.env.CLICKHOUSE_NATIVE_ADDON === '0') return undefined;
    const here = import.meta.url;
    const addon = createRequire(here)(fileURLToPath(new URL(ADDON_PATH, here))) as NativeCodecs;
    return selfCheck(addon) ? addon : undefined;
  } catch {
    // Not built for this platform, or not loadable in this runtime: the fallback.
    return undefined;
  }
}

export const native: NativeCodecs | undefined = load();

/** Which engine compresses, decompresses and checksums LZ4 frames in this process (for benchmarks and reports). */
export const LZ4_ENGINE: string = native ? 'native addon' : 'lz4-napi + TypeScript CityHash';
