/**
 * Random Dynamic data from ClickHouse: `generateRandom` has no Dynamic (nor Variant) of its own, so it makes a row
 * of random values of 22 types and each Dynamic value is one of them, picked by a random selector (some NULL).
 * The types include those whose JS value alone does not tell them (UInt8, Float32, an integral Float64, Date,
 * UInt64 that fits Int64, Decimal, Enum8, …). Used in process with chdb and live against a 26.7 server.
 */

const RANDOM_COLUMNS = [
  's UInt8',
  't UInt8',
  'u UInt8',
  'c0 UInt8',
  'c1 Int16',
  'c2 UInt64',
  'c3 Date',
  'c4 Date32',
  'c5 DateTime',
  'c6 DateTime64(3)',
  'c7 Float32',
  'c8 Float64',
  'c9 Int64',
  'c10 String',
  'c11 Bool',
  'c12 Array(UInt8)',
  'c13 Array(Int64)',
  'c14 Map(String, UInt16)',
  'c15 Tuple(a Int8, b String)',
  'c16 UUID',
  'c17 IPv4',
  'c18 Decimal(10, 2)',
  "c19 Enum8(\\'x\\' = 1, \\'y\\' = 2)",
  'c20 UInt32',
].join(', ');

/** One of the random values as Dynamic, chosen by `selector` (a UInt8 expression); 1 in 23 is NULL. */
function pick(selector: string): string {
  const arms = ['NULL'];
  for (let c = 0; c <= 19; c++) {
    // Array(Nullable(Int64)) with NULLs made here: generateRandom leaves random bytes under its NULLs, which we (and
    // ClickHouse's own inserts) write as zeros.
    if (c === 13)
      arms.push('CAST(arrayMap(x -> if(x = 0, NULL, x), arrayMap(x -> if(x % 3 = 0, 0, x), c13)) AS Dynamic)');
    // NaN without its random payload bits: a NaN read into a JS number is written back as the one quiet NaN.
    else if (c === 7) arms.push(`CAST(if(isNaN(c7), toFloat32(nan), c7) AS Dynamic)`);
    else if (c === 8) arms.push(`CAST(if(isNaN(c8), nan, c8) AS Dynamic)`);
    else arms.push(`CAST(c${c} AS Dynamic)`);
  }
  arms.push('CAST(toFloat64(c20 % 1000) AS Dynamic)'); // an integral Float64: JS would say Int64
  arms.push('CAST(c20 AS Dynamic)');
  const cases = arms.slice(0, -1).map((arm, i) => `(${selector}) % ${arms.length} = ${i}, ${arm}`);
  return `multiIf(${cases.join(', ')}, ${arms[arms.length - 1]})`;
}

/**
 * `rows` rows of k UInt64 (0, 1, …), d Dynamic, dm Dynamic(max_types=4) (most types in its shared variant),
 * a Array(Dynamic) and m Map(String, Dynamic).
 */
export function DYNAMIC_TYPES_SQL(seed: number, rows: number): string {
  return `SELECT rowNumberInAllBlocks() AS k, ${pick('s')} AS d, CAST(${pick('t')} AS Dynamic(max_types=4)) AS dm,
            [${pick('u')}, ${pick('s + t')}] AS a, map('x', ${pick('t + u')}, 'y', ${pick('s + u')}) AS m
          FROM generateRandom('${RANDOM_COLUMNS}', ${seed}, 10, 3) LIMIT ${rows}`;
}

/** The table columns of DYNAMIC_TYPES_SQL. */
export const DYNAMIC_TYPES_COLUMNS =
  'k UInt64, d Dynamic, dm Dynamic(max_types=4), a Array(Dynamic), m Map(String, Dynamic)';
