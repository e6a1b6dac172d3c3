/**
 * Nested(a T, b U) (docs/protocol.md §6.11), the column type a server sends under `flatten_nested = 0`: the bytes of
 * Array(Tuple(a T, b U)). (With the default `flatten_nested = 1` the server sends separate `n.a Array(T)`,
 * `n.b Array(U)` columns instead, which Array covers.)
 *
 * Read: an array of objects per row, [{ a: 1, b: 'x' }, ...]. Write: the same, or element arrays [[1, 'x'], ...].
 */
import { ArrayCodec } from './array.js';
import { badType, type CodecFactory } from './factory.js';

export const nestedFamily: CodecFactory = (node, type, resolve) => {
  if (node.args.length === 0 || !node.args.every((a) => a.kind === 'named')) {
    throw badType(type, 'Nested takes named elements: Nested(a UInt8, b String)');
  }
  return new ArrayCodec(type, resolve({ name: 'Tuple', args: node.args }));
};
