import { describe, expect, it } from 'vitest';
import { compressToFrames } from '../../src/compression/frame.js';
import { ProtocolError } from '../../src/errors.js';
import { writeBlock, type Block } from '../../src/columns/block.js';
import { ByteReader } from '../../src/protocol/reader.js';
import { readServerPacket, type ServerMessage } from '../../src/connection/packet-reader.js';
import { ByteWriter } from '../../src/protocol/writer.js';
import { decodeByteByByte, decodeSplit, golden } from './helpers.js';

const REVISION = 54460;

function blockBytes(block: Block, revision = REVISION): Buffer {
  const w = new ByteWriter();
  writeBlock(w, block, { blockInfo: true, revision });
  return Buffer.from(w.finish());
}

/** A server block packet: type, table name, then the (maybe compressed) block. */
async function packet(type: number, body: Buffer, compressed: 'lz4' | 'zstd' | 'none'): Promise<Buffer> {
  const head = Buffer.from([type, 0]);
  if (compressed === 'none') return Buffer.concat([head, body]);
  return Buffer.concat([head, ...(await compressToFrames(body, compressed))]);
}

const LOG_BLOCK: Block = {
  rows: 2,
  columns: [
    {
      name: 'event_time',
      type: 'DateTime',
      values: [new Date('2026-11-23T10:00:00Z'), new Date('2026-11-23T10:00:01Z')],
    },
    { name: 'event_time_microseconds', type: 'UInt32', values: new Uint32Array([1, 2]) },
    { name: 'host_name', type: 'String', values: ['vm', 'vm'] },
    { name: 'query_id', type: 'String', values: ['q', 'q'] },
    { name: 'thread_number', type: 'UInt32', values: new Uint32Array([7, 8]) },
    { name: 'priority', type: 'Int8', values: new Int8Array([7, 8]) },
    { name: 'source', type: 'String', values: ['executeQuery', 'MemoryTracker'] },
    { name: 'text', type: 'String', values: ['(from 127.0.0.1) SELECT 1', 'Peak memory usage: 1 KiB'] },
  ],
};

const WIDE_BLOCK: Block = {
  rows: 3,
  columns: [
    { name: 'id', type: 'UInt64', values: new BigUint64Array([1n, 2n, 3n]) },
    { name: 's', type: 'Nullable(String)', values: ['a', null, 'ccc'] },
    { name: 'arr', type: 'Array(String)', values: [['x'], [], ['y', 'z']] },
  ],
};

interface Case {
  name: string;
  bytes: () => Promise<Buffer>;
  compression: boolean;
  check: (message: ServerMessage) => void;
}

const cases: Case[] = [
  {
    name: 'Data (ch-go golden block, rev 54460)',
    bytes: () => packet(1, golden('proto/golden/block_int8_uint64.raw'), 'none'),
    compression: false,
    check: (message) => {
      expect(message.type).toBe('data');
      const { block } = message as { block: Block };
      expect(block.rows).toBe(5);
      expect(block.columns.map((c) => [c.name, c.type])).toEqual([
        ['count', 'Int8'],
        ['users', 'UInt64'],
      ]);
      expect(Array.from(block.columns[0]!.values as Int8Array)).toEqual([1, 2, 3, 4, 5]);
    },
  },
  ...(['lz4', 'zstd'] as const).map((method): Case => ({
    name: `Data compressed with ${method}`,
    bytes: async () => packet(1, blockBytes(WIDE_BLOCK), method),
    compression: true,
    check: (message) => {
      expect(message.type).toBe('data');
      const { block } = message as { block: Block };
      expect(block.columns[1]!.values).toEqual(['a', null, 'ccc']);
      expect(block.columns[2]!.values).toEqual([['x'], [], ['y', 'z']]);
    },
  })),
  {
    name: 'Totals compressed',
    bytes: () => packet(7, blockBytes(WIDE_BLOCK), 'lz4'),
    compression: true,
    check: (message) => expect(message.type).toBe('totals'),
  },
  {
    name: 'Extremes',
    bytes: () => packet(8, blockBytes(WIDE_BLOCK), 'none'),
    compression: false,
    check: (message) => expect(message.type).toBe('extremes'),
  },
  {
    // Below 54481 Log blocks are never compressed, even in a compressed query (docs/protocol.md §3.6).
    name: 'Log (18.16 layout) in a compressed query',
    bytes: () => packet(10, blockBytes(LOG_BLOCK), 'none'),
    compression: true,
    check: (message) => {
      expect(message.type).toBe('log');
      expect((message as { block: Block }).block.columns[7]!.values).toEqual(LOG_BLOCK.columns[7]!.values);
    },
  },
  {
    name: 'ProfileEvents',
    bytes: () =>
      packet(
        14,
        blockBytes({
          rows: 1,
          columns: [
            { name: 'host_name', type: 'String', values: ['vm'] },
            { name: 'current_time', type: 'DateTime', values: [new Date('2026-11-23T10:00:00Z')] },
            { name: 'thread_id', type: 'UInt64', values: new BigUint64Array([1n]) },
            { name: 'type', type: "Enum8('increment' = 1, 'gauge' = 2)", values: ['increment'] },
            { name: 'name', type: 'String', values: ['SelectedRows'] },
            { name: 'value', type: 'Int64', values: new BigInt64Array([10n]) },
          ],
        }),
        'none',
      ),
    compression: true,
    check: (message) => expect(message.type).toBe('profileEvents'),
  },
];

describe('block-carrying server packets', () => {
  for (const sample of cases) {
    const decode = (reader: ByteReader) =>
      readServerPacket(reader, { revision: REVISION, compression: sample.compression });

    it(`${sample.name}: decodes the same split at every offset and byte by byte`, async () => {
      const bytes = await sample.bytes();
      sample.check(await decode(ByteReader.from(bytes)));
      for (let split = 0; split <= bytes.length; split++) sample.check(await decodeSplit(bytes, split, decode));
      sample.check(await decodeByteByByte(bytes, decode));
    });

    it(`${sample.name}: every truncated prefix fails with ProtocolError`, async () => {
      const bytes = await sample.bytes();
      for (let k = 0; k < bytes.length; k++) {
        await expect(decode(ByteReader.from(bytes.subarray(0, k)))).rejects.toBeInstanceOf(ProtocolError);
      }
    });
  }

  it('a flipped bit in a compressed Data packet is a ProtocolError naming the checksum', async () => {
    const bytes = await packet(1, blockBytes(WIDE_BLOCK), 'lz4');
    bytes[2 + 3] ^= 0x10; // inside the frame's checksum
    await expect(readServerPacket(ByteReader.from(bytes), { revision: REVISION, compression: true })).rejects.toThrow(
      /checksum/i,
    );
  });

  it('the 18.16 revision has no custom-serialization byte', async () => {
    const body = blockBytes(WIDE_BLOCK, 54412);
    expect(body.length).toBe(blockBytes(WIDE_BLOCK).length - WIDE_BLOCK.columns.length);
    const message = await readServerPacket(ByteReader.from(await packet(1, body, 'none')), {
      revision: 54412,
      compression: false,
    });
    expect((message as { block: Block }).block.columns[2]!.values).toEqual([['x'], [], ['y', 'z']]);
  });
});
