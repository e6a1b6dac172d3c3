/**
 * The evaluator's data types: ClickHouse type names parsed into a small tree with the facts the functions need
 * (width, signedness, time zone, scale), plus the server's type rules for literals, supertypes and arithmetic.
 */
import { UnsupportedExpressionError } from '../errors.js';
import { parseType, quoteString, type TypeNode } from '../columns/type-parser.js';

export type IntName =
  | 'UInt8'
  | 'UInt16'
  | 'UInt32'
  | 'UInt64'
  | 'UInt128'
  | 'UInt256'
  | 'Int8'
  | 'Int16'
  | 'Int32'
  | 'Int64'
  | 'Int128'
  | 'Int256';

export type DataType =
  | { kind: 'int'; name: IntName; bits: number; signed: boolean }
  | { kind: 'float'; name: 'Float32' | 'Float64'; bits: 32 | 64 }
  | { kind: 'bool' }
  | { kind: 'decimal'; precision: number; scale: number }
  | { kind: 'string' }
  | { kind: 'fixedString'; n: number }
  | { kind: 'date' }
  | { kind: 'date32' }
  | { kind: 'dateTime'; tz: string | undefined }
  | { kind: 'dateTime64'; scale: number; tz: string | undefined }
  | { kind: 'uuid' }
  | { kind: 'ipv4' }
  | { kind: 'ipv6' }
  | { kind: 'enum'; bits: 8 | 16; entries: Array<{ name: string; value: number }> }
  | { kind: 'nullable'; inner: DataType }
  | { kind: 'lowCardinality'; inner: DataType }
  | { kind: 'array'; element: DataType }
  | { kind: 'tuple'; elements: DataType[]; names: string[] | undefined }
  | { kind: 'map'; key: DataType; value: DataType }
  | { kind: 'nothing' }
  | { kind: 'interval'; unit: IntervalUnit };

export type IntervalUnit =
  | 'Nanosecond'
  | 'Microsecond'
  | 'Millisecond'
  | 'Second'
  | 'Minute'
  | 'Hour'
  | 'Day'
  | 'Week'
  | 'Month'
  | 'Quarter'
  | 'Year';

export const int = (name: IntName): DataType => {
  const signed = name.startsWith('Int');
  return { kind: 'int', name, bits: Number(name.slice(signed ? 3 : 4)), signed };
};
export const T = {
  UInt8: int('UInt8'),
  UInt16: int('UInt16'),
  UInt32: int('UInt32'),
  UInt64: int('UInt64'),
  Int8: int('Int8'),
  Int16: int('Int16'),
  Int32: int('Int32'),
  Int64: int('Int64'),
  Float32: { kind: 'float', name: 'Float32', bits: 32 } as DataType,
  Float64: { kind: 'float', name: 'Float64', bits: 64 } as DataType,
  String: { kind: 'string' } as DataType,
  Date: { kind: 'date' } as DataType,
  DateTime: { kind: 'dateTime', tz: undefined } as DataType,
  UUID: { kind: 'uuid' } as DataType,
  Nothing: { kind: 'nothing' } as DataType,
  Bool: { kind: 'bool' } as DataType,
};

export const nullable = (t: DataType): DataType =>
  t.kind === 'nullable'
    ? t
    : t.kind === 'lowCardinality'
      ? { kind: 'lowCardinality', inner: nullable(t.inner) }
      : { kind: 'nullable', inner: t };
export const arrayOf = (element: DataType): DataType => ({ kind: 'array', element });

/** The type without Nullable and LowCardinality wrappers. */
export function base(t: DataType): DataType {
  while (t.kind === 'nullable' || t.kind === 'lowCardinality') t = t.inner;
  return t;
}
export const isNullable = (t: DataType): boolean =>
  t.kind === 'nullable' || (t.kind === 'lowCardinality' && isNullable(t.inner)) || t.kind === 'nothing';
export const stripLowCardinality = (t: DataType): DataType => (t.kind === 'lowCardinality' ? t.inner : t);
/** The type with every LowCardinality wrapper removed, at any depth (the evaluator's values are the same). */
export function withoutLowCardinality(t: DataType): DataType {
  switch (t.kind) {
    case 'lowCardinality':
      return withoutLowCardinality(t.inner);
    case 'nullable':
      return { kind: 'nullable', inner: withoutLowCardinality(t.inner) };
    case 'array':
      return { kind: 'array', element: withoutLowCardinality(t.element) };
    case 'map':
      return { kind: 'map', key: withoutLowCardinality(t.key), value: withoutLowCardinality(t.value) };
    case 'tuple':
      return { ...t, elements: t.elements.map(withoutLowCardinality) };
    default:
      return t;
  }
}

export function typeFromNode(node: TypeNode, text: string): DataType {
  const fail = (why: string): never => {
    throw new UnsupportedExpressionError(`Type ${text}: ${why}`);
  };
  const typeArg = (i: number): DataType => {
    const a = node.args[i];
    if (a?.kind === 'type') return typeFromNode(a.type, text);
    if (a?.kind === 'named') return typeFromNode(a.type, text);
    return fail(`expected a type argument in ${node.name}`);
  };
  const numArg = (i: number, dflt?: number): number => {
    const a = node.args[i];
    if (a === undefined && dflt !== undefined) return dflt;
    if (a?.kind !== 'number') return fail(`expected a number argument in ${node.name}`);
    return a.value;
  };
  const strArg = (i: number): string | undefined => {
    const a = node.args[i];
    if (a === undefined) return undefined;
    if (a.kind !== 'string') return fail(`expected a string argument in ${node.name}`);
    return a.value;
  };
  const n = node.name;
  switch (n) {
    case 'UInt8':
    case 'UInt16':
    case 'UInt32':
    case 'UInt64':
    case 'UInt128':
    case 'UInt256':
    case 'Int8':
    case 'Int16':
    case 'Int32':
    case 'Int64':
    case 'Int128':
    case 'Int256':
      return int(n);
    case 'Float32':
    case 'Float64':
      return n === 'Float32' ? T.Float32 : T.Float64;
    case 'Bool':
    case 'Boolean':
    case 'BOOL':
    case 'BOOLEAN':
    case 'bool':
    case 'boolean':
      return T.Bool;
    case 'String':
      return T.String;
    case 'FixedString':
      return { kind: 'fixedString', n: numArg(0) };
    case 'Date':
      return T.Date;
    case 'Date32':
      return { kind: 'date32' };
    case 'DateTime':
      return { kind: 'dateTime', tz: strArg(0) };
    case 'DateTime64':
      return { kind: 'dateTime64', scale: numArg(0, 3), tz: strArg(1) };
    case 'UUID':
      return T.UUID;
    case 'IPv4':
      return { kind: 'ipv4' };
    case 'IPv6':
      return { kind: 'ipv6' };
    case 'Decimal':
      return { kind: 'decimal', precision: numArg(0, 10), scale: numArg(1, 0) };
    case 'Decimal32':
      return { kind: 'decimal', precision: 9, scale: numArg(0) };
    case 'Decimal64':
      return { kind: 'decimal', precision: 18, scale: numArg(0) };
    case 'Decimal128':
      return { kind: 'decimal', precision: 38, scale: numArg(0) };
    case 'Enum8':
    case 'Enum16': {
      const entries = node.args.map((a) =>
        a.kind === 'enum' ? { name: a.name, value: a.value } : fail('expected enum entries'),
      );
      return { kind: 'enum', bits: n === 'Enum8' ? 8 : 16, entries };
    }
    case 'Nullable':
      return { kind: 'nullable', inner: typeArg(0) };
    case 'LowCardinality':
      return { kind: 'lowCardinality', inner: typeArg(0) };
    case 'Array':
      return { kind: 'array', element: typeArg(0) };
    case 'Tuple': {
      const named = node.args.length > 0 && node.args.every((a) => a.kind === 'named');
      return {
        kind: 'tuple',
        elements: node.args.map((_, i) => typeArg(i)),
        names: named ? node.args.map((a) => (a as { name: string }).name) : undefined,
      };
    }
    case 'Map':
      return { kind: 'map', key: typeArg(0), value: typeArg(1) };
    case 'Nothing':
      return T.Nothing;
    default:
      if (n.startsWith('Interval')) return { kind: 'interval', unit: n.slice(8) as IntervalUnit };
      return fail(`the expression evaluator does not model ${n}`);
  }
}

const parsedTypes = new Map<string, DataType>();
/** Parses a type name (cached). Types the evaluator does not model throw UnsupportedExpressionError. */
export function typeOf(text: string): DataType {
  let t = parsedTypes.get(text);
  if (!t) {
    let node: TypeNode;
    try {
      node = parseType(text);
    } catch (error) {
      throw new UnsupportedExpressionError(`Unsupported type ${text}: ${(error as Error).message}`, { cause: error });
    }
    t = typeFromNode(node, text);
    parsedTypes.set(text, t);
  }
  return t;
}

/** The type name as the server prints it. */
export function typeName(t: DataType): string {
  switch (t.kind) {
    case 'int':
      return t.name;
    case 'float':
      return t.name;
    case 'bool':
      return 'Bool';
    case 'decimal':
      return `Decimal(${t.precision}, ${t.scale})`;
    case 'string':
      return 'String';
    case 'fixedString':
      return `FixedString(${t.n})`;
    case 'date':
      return 'Date';
    case 'date32':
      return 'Date32';
    case 'dateTime':
      return t.tz === undefined ? 'DateTime' : `DateTime(${quoteString(t.tz)})`;
    case 'dateTime64':
      return t.tz === undefined ? `DateTime64(${t.scale})` : `DateTime64(${t.scale}, ${quoteString(t.tz)})`;
    case 'uuid':
      return 'UUID';
    case 'ipv4':
      return 'IPv4';
    case 'ipv6':
      return 'IPv6';
    case 'enum':
      return `Enum${t.bits}(${t.entries.map((e) => `${quoteString(e.name)} = ${e.value}`).join(', ')})`;
    case 'nullable':
      return `Nullable(${typeName(t.inner)})`;
    case 'lowCardinality':
      return `LowCardinality(${typeName(t.inner)})`;
    case 'array':
      return `Array(${typeName(t.element)})`;
    case 'tuple':
      return `Tuple(${t.elements.map((e, i) => (t.names ? `${t.names[i]} ${typeName(e)}` : typeName(e))).join(', ')})`;
    case 'map':
      return `Map(${typeName(t.key)}, ${typeName(t.value)})`;
    case 'nothing':
      return 'Nothing';
    case 'interval':
      return `Interval${t.unit}`;
  }
}

export function sameType(a: DataType, b: DataType): boolean {
  return typeName(a) === typeName(b);
}

function intOf(signed: boolean, bits: number): DataType {
  const b = Math.max(8, bits);
  return int(`${signed ? 'Int' : 'UInt'}${b}` as IntName);
}

/** Doubles an integer width, capped at 64 bits (NumberTraits::nextSize). */
const nextSize = (bits: number): number => Math.min(bits * 2, 64);

type NumericType = Extract<DataType, { kind: 'int' | 'float' }>;
/** Bool behaves as UInt8 in arithmetic. */
function numeric(t: DataType, fn: string): NumericType {
  const b = base(t);
  if (b.kind === 'bool') return T.UInt8 as NumericType;
  if (b.kind === 'int' || b.kind === 'float') return b;
  if (b.kind === 'date') return T.UInt16 as NumericType;
  if (b.kind === 'dateTime') return T.UInt32 as NumericType;
  if (b.kind === 'enum') return (b.bits === 8 ? T.Int8 : T.Int16) as NumericType;
  throw new UnsupportedExpressionError(`${fn} of ${typeName(t)} is not supported`);
}

/** NumberTraits::ResultOfAdditionMultiplication. */
export function additionResult(a: DataType, b: DataType, fn: string): DataType {
  const x = numeric(a, fn);
  const y = numeric(b, fn);
  if (x.kind === 'float' || y.kind === 'float') return T.Float64;
  if (x.bits > 64 || y.bits > 64)
    throw new UnsupportedExpressionError(`${fn} on 128/256-bit integers is not supported`);
  return intOf(x.signed || y.signed, nextSize(Math.max(x.bits, y.bits)));
}

/** NumberTraits::ResultOfSubtraction: always signed. */
export function subtractionResult(a: DataType, b: DataType, fn: string): DataType {
  const x = numeric(a, fn);
  const y = numeric(b, fn);
  if (x.kind === 'float' || y.kind === 'float') return T.Float64;
  if (x.bits > 64 || y.bits > 64)
    throw new UnsupportedExpressionError(`${fn} on 128/256-bit integers is not supported`);
  return intOf(true, nextSize(Math.max(x.bits, y.bits)));
}

/** NumberTraits::ResultOfIntegerDivision: the width of the dividend, signed if either is. */
export function intDivResult(a: DataType, b: DataType, fn: string): DataType {
  const x = numeric(a, fn);
  const y = numeric(b, fn);
  if (x.kind === 'float' || y.kind === 'float') {
    // intDiv with a float operand: the result is the integer type of the other operand rules; the server uses
    // Int64 for Float64 dividends (ResultOfIntegerDivision on Float64 → Int64).
    return T.Int64;
  }
  return intOf(x.signed || y.signed, x.bits);
}

/** NumberTraits::ResultOfModulo: the divisor's width, signed if the dividend is. */
export function moduloResult(a: DataType, b: DataType, fn: string): DataType {
  const x = numeric(a, fn);
  const y = numeric(b, fn);
  if (x.kind === 'float' || y.kind === 'float') return T.Float64;
  // 18.16 computes an unsigned dividend modulo a signed divisor in the divisor's width (128 % -7 gives -128):
  // newer servers do not. Refuse the mix.
  if (!x.signed && y.signed)
    throw new UnsupportedExpressionError(`${fn} of an unsigned by a signed integer is not supported`);
  // The result type differs between versions (18.16: the divisor's width; newer: wider); the value does not.
  return intOf(x.signed || y.signed, x.signed && !y.signed ? nextSize(y.bits) : y.bits);
}

/** NumberTraits::ResultOfNegate. */
export function negateResult(a: DataType): DataType {
  const x = numeric(a, 'negate');
  if (x.kind === 'float') return x;
  return intOf(true, x.signed ? x.bits : nextSize(x.bits));
}

/**
 * getLeastSupertype, for the types the evaluator models. Throws UnsupportedExpressionError where the server has no
 * common type (or where it differs between server versions: UInt64 with a signed type).
 */
export function supertype(types: DataType[], fn: string): DataType {
  const fail = (): never => {
    throw new UnsupportedExpressionError(`${fn}: no common type for ${types.map(typeName).join(', ')}`);
  };
  if (types.length === 0) return T.Nothing;
  let hasNullable = false;
  const bases: DataType[] = [];
  const lowCardinality = types.every((t) => t.kind === 'lowCardinality');
  for (const t of types) {
    if (isNullable(t)) hasNullable = true;
    const b = base(t);
    if (b.kind !== 'nothing') bases.push(b);
  }
  let result: DataType;
  if (bases.length === 0) result = T.Nothing;
  else if (bases.every((b) => sameType(b, bases[0]!))) result = bases[0]!;
  else if (bases.every((b) => b.kind === 'string' || b.kind === 'fixedString')) result = T.String;
  else if (bases.every((b) => b.kind === 'date' || b.kind === 'dateTime')) {
    const dt = bases.filter((b) => b.kind === 'dateTime') as Array<{ kind: 'dateTime'; tz: string | undefined }>;
    if (new Set(dt.map((d) => d.tz)).size > 1) fail();
    result = dt[0]!;
  } else if (bases.every((b) => b.kind === 'int' || b.kind === 'float' || b.kind === 'bool')) {
    const nums = bases.map((b) => (b.kind === 'bool' ? (T.UInt8 as NumericType) : (b as NumericType)));
    const floats = nums.filter((b) => b.kind === 'float');
    const ints = nums.filter((b) => b.kind === 'int') as Array<Extract<DataType, { kind: 'int' }>>;
    const maxUnsigned = Math.max(0, ...ints.filter((b) => !b.signed).map((b) => b.bits));
    const maxSigned = Math.max(0, ...ints.filter((b) => b.signed).map((b) => b.bits));
    if (floats.length > 0) {
      const maxFloat = Math.max(...floats.map((f) => f.bits));
      const maxInt = Math.max(maxUnsigned, maxSigned);
      if (maxInt >= 64) fail();
      // Float32 holds 16-bit integers exactly, Float64 holds 32-bit ones.
      result = maxFloat === 32 && maxInt <= 16 ? T.Float32 : T.Float64;
    } else if (maxSigned === 0) result = intOf(false, maxUnsigned);
    else if (maxUnsigned === 0) result = intOf(true, maxSigned);
    else {
      // A signed type must hold the widest unsigned one: UInt8 with Int8 → Int16. UInt64 with a signed type
      // has no common type on 18.16 and is a Variant/Int128 on newer servers: not modelled.
      const bits = Math.max(maxSigned, maxUnsigned * 2);
      if (bits > 64) fail();
      result = intOf(true, bits);
    }
  } else if (bases.every((b) => b.kind === 'array')) {
    result = arrayOf(
      supertype(
        bases.map((b) => (b as { element: DataType }).element),
        fn,
      ),
    );
  } else if (bases.every((b) => b.kind === 'tuple')) {
    const tuples = bases as Array<Extract<DataType, { kind: 'tuple' }>>;
    const n = tuples[0]!.elements.length;
    if (!tuples.every((t) => t.elements.length === n)) fail();
    result = {
      kind: 'tuple',
      elements: tuples[0]!.elements.map((_, i) =>
        supertype(
          tuples.map((t) => t.elements[i]!),
          fn,
        ),
      ),
      names: undefined,
    };
  } else if (bases.every((b) => b.kind === 'map')) {
    const maps = bases as Array<Extract<DataType, { kind: 'map' }>>;
    result = {
      kind: 'map',
      key: supertype(
        maps.map((m) => m.key),
        fn,
      ),
      value: supertype(
        maps.map((m) => m.value),
        fn,
      ),
    };
  } else return fail();
  if (hasNullable) {
    // Nullable(Array(...)) does not exist: [[1], NULL] has no common type on the server either.
    if (result.kind === 'array' || result.kind === 'map' || result.kind === 'tuple') fail();
    result = nullable(result);
  }
  if (lowCardinality && result.kind !== 'nothing') result = { kind: 'lowCardinality', inner: result };
  return result;
}

/** The type of a numeric literal: the smallest that holds it (FieldToDataType). */
export function integerLiteralType(value: bigint): DataType {
  if (value >= 0n) {
    if (value <= 0xffn) return T.UInt8;
    if (value <= 0xffffn) return T.UInt16;
    if (value <= 0xffffffffn) return T.UInt32;
    return T.UInt64;
  }
  if (value >= -0x80n) return T.Int8;
  if (value >= -0x8000n) return T.Int16;
  if (value >= -0x80000000n) return T.Int32;
  return T.Int64;
}
