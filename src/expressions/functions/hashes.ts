/**
 * cityHash64 (and friends) over any number of arguments, bit-identical to the server's FunctionAnyHash:
 *   - a number (any width up to 64 bits, Date, DateTime, Enum, Float's raw bits) is hashed as intHash64 of its
 *     bytes zero-extended to 64 bits (bit_cast, so Int8 -1 is 0xFF), xored with 0x4CF2D2BAAE6DA887 (IntHash64Impl);
 *   - a string or FixedString is CityHash64 (v1.0.2) of its bytes;
 *   - an array folds intHash64(length) into the running hash, then each element's own (standalone) hash;
 *   - a tuple counts as its elements given as separate arguments; a Map as Array(Tuple(key, value));
 *   - the first argument's hash starts the result, each next one is folded in with
 *     combineHashes(h1, h2) = Hash128to64(low = h1, high = h2).
 */
import { cityHash64 } from '../../compression/cityhash.js';
import { bytesOf, type Str } from '../column.js';
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
  const scalar = (hash: (v: unknown) => bigint): Fold => (h, v) => (h === undefined ? hash(v) : hash128to64(h, hash(v)));
  switch (b.kind) {
    case 'string':
    case 'fixedString':
      return scalar((v) => cityHash64(bytesOf(v as Str)));
    case 'array':
    case 'map': {
      const elementType: DataType = b.kind === 'array' ? b.element : { kind: 'tuple', elements: [b.key, b.value], names: undefined };
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
    case 'nothing':
      // Elements of an empty array literal: never called.
      return () => 0n;
    default:
      return scalar((v) => intHash64(bitsOf(v, b)));
  }
}

define('cityHash64', {
  resolve(args) {
    if (args.length === 0) unsupported('cityHash64 without arguments is not supported');
    const folders = args.map((a) => folderFor(a.type));
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

// ---- sipHash64 ---------------------------------------------------------------------------------------------------

const rotl = (x: bigint, b: bigint): bigint => ((x << b) | (x >> (64n - b))) & M64;

/** SipHash-2-4 with a zero key, as ClickHouse's SipHash (src/Common/SipHash.h) computes it. */
export function sipHash64(bytes: Uint8Array): bigint {
  let v0 = 0x736f6d6570736575n;
  let v1 = 0x646f72616e646f6dn;
  let v2 = 0x6c7967656e657261n;
  let v3 = 0x7465646279746573n;
  const round = (): void => {
    v0 = (v0 + v1) & M64; v1 = rotl(v1, 13n); v1 ^= v0; v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & M64; v3 = rotl(v3, 16n); v3 ^= v2;
    v0 = (v0 + v3) & M64; v3 = rotl(v3, 21n); v3 ^= v0;
    v2 = (v2 + v1) & M64; v1 = rotl(v1, 17n); v1 ^= v2; v2 = rotl(v2, 32n);
  };
  const n = bytes.length;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const full = n - (n % 8);
  for (let i = 0; i < full; i += 8) {
    const m = view.getBigUint64(i, true);
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
  return v0 ^ v1 ^ v2 ^ v3;
}

define('sipHash64', {
  resolve(args) {
    // One String argument: several arguments and other types combine differently across server versions.
    if (args.length !== 1 || base(args[0]!.type).kind !== 'string') unsupported('sipHash64 is supported over one String argument');
    return {
      type: T.UInt64,
      exec([x], rows) {
        const n = x!.constant ? 1 : rows;
        const out = new Array<bigint>(n);
        for (let i = 0; i < n; i++) out[i] = sipHash64(bytesOf(x!.values[i] as Str));
        return { type: T.UInt64, values: out, constant: x!.constant };
      },
    };
  },
});
