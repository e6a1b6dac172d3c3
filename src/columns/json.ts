/** JSON: not implemented yet. */
import { badType, type CodecFactory } from './factory.js';

export const jsonFamily: CodecFactory = (_node, type) => {
  throw badType(type, 'JSON is not supported yet');
};
