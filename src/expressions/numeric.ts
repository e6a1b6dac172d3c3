/** Integer widths as the server's fixed-width arithmetic has them: results wrap around (two's complement). */
import type { DataType } from './types.js';

type IntType = Extract<DataType, { kind: 'int' }>;

/** Wraps a JS integer (number or bigint) into the type's range; returns number for ≤ 32 bits, bigint above. */
export function wrapInt(v: number | bigint, t: IntType): number | bigint {
  if (t.bits >= 64) {
    const b = typeof v === 'bigint' ? v : BigInt(v);
    return t.signed ? BigInt.asIntN(t.bits, b) : BigInt.asUintN(t.bits, b);
  }
  if (typeof v === 'bigint') v = Number(BigInt.asIntN(32, v));
  else if (!Number.isSafeInteger(v) || Math.abs(v) > 2 ** 31) v = Number(BigInt.asIntN(32, BigInt(v)));
  switch (t.bits) {
    case 8:
      return t.signed ? (v << 24) >> 24 : v & 0xff;
    case 16:
      return t.signed ? (v << 16) >> 16 : v & 0xffff;
    default:
      return t.signed ? v | 0 : v >>> 0;
  }
}

/** A wrapper function specialised for one type (hot loops call it per value). */
export function wrapper(t: IntType): (v: number | bigint) => number | bigint {
  if (t.bits >= 64) {
    const bits = t.bits;
    return t.signed
      ? (v) => BigInt.asIntN(bits, typeof v === 'bigint' ? v : BigInt(v))
      : (v) => BigInt.asUintN(bits, typeof v === 'bigint' ? v : BigInt(v));
  }
  return (v) => wrapInt(v, t);
}

export const intRange = (t: IntType): [bigint, bigint] =>
  t.signed ? [-(1n << BigInt(t.bits - 1)), (1n << BigInt(t.bits - 1)) - 1n] : [0n, (1n << BigInt(t.bits)) - 1n];
