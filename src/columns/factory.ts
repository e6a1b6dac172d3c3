/**
 * How a type family builds its codec from a parsed type name, and the argument checks families share.
 */
import { UnsupportedError } from '../errors.js';
import type { ColumnCodec } from './codec.js';
import type { TypeArg, TypeNode } from './type-parser.js';

/** Returns the codec of a nested type (cached by the registry). */
export type ResolveCodec = (node: TypeNode) => ColumnCodec;

/**
 * Which serialization of Dynamic and JSON a codec writes: V1, what FORMAT Native and revisions below 54473 have, or
 * V2, what a connection of 54473 or later has (no "legacy max" counts in the prefixes). Reading takes either, by the
 * version the prefix states.
 */
export type ObjectSerialization = 'v1' | 'v2';

/**
 * Builds the codec of one type family. `type` is the full type name (the codec's `type`), `node` its parse tree,
 * `resolve` gives the codecs of nested types (of the same serialization), `serialization` what Dynamic and JSON
 * write.
 */
export type CodecFactory = (
  node: TypeNode,
  type: string,
  resolve: ResolveCodec,
  serialization: ObjectSerialization,
) => ColumnCodec;

export function badType(type: string, why: string): UnsupportedError {
  return new UnsupportedError(`Unsupported type ${type}: ${why}`);
}

/** The family takes no arguments. */
export function expectNoArgs(node: TypeNode, type: string): void {
  if (node.args.length > 0 || node.emptyParens) throw badType(type, `${node.name} takes no arguments`);
}

/** The family takes exactly one nested type, e.g. `Nullable(T)`. */
export function expectOneType(node: TypeNode, type: string): TypeNode {
  const arg = node.args[0];
  if (node.args.length !== 1 || arg?.kind !== 'type') throw badType(type, `${node.name} takes one type argument`);
  return arg.type;
}

/** The argument at `index` is an integer in [min, max]. */
export function integerArg(node: TypeNode, type: string, index: number, min: number, max: number): number {
  const arg: TypeArg | undefined = node.args[index];
  if (arg?.kind !== 'number' || !Number.isInteger(arg.value) || arg.value < min || arg.value > max) {
    throw badType(type, `argument ${index + 1} of ${node.name} must be an integer from ${min} to ${max}`);
  }
  return arg.value;
}
