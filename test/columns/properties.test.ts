/**
 * Properties over random values: decode(encode(v)) gives v back (in the read mapping), re-encoding the decoded
 * column gives the same bytes, and any split of the bytes into two chunks decodes the same.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteReader } from '../../src/protocol/reader.js';
import { decodeColumn, encodeColumn, plain, readColumn } from './helpers.js';

const rows = <T>(value: fc.Arbitrary<T>) => fc.array(value, { minLength: 1, maxLength: 30 });
const text = fc.string({ unit: 'grapheme', maxLength: 40 });
const int = (min: number, max: number) => fc.integer({ min, max });
const i64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });

interface Property {
  type: string;
  values: fc.Arbitrary<unknown[]>;
  /** What reading gives for a written value, when not the value itself. */
  read?: (value: unknown) => unknown;
}

const ENUM = "Enum16('a' = -5, 'b' = 0, 'c' = 1000)";

const PROPERTIES: Property[] = [
  { type: 'UInt8', values: rows(int(0, 255)) },
  { type: 'Int16', values: rows(int(-32768, 32767)) },
  { type: 'UInt32', values: rows(int(0, 2 ** 32 - 1)) },
  { type: 'Int32', values: rows(int(-(2 ** 31), 2 ** 31 - 1)) },
  { type: 'Int64', values: rows(i64) },
  { type: 'UInt64', values: rows(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })) },
  { type: 'Int64', values: rows(fc.maxSafeInteger()), read: (v) => BigInt(v as number) },
  { type: 'Float64', values: rows(fc.double()) },
  { type: 'Float32', values: rows(fc.float()) },
  { type: 'String', values: rows(text) },
  {
    type: 'FixedString(5)',
    values: rows(fc.uint8Array({ maxLength: 5 })),
    read: (v) => plain(Buffer.concat([v as Uint8Array], 5)),
  },
  { type: 'UUID', values: rows(fc.uuid()) },
  { type: 'Date', values: rows(int(0, 65535)), read: (d) => new Date((d as number) * 86_400_000) },
  { type: 'DateTime', values: rows(int(0, 2 ** 32 - 1)), read: (s) => new Date((s as number) * 1000) },
  { type: ENUM, values: rows(fc.constantFrom('a', 'b', 'c')) },
  { type: 'Nullable(String)', values: rows(fc.option(text, { nil: null })) },
  { type: 'Nullable(Int64)', values: rows(fc.option(i64, { nil: null })) },
  { type: `Nullable(${ENUM})`, values: rows(fc.option(fc.constantFrom('a', 'c'), { nil: null })) },
  { type: 'Array(Int16)', values: rows(fc.array(int(-32768, 32767), { maxLength: 6 })) },
  {
    type: 'Array(Array(Nullable(String)))',
    values: rows(fc.array(fc.array(fc.option(text, { nil: null }), { maxLength: 4 }), { maxLength: 4 })),
  },
  { type: 'Array(UUID)', values: rows(fc.array(fc.uuid(), { maxLength: 3 })) },
];

describe.each(PROPERTIES)('$type', ({ type, values, read }) => {
  it('decodes what it encodes, and re-encodes the same bytes, whatever the chunking', async () => {
    await fc.assert(
      fc.asyncProperty(values, fc.nat(), async (input, cut) => {
        const bytes = encodeColumn(type, input);
        const decoded = await decodeColumn(type, bytes, input.length);
        expect(plain(decoded)).toEqual(plain(read ? input.map(read) : input));
        expect(encodeColumn(type, decoded, input.length).equals(bytes)).toBe(true);

        const split = cut % (bytes.length + 1);
        const reader = new ByteReader();
        reader.push(bytes.subarray(0, split));
        setImmediate(() => {
          reader.push(bytes.subarray(split));
          reader.end();
        });
        expect(plain(await readColumn(type, reader, input.length))).toEqual(plain(decoded));
      }),
      { numRuns: 60 },
    );
  });
});
