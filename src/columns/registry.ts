/**
 * Type name → codec. One line per type family; composite families get their children's codecs through the
 * same cache. Codecs are stateless, so one instance per type name serves every block and connection.
 */
import { UnsupportedError } from '../errors.js';
import { aggregateFunctionFamily, simpleAggregateFunctionFamily } from './aggregate-function.js';
import { arrayFamily } from './array.js';
import { bfloat16Family } from './bfloat16.js';
import { boolFamily } from './bool.js';
import type { ColumnCodec } from './codec.js';
import { date32Family } from './date32.js';
import { dateFamily, dateTimeFamily } from './dates.js';
import { dateTime64Family } from './datetime64.js';
import { decimalFamily } from './decimal.js';
import { dynamicFamily } from './dynamic.js';
import { enumFamily } from './enum.js';
import type { CodecFactory, ObjectSerialization } from './factory.js';
import { fixedStringFamily } from './fixed-string.js';
import { geoArrayFamily, pointFamily } from './geo.js';
import { intervalFamily } from './interval.js';
import { ipv4Family, ipv6Family } from './ip.js';
import { jsonFamily } from './json.js';
import { lowCardinalityFamily } from './low-cardinality.js';
import { mapFamily } from './map.js';
import { nestedFamily } from './nested.js';
import { nothingFamily } from './nothing.js';
import { nullableFamily } from './nullable.js';
import { bigIntFamily, numberFamily } from './numbers.js';
import { stringFamily } from './string.js';
import { time64Family, timeFamily } from './time.js';
import { tupleFamily } from './tuple.js';
import { formatType, parseType, type TypeNode } from './type-parser.js';
import { uuidFamily } from './uuid.js';
import { variantFamily } from './variant.js';
import { wideIntegerFamily } from './wide-integers.js';
import { LITTLE_ENDIAN } from './values.js';

const families = new Map<string, CodecFactory>([
  ['UInt8', numberFamily('UInt8')],
  ['UInt16', numberFamily('UInt16')],
  ['UInt32', numberFamily('UInt32')],
  ['UInt64', bigIntFamily('UInt64')],
  ['Int8', numberFamily('Int8')],
  ['Int16', numberFamily('Int16')],
  ['Int32', numberFamily('Int32')],
  ['Int64', bigIntFamily('Int64')],
  ['Float32', numberFamily('Float32')],
  ['Float64', numberFamily('Float64')],
  ['String', stringFamily],
  ['FixedString', fixedStringFamily],
  ['Date', dateFamily],
  ['DateTime', dateTimeFamily],
  ['UUID', uuidFamily],
  ['Enum8', enumFamily(8)],
  ['Enum16', enumFamily(16)],
  ['Nothing', nothingFamily],
  ['Nullable', nullableFamily],
  ['Array', arrayFamily],
  ['Bool', boolFamily],
  ['UInt128', wideIntegerFamily('UInt128')],
  ['UInt256', wideIntegerFamily('UInt256')],
  ['Int128', wideIntegerFamily('Int128')],
  ['Int256', wideIntegerFamily('Int256')],
  ['BFloat16', bfloat16Family],
  ['Decimal', decimalFamily],
  ['Decimal32', decimalFamily],
  ['Decimal64', decimalFamily],
  ['Decimal128', decimalFamily],
  ['Decimal256', decimalFamily],
  ['Date32', date32Family],
  ['DateTime64', dateTime64Family],
  ['Time', timeFamily],
  ['Time64', time64Family],
  ['IPv4', ipv4Family],
  ['IPv6', ipv6Family],
  ['Tuple', tupleFamily],
  ['Map', mapFamily],
  ['Nested', nestedFamily],
  ['LowCardinality', lowCardinalityFamily],
  ['Point', pointFamily],
  ['Ring', geoArrayFamily],
  ['LineString', geoArrayFamily],
  ['MultiLineString', geoArrayFamily],
  ['Polygon', geoArrayFamily],
  ['MultiPolygon', geoArrayFamily],
  ['SimpleAggregateFunction', simpleAggregateFunctionFamily],
  ['AggregateFunction', aggregateFunctionFamily],
  ['Variant', variantFamily],
  ['Dynamic', dynamicFamily],
  ['JSON', jsonFamily],
  ['IntervalNanosecond', intervalFamily],
  ['IntervalMicrosecond', intervalFamily],
  ['IntervalMillisecond', intervalFamily],
  ['IntervalSecond', intervalFamily],
  ['IntervalMinute', intervalFamily],
  ['IntervalHour', intervalFamily],
  ['IntervalDay', intervalFamily],
  ['IntervalWeek', intervalFamily],
  ['IntervalMonth', intervalFamily],
  ['IntervalQuarter', intervalFamily],
  ['IntervalYear', intervalFamily],
]);

const codecs = new Map<string, ColumnCodec>();
/** The codecs that write Dynamic and JSON in serialization V2, for types that hold them. */
const v2Codecs = new Map<string, ColumnCodec>();
/** How deep getCodec is in building nested types: only the outermost call names the whole type in errors. */
let depth = 0;

/**
 * The codec of a type name, e.g. `Array(Nullable(String))`. Unknown or malformed names throw UnsupportedError.
 * `serialization` picks what Dynamic and JSON write (see ObjectSerialization); every codec reads both.
 */
export function getCodec(type: string, serialization: ObjectSerialization = 'v1'): ColumnCodec {
  // Only types that can hold a Dynamic or a JSON differ between the two.
  const v2 = serialization === 'v2' && (type.includes('Dynamic') || type.includes('JSON'));
  const cache = v2 ? v2Codecs : codecs;
  let codec = cache.get(type);
  if (codec) return codec;
  depth++;
  try {
    codec = build(parseType(type), type, v2 ? 'v2' : 'v1');
  } catch (error) {
    if (depth === 1 && error instanceof UnsupportedError && !error.message.includes(type)) {
      throw new UnsupportedError(`${error.message} (in ${type})`, { cause: error });
    }
    throw error;
  } finally {
    depth--;
  }
  cache.set(type, codec);
  return codec;
}

/** Adds (or replaces) a type family, for families that live outside this folder or tests. */
export function registerFamily(name: string, factory: CodecFactory): void {
  families.set(name, factory);
  codecs.clear();
  v2Codecs.clear();
}

function build(node: TypeNode, type: string, serialization: ObjectSerialization): ColumnCodec {
  if (!LITTLE_ENDIAN) throw new UnsupportedError('Big-endian hosts are not supported: column data is little endian');
  const factory = families.get(node.name);
  if (!factory) throw new UnsupportedError(`Unsupported type ${type}: no codec for ${node.name}`);
  return factory(node, type, (child) => getCodec(formatType(child), serialization), serialization);
}
