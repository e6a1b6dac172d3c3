/**
 * IntervalNanosecond … IntervalYear (docs/protocol.md §6.2): Int64 count of the unit per row; the unit is only in the
 * type name.
 *
 * Read: a BigInt64Array (lossless), as Int64. Write: what Int64 accepts (bigint, safe integer, decimal string).
 */
import { expectNoArgs, type CodecFactory } from './factory.js';
import { BigIntCodec } from './numbers.js';

export const intervalFamily: CodecFactory = (node, type) => {
  expectNoArgs(node, type);
  return new BigIntCodec(type, 'Int64');
};
