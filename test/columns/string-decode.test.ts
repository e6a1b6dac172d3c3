/**
 * String decoding's fast path (runs of one-byte-length strings checked for ASCII at once; short ones cut out of one
 * latin1 decode) against the general path: each value's bytes decoded as UTF-8 on their own, for ASCII, non-ASCII,
 * invalid UTF-8 and lone-surrogate bytes, at every boundary length, whole or arriving a byte at a time. The lazy
 * column of the row iterator (LazyStringColumn: bytes kept, decoded a run at a time) against the same.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteReader } from '../../src/protocol/reader.js';
import { readLazyStrings } from '../../src/columns/string.js';
import { byteAtATimeReader, decodeColumn, encodeColumn, readColumn } from './helpers.js';

/** What the general path gives for raw values: each one's bytes decoded as UTF-8 by Buffer. */
const general = (values: readonly Uint8Array[]) => values.map((v) => Buffer.from(v).toString('utf8'));
const bytesOf = (s: string) => Buffer.from(s, 'utf8');

const SAMPLES: Record<string, Uint8Array[]> = {
  'every boundary length, ASCII': [0, 1, 11, 12, 13, 14, 126, 127, 128, 129, 300].map((n) => bytesOf('a'.repeat(n))),
  'many short ASCII (more than one run)': Array.from({ length: 10_000 }, (_, n) => bytesOf(String(n))),
  'long ASCII': Array.from({ length: 500 }, (_, n) => bytesOf(`https://shop.example.com/item/${n}?s=${n * 7}`)),
  'one non-ASCII value in a run': Array.from({ length: 1000 }, (_, n) => bytesOf(n === 500 ? 'é' : `v${n}`)),
  'non-ASCII throughout': Array.from({ length: 300 }, (_, n) => bytesOf(`€${n}日本`)),
  'invalid UTF-8': [
    Uint8Array.from([0xff]),
    Uint8Array.from([0x61, 0xc3]),
    Uint8Array.from([0xe2, 0x82]),
    Uint8Array.from([0xc0, 0xaf]),
    Uint8Array.from([0x80, 0x80, 0x41]),
  ],
  'a lone surrogate as UTF-8 (CESU bytes)': [
    Uint8Array.from([0xed, 0xa0, 0x80]),
    bytesOf('ok'),
    Uint8Array.from([0x61, 0xed, 0xb0, 0x80]),
  ],
  'Latin-1 bytes that are not UTF-8': Array.from({ length: 50 }, (_, n) =>
    Uint8Array.from([0x41 + (n % 26), 0xe9, 0x20]),
  ),
  'NUL and DEL': Array.from({ length: 100 }, (_, n) => bytesOf('\u0000\u007f'.repeat(n % 7))),
  'short and long mixed across the 128-byte length boundary': Array.from({ length: 600 }, (_, n) =>
    bytesOf('z'.repeat(n % 200)),
  ),
};

describe('String decoding', () => {
  for (const [name, values] of Object.entries(SAMPLES)) {
    it(`gives what decoding each value alone gives: ${name}`, async () => {
      const bytes = encodeColumn('String', values);
      expect(await decodeColumn('String', bytes, values.length)).toEqual(general(values));
    });
  }

  it('the same when the bytes arrive one at a time', async () => {
    const values = [
      ...SAMPLES['one non-ASCII value in a run']!.slice(495, 505),
      ...SAMPLES['invalid UTF-8']!,
      ...SAMPLES['every boundary length, ASCII']!,
    ];
    const bytes = encodeColumn('String', values);
    expect(await readColumn('String', byteAtATimeReader(bytes), values.length)).toEqual(general(values));
  });

  it('matches the general path for random bytes and text (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.uint8Array({ maxLength: 20 }),
            fc.uint8Array({ minLength: 120, maxLength: 140 }),
            fc.string({ maxLength: 30 }).map(bytesOf),
            fc.string({ unit: 'binary', maxLength: 15 }).map(bytesOf),
          ),
          { maxLength: 300 },
        ),
        fc.nat(),
        async (values, cut) => {
          const bytes = encodeColumn('String', values);
          expect(await decodeColumn('String', bytes, values.length)).toEqual(general(values));
          // Split in two chunks: the run stops at the window's end and resumes.
          const reader = new ByteReader();
          const split = cut % (bytes.length + 1);
          reader.push(bytes.subarray(0, split));
          setImmediate(() => {
            reader.push(bytes.subarray(split));
            reader.end();
          });
          expect(await readColumn('String', reader, values.length)).toEqual(general(values));
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe("LazyStringColumn (the row iterator's String columns)", () => {
  /** Reads `bytes` as a lazy column from two chunks split at `split`, checking every byte was consumed. */
  async function lazy(bytes: Buffer, rows: number, split = bytes.length) {
    const reader = new ByteReader();
    reader.push(Buffer.from(bytes.subarray(0, split)));
    setImmediate(() => {
      reader.push(Buffer.from(bytes.subarray(split)));
      reader.end();
    });
    const column = await readLazyStrings(reader, 's', 'String', rows);
    expect(reader.offset).toBe(bytes.length);
    return column;
  }
  const inOrder = (column: { rows: number; get(row: number): string }) =>
    Array.from({ length: column.rows }, (_, i) => column.get(i));

  for (const [name, values] of Object.entries(SAMPLES)) {
    it(`gives what decoding each value alone gives, in order and all at once: ${name}`, async () => {
      const bytes = encodeColumn('String', values);
      expect(inOrder(await lazy(bytes, values.length))).toEqual(general(values));
      expect((await lazy(bytes, values.length)).values).toEqual(general(values));
    });
  }

  it('at every split of the bytes into two chunks (a string cut anywhere, its length too)', async () => {
    const values = [
      bytesOf(''),
      bytesOf('a'),
      bytesOf('x'.repeat(200)),
      Uint8Array.from([0xff, 0xc3]),
      bytesOf('é'),
      bytesOf(''),
      bytesOf('ok'),
    ];
    const bytes = encodeColumn('String', values);
    for (let split = 0; split <= bytes.length; split++) {
      expect(inOrder(await lazy(bytes, values.length, split)), `split at ${split}`).toEqual(general(values));
    }
  });

  it('leaves the bytes after the column to the next reader, and answers rows out of order', async () => {
    const values = SAMPLES['many short ASCII (more than one run)']!;
    const bytes = Buffer.concat([encodeColumn('String', values), Buffer.from([0xab])]);
    const reader = ByteReader.from(bytes);
    const column = await readLazyStrings(reader, 's', 'String', values.length);
    expect(reader.u8()).toBe(0xab);
    // In order for the first run, then a jump back and ahead: the whole column is decoded once.
    expect(column.get(0)).toBe('0');
    expect(column.get(1)).toBe('1');
    expect(column.get(9000)).toBe('9000');
    expect(column.get(2)).toBe('2');
    expect(column.values).toEqual(general(values));
  });

  it('refuses a string over the cap before keeping it', async () => {
    const bytes = encodeColumn('String', [bytesOf('short'), bytesOf('y'.repeat(300))]);
    const reader = new ByteReader({ limits: { maxStringBytes: 200 } });
    reader.push(bytes);
    reader.end();
    await expect(readLazyStrings(reader, 's', 'String', 2)).rejects.toThrow(
      /String of 300 bytes .* exceeds the cap of 200/,
    );
  });
});
