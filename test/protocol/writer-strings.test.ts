/** ByteWriter.string's fast paths (short ASCII by a JS loop, under-128-character strings written before their length). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteReader } from '../../src/protocol/reader.js';
import { ByteWriter } from '../../src/protocol/writer.js';

const CASES = [
  '',
  'a',
  'view',
  'x'.repeat(24),
  'x'.repeat(25),
  'x'.repeat(127),
  'x'.repeat(128),
  'x'.repeat(20_000),
  'héllo',
  'ab€',
  '€'.repeat(42), // 126 bytes: one-byte length
  '€'.repeat(43), // 129 bytes from 43 characters: two-byte length, bytes moved by one
  '€'.repeat(127), // 381 bytes
  '👋'.repeat(30), // surrogate pairs: 120 bytes
  '👋'.repeat(40), // 160 bytes
  'ascii then é',
  '\u0000\u007f',
];

describe('ByteWriter.string', () => {
  it('writes the VarUInt byte length and the UTF-8 bytes, for every length and script', async () => {
    const writer = new ByteWriter(16);
    for (const s of CASES) writer.string(s);
    const bytes = writer.finish();
    const expected = Buffer.concat(
      CASES.flatMap((s) => {
        const utf8 = Buffer.from(s, 'utf8');
        const length = new ByteWriter(16);
        length.varUInt(utf8.length);
        return [length.finish(), utf8];
      }),
    );
    expect(bytes.equals(expected)).toBe(true);
    const reader = ByteReader.from(bytes);
    for (const s of CASES) expect(reader.string()).toBe(s);
  });
});

/** What `string` writes for each value: the general path `strings` must match byte for byte. */
function oneByOne(values: readonly string[]): Buffer {
  const writer = new ByteWriter(16);
  for (const s of values) writer.string(s);
  return Buffer.from(writer.finish());
}

function inBulk(values: readonly unknown[], start = 0, end = values.length): { bytes: Buffer; stopped: number } {
  const writer = new ByteWriter(16);
  const stopped = writer.strings(values, start, end);
  return { bytes: Buffer.from(writer.finish()), stopped };
}

/** A rope, as an application builds a string: pieces joined at run time (V8 keeps it unflattened). */
function rope(n: number, tail: string): string {
  return `https://shop.example.com/${['item', 'cart'][n % 2]}/${n}?s=${(n * 2654435761).toString(36)}` + tail;
}

describe('ByteWriter.strings (bulk)', () => {
  const lengths = [0, 1, 11, 12, 13, 14, 24, 25, 126, 127, 128, 129, 300];
  const samples: Record<string, string[]> = {
    'every boundary length, ASCII': lengths.map((n) => 'a'.repeat(n)),
    'ropes built at run time': Array.from({ length: 1000 }, (_, n) => rope(n, '')),
    'short flat strings only': Array.from({ length: 1000 }, (_, n) => ['view', 'click', 'purchase'][n % 3]!),
    'one non-ASCII string in a batch of ASCII ropes': Array.from({ length: 600 }, (_, n) =>
      rope(n, n === 300 ? 'é' : ''),
    ),
    'short non-ASCII among short ASCII': Array.from({ length: 100 }, (_, n) => (n % 7 === 0 ? 'ü' : 'ab')),
    'short non-ASCII inside an open batch': Array.from({ length: 100 }, (_, n) => (n % 2 ? rope(n, '') : 'né')),
    'mostly non-ASCII (falls back to one by one)': Array.from({ length: 2000 }, (_, n) => `€${n}`.repeat(5)),
    'Latin-1 characters (two UTF-8 bytes each)': Array.from({ length: 300 }, (_, n) => 'Grüße aus Köln ' + n),
    'lone surrogates (written as U+FFFD)': ['\ud800', 'x\udc00y'.repeat(5), 'ok'.repeat(10), '\udbff\udfff'.repeat(7)],
    'surrogate pairs': Array.from({ length: 50 }, (_, n) => '👋'.repeat(n)),
    'NUL and DEL': Array.from({ length: 50 }, (_, n) => '\u0000\u007f'.repeat(n)),
    'long strings between short ones': Array.from({ length: 300 }, (_, n) => (n % 3 ? 'x'.repeat(n) : 'ab')),
    'more than one batch of characters': Array.from({ length: 3000 }, (_, n) => 'y'.repeat(100 + (n % 27))),
  };
  for (const [name, values] of Object.entries(samples)) {
    it(`writes what string() writes: ${name}`, () => {
      const { bytes, stopped } = inBulk(values);
      expect(stopped).toBe(values.length);
      expect(bytes.equals(oneByOne(values))).toBe(true);
    });
  }

  it('stops at the first value that is not a string, having written the strings before it', () => {
    const values = ['a', rope(1, ''), rope(2, ''), new Uint8Array([1]), 'b', null];
    const first = inBulk(values);
    expect(first.stopped).toBe(3);
    expect(first.bytes.equals(oneByOne(values.slice(0, 3) as string[]))).toBe(true);
    const second = inBulk(values, 4);
    expect(second.stopped).toBe(5);
    expect(second.bytes.equals(oneByOne(['b']))).toBe(true);
  });

  it('honours start and end', () => {
    const values = Array.from({ length: 700 }, (_, n) => rope(n, ''));
    const { bytes, stopped } = inBulk(values, 100, 650);
    expect(stopped).toBe(650);
    expect(bytes.equals(oneByOne(values.slice(100, 650)))).toBe(true);
  });

  it('leaves the input strings as they were (a batch is flattened, not its members)', () => {
    const values = Array.from({ length: 300 }, (_, n) => rope(n, ''));
    const copies = values.map((s) => s.split('').join(''));
    inBulk(values);
    expect(values).toEqual(copies);
  });

  it('matches string() for random strings of every script (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.string({ maxLength: 140 }),
            fc.string({ unit: 'grapheme', maxLength: 60 }),
            fc.string({ unit: 'binary', maxLength: 60 }),
            fc.integer({ min: 0, max: 10_000 }).map((n) => rope(n, '')),
          ),
          { maxLength: 700 },
        ),
        (values) => {
          const { bytes, stopped } = inBulk(values);
          expect(stopped).toBe(values.length);
          expect(bytes.equals(oneByOne(values))).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
  });
});
