/**
 * The fuzz target: the client's whole receive path, as a connection runs it. The first packet is read as the reply
 * to Hello (revision 0); then packets are read at the negotiated revision, with compressed block bodies when the
 * query asked for compression, until the bytes run out. Outcome: the decoded packets, or a typed error.
 *
 * Shared by the fixed-seed run in `npm test` (fuzz.test.ts) and the `npm run fuzz` campaign (campaign.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FrameLimits } from '../../src/compression/frame.js';
import { ClickHouseError, ProtocolError, UnsupportedError } from '../../src/errors.js';
import type { BlockLimits } from '../../src/columns/block.js';
import { ByteReader, type ReaderLimits } from '../../src/protocol/reader.js';
import { ChunkDecoder } from '../../src/protocol/chunked.js';
import { CLIENT_REVISION } from '../../src/protocol/revision.js';
import { readServerPacket, type ServerMessage } from '../../src/connection/packet-reader.js';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface Fixture {
  name: string;
  /** Which server sent the stream. */
  server: '18.16' | '26.7';
  compression: boolean;
  /** The revision the recording client advertised (the stream holds what the server sends for it). */
  clientRevision: number;
  /** The packets as a connection reads them: with any chunk framing taken off (see `raw`). */
  bytes: Buffer;
  /** For a chunked recording: the bytes as the server sent them, chunk-framed after the Hello. */
  raw?: Buffer;
  /** For a chunked recording: the bytes of the Hello, which is never chunked. */
  helloLength?: number;
}

interface FixtureFile {
  fixtures: {
    name: string;
    compression: boolean;
    clientRevision?: number;
    chunked?: boolean;
    helloLength?: number;
    bytes: string;
  }[];
}

/** The bytes of a chunk-framed stream without the framing (every message whole). */
export function dechunk(framed: Buffer): Buffer {
  const parts: Buffer[] = [];
  const decoder = new ChunkDecoder((payload) => parts.push(payload));
  decoder.push(framed);
  if (!decoder.idle) throw new Error('the recording ends inside a chunked message');
  return Buffer.concat(parts);
}

function readFixtures(file: string, server: Fixture['server']): Fixture[] {
  const json = JSON.parse(fs.readFileSync(path.join(here, 'fixtures', file), 'utf8')) as FixtureFile;
  return json.fixtures.map((f) => {
    const bytes = Buffer.from(f.bytes, 'base64');
    const fixture: Fixture = {
      name: server === '18.16' ? f.name : `26.7/${f.name}`,
      server,
      compression: f.compression,
      // 18.16 negotiates 54412 with any revision we advertise.
      clientRevision: f.clientRevision ?? CLIENT_REVISION,
      bytes,
    };
    if (f.chunked) {
      // The decoders (and the fuzzer) get the packets; the chunk framing has its own tests (revisions.test.ts).
      const hello = f.helloLength!;
      fixture.raw = bytes;
      fixture.helloLength = hello;
      fixture.bytes = Buffer.concat([bytes.subarray(0, hello), dechunk(bytes.subarray(hello))]);
    }
    return fixture;
  });
}

/**
 * The recorded streams: 18.16's (scripts/record-fuzz-fixtures.ts) and 26.7's, one session per protocol feature above
 * 54460 (scripts/record-modern-fixtures.ts).
 */
export function loadFixtures(): Fixture[] {
  return [...readFixtures('server-streams.json', '18.16'), ...readFixtures('server-streams-26.7.json', '26.7')];
}

/**
 * Small caps for fuzzing, so that "no allocation beyond the caps" is a tight bound: every claim above these is
 * refused, and everything below them is backed by bytes that are really in the (small) input.
 */
export interface FuzzLimits {
  reader: ReaderLimits;
  block: BlockLimits;
  frame: FrameLimits;
}

export const FUZZ_LIMITS: FuzzLimits = {
  reader: { maxStringBytes: 1 << 20, maxArrayElements: 1 << 20, maxDictionaryKeys: 1 << 20, maxNestingDepth: 32 },
  block: { maxRows: 1 << 20, maxColumns: 10_000 },
  frame: { maxCompressedBytes: 4 << 20, maxDecompressedBytes: 4 << 20 },
};

export interface Decoded {
  packets: ServerMessage[];
  /** Bytes consumed. */
  consumed: number;
  /** The stream offset after each packet. */
  ends: number[];
}

/** Errors the receive path may end with on bad bytes: anything else is a bug. */
export function isTypedError(error: unknown): boolean {
  return error instanceof ProtocolError || error instanceof ClickHouseError || error instanceof UnsupportedError;
}

/**
 * Decodes a server stream as a connection that advertised `clientRevision` does. Throws only what the connection
 * would throw.
 */
export async function decodeServerStream(
  bytes: Uint8Array,
  compression: boolean,
  limits: FuzzLimits = FUZZ_LIMITS,
  clientRevision: number = CLIENT_REVISION,
): Promise<Decoded> {
  const reader = ByteReader.from(bytes, limits.reader);
  const packets: ServerMessage[] = [];
  const ends: number[] = [];
  const first = await readServerPacket(reader, {
    revision: 0,
    advertisedRevision: clientRevision,
    compression: false,
    blockLimits: limits.block,
    frameLimits: limits.frame,
  });
  packets.push(first);
  ends.push(reader.offset);
  // A refused login ends the connection after the Exception.
  if (first.type !== 'hello') return { packets, consumed: reader.offset, ends };
  const revision = Math.min(clientRevision, first.hello.revision);
  while (!reader.drained) {
    packets.push(
      await readServerPacket(reader, { revision, compression, blockLimits: limits.block, frameLimits: limits.frame }),
    );
    ends.push(reader.offset);
  }
  return { packets, consumed: reader.offset, ends };
}

/** Decodes one block-carrying packet body after the Hello of a fixture (used for structure-aware frame fuzzing). */
export async function decodePackets(
  bytes: Uint8Array,
  compression: boolean,
  revision: number,
  limits: FuzzLimits = FUZZ_LIMITS,
): Promise<ServerMessage[]> {
  const reader = ByteReader.from(bytes, limits.reader);
  const packets: ServerMessage[] = [];
  while (!reader.drained) {
    packets.push(
      await readServerPacket(reader, { revision, compression, blockLimits: limits.block, frameLimits: limits.frame }),
    );
  }
  return packets;
}

/**
 * The bodies (BlockInfo onward, uncompressed) of the Data/Totals/Extremes/Log packets of the uncompressed fixtures:
 * seeds for frame fuzzing, which compresses them with fresh, valid checksums so mutations reach the block decoder
 * through the decompressor.
 */
export async function blockBodies(fixtures: Fixture[]): Promise<Buffer[]> {
  const bodies: Buffer[] = [];
  for (const fixture of fixtures) {
    // Frame cases decode a body at the 18.16 revision (FIXTURE_REVISION): 26.7's bodies are fuzzed as streams.
    if (fixture.compression || fixture.server !== '18.16') continue;
    const reader = ByteReader.from(fixture.bytes, FUZZ_LIMITS.reader);
    let revision = 0;
    while (!reader.drained) {
      const start = reader.offset;
      const message = await readServerPacket(reader, { revision, compression: false });
      if (message.type === 'hello') revision = Math.min(CLIENT_REVISION, message.hello.revision);
      // Block packets here carry an empty table name: type byte, 0x00, then the block.
      if ('block' in message && fixture.bytes[start + 1] === 0)
        bodies.push(fixture.bytes.subarray(start + 2, reader.offset));
      if (message.type === 'exception' && revision === 0) break;
    }
  }
  return bodies;
}

/** The revision 18.16 fixtures negotiate. */
export const FIXTURE_REVISION = Math.min(CLIENT_REVISION, 54412);
