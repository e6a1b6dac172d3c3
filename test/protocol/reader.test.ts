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
