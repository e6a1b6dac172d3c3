/**
 * Reads one server packet, whatever its type: the control packets are decoded by src/protocol/server-packets.ts,
 * the block packets (Data, Totals, Extremes, Log, ProfileEvents) here, since their body is a Native block (the
 * column codecs) that may arrive in compressed frames (the decompressor). The table name before the block is never
 * compressed (docs/protocol.md §3.6).
 */
import { decompressingSource, type FrameLimits } from '../compression/frame.js';
import { DEFAULT_BLOCK_LIMITS, readBlock, type Block, type BlockLimits } from '../columns/block.js';
import { ProtocolError } from '../errors.js';
import { ByteReader } from '../protocol/reader.js';
import { ServerPacket } from '../protocol/codes.js';
import {
  blockPacketKind,
  isCompressedBody,
  isCompressedTableColumns,
  readControlPacket,
  type BlockPacketKind,
  type ServerControlMessage,
} from '../protocol/server-packets.js';

export type ServerMessage = ServerControlMessage | { type: BlockPacketKind; tableName: string; block: Block };

export interface PacketContext {
  /** Negotiated revision (0 before the server's Hello is read). */
  revision: number;
  /** The revision our Hello advertised (default CLIENT_REVISION): the server's Hello has the fields it allows. */
  advertisedRevision?: number | undefined;
  /** Whether the current query enabled compression (Data, Totals and Extremes bodies are then framed). */
  compression: boolean;
  blockLimits?: BlockLimits;
  frameLimits?: Partial<FrameLimits>;
  /** Data blocks' String columns as LazyStringColumns (the row iterator's reads; see readBlock). */
  lazyStrings?: boolean | undefined;
}

/** Reads exactly one server packet. */
export async function readServerPacket(reader: ByteReader, context: PacketContext): Promise<ServerMessage> {
  const code = await reader.atomic(() => reader.varUInt());
  const kind = blockPacketKind(code);
  if (kind) return readBlockPacket(reader, kind, context);
  if (code === ServerPacket.TableColumns && isCompressedTableColumns(context.compression, context.revision)) {
    const decompressed = decompressedReader(reader, context);
    const message = await readControlPacket(decompressed, code, context.revision);
    checkConsumed(decompressed, 'TableColumns packet');
    return message;
  }
  return readControlPacket(reader, code, context.revision, context.advertisedRevision);
}

function decompressedReader(reader: ByteReader, context: PacketContext): ByteReader {
  // Each decompressed frame is memory of its own (or a copy, or a view into a socket chunk of ours): the reader may
  // move bytes within what it has consumed (ByteReader.takeAligned).
  return new ByteReader({
    pull: decompressingSource(reader, context.frameLimits),
    limits: reader.limits,
    ownsChunks: true,
  });
}

/** Frames never span packets: the server flushes its compressed stream at the end of each (docs/protocol.md §5.1). */
function checkConsumed(decompressed: ByteReader, what: string): void {
  if (decompressed.available !== 0) {
    throw new ProtocolError(`A compressed ${what} left ${decompressed.available} decompressed bytes unread`);
  }
}

async function readBlockPacket(
  reader: ByteReader,
  kind: BlockPacketKind,
  context: PacketContext,
): Promise<ServerMessage> {
  const tableName = await reader.atomic(() => reader.string());
  const framing = { blockInfo: true, revision: context.revision };
  const limits = context.blockLimits ?? DEFAULT_BLOCK_LIMITS;
  // Totals, extremes, logs and profile events are kept or read by the client itself: plain columns.
  const lazyStrings = kind === 'data' && context.lazyStrings === true;
  if (!isCompressedBody(kind, context.compression, context.revision)) {
    return { type: kind, tableName, block: await readBlock(reader, framing, limits, lazyStrings) };
  }
  const decompressed = decompressedReader(reader, context);
  const block = await readBlock(decompressed, framing, limits, lazyStrings);
  checkConsumed(decompressed, `${kind} block`);
  return { type: kind, tableName, block };
}
