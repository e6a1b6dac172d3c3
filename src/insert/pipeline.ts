/**
 * The send side of an INSERT: blocks are encoded (every value validated), compressed into frames and handed to the
 * socket one block ahead. While block N is being written, block N+1 is encoded; before block N+1 goes out, the
 * socket must have taken block N (its 'drain'), so at most about two blocks are in memory at once and a slow
 * server slows the producer instead of growing a buffer.
 */
import { MAX_FRAME_INPUT, type Compression } from '../compression/frame.js';
import type { Connection } from '../connection/connection.js';
import { dataPacket, encodeBlockBody } from '../connection/exchange.js';
import { AbortError, InvalidValueError } from '../errors.js';
import type { Block } from '../columns/block.js';
import { ByteWriter } from '../protocol/writer.js';
import type { BlockSizer } from './input.js';

/** Lets libuv hand the socket's buffered frames to the kernel before the next block's encoding holds the thread. */
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export interface EncodedBlock {
  packet: Buffer[];
  rows: number;
  bytes: number;
  /** The reused memory the packet's frames are views of, taken until the socket has written them. */
  output?: FrameOutput;
}

/** Shared memory the frame worker writes one block's LZ4 frames into; taken from compression until written. */
interface FrameOutput {
  bytes: Uint8Array;
  taken: boolean;
}

/** The most an LZ4 compression of `n` bytes in frames of MAX_FRAME_INPUT can take (LZ4_COMPRESSBOUND, plus frame overhead). */
function lz4FramesBound(n: number): number {
  const frames = Math.ceil(n / MAX_FRAME_INPUT);
  return n + Math.ceil(n / 255) + frames * (16 + 25);
}

/** How many blocks an insert held at once (InsertStream.stats): memory is bounded by these, not by the rows. */
export interface PipelineStats {
  /** Data blocks encoded. */
  blocks: number;
  /** Blocks encoded whose packets the socket has not taken yet (being compressed, or written). */
  inFlight: number;
  /** The most there ever were: at most one being compressed, one in the socket and the one just encoded. */
  maxInFlight: number;
}

export class BlockPipeline {
  /** Rows encoded so far: the insert-relative index of the next block's first row. */
  rowsEncoded = 0;
  /** Rows whose Data packets were handed to the socket. */
  rowsSent = 0;
  /** The last packet handed to the socket, until the socket has taken it ('drain'). */
  private inflight: Promise<void> | undefined;
  /** The last block encoded, while its frames are compressed on the thread pool. */
  private compressing: Promise<EncodedBlock> | undefined;
  /**
   * Compressed, two body writers take turns (each made on first use): block N's body is read by the compressor
   * while block N+1 is encoded into the other; a streamed insert needs only one (pushBody). Uncompressed, the body
   * itself is sent, so each block gets a fresh writer.
   */
  private readonly writers: (ByteWriter | undefined)[] = [undefined, undefined];
  private turn = 0;
  /** Blocks counted in stats.inFlight that were not handed to the socket yet. */
  private readonly awaitingSocket = new Set<EncodedBlock>();
  private lastBodyBytes = 64 * 1024;
  /**
   * LZ4 frames of streamed blocks are made into these (src/compression/frame-pool.ts), each reused once the socket
   * has written what it held: three are in use at most (one being written, one waiting, one being compressed).
   * Why: a fresh buffer per block is memory the kernel faults in and zeroes page by page (measured 8 ms per 100k
   * application rows; 0.07 ms to reuse).
   */
  private readonly outputs: FrameOutput[] = [];

  constructor(
    private readonly connection: Connection,
    private readonly compression: Compression,
    /** Cuts the blocks of this insert; every encoded block is recorded into it. */
    readonly sizer: BlockSizer,
    private readonly signal: AbortSignal | undefined,
    private readonly stats: PipelineStats = { blocks: 0, inFlight: 0, maxInFlight: 0 },
  ) {}

  /** Compressed, body writer `index` (made on first use, in shared memory: the frame worker reads it in place). */
  private bodyWriter(index: number): ByteWriter {
    return (this.writers[index] ??= new ByteWriter(this.lastBodyBytes, { shared: true }));
  }

  /** The negotiated revision blocks are framed for. */
  get revision(): number {
    return this.connection.revision;
  }

  /**
   * Encodes a block (validating every value; a bad value throws with the insert-relative row) and starts its
   * compression. The body writer is the other one than the previous block's, whose compression may still run.
   */
  private start(block: Block, reuseOutput: boolean): Promise<EncodedBlock> {
    return this.startBody(block.rows, (body) => encodeBlockBody(this.connection.revision, block, body), reuseOutput);
  }

  /** `start` for a block that `fill` writes into the body writer (a streamed block, built as its rows came). */
  private startBody(
    rows: number,
    fill: (body: ByteWriter) => void,
    reuseOutput: boolean,
    writer?: number,
  ): Promise<EncodedBlock> {
    let body: ByteWriter;
    if (this.compression === 'none') body = new ByteWriter(this.lastBodyBytes + (this.lastBodyBytes >>> 3));
    else if (writer !== undefined) body = this.bodyWriter(writer);
    else {
      body = this.bodyWriter(this.turn);
      this.turn ^= 1;
    }
    try {
      fill(body);
    } catch (error) {
      throw shiftRow(error, this.rowsEncoded);
    }
    const bodyBytes = body.length;
    this.sizer.record(rows, bodyBytes);
    this.lastBodyBytes = bodyBytes;
    this.rowsEncoded += rows;
    const stats = this.stats;
    stats.blocks++;
    stats.maxInFlight = Math.max(stats.maxInFlight, ++stats.inFlight);
    const output = reuseOutput && this.compression === 'lz4' ? this.takeOutput(bodyBytes) : undefined;
    const packet = dataPacket(body.view(), this.compression, '', output && { into: output.bytes }).then((parts) => {
      let bytes = 0;
      for (const part of parts) bytes += part.length;
      const encoded = { packet: parts, rows, bytes, output };
      this.awaitingSocket.add(encoded);
      return encoded;
    });
    packet.catch(() => {}); // awaited later; not unhandled meanwhile
    return packet;
  }

  /** A free frame output for a body of `bodyBytes` (a new one if none is free, or big enough). */
  private takeOutput(bodyBytes: number): FrameOutput {
    const needed = lz4FramesBound(bodyBytes);
    let output = this.outputs.find((o) => !o.taken && o.bytes.length >= needed);
    if (!output) {
      const free = this.outputs.findIndex((o) => !o.taken);
      // Room for a block an eighth bigger than this one, so that the next blocks (cut to about the same size) fit.
      output = { bytes: new Uint8Array(new SharedArrayBuffer(needed + (needed >>> 3))), taken: false };
      if (free >= 0) this.outputs[free] = output;
      else this.outputs.push(output);
    }
    output.taken = true;
    return output;
  }

  /**
   * Encodes a block now (a bad value throws here, synchronously) and starts compressing it into its Data packet, for
   * a caller that holds packets before sending. At most one block may be compressing when the next is encoded: the
   * two body writers take turns, so block N+2 is encoded into block N's writer.
   */
  encode(block: Block): Promise<EncodedBlock> {
    if (this.compressing) throw new Error('BlockPipeline.encode: a pushed block is still being compressed');
    return this.start(block, false);
  }

  /**
   * Encodes a block and starts compressing it; meanwhile the previous block, once compressed, is handed to the
   * socket. So block N+1 is encoded while block N is compressed and block N-1 is written.
   */
  async push(block: Block): Promise<void> {
    const next = this.start(block, true);
    await this.pushStarted(next);
  }

  /**
   * `push` for a block that `fill` writes into the body (a streamed block, held encoded in its column writers until
   * now: stream-blocks.ts). The previous block is handed to the socket first, once compressed, so that this one is
   * assembled into the same body writer: the column writers are where the next block is encoded meanwhile, and a
   * second body writer would only hold one more block.
   */
  async pushBody(rows: number, fill: (body: ByteWriter) => void): Promise<void> {
    await this.flush();
    this.compressing = this.startBody(rows, fill, true, 0);
  }

  private async pushStarted(next: Promise<EncodedBlock>): Promise<void> {
    const previous = this.compressing;
    this.compressing = next;
    if (previous) await this.write(await previous);
  }

  /** Sends the block still being compressed, if any. */
  async flush(): Promise<void> {
    const pending = this.compressing;
    this.compressing = undefined;
    if (pending) await this.write(await pending);
  }

  /**
   * Hands a packet to the socket once the previous one has been taken, and returns without waiting for this one
   * (the next block is encoded meanwhile).
   */
  async write(encoded: EncodedBlock): Promise<void> {
    await this.settle();
    if (this.signal?.aborted) throw new AbortError('The insert was aborted', { cause: this.signal.reason });
    const output = encoded.output;
    // The output is free again once the kernel has the bytes; after a failed write it stays taken (never reused).
    const sending = this.connection.send(
      encoded.packet,
      output &&
        ((error) => {
          if (!error) output.taken = false;
        }),
    );
    // A block leaves stats.inFlight once the socket took it (a resent block, or the empty block, is not counted again).
    if (this.awaitingSocket.delete(encoded)) void sending.finally(() => this.stats.inFlight--).catch(() => {});
    // Awaited by the next write or by settle(); until then a failure must not count as unhandled.
    sending.catch(() => {});
    this.inflight = sending;
    this.rowsSent += encoded.rows;
    await yieldToEventLoop();
  }

  /** Waits until the socket has taken everything written so far. */
  async settle(): Promise<void> {
    const inflight = this.inflight;
    this.inflight = undefined;
    if (inflight) await inflight;
  }

  /** Sends the last block and the empty block that ends the INSERT data, and waits until the socket took them. */
  async end(): Promise<void> {
    await this.flush();
    const body = new ByteWriter(32);
    encodeBlockBody(this.connection.revision, null, body);
    await this.write({ packet: await dataPacket(body.view(), this.compression), rows: 0, bytes: 0 });
    await this.settle();
  }
}

/** Block-relative row numbers become insert-relative. */
export function shiftRow(error: unknown, blockStart: number): unknown {
  if (error instanceof InvalidValueError && error.row !== undefined && error.column !== undefined) {
    return new InvalidValueError(error.reason, { column: error.column, row: blockStart + error.row, type: error.type });
  }
  return error;
}
