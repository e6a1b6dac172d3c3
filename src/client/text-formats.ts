/**
 * Text output formats made on the client from the Native blocks: over the native protocol the server always sends
 * blocks and ignores a query's FORMAT clause (checked on 18.16 and 26.7), so `FORMAT JSONEachRow` and friends are
 * honoured here, by `ResultSet.text()` and `ResultSet.stream()`. A FORMAT this client cannot produce is refused before
 * the query is sent.
 *
 * The text follows what the connected server prints for the same query with its default format settings (compared
 * with 18.16's HTTP interface and with ClickHouse 26.7 through chdb in test/client/formats.test.ts). Where servers
 * differ by version, the server's version decides, and the setting, when the query passes it, overrides:
 *  - output_format_json_quote_64bit_integers: 64-bit and wider integers in JSON are strings before 25.8, numbers after;
 *  - output_format_decimal_trailing_zeros: Decimals keep their trailing zeros before 21.9, drop them after;
 *  - output_format_json_named_tuples_as_objects: named tuples are JSON objects from 22.6, arrays before;
 *  - CSVWithNames names a tuple column's fields `t.1`, `t.2` from 24.3, `t` once before.
 * JSON's "statistics" are the client's: elapsed is measured here, rows_read and bytes_read are the server's Progress.
 * Strings are printed from their decoded JS text: bytes that are not UTF-8 print as U+FFFD, where the server would
 * print the raw bytes.
 */
import { escapeString, formatType, parseType, quoteString, type TypeNode } from '../columns/type-parser.js';
import { zoneOffset } from '../columns/time-zone.js';
import { UnsupportedError } from '../errors.js';
import type { Block } from '../columns/block.js';
import type { Settings } from '../protocol/settings.js';
import type { ProfileInfo } from '../protocol/server-packets.js';

/** The text formats the client produces, by ClickHouse's canonical name. */
export type TextFormat =
  | 'JSONEachRow'
  | 'JSONCompactEachRow'
  | 'JSON'
  | 'JSONCompact'
  | 'CSV'
  | 'CSVWithNames'
  | 'TabSeparated'
  | 'TabSeparatedRaw'
  | 'TabSeparatedWithNames'
  | 'TabSeparatedWithNamesAndTypes';

const FORMAT_NAMES: Readonly<Record<string, TextFormat>> = {
  jsoneachrow: 'JSONEachRow',
  ndjson: 'JSONEachRow',
  jsonlines: 'JSONEachRow',
  jsoncompacteachrow: 'JSONCompactEachRow',
  json: 'JSON',
  jsoncompact: 'JSONCompact',
  csv: 'CSV',
  csvwithnames: 'CSVWithNames',
  tabseparated: 'TabSeparated',
  tsv: 'TabSeparated',
  tabseparatedraw: 'TabSeparatedRaw',
  tsvraw: 'TabSeparatedRaw',
  raw: 'TabSeparatedRaw',
  tabseparatedwithnames: 'TabSeparatedWithNames',
  tsvwithnames: 'TabSeparatedWithNames',
  tabseparatedwithnamesandtypes: 'TabSeparatedWithNamesAndTypes',
  tsvwithnamesandtypes: 'TabSeparatedWithNamesAndTypes',
};

/** The names accepted, for error messages. */
export const SUPPORTED_TEXT_FORMATS =
  'JSONEachRow, JSONCompactEachRow, JSON, JSONCompact, CSV, CSVWithNames, TSV/TabSeparated, TSVRaw, TSVWithNames, TSVWithNamesAndTypes';

/** The canonical format for a name (case-insensitive, ClickHouse's aliases), or an UnsupportedError. */
export function resolveTextFormat(name: string): TextFormat {
  const format = FORMAT_NAMES[name.toLowerCase()];
  if (format === undefined) {
    throw new UnsupportedError(
      `FORMAT ${name} is not produced by this client: over the native protocol the server sends blocks, and the client ` +
        `makes the text itself for ${SUPPORTED_TEXT_FORMATS}. Use one of those with result.text() or result.stream(), ` +
        'or leave the clause out and read JS values (json(), iteration, blocks())',
    );
  }
  return format;
}

/**
 * The output FORMAT clause of a query (`SELECT … FORMAT JSONEachRow [SETTINGS …] [;]`), found outside strings,
 * quoted names and comments, at the top level, and only where a format name ends the query or precedes SETTINGS.
 * INSERT queries are left alone (their FORMAT names the *input*).
 */
export function findFormatClause(sql: string): string | undefined {
  if (!/format/i.test(sql)) return undefined; // most queries: no need to read them through
  const tokens = topLevelWords(sql);
  if (tokens[0]?.word === 'INSERT') return undefined;
  for (let i = tokens.length - 2; i >= 0; i--) {
    const token = tokens[i]!;
    if (token.word !== 'FORMAT' || token.depth !== 0) continue;
    const name = tokens[i + 1]!;
    if (name.kind !== 'word' || name.depth !== 0) continue;
    const after = tokens[i + 2];
    if (after === undefined || after.text === ';' || after.word === 'SETTINGS') return name.text;
  }
  return undefined;
}

interface Token {
  kind: 'word' | 'other';
  text: string;
  /** Upper-cased text of a short word (the keywords looked for); '' otherwise. */
  word: string;
  depth: number;
}

const isWordStart = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isWordChar = (c: number): boolean => isWordStart(c) || (c >= 48 && c <= 57);

/** The end of a quoted literal or name that opens at `start` (backslash escapes; a doubled quote continues it). */
export function endOfQuoted(sql: string, start: number): number {
  const quote = sql[start]!;
  let i = start + 1;
  for (;;) {
    const close = sql.indexOf(quote, i);
    if (close < 0) return sql.length;
    // Count the backslashes right before the quote: an odd number escapes it.
    let slashes = 0;
    for (let j = close - 1; j >= i && sql.charCodeAt(j) === 92; j--) slashes++;
    if (slashes % 2 === 1) {
      i = close + 1;
      continue;
    }
    if (sql[close + 1] === quote) {
      i = close + 2;
      continue;
    }
    return close + 1;
  }
}

function topLevelWords(sql: string): Token[] {
  const tokens: Token[] = [];
  let depth = 0;
  let i = 0;
  const length = sql.length;
  while (i < length) {
    const c = sql.charCodeAt(i);
    if (c === 39 || c === 34 || c === 96) {
      // ' " `: a literal, or a quoted name (a word: a quoted column named format may follow FORMAT's place).
      const end = endOfQuoted(sql, i);
      tokens.push({
        kind: c === 39 ? 'other' : 'word',
        text: sql.slice(i + 1, Math.max(i + 1, end - 1)),
        word: '',
        depth,
      });
      i = end;
    } else if (c === 45 && sql.charCodeAt(i + 1) === 45) {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? length : end + 1;
    } else if (c === 47 && sql.charCodeAt(i + 1) === 42) {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? length : end + 2;
    } else if (isWordStart(c)) {
      let j = i + 1;
      while (j < length && isWordChar(sql.charCodeAt(j))) j++;
      const text = sql.slice(i, j);
      tokens.push({ kind: 'word', text, word: j - i <= 8 ? text.toUpperCase() : '', depth });
      i = j;
    } else {
      if (c === 40 || c === 91) depth++;
      else if (c === 41 || c === 93) depth--;
      if (c > 32) tokens.push({ kind: 'other', text: sql[i]!, word: '', depth });
      i++;
    }
  }
  return tokens;
}

// ---------------------------------------------------------------------------------------------------------------
// Options

export interface TextOptions {
  quote64BitIntegers: boolean;
  decimalTrailingZeros: boolean;
  namedTuplesAsObjects: boolean;
  /** CSVWithNames names each tuple field (`t.1`); before 24.3, the tuple column once. */
  csvTupleFieldNames: boolean;
  /** The JSON format prints nested values on several lines (25.1+, output_format_json_pretty_print). */
  jsonPrettyPrint: boolean;
  /**
   * 18.x details, seen on 18.16 and gone by 26.7 (versions between are not checked): JSONCompact's totals without a
   * space after commas, and TabSeparatedRaw's NULL printed as ᴺᵁᴸᴸ.
   */
  legacy: boolean;
  /** The zone of DateTime columns without one (the server's, or the session's). */
  timezone: string;
}

const atLeast = (server: { versionMajor: number; versionMinor: number }, major: number, minor: number): boolean =>
  server.versionMajor > major || (server.versionMajor === major && server.versionMinor >= minor);

function settingFlag(settings: Settings, name: string): boolean | undefined {
  const value = settings[name];
  if (value === undefined) return undefined;
  return value === true || value === 1 || value === '1' || value === 'true' || value === 1n;
}

/** The connected server's defaults for its version, overridden by the query's settings. */
export function textOptionsFor(
  server: { versionMajor: number; versionMinor: number },
  settings: Settings,
  timezone: string,
): TextOptions {
  return {
    quote64BitIntegers: settingFlag(settings, 'output_format_json_quote_64bit_integers') ?? !atLeast(server, 25, 8),
    decimalTrailingZeros: settingFlag(settings, 'output_format_decimal_trailing_zeros') ?? !atLeast(server, 21, 9),
    namedTuplesAsObjects: settingFlag(settings, 'output_format_json_named_tuples_as_objects') ?? atLeast(server, 22, 6),
    csvTupleFieldNames:
      settingFlag(settings, 'output_format_csv_serialize_tuple_into_separate_columns') ?? atLeast(server, 24, 3),
    jsonPrettyPrint: settingFlag(settings, 'output_format_json_pretty_print') ?? atLeast(server, 25, 1),
    legacy: !atLeast(server, 19, 0),
    timezone,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Values

/** How a value is printed: in JSON, as a top-level TSV field (escaped or raw), a CSV field, or inside a composite. */
type Mode = 'json' | 'escaped' | 'raw' | 'csv' | 'quoted';
type Printer = (value: unknown) => string;

/** A String in TabSeparated: ClickHouse's backslash escapes, the single quote included. */
const escaped = (text: string): string => escapeString(text);
/** A String inside an Array, Tuple or Map in the text formats. */
const quoted = quoteString;

function csvString(text: string): string {
  return `"${text.replace(/"/g, '""')}"`;
}

const JSON_ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '/': '\\/',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/** A JSON string as ClickHouse writes it: `/` escaped, other control characters as \u00XX (upper-case hex). */
export function jsonString(text: string): string {
  return (
    '"' +
    text.replace(
      /["\\/\u0000-\u001f\u2028\u2029]/g,
      (c) => JSON_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`,
    ) +
    '"'
  );
}

/** A float as ClickHouse prints it: the shortest text that reads back, `1e21` rather than `1e+21`, nan and inf. */
function floatText(value: number, float32: boolean): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  if (Object.is(value, -0)) return '-0';
  let text = String(value);
  if (float32) {
    for (let digits = 1; digits <= 9; digits++) {
      const candidate = Number(value.toPrecision(digits));
      if (Math.fround(candidate) === value) {
        text = String(candidate);
        break;
      }
    }
  }
  return text.replace('e+', 'e');
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** Per zone, the offset by 15-minute UTC slot (transitions fall on such boundaries): formatting many rows is cheap. */
const offsetCache = new Map<string, Map<number, number>>();

function offsetAt(timeZone: string, utcSeconds: number): number {
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return 0;
  let cache = offsetCache.get(timeZone);
  if (!cache) offsetCache.set(timeZone, (cache = new Map()));
  const slot = Math.floor(utcSeconds / 900);
  let offset = cache.get(slot);
  if (offset === undefined) {
    offset = zoneOffset(timeZone, slot * 900);
    if (cache.size > 100_000) cache.clear();
    cache.set(slot, offset);
  }
  return offset;
}

/** `YYYY-MM-DD hh:mm:ss` of an instant in a zone. */
function wallClock(utcSeconds: number, timeZone: string): string {
  const local = new Date((utcSeconds + offsetAt(timeZone, utcSeconds)) * 1000);
  return (
    `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())} ` +
    `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`
  );
}

function dayText(value: unknown): string {
  const date = value as Date;
  return `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
}

/** DateTime64(p): a Date (p ≤ 3) or an ISO string with p digits (p > 3), printed in the zone with p digits. */
function dateTime64Text(value: unknown, precision: number, timeZone: string): string {
  let seconds: number;
  let fraction: string;
  if (value instanceof Date) {
    const ms = value.getTime();
    seconds = Math.floor(ms / 1000);
    fraction = pad(ms - seconds * 1000, 3);
  } else {
    const text = String(value);
    const m = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$/.exec(text);
    seconds = Math.floor(Date.parse(`${m?.[1] ?? text}Z`) / 1000);
    fraction = m?.[2] ?? '';
  }
  fraction = fraction.padEnd(precision, '0').slice(0, precision);
  return precision > 0 ? `${wallClock(seconds, timeZone)}.${fraction}` : wallClock(seconds, timeZone);
}

function typeArgs(node: TypeNode): TypeNode[] {
  return node.args.flatMap((arg) => (arg.kind === 'type' || arg.kind === 'named' ? [arg.type] : []));
}

function stringArg(node: TypeNode, index: number): string | undefined {
  const arg = node.args[index];
  return arg?.kind === 'string' ? arg.value : undefined;
}

const GEO_ALIASES: Record<string, string> = {
  Point: 'Tuple(Float64, Float64)',
  Ring: 'Array(Point)',
  LineString: 'Array(Point)',
  Polygon: 'Array(Ring)',
  MultiLineString: 'Array(LineString)',
  MultiPolygon: 'Array(Polygon)',
};

const INTEGER = /^U?Int(8|16|32|64|128|256)$/;

/** Whether values of this type are quoted inside composites and in CSV (strings, dates, UUIDs, addresses). */
function isTextual(node: TypeNode): boolean {
  switch (node.name) {
    case 'Nullable':
    case 'LowCardinality':
    case 'SimpleAggregateFunction':
      return isTextual(typeArgs(node)[typeArgs(node).length - 1]!);
    case 'String':
    case 'FixedString':
    case 'Enum8':
    case 'Enum16':
    case 'UUID':
    case 'Date':
    case 'Date32':
    case 'DateTime':
    case 'DateTime64':
    case 'IPv4':
    case 'IPv6':
    case 'Time':
    case 'Time64':
      return true;
    default:
      return false;
  }
}

/** A printer of one column's values in one mode. */
export function printerFor(node: TypeNode, mode: Mode, options: TextOptions): Printer {
  const name = node.name;
  if (GEO_ALIASES[name] !== undefined) return printerFor(parseType(GEO_ALIASES[name]!), mode, options);
  switch (name) {
    case 'Nullable': {
      const inner = printerFor(typeArgs(node)[0]!, mode, options);
      const nullText =
        mode === 'json' ? 'null' : mode === 'quoted' ? 'NULL' : mode === 'raw' && options.legacy ? 'ᴺᵁᴸᴸ' : '\\N';
      return (v) => (v === null || v === undefined ? nullText : inner(v));
    }
    case 'LowCardinality':
      return printerFor(typeArgs(node)[0]!, mode, options);
    case 'SimpleAggregateFunction':
      return printerFor(typeArgs(node)[typeArgs(node).length - 1]!, mode, options);
    case 'Nothing':
      return () => (mode === 'json' ? 'null' : mode === 'quoted' ? 'NULL' : '\\N');
    case 'Bool':
      return (v) => (v ? 'true' : 'false');
    case 'Float32':
    case 'Float64':
    case 'BFloat16': {
      const float32 = name !== 'Float64';
      if (mode === 'json') return (v) => (Number.isFinite(v as number) ? floatText(v as number, float32) : 'null');
      return (v) => floatText(v as number, float32);
    }
    case 'Decimal':
    case 'Decimal32':
    case 'Decimal64':
    case 'Decimal128':
    case 'Decimal256':
      if (options.decimalTrailingZeros) return (v) => String(v);
      return (v) =>
        String(v)
          .replace(/(\.\d*?)0+$/, '$1')
          .replace(/\.$/, '');
    case 'Array': {
      const element = printerFor(typeArgs(node)[0]!, mode === 'json' ? 'json' : 'quoted', options);
      const text: Printer = (v) => `[${Array.from(v as ArrayLike<unknown>, element).join(',')}]`;
      return wrapComposite(text, mode);
    }
    case 'Tuple': {
      const elementTypes = typeArgs(node);
      const names = node.args.map((arg) => (arg.kind === 'named' ? arg.name : undefined));
      const named = names.every((n) => n !== undefined) && names.length > 0;
      if (mode === 'csv') {
        // CSV spreads a tuple over fields.
        const fields = elementTypes.map((t) => printerFor(t, 'csv', options));
        return (v) =>
          tupleItems(v, names)
            .map((item, k) => fields[k]!(item))
            .join(',');
      }
      const elements = elementTypes.map((t) => printerFor(t, mode === 'json' ? 'json' : 'quoted', options));
      if (mode === 'json') {
        if (named && options.namedTuplesAsObjects) {
          return (v) =>
            `{${tupleItems(v, names)
              .map((item, k) => `${jsonString(names[k]!)}:${elements[k]!(item)}`)
              .join(',')}}`;
        }
        return (v) =>
          `[${tupleItems(v, names)
            .map((item, k) => elements[k]!(item))
            .join(',')}]`;
      }
      return (v) =>
        `(${tupleItems(v, names)
          .map((item, k) => elements[k]!(item))
          .join(',')})`;
    }
    case 'Map': {
      const [keyType, valueType] = typeArgs(node) as [TypeNode, TypeNode];
      if (mode === 'json') {
        const keyText = printerFor(keyType, 'raw', options);
        const value = printerFor(valueType, 'json', options);
        return (v) =>
          `{${mapPairs(v)
            .map(([k, x]) => `${jsonString(keyText(k))}:${value(x)}`)
            .join(',')}}`;
      }
      const key = printerFor(keyType, 'quoted', options);
      const value = printerFor(valueType, 'quoted', options);
      return wrapComposite(
        (v) =>
          `{${mapPairs(v)
            .map(([k, x]) => `${key(k)}:${value(x)}`)
            .join(',')}}`,
        mode,
      );
    }
    default:
      break;
  }
  const plain = plainPrinter(node, options);
  if (plain === undefined) {
    throw new UnsupportedError(
      `Text output of ${formatType(node)} columns is not produced by this client: read them as JS values (json(), iteration, blocks())`,
    );
  }
  if (INTEGER.test(name)) {
    const wide = name.endsWith('64') || name.endsWith('128') || name.endsWith('256');
    if (mode === 'json' && wide && options.quote64BitIntegers) return (v) => `"${plain(v)}"`;
    return plain;
  }
  if (!isTextual(node)) return plain;
  switch (mode) {
    case 'json':
      return (v) => jsonString(plain(v));
    case 'escaped':
      return (v) => escaped(plain(v));
    case 'raw':
      return plain;
    case 'csv':
      return (v) => csvString(plain(v));
    case 'quoted':
      return (v) => quoted(plain(v));
  }
}

const isComposite = (node: TypeNode): boolean => {
  const name = node.name === 'Nullable' || node.name === 'LowCardinality' ? typeArgs(node)[0]!.name : node.name;
  return name === 'Array' || name === 'Tuple' || name === 'Map' || GEO_ALIASES[name] !== undefined;
};

/**
 * A value in the JSON format with output_format_json_pretty_print (25.1+), as 26.7 prints it: tuples and maps over
 * several lines, arrays too unless their elements are scalars, one tab deeper per level from `indent`.
 */
export function prettyJsonPrinterFor(node: TypeNode, options: TextOptions, indent: number): Printer {
  const name = node.name;
  if (GEO_ALIASES[name] !== undefined) return prettyJsonPrinterFor(parseType(GEO_ALIASES[name]!), options, indent);
  if (name === 'LowCardinality') return prettyJsonPrinterFor(typeArgs(node)[0]!, options, indent);
  if (name === 'Nullable') {
    const inner = prettyJsonPrinterFor(typeArgs(node)[0]!, options, indent);
    return (v) => (v === null || v === undefined ? 'null' : inner(v));
  }
  const tabs = '\t'.repeat(indent);
  const deeper = '\t'.repeat(indent + 1);
  if (name === 'Array') {
    const elementType = typeArgs(node)[0]!;
    if (!isComposite(elementType)) return printerFor(node, 'json', options);
    const element = prettyJsonPrinterFor(elementType, options, indent + 1);
    return (v) => {
      const items = Array.from(v as ArrayLike<unknown>, element);
      return items.length === 0 ? '[]' : `[\n${items.map((item) => deeper + item).join(',\n')}\n${tabs}]`;
    };
  }
  if (name === 'Tuple') {
    const elements = typeArgs(node).map((t) => prettyJsonPrinterFor(t, options, indent + 1));
    const names = node.args.map((arg) => (arg.kind === 'named' ? arg.name : undefined));
    const asObject = names.length > 0 && names.every((n) => n !== undefined) && options.namedTuplesAsObjects;
    return (v) => {
      const items = tupleItems(v, names).map((item, k) => elements[k]!(item));
      if (asObject)
        return `{\n${items.map((item, k) => `${deeper}${jsonString(names[k]!)}: ${item}`).join(',\n')}\n${tabs}}`;
      return `[\n${items.map((item) => deeper + item).join(',\n')}\n${tabs}]`;
    };
  }
  if (name === 'Map') {
    const [keyType, valueType] = typeArgs(node) as [TypeNode, TypeNode];
    const keyText = printerFor(keyType, 'raw', options);
    const value = prettyJsonPrinterFor(valueType, options, indent + 1);
    return (v) => {
      const pairs = mapPairs(v);
      if (pairs.length === 0) return '{}';
      return `{\n${pairs.map(([k, x]) => `${deeper}${jsonString(keyText(k))}: ${value(x)}`).join(',\n')}\n${tabs}}`;
    };
  }
  return printerFor(node, 'json', options);
}

/** Composites print their quoted text; CSV puts that text in one quoted field. */
function wrapComposite(text: Printer, mode: Mode): Printer {
  return mode === 'csv' ? (v) => csvString(text(v)) : text;
}

function tupleItems(value: unknown, names: ReadonlyArray<string | undefined>): unknown[] {
  if (Array.isArray(value)) return value;
  const record = value as Record<string, unknown>;
  return names.map((n) => record[n!]);
}

function mapPairs(value: unknown): Array<[unknown, unknown]> {
  if (value instanceof Map) return [...value.entries()];
  return value as Array<[unknown, unknown]>;
}

/** The bare text of a scalar value (before any quoting), or undefined for a type this client cannot print. */
function plainPrinter(node: TypeNode, options: TextOptions): Printer | undefined {
  const name = node.name;
  if (INTEGER.test(name) || /^Interval/.test(name)) return (v) => String(v);
  switch (name) {
    case 'String':
    case 'UUID':
    case 'IPv4':
    case 'IPv6':
    case 'Enum8':
    case 'Enum16':
    case 'Time':
    case 'Time64':
      return (v) => String(v);
    case 'FixedString':
      return (v) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v));
    case 'Date':
    case 'Date32':
      return dayText;
    case 'DateTime': {
      const zone = stringArg(node, 0) ?? options.timezone;
      return (v) => wallClock(Math.floor((v as Date).getTime() / 1000), zone);
    }
    case 'DateTime64': {
      const precision = node.args[0]?.kind === 'number' ? node.args[0].value : 3;
      const zone = stringArg(node, 1) ?? options.timezone;
      return (v) => dateTime64Text(v, precision, zone);
    }
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Whole results

export interface TextColumn {
  name: string;
  type: string;
}

export interface TextSummary {
  progress: { read_rows: number; read_bytes: number };
  profile_info: ProfileInfo | undefined;
  totals: Block | undefined;
  extremes: Block | undefined;
}

/** Writes one result in one format: the header, each block's rows, and the end (JSON's totals, rows, statistics). */
export class TextWriter {
  private readonly printers: Printer[];
  /** The JSON format's printers with output_format_json_pretty_print, by indent: 3 in data, 2 in totals, 3 in extremes. */
  private readonly pretty: Map<number, Printer[]> = new Map();
  private readonly columns: readonly TextColumn[];
  private rows = 0;
  private readonly json: boolean;

  constructor(
    readonly format: TextFormat,
    columns: readonly TextColumn[],
    private readonly options: TextOptions,
  ) {
    this.columns = columns;
    this.json = format.startsWith('JSON');
    const mode: Mode = this.json
      ? 'json'
      : format.startsWith('CSV')
        ? 'csv'
        : format === 'TabSeparatedRaw'
          ? 'raw'
          : 'escaped';
    this.printers = columns.map((column) => printerFor(parseType(column.type), mode, options));
  }

  /** Printers for the values of a JSON-format record whose fields sit at `indent` tabs. */
  private printersAt(indent: number): Printer[] {
    if (this.format !== 'JSON' || !this.options.jsonPrettyPrint) return this.printers;
    let printers = this.pretty.get(indent);
    if (!printers) {
      printers = this.columns.map((column) => prettyJsonPrinterFor(parseType(column.type), this.options, indent));
      this.pretty.set(indent, printers);
    }
    return printers;
  }

  /** Text before the first row. */
  header(): string {
    const names = this.columns.map((c) => c.name);
    switch (this.format) {
      case 'CSVWithNames':
        return this.csvNames().map(csvString).join(',') + '\n';
      case 'TabSeparatedWithNames':
        return names.map(escaped).join('\t') + '\n';
      case 'TabSeparatedWithNamesAndTypes':
        return names.map(escaped).join('\t') + '\n' + this.columns.map((c) => escaped(c.type)).join('\t') + '\n';
      case 'JSON':
      case 'JSONCompact': {
        const meta = this.columns
          .map((c) => `\t\t{\n\t\t\t"name": ${jsonString(c.name)},\n\t\t\t"type": ${jsonString(c.type)}\n\t\t}`)
          .join(',\n');
        return `{\n\t"meta":\n\t[\n${meta}\n\t],\n\n\t"data":\n\t[\n`;
      }
      default:
        return '';
    }
  }

  private csvNames(): string[] {
    return this.columns.flatMap((column) => {
      const node = parseType(column.type);
      const tuple = node.name === 'Tuple' ? node : undefined;
      if (!tuple || !this.options.csvTupleFieldNames) return [column.name];
      return tuple.args.map((arg, k) => `${column.name}.${arg.kind === 'named' ? arg.name : k + 1}`);
    });
  }

  /** The rows of one block. */
  block(block: Block): string {
    const values = block.columns.map((c) => c.values);
    const printers = this.printersAt(3);
    const names = this.columns.map((c) => jsonString(c.name));
    const lines: string[] = [];
    for (let row = 0; row < block.rows; row++) {
      const fields = printers.map((print, c) => print(values[c]![row]));
      lines.push(this.row(fields, names, this.rows + row));
    }
    this.rows += block.rows;
    return lines.join('');
  }

  private row(fields: string[], names: string[], index: number): string {
    switch (this.format) {
      case 'JSONEachRow':
        return `{${fields.map((f, c) => `${names[c]}:${f}`).join(',')}}\n`;
      case 'JSONCompactEachRow':
        return `[${fields.join(', ')}]\n`;
      case 'JSON':
        return `${index > 0 ? ',\n' : ''}\t\t{\n${fields.map((f, c) => `\t\t\t${names[c]}: ${f}`).join(',\n')}\n\t\t}`;
      case 'JSONCompact':
        return `${index > 0 ? ',\n' : ''}\t\t[${fields.join(', ')}]`;
      case 'CSV':
      case 'CSVWithNames':
        return `${fields.join(',')}\n`;
      default:
        return `${fields.join('\t')}\n`;
    }
  }

  /** Text after the last row. `elapsedSeconds` is the client's measure of the query. */
  footer(summary: TextSummary, elapsedSeconds: number): string {
    if (this.format !== 'JSON' && this.format !== 'JSONCompact') {
      // The text formats print the totals row, then the min and max rows, each after an empty line.
      if (this.format === 'JSONEachRow' || this.format === 'JSONCompactEachRow') return '';
      const names = this.columns.map((c) => jsonString(c.name));
      const line = (block: Block, row: number) =>
        this.row(
          this.printers.map((print, c) => print(block.columns[c]!.values[row])),
          names,
          0,
        );
      let out = '';
      if (summary.totals && summary.totals.rows > 0) out += `\n${line(summary.totals, 0)}`;
      if (summary.extremes && summary.extremes.rows >= 2)
        out += `\n${line(summary.extremes, 0)}${line(summary.extremes, 1)}`;
      return out;
    }
    const names = this.columns.map((c) => jsonString(c.name));
    const record = (block: Block, row: number, indent: string): string => {
      const printers = this.printersAt(indent.length + 1);
      const fields = printers.map((print, c) => print(block.columns[c]!.values[row]));
      if (this.format === 'JSONCompact') return `[${fields.join(this.options.legacy ? ',' : ', ')}]`;
      return `{\n${fields.map((f, c) => `${indent}\t${names[c]}: ${f}`).join(',\n')}\n${indent}}`;
    };
    let out = '\n\t]';
    if (summary.totals && summary.totals.rows > 0) {
      out +=
        this.format === 'JSONCompact'
          ? `,\n\n\t"totals": ${record(summary.totals, 0, '\t')}`
          : `,\n\n\t"totals":\n\t${record(summary.totals, 0, '\t')}`;
    }
    if (summary.extremes && summary.extremes.rows >= 2) {
      const min = record(summary.extremes, 0, '\t\t');
      const max = record(summary.extremes, 1, '\t\t');
      out += `,\n\n\t"extremes":\n\t{\n\t\t"min":\n\t\t${min},\n\t\t"max":\n\t\t${max}\n\t}`;
    }
    out += `,\n\n\t"rows": ${this.rows}`;
    const info = summary.profile_info;
    if (info?.appliedLimit) out += `,\n\n\t"rows_before_limit_at_least": ${info.rowsBeforeLimit}`;
    out +=
      `,\n\n\t"statistics":\n\t{\n\t\t"elapsed": ${elapsedSeconds},\n\t\t"rows_read": ${summary.progress.read_rows},\n` +
      `\t\t"bytes_read": ${summary.progress.read_bytes}\n\t}\n}\n`;
    return out;
  }
}
