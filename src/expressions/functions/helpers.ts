/** Shared pieces of the function implementations: column casts, numeric comparison, value comparison. */
import { UnsupportedExpressionError } from '../../errors.js';
import { convertValues } from '../cast.js';
import { compareStr, equalStr, type Column, type Str } from '../column.js';
import { base, sameType, type DataType } from '../types.js';

/** A column converted to `to` with CAST semantics (a no-op when the type is already `to`). */
export function castColumn(col: Column, to: DataType, rows: number, serverTz: string): Column {
  if (sameType(col.type, to)) return col;
  const n = col.constant ? 1 : rows;
  return { type: to, values: convertValues(col.values, n, col.type, to, serverTz, 'cast'), constant: col.constant };
}

/** Exact comparison of two numbers that may be bigints (the server's accurate Int/Float comparison). */
export function compareNumbers(a: number | bigint, b: number | bigint): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : a === b ? 0 : NaN;
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'number') return -compareNumbers(b, a);
  // a bigint, b number
  const x = b as number;
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return -1;
  if (x === -Infinity) return 1;
  const fl = Math.floor(x);
  const bf = BigInt(fl);
  if ((a as bigint) < bf) return -1;
  if ((a as bigint) > bf) return 1;
  return x === fl ? 0 : -1;
}

/** Total order of two values of the same type (for sorting, comparisons, arrays and tuples). */
export function compareValues(a: unknown, b: unknown, t: DataType): number {
  const ty = base(t);
  if (a === null || b === null) {
    // NULLs sort last (nulls_direction = 1 in arraySort and ORDER BY).
    if (a === null && b === null) return 0;
    return a === null ? 1 : -1;
  }
  switch (ty.kind) {
    case 'string':
    case 'fixedString':
      return compareStr(a as Str, b as Str);
    case 'uuid':
      return a === b ? 0 : (a as string) < (b as string) ? -1 : 1;
    case 'array': {
      const x = a as unknown[];
      const y = b as unknown[];
      for (let i = 0; i < Math.min(x.length, y.length); i++) {
        const c = compareValues(x[i], y[i], ty.element);
        if (c !== 0) return c;
      }
      return x.length - y.length;
    }
    case 'tuple': {
      const x = a as unknown[];
      const y = b as unknown[];
      for (let i = 0; i < x.length; i++) {
        const c = compareValues(x[i], y[i], ty.elements[i]!);
        if (c !== 0) return c;
      }
      return 0;
    }
    case 'ipv6':
      return Buffer.compare(a as Uint8Array, b as Uint8Array);
    case 'map':
      throw new UnsupportedExpressionError('Comparing Map values is not supported');
    case 'float': {
      // NaN sorts as the greatest value (nan_direction_hint = 1).
      const x = a as number;
      const y = b as number;
      if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) ? (Number.isNaN(y) ? 0 : 1) : -1;
      return x < y ? -1 : x > y ? 1 : 0;
    }
    default:
      return compareNumbers(a as number | bigint, b as number | bigint);
  }
}

export function equalValues(a: unknown, b: unknown, t: DataType): boolean {
  const ty = base(t);
  if (a === null || b === null) return a === b;
  if (ty.kind === 'string' || ty.kind === 'fixedString') return equalStr(a as Str, b as Str);
  if (ty.kind === 'float') return a === b || (Number.isNaN(a) && Number.isNaN(b));
  return compareValues(a, b, t) === 0;
}

/** Iterates a possibly-constant column as one value per row without copying. */
export const get = (c: Column): ((i: number) => unknown) => (c.constant ? () => c.values[0] : (i) => c.values[i]);
