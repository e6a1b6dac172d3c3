// The built LZ4 frame worker (dist/), in whatever runtime runs this file (Bun and Deno in scripts/runtime-matrix.sh;
// Node runs the source instead, see frame-worker.test.ts). argv[2]: 'compress' (use the worker, then close nothing)
// or 'start' (start it and never use it). Either way the process must exit by itself.
import { lz4FramesInWorker, startFrameWorker } from '../../dist/compression/frame-pool.js';

if (process.argv[2] === 'compress') {
  // A timer holds the process while it waits for the worker: the worker itself must not.
  const hold = setInterval(() => {}, 1000);
  if (!(await startFrameWorker())) throw new Error('no worker');
  clearInterval(hold);
  const frames = await lz4FramesInWorker(new Uint8Array(new SharedArrayBuffer(4 << 20)).fill(7), 1 << 20);
  console.log('frames', frames.length);
} else {
  void startFrameWorker();
  console.log('started');
}
