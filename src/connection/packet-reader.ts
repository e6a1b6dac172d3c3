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
import {
  blockPacketKind,
  isCompressedBody,
  readControlPacket,
  type BlockPacketKind,
  type ServerControlMessage,
} from '../protocol/server-packets.js';

export type ServerMessage = ServerControlMessage | { type: BlockPacketKind; tableName: string; block: Block };

export interface PacketContext {
  /** Negotiated revision (0 before the server's Hello is read). */
  revision: number;
  /** Whether the current query enabled compression (Data, Totals and Extremes bodies are then framed). */
  compression: boolean;
  blockLimits?: BlockLimits;
  frameLimits?: Partial<FrameLimits>;
}

/** Reads exactly one server packet. */
export async function readServerPacket(reader: ByteReader, context: PacketContext): Promise<ServerMessage> {
  const code = await reader.atomic(() => reader.varUInt());
  const kind = blockPacketKind(code);
  if (kind) return readBlockPacket(reader, kind, context);
  return readControlPacket(reader, code, context.revision);
}

async function readBlockPacket(
  reader: ByteReader,
  kind: BlockPacketKind,
  context: PacketContext,
): Promise<ServerMessage> {
  const tableName = await reader.atomic(() => reader.string());
  const framing = { blockInfo: true, revision: context.revision };
  const limits = context.blockLimits ?? DEFAULT_BLOCK_LIMITS;
  if (!isCompressedBody(kind, context.compression)) {
    return { type: kind, tableName, block: await readBlock(reader, framing, limits) };
  }
  const decompressed = new ByteReader({
    pull: decompressingSource(reader, context.frameLimits),
    limits: reader.limits,
  });
  const block = await readBlock(decompressed, framing, limits);
  // Frames never span blocks: the writer flushes at the end of each block (docs/protocol.md §5.1).
  if (decompressed.available !== 0) {
    throw new ProtocolError(`A compressed ${kind} block left ${decompressed.available} decompressed bytes unread`);
  }
  return { type: kind, tableName, block };
}
