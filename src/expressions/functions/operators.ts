/**
 * Operators and the functions the parser makes of them: arithmetic with the server's result types and
 * wrap-around, exact comparisons, three-valued logic, if/multiIf, NULL functions, and the constructors and
 * accessors of arrays, tuples and maps.
 */
import { UnsupportedExpressionError } from '../../errors.js';
import { at } from '../column.js';
import { wrapper } from '../numeric.js';
import { define, expectArgs, unsupported, type Arg, modernServer } from '../registry.js';
import {
  additionResult,
  arrayOf,
  base,
  intDivResult,
  isNullable,
  moduloResult,
  negateResult,
  nullable,
  subtractionResult,
  supertype,
  T,
  stripLowCardinality,
  typeName,
  type DataType,
} from '../types.js';
import { castColumn, compareNumbers, compareValues, equalValues, get } from './helpers.js';
import { converter, FAIL } from '../cast.js';

type Num = number | bigint;

const numericKinds = new Set(['int', 'float', 'bool']);
function numericArg(name: string, a: Arg): void {
  if (!numericKinds.has(base(a.type).kind)) unsupported(`${name}(${typeName(a.type)}) is not supported`);
}

/** A binary arithmetic function over numbers: computes in bigint for 64-bit results, in doubles otherwise. */
function arithmetic(
  name: string,
  resultType: (a: DataType, b: DataType, fn: string) => DataType,
  onNumbers: (a: number, b: number) => number,
  onBigInts: (a: bigint, b: bigint) => bigint,
  onFloats: (a: number, b: number) => number = onNumbers,
): void {
  define(name, {
    resolve(args) {
      expectArgs(name, args, 2);
      args.forEach((a) => numericArg(name, a));
      const type = resultType(args[0]!.type, args[1]!.type, name);
      return {
        type,
        exec([x, y], rows) {
          const ga = get(x!);
          const gb = get(y!);
          const out = new Array(rows);
          if (type.kind === 'float') {
            for (let i = 0; i < rows; i++) out[i] = onFloats(Number(ga(i)), Number(gb(i)));
          } else if (type.kind === 'int' && type.bits >= 64) {
            const wrap = wrapper(type);
            for (let i = 0; i < rows; i++) out[i] = wrap(onBigInts(BigInt(ga(i) as Num), BigInt(gb(i) as Num)));
          } else {
            const wrap = wrapper(type as Extract<DataType, { kind: 'int' }>);
            for (let i = 0; i < rows; i++) out[i] = wrap(onNumbers(ga(i) as number, gb(i) as number));
          }
          return out;
        },
      };
    },
  });
}

// Operands of ≤ 32-bit results are ≤ 16 bits wide, so every product and sum is exact in a double.
arithmetic(
  'plus',
  additionResult,
  (a, b) => a + b,
  (a, b) => a + b,
);
arithmetic(
  'minus',
  subtractionResult,
  (a, b) => a - b,
  (a, b) => a - b,
);
arithmetic(
  'multiply',
  additionResult,
  (a, b) => a * b,
  (a, b) => a * b,
);
arithmetic(
  'divide',
  () => T.Float64,
  (a, b) => a / b,
  () => 0n,
);

function checkedDivisor(b: Num): void {
  if (b === 0 || b === 0n) throw new UnsupportedExpressionError('Division by zero');
}

define('intDiv', {
  resolve(args) {
    expectArgs('intDiv', args, 2);
    args.forEach((a) => numericArg('intDiv', a));
    if (args.some((a) => base(a.type).kind === 'float')) unsupported('intDiv of floats is not supported');
    const type = intDivResult(args[0]!.type, args[1]!.type, 'intDiv') as Extract<DataType, { kind: 'int' }>;
    const wrap = wrapper(type);
    return {
      type,
      exec([x, y], rows) {
        const ga = get(x!);
        const gb = get(y!);
        const out = new Array(rows);
        for (let i = 0; i < rows; i++) {
          const a = BigInt(ga(i) as Num);
          const b = BigInt(gb(i) as Num);
          checkedDivisor(b);
          out[i] = wrap(a / b);
        }
        return out;
      },
    };
  },
});

define(['modulo', 'mod'], {
  resolve(args) {
    expectArgs('modulo', args, 2);
    args.forEach((a) => numericArg('modulo', a));
    const type = moduloResult(args[0]!.type, args[1]!.type, 'modulo');
    return {
      type,
      exec([x, y], rows) {
        const ga = get(x!);
        const gb = get(y!);
        const out = new Array(rows);
        if (type.kind === 'float') {
          for (let i = 0; i < rows; i++) out[i] = Number(ga(i)) % Number(gb(i));
          return out;
        }
        const wrap = wrapper(type as Extract<DataType, { kind: 'int' }>);
        for (let i = 0; i < rows; i++) {
          const b = BigInt(gb(i) as Num);
          checkedDivisor(b);
          out[i] = wrap(BigInt(ga(i) as Num) % b);
        }
        return out;
      },
    };
  },
});

define('negate', {
  resolve(args) {
    expectArgs('negate', args, 1);
    numericArg('negate', args[0]!);
    const type = negateResult(args[0]!.type);
    return {
      type,
      exec([x], rows) {
        const g = get(x!);
        const out = new Array(rows);
        if (type.kind === 'float') for (let i = 0; i < rows; i++) out[i] = -(g(i) as number);
        else {
          const wrap = wrapper(type as Extract<DataType, { kind: 'int' }>);
          for (let i = 0; i < rows; i++) {
            const v = g(i) as Num;
            out[i] = wrap(-v);
          }
        }
        return out;
      },
    };
  },
});

define('abs', {
  resolve(args) {
    expectArgs('abs', args, 1);
    numericArg('abs', args[0]!);
    const t = base(args[0]!.type);
    // abs of a signed integer is the unsigned type of the same width (abs(toInt8(-128)) = 128).
    const type: DataType =
      t.kind === 'int' && t.signed
        ? ((T as Record<string, DataType>)[`UInt${t.bits}`] ?? unsupported('abs of a wide integer'))
        : t.kind === 'bool'
          ? T.UInt8
          : t;
    return {
      type,
      exec([x], rows) {
        const g = get(x!);
        const out = new Array(rows);
        for (let i = 0; i < rows; i++) {
          const v = g(i) as Num;
          out[i] = typeof v === 'bigint' ? (v < 0n ? -v : v) : Math.abs(v);
        }
        return out;
      },
    };
  },
});

// ---- comparisons -----------------------------------------------------------------------------------------------

const temporal = new Set(['date', 'dateTime', 'dateTime64']);

/**
 * The common ground of two compared arguments: numbers compare as numbers across widths; a constant string
 * compared with a Date, DateTime, Enum or UUID is read as that type (the server converts the literal).
 */
function comparable(
  name: string,
  a: Arg,
  b: Arg,
): { left: DataType; right: DataType; kind: 'number' | 'value'; type: DataType } {
  const ta = base(a.type);
  const tb = base(b.type);
  if (numericKinds.has(ta.kind) && numericKinds.has(tb.kind)) return { left: ta, right: tb, kind: 'number', type: ta };
  if (ta.kind === 'string' || ta.kind === 'fixedString') {
    if (tb.kind === 'string' || tb.kind === 'fixedString')
      return { left: T.String, right: T.String, kind: 'value', type: T.String };
  }
  if (temporal.has(ta.kind) && temporal.has(tb.kind)) {
    const common = supertype([ta, tb], name);
    return { left: common, right: common, kind: 'value', type: common };
  }
  for (const [x, y] of [
    [ta, tb],
    [tb, ta],
  ] as const) {
    // A DateTime64 against an integer: the integer is seconds (26.7 converts it to the DateTime64).
    if (x.kind === 'dateTime64' && y.kind === 'int' && y.bits <= 64)
      return { left: x, right: x, kind: 'value', type: x };
    if ((temporal.has(x.kind) || x.kind === 'enum' || x.kind === 'uuid') && y.kind === 'string') {
      const constArg = x === ta ? b : a;
      if (!constArg.constant)
        unsupported(`${name}: comparing ${typeName(x)} with a non-constant String is not supported`);
      return { left: x, right: x, kind: 'value', type: x };
    }
  }
  if (ta.kind === tb.kind && (ta.kind === 'uuid' || ta.kind === 'enum' || ta.kind === 'array' || ta.kind === 'tuple')) {
    const common = ta.kind === 'enum' ? ta : supertype([ta, tb], name);
    return { left: common, right: common, kind: 'value', type: common };
  }
  return unsupported(`${name}(${typeName(a.type)}, ${typeName(b.type)}) is not supported`);
}

function comparison(name: string, test: (c: number) => boolean, nanResult: number): void {
  define(name, {
    resolve(args, scope) {
      expectArgs(name, args, 2);
      const plan = comparable(name, args[0]!, args[1]!);
      return {
        type: T.UInt8,
        exec([x, y], rows) {
          const out = new Uint8Array(rows);
          if (plan.kind === 'number') {
            const ga = get(x!);
            const gb = get(y!);
            for (let i = 0; i < rows; i++) {
              const c = compareNumbers(ga(i) as Num, gb(i) as Num);
              out[i] = Number.isNaN(c) ? nanResult : test(c) ? 1 : 0;
            }
            return out;
          }
          const a = castColumn(x!, plan.type, rows, scope.serverTz);
          const b = castColumn(y!, plan.type, rows, scope.serverTz);
          const ga = get(a);
          const gb = get(b);
          const eqOnly = name === 'equals' || name === 'notEquals';
          for (let i = 0; i < rows; i++) {
            const c = eqOnly ? (equalValues(ga(i), gb(i), plan.type) ? 0 : 1) : compareValues(ga(i), gb(i), plan.type);
            out[i] = test(c) ? 1 : 0;
          }
          return out;
        },
      };
    },
  });
}

comparison('equals', (c) => c === 0, 0);
comparison('notEquals', (c) => c !== 0, 1);
comparison('less', (c) => c < 0, 0);
comparison('greater', (c) => c > 0, 0);
comparison('lessOrEquals', (c) => c <= 0, 0);
comparison('greaterOrEquals', (c) => c >= 0, 0);

// ---- logic -------------------------------------------------------------------------------------------------------

/** true, false or null (NULL) of a condition value. */
const truth = (v: unknown): boolean | null => (v === null ? null : !(v === 0 || v === 0n || v === false));

function logical(name: 'and' | 'or' | 'xor'): void {
  define(name, {
    defaultNulls: false,
    resolve(args) {
      if (args.length < 2) unsupported(`${name} takes at least 2 arguments`);
      args.forEach((a) => {
        if (!numericKinds.has(base(a.type).kind) && base(a.type).kind !== 'nothing')
          unsupported(`${name}(${typeName(a.type)})`);
      });
      // Three-valued logic over Nullable arguments differs between versions (18.16's or() returns UInt8 and
      // drops NULLs; newer servers return Nullable(UInt8)): refuse rather than pick one.
      const anyNullable = args.some((a) => isNullable(a.type));
      if (anyNullable) unsupported(`${name} of Nullable arguments is not supported`);
      return {
        type: anyNullable ? nullable(T.UInt8) : T.UInt8,
        exec(cols, rows) {
          const gs = cols.map(get);
          const out = new Array(rows);
          for (let i = 0; i < rows; i++) {
            let acc: boolean | null = name === 'and';
            if (name === 'xor') {
              acc = false;
              for (const g of gs) {
                const t = truth(g(i));
                if (t === null) {
                  acc = null;
                  break;
                }
                acc = acc !== t;
              }
            } else {
              for (const g of gs) {
                const t = truth(g(i));
                if (name === 'and') {
                  if (t === false) {
                    acc = false;
                    break;
                  }
                  if (t === null) acc = null;
                } else {
                  if (t === true) {
                    acc = true;
                    break;
                  }
                  if (t === null) acc = null;
                  else if (acc !== null) acc = false;
                }
              }
            }
            out[i] = acc === null ? null : acc ? 1 : 0;
          }
          return out;
        },
      };
    },
  });
}
logical('and');
logical('or');
logical('xor');

define('not', {
  resolve(args) {
    expectArgs('not', args, 1);
    numericArg('not', args[0]!);
    return {
      type: T.UInt8,
      exec([x], rows) {
        const g = get(x!);
        const out = new Uint8Array(rows);
        for (let i = 0; i < rows; i++) out[i] = truth(g(i)) ? 0 : 1;
        return out;
      },
    };
  },
});

// ---- conditionals and NULLs --------------------------------------------------------------------------------------

/** if / multiIf: conditions pick a branch row by row; NULL conditions count as false. */
function nullCondition(name: string): never {
  throw new UnsupportedExpressionError(
    `${name} with a NULL condition: 18.16 gives NULL, newer servers the else branch`,
  );
}

function branches(name: string, conds: Arg[], values: Arg[]) {
  conds.forEach((c) => {
    const k = base(c.type).kind;
    if (!numericKinds.has(k) && k !== 'nothing') unsupported(`${name}: condition of type ${typeName(c.type)}`);
    // A NULL condition picks the else branch on newer servers but makes the result NULL on 18.16: a Nullable
    // condition is taken, and a row whose condition is NULL is refused at evaluation (nullCondition below).
    if (c.type.kind === 'lowCardinality' && c.type.inner.kind === 'nullable')
      unsupported(`${name} with a LowCardinality(Nullable) condition is not supported`);
  });
  return supertype(
    values.map((v) => v.type),
    name,
  );
}

define('if', {
  defaultNulls: false,
  resolve(args, scope) {
    expectArgs('if', args, 3);
    const type = branches('if', [args[0]!], [args[1]!, args[2]!]);
    const nullIsFalse = modernServer(scope.serverVersion);
    return {
      type,
      exec([c, a, b], rows) {
        const gc = get(c!);
        const ga = get(castColumn(a!, type, rows, scope.serverTz));
        const gb = get(castColumn(b!, type, rows, scope.serverTz));
        const out = new Array(rows);
        for (let i = 0; i < rows; i++) {
          const t = truth(gc(i));
          if (t === null && !nullIsFalse) nullCondition('if');
          out[i] = t ? ga(i) : gb(i);
        }
        return out;
      },
    };
  },
});

/** nullIf(a, b): NULL where a equals b, else a (as Nullable of a's type). */
define('nullIf', {
  defaultNulls: false,
  resolve(args, scope) {
    expectArgs('nullIf', args, 2);
    if (args.some((a) => isNullable(a.type))) unsupported('nullIf of Nullable arguments is not supported');
    const a = args[0]!.type;
    const common = supertype([a, args[1]!.type], 'nullIf');
    const type = nullable(a);
    return {
      type,
      exec([x, y], rows) {
        const gx = get(x!);
        const gxc = get(castColumn(x!, common, rows, scope.serverTz));
        const gyc = get(castColumn(y!, common, rows, scope.serverTz));
        const out = new Array(rows);
        for (let i = 0; i < rows; i++) out[i] = equalValues(gxc(i), gyc(i), common) ? null : gx(i);
        return out;
      },
    };
  },
});

define('multiIf', {
  defaultNulls: false,
  resolve(args, scope) {
    if (args.length < 3 || args.length % 2 === 0) unsupported('multiIf takes an odd number (≥ 3) of arguments');
    const conds = args.filter((_, i) => i % 2 === 0 && i < args.length - 1);
    const values = args.filter((_, i) => i % 2 === 1 || i === args.length - 1);
    const type = branches('multiIf', conds, values);
    const nullIsFalse = modernServer(scope.serverVersion);
    return {
      type,
      exec(cols, rows) {
        const gs = cols.map((c, i) =>
          get(i % 2 === 1 || i === cols.length - 1 ? castColumn(c, type, rows, scope.serverTz) : c),
        );
        const out = new Array(rows);
        for (let i = 0; i < rows; i++) {
          let k = 0;
          for (; k < gs.length - 1; k += 2) {
            const t = truth(gs[k]!(i));
            if (t === null && !nullIsFalse) nullCondition('multiIf');
            if (t) break;
          }
          out[i] = k < gs.length - 1 ? gs[k + 1]!(i) : gs[gs.length - 1]!(i);
        }
        return out;
      },
    };
  },
});

define('isNull', {
  defaultNulls: false,
  resolve(args) {
    expectArgs('isNull', args, 1);
    return {
      type: T.UInt8,
      exec: ([x], rows) => Uint8Array.from({ length: rows }, (_, i) => (at(x!, i) === null ? 1 : 0)),
    };
  },
});
define('isNotNull', {
  defaultNulls: false,
  resolve(args) {
    expectArgs('isNotNull', args, 1);
    return {
      type: T.UInt8,
      exec: ([x], rows) => Uint8Array.from({ length: rows }, (_, i) => (at(x!, i) === null ? 0 : 1)),
    };
  },
});

const stripNull = (t: DataType): DataType => (t.kind === 'nullable' ? t.inner : t.kind === 'nothing' ? t : t);

define('coalesce', {
  defaultNulls: false,
  resolve(args, scope) {
    if (args.length === 0) unsupported('coalesce needs arguments');
    // Arguments after the first non-Nullable one are never reached.
    const firstSure = args.findIndex((a) => !isNullable(a.type));
    const used = firstSure >= 0 ? args.slice(0, firstSure + 1) : args;
    const inner = supertype(
      used.map((a) => stripNull(a.type)).filter((t) => t.kind !== 'nothing'),
      'coalesce',
    );
    const type = firstSure >= 0 ? inner : nullable(inner);
    return {
      type,
      exec(cols, rows) {
        const gs = cols
          .slice(0, used.length)
          .map((c) => get(c.type.kind === 'nothing' ? c : castColumn(c, nullable(inner), rows, scope.serverTz)));
        const out = new Array(rows);
        for (let i = 0; i < rows; i++) {
          let v: unknown = null;
          for (const g of gs) {
            v = g(i);
            if (v !== null) break;
          }
          out[i] = v;
        }
        return out;
      },
    };
  },
});

define('ifNull', {
  defaultNulls: false,
  resolve(args, scope) {
    expectArgs('ifNull', args, 2);
    const [a, b] = args as [Arg, Arg];
    if (!isNullable(a.type)) return { type: a.type, exec: ([x]) => x! };
    const type = supertype(
      [stripNull(a.type), b.type].filter((t) => t.kind !== 'nothing'),
      'ifNull',
    );
    return {
      type,
      exec([x, y], rows) {
        const conv =
          base(a.type).kind === 'nothing'
            ? () => null
            : converter(a.type.kind === 'nullable' ? a.type.inner : a.type, type, scope.serverTz, 'cast');
        const gb = get(castColumn(y!, type, rows, scope.serverTz));
        const ga = get(x!);
        const out = new Array(rows);
        for (let i = 0; i < rows; i++) {
          const v = ga(i);
          if (v === null) out[i] = gb(i);
          else {
            const c = conv(v);
            if (c === FAIL) throw new UnsupportedExpressionError(`ifNull: cannot convert to ${typeName(type)}`);
            out[i] = c;
          }
        }
        return out;
      },
    };
  },
});

define('assumeNotNull', {
  defaultNulls: false,
  resolve(args) {
    expectArgs('assumeNotNull', args, 1);
    const t = stripNull(args[0]!.type);
    return {
      type: t,
      exec([x], rows) {
        const g = get(x!);
        const zero = t.kind === 'nothing' ? null : undefined;
        return Array.from({ length: rows }, (_, i) => g(i) ?? zero ?? unsupported('assumeNotNull of NULL'));
      },
    };
  },
});

define('toNullable', {
  defaultNulls: false,
  resolve(args) {
    expectArgs('toNullable', args, 1);
    return { type: nullable(args[0]!.type), exec: ([x]) => ({ ...x!, type: nullable(args[0]!.type) }) };
  },
});

// ---- arrays, tuples, maps ----------------------------------------------------------------------------------------

define('array', {
  defaultNulls: false,
  resolve(args, scope) {
    const element =
      args.length === 0
        ? T.Nothing
        : supertype(
            args.map((a) => a.type),
            'array',
          );
    return {
      type: arrayOf(element),
      exec(cols, rows) {
        const gs = cols.map((c) => get(element.kind === 'nothing' ? c : castColumn(c, element, rows, scope.serverTz)));
        const out = new Array(rows);
        for (let i = 0; i < rows; i++) out[i] = gs.map((g) => g(i));
        return out;
      },
    };
  },
});

define('tuple', {
  defaultNulls: false,
  resolve(args) {
    return {
      type: { kind: 'tuple', elements: args.map((a) => a.type), names: undefined },
      exec(cols, rows) {
        const gs = cols.map(get);
        const out = new Array(rows);
        for (let i = 0; i < rows; i++) out[i] = gs.map((g) => g(i));
        return out;
      },
    };
  },
});

define('map', {
  defaultNulls: false,
  resolve(args, scope) {
    if (args.length % 2 !== 0) unsupported('map takes an even number of arguments');
    const keys = args.filter((_, i) => i % 2 === 0);
    const vals = args.filter((_, i) => i % 2 === 1);
    const key = keys.length
      ? supertype(
          keys.map((a) => a.type),
          'map',
        )
      : T.Nothing;
    const value = vals.length
      ? supertype(
          vals.map((a) => a.type),
          'map',
        )
      : T.Nothing;
    return {
      type: { kind: 'map', key, value },
      exec(cols, rows) {
        const gs = cols.map((c, i) => {
          const t = i % 2 === 0 ? key : value;
          return get(t.kind === 'nothing' ? c : castColumn(c, t, rows, scope.serverTz));
        });
        const out = new Array(rows);
        for (let i = 0; i < rows; i++) {
          const pairs: Array<[unknown, unknown]> = [];
          for (let k = 0; k < gs.length; k += 2) pairs.push([gs[k]!(i), gs[k + 1]!(i)]);
          out[i] = pairs;
        }
        return out;
      },
    };
  },
});

define('tupleElement', {
  resolve(args) {
    expectArgs('tupleElement', args, 2, 3);
    const t = base(args[0]!.type);
    if (t.kind !== 'tuple') unsupported(`tupleElement of ${typeName(args[0]!.type)}`);
    const key = args[1]!.constant?.value;
    let index: number;
    if (typeof key === 'number' || typeof key === 'bigint') index = Number(key) - 1;
    else if (typeof key === 'string' && t.names) index = t.names.indexOf(key);
    else return unsupported('tupleElement needs a constant index or name');
    if (index < 0 || index >= t.elements.length)
      unsupported(`tupleElement: no element ${String(key)} in ${typeName(t)}`);
    return {
      type: t.elements[index]!,
      exec([x], rows) {
        const g = get(x!);
        const out = new Array(rows);
        for (let i = 0; i < rows; i++) out[i] = (g(i) as unknown[])[index];
        return out;
      },
    };
  },
});

/**
 * arr[i]: 1-based, negative from the end, out of range gives the element type's default (NULL for Nullable
 * elements). map[k]: the value of the first matching key, else the default.
 */
define('arrayElement', {
  resolve(args, scope) {
    expectArgs('arrayElement', args, 2);
    const t = base(args[0]!.type);
    if (t.kind === 'array') {
      numericArg('arrayElement', args[1]!);
      const element = t.element;
      const zero = zeroValue(element);
      return {
        type: element,
        exec([a, idx], rows) {
          const ga = get(a!);
          const gi = get(idx!);
          const out = new Array(rows);
          for (let i = 0; i < rows; i++) {
            const arr = ga(i) as unknown[];
            const k = Number(gi(i));
            const j = k > 0 ? k - 1 : arr.length + k;
            out[i] = k !== 0 && j >= 0 && j < arr.length ? arr[j] : zero;
          }
          return out;
        },
      };
    }
    if (t.kind === 'map') {
      const zero = zeroValue(t.value);
      const keyType = t.key;
      return {
        // 26.7 gives the value type without LowCardinality.
        type: stripLowCardinality(t.value),
        exec([m, key], rows) {
          const k = castColumn(key!, keyType, rows, scope.serverTz);
          const gm = get(m!);
          const gk = get(k);
          const out = new Array(rows);
          for (let i = 0; i < rows; i++) {
            const want = gk(i);
            const pair = (gm(i) as Array<[unknown, unknown]>).find(([x]) => equalValues(x, want, keyType));
            out[i] = pair ? pair[1] : zero;
          }
          return out;
        },
      };
    }
    return unsupported(`arrayElement of ${typeName(args[0]!.type)}`);
  },
});

import { zeroOf } from '../column.js';
const zeroValue = (t: DataType): unknown => zeroOf(t);
