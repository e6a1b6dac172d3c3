/**
 * Query parameters: ClickHouse's `{name:Type}` placeholders, with values given in `query_params`.
 *
 * From protocol revision 54459 (Feature.PARAMETERS) the values travel in the Query packet, after the SQL, as a
 * settings-like list (String name, VarUInt flags = CUSTOM, String value): the server substitutes them, types and
 * checks them (src/Server/TCPHandler.cpp reads them; ReplaceQueryParameterVisitor parses each value with the
 * declared type's *escaped* text format, the one of HTTP `param_<name>`). The value on the wire is that text
 * written as a quoted SQL string (the dump of a String Field), which the server unquotes first (docs/protocol.md §3.5).
 *
 * Below that revision (ClickHouse 18.16) the client binds them itself: each placeholder outside string literals,
 * quoted identifiers and comments is replaced by a SQL literal of the declared type, `CAST(literal AS Type)` (so the
 * expression has the declared type, as on a modern server), a quoted string for String, a back-quoted identifier
 * for Identifier, and a bare integer after LIMIT/OFFSET/TOP (18.16 accepts only a number there). Every value is
 * validated for its type on the client in both paths, and every string is escaped, so a hostile value can only ever
 * be a value: never SQL.
 *
 * Missing parameters (a placeholder with no value) and extra ones (a value no placeholder uses) are refused before
 * anything is sent.
 */
import { escapeString, parseType, formatType, quoteString, type TypeNode } from '../columns/type-parser.js';
import { parseDecimal } from '../columns/decimal.js';
import { ClickHouseNativeError } from '../errors.js';
import { quoteIdentifier } from '../insert/insert.js';
import { endOfQuoted } from './text-formats.js';

/**
 * Values of query parameters by name. A value is what the declared type takes: numbers, bigints or digit strings
 * for integers, strings, Dates, booleans, null for Nullable, arrays (Array, Tuple), objects (named Tuple, Map) and
 * Maps; see README, "Query parameters".
 */
export type QueryParameterValues = Record<string, unknown>;

/** A query parameter that is missing, unused, or whose value does not fit its declared type. Nothing was sent. */
export class QueryParameterError extends ClickHouseNativeError {
  /** The parameter's name, when the error is about one. */
  readonly parameter: string | undefined;
  constructor(message: string, parameter?: string) {
    super(message);
    this.parameter = parameter;
  }
}

export interface Placeholder {
  /** Offsets of `{` and just after `}` in the SQL. */
  start: number;
  end: number;
  name: string;
  /** The declared type as written. */
  type: string;
  /** Right after LIMIT, OFFSET or TOP (or the count after `LIMIT n,`): where 18.16 wants a bare number. */
  afterLimit: boolean;
}

const IDENT_START = /[A-Za-z_]/;
const IDENT_CHAR = /[A-Za-z0-9_]/;
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isWordStart = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isWordChar = (c: number): boolean => isWordStart(c) || isDigit(c);
const LIMIT_WORDS = new Set(['LIMIT', 'OFFSET', 'TOP']);

/**
 * The `{name:Type}` placeholders of a query, skipping string literals, quoted identifiers and comments (`--`,
 * `/* *\/` nested as ClickHouse's lexer nests them, and `#` or `#!` followed by a space as modern servers read them).
 */
export function findPlaceholders(sql: string): Placeholder[] {
  const found: Placeholder[] = [];
  /** The last significant tokens, upper-cased words and punctuation: enough to see `LIMIT {…}` and `LIMIT n, {…}`. */
  const recent: string[] = [];
  const push = (token: string) => {
    recent.push(token);
    if (recent.length > 3) recent.shift();
  };
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "'" || c === '"' || c === '`') {
      i = skipQuoted(sql, i);
      push(c === "'" ? 'STRING' : 'IDENT');
    } else if (c === '-' && sql[i + 1] === '-') {
      i = skipLine(sql, i);
    } else if (c === '#' && (sql[i + 1] === ' ' || sql[i + 1] === '!')) {
      i = skipLine(sql, i);
    } else if (c === '/' && sql[i + 1] === '*') {
      i = skipBlockComment(sql, i);
    } else if (c === '{') {
      const placeholder = readPlaceholder(sql, i);
      if (placeholder) {
        const [a, b, d] = [recent[recent.length - 1], recent[recent.length - 2], recent[recent.length - 3]];
        placeholder.afterLimit =
          (a !== undefined && LIMIT_WORDS.has(a)) || (a === ',' && (b === 'NUMBER' || b === 'PARAM') && d === 'LIMIT');
        found.push(placeholder);
        i = placeholder.end;
        push('PARAM');
      } else {
        push('{');
        i++;
      }
    } else if (isWordStart(sql.charCodeAt(i))) {
      let j = i + 1;
      while (j < sql.length && isWordChar(sql.charCodeAt(j))) j++;
      push(j - i <= 6 ? sql.slice(i, j).toUpperCase() : 'WORD');
      i = j;
    } else if (isDigit(sql.charCodeAt(i))) {
      let j = i + 1;
      while (j < sql.length && (isWordChar(sql.charCodeAt(j)) || sql.charCodeAt(j) === 46)) j++;
      push('NUMBER');
      i = j;
    } else {
      if (sql.charCodeAt(i) > 32) push(c);
      i++;
    }
  }
  return found;
}

function skipQuoted(sql: string, start: number): number {
  return endOfQuoted(sql, start);
}

function skipLine(sql: string, start: number): number {
  const end = sql.indexOf('\n', start);
  return end < 0 ? sql.length : end + 1;
}

function skipBlockComment(sql: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < sql.length) {
    if (sql[i] === '/' && sql[i + 1] === '*') {
      depth++;
      i += 2;
    } else if (sql[i] === '*' && sql[i + 1] === '/') {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else i++;
  }
  return sql.length;
}

/** `{ name : Type }` at `start`, or undefined when the brace opens something else. */
function readPlaceholder(sql: string, start: number): Placeholder | undefined {
  let i = start + 1;
  const space = () => {
    while (i < sql.length && /\s/.test(sql[i]!)) i++;
  };
  space();
  if (i >= sql.length || !IDENT_START.test(sql[i]!)) return undefined;
  const nameStart = i;
  while (i < sql.length && IDENT_CHAR.test(sql[i]!)) i++;
  const name = sql.slice(nameStart, i);
  space();
  if (sql[i] !== ':') return undefined;
  i++;
  const typeStart = i;
  let depth = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "'" || c === '`' || c === '"') i = skipQuoted(sql, i);
    else if (c === '(') {
      depth++;
      i++;
    } else if (c === ')') {
      depth--;
      i++;
    } else if (c === '}' && depth === 0) {
      const type = sql.slice(typeStart, i).trim();
      if (type === '') return undefined;
      return { start, end: i + 1, name, type, afterLimit: false };
    } else i++;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Values

/** How a value is written: the escaped text of a top-level value, the quoted text inside a composite, or SQL. */
type Form = 'escaped' | 'quoted' | 'sql';

const INTEGER_RANGES: Record<string, [bigint, bigint]> = {
  UInt8: [0n, 255n],
  UInt16: [0n, 65535n],
  UInt32: [0n, 4294967295n],
  UInt64: [0n, 2n ** 64n - 1n],
  UInt128: [0n, 2n ** 128n - 1n],
  UInt256: [0n, 2n ** 256n - 1n],
  Int8: [-128n, 127n],
  Int16: [-32768n, 32767n],
  Int32: [-(2n ** 31n), 2n ** 31n - 1n],
  Int64: [-(2n ** 63n), 2n ** 63n - 1n],
  Int128: [-(2n ** 127n), 2n ** 127n - 1n],
  Int256: [-(2n ** 255n), 2n ** 255n - 1n],
};

/** ClickHouse's case-insensitive aliases of the plain types a parameter may declare. */
const ALIASES: Record<string, string> = {
  TINYINT: 'Int8',
  SMALLINT: 'Int16',
  INT: 'Int32',
  INTEGER: 'Int32',
  BIGINT: 'Int64',
  FLOAT: 'Float32',
  DOUBLE: 'Float64',
  BOOLEAN: 'Bool',
  TEXT: 'String',
  VARCHAR: 'String',
};

/** A string in ClickHouse's escaped (TSV) text form: what the server reads back for a top-level String. */
const escapedText = (value: string): string => escapeString(value);

class ValueProblem extends Error {}

function fail(reason: string): never {
  throw new ValueProblem(reason);
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value instanceof Date) return `Date(${Number.isNaN(value.getTime()) ? 'invalid' : value.toISOString()})`;
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : String(value);
}

function integerOf(value: unknown, type: string): bigint {
  let n: bigint;
  if (typeof value === 'bigint') n = value;
  else if (typeof value === 'number') {
    if (!Number.isInteger(value)) fail(`${show(value)} is not an integer`);
    if (!Number.isSafeInteger(value)) fail(`${value} is beyond 2^53: pass a bigint or a string`);
    n = BigInt(value);
  } else if (typeof value === 'boolean') n = value ? 1n : 0n;
  else if (typeof value === 'string' && /^[+-]?\d+$/.test(value.trim())) n = BigInt(value.trim());
  else fail(`${show(value)} is not an integer`);
  const [min, max] = INTEGER_RANGES[type]!;
  if (n < min || n > max) fail(`${n} is out of range for ${type}`);
  return n;
}

function floatText(value: unknown): string {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'bigint') n = Number(value);
  else if (typeof value === 'string' && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value.trim())) n = Number(value);
  else if (typeof value === 'string' && /^[+-]?(nan|inf|infinity)$/i.test(value.trim()))
    n = Number(value.trim().replace(/inf$/i, 'Infinity'));
  else fail(`${show(value)} is not a number`);
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  return String(n);
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function utcDay(date: Date): string {
  if (Number.isNaN(date.getTime())) fail('the Date is invalid');
  return `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === null || proto === Object.prototype;
}

function typeArgs(node: TypeNode): TypeNode[] {
  return node.args.map((arg) => {
    if (arg.kind === 'type') return arg.type;
    if (arg.kind === 'named') return arg.type;
    fail(`${formatType(node)} has an argument that is not a type`);
  });
}

/** A string value, written in `form`. */
function stringIn(text: string, form: Form): string {
  return form === 'escaped' ? escapedText(text) : quoteString(text);
}

/**
 * The value written for `node` in `form`. 'sql' is a literal for client-side binding; its caller wraps it in a CAST
 * to the declared type, so the literal only has to convert to that type exactly.
 */
function formatValue(value: unknown, node: TypeNode, form: Form): string {
  const name = ALIASES[node.name.toUpperCase()] ?? node.name;
  if (value === undefined) fail('undefined is not a value (use null for NULL)');
  if (name === 'Nullable') {
    if (value === null) return form === 'escaped' ? '\\N' : 'NULL';
    return formatValue(value, typeArgs(node)[0]!, form);
  }
  if (value === null) fail(`null needs a Nullable type, not ${formatType(node)}`);
  if (name === 'LowCardinality') return formatValue(value, typeArgs(node)[0]!, form);
  if (name in INTEGER_RANGES) return String(integerOf(value, name));
  switch (name) {
    case 'Float32':
    case 'Float64':
    case 'BFloat16':
      // nan and inf are literals in SQL as in the text formats.
      return floatText(value);
    case 'Decimal':
    case 'Decimal32':
    case 'Decimal64':
    case 'Decimal128':
    case 'Decimal256': {
      const scaleArg = node.args[node.args.length - 1];
      const scale = scaleArg?.kind === 'number' && node.args.length > (name === 'Decimal' ? 1 : 0) ? scaleArg.value : 0;
      const text =
        typeof value === 'number' || typeof value === 'bigint'
          ? String(value)
          : typeof value === 'string'
            ? value.trim()
            : fail(`${show(value)} is not a decimal number`);
      const parsed = parseDecimal(text, scale);
      if (typeof parsed === 'string') fail(parsed);
      return form === 'sql' ? quoteString(text) : text;
    }
    case 'Bool': {
      const b =
        value === true || value === 1 || value === 'true'
          ? 'true'
          : value === false || value === 0 || value === 'false'
            ? 'false'
            : fail(`${show(value)} is not a boolean`);
      return form === 'sql' ? quoteString(b) : b;
    }
    case 'String':
    case 'FixedString':
    case 'Enum8':
    case 'Enum16':
    case 'IPv4':
    case 'IPv6':
    case 'JSON':
    case 'Object': {
      if (typeof value === 'number' && (name === 'Enum8' || name === 'Enum16'))
        return String(integerOf(value, name === 'Enum8' ? 'Int8' : 'Int16'));
      if (typeof value !== 'string') fail(`${show(value)} is not a string (${name} takes a string)`);
      if (name === 'FixedString') {
        const size = node.args[0]?.kind === 'number' ? node.args[0].value : 0;
        if (Buffer.byteLength(value) > size) fail(`${Buffer.byteLength(value)} bytes do not fit FixedString(${size})`);
      }
      return stringIn(value, form);
    }
    case 'UUID': {
      if (typeof value !== 'string' || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value))
        fail(`${show(value)} is not a UUID`);
      return form === 'escaped' ? value : quoteString(value);
    }
    case 'Date':
    case 'Date32': {
      const text =
        value instanceof Date
          ? utcDay(value)
          : typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)
            ? value
            : fail(`${show(value)} is not a Date or 'YYYY-MM-DD'`);
      return form === 'escaped' ? text : quoteString(text);
    }
    case 'DateTime': {
      if (typeof value === 'string') return stringIn(value, form);
      const seconds =
        value instanceof Date
          ? Math.floor(value.getTime() / 1000)
          : typeof value === 'number' && Number.isInteger(value)
            ? value
            : fail(`${show(value)} is not a Date, Unix seconds or a date-time string`);
      if (Number.isNaN(seconds)) fail('the Date is invalid');
      if (seconds < 0 || seconds > 0xffffffff) fail(`${show(value)} is outside DateTime's range (1970 to 2106)`);
      // Ten digits: the server reads a number of that length as Unix seconds (@clickhouse/client does the same).
      const text = String(seconds).padStart(10, '0');
      return form === 'sql' ? String(seconds) : form === 'quoted' ? quoteString(text) : text;
    }
    case 'DateTime64': {
      if (typeof value === 'string') return stringIn(value, form);
      const precision = node.args[0]?.kind === 'number' ? node.args[0].value : 3;
      let text: string;
      if (value instanceof Date) {
        const ms = value.getTime();
        if (Number.isNaN(ms)) fail('the Date is invalid');
        const seconds = Math.floor(ms / 1000);
        const fraction = pad(ms - seconds * 1000, 3);
        text =
          precision === 0
            ? String(seconds)
            : `${seconds}.${precision < 3 ? fraction.slice(0, precision) : fraction.padEnd(precision, '0')}`;
        if (precision < 3 && /[^0]/.test(fraction.slice(precision)))
          fail(`${show(value)} has more precision than DateTime64(${precision})`);
      } else if (typeof value === 'number' && Number.isFinite(value)) text = String(value);
      else fail(`${show(value)} is not a Date, Unix seconds or a date-time string`);
      return form === 'escaped' ? text : quoteString(text);
    }
    case 'Array': {
      const element = typeArgs(node)[0]!;
      if (!Array.isArray(value) && !ArrayBuffer.isView(value)) fail(`${show(value)} is not an array`);
      const items = Array.from(value as ArrayLike<unknown>, (item) =>
        formatValue(item, element, form === 'sql' ? 'sql' : 'quoted'),
      );
      return `[${items.join(',')}]`;
    }
    case 'Tuple': {
      const elements = typeArgs(node);
      const names = node.args.map((arg) => (arg.kind === 'named' ? arg.name : undefined));
      let items: unknown[];
      if (Array.isArray(value)) items = value;
      else if (isPlainObject(value) && names.every((n) => n !== undefined)) {
        const keys = Object.keys(value);
        const extra = keys.find((key) => !names.includes(key));
        if (extra !== undefined) fail(`the tuple has no element "${extra}"`);
        items = names.map((n) =>
          Object.hasOwn(value, n!) ? value[n!] : fail(`the tuple's element "${n}" is missing`),
        );
      } else fail(`${show(value)} is not a tuple (an array, or an object for a named tuple)`);
      if (items.length !== elements.length) fail(`the tuple has ${elements.length} elements, got ${items.length}`);
      const parts = items.map((item, k) => formatValue(item, elements[k]!, form === 'sql' ? 'sql' : 'quoted'));
      return form === 'sql' ? `tuple(${parts.join(',')})` : `(${parts.join(',')})`;
    }
    case 'Map': {
      const [keyType, valueType] = typeArgs(node) as [TypeNode, TypeNode];
      let pairs: [unknown, unknown][];
      if (value instanceof Map) pairs = [...value.entries()];
      else if (Array.isArray(value))
        pairs = value.map((pair) =>
          Array.isArray(pair) && pair.length === 2
            ? [pair[0], pair[1]]
            : fail('a Map entry must be a [key, value] pair'),
        );
      else if (isPlainObject(value)) pairs = Object.keys(value).map((key) => [mapKey(key, keyType), value[key]]);
      else fail(`${show(value)} is not a Map, an array of pairs or an object`);
      const inner: Form = form === 'sql' ? 'sql' : 'quoted';
      const parts = pairs.map(([k, v]) => [formatValue(k, keyType, inner), formatValue(v, valueType, inner)] as const);
      return form === 'sql'
        ? `map(${parts.map(([k, v]) => `${k},${v}`).join(',')})`
        : `{${parts.map(([k, v]) => `${k}:${v}`).join(',')}}`;
    }
    default:
      fail(`parameters of type ${formatType(node)} are not supported by this client`);
  }
}

/** An object key for a Map key type: numbers for integer and float keys. */
function mapKey(key: string, keyType: TypeNode): unknown {
  const name = keyType.name === 'LowCardinality' ? typeArgs(keyType)[0]!.name : keyType.name;
  if (name in INTEGER_RANGES)
    return /^[+-]?\d+$/.test(key) ? key : fail(`the key ${JSON.stringify(key)} is not an integer`);
  if (name.startsWith('Float')) return Number(key);
  return key;
}

/** The parsed type of a placeholder, checked (an Identifier is not a column type). */
function placeholderType(placeholder: Placeholder): TypeNode | 'Identifier' {
  if (placeholder.type === 'Identifier') return 'Identifier';
  try {
    return parseType(placeholder.type);
  } catch (error) {
    throw new QueryParameterError(
      `Query parameter "${placeholder.name}": ${(error as Error).message}`,
      placeholder.name,
    );
  }
}

function describeValueProblem(name: string, type: string, error: unknown): never {
  if (error instanceof ValueProblem) {
    throw new QueryParameterError(`Query parameter "${name}" (${type}): ${error.message}`, name);
  }
  throw error;
}

/** The text sent for one parameter on the wire (before the quoting of the settings-like list). */
export function parameterText(name: string, value: unknown, placeholder: Placeholder): string {
  const type = placeholderType(placeholder);
  if (type === 'Identifier') {
    if (typeof value !== 'string' || value === '')
      throw new QueryParameterError(`Query parameter "${name}" (Identifier) must be a non-empty string`, name);
    return value;
  }
  try {
    return formatValue(value, type, 'escaped');
  } catch (error) {
    describeValueProblem(name, placeholder.type, error);
  }
}

/** The SQL that replaces one placeholder when the client binds it. */
function parameterSql(name: string, value: unknown, placeholder: Placeholder): string {
  const type = placeholderType(placeholder);
  if (type === 'Identifier') {
    if (typeof value !== 'string' || value === '')
      throw new QueryParameterError(`Query parameter "${name}" (Identifier) must be a non-empty string`, name);
    return quoteIdentifier(value);
  }
  try {
    const literal = formatValue(value, type, 'sql');
    const plainName = ALIASES[type.name.toUpperCase()] ?? type.name;
    if (plainName === 'String') return literal;
    if (placeholder.afterLimit && plainName in INTEGER_RANGES) return literal;
    return `CAST(${literal} AS ${formatType(type)})`;
  } catch (error) {
    describeValueProblem(name, placeholder.type, error);
  }
}

/**
 * A SQL literal for a plain value: a string in single quotes with ClickHouse's backslash escapes (quotes,
 * backslashes and control characters), a number or bigint as its digits (NaN and ±Infinity as nan/inf), null as
 * NULL, and an array of such values as `[…]`. For typed values (dates, decimals, booleans, maps), prefer
 * `query_params`.
 */
export function quoteLiteral(value: string | number | bigint | null | readonly unknown[]): string {
  if (value === null) return 'NULL';
  if (typeof value === 'string') return quoteString(value);
  if (typeof value === 'bigint') return String(value);
  if (typeof value === 'number') return floatText(value);
  if (Array.isArray(value)) return `[${value.map((item) => quoteLiteral(item as string)).join(',')}]`;
  throw new QueryParameterError(
    `quoteLiteral takes a string, number, bigint, null or an array of them, got ${show(value)}`,
  );
}

export interface BoundQuery {
  sql: string;
  /**
   * Parameters to send in the Query packet when the server binds them: (name, the String Field dump of the value's
   * text, i.e. the text quoted and escaped as a SQL string).
   */
  parameters: Array<[string, string]>;
}

/** Checks that the placeholders and the values match one to one; returns the placeholders. */
function matchParams(sql: string, params: QueryParameterValues | undefined): Placeholder[] {
  const placeholders = sql.includes('{') ? findPlaceholders(sql) : [];
  const given = params ?? {};
  if (params !== undefined && !isPlainObject(params))
    throw new QueryParameterError('query_params must be a plain object of name: value');
  const used = new Set(placeholders.map((p) => p.name));
  const missing = [...used].filter((name) => !Object.hasOwn(given, name));
  if (missing.length > 0) {
    throw new QueryParameterError(
      `Query parameter${missing.length > 1 ? 's' : ''} ${missing.map((n) => `"${n}"`).join(', ')} ` +
        `${missing.length > 1 ? 'have' : 'has'} no value in query_params`,
      missing[0],
    );
  }
  const extra = Object.keys(given).filter((name) => !used.has(name));
  if (extra.length > 0) {
    throw new QueryParameterError(
      `query_params ${extra.map((n) => `"${n}"`).join(', ')} ${extra.length > 1 ? 'are' : 'is'} not used by the query ` +
        '(write {name:Type} outside strings and comments)',
      extra[0],
    );
  }
  const types = new Map<string, string>();
  for (const p of placeholders) {
    const seen = types.get(p.name);
    if (seen !== undefined && seen !== p.type) {
      throw new QueryParameterError(
        `Query parameter "${p.name}" is declared with two types: ${seen} and ${p.type}`,
        p.name,
      );
    }
    types.set(p.name, p.type);
  }
  return placeholders;
}

/**
 * Prepares a query's parameters: validated and sent separately when the server binds them (`serverSide`), or
 * substituted into the SQL as typed literals otherwise. A query without placeholders and without query_params is
 * returned unchanged.
 */
export function bindQuery(sql: string, params: QueryParameterValues | undefined, serverSide: boolean): BoundQuery {
  const placeholders = matchParams(sql, params);
  if (placeholders.length === 0) return { sql, parameters: [] };
  const given = params!;
  if (serverSide) {
    const parameters: Array<[string, string]> = [];
    const done = new Set<string>();
    for (const p of placeholders) {
      if (done.has(p.name)) continue;
      done.add(p.name);
      parameters.push([p.name, quoteString(parameterText(p.name, given[p.name], p))]);
    }
    return { sql, parameters };
  }
  let out = '';
  let last = 0;
  for (const p of placeholders) {
    out += sql.slice(last, p.start) + parameterSql(p.name, given[p.name], p);
    last = p.end;
  }
  return { sql: out + sql.slice(last), parameters: [] };
}

/**
 * Binds the placeholders of a table name (insert's `table`) on the client: the table name is needed here (engine,
 * sorting key and description lookups), and an identifier bound by the client is exactly what the server would bind.
 */
export function bindTableName(table: string, params: QueryParameterValues | undefined): string {
  return bindQuery(table, params, false).sql;
}
