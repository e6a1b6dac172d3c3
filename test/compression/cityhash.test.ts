import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cityHash128, cityHash128Equals, cityHash128Into, cityHash64 } from '../../src/compression/cityhash.js';
import { GOLDEN, pseudoRandomBytes } from './helpers.js';

const utf8 = (s: string) => Buffer.from(s, 'utf8');

/** go-faster/city `_testdata/ch128.csv`: input, CityHash128 v1.0.2 low hex, high hex. */
const csvRows = readFileSync(`${GOLDEN}/cityhash/ch128.csv`, 'utf8')
  .split('\n')
  .filter((line) => line.length > 0)
  .map((line) => {
    const [input, low, high] = line.split(',');
    return { input: input!, low: BigInt(`0x${low}`), high: BigInt(`0x${high}`) };
  });

interface JsonEntry {
  Input: string;
  City64: string;
  City128: { Low: string; High: string };
  ClickHouse64: string;
  ClickHouse128: { Low: string; High: string };
}

/**
 * go-faster/city `_testdata/data.json`. Its hash values are 64-bit integers beyond 2^53, which JSON.parse would
 * round: quote them in the raw text first (the keys cannot occur unescaped inside the Input strings).
 */
const jsonEntries: JsonEntry[] = JSON.parse(
  readFileSync(`${GOLDEN}/cityhash/data.json`, 'utf8').replace(
    /("(?:Low|High|City32|City64|ClickHouse64)"\s*:\s*)(\d+)/g,
    '$1"$2"',
  ),
).Entries;

/** docs/protocol.md §5.3 table: input, low64, high64, the 16 wire bytes when listed. */
const protocolTable: Array<[string, bigint, bigint, string?]> = [
  ['', 0x3df09dfc64c09a2bn, 0x3cb540c392e51e29n, '2b9ac064fc9df03d291ee592c340b53c'],
  ['a', 0xd27139a1afe01ad0n, 0xfd7e8ee2e4c86cf6n, 'd01ae0afa13971d2f66cc8e4e28e7efd'],
  ['ab', 0xa8428869a6926838n, 0xd9c157109d63f0b7n, '386892a6698842a8b7f0639d1057c1d9'],
  ['abc', 0x900ff195577748fen, 0x13a9176355b20d7en, 'fe48775795f10f907e0db2556317a913'],
  ['abcd', 0xd21338e7df1dac94n, 0xccf0f3d08357ececn, '94ac1ddfe73813d2ecec5783d0f3f0cc'],
  ['Moscow', 0x2edf17bfee3edf6dn, 0x22aef305c6409d55n, '6ddf3eeebf17df2e559d40c605f3ae22'],
  ['ClickHouse', 0x3704cc81c00bb612n, 0x76d43ac4baf91402n, '12b60bc081cc04370214f9bac43ad476'],
  ['0123456789', 0xc971b4be71aeffa5n, 0x26998264d5283da9n, 'a5ffae71beb471c9a93d28d564829926'],
  ['I', 0x3a4a285c94f1936en, 0x18115b183f326829n],
  ['3Nv7DSqKym', 0x0a15c18688f33289n, 0xa992a0eb969152ccn],
  ['y2JxfVmFTDCc5E8j6SyJ', 0x55dbda31fd73db4fn, 0xe93b771a2f3821ean],
  ['yuvDClBIDjXN9jJ2u5KwKsc', 0xfa3bbefcaa946bd3n, 0xa28a1edf92ba56fan],
];

/** The 16 bytes a frame carries for a 128-bit hash: low64 LE, then high64 LE. */
function wireBytes(low: bigint, high: bigint): Buffer {
  const out = Buffer.alloc(16);
  out.writeBigUInt64LE(low, 0);
  out.writeBigUInt64LE(high, 8);
  return out;
}

describe('cityHash128 (v1.0.2, ClickHouse variant)', () => {
  it(`matches all ${csvRows.length} rows of go-faster/city ch128.csv`, () => {
    expect(csvRows.length).toBeGreaterThan(900);
    for (const { input, low, high } of csvRows) {
      const data = utf8(input);
      expect(cityHash128(data), `input of ${data.length} bytes`).toEqual({ low, high });
      const out = Buffer.alloc(16);
      cityHash128Into(data, 0, data.length, out, 0);
      expect(out.equals(wireBytes(low, high))).toBe(true);
    }
  });

  it(`matches ClickHouse128 of all ${jsonEntries.length} entries of data.json (and differs from v1.1 City128)`, () => {
    expect(jsonEntries.length).toBe(57);
    let differsFromV11 = 0;
    for (const entry of jsonEntries) {
      const data = utf8(entry.Input);
      const got = cityHash128(data);
      expect(got, JSON.stringify(entry.Input)).toEqual({
        low: BigInt(entry.ClickHouse128.Low),
        high: BigInt(entry.ClickHouse128.High),
      });
      if (got.low !== BigInt(entry.City128.Low)) differsFromV11++;
    }
    // Proof that the vectors tell the versions apart (a v1.1 port would fail almost every row).
    expect(differsFromV11).toBeGreaterThan(50);
  });

  it('matches the docs/protocol.md §5.3 table, including the bytes on the wire', () => {
    for (const [input, low, high, wire] of protocolTable) {
      const data = utf8(input);
      expect(cityHash128(data), input).toEqual({ low, high });
      if (wire) {
        const out = Buffer.alloc(16);
        cityHash128Into(data, 0, data.length, out);
        expect(out.toString('hex'), input).toBe(wire);
      }
    }
    // v1.1 would give this low half for "a" (§5.3): make sure we did not build that.
    expect(cityHash128(utf8('a')).low).not.toBe(0x6e97d6bbdfc0a0c4n);
  });

  it('hashes a sub-range in place at any alignment, and writes at any output offset', () => {
    const lengths = [0, 1, 7, 8, 15, 16, 17, 31, 32, 33, 64, 65, 127, 128, 129, 143, 144, 145, 255, 256, 1000, 4099];
    for (const len of lengths) {
      const data = pseudoRandomBytes(len, len + 1);
      const expected = cityHash128(Buffer.from(data));
      for (const shift of [1, 2, 3, 5]) {
        // Odd byteOffset of the view and of the range: the hot loop reads through a DataView.
        const backing = Buffer.alloc(len + 2 * shift + 8);
        data.copy(backing, shift + 3);
        const view = backing.subarray(shift);
        expect(cityHash128(view, 3, 3 + len), `len ${len} shift ${shift}`).toEqual(expected);
        const out = Buffer.alloc(16 + shift);
        cityHash128Into(view, 3, 3 + len, out, shift);
        expect(out.subarray(shift).equals(wireBytes(expected.low, expected.high))).toBe(true);
        expect(cityHash128Equals(view, 3, 3 + len, out, shift)).toBe(true);
        out[shift + 15]! ^= 1;
        expect(cityHash128Equals(view, 3, 3 + len, out, shift)).toBe(false);
      }
    }
  });

  it('is deterministic on 1 MiB and sensitive to every region of the input', () => {
    const data = pseudoRandomBytes(1 << 20, 7);
    const base = cityHash128(data);
    expect(cityHash128(Buffer.from(data))).toEqual(base);
    for (const at of [0, 15, 16, 17, 100, 65536, (1 << 20) - 129, (1 << 20) - 64, (1 << 20) - 1]) {
      const copy = Buffer.from(data);
      copy[at]! ^= 0x80;
      expect(cityHash128(copy), `flip at ${at}`).not.toEqual(base);
    }
  });

  it('rejects bad ranges', () => {
    const data = Buffer.alloc(10);
    expect(() => cityHash128(data, 5, 4)).toThrow(RangeError);
    expect(() => cityHash128(data, 0, 11)).toThrow(RangeError);
    expect(() => cityHash128(data, -1, 3)).toThrow(RangeError);
    expect(() => cityHash128Into(data, 0, 10, Buffer.alloc(16), 1)).toThrow(RangeError);
  });
});

describe('cityHash64 (v1.0.2, SQL cityHash64)', () => {
  it(`matches ClickHouse64 of all data.json entries (and differs from v1.1 City64)`, () => {
    let differsFromV11 = 0;
    for (const entry of jsonEntries) {
      const got = cityHash64(utf8(entry.Input));
      expect(got, JSON.stringify(entry.Input)).toBe(BigInt(entry.ClickHouse64));
      if (got !== BigInt(entry.City64)) differsFromV11++;
    }
    expect(differsFromV11).toBeGreaterThan(40);
  });

  it('gives the §5.3 value for Moscow, not the v1.1 one', () => {
    expect(cityHash64(utf8('Moscow'))).toBe(12507901496292878638n);
    expect(cityHash64(utf8('Moscow'))).not.toBe(5992710078453357409n);
  });

  it('hashes a sub-range like a copy', () => {
    const data = pseudoRandomBytes(300, 3);
    expect(cityHash64(data, 10, 250)).toBe(cityHash64(Buffer.from(data.subarray(10, 250))));
  });
});
