/**
 * Calendar functions: toStartOfMinute/Hour/Day/Week/Month, toYYYYMM, toYYYYMMDD, toUnixTimestamp,
 * toUnixTimestamp64Milli, fromUnixTimestamp64Milli. A DateTime is read in its own time zone (or the server's, or the
 * optional time-zone argument), DST included.
 *
 * 18.16's DateLUT covers local dates 1970-01-01 .. 2105-12-31 and gives other answers (0, or wrapped values) outside
 * it, where newer servers clamp or compute: those inputs are refused (UnsupportedExpressionError), so that the
 * server computes them. So are toStartOfHour in zones whose offset is not whole hours that day (Australia/Lord_Howe:
 * the versions differ), and the argument types one version rejects (toStartOfDay(Date), toUnixTimestamp(Date)).
 */
import { UnsupportedExpressionError } from '../../errors.js';
import { civilFromDays, dayOf, daysFromCivil, offsetAt, startOfDay } from '../datetime.js';
import { define, expectArgs, unsupported, type Arg } from '../registry.js';
import { base, T, typeName, type DataType } from '../types.js';
import type { Column } from '../column.js';
import { timeZoneArg } from './conversions.js';

/** The last local day 18.16's DateLUT holds (2105-12-31). */
const MAX_DAY = daysFromCivil(2105, 12, 31);

function refuse(name: string, what: string): never {
  throw new UnsupportedExpressionError(
    `${name}: ${what} is outside the range where server versions agree; left to the server`,
  );
}

/** The local day of a DateTime `t` in `tz`, checked to lie in the range every server version agrees on. */
function checkedDay(name: string, tz: string, t: number): number {
  const d = dayOf(tz, t);
  if (d < 1 || d > MAX_DAY) refuse(name, `DateTime ${t} (${tz})`);
  return d;
}

function checkedDate(name: string, d: number): number {
  if (d > MAX_DAY) refuse(name, `Date ${d}`);
  return d;
}

/** A DateTime64 column as DateTime seconds (rounded down); other columns as they are. */
function asSeconds(x: Column): Column {
  const t = base(x.type);
  if (t.kind !== 'dateTime64') return x;
  const scale = 10n ** BigInt(t.scale);
  const n = x.constant ? 1 : x.values.length;
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const v = x.values[i] as bigint;
    let q = v / scale;
    if (v < 0n && q * scale !== v) q -= 1n;
    out[i] = Number(q);
  }
  return { type: { kind: 'dateTime', tz: t.tz }, values: out, constant: x.constant };
}

interface DateInput {
  kind: 'date' | 'dateTime';
  tz: string;
}

/** The first argument (Date or DateTime) and the optional time zone argument. */
function dateInput(
  name: string,
  args: Arg[],
  serverTz: string,
  allowDate: boolean,
): DateInput & { explicitTz: string | undefined } {
  expectArgs(name, args, 1, 2);
  const t = base(args[0]!.type);
  const explicitTz = timeZoneArg(name, args, 1);
  if (t.kind === 'dateTime') return { kind: 'dateTime', tz: explicitTz ?? t.tz ?? serverTz, explicitTz };
  // A DateTime64 is read as its whole seconds (26.7 gives these functions the DateTime result types for it).
  if (t.kind === 'dateTime64') return { kind: 'dateTime', tz: explicitTz ?? t.tz ?? serverTz, explicitTz };
  if (t.kind === 'date' && allowDate) return { kind: 'date', tz: explicitTz ?? serverTz, explicitTz };
  return unsupported(`${name}(${typeName(args[0]!.type)}) is not supported`);
}

/** Functions of the local day (Date or DateTime argument) giving a value of `type`. */
function dayFunction(name: string, type: DataType, ofDay: (day: number) => number, allowDateTz = true): void {
  define(name, {
    resolve(args, scope) {
      const input = dateInput(name, args, scope.serverTz, true);
      if (input.kind === 'date' && input.explicitTz && !allowDateTz) unsupported(`${name}(Date, tz) is not supported`);
      return {
        type,
        exec([arg], rows) {
          const x = asSeconds(arg!);
          const n = x!.constant ? 1 : rows;
          const out = new Array<number>(n);
          for (let i = 0; i < n; i++) {
            const v = x!.values[i] as number;
            const day = input.kind === 'date' ? checkedDate(name, v) : checkedDay(name, input.tz, v);
            out[i] = ofDay(day);
          }
          return { type, values: out, constant: x!.constant };
        },
      };
    },
  });
}

dayFunction('toStartOfMonth', T.Date, (d) => {
  const c = civilFromDays(d);
  return daysFromCivil(c.year, c.month, 1);
});
dayFunction('toYYYYMM', T.UInt32, (d) => {
  const c = civilFromDays(d);
  return c.year * 100 + c.month;
});
dayFunction('toYYYYMMDD', T.UInt32, (d) => {
  const c = civilFromDays(d);
  return c.year * 10000 + c.month * 100 + c.day;
});

// toStartOfWeek(x[, mode[, tz]]), mode 0 only: the Sunday on or before the day (1970-01-01 is a Thursday).
define('toStartOfWeek', {
  resolve(args, scope) {
    expectArgs('toStartOfWeek', args, 1, 3);
    if (args.length >= 2) {
      const mode = args[1]!.constant?.value;
      if (mode === undefined || Number(mode) !== 0 || base(args[1]!.type).kind !== 'int')
        unsupported('toStartOfWeek: only mode 0 is supported');
    }
    const input = dateInput(
      'toStartOfWeek',
      args.length === 3 ? [args[0]!, args[2]!] : [args[0]!],
      scope.serverTz,
      true,
    );
    return {
      type: T.Date,
      exec([arg], rows) {
        const x = asSeconds(arg!);
        const n = x!.constant ? 1 : rows;
        const out = new Array<number>(n);
        for (let i = 0; i < n; i++) {
          const v = x!.values[i] as number;
          const day =
            input.kind === 'date' ? checkedDate('toStartOfWeek', v) : checkedDay('toStartOfWeek', input.tz, v);
          // Days 0..2 have their Sunday before 1970-01-01: the versions clamp differently.
          if (day < 3) refuse('toStartOfWeek', `day ${day}`);
          out[i] = day - ((day + 4) % 7);
        }
        return { type: T.Date, values: out, constant: x!.constant };
      },
    };
  },
});

/** toStartOfMinute/Hour/Day: DateTime → DateTime (in the argument's zone, or the explicit one). */
function timeFunction(name: string, start: (tz: string, t: number) => number): void {
  define(name, {
    resolve(args, scope) {
      const input = dateInput(name, args, scope.serverTz, false);
      const source = base(args[0]!.type) as Extract<DataType, { kind: 'dateTime' }>;
      const type: DataType = { kind: 'dateTime', tz: input.explicitTz ?? source.tz };
      return {
        type,
        exec([arg], rows) {
          const x = asSeconds(arg!);
          const n = x!.constant ? 1 : rows;
          const out = new Array<number>(n);
          for (let i = 0; i < n; i++) {
            const t = x!.values[i] as number;
            checkedDay(name, input.tz, t);
            out[i] = start(input.tz, t);
          }
          return { type, values: out, constant: x!.constant };
        },
      };
    },
  });
}

timeFunction('toStartOfMinute', (tz, t) => {
  if (offsetAt(tz, t) % 60 !== 0) refuse('toStartOfMinute', `a zone offset of seconds (${tz})`);
  return t - (t % 60);
});
timeFunction('toStartOfHour', (tz, t) => {
  const day = dayOf(tz, t);
  const dayStart = startOfDay(tz, day);
  const next = startOfDay(tz, day + 1);
  if (offsetAt(tz, t) % 3600 !== 0 || offsetAt(tz, dayStart) % 3600 !== 0 || offsetAt(tz, next) % 3600 !== 0) {
    refuse('toStartOfHour', `a day with a zone offset that is not whole hours (${tz})`);
  }
  return t - (t % 3600);
});
timeFunction('toStartOfDay', (tz, t) => startOfDay(tz, dayOf(tz, t)));

define('toUnixTimestamp', {
  resolve(args, scope) {
    // toUnixTimestamp(Date) is the day number on 18.16 and seconds on newer servers; String parsing is not modelled.
    dateInput('toUnixTimestamp', args, scope.serverTz, false);
    return {
      type: T.UInt32,
      exec: ([arg]) => {
        const x = asSeconds(arg!);
        if (x !== arg)
          for (let i = 0; i < (x.constant ? 1 : x.values.length); i++)
            if ((x.values[i] as number) < 0 || (x.values[i] as number) > 0xffffffff)
              refuse('toUnixTimestamp', 'a DateTime64 outside DateTime');
        return { type: T.UInt32, values: x.values, constant: x.constant };
      },
    };
  },
});

/** toUnixTimestamp64Second/Milli/Micro/Nano: a DateTime64's ticks at another scale (rounded down; Int64). */
for (const [unit, target] of [
  ['Second', 0],
  ['Milli', 3],
  ['Micro', 6],
  ['Nano', 9],
] as const) {
  const name = `toUnixTimestamp64${unit}`;
  define(name, {
    resolve(args) {
      expectArgs(name, args, 1);
      const t = base(args[0]!.type);
      if (t.kind !== 'dateTime64') unsupported(`${name}(${typeName(args[0]!.type)}) is not supported`);
      const scale = t.scale;
      const type = T.Int64;
      return {
        type,
        exec([x], rows) {
          const n = x!.constant ? 1 : rows;
          const out = new Array<bigint>(n);
          for (let i = 0; i < n; i++) {
            const v = x!.values[i] as bigint;
            const divisor = 10n ** BigInt(Math.max(0, scale - target));
            // Before 1970 a coarser unit is rounded toward zero by 26.7 and down by older servers: refused.
            if (v < 0n && v % divisor !== 0n)
              throw new UnsupportedExpressionError(`${name} of a DateTime64 before 1970 with a finer part`);
            out[i] = scale >= target ? floorDiv(v, divisor) : BigInt.asIntN(64, v * 10n ** BigInt(target - scale));
          }
          return { type, values: out, constant: x!.constant };
        },
      };
    },
  });
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n ? q - 1n : q;
}

define('fromUnixTimestamp64Milli', {
  resolve(args) {
    expectArgs('fromUnixTimestamp64Milli', args, 1, 2);
    const t = base(args[0]!.type);
    if (t.kind !== 'int' || t.name !== 'Int64')
      unsupported(`fromUnixTimestamp64Milli(${typeName(args[0]!.type)}) is not supported`);
    const tz = timeZoneArg('fromUnixTimestamp64Milli', args, 1);
    const type: DataType = { kind: 'dateTime64', scale: 3, tz };
    return { type, exec: ([x]) => ({ type, values: x!.values, constant: x!.constant }) };
  },
});
