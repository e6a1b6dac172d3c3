import { describe, expect, it } from 'vitest';
import { ProtocolError, ConnectionError } from '../../src/errors.js';
import { ByteReader, NEED_MORE } from '../../src/protocol/reader.js';
import { ByteWriter } from '../../src/protocol/writer.js';

function sample(): Buffer {
  const w = new ByteWriter(8);
  w.u8(200);
  w.i8(-5);
  w.u16(65000);
  w.i16(-30000);
  w.u32(4_000_000_000);
  w.i32(-2_000_000_000);
  w.u64(18_000_000_000_000_000_000n);
  w.i64(-9_000_000_000_000_000_000n);
  w.f32(1.5);
  w.f64(-2.25);
  w.varUInt(0);
  w.varUInt(127);
  w.varUInt(128);
  w.varUInt(2 ** 53 - 1);
  w.varUInt64(2n ** 64n - 1n);
  w.string('');
  w.string('héllo, wörld');
  w.string('x'.repeat(300));
  return Buffer.from(w.finish());
}

function readSample(r: ByteReader) {
  return [
    r.u8(),
    r.i8(),
    r.u16(),
    r.i16(),
    r.u32(),
    r.i32(),
    r.u64(),
    r.i64(),
    r.f32(),
    r.f64(),
    r.varUInt(),
    r.varUInt(),
    r.varUInt(),
    r.varUInt(),
    r.varUInt64(),
    r.string(),
    r.string(),
    r.string(),
  ];
}

const EXPECTED = [
  200,
  -5,
  65000,
  -30000,
  4_000_000_000,
  -2_000_000_000,
  18_000_000_000_000_000_000n,
  -9_000_000_000_000_000_000n,
  1.5,
  -2.25,
  0,
  127,
  128,
  2 ** 53 - 1,
  2n ** 64n - 1n,
  '',
  'héllo, wörld',
  'x'.repeat(300),
];

describe('ByteWriter and ByteReader', () => {
  it('round-trips every primitive', () => {
    expect(readSample(ByteReader.from(sample()))).toEqual(EXPECTED);
  });

  it('writes LEB128 VarUInts as the protocol does', () => {
    const w = new ByteWriter();
    w.varUInt(54460);
    expect([...w.finish()]).toEqual([0xbc, 0xa9, 0x03]);
  });

  it('writes zig-zag VarInts for the old settings form', () => {
    const w = new ByteWriter();
    w.varInt64(-1n);
    w.varInt64(1n);
    w.varInt64(-3n);
    expect([...w.finish()]).toEqual([1, 2, 5]);
  });

  it('decodes the same whatever the chunking, inside atomic units', async () => {
    const bytes = sample();
    for (let split = 0; split <= bytes.length; split++) {
      const r = new ByteReader();
      const pending = r.atomic(() => readSample(r));
      r.push(bytes.subarray(0, split));
      await new Promise((resolve) => setImmediate(resolve));
      r.push(bytes.subarray(split));
      expect(await pending).toEqual(EXPECTED);
    }
  });

  it('decodes one byte per chunk', async () => {
    const bytes = sample();
    const r = new ByteReader();
    const pending = r.atomic(() => readSample(r));
    for (let i = 0; i < bytes.length; i++) {
      r.push(bytes.subarray(i, i + 1));
      await Promise.resolve();
    }
    expect(await pending).toEqual(EXPECTED);
  });

  it('throws NEED_MORE without consuming when bytes are short', () => {
    const r = new ByteReader();
    r.push(Buffer.from([0x80]));
    expect(() => r.varUInt()).toThrow();
    try {
      r.varUInt();
    } catch (e) {
      expect(e).toBe(NEED_MORE);
    }
    expect(r.available).toBe(1);
    r.push(Buffer.from([0x01]));
    expect(r.varUInt()).toBe(128);
  });

  it('fails every truncated prefix with ProtocolError', async () => {
    const bytes = sample();
    for (let k = 0; k < bytes.length; k++) {
      const r = ByteReader.from(bytes.subarray(0, k));
      await expect(r.atomic(() => readSample(r))).rejects.toBeInstanceOf(ProtocolError);
    }
  });

  it('caps string sizes before waiting for the bytes', async () => {
    const w = new ByteWriter();
    w.varUInt(2 ** 40);
    const r = ByteReader.from(w.finish(), { maxStringBytes: 1024 });
    await expect(r.atomic(() => r.string())).rejects.toThrow(/exceeds the cap of 1024/);
  });

  it('rejects a VarUInt longer than 10 bytes', () => {
    const r = ByteReader.from(Buffer.alloc(11, 0xff));
    expect(() => r.varUInt()).toThrow(ProtocolError);
  });

  it('passes a socket failure to the waiting decoder', async () => {
    const r = new ByteReader();
    const pending = r.ensure(4);
    r.push(Buffer.from([1, 2]));
    r.fail(new ConnectionError('reset'));
    await expect(pending).rejects.toBeInstanceOf(ConnectionError);
  });

  it('ensure makes bytes contiguous across chunks without losing position', async () => {
    const r = new ByteReader();
    r.push(Buffer.from([1, 2, 3]));
    expect(r.u8()).toBe(1);
    r.push(Buffer.from([4, 5]));
    r.push(Buffer.from([6]));
    await r.ensure(5);
    expect([...r.view(5)]).toEqual([2, 3, 4, 5, 6]);
    expect(r.offset).toBe(6);
  });
});

describe('the window codecs read through', () => {
  it('take(n) waits for n bytes across chunks and hands them over contiguous, consumed', async () => {
    const reader = new ByteReader();
    reader.push(Buffer.from([1, 2]));
    const taken = reader.take(5);
    reader.push(Buffer.from([3]));
    reader.push(Buffer.from([4, 5, 6]));
    expect([...(await taken)]).toEqual([1, 2, 3, 4, 5]);
    expect(reader.offset).toBe(5);
    expect([...(await reader.take(1))]).toEqual([6]);
    reader.end();
    await expect(reader.take(1)).rejects.toBeInstanceOf(ProtocolError);
  });

  it('window() shows the contiguous bytes, advance() consumes them, widen() joins queued chunks or waits', async () => {
    const reader = new ByteReader();
    reader.push(Buffer.from([1, 2, 3]));
    reader.push(Buffer.from([4]));
    expect([...reader.window()]).toEqual([1, 2, 3]);
    reader.advance(2);
    expect([...reader.window()]).toEqual([3]);
    expect(() => reader.advance(2)).toThrow(RangeError);
    await reader.widen(); // the queued chunk joins the window
    expect([...reader.window()]).toEqual([3, 4]);
    reader.advance(2);
    const widened = reader.widen(); // nothing queued: waits for the next chunk
    reader.push(Buffer.from([5]));
    await widened;
    expect([...reader.window()]).toEqual([5]);
    expect(reader.offset).toBe(4);
  });
});

describe('takeCopy: a frame-sized run of bytes without joining chunks', () => {
  const bytes = Buffer.from(Array.from({ length: 40 }, (_, i) => i + 1));

  it('at every split of the bytes into two chunks: the run, then the rest, read back exactly', () => {
    for (let split = 1; split < bytes.length; split++) {
      for (const n of [1, 7, 20, 39, 40]) {
        const reader = new ByteReader();
        reader.push(bytes.subarray(0, split));
        reader.push(Buffer.from(bytes.subarray(split)));
        const scratch = Buffer.alloc(64);
        const run = reader.takeCopy(n, scratch);
        expect(run.equals(bytes.subarray(0, n))).toBe(true);
        // Contiguous runs are views of the chunk, others land in the caller's scratch.
        expect(run.buffer === scratch.buffer).toBe(n > split);
        expect(reader.offset).toBe(n);
        const rest = reader.available > 0 ? reader.view(reader.available) : Buffer.alloc(0);
        expect(rest.equals(bytes.subarray(n))).toBe(true);
      }
    }
  });

  it('refuses more than is buffered or than the scratch holds, consuming nothing', () => {
    const reader = new ByteReader();
    reader.push(bytes.subarray(0, 10));
    reader.push(bytes.subarray(10, 20));
    expect(() => reader.takeCopy(21, Buffer.alloc(64))).toThrow(RangeError);
    expect(() => reader.takeCopy(15, Buffer.alloc(8))).toThrow(RangeError);
    expect(reader.offset).toBe(0);
    expect([...reader.takeCopy(15, Buffer.alloc(15))]).toEqual([...bytes.subarray(0, 15)]);
  });
});

describe('takeAligned: fixed-width column bytes moved onto an aligned address in place', () => {
  /** A 3-byte header, then `count` UInt64 values, as one chunk whose memory starts 8-aligned. */
  function chunk(count: number): Buffer {
    const memory = Buffer.from(new ArrayBuffer(3 + count * 8 + 5));
    memory.set([0xaa, 0xbb, 0xcc]);
    for (let i = 0; i < count; i++) memory.writeBigUInt64LE(BigInt(i) * 0x0101010101n + 7n, 3 + i * 8);
    return memory.subarray(0, 3 + count * 8);
  }
  const expected = (count: number) => Array.from({ length: count }, (_, i) => BigInt(i) * 0x0101010101n + 7n);

  it('a reader that owns its chunks moves the values back over the consumed header: an aligned view, no copy', async () => {
    const input = chunk(100);
    const reader = new ByteReader({ ownsChunks: true });
    reader.push(input);
    reader.end();
    expect(await reader.atomic(() => [reader.u8(), reader.u8(), reader.u8()])).toEqual([0xaa, 0xbb, 0xcc]);
    const bytes = await reader.takeAligned(800, 8);
    expect(bytes.buffer).toBe(input.buffer);
    expect(bytes.byteOffset % 8).toBe(0);
    expect([...new BigUint64Array(bytes.buffer, bytes.byteOffset, 100)]).toEqual(expected(100));
    expect(reader.offset).toBe(803);
    expect(reader.drained).toBe(true);
  });

  it('never moves bytes when a view of the chunk was handed out before, or when the chunks are not its own', async () => {
    for (const owns of [true, false]) {
      const input = chunk(10);
      const before = Buffer.from(input);
      const reader = new ByteReader({ ownsChunks: owns });
      reader.push(input);
      // Owned chunks with a view lent; or chunks not its own, read without lending anything.
      const header = owns ? await reader.take(3) : await reader.atomic(() => [reader.u8(), reader.u8(), reader.u8()]);
      const bytes = await reader.takeAligned(80, 8);
      expect(bytes.byteOffset % 8).toBe(3);
      expect([...header]).toEqual([0xaa, 0xbb, 0xcc]);
      expect(input.equals(before)).toBe(true);
      // readTypedArray copies such bytes: the values are the same.
      expect([...new BigUint64Array(Uint8Array.from(bytes).buffer)]).toEqual(expected(10));
    }
  });

  it('moves over consumed bytes only after the last view handed out (a column after a column and its header)', async () => {
    // [4 bytes taken as a view][9 header bytes read by value][2 UInt64]: the values sit at 13, 5 past 8; the 5 bytes
    // before them were never handed out, so they move to 8. With 3 header bytes they could not (they would cover
    // the view) and stay where they are.
    for (const [header, moved] of [
      [9, true],
      [3, false],
    ] as const) {
      const memory = Buffer.from(new ArrayBuffer(64)).subarray(0, 4 + header + 16);
      memory.set([1, 2, 3, 4]);
      memory.writeBigUInt64LE(11n, 4 + header);
      memory.writeBigUInt64LE(22n, 12 + header);
      const reader = new ByteReader({ ownsChunks: true });
      reader.push(memory);
      const view = await reader.take(4);
      await reader.atomic(() => {
        for (let i = 0; i < header; i++) reader.u8();
      });
      const bytes = await reader.takeAligned(16, 8);
      expect(bytes.byteOffset % 8 === 0).toBe(moved);
      expect([...view]).toEqual([1, 2, 3, 4]);
      const values = moved ? bytes : Uint8Array.from(bytes);
      expect([...new BigUint64Array(values.buffer, values.byteOffset, 2)]).toEqual([11n, 22n]);
    }
  });

  it('values that span chunks are joined first (a fresh buffer of its own), then aligned', async () => {
    const input = chunk(50);
    for (let split = 1; split < input.length; split += 37) {
      const reader = new ByteReader({ ownsChunks: true });
      reader.push(Buffer.from(input.subarray(0, split)));
      reader.push(Buffer.from(input.subarray(split)));
      reader.skip(3);
      const bytes = await reader.takeAligned(400, 8);
      const values = bytes.byteOffset % 8 === 0 ? bytes : Uint8Array.from(bytes);
      expect([...new BigUint64Array(values.buffer, values.byteOffset, 50)]).toEqual(expected(50));
    }
  });
});
