/**
 * Type conversion: CAST(x AS T), the toT / toTOrZero / toTOrNull functions, and the final conversion of an
 * expression's result to its column's type (the server wraps every DEFAULT expression in CAST to the column type).
 *
 * Where the server would throw (a string that does not parse, NULL into a non-Nullable type, a value too long for
 * a FixedString) CAST throws UnsupportedExpressionError: the client does not guess, and leaves the row to the
 * server, which then reports its own error. OrZero/OrNull forms return the default or NULL instead.
 */
import { UnsupportedExpressionError } from '../errors.js';
import { bytesOf, fromBytes, textOf, zeroOf, type Str } from './column.js';
import { checkTimeZone, daysFromCivil, dayOf, fromLocalSeconds, startOfDay } from './datetime.js';
import { formatValue } from './format.js';
import { intRange, wrapper } from './numeric.js';
import { base, typeName, type DataType } from './types.js';

export type CastMode = 'cast' | 'orZero' | 'orNull';

/** Marks a value that does not convert; cast() turns it into an error, OrZero into the default, OrNull into NULL. */
export const FAIL: unique symbol = Symbol('cast-fail');
type Conv = (v: unknown) => unknown;

const INT_TEXT = /^[+-]?\d+$/;
const FLOAT_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const SPECIAL_FLOAT = /^[+-]?(?:inf|infinity|nan)$/i;

export function parseIntText(s: string, t: Extract<DataType, { kind: 'int' }>): number | bigint | typeof FAIL {
  if (!INT_TEXT.test(s)) return FAIL;
  const v = BigInt(s);
  const [min, max] = intRange(t);
  // The server's readIntText does not check overflow in every version: refuse rather than guess.
  if (v < min || v > max) {
    if (!t.signed && v < 0n && v >= -max) return FAIL;
    return FAIL;
  }
  return t.bits >= 64 ? v : Number(v);
}

export function parseFloatText(s: string): number | typeof FAIL {
  if (FLOAT_TEXT.test(s)) return Number(s);
  if (SPECIAL_FLOAT.test(s)) {
    const neg = s.startsWith('-');
    return /nan/i.test(s) ? NaN : neg ? -Infinity : Infinity;
  }
  return FAIL;
}

const DATE_TEXT = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME_TEXT = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/;

function validCivil(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1 || d > 31) return false;
  const days = daysFromCivil(y, m, d);
  const back = new Date(days * 86400000);
  return back.getUTCDate() === d;
}

export function parseDateText(s: string): number | typeof FAIL {
  const m = DATE_TEXT.exec(s);
  if (!m) return FAIL;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (!validCivil(y, mo, d)) return FAIL;
  const days = daysFromCivil(y, mo, d);
  return days < 0 || days > 0xffff ? FAIL : days;
}

export function parseDateTimeText(s: string, tz: string): number | typeof FAIL {
  let m = DATE_TIME_TEXT.exec(s);
  let local: number;
  if (m) {
    const [y, mo, d, h, mi, se] = m.slice(1).map(Number) as [number, number, number, number, number, number];
    if (!validCivil(y, mo, d) || h > 23 || mi > 59 || se > 59) return FAIL;
    local = daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
  } else if ((m = DATE_TEXT.exec(s))) {
    const [y, mo, d] = m.slice(1).map(Number) as [number, number, number];
    if (!validCivil(y, mo, d)) return FAIL;
    local = daysFromCivil(y, mo, d) * 86400;
  } else return FAIL;
  const t = fromLocalSeconds(tz, local);
  return t < 0 || t > 0xffffffff ? FAIL : t;
}

/** DateTime64's years 1900 .. 2299, in seconds; Date32's, in days. */
const MIN_DT64_SECONDS = -2208988800n;
const MAX_DT64_SECONDS = 10413791999n;
const MIN_DATE32 = -25567;
const MAX_DATE32 = 120529;
const DATE_TIME64_TEXT = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?)?$/;

/**
 * 'YYYY-MM-DD[ hh:mm:ss[.fraction]]' read in `tz` as ticks of `scale` (26.7 drops fraction digits beyond the
 * scale); other forms (numbers, offsets) are refused.
 */
export function parseDateTime64Text(s: string, scale: number, tz: string): bigint | typeof FAIL {
  const m = DATE_TIME64_TEXT.exec(s);
  if (!m) return FAIL;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [h, mi, se] = m[4] === undefined ? [0, 0, 0] : [Number(m[4]), Number(m[5]), Number(m[6])];
  if (!validCivil(y, mo, d) || h > 23 || mi > 59 || se > 59) return FAIL;
  const local = daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
  const secs = BigInt(fromLocalSeconds(tz, local));
  if (secs < MIN_DT64_SECONDS || secs > MAX_DT64_SECONDS) return FAIL;
  const fraction = (m[7] ?? '').slice(0, scale).padEnd(scale, '0');
  return secs * 10n ** BigInt(scale) + (scale > 0 ? BigInt(fraction) : 0n);
}

const UUID_TEXT = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

function numberOf(v: unknown, from: DataType): number | bigint {
  void from;
  return v as number | bigint;
}

/** Builds the converter from one type to another. `tz` is the server's zone (for zone-less DateTime). */
export function converter(from: DataType, to: DataType, serverTz: string, mode: CastMode): Conv {
  const fail = (): never => {
    throw new UnsupportedExpressionError(`Cannot convert ${typeName(from)} to ${typeName(to)}`);
  };
  if (to.kind === 'lowCardinality') return converter(from, to.inner, serverTz, mode);
  if (from.kind === 'lowCardinality') return converter(from.inner, to, serverTz, mode);
  if (to.kind === 'nullable') {
    const inner = converter(from.kind === 'nullable' ? from.inner : from, to.inner, serverTz, mode);
    return (v) => (v === null ? null : inner(v));
  }
  if (from.kind === 'nullable' || from.kind === 'nothing') {
    const inner = from.kind === 'nullable' ? converter(from.inner, to, serverTz, mode) : () => FAIL;
    return (v) => (v === null ? FAIL : inner(v));
  }
  const f = from;
  switch (to.kind) {
    case 'int': {
      const wrap = wrapper(to);
      const [min, max] = intRange(to);
      if (f.kind === 'int' || f.kind === 'bool' || f.kind === 'date' || f.kind === 'dateTime' || f.kind === 'ipv4') {
        return (v) => wrap(numberOf(v, f));
      }
      if (f.kind === 'enum') return (v) => wrap(v as number);
      if (f.kind === 'float') {
        return (v) => {
          const x = Math.trunc(v as number);
          // Out-of-range float → integer is undefined behaviour in the server's static_cast: do not guess.
          if (!Number.isFinite(x) || BigInt(x) < min || BigInt(x) > max) return FAIL;
          return to.bits >= 64 ? BigInt(x) : x;
        };
      }
      if (f.kind === 'dateTime64') {
        const scale = 10n ** BigInt(f.scale);
        return (v) => wrap((v as bigint) / scale);
      }
      if (f.kind === 'string' || f.kind === 'fixedString') {
        return (v) => {
          const s = f.kind === 'fixedString' ? textOf(v as Uint8Array).replace(/\0+$/, '') : textOf(v as Str);
          return parseIntText(s, to);
        };
      }
      return fail();
    }
    case 'float': {
      const round = to.bits === 32 ? Math.fround : (x: number) => x;
      if (
        f.kind === 'int' ||
        f.kind === 'float' ||
        f.kind === 'bool' ||
        f.kind === 'date' ||
        f.kind === 'dateTime' ||
        f.kind === 'enum'
      ) {
        return (v) => round(Number(v));
      }
      if (f.kind === 'string' || f.kind === 'fixedString') {
        return (v) => {
          const x = parseFloatText(
            f.kind === 'fixedString' ? textOf(v as Uint8Array).replace(/\0+$/, '') : textOf(v as Str),
          );
          return x === FAIL ? FAIL : round(x);
        };
      }
      return fail();
    }
    case 'bool': {
      if (f.kind === 'int' || f.kind === 'float' || f.kind === 'bool') return (v) => (v === 0 || v === 0n ? 0 : 1);
      if (f.kind === 'string') {
        return (v) => {
          const s = textOf(v as Str);
          if (s === 'true' || s === '1') return 1;
          if (s === 'false' || s === '0') return 0;
          return FAIL;
        };
      }
      return fail();
    }
    case 'string': {
      if (f.kind === 'string') return (v) => v;
      if (f.kind === 'fixedString') return (v) => fromBytes(v as Uint8Array);
      // Decimal text: 18.16 writes trailing zeros (1.50), 26.7 does not (1.5). Left to the server.
      if (hasDecimal(f)) return fail();
      return (v) => formatValue(v, f, serverTz);
    }
    case 'fixedString': {
      if (f.kind === 'string' || f.kind === 'fixedString') {
        return (v) => {
          const b = bytesOf(v as Str);
          if (b.length > to.n) return FAIL;
          const out = new Uint8Array(to.n);
          out.set(b);
          return out;
        };
      }
      return fail();
    }
    case 'date': {
      if (f.kind === 'date') return (v) => v;
      if (f.kind === 'dateTime') {
        const tz = f.tz ?? serverTz;
        return (v) => dayOf(tz, v as number);
      }
      if (f.kind === 'dateTime64') {
        const tz = f.tz ?? serverTz;
        const scale = 10n ** BigInt(f.scale);
        return (v) => {
          let s = (v as bigint) / scale;
          if ((v as bigint) < 0n && s * scale !== v) s -= 1n;
          return dayOf(tz, Number(s));
        };
      }
      if (f.kind === 'string') return (v) => parseDateText(textOf(v as Str));
      if (f.kind === 'int') {
        // Numbers up to 65535 are day numbers on every server version; above, newer servers read them as Unix
        // time and 18.16 wraps them: refuse.
        return (v) => {
          const n = Number(v);
          return n >= 0 && n <= 0xffff ? n : FAIL;
        };
      }
      return fail();
    }
    case 'dateTime': {
      const tz = to.tz ?? serverTz;
      if (to.tz) checkTimeZone(to.tz);
      if (f.kind === 'dateTime') return (v) => v;
      if (f.kind === 'date') return (v) => startOfDay(tz, v as number);
      if (f.kind === 'dateTime64') {
        const scale = 10n ** BigInt(f.scale);
        return (v) => {
          let s = (v as bigint) / scale;
          if ((v as bigint) < 0n && s * scale !== v) s -= 1n;
          return Number(BigInt.asUintN(32, s));
        };
      }
      if (f.kind === 'int') {
        const w = wrapper({ kind: 'int', name: 'UInt32', bits: 32, signed: false });
        return (v) => w(v as number);
      }
      if (f.kind === 'string') {
        return (v) => {
          const s = textOf(v as Str);
          if (/^\d+$/.test(s)) {
            // All digits: a Unix timestamp (readDateTimeText), when it is not a date form.
            const n = Number(s);
            return s.length >= 5 && n <= 0xffffffff ? n : FAIL;
          }
          return parseDateTimeText(s, tz);
        };
      }
      return fail();
    }
    case 'dateTime64': {
      const scale = 10n ** BigInt(to.scale);
      const tz64 = to.tz ?? serverTz;
      if (to.tz) checkTimeZone(to.tz);
      if (f.kind === 'int') {
        // A number of seconds (26.7: CAST(1 AS DateTime64(6)) is 1970-01-01 00:00:01); beyond DateTime64's years
        // 1900..2299 the server clamps: refused.
        return (v) => {
          const secs = BigInt(v as number | bigint);
          return secs < MIN_DT64_SECONDS || secs > MAX_DT64_SECONDS ? FAIL : secs * scale;
        };
      }
      if (f.kind === 'string') return (v) => parseDateTime64Text(textOf(v as Str), to.scale, tz64);
      if (f.kind === 'dateTime64') {
        const fromScale = 10n ** BigInt(f.scale);
        return (v) => ((v as bigint) * scale) / fromScale;
      }
      if (f.kind === 'dateTime') return (v) => BigInt(v as number) * scale;
      if (f.kind === 'date') {
        const tz = to.tz ?? serverTz;
        return (v) => BigInt(startOfDay(tz, v as number)) * scale;
      }
      return fail();
    }
    case 'date32': {
      if (f.kind === 'date32' || f.kind === 'date') return (v) => v;
      // A day number within Date32's 1900-01-01 .. 2299-12-31 (26.7; out of it the server clamps: refused).
      if (f.kind === 'int') {
        return (v) => {
          const n = Number(v);
          return n >= MIN_DATE32 && n <= MAX_DATE32 ? n : FAIL;
        };
      }
      if (f.kind === 'string') {
        return (v) => {
          const m = DATE_TEXT.exec(textOf(v as Str));
          if (!m) return FAIL;
          const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
          if (!validCivil(y, mo, d)) return FAIL;
          const days = daysFromCivil(y, mo, d);
          return days >= MIN_DATE32 && days <= MAX_DATE32 ? days : FAIL;
        };
      }
      return fail();
    }
    case 'uuid': {
      if (f.kind === 'uuid') return (v) => v;
      if (f.kind === 'string') {
        return (v) => {
          const s = textOf(v as Str);
          return UUID_TEXT.test(s) ? s.toLowerCase() : FAIL;
        };
      }
      return fail();
    }
    case 'enum': {
      if (f.kind === 'string') {
        const byName = new Map(to.entries.map((e) => [e.name, e.value]));
        return (v) => byName.get(textOf(v as Str)) ?? FAIL;
      }
      if (f.kind === 'int' || f.kind === 'enum') {
        const values = new Set(to.entries.map((e) => e.value));
        if (f.kind === 'enum') {
          const byName = new Map(to.entries.map((e) => [e.name, e.value]));
          return (v) => byName.get(f.entries.find((e) => e.value === v)?.name ?? '') ?? FAIL;
        }
        return (v) => (values.has(Number(v)) ? Number(v) : FAIL);
      }
      return fail();
    }
    case 'array': {
      if (f.kind === 'map') {
        // A Map is an Array(Tuple(K, V)) underneath: CAST(m, 'Array(Tuple(K2, V2))') converts each entry.
        const el = to.element.kind === 'lowCardinality' ? to.element.inner : to.element;
        if (el.kind !== 'tuple' || el.elements.length !== 2) return fail();
        const pair = converter({ kind: 'tuple', elements: [f.key, f.value], names: undefined }, el, serverTz, 'cast');
        return (v) => {
          const entries = v as Array<[unknown, unknown]>;
          const out = new Array(entries.length);
          for (let i = 0; i < entries.length; i++) {
            const x = pair(entries[i]);
            if (x === FAIL) return FAIL;
            out[i] = x;
          }
          return out;
        };
      }
      if (f.kind !== 'array') return fail();
      const elem = converter(f.element, to.element, serverTz, 'cast');
      return (v) => {
        const arr = v as unknown[];
        const out = new Array(arr.length);
        for (let i = 0; i < arr.length; i++) {
          const x = elem(arr[i]);
          if (x === FAIL) return FAIL;
          out[i] = x;
        }
        return out;
      };
    }
    case 'tuple': {
      if (f.kind !== 'tuple' || f.elements.length !== to.elements.length) return fail();
      const convs = to.elements.map((t, i) => converter(f.elements[i]!, t, serverTz, 'cast'));
      return (v) => {
        const out = (v as unknown[]).map((x, i) => convs[i]!(x));
        return out.includes(FAIL) ? FAIL : out;
      };
    }
    case 'map': {
      if (f.kind !== 'map') return fail();
      const k = converter(f.key, to.key, serverTz, 'cast');
      const x = converter(f.value, to.value, serverTz, 'cast');
      return (v) => {
        const out: Array<[unknown, unknown]> = [];
        for (const [a, b] of v as Array<[unknown, unknown]>) {
          const ka = k(a);
          const vb = x(b);
          if (ka === FAIL || vb === FAIL) return FAIL;
          out.push([ka, vb]);
        }
        return out;
      };
    }
    case 'nothing':
      return fail();
    case 'ipv4': {
      if (f.kind === 'ipv4') return (v) => v;
      if (f.kind === 'int' && !f.signed && f.bits <= 32) return (v) => v;
      if (f.kind === 'string') return (v) => parseIPv4(textOf(v as Str));
      return fail();
    }
    case 'ipv6':
      if (f.kind === 'ipv6') return (v) => v;
      return fail();
    case 'decimal': {
      const limit = 10n ** BigInt(to.precision);
      const fits = (x: bigint) => (x < limit && x > -limit ? x : FAIL);
      // Same scale: the value, if its digits fit the precision (a wider value throws on the server: refused).
      if (f.kind === 'decimal' && f.scale === to.scale) return (v) => fits(v as bigint);
      // A smaller scale into a larger one is exact; the reverse would round: not modelled.
      if (f.kind === 'decimal' && f.scale < to.scale) {
        const m = 10n ** BigInt(to.scale - f.scale);
        return (v) => fits((v as bigint) * m);
      }
      // Integers (and Bool) scale exactly; out of the precision's range the server throws: refused.
      if (f.kind === 'int' || f.kind === 'bool') {
        const m = 10n ** BigInt(to.scale);
        return (v) => fits(BigInt(v as number | bigint) * m);
      }
      return fail();
    }
    default:
      return fail();
  }
}

function hasDecimal(t: DataType): boolean {
  switch (t.kind) {
    case 'decimal':
      return true;
    case 'nullable':
    case 'lowCardinality':
      return hasDecimal(t.inner);
    case 'array':
      return hasDecimal(t.element);
    case 'tuple':
      return t.elements.some(hasDecimal);
    case 'map':
      return hasDecimal(t.key) || hasDecimal(t.value);
    default:
      return false;
  }
}

export function parseIPv4(s: string): number | typeof FAIL {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return FAIL;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return FAIL;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

/** Converts a whole column of values; FAIL values become errors (cast), defaults (orZero) or NULL (orNull). */
export function convertValues(
  values: ArrayLike<unknown>,
  rows: number,
  from: DataType,
  to: DataType,
  serverTz: string,
  mode: CastMode,
): unknown[] {
  const conv = converter(from, to, serverTz, mode);
  const out = new Array(rows);
  const zero = mode === 'orZero' ? zeroOf(base(to)) : null;
  for (let i = 0; i < rows; i++) {
    const x = conv(values[i]);
    if (x === FAIL) {
      if (mode === 'cast') {
        const v = values[i];
        const shown = typeof v === 'string' ? JSON.stringify(v.length > 50 ? `${v.slice(0, 50)}...` : v) : String(v);
        throw new UnsupportedExpressionError(
          `Cannot convert ${shown} of type ${typeName(from)} to ${typeName(to)} the way the server would`,
        );
      }
      out[i] = zero;
    } else out[i] = x;
  }
  return out;
}
