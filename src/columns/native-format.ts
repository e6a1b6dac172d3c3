/**
 * ClickHouse's `FORMAT Native` bytes (what `SELECT ... FORMAT Native` returns and `file('x.native', 'Native')`
 * reads): blocks one after another, each without BlockInfo and without the custom-serialization byte
 * (docs/protocol.md §6.1; the TCP framing adds both).
 */
import { readBlock, writeBlock, type Block, type BlockFraming } from './block.js';
import { ByteReader } from '../protocol/reader.js';
import { ByteWriter } from '../protocol/writer.js';

const NATIVE_FORMAT: BlockFraming = { blockInfo: false, revision: 0 };

export const NativeFormat = {
  /** Encodes blocks as Native-format bytes. Bad values throw InvalidValueError naming the column and row. */
  encode(blocks: readonly Block[]): Buffer {
    const writer = new ByteWriter();
    for (const block of blocks) writeBlock(writer, block, NATIVE_FORMAT);
    return writer.finish();
  },

  /** Decodes every block in `bytes`; bytes that end inside a block are a ProtocolError. */
  async decode(bytes: Uint8Array): Promise<Block[]> {
    const reader = ByteReader.from(bytes);
    const blocks: Block[] = [];
    while (!reader.drained) blocks.push(await readBlock(reader, NATIVE_FORMAT));
    return blocks;
  },
};
