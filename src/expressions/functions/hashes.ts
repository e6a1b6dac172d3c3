/**
 * cityHash64 (and friends) over any number of arguments, bit-identical to the server's FunctionAnyHash:
 *   - a number (any width up to 64 bits, Date, DateTime, Enum, Float's raw bits) is hashed as intHash64 of its
 *     bytes zero-extended to 64 bits (bit_cast, so Int8 -1 is 0xFF), xored with 0x4CF2D2BAAE6DA887 (IntHash64Impl);
 *   - a string or FixedString is CityHash64 (v1.0.2) of its bytes;
 *   - an array folds intHash64(length) into the running hash, then each element's own (standalone) hash;
 *   - a tuple counts as its elements given as separate arguments; a Map as Array(Tuple(key, value));
 *   - the first argument's hash starts the result, each next one is folded in with
 *     combineHashes(h1, h2) = Hash128to64(low = h1, high = h2).
 *
 * sipHash64, xxHash64, murmurHash3_64, farmFingerprint64, sipHash128 and murmurHash3_128 follow the same scheme with
 * their own rules (checked bit for bit against 18.16 and 26.7 in test/expressions/tier2.test.ts):
 *   - a number is hashed as the bytes of its own width (farmFingerprint64: as intHash64, like cityHash64);
 *   - combining: sipHash64 / sipHash128 / murmurHash3_128 hash the two hashes' 16 or 32 bytes; xxHash64 uses
 *     Hash128to64; murmurHash3_64 intHash64(h1) ^ h2; farmFingerprint64 FarmHash's Fingerprint(uint128);
 *   - an array's length is intHash64 (64-bit results) or intHash32 zero-extended (128-bit results);
 *   - the 128-bit results are FixedString(16), the two 64-bit halves little-endian;
 *   - 18.16 hashes a constant number (at any position) otherwise than 26.7 for sipHash64 and murmurHash3_64: refused.
 */
import { cityHash64, cityHash64Into, hash128to64Columns, multiply64Columns } from '../../compression/cityhash.js';
import { bytesOf, type Column, type Str } from '../column.js';
import { define, unsupported } from '../registry.js';
import { base, T, typeName, type DataType } from '../types.js';
import { get } from './helpers.js';

const M64 = (1n << 64n) - 1n;
const kMul = 0x9ddfea08eb382d69n;

/** IntHash64Impl: intHash64 of the value xor a fixed salt (so 0 does not hash to 0). */
export function intHash64(x: bigint): bigint {
  x ^= 0x4cf2d2baae6da887n;
  x ^= x >> 33n;
  x = (x * 0xff51afd7ed558ccdn) & M64;
  x ^= x >> 33n;
  x = (x * 0xc4ceb9fe1a85ec53n) & M64;
  x ^= x >> 33n;
  return x;
}

export function hash128to64(low: bigint, high: bigint): bigint {
  let a = ((low ^ high) * kMul) & M64;
  a ^= a >> 47n;
  let b = ((high ^ a) * kMul) & M64;
  b ^= b >> 47n;
  return (b * kMul) & M64;
}

const f64 = new Float64Array(1);
const f64bits = new BigUint64Array(f64.buffer);
const f64words = new Int32Array(f64.buffer);
const f32 = new Float32Array(1);
const f32bits = new Uint32Array(f32.buffer);

/** The 64-bit pattern of a fixed-width value, zero-extended from its own width. */
function bitsOf(v: unknown, t: DataType): bigint {
  switch (t.kind) {
    case 'int':
      if (t.bits > 64) return unsupported(`cityHash64 of ${typeName(t)} is not supported`);
      return BigInt.asUintN(t.bits, BigInt(v as number | bigint));
    case 'float':
      if (t.bits === 32) {
        f32[0] = v as number;
        return BigInt(f32bits[0]!);
      }
      f64[0] = v as number;
      return f64bits[0]!;
    case 'bool':
      return BigInt(v as number);
    case 'date':
      return BigInt(v as number) & 0xffffn;
    case 'dateTime':
      return BigInt(v as number) & 0xffffffffn;
    case 'enum':
      return BigInt.asUintN(t.bits, BigInt(v as number));
    case 'ipv4':
      return BigInt(v as number);
    default:
      return unsupported(`cityHash64 of ${typeName(t)} is not supported`);
  }
}

/**
 * Folds a value of type t into a running hash (undefined before the first argument). An array starts with
 * intHash64(length), folded into the running hash, then folds each element's standalone hash; a tuple folds its
 * elements in order as if they were separate arguments (FunctionAnyHash::executeForArgument).
 */
type Fold = (h: bigint | undefined, v: unknown) => bigint;
function folderFor(t: DataType): Fold {
  const b = base(t);
  if (t.kind === 'nullable') unsupported(`cityHash64 of ${typeName(t)} inside a composite is not supported`);
  const scalar =
    (hash: (v: unknown) => bigint): Fold =>
    (h, v) =>
      h === undefined ? hash(v) : hash128to64(h, hash(v));
  switch (b.kind) {
    case 'string':
    case 'fixedString':
      return scalar((v) => cityHash64(bytesOf(v as Str)));
    case 'array':
    case 'map': {
      const elementType: DataType =
        b.kind === 'array' ? b.element : { kind: 'tuple', elements: [b.key, b.value], names: undefined };
      const elem = folderFor(elementType);
      return (h, v) => {
        const arr = v as unknown[];
        const len = intHash64(BigInt(arr.length));
        let acc = h === undefined ? len : hash128to64(h, len);
        for (const x of arr) acc = hash128to64(acc, elem(undefined, x));
        return acc;
      };
    }
    case 'tuple': {
      const parts = b.elements.map(folderFor);
      return (h, v) => {
        const arr = v as unknown[];
        let acc = h;
        for (let i = 0; i < parts.length; i++) acc = parts[i]!(acc, arr[i]);
        return acc ?? unsupported('cityHash64 of an empty tuple');
      };
    }
    case 'uuid':
      // The UUID's 16 bytes as stored (its two 64-bit halves little-endian, the high half first), hashed as a string.
      return scalar((v) => cityHash64(uuidBytes(v as string)));
    case 'nothing':
      // Elements of an empty array literal: never called.
      return () => 0n;
    default:
      return scalar((v) => intHash64(bitsOf(v, b)));
  }
}

function uuidBytes(text: string): Uint8Array {
  const h = text.replace(/-/g, '');
  const out = Buffer.alloc(16);
  out.writeBigUInt64LE(BigInt(`0x${h.slice(0, 16)}`), 0);
  out.writeBigUInt64LE(BigInt(`0x${h.slice(16)}`), 8);
  return out;
}

// ---- cityHash64 column-wise: UInt64s as int32 pairs (low first), no BigInt on the way -------------------------

/** Kinds whose cityHash64 is intHash64 of their bits, or CityHash64 of their bytes, column at a time. */
function columnWise(t: DataType): boolean {
  if (t.kind === 'nullable') return false;
  const b = base(t);
  switch (b.kind) {
    case 'string':
    case 'fixedString':
    case 'uuid':
    case 'float':
    case 'bool':
    case 'date':
    case 'dateTime':
    case 'enum':
    case 'ipv4':
      return true;
    case 'int':
      return b.bits <= 64;
    default:
      return false;
  }
}

let scratch = Buffer.allocUnsafe(1 << 16);
const SALT_H = 0x4cf2d2ba | 0;
const SALT_L = 0xae6da887 | 0;
const MIX1_H = 0xff51afd7 | 0;
const MIX1_L = 0xed558ccd | 0;
const MIX2_H = 0xc4ceb9fe | 0;
const MIX2_L = 0x1a85ec53 | 0;

/** IntHash64Impl over a column of 64-bit patterns, in place. */
function intHash64Columns(x: Int32Array, rows: number): void {
  const shift33 = () => {
    for (let i = 0; i < rows; i++) x[2 * i] ^= x[2 * i + 1]! >>> 1;
  };
  for (let i = 0; i < rows; i++) {
    x[2 * i] ^= SALT_L;
    x[2 * i + 1] ^= SALT_H;
  }
  shift33();
  multiply64Columns(x, MIX1_H, MIX1_L, rows);
  shift33();
  multiply64Columns(x, MIX2_H, MIX2_L, rows);
  shift33();
}

/** The standalone cityHash64 of every row of one argument (n rows: 1 for a constant). */
function cityHashColumn(col: Column, t: DataType, n: number): Int32Array {
  const b = base(t);
  const out = new Int32Array(2 * n);
  const v = col.values;
  switch (b.kind) {
    case 'string':
      hashStrings(v, n, out);
      return out;
    case 'fixedString':
    case 'uuid':
      for (let i = 0; i < n; i++) {
        const x = v[i];
        if (typeof x === 'string') {
          if (scratch.length < x.length * 3) scratch = Buffer.allocUnsafe(x.length * 3);
          const len = b.kind === 'uuid' ? (scratch.set(uuidBytes(x)), 16) : scratch.write(x, 0, 'utf8');
          cityHash64Into(scratch, 0, len, out, i);
        } else cityHash64Into(x as Uint8Array, 0, (x as Uint8Array).length, out, i);
      }
      return out;
    case 'int':
      if (b.bits === 64) {
        if (v instanceof BigInt64Array || v instanceof BigUint64Array)
          out.set(new Int32Array(v.buffer, v.byteOffset, 2 * n));
        else {
          for (let i = 0; i < n; i++) {
            const x = BigInt.asUintN(64, BigInt(v[i] as number | bigint));
            out[2 * i] = Number(x & 0xffffffffn) | 0;
            out[2 * i + 1] = Number(x >> 32n) | 0;
          }
        }
        break;
      }
      for (let i = 0; i < n; i++)
        out[2 * i] = b.bits === 32 ? (v[i] as number) | 0 : (v[i] as number) & ((1 << b.bits) - 1);
      break;
    case 'float':
      for (let i = 0; i < n; i++) {
        if (b.bits === 32) {
          f32[0] = v[i] as number;
          out[2 * i] = f32bits[0]! | 0;
        } else {
          f64[0] = v[i] as number;
          out[2 * i] = f64words[0]!;
          out[2 * i + 1] = f64words[1]!;
        }
      }
      break;
    case 'enum':
      for (let i = 0; i < n; i++) out[2 * i] = (v[i] as number) & (b.bits === 8 ? 0xff : 0xffff);
      break;
    case 'date':
      for (let i = 0; i < n; i++) out[2 * i] = (v[i] as number) & 0xffff;
      break;
    default:
      // Bool, DateTime, IPv4: 8 to 32 bits, never negative.
      for (let i = 0; i < n; i++) out[2 * i] = (v[i] as number) | 0;
  }
  intHash64Columns(out, n);
  return out;
}

/** Strings hashed per batch: one UTF-8 write for the batch's strings together, instead of a native call each. */
const HASH_BATCH = 256;
const pendingRows = new Int32Array(HASH_BATCH);
const copyRows = new Int32Array(HASH_BATCH);
const copyFrom = new Int32Array(HASH_BATCH);

/**
 * The CityHash64 of every String value into out (int32 pairs), as the server hashes the value's UTF-8 bytes.
 * Repeated values (a column of event names) are hashed once per block: a table of value → row, which gives up
 * like StringMemo after 4096 rows that mostly missed. The rest are joined per batch and written once: when the
 * batch wrote as many bytes as it has UTF-16 units it is all ASCII, and each value's bytes sit at its offset in
 * the joined text; otherwise each value is written on its own (UTF-8 lengths differ from UTF-16 ones).
 */
function hashStrings(v: ArrayLike<unknown>, n: number, out: Int32Array): void {
  const seen = new Map<string, number>();
  let lookups = 0;
  let hits = 0;
  let memo = true;
  for (let start = 0; start < n; start += HASH_BATCH) {
    const end = Math.min(n, start + HASH_BATCH);
    let joined = '';
    let count = 0;
    let copies = 0;
    for (let i = start; i < end; i++) {
      const x = v[i];
      if (typeof x !== 'string') {
        cityHash64Into(x as Uint8Array, 0, (x as Uint8Array).length, out, i);
        continue;
      }
      if (memo) {
        const row = seen.get(x);
        lookups++;
        if (row !== undefined) {
          // Copied once the batch is hashed: the first occurrence may be in this batch.
          hits++;
          copyRows[copies] = i;
          copyFrom[copies++] = row;
          continue;
        }
        if (lookups === 4096 && hits < 2048) {
          memo = false;
          seen.clear();
        } else if (x.length <= 256 && seen.size < 8192) seen.set(x, i);
      }
      pendingRows[count++] = i;
      joined += x;
    }
    if (count > 0) hashJoined(v, joined, count, out);
    for (let k = 0; k < copies; k++) {
      const i = copyRows[k]!;
      const row = copyFrom[k]!;
      out[2 * i] = out[2 * row]!;
      out[2 * i + 1] = out[2 * row + 1]!;
    }
  }
}

/** Hashes the batch's pending strings (pendingRows[0..count)), whose concatenation is `joined`. */
function hashJoined(v: ArrayLike<unknown>, joined: string, count: number, out: Int32Array): void {
  if (scratch.length < joined.length * 3) scratch = Buffer.allocUnsafe(joined.length * 3);
  if (scratch.write(joined, 0, 'utf8') === joined.length) {
    let offset = 0;
    for (let k = 0; k < count; k++) {
      const i = pendingRows[k]!;
      const length = (v[i] as string).length;
      cityHash64Into(scratch, offset, offset + length, out, i);
      offset += length;
    }
  } else {
    for (let k = 0; k < count; k++) {
      const i = pendingRows[k]!;
      const x = v[i] as string;
      if (scratch.length < x.length * 3) scratch = Buffer.allocUnsafe(x.length * 3);
      cityHash64Into(scratch, 0, scratch.write(x, 0, 'utf8'), out, i);
    }
  }
}

/** A constant's one hash repeated for every row. */
function broadcast(one: Int32Array, rows: number): Int32Array {
  const out = new Int32Array(2 * rows);
  for (let i = 0; i < rows; i++) {
    out[2 * i] = one[0]!;
    out[2 * i + 1] = one[1]!;
  }
  return out;
}

define('cityHash64', {
  resolve(args) {
    if (args.length === 0) unsupported('cityHash64 without arguments is not supported');
    const folders = args.map((a) => folderFor(a.type));
    if (args.every((a) => columnWise(a.type))) {
      return {
        type: T.UInt64,
        exec(cols, rows) {
          const hashOf = (c: Column, k: number) =>
            c.constant ? broadcast(cityHashColumn(c, args[k]!.type, 1), rows) : cityHashColumn(c, args[k]!.type, rows);
          const acc = hashOf(cols[0]!, 0);
          for (let k = 1; k < cols.length; k++) hash128to64Columns(acc, hashOf(cols[k]!, k), rows);
          return { type: T.UInt64, values: new BigUint64Array(acc.buffer, 0, rows), constant: false };
        },
      };
    }
    return {
      type: T.UInt64,
      exec(cols, rows) {
        const gs = cols.map(get);
        const out = new BigUint64Array(rows);
        for (let i = 0; i < rows; i++) {
          let h: bigint | undefined;
          for (let k = 0; k < gs.length; k++) h = folders[k]!(h, gs[k]!(i));
          out[i] = h!;
        }
        return Array.from(out);
      },
    };
  },
});

// ---- SipHash, xxHash64, MurmurHash3, FarmHash Fingerprint64 ------------------------------------------------------

const rotl = (x: bigint, b: bigint): bigint => ((x << b) | (x >> (64n - b))) & M64;
const rotr = (x: bigint, b: bigint): bigint => ((x >> b) | (x << (64n - b))) & M64;
const mul64 = (a: bigint, b: bigint): bigint => (a * b) & M64;
const add64 = (a: bigint, b: bigint): bigint => (a + b) & M64;

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** SipHash-2-4 with a zero key, as ClickHouse's SipHash (src/Common/SipHash.h) computes it: the final state. */
function sipHashState(bytes: Uint8Array): [bigint, bigint, bigint, bigint] {
  let v0 = 0x736f6d6570736575n;
  let v1 = 0x646f72616e646f6dn;
  let v2 = 0x6c7967656e657261n;
  let v3 = 0x7465646279746573n;
  const round = (): void => {
    v0 = (v0 + v1) & M64;
    v1 = rotl(v1, 13n);
    v1 ^= v0;
    v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & M64;
    v3 = rotl(v3, 16n);
    v3 ^= v2;
    v0 = (v0 + v3) & M64;
    v3 = rotl(v3, 21n);
    v3 ^= v0;
    v2 = (v2 + v1) & M64;
    v1 = rotl(v1, 17n);
    v1 ^= v2;
    v2 = rotl(v2, 32n);
  };
  const n = bytes.length;
  const dv = view(bytes);
  const full = n - (n % 8);
  for (let i = 0; i < full; i += 8) {
    const m = dv.getBigUint64(i, true);
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
  let last = BigInt(n & 0xff) << 56n;
  for (let i = full; i < n; i++) last |= BigInt(bytes[i]!) << BigInt(8 * (i - full));
  v3 ^= last;
  round();
  round();
  v0 ^= last;
  v2 ^= 0xffn;
  round();
  round();
  round();
  round();
  return [v0, v1, v2, v3];
}

export function sipHash64(bytes: Uint8Array): bigint {
  const [v0, v1, v2, v3] = sipHashState(bytes);
  return v0 ^ v1 ^ v2 ^ v3;
}

/** ClickHouse's sipHash128 (not the reference SipHash-128): the 64-bit state, stored as v0^v1, v2^v3 little-endian. */
export function sipHash128(bytes: Uint8Array): Uint8Array {
  const [v0, v1, v2, v3] = sipHashState(bytes);
  return le128(v0 ^ v1, v2 ^ v3);
}

function le128(lo: bigint, hi: bigint): Uint8Array {
  const out = new Uint8Array(16);
  const dv = view(out);
  dv.setBigUint64(0, lo, true);
  dv.setBigUint64(8, hi, true);
  return out;
}

const P1 = 0x9e3779b185ebca87n;
const P2 = 0xc2b2ae3d27d4eb4fn;
const P3 = 0x165667b19e3779f9n;
const P4 = 0x85ebca77c2b2ae63n;
const P5 = 0x27d4eb2f165667c5n;

/** XXH64 with seed 0. */
export function xxHash64(bytes: Uint8Array): bigint {
  const n = bytes.length;
  const dv = view(bytes);
  const round = (acc: bigint, input: bigint): bigint => mul64(rotl(add64(acc, mul64(input, P2)), 31n), P1);
  let p = 0;
  let h: bigint;
  if (n >= 32) {
    let v1 = add64(P1, P2);
    let v2 = P2;
    let v3 = 0n;
    let v4 = (0n - P1) & M64;
    for (; p + 32 <= n; p += 32) {
      v1 = round(v1, dv.getBigUint64(p, true));
      v2 = round(v2, dv.getBigUint64(p + 8, true));
      v3 = round(v3, dv.getBigUint64(p + 16, true));
      v4 = round(v4, dv.getBigUint64(p + 24, true));
    }
    h = (rotl(v1, 1n) + rotl(v2, 7n) + rotl(v3, 12n) + rotl(v4, 18n)) & M64;
    for (const v of [v1, v2, v3, v4]) {
      h ^= round(0n, v);
      h = add64(mul64(h, P1), P4);
    }
  } else {
    h = P5;
  }
  h = add64(h, BigInt(n));
  for (; p + 8 <= n; p += 8) {
    h ^= round(0n, dv.getBigUint64(p, true));
    h = add64(mul64(rotl(h, 27n), P1), P4);
  }
  if (p + 4 <= n) {
    h ^= mul64(BigInt(dv.getUint32(p, true)), P1);
    h = add64(mul64(rotl(h, 23n), P2), P3);
    p += 4;
  }
  for (; p < n; p++) {
    h ^= mul64(BigInt(bytes[p]!), P5);
    h = mul64(rotl(h, 11n), P1);
  }
  h ^= h >> 33n;
  h = mul64(h, P2);
  h ^= h >> 29n;
  h = mul64(h, P3);
  h ^= h >> 32n;
  return h;
}

function fmix64(k: bigint): bigint {
  k ^= k >> 33n;
  k = mul64(k, 0xff51afd7ed558ccdn);
  k ^= k >> 33n;
  k = mul64(k, 0xc4ceb9fe1a85ec53n);
  k ^= k >> 33n;
  return k;
}

/** MurmurHash3_x64_128 with seed 0: [h1, h2]. */
export function murmurHash3x64128(bytes: Uint8Array): [bigint, bigint] {
  const c1 = 0x87c37b91114253d5n;
  const c2 = 0x4cf5ad432745937fn;
  const n = bytes.length;
  const dv = view(bytes);
  let h1 = 0n;
  let h2 = 0n;
  const nblocks = Math.floor(n / 16);
  for (let i = 0; i < nblocks; i++) {
    let k1 = dv.getBigUint64(i * 16, true);
    let k2 = dv.getBigUint64(i * 16 + 8, true);
    k1 = mul64(rotl(mul64(k1, c1), 31n), c2);
    h1 ^= k1;
    h1 = add64(mul64(add64(rotl(h1, 27n), h2), 5n), 0x52dce729n);
    k2 = mul64(rotl(mul64(k2, c2), 33n), c1);
    h2 ^= k2;
    h2 = add64(mul64(add64(rotl(h2, 31n), h1), 5n), 0x38495ab5n);
  }
  const tail = nblocks * 16;
  const rest = n - tail;
  let k1 = 0n;
  let k2 = 0n;
  for (let i = rest - 1; i >= 8; i--) k2 |= BigInt(bytes[tail + i]!) << BigInt(8 * (i - 8));
  for (let i = Math.min(rest, 8) - 1; i >= 0; i--) k1 |= BigInt(bytes[tail + i]!) << BigInt(8 * i);
  if (rest > 8) h2 ^= mul64(rotl(mul64(k2, c2), 33n), c1);
  if (rest > 0) h1 ^= mul64(rotl(mul64(k1, c1), 31n), c2);
  h1 ^= BigInt(n);
  h2 ^= BigInt(n);
  h1 = add64(h1, h2);
  h2 = add64(h2, h1);
  h1 = fmix64(h1);
  h2 = fmix64(h2);
  h1 = add64(h1, h2);
  h2 = add64(h2, h1);
  return [h1, h2];
}

const k0 = 0xc3a5c85c97cb3127n;
const k1 = 0xb492b66fbe98f273n;
const k2 = 0x9ae16a3b2f90404fn;

function hashLen16Mul(u: bigint, v: bigint, mul: bigint): bigint {
  let a = mul64(u ^ v, mul);
  a ^= a >> 47n;
  let b = mul64(v ^ a, mul);
  b ^= b >> 47n;
  return mul64(b, mul);
}
const shiftMix = (v: bigint): bigint => v ^ (v >> 47n);

/** FarmHash's Fingerprint64 (farmhashna::Hash64). */
export function farmFingerprint64(bytes: Uint8Array): bigint {
  const len = bytes.length;
  const dv = view(bytes);
  const f64 = (i: number): bigint => dv.getBigUint64(i, true);
  const f32 = (i: number): bigint => BigInt(dv.getUint32(i, true));
  const L = BigInt(len);
  if (len <= 16) {
    if (len >= 8) {
      const mul = add64(k2, L * 2n);
      const a = add64(f64(0), k2);
      const b = f64(len - 8);
      const c = add64(mul64(rotr(b, 37n), mul), a);
      const d = mul64(add64(rotr(a, 25n), b), mul);
      return hashLen16Mul(c, d, mul);
    }
    if (len >= 4) {
      const mul = add64(k2, L * 2n);
      const a = f32(0);
      return hashLen16Mul(add64(L, a << 3n), f32(len - 4), mul);
    }
    if (len > 0) {
      const a = BigInt(bytes[0]!);
      const b = BigInt(bytes[len >> 1]!);
      const c = BigInt(bytes[len - 1]!);
      const y = (a + (b << 8n)) & 0xffffffffn;
      const z = (L + (c << 2n)) & 0xffffffffn;
      return mul64(shiftMix(mul64(y, k2) ^ mul64(z, k0)), k2);
    }
    return k2;
  }
  if (len <= 32) {
    const mul = add64(k2, L * 2n);
    const a = mul64(f64(0), k1);
    const b = f64(8);
    const c = mul64(f64(len - 8), mul);
    const d = mul64(f64(len - 16), k2);
    return hashLen16Mul(
      add64(add64(rotr(add64(a, b), 43n), rotr(c, 30n)), d),
      add64(add64(a, rotr(add64(b, k2), 18n)), c),
      mul,
    );
  }
  if (len <= 64) {
    const mul = add64(k2, L * 2n);
    const a = mul64(f64(0), k2);
    const b = f64(8);
    const c = mul64(f64(len - 8), mul);
    const d = mul64(f64(len - 16), k2);
    const y = add64(add64(rotr(add64(a, b), 43n), rotr(c, 30n)), d);
    const z = hashLen16Mul(y, add64(add64(a, rotr(add64(b, k2), 18n)), c), mul);
    const e = mul64(f64(16), mul);
    const f = f64(24);
    const g = mul64(add64(y, f64(len - 32)), mul);
    const h = mul64(add64(z, f64(len - 24)), mul);
    return hashLen16Mul(
      add64(add64(rotr(add64(e, f), 43n), rotr(g, 30n)), h),
      add64(add64(e, rotr(add64(f, a), 18n)), g),
      mul,
    );
  }
  const weak = (s: number, a: bigint, b: bigint): [bigint, bigint] => {
    const w = f64(s);
    const x = f64(s + 8);
    const y = f64(s + 16);
    const z = f64(s + 24);
    a = add64(a, w);
    b = rotr(add64(add64(b, a), z), 21n);
    const c = a;
    a = add64(add64(a, x), y);
    b = add64(b, rotr(a, 44n));
    return [add64(a, z), add64(b, c)];
  };
  const seed = 81n;
  let x = seed;
  let y = add64(mul64(seed, k1), 113n);
  let z = mul64(shiftMix(add64(mul64(y, k2), 113n)), k2);
  let v: [bigint, bigint] = [0n, 0n];
  let w: [bigint, bigint] = [0n, 0n];
  x = add64(mul64(x, k2), f64(0));
  const end = Math.floor((len - 1) / 64) * 64;
  const last64 = len - 64;
  let s = 0;
  do {
    x = mul64(rotr(add64(add64(add64(x, y), v[0]), f64(s + 8)), 37n), k1);
    y = mul64(rotr(add64(add64(y, v[1]), f64(s + 48)), 42n), k1);
    x ^= w[1];
    y = add64(y, add64(v[0], f64(s + 40)));
    z = mul64(rotr(add64(z, w[0]), 33n), k1);
    v = weak(s, mul64(v[1], k1), add64(x, w[0]));
    w = weak(s + 32, add64(z, w[1]), add64(y, f64(s + 16)));
    [z, x] = [x, z];
    s += 64;
  } while (s !== end);
  const mul = add64(k1, (z & 0xffn) << 1n);
  s = last64;
  w[0] = add64(w[0], BigInt((len - 1) & 63));
  v[0] = add64(v[0], w[0]);
  w[0] = add64(w[0], v[0]);
  x = mul64(rotr(add64(add64(add64(x, y), v[0]), f64(s + 8)), 37n), mul);
  y = mul64(rotr(add64(add64(y, v[1]), f64(s + 48)), 42n), mul);
  x ^= mul64(w[1], 9n);
  y = add64(y, add64(mul64(v[0], 9n), f64(s + 40)));
  z = mul64(rotr(add64(z, w[0]), 33n), mul);
  v = weak(s, mul64(v[1], mul), add64(x, w[0]));
  w = weak(s + 32, add64(z, w[1]), add64(y, f64(s + 16)));
  [z, x] = [x, z];
  return hashLen16Mul(
    add64(add64(hashLen16Mul(v[0], w[0], mul), mul64(shiftMix(y), k0)), z),
    add64(hashLen16Mul(v[1], w[1], mul), x),
    mul,
  );
}

// ---- the multi-argument hash functions (FunctionAnyHash with per-function rules) ---------------------------------

/**
 * One hash function's rules in FunctionAnyHash: the hash of bytes, how two hashes combine, and whether a number is
 * hashed as intHash64 of its 64-bit pattern (cityHash64) or as the bytes of its own width (the others).
 */
interface AnyHash<H> {
  name: string;
  apply(bytes: Uint8Array): H;
  combine(h1: H, h2: H): H;
  /** The hash of an array's length, folded in before the elements; undefined: arrays are refused. */
  lengthHash?: (n: number) => H;
  /** A number is hashed as intHash64 of its bits zero-extended to 64 (use_int_hash_for_pods), not as its bytes. */
  intHashForPods?: (bits: bigint) => H;
  /**
   * 18.16 hashes a constant number argument (a literal, at any position) otherwise than a column of numbers, and
   * otherwise than 26.7: such arguments are refused (constant strings and arrays agree).
   */
  refuseConstantNumbers?: boolean;
}

/** The bytes of a fixed-width value as the server stores it (little-endian, its own width). */
function podBytes(v: unknown, t: DataType, name: string): Uint8Array {
  const out = new Uint8Array(8);
  const dv = view(out);
  switch (t.kind) {
    case 'int':
      if (t.bits > 64) return unsupported(`${name} of ${typeName(t)} is not supported`);
      dv.setBigUint64(0, BigInt.asUintN(64, BigInt(v as number | bigint)), true);
      return out.subarray(0, t.bits / 8);
    case 'float':
      if (t.bits === 32) {
        dv.setFloat32(0, v as number, true);
        return out.subarray(0, 4);
      }
      dv.setFloat64(0, v as number, true);
      return out;
    case 'bool':
      out[0] = v as number;
      return out.subarray(0, 1);
    case 'date':
      dv.setUint16(0, v as number, true);
      return out.subarray(0, 2);
    case 'dateTime':
      dv.setUint32(0, v as number, true);
      return out.subarray(0, 4);
    case 'enum':
      dv.setBigUint64(0, BigInt.asUintN(64, BigInt(v as number)), true);
      return out.subarray(0, t.bits / 8);
    default:
      return unsupported(`${name} of ${typeName(t)} is not supported`);
  }
}

type FoldH<H> = (h: H | undefined, v: unknown) => H;
function anyFolder<H>(impl: AnyHash<H>, t: DataType): FoldH<H> {
  const b = base(t);
  if (t.kind === 'nullable') unsupported(`${impl.name} of ${typeName(t)} inside a composite is not supported`);
  const scalar =
    (hash: (v: unknown) => H): FoldH<H> =>
    (h, v) =>
      h === undefined ? hash(v) : impl.combine(h, hash(v));
  switch (b.kind) {
    case 'string':
    case 'fixedString':
      return scalar((v) => impl.apply(bytesOf(v as Str)));
    case 'array':
    case 'map': {
      const lengthHash = impl.lengthHash ?? unsupported(`${impl.name} of ${typeName(t)} is not supported`);
      const elementType: DataType =
        b.kind === 'array' ? b.element : { kind: 'tuple', elements: [b.key, b.value], names: undefined };
      const elem = anyFolder(impl, elementType);
      return (h, v) => {
        const arr = v as unknown[];
        const len = lengthHash(arr.length);
        let acc = h === undefined ? len : impl.combine(h, len);
        for (const x of arr) acc = impl.combine(acc, elem(undefined, x));
        return acc;
      };
    }
    case 'tuple': {
      const parts = b.elements.map((e) => anyFolder(impl, e));
      return (h, v) => {
        const arr = v as unknown[];
        let acc = h;
        for (let i = 0; i < parts.length; i++) acc = parts[i]!(acc, arr[i]);
        return acc ?? unsupported(`${impl.name} of an empty tuple`);
      };
    }
    case 'nothing':
      return () => unsupported(`${impl.name} of Nothing`);
    default:
      podBytes(zeroOfPod(b), b, impl.name); // refuses unsupported types at compile time
      if (impl.intHashForPods) {
        const ih = impl.intHashForPods;
        return scalar((v) => ih(bitsOf(v, b)));
      }
      return scalar((v) => impl.apply(podBytes(v, b, impl.name)));
  }
}

function zeroOfPod(t: DataType): unknown {
  return t.kind === 'int' && t.bits >= 64 ? 0n : 0;
}

function defineAnyHash<H>(impl: AnyHash<H>, type: DataType, toValue: (h: H) => unknown): void {
  define(impl.name, {
    resolve(args) {
      if (args.length === 0) unsupported(`${impl.name} without arguments is not supported`);
      if (impl.refuseConstantNumbers) {
        for (const a of args) {
          const k = base(a.type).kind;
          if (a.constant && a.constant.value !== null && !['string', 'fixedString', 'array', 'map'].includes(k)) {
            unsupported(`${impl.name} of a constant ${typeName(a.type)}: server versions hash it differently`);
          }
        }
      }
      const folders = args.map((a) => anyFolder(impl, a.type));
      return {
        type,
        exec(cols, rows) {
          const gs = cols.map(get);
          const allConst = cols.every((c) => c.constant);
          const n = allConst ? 1 : rows;
          const out = new Array<unknown>(n);
          for (let i = 0; i < n; i++) {
            let h: H | undefined;
            for (let k = 0; k < gs.length; k++) h = folders[k]!(h, gs[k]!(i));
            out[i] = toValue(h!);
          }
          return { type, values: out, constant: allConst };
        },
      };
    },
  });
}

/** IntHash32Impl: intHash32 with its salt; the length hash of an array under a 128-bit hash, zero-extended. */
function intHash32(key: bigint): bigint {
  key ^= 0x75d9543de018bf45n;
  key = ((~key & M64) + (key << 18n)) & M64;
  key ^= rotr(key, 31n);
  key = mul64(key, 21n);
  key ^= rotr(key, 11n);
  key = add64(key, key << 6n);
  key ^= rotr(key, 22n);
  return key & 0xffffffffn;
}
const lengthHash128 = (n: number): Uint8Array => le128(intHash32(BigInt(n)), 0n);

const u64pair = (h1: bigint, h2: bigint): Uint8Array => le128(h1, h2);
const concat = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
};
const id = <X>(x: X): X => x;
const FS16: DataType = { kind: 'fixedString', n: 16 };

defineAnyHash<bigint>(
  {
    name: 'sipHash64',
    apply: sipHash64,
    combine: (a, b) => sipHash64(u64pair(a, b)),
    lengthHash: (n) => intHash64(BigInt(n)),
    refuseConstantNumbers: true,
  },
  T.UInt64,
  id,
);
defineAnyHash<bigint>(
  { name: 'xxHash64', apply: xxHash64, combine: hash128to64, lengthHash: (n) => intHash64(BigInt(n)) },
  T.UInt64,
  id,
);
defineAnyHash<bigint>(
  {
    name: 'murmurHash3_64',
    apply: (b) => {
      const [h1, h2] = murmurHash3x64128(b);
      return h1 ^ h2;
    },
    combine: (a, b) => intHash64(a) ^ b,
    lengthHash: (n) => intHash64(BigInt(n)),
    refuseConstantNumbers: true,
  },
  T.UInt64,
  id,
);
/** FarmHash's Fingerprint(uint128): like Hash128to64 with other final shifts. */
function farmFingerprint128to64(low: bigint, high: bigint): bigint {
  let a = mul64(low ^ high, kMul);
  a ^= a >> 47n;
  let b = mul64(high ^ a, kMul);
  b ^= b >> 44n;
  b = mul64(b, kMul);
  b ^= b >> 41n;
  return mul64(b, kMul);
}
defineAnyHash<bigint>(
  {
    name: 'farmFingerprint64',
    apply: farmFingerprint64,
    combine: farmFingerprint128to64,
    lengthHash: (n) => intHash64(BigInt(n)),
    intHashForPods: intHash64,
  },
  T.UInt64,
  id,
);
defineAnyHash<Uint8Array>(
  { name: 'sipHash128', apply: sipHash128, combine: (a, b) => sipHash128(concat(a, b)), lengthHash: lengthHash128 },
  FS16,
  id,
);
defineAnyHash<Uint8Array>(
  {
    name: 'murmurHash3_128',
    apply: (b) => {
      const [h1, h2] = murmurHash3x64128(b);
      return le128(h1, h2);
    },
    combine: (a, b) => {
      const [h1, h2] = murmurHash3x64128(concat(a, b));
      return le128(h1, h2);
    },
    lengthHash: lengthHash128,
  },
  FS16,
  id,
);
