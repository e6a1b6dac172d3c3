// The LZ4 frame worker in whatever runtime runs this file (frame-worker.test.ts; Node through tsx, Bun and Deno in
// scripts/runtime-matrix.sh). argv[2]: 'compress' (use the worker, then close nothing) or 'start' (start it and never
// use it). Either way the process must exit by itself.
import { lz4FramesInWorker, startFrameWorker } from '../../src/compression/frame-pool.js';

if (process.argv[2] === 'compress') {
  // A timer holds the process while it waits for the worker: the worker itself must not.
  const hold = setInterval(() => {}, 1000);
  if (!(await startFrameWorker())) throw new Error('no worker');
  clearInterval(hold);
  const frames = await lz4FramesInWorker(new Uint8Array(new SharedArrayBuffer(4 << 20)).fill(7), 1 << 20);
  if (!frames) throw new Error('the worker took no work');
  console.log('frames', frames.length);
} else {
  void startFrameWorker();
  console.log('started');
}
