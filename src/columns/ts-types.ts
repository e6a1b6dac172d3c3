/**
 * The type mapping of README "Type mapping", at the type level: `ClickHouseTypeToTS<'Nullable(UInt64)'>` is
 * `bigint | null`. Rows use it (`RowOf`), and `blocks()` columns use `ColumnValuesOf` (a TypedArray for fixed-width
 * numbers). Families whose JS shape depends on more than the type name (Tuple, Nested, Variant, Dynamic, JSON,
 * AggregateFunction, Object) map to `unknown`: honest rather than guessed. test/client/typed-rows.test.ts checks
 * every family against the values a real server returns.
 */

type SmallInt = 'UInt8' | 'UInt16' | 'UInt32' | 'Int8' | 'Int16' | 'Int32';
type Float = 'Float32' | 'Float64' | 'BFloat16';
type WideInt = 'UInt64' | 'Int64' | 'UInt128' | 'Int128' | 'UInt256' | 'Int256';
type Interval =
  `Interval${'Nanosecond' | 'Microsecond' | 'Millisecond' | 'Second' | 'Minute' | 'Hour' | 'Day' | 'Week' | 'Month' | 'Quarter' | 'Year'}`;
type TextLike =
  'String' | 'UUID' | 'IPv4' | 'IPv6' | 'Time' | `Time64(${string})` | `Enum8(${string})` | `Enum16(${string})`;
type DecimalType = `Decimal(${string})` | `Decimal${32 | 64 | 128 | 256}(${string})`;
type DateLike = 'Date' | 'Date32' | 'DateTime' | `DateTime(${string})`;
/** DateTime64(p) with p <= 3 reads as a Date, p > 3 as an ISO string (lossless). */
type DateTime64Type<P extends string> = P extends '0' | '1' | '2' | '3' ? Date : string;
type Point = [number, number];

/** The TypedArray `blocks()` gives for a fixed-width numeric type, `never` for other types. */
export type TypedArrayOf<T extends string> = T extends 'UInt8' | 'Bool'
  ? Uint8Array
  : T extends 'UInt16'
    ? Uint16Array
    : T extends 'UInt32'
      ? Uint32Array
      : T extends 'Int8'
        ? Int8Array
        : T extends 'Int16'
          ? Int16Array
          : T extends 'Int32'
            ? Int32Array
            : T extends 'Float32' | 'BFloat16'
              ? Float32Array
              : T extends 'Float64'
                ? Float64Array
                : T extends 'UInt64'
                  ? BigUint64Array
                  : T extends 'Int64' | Interval
                    ? BigInt64Array
                    : never;

/** The JS value a query returns (and an insert accepts) for one value of ClickHouse type `T`. */
export type ClickHouseTypeToTS<T extends string> = T extends `Nullable(${infer Inner})`
  ? ClickHouseTypeToTS<Inner> | null
  : T extends `LowCardinality(${infer Inner})`
    ? ClickHouseTypeToTS<Inner>
    : T extends `SimpleAggregateFunction(${string}, ${infer Inner})`
      ? ClickHouseTypeToTS<Inner>
      : T extends `Array(${infer Element})`
        ? [TypedArrayOf<Element>] extends [never]
          ? Array<ClickHouseTypeToTS<Element>>
          : TypedArrayOf<Element>
        : T extends `Map(${infer K}, ${infer V})`
          ? // Keys repeated in one row (ClickHouse allows it) come back as [key, value] pairs instead.
            Map<ClickHouseTypeToTS<K>, ClickHouseTypeToTS<V>> | Array<[ClickHouseTypeToTS<K>, ClickHouseTypeToTS<V>]>
          : T extends SmallInt | Float
            ? number
            : T extends WideInt | Interval
              ? bigint
              : T extends 'Bool'
                ? boolean
                : T extends TextLike | DecimalType
                  ? string
                  : T extends `FixedString(${string})`
                    ? Buffer
                    : T extends DateLike
                      ? Date
                      : T extends `DateTime64(${infer P}, ${string})`
                        ? DateTime64Type<P>
                        : T extends `DateTime64(${infer P})`
                          ? DateTime64Type<P>
                          : T extends 'Nothing'
                            ? null
                            : T extends 'Point'
                              ? Point
                              : T extends 'Ring' | 'LineString'
                                ? Point[]
                                : T extends 'Polygon' | 'MultiLineString'
                                  ? Point[][]
                                  : T extends 'MultiPolygon'
                                    ? Point[][][]
                                    : unknown;

/** What `blocks()` gives as one column's `values` for ClickHouse type `T`: a TypedArray or an array of values. */
export type ColumnValuesOf<T extends string> = [TypedArrayOf<T>] extends [never]
  ? Array<ClickHouseTypeToTS<T>>
  : TypedArrayOf<T>;
