/**
 * The function table of the evaluator. A function resolves its argument types (and, where it needs them, constant
 * argument values) to a result type and a vectorized body over whole columns. NULL handling is the server's
 * default unless the function opts out: a NULL in any argument gives NULL, the body runs on the type's default
 * value in those rows (IFunction::useDefaultImplementationForNulls).
 */
import { UnsupportedExpressionError } from '../errors.js';
import type { Expr } from './ast.js';
import type { Column } from './column.js';
import type { DataType } from './types.js';

export interface EvalContext {
  rows: number;
  /** A column by name: an input column, a lambda parameter, or a replicated outer column inside a lambda. */
  column(name: string): Column;
  /** The insert's one `now()`, in milliseconds since the epoch. */
  nowMs: number;
  /** Server time zone (from Hello), for zone-less DateTime values. */
  serverTz: string;
}

export interface CompiledNode {
  type: DataType;
  /** Set when the value is known at compile time (literals, and deterministic functions of them). */
  constant?: { value: unknown };
  eval(ctx: EvalContext): Column;
}

export interface Arg {
  expr: Expr;
  /** Absent for lambda arguments, which higher-order functions compile themselves. */
  node?: CompiledNode;
  type: DataType;
  constant?: { value: unknown };
}

/** The server's version, when known: some inputs the versions read differently are computed for a known one. */
export interface ServerVersion {
  major: number;
  minor: number;
}

/** Whether the server is 26.7 or newer: the behaviour the differential tests check as "modern" (chdb 26.7). */
export function modernServer(v: ServerVersion | undefined): boolean {
  return v !== undefined && (v.major > 26 || (v.major === 26 && v.minor >= 7));
}

export interface CompileScope {
  serverTz: string;
  /** The server's version, when the caller knows it (an insert does, from Hello). */
  serverVersion?: ServerVersion;
  /** Compiles a lambda `x -> body` with its parameters bound to the given element types. */
  compileLambda(expr: Expr, paramTypes: DataType[]): CompiledLambda;
}

export interface CompiledLambda {
  type: DataType;
  params: string[];
  /** Evaluates the body over `rows` elements: params are element columns, `outer` maps each element to its row. */
  eval(ctx: EvalContext, params: Column[], rows: number, outerRowOf: Int32Array | undefined): Column;
}

export interface Resolved {
  type: DataType;
  /** Computes the result for `rows` rows from the argument columns (constants may have one value). */
  exec(args: Column[], rows: number, ctx: EvalContext): ArrayLike<unknown> | Column;
}

export interface FunctionSpec {
  /** False when the function handles NULLs itself (if, ifNull, isNull, coalesce, and, or, ...). */
  defaultNulls?: boolean;
  /** True for now(), rand-like functions: never folded to a constant. */
  nondeterministic?: boolean;
  /** True when some arguments are lambdas: resolve gets them uncompiled (Arg.node undefined). */
  higherOrder?: boolean;
  resolve(args: Arg[], scope: CompileScope, name: string): Resolved;
}

const functions = new Map<string, FunctionSpec>();

export function define(names: string | string[], spec: FunctionSpec): void {
  for (const name of Array.isArray(names) ? names : [names]) functions.set(name.toLowerCase(), spec);
}

export function lookup(name: string): FunctionSpec | undefined {
  return functions.get(name.toLowerCase());
}

export function unsupported(message: string): never {
  throw new UnsupportedExpressionError(message);
}

export function expectArgs(name: string, args: Arg[], min: number, max = min): void {
  if (args.length < min || args.length > max) {
    unsupported(`${name} takes ${min === max ? min : `${min} to ${max}`} arguments, got ${args.length}`);
  }
}

/** The argument's value, which must be known at compile time (a pattern, a path, a type name). */
export function constantArg(name: string, args: Arg[], i: number): unknown {
  const c = args[i]?.constant;
  if (!c) unsupported(`${name}: argument ${i + 1} must be a constant`);
  return c.value;
}
