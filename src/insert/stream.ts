/**
 * `client.insertStream()`: an INSERT as a Node Writable, for `stream.pipeline(source, transform, insert)`.
 *
 * The Writable takes objects: single rows, arrays of rows, or columnar chunks. It feeds them to the same insert flow
 * as `client.insert()` through a one-item hand-off: a write's callback runs when the insert flow takes the item, and
 * the item is added to the block being built at once (its values encoded, src/insert/stream-blocks.ts). So the
 * Writable's own buffer (highWaterMark items), the encoded bytes of the block being built, one block being
 * compressed and one in the socket are all the memory an insert stream holds (`stats` counts the blocks), and a
 * slow server makes `write()` return false. 'finish' is emitted only after the server acknowledged the whole
 * INSERT (EndOfStream); an error from the server or a bad value destroys the stream with that error.
 */
import { Writable } from 'node:stream';
import { AbortError } from '../errors.js';
import type { InsertChunk } from './input.js';
import type { InsertResult } from './insert.js';
import type { PipelineStats } from './pipeline.js';

interface Pending {
  chunk: InsertChunk;
  callback: (error?: Error | null) => void;
}

export interface InsertStreamOptions {
  /** Items the Writable buffers before `write()` returns false (default 16). */
  highWaterMark?: number;
}

export class InsertStream extends Writable {
  /** Resolves with the insert's result once the server acknowledged it; rejects with the error that ended it. */
  readonly result: Promise<InsertResult>;
  /**
   * What the insert holds, for diagnostics: blocks encoded, and how many were encoded but not yet taken by the
   * socket, now and at most. A streamed block is built as its rows arrive (only its encoded bytes are kept), so
   * the memory an insert stream holds is this many blocks, however many rows go through it.
   */
  readonly stats: Readonly<PipelineStats> = { blocks: 0, inFlight: 0, maxInFlight: 0 };
  private pending: Pending | undefined;
  private ended = false;
  private failure: Error | undefined;
  /** Wakes the insert flow when an item arrives or the stream ends. */
  private wake: (() => void) | undefined;

  constructor(
    run: (values: AsyncIterable<InsertChunk>, stats: PipelineStats) => Promise<InsertResult>,
    options: InsertStreamOptions = {},
  ) {
    super({ objectMode: true, highWaterMark: options.highWaterMark ?? 16 });
    this.result = run(this.items(), this.stats as PipelineStats);
    // Surface a failure of the insert flow as the stream's error, even while nothing is being written.
    this.result.catch((error: unknown) => {
      if (!this.destroyed) this.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  }

  private async *items(): AsyncGenerator<InsertChunk> {
    for (;;) {
      while (this.pending === undefined && !this.ended && this.failure === undefined) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
      }
      if (this.failure) throw this.failure;
      const item = this.pending;
      if (item === undefined) return; // ended
      this.pending = undefined;
      // Taken: the Writable may hand over the next item while this one is encoded.
      item.callback();
      yield item.chunk;
    }
  }

  override _write(chunk: InsertChunk, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.pending = { chunk, callback };
    this.wake?.();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.ended = true;
    this.wake?.();
    this.result.then(
      () => callback(),
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.failure === undefined) {
      this.failure = error ?? new AbortError('The insert stream was destroyed before it finished');
    }
    const pending = this.pending;
    this.pending = undefined;
    pending?.callback(this.failure);
    this.wake?.();
    // Wait for the insert flow to give its connection back (it ends the INSERT or drops the connection).
    this.result.then(
      () => callback(error),
      () => callback(error),
    );
  }
}
