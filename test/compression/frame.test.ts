import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConnectionError, ProtocolError } from '../../src/errors.js';
import { ByteReader } from '../../src/protocol/reader.js';
import { cityHash128 } from '../../src/compression/cityhash.js';
import { native } from '../../src/compression/native.js';
import {
  lz4CompressBlock,
  METHOD_LZ4,
  METHOD_NONE,
  METHOD_ZSTD,
  zstdImplementation,
  zstdOutputBound,
} from '../../src/compression/codecs.js';
import {
  compressToFrames,
  compressToFramesSync,
  type CompressionMethod,
  decompressingSource,
  MAX_FRAME_INPUT,
  readFrame,
} from '../../src/compression/frame.js';
import { GOLDEN, mixedBytes, pseudoRandomBytes, rawFrame, readAllFrames, rejectionOf } from './helpers.js';

const golden = (name: string) => readFileSync(`${GOLDEN}/ch-go/compress/golden/${name}.raw`);
const dataRaw = golden('data_raw');
const METHODS: CompressionMethod[] = ['none', 'lz4', 'lz4hc', 'zstd'];
const MiB = 1 << 20;
const HASH = '\\(low 0x[0-9a-f]{16}, high 0x[0-9a-f]{16}\\)';
const CHECKSUM_MISMATCH = new RegExp(
  `^Checksum mismatch in compressed frame at byte 0 .*: expected ${HASH} as sent, actual ${HASH}: the data is corrupted$`,
);

/** A zstd frame made of RLE blocks of `blockSize` bytes of 'a' (each block: 3-byte header + 1 byte). */
function zstdRleFrame(blocks: number, blockSize = 128 * 1024): Buffer {
  // Frame header: magic, descriptor 0 (no content size, not single segment), window descriptor 0x38 (128 KiB).
  const parts = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38])];
  for (let i = 0; i < blocks; i++) {
    const header = (blockSize << 3) | (1 << 1) | (i === blocks - 1 ? 1 : 0);
    parts.push(Buffer.from([header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff, 0x61]));
  }
  return Buffer.concat(parts);
}

describe('ch-go golden frames (compress/_golden, "Hello!\\n" x 25)', () => {
  it('the raw data is what docs/protocol.md §5.4 says', () => {
    expect(dataRaw.equals(Buffer.from('Hello!\n'.repeat(25)))).toBe(true);
  });

  for (const name of ['none', 'lz4', 'lz4hc', 'lz4_hc', 'zstd']) {
    it(`decodes data_compressed_${name}.raw`, async () => {
      const bytes = golden(`data_compressed_${name}`);
      const reader = ByteReader.from(bytes);
      const out = await readFrame(reader);
      expect(out.equals(dataRaw)).toBe(true);
      expect(reader.drained).toBe(true);
    });
  }

  it('NONE: our frame equals ch-go bytes exactly', async () => {
    const frames = await compressToFrames(dataRaw, 'none');
    expect(frames).toHaveLength(1);
    expect(frames[0]!.equals(golden('data_compressed_none'))).toBe(true);
  });

  it('LZ4: lz4-napi (lz4_flex) or the addon picks other matches than ch-go (pierrec/lz4): same header fields, valid checksum, round trip', async () => {
    const ours = (await compressToFrames(dataRaw, 'lz4'))[0]!;
    const theirs = golden('data_compressed_lz4');
    // Same method byte and decompressed size; the block itself is the compressor's choice.
    expect(ours[16]).toBe(theirs[16]);
    expect(ours.readUInt32LE(21)).toBe(theirs.readUInt32LE(21));
    expect(ours.readUInt32LE(17)).toBe(ours.length - 16);
    const { low, high } = cityHash128(ours, 16, ours.length);
    expect(ours.readBigUInt64LE(0)).toBe(low);
    expect(ours.readBigUInt64LE(8)).toBe(high);
    expect((await readAllFrames(ours))[0]!.equals(dataRaw)).toBe(true);
    // The block is the lz4-napi output without its 4-byte size prefix, or the addon's own (native.ts).
    if (!native) expect(ours.subarray(25).equals(lz4CompressBlock(dataRaw))).toBe(true);
  });

  it('ZSTD: @mongodb-js/zstd encodes unlike ch-go (klauspost): valid checksum and round trip', async () => {
    const ours = (await compressToFrames(dataRaw, 'zstd'))[0]!;
    expect(ours[16]).toBe(METHOD_ZSTD);
    expect(ours.subarray(25, 29).toString('hex')).toBe('28b52ffd');
    expect((await readAllFrames(ours))[0]!.equals(dataRaw)).toBe(true);
  });
});

describe('corruption and limits', () => {
  const frames = {
    none: golden('data_compressed_none'),
    lz4: golden('data_compressed_lz4'),
    zstd: golden('data_compressed_zstd'),
  };

  for (const [name, frame] of Object.entries(frames)) {
    it(`${name}: every flipped bit of checksum, header and payload is a ProtocolError`, async () => {
      for (let bit = 0; bit < frame.length * 8; bit++) {
        const bad = Buffer.from(frame);
        bad[bit >> 3]! ^= 1 << (bit & 7);
        const error = await rejectionOf(readFrame(ByteReader.from(bad)));
        expect(error, `bit ${bit}`).toBeInstanceOf(ProtocolError);
        const byte = bit >> 3;
        if (byte <= 16 || byte >= 25) {
          // Checksum, method byte, payload: the frame is still well-formed, the checksum fails.
          expect(error.message, `bit ${bit}`).toMatch(CHECKSUM_MISMATCH);
        } else if (byte < 21) {
          // compressed_size: a different frame length (cap, LZ4 ratio, truncation or checksum).
          expect(error.message, `bit ${bit}`).toMatch(
            /^(Checksum mismatch|Truncated compressed frame|.* claims compressed_size|LZ4 frame .* for a \d+-byte payload)/,
          );
        } else {
          // decompressed_size: the checksum fails, or the cap or the LZ4 ratio refuses the claim first.
          expect(error.message, `bit ${bit}`).toMatch(
            /^(Checksum mismatch|.* claims decompressed_size \d+, over the cap|LZ4 frame .* for a \d+-byte payload)/,
          );
        }
      }
    });
  }

  it('an unknown or column-only method byte with a valid checksum is refused, naming the byte', async () => {
    let error = await rejectionOf(readFrame(ByteReader.from(rawFrame(0x91, Buffer.from([1, 2, 3]), 3))));
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error.message).toMatch(/method byte 0x91 \(Multiple\)/);
    error = await rejectionOf(readFrame(ByteReader.from(rawFrame(0x42, Buffer.from([1, 2, 3]), 3))));
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error.message).toMatch(/method byte 0x42:/);
  });

  it('refuses oversize claims from the header alone, before the payload arrives', async () => {
    const header = (compressed: number, decompressed: number) => {
      const h = Buffer.alloc(25);
      h[16] = METHOD_LZ4;
      h.writeUInt32LE(compressed, 17);
      h.writeUInt32LE(decompressed, 21);
      return h;
    };
    // A live reader (never ended) that holds only the header: a refusal here cannot have waited or allocated.
    const live = (bytes: Buffer) => {
      const reader = new ByteReader();
      reader.push(bytes);
      return reader;
    };
    const cases: Array<[Buffer, Parameters<typeof readFrame>[1], RegExp]> = [
      [header(0x40000001, 10), undefined, /compressed_size 1073741825: it must be between 9 and 1073741824/],
      [header(0xffffffff, 10), undefined, /compressed_size 4294967295/],
      [header(8, 10), undefined, /compressed_size 8: it must be between 9/],
      [header(0, 0), undefined, /compressed_size 0/],
      [header(100, 0x40000001), undefined, /decompressed_size 1073741825, over the cap of 1073741824/],
      [header(1001, 10), { maxCompressedBytes: 1000 }, /compressed_size 1001: it must be between 9 and 1000/],
      [header(100, 5000), { maxDecompressedBytes: 4096 }, /decompressed_size 5000, over the cap of 4096/],
      // LZ4 expands at most 255n - 1256 (codecs.ts): an empty payload cannot claim anything, 16 bytes at most 2824.
      [header(9, 1 << 30), undefined, /decompressed_size 1073741824 for a 0-byte payload; .* at most 0 bytes/],
      [header(9 + 16, 2825), undefined, /decompressed_size 2825 for a 16-byte payload; .* at most 2824 bytes/],
      [header(9 + 4, 4), undefined, /decompressed_size 4 for a 4-byte payload; .* at most 3 bytes/],
    ];
    for (const [bytes, limits, message] of cases) {
      const error = await rejectionOf(readFrame(live(bytes), limits));
      expect(error).toBeInstanceOf(ProtocolError);
      expect(error.message).toMatch(message);
    }
  });

  it('a ZSTD payload that could expand past the cap is refused before decompression', async () => {
    // 9000 RLE blocks of 128 KiB: 36 KB on the wire, 1.1 GiB decompressed, while the header claims 10 bytes.
    const bomb = zstdRleFrame(9000);
    expect(zstdOutputBound(bomb, 0, bomb.length)).toBe(9000 * 128 * 1024);
    let error = await rejectionOf(readFrame(ByteReader.from(rawFrame(METHOD_ZSTD, bomb, 10))));
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error.message).toMatch(/could expand to 1179648000 bytes, over the cap of 1073741824/);
    // The cap follows maxDecompressedBytes.
    const small = zstdRleFrame(3);
    const limits = { maxDecompressedBytes: 256 * 1024 };
    error = await rejectionOf(readFrame(ByteReader.from(rawFrame(METHOD_ZSTD, small, 3 * 128 * 1024)), limits));
    expect(error.message).toMatch(/decompressed_size 393216, over the cap/);
    error = await rejectionOf(readFrame(ByteReader.from(rawFrame(METHOD_ZSTD, small, 1000)), limits));
    expect(error.message).toMatch(/could expand to 393216 bytes, over the cap of 262144/);
    // Within the cap the same frame decodes (the RLE frame is real zstd).
    const out = await readFrame(ByteReader.from(rawFrame(METHOD_ZSTD, small, 3 * 128 * 1024)));
    expect(out.equals(Buffer.alloc(3 * 128 * 1024, 'a'))).toBe(true);
  });

  it('malformed ZSTD headers are a ProtocolError', async () => {
    const payloads = [Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]), zstdRleFrame(2).subarray(0, 9), Buffer.from([0x28, 0xb5])];
    for (const payload of payloads) {
      const error = await rejectionOf(readFrame(ByteReader.from(rawFrame(METHOD_ZSTD, payload, 10))));
      expect(error).toBeInstanceOf(ProtocolError);
      expect(error.message).toMatch(/Malformed ZSTD payload/);
    }
  });

  it('a truncated frame fails with a ProtocolError at every cut', async () => {
    for (const frame of [...Object.values(frames), (await compressToFrames(mixedBytes(5000), 'lz4'))[0]!]) {
      for (let k = 0; k < frame.length; k++) {
        const error = await rejectionOf(readFrame(ByteReader.from(frame.subarray(0, k))));
        expect(error, `cut at ${k}`).toBeInstanceOf(ProtocolError);
        const inside = k < 25 ? 'header' : '\\d+-byte payload';
        expect(error.message).toMatch(
          new RegExp(`^Truncated compressed frame at byte 0: the stream stopped inside its ${inside}: Unexpected end`),
        );
      }
    }
  });

  it('a transport failure while waiting for the payload passes through unchanged', async () => {
    const frame = golden('data_compressed_lz4');
    const reader = new ByteReader();
    reader.push(frame.subarray(0, 30));
    const failure = new ConnectionError('Connection reset by peer');
    setImmediate(() => reader.fail(failure));
    expect(await rejectionOf(readFrame(reader))).toBe(failure);
  });

  it('decompressed bytes that disagree with decompressed_size are refused (checksum valid)', async () => {
    // NONE: payload of 3 bytes, header says 4.
    let error = await rejectionOf(readFrame(ByteReader.from(rawFrame(METHOD_NONE, Buffer.from([1, 2, 3]), 4))));
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error.message).toMatch(/decompressed to 3 bytes, but its header says 4/);
    // LZ4: the block holds 175 bytes, the header says 176.
    const block = lz4CompressBlock(dataRaw);
    error = await rejectionOf(readFrame(ByteReader.from(rawFrame(METHOD_LZ4, block, 176))));
    expect(error).toBeInstanceOf(ProtocolError);
    // LZ4: the header says fewer bytes than the block holds.
    error = await rejectionOf(readFrame(ByteReader.from(rawFrame(METHOD_LZ4, block, 170))));
    expect(error).toBeInstanceOf(ProtocolError);
    // ZSTD: the frame holds 175 bytes, the header says 174.
    const zstdPayload = golden('data_compressed_zstd').subarray(25);
    error = await rejectionOf(readFrame(ByteReader.from(rawFrame(METHOD_ZSTD, zstdPayload, 174))));
    expect(error).toBeInstanceOf(ProtocolError);
    // @mongodb-js/zstd decompresses it all, then the size check refuses it; node:zlib stops at the header's size.
    expect(error.message).toMatch(
      zstdImplementation === 'node:zlib'
        ? /Cannot decompress the ZSTD frame at byte 0: .*larger than 174 bytes/
        : /decompressed to 175 bytes, but its header says 174/,
    );
  });

  it('an undecodable LZ4 or ZSTD payload (valid checksum) is a ProtocolError', async () => {
    // 15 literals announced, 9 bytes present.
    const lz4 = Buffer.from([0xf0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
    let error = await rejectionOf(readFrame(ByteReader.from(rawFrame(METHOD_LZ4, lz4, 100))));
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error.message).toMatch(/Cannot decompress the LZ4 frame at byte 0/);
    const zstd = Buffer.from(golden('data_compressed_zstd').subarray(25));
    zstd[12]! ^= 0xff; // inside the compressed block
    error = await rejectionOf(readFrame(ByteReader.from(rawFrame(METHOD_ZSTD, zstd, 175))));
    expect(error).toBeInstanceOf(ProtocolError);
  });
});

describe('round trips', () => {
  const sizes = [0, 1, MiB - 1, MiB, MiB + 1, 3.5 * MiB];
  for (const method of METHODS) {
    for (const size of sizes) {
      it(`${method}: ${size} bytes split into ceil(n / 1 MiB) frames and read back`, async () => {
        const data = size > 1000 ? mixedBytes(size, size) : pseudoRandomBytes(size, size + 1);
        const frames = await compressToFrames(data, method);
        expect(frames).toHaveLength(Math.ceil(size / MAX_FRAME_INPUT));
        frames.forEach((frame, i) => {
          expect(frame.readUInt32LE(21)).toBe(Math.min(MAX_FRAME_INPUT, size - i * MAX_FRAME_INPUT));
          expect(frame.readUInt32LE(17)).toBe(frame.length - 16);
        });
        const decoded = await readAllFrames(Buffer.concat(frames));
        expect(Buffer.concat(decoded).equals(data)).toBe(true);
      });
    }
  }

  it('compressToFramesSync gives the same frames as compressToFrames for lz4 and none', async () => {
    const data = mixedBytes(2.2 * MiB, 9);
    for (const method of ['lz4', 'none'] as const) {
      const sync = compressToFramesSync(data, method);
      const async = await compressToFrames(data, method);
      expect(sync.map((f) => f.toString('hex'))).toEqual(async.map((f) => f.toString('hex')));
    }
  });

  it('maxFrameInput and the level are honoured and validated', async () => {
    const data = mixedBytes(10_000, 3);
    const frames = await compressToFrames(data, { method: 'lz4hc', level: 12 }, { maxFrameInput: 3000 });
    expect(frames).toHaveLength(4);
    expect(Buffer.concat(await readAllFrames(Buffer.concat(frames))).equals(data)).toBe(true);
    await expect(compressToFrames(data, 'lz4', { maxFrameInput: 0 })).rejects.toThrow(RangeError);
    await expect(compressToFrames(data, 'none', { maxFrameInput: 1.5 })).rejects.toThrow(RangeError);
    await expect(compressToFrames(data, { method: 'zstd', level: 99 })).rejects.toThrow(RangeError);
    await expect(compressToFrames(data, { method: 'lz4hc', level: 13 })).rejects.toThrow(RangeError);
    await expect(compressToFrames(data, 'brotli' as CompressionMethod)).rejects.toThrow(RangeError);
  });

  it('accepts a plain Uint8Array view at an offset', async () => {
    const backing = new Uint8Array(mixedBytes(3000, 5));
    const view = backing.subarray(7, 2900);
    for (const method of METHODS) {
      const frames = await compressToFrames(view, method, { maxFrameInput: 1000 });
      expect(Buffer.concat(await readAllFrames(Buffer.concat(frames))).equals(Buffer.from(view))).toBe(true);
    }
  });
});

describe('streaming', () => {
  /** Pushes `bytes` into a live reader from an async producer, `chunk(i)` bytes at a time, yielding in between. */
  function feed(bytes: Buffer, chunk: (i: number) => number): ByteReader {
    const reader = new ByteReader();
    void (async () => {
      let i = 0;
      for (let at = 0; at < bytes.length; i++) {
        await new Promise((resolve) => setImmediate(resolve));
        const n = Math.max(1, chunk(i));
        reader.push(bytes.subarray(at, at + n));
        at += n;
      }
      reader.end();
    })();
    return reader;
  }

  for (const method of METHODS) {
    it(`${method}: frames fed one byte at a time decode`, async () => {
      const data = mixedBytes(6000, 11);
      const frames = await compressToFrames(data, method, { maxFrameInput: 2000 });
      const reader = feed(Buffer.concat(frames), () => 1);
      const out: Buffer[] = [];
      for (let i = 0; i < frames.length; i++) out.push(await readFrame(reader));
      expect(Buffer.concat(out).equals(data)).toBe(true);
    });
  }

  it('decompressingSource: a reader over the decompressed stream reads across frame boundaries', async () => {
    const data = mixedBytes(3 * MiB + 12345, 13);
    const frames = await compressToFrames(data, 'lz4');
    const wire = Buffer.concat(frames);
    // Irregular socket chunks: 1 byte, then up to 64 KiB.
    const raw = feed(wire, (i) => (i % 7 === 0 ? 1 : ((i * 7919) % 65536) + 1));
    const decompressed = new ByteReader({ pull: decompressingSource(raw) });
    const pieces: Buffer[] = [];
    let left = data.length;
    for (let i = 0; left > 0; i++) {
      const n = Math.min(left, i % 2 ? 700_000 : 3);
      await decompressed.ensure(n);
      pieces.push(Buffer.from(decompressed.view(n)));
      left -= n;
    }
    expect(Buffer.concat(pieces).equals(data)).toBe(true);
    // Every frame was consumed, no more.
    expect(raw.offset).toBe(wire.length);
  });

  it('frames split into two socket chunks at every byte position decode, and what they gave stays intact', async () => {
    const data = mixedBytes(900, 17);
    for (const method of ['none', 'lz4', 'zstd'] as const) {
      // Two frames back to back, so that a split falls inside either, between them, or inside a header.
      const wire = Buffer.concat(await compressToFrames(data, method, { maxFrameInput: 450 }));
      for (let split = 1; split < wire.length; split++) {
        const raw = new ByteReader();
        raw.push(Buffer.from(wire.subarray(0, split)));
        raw.push(Buffer.from(wire.subarray(split)));
        raw.end();
        const first = await readFrame(raw);
        const second = await readFrame(raw);
        // The frame that spanned the chunks went through the shared scratch: reading the next one must not
        // have changed what the first one returned.
        expect(Buffer.concat([first, second]).equals(data), `${method}, split at ${split}`).toBe(true);
        expect(raw.drained).toBe(true);
      }
    }
  });

  it('a frame larger than the shared scratch (2 MiB) spanning chunks decodes from memory of its own', async () => {
    const data = pseudoRandomBytes(3 * MiB, 23);
    for (const method of ['none', 'lz4'] as const) {
      const wire = Buffer.concat(await compressToFrames(data, method, { maxFrameInput: 3 * MiB }));
      const raw = feed(wire, () => 65536);
      expect((await readFrame(raw)).equals(data)).toBe(true);
    }
  });

  it('decompressingSource passes the limits through', async () => {
    const frames = await compressToFrames(mixedBytes(5000, 1), 'none');
    const source = decompressingSource(ByteReader.from(Buffer.concat(frames)), { maxDecompressedBytes: 4999 });
    const error = await rejectionOf(source());
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error.message).toMatch(/decompressed_size 5000, over the cap of 4999/);
  });
});
