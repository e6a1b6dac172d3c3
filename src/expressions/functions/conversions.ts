/**
 * CAST and the to* conversion functions, with their OrZero / OrNull forms, and the clock functions (now, now64,
 * today) and UUID generators.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { UnsupportedExpressionError } from '../../errors.js';
import { convertValues, FAIL, type CastMode } from '../cast.js';
import { textOf, type Str } from '../column.js';
import { checkTimeZone, dayOf, fromLocalSeconds, daysFromCivil, isUtc } from '../datetime.js';
import { constantArg, define, expectArgs, unsupported, type Arg } from '../registry.js';
import { base, int, isNullable, nullable, T, typeName, typeOf, type DataType, type IntName } from '../types.js';
import { get } from './helpers.js';
import { intRange } from '../numeric.js';

function castTo(to: DataType, mode: CastMode) {
  return (
    x: { values: ArrayLike<unknown>; type: DataType; constant: boolean },
    rows: number,
    serverTz: string,
  ): unknown[] => convertValues(x.values, x.constant ? 1 : rows, x.type, to, serverTz, mode);
}

define(['CAST', '_CAST', 'accurateCast'], {
  defaultNulls: false,
  resolve(args, scope, name) {
    expectArgs(name, args, 2);
    const typeText = constantArg(name, args, 1);
    if (typeof typeText !== 'string') unsupported(`${name}: the type must be a constant string`);
    const to = typeOf(typeText);
    const conv = castTo(to, 'cast');
    if (name.toLowerCase() === 'accuratecast') unsupported('accurateCast is not supported');
    return {
      type: to,
      exec: ([x], rows) => ({ type: to, values: conv(x!, rows, scope.serverTz), constant: x!.constant }),
    };
  },
});

/** toUUID(text): CAST to UUID (text that is not a UUID fails on the server, and so is refused here). */
define('toUUID', {
  resolve(args, scope, name) {
    expectArgs(name, args, 1);
    if (base(args[0]!.type).kind !== 'string' && base(args[0]!.type).kind !== 'uuid')
      unsupported(`${name}(${typeName(args[0]!.type)}) is not supported`);
    const conv = castTo(T.UUID, 'cast');
    return {
      type: T.UUID,
      exec: ([x], rows) => ({ type: T.UUID, values: conv(x!, rows, scope.serverTz), constant: x!.constant }),
    };
  },
});

/** toFixedString(s, N): the bytes zero-padded to N; a longer string fails on the server, and is refused here. */
define('toFixedString', {
  resolve(args, scope, name) {
    expectArgs(name, args, 2);
    if (base(args[0]!.type).kind !== 'string' && base(args[0]!.type).kind !== 'fixedString')
      unsupported(`${name}(${typeName(args[0]!.type)}) is not supported`);
    const n = Number(constantArg(name, args, 1));
    if (!Number.isInteger(n) || n < 1 || n > 0xffffff) unsupported(`${name}: the length must be a constant from 1`);
    const to: DataType = { kind: 'fixedString', n };
    const conv = castTo(to, 'cast');
    return {
      type: to,
      exec: ([x], rows) => ({ type: to, values: conv(x!, rows, scope.serverTz), constant: x!.constant }),
    };
  },
});

/** toDateTime64(x, scale[, tz]): CAST to DateTime64(scale[, tz]) (text, seconds, Date, DateTime, DateTime64). */
define('toDateTime64', {
  resolve(args, scope, name) {
    expectArgs(name, args, 2, 3);
    const scale = Number(constantArg(name, args, 1));
    if (!Number.isInteger(scale) || scale < 0 || scale > 9) unsupported(`${name}: the scale must be a constant 0..9`);
    const tz = timeZoneArg(name, args, 2);
    const from = base(args[0]!.type);
    if (from.kind === 'float' || from.kind === 'decimal')
      unsupported(`${name}(${typeName(args[0]!.type)}) is not supported`);
    const to: DataType = {
      kind: 'dateTime64',
      scale,
      tz: tz ?? (from.kind === 'dateTime' || from.kind === 'dateTime64' ? from.tz : undefined),
    };
    const conv = castTo(to, 'cast');
    return {
      type: to,
      exec: ([x], rows) => ({ type: to, values: conv(x!, rows, scope.serverTz), constant: x!.constant }),
    };
  },
});

define('toString', {
  resolve(args, scope) {
    expectArgs('toString', args, 1, 2);
    const from = args[0]!.type;
    let tz = scope.serverTz;
    if (args.length === 2) {
      if (base(from).kind !== 'dateTime' && base(from).kind !== 'dateTime64')
        unsupported('toString(x, tz) needs a DateTime');
      tz = String(constantArg('toString', args, 1));
      checkTimeZone(tz);
    }
    const source: DataType =
      args.length === 2
        ? base(from).kind === 'dateTime'
          ? { kind: 'dateTime', tz }
          : { ...(base(from) as Extract<DataType, { kind: 'dateTime64' }>), tz }
        : from;
    return {
      type: T.String,
      exec: ([x], rows) => convertValues(x!.values, x!.constant ? 1 : rows, source, T.String, tz, 'cast'),
    };
  },
});

/** The optional time-zone argument of toDateTime, toDate, toStartOf..., as a checked constant. */
export function timeZoneArg(name: string, args: Arg[], index: number): string | undefined {
  if (args.length <= index) return undefined;
  const tz = constantArg(name, args, index);
  if (typeof tz !== 'string') unsupported(`${name}: the time zone must be a constant string`);
  checkTimeZone(tz);
  return tz;
}

const REFUSE: unique symbol = Symbol('refuse');

/**
 * Text to an integer for toIntNOrZero / toUIntNOrNull and the like, as 26.7 reads it, or REFUSE where 18.16 reads
 * it otherwise (checked by tier2.test.ts against both):
 *   - `[+-]?digits` in range: the value on both;
 *   - a minus sign among signs and digits into an unsigned type ('-0', '-1', '+-1', '1-2'): fails on both;
 *   - `[+-]?digits` out of range: 26.7 fails; 18.16 wraps modulo 2^bits (no overflow check). They agree only when
 *     the wrapped value is 0 under OrZero;
 *   - signs alone ('+', '-', '--'): 26.7 fails, 18.16 reads 0 (agree under OrZero only);
 *   - signs and digits in any other order ('--1', '+-1' into a signed type, '1+'): 18.16 skips the signs, 26.7
 *     fails: refused;
 *   - anything else (spaces, '1e3', '0x10', '1.5', unicode digits, ''): fails on both.
 */
function orIntText(
  s: string,
  t: Extract<DataType, { kind: 'int' }>,
  mode: 'orZero' | 'orNull',
): number | bigint | typeof FAIL | typeof REFUSE {
  if (!t.signed && /^[+\-\d]*-[+\-\d]*$/.test(s)) return FAIL;
  if (/^[+-]?\d+$/.test(s)) {
    const v = BigInt(s);
    const [min, max] = intRange(t);
    if (v >= min && v <= max) return t.bits >= 64 ? v : Number(v);
    const wrapped = t.signed ? BigInt.asIntN(t.bits, v) : BigInt.asUintN(t.bits, v);
    return mode === 'orZero' && wrapped === 0n ? FAIL : REFUSE;
  }
  if (/^[+-]+$/.test(s)) return mode === 'orZero' ? FAIL : REFUSE;
  // 18.16 skips sign characters anywhere ('1+' is 1, '--1' is -1); 26.7 fails.
  if (/^[+\-\d]+$/.test(s)) return REFUSE;
  return FAIL;
}

const NUMBER_TYPES: IntName[] = ['UInt8', 'UInt16', 'UInt32', 'UInt64', 'Int8', 'Int16', 'Int32', 'Int64'];

/**
 * toIntNOrDefault(text[, default]) (26.7; 18.16 has no such function, so a table using it exists only on newer
 * servers): `[+-]?digits` in range is the value, any other text (spaces, signs alone, overflow, a minus into an
 * unsigned type) the default: the type's zero, or the second argument.
 */
for (const n of NUMBER_TYPES) {
  const to = int(n) as Extract<DataType, { kind: 'int' }>;
  const [min, max] = intRange(to);
  define(`to${n}OrDefault`, {
    defaultNulls: false,
    resolve(args, scope, name) {
      expectArgs(name, args, 1, 2);
      if (
        args[0]!.type.kind !== 'string' &&
        !(args[0]!.type.kind === 'lowCardinality' && args[0]!.type.inner.kind === 'string')
      ) {
        unsupported(`${name}(${typeName(args[0]!.type)}) is not supported`);
      }
      if (args[1] && (args[1].type.kind === 'nullable' || base(args[1].type).kind === 'nothing'))
        unsupported(`${name} with a Nullable default`);
      const zero = to.bits >= 64 ? 0n : 0;
      return {
        type: to,
        exec: ([x, dflt], rows) => {
          const gx = get(x!);
          const gd = dflt
            ? get({
                ...dflt,
                values: convertValues(dflt.values, dflt.constant ? 1 : rows, dflt.type, to, scope.serverTz, 'cast'),
              })
            : () => zero;
          const out = new Array(rows);
          for (let i = 0; i < rows; i++) {
            const s = textOf(gx(i) as Str);
            let v: number | bigint | undefined;
            if (/^[+-]?\d+$/.test(s)) {
              const b = BigInt(s);
              if (b >= min && b <= max && !(s.startsWith('-') && !to.signed)) v = to.bits >= 64 ? b : Number(b);
            }
            out[i] = v ?? gd(i);
          }
          return out;
        },
      };
    },
  });
}
for (const n of [...NUMBER_TYPES, 'Float32', 'Float64'] as const) {
  const to = n.startsWith('Float') ? (n === 'Float32' ? T.Float32 : T.Float64) : int(n as IntName);
  for (const [suffix, mode] of [
    ['', 'cast'],
    ['OrZero', 'orZero'],
    ['OrNull', 'orNull'],
  ] as const) {
    define(`to${n}${suffix}`, {
      resolve(args, scope, name) {
        expectArgs(name, args, 1);
        const from = base(args[0]!.type);
        if (mode !== 'cast' && from.kind !== 'string') {
          // 18.16 takes only String here; newer servers take numbers too. Keep to what both agree on.
          unsupported(`${name}(${typeName(args[0]!.type)}) is not supported`);
        }
        const type = mode === 'orNull' ? nullable(to) : to;
        if (mode !== 'cast' && to.kind === 'int') {
          const g = (x: { values: ArrayLike<unknown> }, i: number): string => textOf(x.values[i] as Str);
          return {
            type,
            exec: ([x], rows) => {
              const n = x!.constant ? 1 : rows;
              const out = new Array(n);
              for (let i = 0; i < n; i++) {
                const v = orIntText(g(x!, i), to, mode);
                if (v === REFUSE) {
                  throw new UnsupportedExpressionError(
                    `${name}(${JSON.stringify(g(x!, i).slice(0, 50))}): server versions differ; it is left to the server`,
                  );
                }
                out[i] = v === FAIL ? (mode === 'orZero' ? (to.bits >= 64 ? 0n : 0) : null) : v;
              }
              return x!.constant ? { type, values: out, constant: true } : out;
            },
          };
        }
        if (mode !== 'cast' && to.kind === 'float') {
          // Text with a leading '+': 18.16 gives 0 / NULL, 26.7 reads the number. Left to the server.
          const g = (x: { values: ArrayLike<unknown> }, i: number): string => textOf(x.values[i] as Str);
          return {
            type,
            exec: ([x], rows) => {
              const n = x!.constant ? 1 : rows;
              for (let i = 0; i < n; i++) {
                if (x!.values[i] !== null && /^\s*\+/.test(g(x!, i))) {
                  throw new UnsupportedExpressionError(
                    `${name}(${JSON.stringify(g(x!, i).slice(0, 50))}): server versions differ; it is left to the server`,
                  );
                }
              }
              return convertValues(x!.values, n, x!.type, type, scope.serverTz, mode);
            },
          };
        }
        return {
          type,
          exec: ([x], rows) =>
            convertValues(
              x!.values,
              x!.constant ? 1 : rows,
              x!.type,
              type,
              scope.serverTz,
              mode === 'orNull' ? 'orNull' : mode,
            ),
        };
      },
    });
  }
}

define('toDate', {
  resolve(args, scope) {
    expectArgs('toDate', args, 1, 2);
    const tz = timeZoneArg('toDate', args, 1);
    const from = base(args[0]!.type);
    const source: DataType = tz && from.kind === 'dateTime' ? { kind: 'dateTime', tz } : from;
    if (from.kind === 'float') unsupported('toDate of a float is not supported');
    const zone = source.kind === 'dateTime' ? (source.tz ?? scope.serverTz) : undefined;
    if (zone !== undefined && isUtc(zone)) {
      // A UTC day is the Unix time divided by 86400: one typed loop.
      return {
        type: T.Date,
        exec: ([x], rows) => {
          const n = x!.constant ? 1 : rows;
          const v = x!.values as ArrayLike<number>;
          const out = new Uint16Array(n);
          for (let i = 0; i < n; i++) out[i] = Math.floor(v[i]! / 86400);
          return { type: T.Date, values: out, constant: x!.constant };
        },
      };
    }
    return {
      type: T.Date,
      exec: ([x], rows) => convertValues(x!.values, x!.constant ? 1 : rows, source, T.Date, scope.serverTz, 'cast'),
    };
  },
});

for (const [suffix, mode] of [
  ['OrZero', 'orZero'],
  ['OrNull', 'orNull'],
] as const) {
  define(`toDate${suffix}`, {
    resolve(args, scope, name) {
      expectArgs(name, args, 1);
      if (base(args[0]!.type).kind !== 'string') unsupported(`${name}(${typeName(args[0]!.type)})`);
      const type = mode === 'orNull' ? nullable(T.Date) : T.Date;
      return {
        type,
        exec: ([x], rows) => convertValues(x!.values, x!.constant ? 1 : rows, x!.type, type, scope.serverTz, mode),
      };
    },
  });
  define(`toDateTime${suffix}`, {
    resolve(args, scope, name) {
      expectArgs(name, args, 1, 2);
      const tz = timeZoneArg(name, args, 1);
      if (base(args[0]!.type).kind !== 'string') unsupported(`${name}(${typeName(args[0]!.type)})`);
      const dt: DataType = { kind: 'dateTime', tz };
      const type = mode === 'orNull' ? nullable(dt) : dt;
      return {
        type,
        exec: ([x], rows) => convertValues(x!.values, x!.constant ? 1 : rows, x!.type, type, scope.serverTz, mode),
      };
    },
  });
}

define('toDateTime', {
  resolve(args, scope) {
    expectArgs('toDateTime', args, 1, 2);
    const tz = timeZoneArg('toDateTime', args, 1);
    const from = base(args[0]!.type);
    if (from.kind === 'float') unsupported('toDateTime of a float is not supported');
    const type: DataType = { kind: 'dateTime', tz: tz ?? (from.kind === 'dateTime' ? from.tz : undefined) };
    return {
      type,
      exec: ([x], rows) => convertValues(x!.values, x!.constant ? 1 : rows, from, type, scope.serverTz, 'cast'),
    };
  },
});

// ---- clocks --------------------------------------------------------------------------------------------------

define('now', {
  nondeterministic: true,
  resolve(args) {
    expectArgs('now', args, 0, 1);
    const tz = timeZoneArg('now', args, 0);
    const type: DataType = { kind: 'dateTime', tz };
    // One now() per insert: every row and every block of the insert gets the same instant.
    return { type, exec: (_cols, _rows, ctx) => ({ type, values: [Math.floor(ctx.nowMs / 1000)], constant: true }) };
  },
});

define('now64', {
  nondeterministic: true,
  resolve(args) {
    expectArgs('now64', args, 0, 2);
    const scale = args.length > 0 ? Number(constantArg('now64', args, 0)) : 3;
    if (!Number.isInteger(scale) || scale < 0 || scale > 9) unsupported('now64: precision must be 0..9');
    const tz = timeZoneArg('now64', args, 1);
    const type: DataType = { kind: 'dateTime64', scale, tz };
    return {
      type,
      exec: (_cols, _rows, ctx) => {
        const ms = BigInt(Math.floor(ctx.nowMs));
        const value = scale >= 3 ? ms * 10n ** BigInt(scale - 3) : ms / 10n ** BigInt(3 - scale);
        return { type, values: [value], constant: true };
      },
    };
  },
});

define('today', {
  nondeterministic: true,
  resolve(args, scope) {
    expectArgs('today', args, 0);
    return {
      type: T.Date,
      exec: (_c, _r, ctx) => ({
        type: T.Date,
        values: [dayOf(scope.serverTz, Math.floor(ctx.nowMs / 1000))],
        constant: true,
      }),
    };
  },
});

define('generateUUIDv4', {
  nondeterministic: true,
  defaultNulls: false,
  resolve(args) {
    expectArgs('generateUUIDv4', args, 0, 1);
    return { type: T.UUID, exec: (_c, rows) => Array.from({ length: rows }, () => randomUUID()) };
  },
});

/**
 * generateUUIDv7: 48-bit Unix milliseconds, version 7, a 42-bit counter seeded randomly per millisecond and
 * incremented per row (ClickHouse's layout: counter in rand_a and the top of rand_b), 32 random bits.
 */
define('generateUUIDv7', {
  nondeterministic: true,
  defaultNulls: false,
  resolve(args) {
    expectArgs('generateUUIDv7', args, 0, 1);
    return {
      type: T.UUID,
      exec: (_c, rows, ctx) => {
        const out = new Array<string>(rows);
        // The insert's one now() (ctx.nowMs), as every other clock function here.
        const ms = BigInt(Math.floor(ctx.nowMs));
        let counter = BigInt.asUintN(41, BigInt(`0x${randomBytes(6).toString('hex')}`));
        for (let i = 0; i < rows; i++) {
          counter++;
          const rand = randomBytes(4).toString('hex');
          const hi = (ms << 16n) | 0x7000n | ((counter >> 30n) & 0xfffn);
          const lo = (0x2n << 62n) | ((counter & 0x3fffffffn) << 32n) | BigInt(`0x${rand}`);
          const h = hi.toString(16).padStart(16, '0') + lo.toString(16).padStart(16, '0');
          out[i] = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
        }
        return out;
      },
    };
  },
});

// ---- parseDateTimeBestEffort ------------------------------------------------------------------------------------

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/**
 * The forms of parseDateTimeBestEffort this client reads exactly: ISO 8601 dates and date-times (with 'T' or a
 * space, optional fraction, 'Z' or an offset), 'YYYY/MM/DD', 'DD.MM.YYYY' and 'DD/MM/YYYY', RFC 2822
 * ('Tue, 3 Jun 2008 11:05:30 GMT'), and Unix timestamps of 10 digits. Anything else that could be a date is
 * left to the server (UnsupportedExpressionError); a string with no digit at all is NULL.
 */
export function parseBestEffort(s: string, tz: string): number | null | typeof FAIL {
  const text = s.trim();
  if (text === '') return null;
  if (!/\d/.test(text)) return null;
  if (/^\d{10}$/.test(text)) return Number(text);
  let m =
    /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$/i.exec(
      text,
    );
  let y: number, mo: number, d: number, h: number, mi: number, se: number;
  let zone: string | undefined;
  if (m) {
    [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    h = Number(m[4] ?? 0);
    mi = Number(m[5] ?? 0);
    se = Number(m[6] ?? 0);
    zone = m[7];
  } else if ((m = /^(\d{4})\/(\d{1,2})\/(\d{1,2})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(text))) {
    [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    h = Number(m[4] ?? 0);
    mi = Number(m[5] ?? 0);
    se = Number(m[6] ?? 0);
  } else if (
    (m =
      /^(?:[A-Za-z]{3},?\s+)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{4})\s+(\d{2}):(\d{2})(?::(\d{2}))?\s*(GMT|UTC|Z|[+-]\d{4})?$/.exec(
        text,
      ))
  ) {
    const month = MONTHS.indexOf(m[2]!.toLowerCase());
    if (month < 0) return FAIL;
    [d, mo, y] = [Number(m[1]), month + 1, Number(m[3])];
    h = Number(m[4]);
    mi = Number(m[5]);
    se = Number(m[6] ?? 0);
    zone = m[7];
  } else return FAIL;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59) return FAIL;
  const days = daysFromCivil(y, mo, d);
  if (new Date(days * 86400000).getUTCDate() !== d) return FAIL;
  const local = days * 86400 + h * 3600 + mi * 60 + se;
  let t: number;
  if (zone === undefined) t = fromLocalSeconds(tz, local);
  else if (/^(Z|UTC|GMT)$/i.test(zone)) t = local;
  else {
    const zm = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
    const off = (Number(zm[2]) * 3600 + Number(zm[3] ?? 0) * 60) * (zm[1] === '-' ? -1 : 1);
    t = local - off;
  }
  if (t < 0 || t > 0xffffffff) return FAIL;
  return t;
}

for (const [name, mode] of [
  ['parseDateTimeBestEffort', 'cast'],
  ['parseDateTimeBestEffortOrNull', 'orNull'],
  ['parseDateTimeBestEffortOrZero', 'orZero'],
] as const) {
  define(name, {
    resolve(args, scope) {
      expectArgs(name, args, 1, 2);
      if (base(args[0]!.type).kind !== 'string') unsupported(`${name}(${typeName(args[0]!.type)})`);
      const tz = timeZoneArg(name, args, 1);
      const dt: DataType = { kind: 'dateTime', tz };
      const type = mode === 'orNull' ? nullable(dt) : dt;
      return {
        type,
        exec([x], rows) {
          const g = get(x!);
          const n = x!.constant ? 1 : rows;
          const out = new Array(n);
          for (let i = 0; i < n; i++) {
            const v = parseBestEffort(textOf(g(i) as Str), tz ?? scope.serverTz);
            if (v === FAIL) {
              throw new UnsupportedExpressionError(
                `${name}: the client does not read ${JSON.stringify(textOf(g(i) as Str))} exactly as the server would`,
              );
            }
            if (v === null) {
              if (mode === 'cast') throw new UnsupportedExpressionError(`${name}: cannot parse an empty date`);
              out[i] = mode === 'orZero' ? 0 : null;
            } else out[i] = v;
          }
          return x!.constant ? { type, values: out, constant: true } : out;
        },
      };
    },
  });
}

void isNullable;
