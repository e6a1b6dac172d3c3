/**
 * The frame worker's thread (frame-pool.ts starts it): compresses block bodies into LZ4 frames and checksums them
 * while the main thread encodes the next block. A body arrives as a view of shared memory (or a transferred copy);
 * the frames are written into the job's shared output when they fit, else they go back as one transferred buffer,
 * so nothing is copied between the threads.
 */
import { parentPort } from 'node:worker_threads';
import { packLz4Frames } from './lz4-frames.js';

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
  } catch (error) {
    reply = { id: job.id, error: error instanceof Error ? error.message : String(error) };
    parentPort!.postMessage(reply);
  }
});
