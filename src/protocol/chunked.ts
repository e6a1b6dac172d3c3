/**
 * Chunked packets (revision 54470, docs/protocol.md §3.4.1): after the addendum, each direction that negotiated it frames
 * every message (one packet) as chunks, a UInt32 LE length and that many bytes, and ends the message with an empty
 * chunk (a zero length). The framing carries no meaning of its own: the packets inside are the same bytes.
 *
 * Negotiation (Connection::receiveHello / TCPHandler::runImpl): the server's Hello says, per direction, "chunked" or
 * "notchunked", each either strict or "_optional". A strict side decides; between optional sides the client's
 * preference wins. This client prefers not to chunk (it costs 8 bytes per packet and gains the client nothing) and
 * accepts whatever a strict server requires, so negotiation never fails.
 */
import { ProtocolError } from '../errors.js';

/** Whether a direction is chunked, given what the server's Hello says for it and whether we prefer chunks. */
export function negotiateChunked(server: string, preferChunked = false): boolean {
  const chunked = server.startsWith('chunked');
  return server.endsWith('_optional') ? preferChunked : chunked;
}

const EMPTY_CHUNK = Buffer.alloc(4);

/** Frames one message: a chunk per non-empty buffer, then the empty chunk that ends the message. */
export function frameMessage(buffers: readonly Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  for (const buffer of buffers) {
    if (buffer.length === 0) continue;
    const header = Buffer.allocUnsafe(4);
    header.writeUInt32LE(buffer.length);
    out.push(header, buffer);
  }
  if (out.length > 0) out.push(EMPTY_CHUNK);
  return out;
}

/**
 * Strips chunk framing from a byte stream that arrives in pieces: the payload bytes go to `deliver` as they come
 * (views into the pieces, no copy), the headers are consumed. A chunk header of zero ends a message; two in a row (an
 * empty chunk where a message should start) is a ProtocolError, as it is to ClickHouse.
 */
export class ChunkDecoder {
  private readonly header = Buffer.alloc(4);
  private headerBytes = 0;
  /** Payload bytes left in the current chunk. */
  private left = 0;
  /** True at the start of a message (where a zero header is an error). */
  private atMessageStart = true;

  constructor(private readonly deliver: (payload: Buffer) => void) {}

  /** True between messages: everything received so far was whole messages. */
  get idle(): boolean {
    return this.atMessageStart && this.left === 0 && this.headerBytes === 0;
  }

  push(piece: Buffer): void {
    let p = 0;
    while (p < piece.length) {
      if (this.left > 0) {
        const n = Math.min(this.left, piece.length - p);
        this.deliver(piece.subarray(p, p + n));
        this.left -= n;
        p += n;
        continue;
      }
      const n = Math.min(4 - this.headerBytes, piece.length - p);
      piece.copy(this.header, this.headerBytes, p, p + n);
      this.headerBytes += n;
      p += n;
      if (this.headerBytes < 4) break;
      this.headerBytes = 0;
      const size = this.header.readUInt32LE(0);
      if (size === 0) {
        if (this.atMessageStart)
          throw new ProtocolError('Chunked packets: an empty chunk where a message should start');
        this.atMessageStart = true;
      } else {
        this.left = size;
        this.atMessageStart = false;
      }
    }
  }
}
