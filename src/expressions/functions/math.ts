/**
 * greatest, least (two arguments: 18.16 takes no more), floor and round.
 *
 * Where server versions differ, the client refuses: round of a Float at an exact tie (18.16 rounds half away from
 * zero, newer servers half to even), round of a Float to a non-zero scale, and round of an integer whose result
 * overflows its type (the versions wrap differently).
 */
import { UnsupportedExpressionError } from '../../errors.js';
import { constantArg, define, expectArgs, unsupported, type Arg } from '../registry.js';
import { base, supertype, typeName, type DataType } from '../types.js';
import { wrapper } from '../numeric.js';
import { castColumn, compareNumbers, get } from './helpers.js';

for (const [name, pickFirst] of [
  ['greatest', (c: number) => c > 0],
  ['least', (c: number) => c < 0],
] as const) {
  define(name, {
    resolve(args, scope) {
      expectArgs(name, args, 2);
      for (const a of args) {
        const k = base(a.type).kind;
        if (k !== 'int' && k !== 'float') unsupported(`${name}(${typeName(a.type)}) is not supported`);
      }
      const type = supertype(
        args.map((a) => a.type),
        name,
      );
      return {
        type,
        exec(cols, rows) {
          const [a, b] = cols.map((c) => castColumn(c, type, rows, scope.serverTz));
          const ga = get(a!);
          const gb = get(b!);
          const n = a!.constant && b!.constant ? 1 : rows;
          const out = new Array(n);
          for (let i = 0; i < n; i++) {
            const x = ga(i) as number | bigint;
            const y = gb(i) as number | bigint;
            // `x > y ? x : y` (NaN compares false: the second argument wins).
            out[i] = pickFirst(compareNumbers(x, y)) ? x : y;
          }
          return { type, values: out, constant: a!.constant && b!.constant };
        },
      };
    },
  });
}

function scaleArg(name: string, args: Arg[]): number {
  if (args.length < 2) return 0;
  const v = constantArg(name, args, 1);
  const k = base(args[1]!.type).kind;
  if (k !== 'int') unsupported(`${name}: the scale must be an integer constant`);
  const n = Number(v);
  if (n < -30 || n > 30) unsupported(`${name}: scale ${n} is not supported`);
  return n;
}

function numericType(name: string, t: DataType): Extract<DataType, { kind: 'int' | 'float' }> {
  const b = base(t);
  if (b.kind === 'int' && b.bits <= 64) return b;
  if (b.kind === 'float') return b;
  return unsupported(`${name}(${typeName(t)}) is not supported`);
}

function defineRounding(name: 'floor' | 'round'): void {
  define(name, {
    resolve(args) {
      expectArgs(name, args, 1, 2);
      const type = numericType(name, args[0]!.type);
      const scale = scaleArg(name, args);
      let f: (v: unknown) => unknown;
      if (type.kind === 'float') {
        const fr = type.bits === 32 ? Math.fround : (x: number) => x;
        if (name === 'round') {
          if (scale !== 0) unsupported('round of a Float to a non-zero scale differs between server versions');
          f = (v) => {
            const x = v as number;
            if (Math.abs(x - Math.trunc(x)) === 0.5) {
              throw new UnsupportedExpressionError(
                `round(${x}): a tie rounds differently on different server versions; left to the server`,
              );
            }
            return fr(Math.round(x));
          };
        } else if (scale === 0) f = (v) => fr(Math.floor(v as number));
        else if (type.bits === 32) unsupported('floor of a Float32 to a non-zero scale is not supported');
        else if (scale > 0) {
          const p = 10 ** scale;
          f = (v) => fr(Math.floor((v as number) * p) / p);
        } else {
          const p = 10 ** -scale;
          f = (v) => fr(Math.floor((v as number) / p) * p);
        }
      } else if (scale >= 0) f = (v) => v;
      else {
        const p = 10n ** BigInt(-scale);
        const wrap = wrapper(type);
        const small = type.bits < 64;
        const [lo, hi] = [
          type.signed ? -(1n << BigInt(type.bits - 1)) : 0n,
          type.signed ? (1n << BigInt(type.bits - 1)) - 1n : (1n << BigInt(type.bits)) - 1n,
        ];
        f = (v) => {
          const x = BigInt(v as number | bigint);
          const ax = x < 0n ? -x : x;
          // Near the type's limits the versions overflow differently: refuse.
          if (ax + p > hi || (x < 0n && -(ax + p) < lo)) {
            throw new UnsupportedExpressionError(
              `${name}(${x}, ${scale}) is near the limits of ${typeName(type)}, where server versions differ; left to the server`,
            );
          }
          let r: bigint;
          if (name === 'floor') r = x >= 0n ? (x / p) * p : -((-x + p - 1n) / p) * p;
          else {
            const ra = ((ax + p / 2n) / p) * p;
            r = x < 0n ? -ra : ra;
          }
          const w = wrap(r);
          return small ? Number(w) : w;
        };
      }
      return {
        type,
        exec([x], rows) {
          const n = x!.constant ? 1 : rows;
          const out = new Array(n);
          for (let i = 0; i < n; i++) out[i] = f(x!.values[i]);
          return { type, values: out, constant: x!.constant };
        },
      };
    },
  });
}
defineRounding('floor');
defineRounding('round');
