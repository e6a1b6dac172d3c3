/**
 * Geo types (docs/protocol.md §6.12): aliases with the bytes of their base types; the type name on the wire is the
 * alias.
 *   Point           = Tuple(Float64, Float64)   read/write: [x, y]
 *   Ring, LineString = Array(Point)            read/write: [[x, y], ...]
 *   Polygon         = Array(Ring)
 *   MultiLineString = Array(LineString)
 *   MultiPolygon    = Array(Polygon)
 * Points are written from any two-element array ([x, y], or a Float64Array of two).
 */
import { ArrayCodec } from './array.js';
import { expectNoArgs, type CodecFactory } from './factory.js';
import { tupleOf } from './tuple.js';

const BASE: Record<string, string> = {
  Ring: 'Point',
  LineString: 'Point',
  Polygon: 'Ring',
  MultiLineString: 'LineString',
  MultiPolygon: 'Polygon',
};

export const pointFamily: CodecFactory = (node, type, resolve) => {
  expectNoArgs(node, type);
  const float = resolve({ name: 'Float64', args: [] });
  return tupleOf(type, [float, float], undefined);
};

/** Ring, LineString, Polygon, MultiLineString, MultiPolygon: an Array of the next simpler geo type. */
export const geoArrayFamily: CodecFactory = (node, type, resolve) => {
  expectNoArgs(node, type);
  return new ArrayCodec(type, resolve({ name: BASE[node.name]!, args: [] }));
};
