/** ByteWriter.string's fast paths (short ASCII by a JS loop, under-128-character strings written before their length). */
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
