/**
 * One worker thread that compresses and checksums LZ4 frames (frame-worker.ts) while the main thread encodes the
 * next block. Started on first use and unreferenced while idle, so it never keeps a process alive; until it is
 * online, or if it cannot start at all (a bundle without the worker file, a runtime without worker_threads), the
 * caller compresses as before (`lz4FramesInWorker` returns undefined), and a worker that dies hands its pending
 * blocks back to the main thread: no block is lost, and no caller waits for a thread that is gone.
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
  into: Uint8Array | undefined;
}

/** The worker and what it owes: a worker that goes away settles exactly its own pending blocks. */
interface FrameWorker {
  thread: Worker;
  online: boolean;
  pending: Map<number, Pending>;
  /** Settles true once it takes blocks, false if it failed first. */
  ready: Promise<boolean>;
  /** Stopped on purpose (stopFrameWorker): a later block may start another. */
  stopping: boolean;
}

let enabled = true;
let current: FrameWorker | undefined;
/** A worker could not start or died unasked: frames are made on the calling thread from then on. */
let broken = false;
let nextId = 1;

/** Turns the frame worker on or off (off, frames are made on the calling thread). */
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

function start(): FrameWorker | undefined {
  let thread: Worker | undefined;
  try {
    thread = createWorker();
  } catch {
    thread = undefined;
  }
  if (!thread) {
    broken = true;
    return undefined;
  }
  let settleReady!: (online: boolean) => void;
  const fw: FrameWorker = {
    thread,
    online: false,
    pending: new Map(),
    ready: new Promise<boolean>((resolve) => (settleReady = resolve)),
    stopping: false,
  };
  thread.on('online', () => {
    fw.online = true;
    settleReady(true);
  });
  thread.on('message', (reply: FrameReply) => {
    const job = fw.pending.get(reply.id);
    if (!job) return;
    fw.pending.delete(reply.id);
    if (fw.pending.size === 0) thread.unref();
    if ('error' in reply) job.reject(new Error(`LZ4 compression failed: ${reply.error}`));
    else {
      const bytes = reply.buffer
        ? Buffer.from(reply.buffer, 0, reply.length)
        : Buffer.from(job.into!.buffer, job.into!.byteOffset, reply.length);
      job.resolve(framesOf({ bytes, ends: reply.ends }));
    }
  });
  const gone = () => {
    // A worker that could not load, died or was stopped: its blocks are compressed here instead. One that went
    // away unasked is not started again.
    if (!fw.stopping) broken = true;
    fw.online = false;
    settleReady(false);
    if (current === fw) current = undefined;
    for (const [id, job] of fw.pending) {
      fw.pending.delete(id);
      try {
        job.resolve(framesOf(packLz4Frames(job.data, job.frameInput, job.into)));
      } catch (error) {
        job.reject(error as Error);
      }
    }
  };
  thread.on('error', gone);
  thread.on('exit', gone);
  // Unreferenced after the listeners are attached: attaching a 'message' listener references the worker again, and an
  // idle worker must not keep the process alive (it is referenced only while blocks are pending).
  thread.unref();
  return fw;
}

/**
 * Starts the frame worker if it is not running, and settles true once it takes blocks (false where it cannot run).
 * Nothing needs to call it: the first large block starts the worker and is compressed here meanwhile.
 */
export function startFrameWorker(): Promise<boolean> {
  if (!enabled || broken) return Promise.resolve(false);
  current ??= start();
  return current ? current.ready : Promise.resolve(false);
}

/** Stops the frame worker; blocks it had not returned are compressed on the calling thread. A later block may start another. */
export async function stopFrameWorker(): Promise<void> {
  const fw = current;
  if (!fw) return;
  fw.stopping = true;
  await fw.thread.terminate();
}

/**
 * The LZ4 frames of `data`, made on the frame worker; undefined when the worker is off, not online yet (it is
 * started then) or unavailable. A view of a SharedArrayBuffer is handed over as is (the caller must not change
 * those bytes until the promise settles); other bytes are copied once. `into`, a view of a SharedArrayBuffer,
 * receives the frames when they fit (the frames returned are then views of it); otherwise they are a new buffer.
 */
export function lz4FramesInWorker(
  data: Uint8Array,
  frameInput: number,
  into?: Uint8Array,
): Promise<Buffer[]> | undefined {
  if (!enabled || broken) return undefined;
  current ??= start();
  const fw = current;
  if (!fw?.online) return undefined;
  const id = nextId++;
  let sent = data;
  const transfer: ArrayBuffer[] = [];
  if (!(data.buffer instanceof SharedArrayBuffer)) {
    sent = new Uint8Array(data);
    transfer.push(sent.buffer as ArrayBuffer);
  }
  return new Promise<Buffer[]>((resolve, reject) => {
    const shared = into?.buffer instanceof SharedArrayBuffer ? into : undefined;
    fw.pending.set(id, { resolve, reject, data, frameInput, into: shared });
    if (fw.pending.size === 1) fw.thread.ref();
    const job: FrameJob = { id, data: sent, frameInput, into: shared };
    fw.thread.postMessage(job, transfer);
  });
}
