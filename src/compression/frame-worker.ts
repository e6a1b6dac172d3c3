/**
 * The frame worker's thread (frame-pool.ts starts it): compresses block bodies into LZ4 frames and checksums them
 * while the main thread encodes the next block. A body arrives as a view of shared memory (or a transferred copy);
 * the frames are written into the job's shared output when they fit, else they go back as one transferred buffer,
 * so nothing is copied between the threads.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { parentPort } from 'node:worker_threads';
import { packLz4Frames } from './lz4-frames.js';
import { native } from './native.js';

/**
 * lz4-napi allocates every compressed frame outside V8 (its allocator's arena) and frees it only when V8 collects
 * the Buffer that wraps it, and this thread's heap is so small that V8 seldom collects it: the dead frames of ~20
 * blocks stayed resident (56 MiB of a streamed insert's RSS growth; 13-31 MiB with a collection per 4 MiB of frames).
 * So the worker collects its garbage itself: with the `gc` of a process started with --expose-gc, else through one it
 * makes for its own context only (the flag is turned off again at once). Where the runtime has no such flag (Bun,
 * Deno), nothing is collected early. With the native addon (native.ts) the frames are written into the job's output
 * or one buffer per block, nothing outside V8 is allocated per frame, and nothing needs collecting.
 */
const collectGarbage = ((): (() => void) | undefined => {
  if (native) return undefined;
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === 'function') return exposed;
  try {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  } finally {
    try {
      v8.setFlagsFromString('--no-expose-gc');
    } catch {
      // nothing to undo
    }
  }
})();
/** Frame bytes made since the last collection. */
let uncollected = 0;
const COLLECT_EVERY_BYTES = 4 << 20;

export interface FrameJob {
  id: number;
  data: Uint8Array;
  frameInput: number;
  /** A view of shared memory the frames are written into when they fit. */
  into?: Uint8Array;
}

/** `buffer` is absent when the frames are in the job's `into`. */
export type FrameReply =
  { id: number; buffer?: ArrayBuffer; length: number; ends: number[] } | { id: number; error: string };

parentPort?.on('message', (job: FrameJob) => {
  let reply: FrameReply;
  try {
    const { bytes, ends } = packLz4Frames(job.data, job.frameInput, job.into);
    if (job.into && bytes.buffer === job.into.buffer) {
      reply = { id: job.id, length: bytes.length, ends };
      parentPort!.postMessage(reply);
    } else {
      const buffer = bytes.buffer as ArrayBuffer;
      reply = { id: job.id, buffer, length: bytes.length, ends };
      parentPort!.postMessage(reply, [buffer]);
    }
    // lz4-napi allocated every frame's payload (copied into the output above), whichever output was used.
    uncollected += bytes.length;
    if (collectGarbage && uncollected >= COLLECT_EVERY_BYTES) {
      uncollected = 0;
      collectGarbage();
    }
  } catch (error) {
    reply = { id: job.id, error: error instanceof Error ? error.message : String(error) };
    parentPort!.postMessage(reply);
  }
});
