/**
 * The LZ4 frame worker (src/compression/frame-pool.ts): its frames are the calling thread's frames byte for byte;
 * switched off it is not used; a worker that goes away with blocks pending settles every one of them (made on the
 * calling thread instead) rather than leaving the insert waiting; and a process that used it exits by itself.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { compressToFrames, compressToFramesSync, MAX_FRAME_INPUT } from '../../src/compression/frame.js';
import {
  lz4FramesInWorker,
  setFrameWorkerEnabled,
  startFrameWorker,
  stopFrameWorker,
} from '../../src/compression/frame-pool.js';
import { native } from '../../src/compression/native.js';
import { runToExit, runtimeArgs } from '../harness/child.js';
import { mixedBytes } from './helpers.js';

const MiB = 1 << 20;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function shared(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(new SharedArrayBuffer(bytes.length));
  out.set(bytes);
  return out;
}

const joined = (frames: readonly Uint8Array[]) => Buffer.concat(frames);
/** Byte equality without a deep comparison of megabytes element by element. */
const sameBytes = (a: Uint8Array, b: Uint8Array) => expect(Buffer.compare(a, b), 'bytes differ').toBe(0);

describe('LZ4 frame worker', () => {
  afterEach(() => setFrameWorkerEnabled(true));

  it('makes the same frames as the calling thread, from shared memory and from a plain buffer', async () => {
    expect(await startFrameWorker()).toBe(true);
    for (const size of [1, 300 * 1024, MAX_FRAME_INPUT, 3 * MiB + 17]) {
      const data = mixedBytes(size);
      const expected = joined(compressToFramesSync(data, 'lz4'));
      for (const input of [shared(data), data]) {
        const framed = lz4FramesInWorker(input, MAX_FRAME_INPUT);
        expect(framed, 'the worker is online and takes the block').toBeDefined();
        sameBytes(joined(await framed!), expected);
      }
      // The plain buffer was copied, not transferred away from the caller.
      expect(data.length).toBe(size);
      sameBytes(joined(await compressToFrames(data, 'lz4')), expected);
    }
  });

  it('writes the frames into a shared output when they fit, and into a buffer of their own when not', async () => {
    expect(await startFrameWorker()).toBe(true);
    const data = shared(mixedBytes(3 * MiB + 17));
    const expected = joined(compressToFramesSync(data, 'lz4'));
    const roomy = new Uint8Array(new SharedArrayBuffer(expected.length + 100)).fill(0xee);
    const frames = await lz4FramesInWorker(data, MAX_FRAME_INPUT, roomy)!;
    for (const frame of frames) expect(frame.buffer, 'a view of the output').toBe(roomy.buffer);
    sameBytes(joined(frames), expected);
    expect(roomy[expected.length], 'nothing written past the frames').toBe(0xee);
    // An output one byte too small is not used for the frames (the addon may have begun writing into it).
    const tight = new Uint8Array(new SharedArrayBuffer(expected.length - 1)).fill(0xee);
    const own = await lz4FramesInWorker(data, MAX_FRAME_INPUT, tight)!;
    for (const frame of own) expect(frame.buffer).not.toBe(tight.buffer);
    sameBytes(joined(own), expected);
    if (!native) expect(tight.every((b) => b === 0xee)).toBe(true);
    // The same output again, for other bytes: the frames are the new block's.
    const next = shared(mixedBytes(2 * MiB + 5));
    sameBytes(
      joined(await lz4FramesInWorker(next, MAX_FRAME_INPUT, roomy)!),
      joined(compressToFramesSync(next, 'lz4')),
    );
  });

  it('is not used when switched off, and the frames are the same', async () => {
    setFrameWorkerEnabled(false);
    const data = mixedBytes(2 * MiB);
    expect(lz4FramesInWorker(data, MAX_FRAME_INPUT)).toBeUndefined();
    sameBytes(joined(await compressToFrames(data, 'lz4')), joined(compressToFramesSync(data, 'lz4')));
  });

  it('settles every pending block when the worker goes away mid-work (made on the calling thread instead)', async () => {
    expect(await startFrameWorker()).toBe(true);
    const blocks = [0, 1, 2, 3, 4, 5].map((i) => shared(mixedBytes(2 * MiB + i)));
    // Half of them with a shared output: the calling thread writes into it as the worker would have.
    const outputs = blocks.map((b, i) => (i % 2 ? shared(new Uint8Array(b.length + MiB)) : undefined));
    const pending = blocks.map((b, i) => lz4FramesInWorker(b, MAX_FRAME_INPUT, outputs[i]));
    expect(pending.every((p) => p !== undefined)).toBe(true);
    await stopFrameWorker();
    const frames = await Promise.all(pending);
    frames.forEach((f, i) => {
      sameBytes(joined(f!), joined(compressToFramesSync(blocks[i]!, 'lz4')));
      if (outputs[i]) expect(f![0]!.buffer).toBe(outputs[i]!.buffer);
    });
    // A worker stopped on purpose is not held against the next block: another one starts.
    expect(await startFrameWorker()).toBe(true);
    const again = mixedBytes(MiB);
    sameBytes(joined(await lz4FramesInWorker(again, MAX_FRAME_INPUT)!), joined(compressToFramesSync(again, 'lz4')));
  });

  /** Runs frame-worker-exit-fixture.mts in `mode` in a child of the runtime running this test. */
  const runChild = (mode: 'compress' | 'start') =>
    runToExit([...runtimeArgs(path.join(root, 'test/compression/frame-worker-exit-fixture.mts')), mode], { cwd: root });

  it('does not keep a process alive: one that compressed on the worker and closed nothing exits by itself', async () => {
    const { code, stdout } = await runChild('compress');
    expect(stdout.trim()).toBe('frames 4');
    expect(code).toBe(0);
  });

  it('does not keep a process alive: one that started the worker and never used it exits by itself', async () => {
    // An lz4 insert starts the worker at its beginning; an insert that ends before it is online must not leave it
    // holding the process.
    const { code, stdout } = await runChild('start');
    expect(stdout.trim()).toBe('started');
    expect(code).toBe(0);
  });
});
