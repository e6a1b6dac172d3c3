/**
 * Array and Map functions, the higher-order ones evaluating their lambda once over all elements of the block
 * (the server's way: the arrays are flattened, outer columns replicated per element).
 */
import { UnsupportedExpressionError } from '../../errors.js';
import { full, zeroOf, type Column } from '../column.js';
import { define, expectArgs, unsupported, type Arg, type CompileScope, type EvalContext } from '../registry.js';
import { additionResult, arrayOf, base, stripLowCardinality, supertype, T, typeName, type DataType } from '../types.js';
import { castColumn, compareValues, equalValues, get } from './helpers.js';

function arrayType(name: string, a: Arg | undefined): DataType {
  const t = a && base(a.type);
  if (!t || t.kind !== 'array')
    return unsupported(`${name}: expected an Array, got ${a ? typeName(a.type) : 'nothing'}`);
  return t.element;
}
function mapType(name: string, a: Arg | undefined): Extract<DataType, { kind: 'map' }> {
  const t = a && base(a.type);
  if (!t || t.kind !== 'map') return unsupported(`${name}: expected a Map, got ${a ? typeName(a.type) : 'nothing'}`);
  return t;
}

/** Flattens the arrays of a column: all elements, and each element's row. */
function flatten(col: Column, rows: number): { elements: unknown[]; rowOf: Int32Array; lengths: number[] } {
  const g = get(col);
  const elements: unknown[] = [];
  const lengths: number[] = new Array(rows);
  for (let i = 0; i < rows; i++) {
    const arr = g(i) as unknown[];
    lengths[i] = arr.length;
    for (const x of arr) elements.push(x);
  }
  const rowOf = new Int32Array(elements.length);
  let k = 0;
  for (let i = 0; i < rows; i++) for (let j = 0; j < lengths[i]!; j++) rowOf[k++] = i;
  return { elements, rowOf, lengths };
}

function unflatten(values: ArrayLike<unknown>, lengths: number[]): unknown[][] {
  const out: unknown[][] = new Array(lengths.length);
  let k = 0;
  for (let i = 0; i < lengths.length; i++) {
    const arr = new Array(lengths[i]!);
    for (let j = 0; j < lengths[i]!; j++) arr[j] = values[k++];
    out[i] = arr;
  }
  return out;
}

/** Evaluates a lambda over the elements of one or more same-length array arguments. */
function lambdaOver(scope: CompileScope, args: Arg[], name: string) {
  if (args[0]?.expr.kind !== 'lambda') unsupported(`${name}: the first argument must be a lambda`);
  const arrays = args.slice(1);
  const elementTypes = arrays.map((a) => arrayType(name, a));
  const lambda = scope.compileLambda(args[0]!.expr, elementTypes);
  return {
    lambda,
    elementTypes,
    run(cols: Column[], rows: number, ctx: EvalContext) {
      const flats = cols.slice(1).map((c) => flatten(c, rows));
      for (const f of flats.slice(1)) {
        if (f.lengths.some((l, i) => l !== flats[0]!.lengths[i]))
          throw new UnsupportedExpressionError(`${name}: arrays of different sizes`);
      }
      const n = flats[0]!.elements.length;
      const params = flats.map((f, i) => full(elementTypes[i]!, f.elements));
      const result = lambda.eval(ctx, params, n, flats[0]!.rowOf);
      const values = result.constant ? new Array(n).fill(result.values[0]) : result.values;
      return { values, lengths: flats[0]!.lengths, flats };
    },
  };
}

const truthy = (v: unknown): boolean => !(v === 0 || v === 0n || v === null);

define('arrayMap', {
  higherOrder: true,
  resolve(args, scope) {
    if (args.length < 2) unsupported('arrayMap needs a lambda and an array');
    const plan = lambdaOver(scope, args, 'arrayMap');
    return {
      type: arrayOf(plan.lambda.type),
      exec(cols, rows, ctx) {
        const { values, lengths } = plan.run(cols, rows, ctx);
        return unflatten(values, lengths);
      },
    };
  },
});

function filtering(
  name: string,
  finish: (kept: unknown[][], hits: boolean[][]) => unknown[],
  type: (el: DataType) => DataType,
): void {
  define(name, {
    higherOrder: true,
    resolve(args, scope) {
      if (args.length < 2) unsupported(`${name} needs a lambda and an array`);
      const plan = lambdaOver(scope, args, name);
      return {
        type: type(plan.elementTypes[0]!),
        exec(cols, rows, ctx) {
          const { values, lengths, flats } = plan.run(cols, rows, ctx);
          const hits = unflatten(values, lengths).map((a) => a.map(truthy));
          const src = unflatten(flats[0]!.elements, lengths);
          return finish(src, hits);
        },
      };
    },
  });
}
filtering('arrayFilter', (src, hits) => src.map((a, i) => a.filter((_, j) => hits[i]![j])), arrayOf);
filtering(
  'arrayExists',
  (_src, hits) => hits.map((h) => (h.some(Boolean) ? 1 : 0)),
  () => T.UInt8,
);
filtering(
  'arrayAll',
  (_src, hits) => hits.map((h) => (h.every(Boolean) ? 1 : 0)),
  () => T.UInt8,
);
filtering(
  'arrayCount',
  (_src, hits) => hits.map((h) => h.filter(Boolean).length),
  () => T.UInt32,
);

define('arrayDistinct', {
  resolve(args) {
    expectArgs('arrayDistinct', args, 1);
    const el = arrayType('arrayDistinct', args[0]);
    const b = base(el);
    if (b.kind === 'array' || b.kind === 'map' || b.kind === 'tuple')
      unsupported(`arrayDistinct of ${typeName(args[0]!.type)}`);
    // NULLs are dropped; the first occurrence of each value is kept in order.
    return {
      type: arrayOf(el),
      exec: ([x], rows) =>
        Array.from({ length: rows }, (_, i) => {
          const out: unknown[] = [];
          for (const v of get(x!)(i) as unknown[]) {
            if (v === null) continue;
            if (!out.some((o) => equalValues(o, v, b))) out.push(v);
          }
          return out;
        }),
    };
  },
});

define('arrayConcat', {
  resolve(args, scope) {
    if (args.length < 1) unsupported('arrayConcat needs arrays');
    args.forEach((a) => arrayType('arrayConcat', a));
    const type = supertype(
      args.map((a) => a.type),
      'arrayConcat',
    );
    return {
      type,
      exec(cols, rows) {
        const gs = cols.map((c) => get(castColumn(c, type, rows, scope.serverTz)));
        return Array.from({ length: rows }, (_, i) => gs.flatMap((g) => g(i) as unknown[]));
      },
    };
  },
});

define('arraySort', {
  higherOrder: true,
  resolve(args) {
    expectArgs('arraySort', args, 1);
    if (!args[0]!.node) unsupported('arraySort with a lambda is not supported');
    const el = arrayType('arraySort', args[0]);
    return {
      type: arrayOf(el),
      exec: ([x], rows) =>
        Array.from({ length: rows }, (_, i) => [...(get(x!)(i) as unknown[])].sort((a, b) => compareValues(a, b, el))),
    };
  },
});

define('arraySum', {
  resolve(args) {
    expectArgs('arraySum', args, 1);
    const el = base(arrayType('arraySum', args[0]));
    if (el.kind === 'decimal' && el.precision <= 38) {
      // Decimal elements sum into Decimal(38, S) (26.7); a sum beyond 38 digits throws there: refused here.
      const type: DataType = { kind: 'decimal', precision: 38, scale: el.scale };
      const limit = 10n ** 38n;
      return {
        type,
        exec: ([x], rows) => {
          const gx = get(x!);
          const out = new Array<bigint>(rows);
          for (let i = 0; i < rows; i++) {
            let sum = 0n;
            for (const v of gx(i) as bigint[]) sum += v;
            if (sum >= limit || sum <= -limit)
              throw new UnsupportedExpressionError('arraySum: the Decimal sum overflows Decimal128');
            out[i] = sum;
          }
          return out;
        },
      };
    }
    if (el.kind !== 'int' && el.kind !== 'float') unsupported(`arraySum of ${typeName(args[0]!.type)}`);
    // The sum's type: Float64 for floats, 64-bit of the element's signedness for integers.
    const type = el.kind === 'float' ? T.Float64 : el.signed ? T.Int64 : T.UInt64;
    return {
      type,
      exec: ([x], rows) =>
        Array.from({ length: rows }, (_, i) => {
          const arr = get(x!)(i) as Array<number | bigint>;
          if (type.kind === 'float') return arr.reduce<number>((s, v) => s + Number(v), 0);
          let s = 0n;
          for (const v of arr) s += BigInt(v);
          return el.kind === 'int' && el.signed ? BigInt.asIntN(64, s) : BigInt.asUintN(64, s);
        }),
    };
  },
});

/**
 * arrayResize(arr, size): the first `size` elements, padded with the element type's default; a negative size keeps
 * the last -size elements and pads at the front. (The three-argument form, with its own padding value, is not
 * modelled.)
 */
define('arrayResize', {
  resolve(args) {
    expectArgs('arrayResize', args, 2);
    const el = arrayType('arrayResize', args[0]);
    const sizeType = base(args[1]!.type);
    if (sizeType.kind !== 'int' || sizeType.bits > 64)
      unsupported(`arrayResize with a size of type ${typeName(args[1]!.type)}`);
    const zero = zeroOf(el);
    return {
      type: arrayOf(el),
      exec: ([a, size], rows) => {
        const ga = get(a!);
        const gs = get(size!);
        const out = new Array(rows);
        for (let i = 0; i < rows; i++) {
          const arr = ga(i) as unknown[];
          const n = BigInt(gs(i) as number | bigint);
          if (n > 1_000_000n || n < -1_000_000n)
            throw new UnsupportedExpressionError('arrayResize to more than a million elements is left to the server');
          const k = Math.abs(Number(n));
          const kept = n >= 0n ? arr.slice(0, k) : arr.slice(Math.max(0, arr.length - k));
          const pad = new Array(k - kept.length).fill(zero);
          out[i] = n >= 0n ? [...kept, ...pad] : [...pad, ...kept];
        }
        return out;
      },
    };
  },
});

function elementLookup(
  name: string,
  result: (arr: unknown[], v: unknown, t: DataType) => unknown,
  type: DataType,
): void {
  define(name, {
    defaultNulls: false,
    resolve(args, scope) {
      expectArgs(name, args, 2);
      const el = arrayType(name, args[0]);
      if (args[0]!.type.kind === 'nullable') unsupported(`${name} of a Nullable array`);
      const common = supertype([el, args[1]!.type], name);
      return {
        type,
        exec([a, v], rows) {
          const ga = get(a!);
          const gv = get(castColumn(v!, common, rows, scope.serverTz));
          const conv = (arr: unknown[]) =>
            sameEl
              ? arr
              : (castColumn(full(arrayOf(el), [arr]), arrayOf(common), 1, scope.serverTz).values[0] as unknown[]);
          const sameEl = typeName(el) === typeName(common);
          return Array.from({ length: rows }, (_, i) => result(conv(ga(i) as unknown[]), gv(i), common));
        },
      };
    },
  });
}
elementLookup('has', (arr, v, t) => (arr.some((x) => equalValues(x, v, t)) ? 1 : 0), T.UInt8);
elementLookup('indexOf', (arr, v, t) => BigInt(arr.findIndex((x) => equalValues(x, v, t)) + 1), T.UInt64);

for (const [name, negate] of [
  ['in', false],
  ['notIn', true],
] as const) {
  define(name, {
    resolve(args, scope) {
      expectArgs(name, args, 2);
      const set = args[1]!;
      if (!set.constant) unsupported(`${name}: the set must be constant`);
      const st = base(set.type);
      const members = st.kind === 'tuple' ? (set.constant.value as unknown[]) : [set.constant.value];
      const memberTypes = st.kind === 'tuple' ? st.elements : [set.type];
      const left = args[0]!.type;
      return {
        type: T.UInt8,
        exec([x], rows) {
          const common = supertype([left, ...memberTypes], name);
          const conv = castColumn(x!, common, rows, scope.serverTz);
          const ms = members.map(
            (m, i) =>
              castColumn({ type: memberTypes[i]!, values: [m], constant: true }, common, 1, scope.serverTz).values[0],
          );
          const g = get(conv);
          return Uint8Array.from({ length: rows }, (_, i) =>
            ms.some((m) => m !== null && equalValues(g(i), m, common)) !== negate ? 1 : 0,
          );
        },
      };
    },
  });
}

// ---- maps ---------------------------------------------------------------------------------------------------

define('mapContains', {
  resolve(args, scope) {
    expectArgs('mapContains', args, 2);
    const m = mapType('mapContains', args[0]);
    return {
      type: T.UInt8,
      exec([x, k], rows) {
        const gk = get(castColumn(k!, m.key, rows, scope.serverTz));
        const gm = get(x!);
        return Uint8Array.from({ length: rows }, (_, i) =>
          (gm(i) as Array<[unknown, unknown]>).some(([key]) => equalValues(key, gk(i), m.key)) ? 1 : 0,
        );
      },
    };
  },
});
define('mapKeys', {
  resolve(args) {
    expectArgs('mapKeys', args, 1);
    const m = mapType('mapKeys', args[0]);
    return {
      type: arrayOf(stripLowCardinality(m.key)),
      exec: ([x], rows) =>
        Array.from({ length: rows }, (_, i) => (get(x!)(i) as Array<[unknown, unknown]>).map((p) => p[0])),
    };
  },
});
define('mapValues', {
  resolve(args) {
    expectArgs('mapValues', args, 1);
    const m = mapType('mapValues', args[0]);
    return {
      type: arrayOf(stripLowCardinality(m.value)),
      exec: ([x], rows) =>
        Array.from({ length: rows }, (_, i) => (get(x!)(i) as Array<[unknown, unknown]>).map((p) => p[1])),
    };
  },
});

/** mapFilter / mapApply / mapSort: a lambda (k, v) over every pair, evaluated on the flattened pairs. */
function mapLambda(name: string, kind: 'filter' | 'apply' | 'sort'): void {
  define(name, {
    higherOrder: true,
    resolve(args, scope) {
      if (kind === 'sort' && args.length === 1) {
        const m = mapType(name, args[0]);
        return {
          type: m,
          exec: ([x], rows) =>
            Array.from({ length: rows }, (_, i) =>
              [...(get(x!)(i) as Array<[unknown, unknown]>)].sort((a, b) => compareValues(a[0], b[0], m.key)),
            ),
        };
      }
      expectArgs(name, args, 2);
      if (args[0]!.expr.kind !== 'lambda') unsupported(`${name}: the first argument must be a lambda`);
      const m = mapType(name, args[1]);
      // A one-parameter lambda gets each entry as a Tuple(K, V) (x -> x.1 = 'a'), as 26.7 does.
      const asTuple = args[0]!.expr.params.length === 1;
      const pairType: DataType = { kind: 'tuple', elements: [m.key, m.value], names: undefined };
      const lambda = scope.compileLambda(args[0]!.expr, asTuple ? [pairType] : [m.key, m.value]);
      let type: DataType = m;
      if (kind === 'apply') {
        const t = base(lambda.type);
        if (t.kind !== 'tuple' || t.elements.length !== 2) unsupported('mapApply: the lambda must return a pair');
        type = { kind: 'map', key: t.elements[0]!, value: t.elements[1]! };
      }
      return {
        type,
        exec(cols, rows, ctx) {
          const gm = get(cols[1]!);
          const keys: unknown[] = [];
          const vals: unknown[] = [];
          const lengths: number[] = [];
          for (let i = 0; i < rows; i++) {
            const pairs = gm(i) as Array<[unknown, unknown]>;
            lengths.push(pairs.length);
            for (const [k, v] of pairs) {
              keys.push(k);
              vals.push(v);
            }
          }
          const rowOf = new Int32Array(keys.length);
          let k = 0;
          lengths.forEach((l, i) => {
            for (let j = 0; j < l; j++) rowOf[k++] = i;
          });
          const params = asTuple
            ? [
                full(
                  pairType,
                  keys.map((key, j) => [key, vals[j]]),
                ),
              ]
            : [full(m.key, keys), full(m.value, vals)];
          const res = lambda.eval(ctx, params, keys.length, rowOf);
          const at = (j: number) => (res.constant ? res.values[0] : res.values[j]);
          const out: unknown[] = new Array(rows);
          let p = 0;
          for (let i = 0; i < rows; i++) {
            const pairs: Array<[unknown, unknown]> = [];
            const sortKeys: unknown[] = [];
            for (let j = 0; j < lengths[i]!; j++, p++) {
              if (kind === 'filter') {
                if (truthy(at(p))) pairs.push([keys[p], vals[p]]);
              } else if (kind === 'apply') {
                const t = at(p) as unknown[];
                pairs.push([t[0], t[1]]);
              } else {
                pairs.push([keys[p], vals[p]]);
                sortKeys.push(at(p));
              }
            }
            if (kind === 'sort') {
              const idx = pairs
                .map((_, j) => j)
                .sort((a, b) => compareValues(sortKeys[a], sortKeys[b], lambda.type) || a - b);
              out[i] = idx.map((j) => pairs[j]);
            } else out[i] = pairs;
          }
          return out;
        },
      };
    },
  });
}
mapLambda('mapFilter', 'filter');
mapLambda('mapApply', 'apply');
mapLambda('mapSort', 'sort');

void additionResult;
