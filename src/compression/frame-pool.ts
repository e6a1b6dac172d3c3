/**
 * One worker thread that compresses and checksums LZ4 frames (frame-worker.ts) while the main thread encodes the
 * next block. Started on first use and unreferenced while idle, so it never keeps a process alive; until it is
 * online, or if it cannot start at all (a bundle without the worker file, a runtime without worker_threads), the
 * caller compresses as before (`lz4FramesInWorker` returns undefined), and a worker that dies hands its pending
 * blocks back to the main thread: no block is lost either way.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FrameJob, FrameReply } from './frame-worker.js';
import { framesOf, packLz4Frames } from './lz4-frames.js';

interface Pending {
  resolve: (frames: Buffer[]) => void;
  reject: (error: Error) => void;
  data: Uint8Array;
  frameInput: number;
}

let enabled = true;
let worker: Worker | undefined;
let online = false;
let broken = false;
let nextId = 1;
const pending = new Map<number, Pending>();

/** Turns the frame worker on or off (the benchmark compares both; off, frames are made on the calling thread). */
export function setFrameWorkerEnabled(on: boolean): void {
  enabled = on;
}

/**
 * How to start the worker from here: the compiled `frame-worker.js` next to this file; or, when the sources run
 * under a TypeScript loader (tests and benchmarks run them through tsx), `frame-worker.ts` required through tsx's
 * require hook (Node 20 applies no module.register() hooks inside a worker, so an ESM loader flag would not do).
 */
function createWorker(): Worker | undefined {
  const here = import.meta.url;
  if (here.endsWith('.js')) return new Worker(new URL('./frame-worker.js', here), { execArgv: [] });
  if (!here.endsWith('.ts')) return undefined;
  let hook: string;
  try {
    hook = createRequire(here).resolve('tsx/cjs');
  } catch {
    return undefined;
  }
  const entry = fileURLToPath(new URL('./frame-worker.ts', here));
  return new Worker(`require(${JSON.stringify(hook)}); require(${JSON.stringify(entry)});`, {
    eval: true,
    execArgv: [],
  });
}

function start(): void {
  try {
    worker = createWorker();
  } catch {
    worker = undefined;
  }
  if (!worker) {
    broken = true;
    return;
  }
  worker.unref();
  worker.on('online', () => (online = true));
  worker.on('message', (reply: FrameReply) => {
    const job = pending.get(reply.id);
    if (!job) return;
    pending.delete(reply.id);
    if (pending.size === 0) worker?.unref();
    if ('error' in reply) job.reject(new Error(`LZ4 compression failed: ${reply.error}`));
    else job.resolve(framesOf({ bytes: Buffer.from(reply.buffer, 0, reply.length), ends: reply.ends }));
  });
  const fail = () => {
    // A worker that cannot load or died: its blocks are compressed here instead, and it is not started again.
    broken = true;
    online = false;
    worker = undefined;
    for (const [id, job] of pending) {
      pending.delete(id);
      try {
        job.resolve(framesOf(packLz4Frames(job.data, job.frameInput)));
      } catch (error) {
        job.reject(error as Error);
      }
    }
  };
  worker.on('error', fail);
  worker.on('exit', fail);
}

/**
 * The LZ4 frames of `data`, made on the frame worker; undefined when the worker is off, not online yet (it is
 * started then) or unavailable. A view of a SharedArrayBuffer is handed over as is (the caller must not change
 * those bytes until the promise settles); other bytes are copied once.
 */
export function lz4FramesInWorker(data: Uint8Array, frameInput: number): Promise<Buffer[]> | undefined {
  if (!enabled || broken) return undefined;
  if (!worker) start();
  if (!online || !worker) return undefined;
  const id = nextId++;
  let sent = data;
  const transfer: ArrayBuffer[] = [];
  if (!(data.buffer instanceof SharedArrayBuffer)) {
    sent = new Uint8Array(data);
    transfer.push(sent.buffer as ArrayBuffer);
  }
  const active = worker;
  return new Promise<Buffer[]>((resolve, reject) => {
    pending.set(id, { resolve, reject, data, frameInput });
    if (pending.size === 1) active.ref();
    const job: FrameJob = { id, data: sent, frameInput };
    active.postMessage(job, transfer);
  });
}
