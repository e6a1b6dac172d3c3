/**
 * Compiles a parsed expression into a tree of column operations, with the server's typing: literals get the
 * smallest type that holds them, identifiers the column's type, functions the type their rules give.
 */
import { UnsupportedExpressionError } from '../errors.js';
import { formatExpr, type Expr, type LiteralValue } from './ast.js';
import { constant, full, type Column, zeroOf } from './column.js';
import {
  lookup,
  type Arg,
  type CompiledLambda,
  type CompiledNode,
  type CompileScope,
  type EvalContext,
  type ServerVersion,
} from './registry.js';
import {
  base,
  integerLiteralType,
  isNullable,
  nullable,
  stripLowCardinality,
  T,
  typeName,
  type DataType,
} from './types.js';

export interface CompileOptions {
  serverTz: string;
  serverVersion?: ServerVersion;
}

export function literalNode(v: LiteralValue): CompiledNode {
  switch (v.kind) {
    case 'integer': {
      const type = integerLiteralType(v.value);
      const value = type.kind === 'int' && type.bits >= 64 ? v.value : Number(v.value);
      return constNode(type, value);
    }
    case 'float':
      return constNode(T.Float64, v.value);
    case 'string':
      return constNode(T.String, v.value);
    case 'null':
      return constNode(T.Nothing, null);
    case 'bool':
      return constNode(T.Bool, v.value ? 1 : 0);
  }
}

export function constNode(type: DataType, value: unknown): CompiledNode {
  const col = constant(type, value);
  return { type, constant: { value }, eval: () => col };
}

/** Lambda parameters in scope: name → type. */
type Bindings = Map<string, DataType>;

export class Compiler {
  constructor(
    private readonly columnTypes: Map<string, DataType>,
    private readonly options: CompileOptions,
    /** Input columns the expression reads (filled while compiling). */
    readonly dependencies = new Set<string>(),
  ) {}

  compile(e: Expr, bindings: Bindings = new Map()): CompiledNode {
    switch (e.kind) {
      case 'literal':
        return literalNode(e.value);
      case 'identifier':
        return this.identifier(e.name, bindings);
      case 'lambda':
        throw new UnsupportedExpressionError(
          `A lambda is only allowed as an argument of a higher-order function: ${formatExpr(e)}`,
        );
      case 'function':
        return this.func(e.name, e.args, bindings);
    }
  }

  private identifier(name: string, bindings: Bindings): CompiledNode {
    const bound = bindings.get(name);
    if (bound) return { type: bound, eval: (ctx) => ctx.column(name) };
    const type = this.columnTypes.get(name);
    if (type) {
      this.dependencies.add(name);
      return { type, eval: (ctx) => ctx.column(name) };
    }
    // `t.x`: element x of tuple column t, when no column is named "t.x".
    const dot = name.lastIndexOf('.');
    if (dot > 0) {
      return this.func(
        'tupleElement',
        [
          { kind: 'identifier', name: name.slice(0, dot) },
          { kind: 'literal', value: { kind: 'string', value: name.slice(dot + 1) } },
        ],
        bindings,
      );
    }
    throw new UnsupportedExpressionError(`Unknown identifier ${name}`);
  }

  private func(name: string, argExprs: Expr[], bindings: Bindings): CompiledNode {
    const spec = lookup(name);
    if (!spec) throw new UnsupportedExpressionError(`Function ${name} is not supported by the client-side evaluator`);
    if (!VERIFIED.has(name.toLowerCase()) && !allowUnverified) {
      // Implemented but not yet checked against a server by the differential tests: the server computes it.
      throw new UnsupportedExpressionError(
        `Function ${name} is not yet verified against the server; it is left to the server`,
      );
    }
    const args: Arg[] = argExprs.map((expr) => {
      if (expr.kind === 'lambda') {
        if (!spec.higherOrder) throw new UnsupportedExpressionError(`${name} does not take a lambda`);
        return { expr, type: T.Nothing };
      }
      const node = this.compile(expr, bindings);
      return { expr, node, type: node.type, constant: node.constant };
    });
    const scope: CompileScope = {
      serverTz: this.options.serverTz,
      serverVersion: this.options.serverVersion,
      compileLambda: (expr, paramTypes) => this.lambda(expr, paramTypes, bindings),
    };
    const nodes = args.map((a) => a.node);

    const defaultNulls = spec.defaultNulls !== false && !spec.higherOrder;
    const nullableArgs = defaultNulls ? args.map((a) => a.node !== undefined && isNullable(a.type)) : [];
    const anyNothing = defaultNulls && args.some((a) => a.node !== undefined && base(a.type).kind === 'nothing');
    if (anyNothing) {
      // A NULL literal argument: the result is NULL for every row (Nullable(Nothing)).
      return constNode(T.Nothing, null);
    }
    const stripped = args.map((a) =>
      defaultNulls && a.node
        ? { ...a, type: stripNullable(a.type), constant: a.constant?.value === null ? undefined : a.constant }
        : a,
    );
    const resolved = spec.resolve(stripped, scope, name);
    const anyNullable = nullableArgs.some(Boolean);
    let type = resolved.type;
    if (anyNullable) {
      const b = stripLowCardinality(type);
      if (b.kind === 'array' || b.kind === 'map' || b.kind === 'tuple') {
        throw new UnsupportedExpressionError(
          `${name}: Nullable arguments would give Nullable(${typeName(b)}), which does not exist`,
        );
      }
      type = nullable(type);
    }
    const innerType = resolved.type;
    const exec = (ctx: EvalContext): Column => {
      const cols = nodes.map((n) => (n ? n.eval(ctx) : constant(T.Nothing, null)));
      const allConstant = !spec.nondeterministic && cols.every((c) => c.constant);
      const rows = allConstant ? 1 : ctx.rows;
      let mask: Uint8Array | undefined;
      let inputs = cols;
      if (anyNullable) {
        mask = new Uint8Array(rows);
        let any = false;
        inputs = cols.map((c, i) => {
          if (!nullableArgs[i]) return c;
          const zero = zeroOf(stripNullable(c.type));
          if (c.constant) {
            if (c.values[0] === null) {
              mask!.fill(1);
              any = true;
              return { type: stripNullable(c.type), values: [zero], constant: true };
            }
            return { type: stripNullable(c.type), values: c.values, constant: true };
          }
          const vals = new Array(rows);
          for (let r = 0; r < rows; r++) {
            const v = c.values[r];
            if (v === null) {
              mask![r] = 1;
              any = true;
              vals[r] = zero;
            } else vals[r] = v;
          }
          return full(stripNullable(c.type), vals);
        });
        if (!any) mask = undefined;
      }
      const out = resolved.exec(inputs, rows, ctx);
      let col: Column = isColumn(out) ? out : { type: innerType, values: out, constant: false };
      if (allConstant && !col.constant) col = { type: col.type, values: [col.values[0]], constant: true };
      if (anyNullable) {
        if (mask) {
          const src = col.constant ? new Array(rows).fill(col.values[0]) : Array.from(col.values);
          for (let r = 0; r < rows; r++) if (mask[r]) src[r] = null;
          col = { type, values: allConstant ? [src[0]] : src, constant: allConstant };
        } else col = { ...col, type };
      }
      return col;
    };
    const node: CompiledNode = { type, eval: exec };
    if (!spec.nondeterministic && args.every((a) => a.node?.constant)) {
      // Fold now: functions that need constant arguments (patterns, paths, types) can then see computed ones.
      const folded = exec(FOLD_CONTEXT(this.options.serverTz));
      return constNode(type, folded.values[0]);
    }
    return node;
  }

  private lambda(expr: Expr, paramTypes: DataType[], outer: Bindings): CompiledLambda {
    if (expr.kind !== 'lambda') throw new UnsupportedExpressionError(`Expected a lambda, got ${formatExpr(expr)}`);
    if (expr.params.length !== paramTypes.length) {
      throw new UnsupportedExpressionError(
        `Lambda ${formatExpr(expr)} takes ${expr.params.length} parameters, the function gives ${paramTypes.length}`,
      );
    }
    const bindings = new Map(outer);
    expr.params.forEach((p, i) => bindings.set(p, paramTypes[i]!));
    const body = this.compile(expr.body, bindings);
    const params = expr.params;
    return {
      type: body.type,
      params,
      eval(ctx, paramCols, rows, outerRowOf) {
        const replicated = new Map<string, Column>();
        const inner: EvalContext = {
          rows,
          nowMs: ctx.nowMs,
          serverTz: ctx.serverTz,
          column(name) {
            const i = params.indexOf(name);
            if (i >= 0) return paramCols[i]!;
            let col = replicated.get(name);
            if (!col) {
              const src = ctx.column(name);
              if (src.constant || !outerRowOf) col = src;
              else {
                const vals = new Array(rows);
                for (let j = 0; j < rows; j++) vals[j] = src.values[outerRowOf[j]!];
                col = full(src.type, vals);
              }
              replicated.set(name, col);
            }
            return col;
          },
        };
        return body.eval(inner);
      },
    };
  }
}

/**
 * Functions the differential tests (test/expressions/tier1.test.ts, test/defaults/defaults.test.ts) check against
 * 18.16 and/or 26.7. The registry holds more (most of tier 2); they join this list with their tests.
 */
const VERIFIED = new Set(
  [
    'plus',
    'minus',
    'multiply',
    'divide',
    'intDiv',
    'modulo',
    'negate',
    'equals',
    'notEquals',
    'less',
    'greater',
    'lessOrEquals',
    'greaterOrEquals',
    'and',
    'or',
    'not',
    'if',
    'ifNull',
    'CAST',
    '_CAST',
    'toString',
    'toDate',
    'toDateTime',
    'toUInt32',
    'toInt32',
    'toFloat32',
    'toFloat64OrNull',
    'parseDateTimeBestEffortOrNull',
    'now',
    'now64',
    'today',
    'generateUUIDv4',
    'generateUUIDv7',
    'length',
    'lower',
    'upper',
    'concat',
    'empty',
    'notEmpty',
    'cityHash64',
    'hex',
    'unhex',
    'replaceRegexpAll',
    'replaceRegexpOne',
    'lowerUTF8',
    'upperUTF8',
    'position',
    'startsWith',
    'endsWith',
    'substring',
    'like',
    'notLike',
    'match',
    'extract',
    'extractAll',
    'splitByChar',
    'array',
    'tuple',
    'map',
    'arrayElement',
    'tupleElement',
    'arrayMap',
    'arrayDistinct',
    'arrayConcat',
    'mapContains',
    'mapFilter',
    'mapSort',
    'JSONExtractRaw',
    'domain',
    // Tier 2 (test/expressions/tier2.test.ts).
    'multiIf',
    'coalesce',
    'isNull',
    'isNotNull',
    'in',
    'notIn',
    'xor',
    'toNullable',
    'assumeNotNull',
    'abs',
    'toUInt8',
    'toUInt16',
    'toUInt64',
    'toInt8',
    'toInt16',
    'toInt64',
    'toFloat64',
    'toUInt64OrZero',
    'toFloat32OrZero',
    'toFloat64OrZero',
    'toUInt64OrNull',
    'toFloat32OrNull',
    // Integer OrZero/OrNull over String (tier2.test.ts, "integer OrZero/OrNull"): refused where 18.16 and 26.7 differ.
    'toUInt8OrZero',
    'toUInt16OrZero',
    'toUInt32OrZero',
    'toInt8OrZero',
    'toInt16OrZero',
    'toInt32OrZero',
    'toInt64OrZero',
    'toUInt8OrNull',
    'toUInt16OrNull',
    'toUInt32OrNull',
    'toInt8OrNull',
    'toInt16OrNull',
    'toInt32OrNull',
    'toInt64OrNull',
    'replaceOne',
    'replaceAll',
    'ltrim',
    'rtrim',
    'trimBoth',
    'trimLeft',
    'trimRight',
    'base64Encode',
    'base64Decode',
    'tryBase64Decode',
    'arraySum',
    'arraySort',
    'arrayFilter',
    'arrayExists',
    'arrayAll',
    'arrayCount',
    'has',
    'indexOf',
    'mapKeys',
    'mapValues',
    'mapApply',
    'path',
    'protocol',
    'extractURLParameter',
    'cutQueryString',
    'JSONExtractBool',
    'JSONHas',
    'JSONLength',
    'JSONExtractArrayRaw',
    'JSONExtract',
    'JSONExtractString',
    'JSONExtractInt',
    'JSONExtractUInt',
    'JSONExtractFloat',
    'JSONExtractKeysAndValues',
    'IPv4StringToNum',
    'IPv4NumToString',
    'toIPv4',
    'toIPv6',
    'toDecimal32',
    'toDecimal64',
    'toDecimal128',
    'toDecimal32OrZero',
    'toDecimal64OrZero',
    'toDecimal128OrZero',
    'toDecimal32OrNull',
    'toDecimal64OrNull',
    'toDecimal128OrNull',
    'toStartOfMinute',
    'toStartOfHour',
    'toStartOfDay',
    'toStartOfWeek',
    'toStartOfMonth',
    'toYYYYMM',
    'toYYYYMMDD',
    'toUnixTimestamp',
    'toUnixTimestamp64Milli',
    'fromUnixTimestamp64Milli',
    'greatest',
    'least',
    'round',
    'floor',
    'sipHash64',
    // Hashes over several arguments and types (tier2.test.ts, "hash functions"): 18.16 and 26.7, or 26.7 alone.
    'xxHash64',
    'murmurHash3_64',
    'murmurHash3_128',
    'sipHash128',
    'farmFingerprint64',
    // Coverage of real schemas (test/expressions/coverage.test.ts, and the corpus: corpus.test.ts).
    'lengthUTF8',
    'positionCaseInsensitive',
    'toFixedString',
    'toUUID',
    'arrayResize',
    'toUInt8OrDefault',
    'toUInt16OrDefault',
    'toUInt32OrDefault',
    'toUInt64OrDefault',
    'toInt8OrDefault',
    'toInt16OrDefault',
    'toInt32OrDefault',
    'toInt64OrDefault',
    'pathFull',
    'toUnixTimestamp64Nano',
    'toUnixTimestamp64Micro',
    'toUnixTimestamp64Second',
    'toDateTime64',
    'nullIf',
    'left',
    'right',
  ].map((n) => n.toLowerCase()),
);

let allowUnverified = false;

/**
 * For the differential tests only: compiles with every implemented function, verified or not, so that a function
 * can be checked against the server before it joins VERIFIED.
 */
export function compileUnverified<T>(fn: () => T): T {
  allowUnverified = true;
  try {
    return fn();
  } finally {
    allowUnverified = false;
  }
}

/** Whether the client evaluates this function (it is implemented and verified). */
export function isVerified(name: string): boolean {
  return VERIFIED.has(name.toLowerCase());
}

function stripNullable(t: DataType): DataType {
  if (t.kind === 'nullable') return t.inner;
  if (t.kind === 'lowCardinality') return stripNullable(t.inner);
  return t;
}

function isColumn(v: unknown): v is Column {
  return typeof v === 'object' && v !== null && 'constant' in v && 'type' in v && 'values' in v;
}

const FOLD_CONTEXT = (serverTz: string): EvalContext => ({
  rows: 1,
  nowMs: 0,
  serverTz,
  column(name) {
    throw new UnsupportedExpressionError(`No column ${name} while folding constants`);
  },
});
