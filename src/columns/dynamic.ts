/** Dynamic: see the report; not implemented yet. */
import { badType, type CodecFactory } from './factory.js';

export const dynamicFamily: CodecFactory = (_node, type) => {
  throw badType(type, 'Dynamic is not supported yet');
};
