/**
 * The frame worker's thread (frame-pool.ts starts it): compresses block bodies into LZ4 frames and checksums them
 * while the main thread encodes the next block. A body arrives as a view of shared memory (or a transferred copy);
 * the frames go back as one transferred buffer, so nothing is copied between the threads.
 */
import { parentPort } from 'node:worker_threads';
import { packLz4Frames } from './lz4-frames.js';

export interface FrameJob {
  id: number;
  data: Uint8Array;
  frameInput: number;
}

export type FrameReply =
  { id: number; buffer: ArrayBuffer; length: number; ends: number[] } | { id: number; error: string };

parentPort?.on('message', (job: FrameJob) => {
  let reply: FrameReply;
  try {
    const { bytes, ends } = packLz4Frames(job.data, job.frameInput);
    reply = { id: job.id, buffer: bytes.buffer as ArrayBuffer, length: bytes.length, ends };
    parentPort!.postMessage(reply, [reply.buffer]);
  } catch (error) {
    reply = { id: job.id, error: error instanceof Error ? error.message : String(error) };
    parentPort!.postMessage(reply);
  }
});
