/**
 * The fast paths of the composite and flat codecs write exactly the bytes of their plain definition
 * (docs/protocol.md §6), across their internal piece and batch boundaries, and refuse bad values with the same
 * errors at the right rows: Nullable and Array over a flat type (FlatPieces, pieces of 4096 values).
 * Each expectation is built independently: Nullable's null map, then T's column with ZERO under the NULLs;
 * Array's UInt64 end offsets, then T's column of all elements, written in one call.
 */
import { describe, expect, it } from 'vitest';
import { ZERO } from '../../src/columns/codec.js';
import { NativeFormat } from '../../src/columns/native-format.js';
import { getCodec } from '../../src/columns/registry.js';
import { InvalidValueError } from '../../src/errors.js';
import { ByteWriter, DryWriter } from '../../src/protocol/writer.js';
import { encodeColumn } from './helpers.js';

/** More rows than two pieces, ending mid-piece. */
const ROWS = 4096 * 2 + 77;

/** A deterministic pseudo-random sequence (xorshift32). */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** One writer call without the fast path's helpers: T's bytes for all values at once. */
function flatBytes(type: string, values: unknown[]): Buffer {
  const writer = new ByteWriter();
  getCodec(type).write(writer, values, values.length);
  return Buffer.from(writer.finish());
}

function offsets(rows: ArrayLike<unknown>[]): Buffer {
  const out = Buffer.alloc(rows.length * 8);
  let total = 0;
  rows.forEach((row, i) => {
    total += row.length;
    out.writeBigUInt64LE(BigInt(total), i * 8);
  });
  return out;
}

function caught(run: () => unknown): InvalidValueError {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidValueError) return error;
    throw error;
  }
  throw new Error('accepted');
}

/** A value of each flat type, by row number (so that rows differ). */
const SAMPLES: [type: string, value: (i: number) => unknown][] = [
  ['String', (i) => (i % 7 === 0 ? `é${i}` : i % 11 === 0 ? '' : `s${i}`)],
  ['UInt32', (i) => i * 7919],
  ['Int64', (i) => (i % 2 ? BigInt(-i) * 1_000_000_007n : i)],
  ['Float64', (i) => i / 3],
  ['FixedString(3)', (i) => (i % 5 === 0 ? Buffer.from([i & 0xff]) : `${i % 1000}`)],
  ['UUID', (i) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`],
  ["Enum8('a' = 1, 'b' = -2)", (i) => (i % 3 === 0 ? 'a' : i % 3 === 1 ? 'b' : -2)],
  ['Date', (i) => new Date(Date.UTC(2020, 0, 1 + (i % 1000)))],
  ['DateTime', (i) => new Date(Date.UTC(2020, 0, 1) + i * 1001)],
  ['Decimal(9, 2)', (i) => `${i}.25`],
  ['IPv4', (i) => `10.0.${(i >> 8) & 0xff}.${i & 0xff}`],
];

describe('Nullable of a flat type', () => {
  it.each(SAMPLES)('Nullable(%s): the null map, then T with ZERO under the NULLs, across pieces', (type, value) => {
    const next = random(type.length);
    for (const share of [0, 0.01, 0.3, 0.97, 1]) {
      const values = Array.from({ length: ROWS }, (_, i) => (next() < share ? null : value(i)));
      const map = Buffer.from(values.map((v) => (v === null ? 1 : 0)));
      const expected = Buffer.concat([
        map,
        flatBytes(
          type,
          values.map((v) => (v === null ? ZERO : v)),
        ),
      ]);
      expect(encodeColumn(`Nullable(${type})`, values).equals(expected)).toBe(true);
    }
  });

  it('writes only the first `rows` values, and ZERO given as a value is a NULL', () => {
    const values = ['a', null, ZERO, 'b', 'not written'];
    expect(encodeColumn('Nullable(String)', values, 4).toString('hex')).toBe(
      '00010100' + '0161' + '00' + '00' + '0162',
    );
  });

  it('refuses a bad value or undefined in a later piece at its own row, through a DryWriter too', () => {
    const values: unknown[] = Array.from({ length: ROWS }, (_, i) => (i % 2 ? null : i % 200));
    for (const writer of [new ByteWriter(), new DryWriter()]) {
      const bad = [...values];
      bad[4096 * 2 + 10] = 300;
      const error = caught(() => getCodec('Nullable(UInt8)').write(writer, bad, ROWS));
      expect(error.row).toBe(4096 * 2 + 10);
      expect(error.reason).toBe('300 is out of range for UInt8 (0 to 255)');
      const missing = [...values];
      missing[5000] = undefined;
      expect(caught(() => getCodec('Nullable(UInt8)').write(writer, missing, ROWS)).row).toBe(5000);
    }
  });

  it('names the column and row from writeBlock', () => {
    const values: unknown[] = Array.from({ length: ROWS }, (_, i) => (i % 3 ? `v${i}` : null));
    values[ROWS - 1] = 5;
    const error = caught(() =>
      NativeFormat.encode([{ rows: ROWS, columns: [{ name: 'c', type: 'Nullable(String)', values }] }]),
    );
    expect(error.message).toBe(
      `Invalid value for column "c" (Nullable(String)) row ${ROWS - 1}: expected a string or a Uint8Array, got number 5`,
    );
  });
});

describe('Array of a flat type', () => {
  /** Rows of 0 to 5 elements (a piece boundary falls inside some row), some of them TypedArrays when given. */
  function rowsOf(value: (i: number) => unknown, typed?: (row: unknown[]) => ArrayLike<unknown>): ArrayLike<unknown>[] {
    const next = random(7);
    let element = 0;
    return Array.from({ length: ROWS }, () => {
      const row = Array.from({ length: Math.floor(next() * 6) }, () => value(element++));
      return typed && next() < 0.3 ? typed(row) : row;
    });
  }

  it.each(SAMPLES)('Array(%s): the end offsets, then T for all elements, across pieces', (type, value) => {
    const rows = rowsOf(value);
    const expected = Buffer.concat([
      offsets(rows),
      flatBytes(
        type,
        rows.flatMap((row) => Array.from(row)),
      ),
    ]);
    expect(encodeColumn(`Array(${type})`, rows).equals(expected)).toBe(true);
  });

  it('plain arrays mixed with TypedArrays of any class, ZERO rows and empty rows', () => {
    const rows: unknown[] = rowsOf(
      (i) => i % 200,
      (row) => (row.length % 2 ? Uint8Array.from(row as number[]) : Float64Array.from(row as number[])),
    );
    rows[3] = ZERO;
    rows[ROWS - 1] = [];
    const asArrays = rows.map((row) => (row === ZERO ? [] : Array.from(row as ArrayLike<number>)));
    const expected = Buffer.concat([offsets(asArrays), flatBytes('UInt32', asArrays.flat())]);
    expect(encodeColumn('Array(UInt32)', rows).equals(expected)).toBe(true);
  });

  it('refuses a bad element in a later piece naming its row and its index in the row, through a DryWriter too', () => {
    const rows = Array.from({ length: ROWS }, (_, i) => [`a${i}`, `b${i}`]);
    rows[4096 + 5]![1] = 7 as unknown as string; // element 2 * 4101 + 1: in the third piece
    for (const writer of [new ByteWriter(), new DryWriter()]) {
      const error = caught(() => getCodec('Array(String)').write(writer, rows, ROWS));
      expect(error.row).toBe(4096 + 5);
      expect(error.reason).toBe('element 1: expected a string or a Uint8Array, got number 7');
    }
  });

  it('Array(Array(T)) and Array(Nullable(T)) still join their elements (their T is not flat)', () => {
    const nested = [[['a'], []], [], [['b', 'c']]];
    expect(encodeColumn('Array(Array(String))', nested).toString('hex')).toBe(
      '0200000000000000' +
        '0200000000000000' +
        '0300000000000000' + // outer ends
        '0100000000000000' +
        '0100000000000000' +
        '0300000000000000' + // inner ends
        '0161' +
        '0162' +
        '0163',
    );
    expect(encodeColumn('Array(Nullable(UInt8))', [[1, null], [null]]).toString('hex')).toBe(
      '0200000000000000' + '0300000000000000' + '000101' + '010000',
    );
  });
});

describe('UUID in batches (128 strings parsed from one UTF-8 write)', () => {
  /** The canonical definition: the 16 bytes of the hex text, each 8-byte half reversed. */
  function wire(uuid: string): Buffer {
    const bytes = Buffer.from(uuid.replace(/-/g, ''), 'hex');
    return Buffer.concat([bytes.subarray(0, 8).reverse(), bytes.subarray(8).reverse()]);
  }
  const uuidOf = (i: number) =>
    `${(i * 2654435761).toString(16).padStart(8, '0').slice(-8)}-${(i & 0xffff).toString(16).padStart(4, '0')}-4abc-` +
    `${i % 2 ? 'A' : 'b'}def-${i.toString(16).padStart(12, '0')}`;

  it('writes runs of any length, upper and lower case, with ZERO rows breaking them', () => {
    const values: unknown[] = Array.from({ length: 1000 }, (_, i) => uuidOf(i));
    for (const at of [0, 127, 128, 300, 999]) values[at] = ZERO;
    const expected = Buffer.concat(
      values.map((v) => (v === ZERO ? Buffer.alloc(16) : wire((v as string).toLowerCase()))),
    );
    expect(encodeColumn('UUID', values).equals(expected)).toBe(true);
    expect(encodeColumn('UUID', values, 129).equals(expected.subarray(0, 129 * 16))).toBe(true);
  });

  it.each([
    ['a bad hex digit', '61f0c404-5cb3-11e7-907b-a6006ad3dbaZ'],
    ['a misplaced dash', '61f0c4045-cb3-11e7-907b-a6006ad3dba0'],
    ['a non-ASCII digit whose low byte is a digit', '61f0c404-5cb3-11e7-907b-a6006ad3dba\u0660'],
    ['a character whose low byte is a dash', '61f0c404\u012d5cb3-11e7-907b-a6006ad3dba0'],
    ['a lone surrogate', '61f0c404-5cb3-11e7-907b-a6006ad3dba\ud800'],
    ['a surrogate pair', '61f0c404-5cb3-11e7-907b-a6006ad3db\ud83d\ude00'],
    ['a Latin-1 letter', '61f0c404-5cb3-11e7-907b-a6006ad3dba\u00e9'],
  ])('refuses %s at its row, at the start, middle and end of a batch', (_, bad) => {
    expect(bad).toHaveLength(36);
    for (const row of [0, 1, 127, 128, 129, 255, 299]) {
      const values: unknown[] = Array.from({ length: 300 }, (_, i) => uuidOf(i));
      values[row] = bad;
      for (const writer of [new ByteWriter(), new DryWriter()]) {
        const error = caught(() => getCodec('UUID').write(writer, values, values.length));
        expect(error.row).toBe(row);
        expect(error.reason).toMatch(/^expected a UUID string like/);
      }
    }
  });

  it('refuses values that are not 36-character strings inside a run', () => {
    for (const bad of [undefined, null, 5, '61f0c404-5cb3-11e7-907b-a6006ad3dba', Buffer.alloc(16)]) {
      const values: unknown[] = Array.from({ length: 200 }, (_, i) => uuidOf(i));
      values[150] = bad;
      expect(caught(() => getCodec('UUID').write(new ByteWriter(), values, values.length)).row).toBe(150);
    }
  });
});

describe('FixedString: short ASCII strings copied by a JS loop', () => {
  /** The definition: the UTF-8 bytes (or the bytes given), right-padded with zero bytes to N. */
  function padded(values: unknown[], n: number): Buffer {
    return Buffer.concat(
      values.map((v) => {
        const out = Buffer.alloc(n);
        if (typeof v === 'string') out.write(v, 'utf8');
        else if (v instanceof Uint8Array) out.set(v);
        return out;
      }),
    );
  }

  it.each([
    [4, ['DExx', 'ab', '', 'é', 'aé', 'éé', '\ud800', 'a\u20ac', ZERO, Buffer.from([0xff, 0]), 'abcd']],
    [1, ['a', '', 'z', ZERO]],
    [24, ['x'.repeat(24), 'x'.repeat(22) + 'é', 'ö'.repeat(12), 'a'.repeat(20) + '€']],
    [40, ['y'.repeat(25), 'y'.repeat(40), 'ü'.repeat(20), 'short']],
  ] as [number, unknown[]][])('FixedString(%i): the padded UTF-8 bytes of each value', (n, values) => {
    expect(encodeColumn(`FixedString(${n})`, values).equals(padded(values, n))).toBe(true);
  });

  it('refuses a string longer than N bytes only after its ASCII part was copied, at its row', () => {
    for (const bad of ['abcde', 'abcé', 'ab\u20ac', '\ud83d\ude00x']) {
      for (const writer of [new ByteWriter(), new DryWriter()]) {
        const error = caught(() => getCodec('FixedString(4)').write(writer, ['ok', 'fine', bad], 3));
        expect(error.row).toBe(2);
        expect(error.reason).toMatch(/^the string is \d+ bytes in UTF-8; FixedString\(4\) holds at most 4$/);
      }
    }
  });
});

describe('LowCardinality(String): strings looked up in a null-prototype dictionary', () => {
  /**
   * The definition (docs/protocol.md §6.13): key version 1; index type (width | HasAdditionalKeys |
   * NeedUpdateDictionary); the keys ([NULL placeholder,] the default '', then the distinct values in order of first
   * appearance, deduplicated by their bytes); the row count; the indexes at the smallest width that holds them.
   */
  function expected(values: unknown[], nullable: boolean): Buffer {
    const keys: Buffer[] = nullable ? [Buffer.alloc(0)] : [];
    const byHex = new Map<string, number>([['', keys.length]]);
    keys.push(Buffer.alloc(0));
    const indexes = values.map((v) => {
      if (v === null) return 0;
      const bytes = typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v as Uint8Array);
      let index = byHex.get(bytes.toString('hex'));
      if (index === undefined) {
        index = keys.length;
        byHex.set(bytes.toString('hex'), index);
        keys.push(bytes);
      }
      return index;
    });
    const width = keys.length - 1 <= 0xff ? 0 : keys.length - 1 <= 0xffff ? 1 : 2;
    const u64 = (n: number) => {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(BigInt(n));
      return b;
    };
    const body = Buffer.alloc(values.length << width);
    indexes.forEach((index, i) => body.writeUIntLE(index, i << width, 1 << width));
    return Buffer.concat([
      u64(1),
      u64(width | (1 << 9) | (1 << 10)),
      u64(keys.length),
      ...keys.map((k) => Buffer.concat([Buffer.from([k.length]), k])),
      u64(values.length),
      body,
    ]);
  }

  it.each([
    ['8 keys', 5000, (i: number) => ['DE', 'FR', 'US', 'JP', 'BR', 'IN', 'NG', 'AU'][i % 8]],
    ['300 keys (UInt16 indexes)', 5000, (i: number) => `k${i % 300}`],
    ['65535 keys and the default (UInt32 indexes)', 70_000, (i: number) => `k${i}`],
    ['65534 keys and the default (the last UInt16 index)', 65_534, (i: number) => `k${i}`],
    [
      'keys that name prototype members, array indexes, non-ASCII and the default',
      3000,
      (i: number) => ['__proto__', 'constructor', '0', '4294967295', 'é', '', 'toString', '\ud800'][i % 8],
    ],
    ['strings and Buffers of the same bytes', 1000, (i: number) => (i % 2 ? `b${i % 5}` : Buffer.from(`b${i % 5}`))],
  ] as [string, number, (i: number) => unknown][])('%s', (_, rows, value) => {
    const values = Array.from({ length: rows }, (_, i) => value(i));
    expect(encodeColumn('LowCardinality(String)', values).equals(expected(values, false))).toBe(true);
    const withNulls = values.map((v, i) => (i % 7 === 3 ? null : v));
    expect(encodeColumn('LowCardinality(Nullable(String))', withNulls).equals(expected(withNulls, true))).toBe(true);
  });

  it('refuses undefined, and null without Nullable, at their rows', () => {
    const values: unknown[] = Array.from({ length: 400 }, (_, i) => `k${i % 300}`);
    values[350] = undefined;
    expect(caught(() => getCodec('LowCardinality(String)').write(new ByteWriter(), values, 400)).row).toBe(350);
    values[350] = null;
    expect(caught(() => getCodec('LowCardinality(String)').write(new ByteWriter(), values, 400)).row).toBe(350);
    values[350] = 5;
    const error = caught(() => getCodec('LowCardinality(Nullable(String))').write(new ByteWriter(), values, 400));
    expect(error.row).toBe(350);
    expect(error.reason).toBe('expected a string or a Uint8Array, got number 5');
  });
});
