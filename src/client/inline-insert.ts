/**
 * INSERT statements that carry their data in the query text: `INSERT INTO t VALUES (1, 'a')`,
 * `INSERT INTO t FORMAT CSV` followed by rows. What the server does with them over the native protocol depends on
 * its version, as seen on the real servers:
 *
 * - ClickHouse 26.7 parses the inline data itself: after the Query and the empty Data block it inserts the rows and
 *   answers EndOfStream, like any other statement.
 * - ClickHouse 18.16 does not (its TCPHandler sends the INSERT's header block and waits for Data blocks, whatever
 *   follows VALUES in the text): clickhouse-client parses the data on the client and sends blocks. So does this
 *   client, for VALUES, CSV and TSV, against the header's column types.
 * - Either server, when the text has no data at all (`INSERT INTO t VALUES`), sends the header and waits for Data.
 *   Waiting would hang: the client ends the INSERT with the empty block (nothing is inserted) and says to pass rows.
 *
 * A format this client cannot parse, against a server that does not parse it either, ends the INSERT the same way
 * (nothing inserted) with an error pointing to client.insert().
 */
import { ClickHouseNativeError, InvalidValueError, UnsupportedError, UnsupportedExpressionError } from '../errors.js';
import { compileExpression } from '../expressions/index.js';
import { stringTokenValue, tokenize, type Token } from '../expressions/lexer.js';
import type { Block } from '../columns/block.js';
import type { ColumnarInput } from '../insert/input.js';

/** An INSERT whose data follows VALUES or FORMAT <name> in the query text. */
export interface InlineInsert {
  /** 'Values' for VALUES, else the FORMAT name as written. */
  format: string;
  /** The text after VALUES (or after the format name and its line end); empty when the statement has no data. */
  data: string;
  /** The statement up to its data, for messages. */
  head: string;
}

// ---------------------------------------------------------------------------------------------------------------
// The statement: INSERT INTO [TABLE | FUNCTION] name [(columns)] [PARTITION BY …] [SETTINGS …] VALUES | FORMAT name
// ---------------------------------------------------------------------------------------------------------------

interface HeadToken {
  /** Upper-cased for words; the text for the rest. */
  word: string | undefined;
  start: number;
  end: number;
  /** Parenthesis depth before this token. */
  depth: number;
}

/**
 * Scans the statement's words up to its data: whitespace, comments, quoted names and strings are skipped, and
 * parentheses counted, so `VALUES` inside a column list, a string or a function's arguments is not taken for the
 * keyword. Returns undefined for anything but INSERT … VALUES / FORMAT (SELECT, INSERT … SELECT, …).
 */
export function inlineInsertOf(sql: string): InlineInsert | undefined {
  let pos = 0;
  let depth = 0;
  const next = (): HeadToken | undefined => {
    for (;;) {
      while (pos < sql.length && /\s/.test(sql[pos]!)) pos++;
      if (sql.startsWith('--', pos) || sql[pos] === '#') {
        const eol = sql.indexOf('\n', pos);
        pos = eol < 0 ? sql.length : eol + 1;
        continue;
      }
      if (sql.startsWith('/*', pos)) {
        const close = sql.indexOf('*/', pos + 2);
        pos = close < 0 ? sql.length : close + 2;
        continue;
      }
      break;
    }
    if (pos >= sql.length) return undefined;
    const start = pos;
    const c = sql[pos]!;
    const before = depth;
    if (c === "'" || c === '`' || c === '"') {
      pos++;
      while (pos < sql.length && sql[pos] !== c) pos += sql[pos] === '\\' ? 2 : 1;
      pos++;
      return { word: undefined, start, end: Math.min(pos, sql.length), depth: before };
    }
    if (/[A-Za-z_]/.test(c)) {
      while (pos < sql.length && /[A-Za-z0-9_$]/.test(sql[pos]!)) pos++;
      return { word: sql.slice(start, pos).toUpperCase(), start, end: pos, depth: before };
    }
    pos++;
    if (c === '(' || c === '[') depth++;
    else if ((c === ')' || c === ']') && depth > 0) depth--;
    return { word: undefined, start, end: pos, depth: before };
  };

  let token = next();
  if (token?.word !== 'INSERT') return undefined;
  token = next();
  if (token?.word !== 'INTO') return undefined;
  // The table (or table function) name comes first: a table may well be called `values` or `format`.
  token = next();
  if (token?.word === 'TABLE' || token?.word === 'FUNCTION') token = next();
  let previous = token;
  for (token = next(); token !== undefined; previous = token, token = next()) {
    if (token.depth > 0 || token.word === undefined) continue;
    // `db.values`: a word after a dot is a name.
    if (previous !== undefined && previous.word === undefined && sql.slice(previous.start, previous.end) === '.')
      continue;
    if (token.word === 'SELECT' || token.word === 'WITH' || token.word === 'FROM') return undefined;
    if (token.word === 'VALUES') {
      return { format: 'Values', data: sql.slice(token.end), head: sql.slice(0, token.end).trim() };
    }
    if (token.word === 'FORMAT') {
      const name = next();
      if (name === undefined) return undefined;
      // The data starts after the format name's line: spaces and tabs, then one line end (ParserInsertQuery).
      let start = name.end;
      while (sql[start] === ' ' || sql[start] === '\t') start++;
      if (sql[start] === '\r') start++;
      if (sql[start] === '\n') start++;
      return { format: sql.slice(name.start, name.end), data: sql.slice(start), head: sql.slice(0, name.end).trim() };
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// The data, parsed against the INSERT's header block
// ---------------------------------------------------------------------------------------------------------------

/** Formats this client parses itself for a server that asks for the data as blocks. */
const TEXT_FORMATS = new Set(['values', 'csv', 'tsv', 'tabseparated']);

/** The inline data has nothing but whitespace (and a statement's closing `;`). */
export function hasNoData(inline: InlineInsert): boolean {
  return /^[\s;]*$/.test(inline.data);
}

export function noDataError(inline: InlineInsert): ClickHouseNativeError {
  return new ClickHouseNativeError(
    `"${inline.head}" has no data after ${inline.format === 'Values' ? 'VALUES' : 'the format name'}: nothing was ` +
      `inserted. Write the rows in the statement (VALUES (1, 'a'), (2, 'b')), or pass them with ` +
      `client.insert({ table, values })`,
  );
}

/**
 * Parses the inline data into one array of values per header column. Throws InvalidValueError (naming column and
 * row) for a value that does not parse or fit, UnsupportedError for a format or value this client cannot read.
 */
export function parseInlineData(
  inline: InlineInsert,
  header: Block,
  timezone: string,
): { columns: ColumnarInput; rows: number } {
  const format = inline.format.toLowerCase();
  if (!TEXT_FORMATS.has(format)) {
    throw new UnsupportedError(
      `This server does not parse inline INSERT data sent over the native protocol, and this client parses only ` +
        `VALUES, CSV and TSV itself, not FORMAT ${inline.format}: nothing was inserted. Pass the rows with ` +
        `client.insert({ table, values })`,
    );
  }
  const names = header.columns.map((c) => c.name);
  const types = header.columns.map((c) => c.type);
  const values: unknown[][] = names.map(() => []);
  let rows = 0;
  const add = (cells: readonly unknown[], row: number) => {
    if (cells.length !== names.length) {
      throw new InvalidValueError(
        `the row has ${cells.length} values for the ${names.length} columns ${names.join(', ')} of "${inline.head}"`,
        { row },
      );
    }
    for (let c = 0; c < cells.length; c++) values[c]!.push(cells[c]);
    rows++;
  };
  if (format === 'values') {
    for (const [row, cells] of valuesRows(inline.data).entries()) {
      add(
        cells.map((cell, c) => valuesCell(cell, types[c] ?? 'String', timezone, { column: names[c], row })),
        row,
      );
    }
  } else {
    const lines = format === 'csv' ? csvRows(inline.data) : tsvRows(inline.data);
    for (const [row, cells] of lines.entries()) add(cells, row);
    for (let c = 0; c < names.length; c++)
      values[c] = textColumn(values[c]! as Array<string | null>, types[c]!, timezone, names[c]!);
  }
  const columns: ColumnarInput = Object.create(null) as ColumnarInput;
  names.forEach((name, c) => (columns[name] = values[c]!));
  return { columns, rows };
}

/** A VALUES cell: its source text and tokens. */
interface Cell {
  text: string;
  tokens: Token[];
}

/** Splits VALUES data into rows of cells: `(a, b), (c, d)`; commas between rows are optional, as in the server. */
function valuesRows(data: string): Cell[][] {
  const source = data.replace(/[\s;]*$/, '');
  let tokens: Token[];
  try {
    tokens = tokenize(source);
  } catch (error) {
    throw new InvalidValueError(`the VALUES data does not parse: ${(error as Error).message}`);
  }
  const rows: Cell[][] = [];
  let i = 0;
  const at = (t: Token) => `at position ${t.pos} (found ${t.kind === 'end' ? 'the end' : `'${t.text}'`})`;
  while (tokens[i]!.kind !== 'end') {
    const open = tokens[i]!;
    if (!(open.kind === 'op' && open.text === '(')) {
      throw new InvalidValueError(`the VALUES data does not parse: expected '(' ${at(open)}`, { row: rows.length });
    }
    i++;
    const cells: Cell[] = [];
    let depth = 0;
    let cellStart = i;
    for (;;) {
      const t = tokens[i]!;
      if (t.kind === 'end')
        throw new InvalidValueError(`the VALUES data does not parse: a row is not closed`, { row: rows.length });
      if (t.kind === 'op' && (t.text === '(' || t.text === '[' || t.text === '{')) depth++;
      else if (t.kind === 'op' && (t.text === ']' || t.text === '}')) depth--;
      else if (t.kind === 'op' && t.text === ')' && depth > 0) depth--;
      else if (t.kind === 'op' && (t.text === ',' || t.text === ')') && depth === 0) {
        if (i === cellStart) {
          if (t.text === ')' && cells.length === 0) break; // ()
          throw new InvalidValueError(`the VALUES data does not parse: a value is missing ${at(t)}`, {
            row: rows.length,
          });
        }
        const first = tokens[cellStart]!;
        cells.push({ text: source.slice(first.pos, t.pos).trim(), tokens: tokens.slice(cellStart, i) });
        cellStart = i + 1;
        if (t.text === ')') break;
      }
      i++;
    }
    i++;
    rows.push(cells);
    const sep = tokens[i]!;
    if (sep.kind === 'op' && sep.text === ',') i++;
  }
  return rows;
}

/** The type inside Nullable(…) and LowCardinality(…). */
function baseType(type: string): string {
  let t = type.trim();
  for (;;) {
    const m = /^(?:Nullable|LowCardinality)\((.*)\)$/s.exec(t);
    if (!m) return t;
    t = m[1]!.trim();
  }
}

const INTEGER = /^U?Int(8|16|32|64|128|256)$/;
const FLOAT = /^(?:Float(32|64)|BFloat16)$/;
const DECIMAL = /^Decimal(?:32|64|128|256)?\(/;
/** Types the column codecs take as text exactly as written in a literal. */
const TEXT_AS_IS = /^(?:String|FixedString\(|Enum(?:8|16)?\(|UUID$|IPv4$|IPv6$)/;

/**
 * One VALUES cell as the value the column codec takes. Plain literals go to the codec as they are (it checks ranges,
 * whole numbers, NULL into a non-Nullable column, and names column and row); dates, arrays, tuples, maps and
 * expressions are evaluated the way the server would, in its time zone.
 */
function valuesCell(
  cell: Cell,
  type: string,
  timezone: string,
  where: { column: string | undefined; row: number },
): unknown {
  const base = baseType(type);
  const [a, b] = cell.tokens;
  const single = cell.tokens.length === 1;
  if (single && a!.kind === 'identifier' && a!.text.toUpperCase() === 'NULL') return null;
  const signed =
    cell.tokens.length === 2 && a!.kind === 'op' && (a!.text === '-' || a!.text === '+') && b!.kind === 'number';
  const negative = signed && a!.text === '-';
  const digits = single && a!.kind === 'number' ? a!.text : signed ? b!.text : undefined;
  const number = digits === undefined ? undefined : `${negative ? '-' : ''}${digits}`;
  if (digits !== undefined && /^(?:\d+|0[xX][0-9a-fA-F]+|0[bB][01]+)$/.test(digits) && INTEGER.test(base)) {
    const big = negative ? -BigInt(digits) : BigInt(digits);
    return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
  }
  if (number !== undefined && INTEGER.test(base)) {
    throw new InvalidValueError(`${number} is not a whole number`, { ...where, type });
  }
  if (number !== undefined && FLOAT.test(base) && !/^0[xXbB]/.test(digits!)) return Number(number);
  if ((number !== undefined || (single && a!.kind === 'string')) && DECIMAL.test(base)) return number ?? a!.text;
  if (single && a!.kind === 'string' && TEXT_AS_IS.test(base)) return stringTokenValue(a!.text);
  try {
    return compileExpression(cell.text, {}, { timezone, resultType: type }).evaluate({}, 1)[0];
  } catch (error) {
    if (error instanceof UnsupportedExpressionError) {
      throw new UnsupportedError(
        `This server does not parse inline INSERT data sent over the native protocol, and this client cannot ` +
          `evaluate the value ${cell.text} as ${type} (column ${where.column}, row ${where.row}): ${error.message}. ` +
          `Nothing was inserted. Pass the rows with client.insert({ table, values })`,
        { cause: error },
      );
    }
    throw error;
  }
}

/** TSV lines into fields: `\t` between fields, backslash escapes, `\N` for NULL (null here). */
function tsvRows(data: string): Array<Array<string | null>> {
  const text = data.replace(/[\r\n]+$/, '');
  if (text === '') return [];
  return text.split('\n').map((line) =>
    line
      .replace(/\r$/, '')
      .split('\t')
      .map((field) => {
        if (field === '\\N') return null;
        return field.replace(/\\(.)/g, (_, e: string) => TSV_UNESCAPES[e] ?? e);
      }),
  );
}

const TSV_UNESCAPES: Readonly<Record<string, string>> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', '0': '\0' };

/** CSV records into fields: `,` between fields, `"…"` quoting with `""` for a quote, `\N` unquoted for NULL. */
function csvRows(data: string): Array<Array<string | null>> {
  const rows: Array<Array<string | null>> = [];
  let fields: Array<string | null> = [];
  let i = 0;
  // Line ends after the last record are not an empty record.
  const n = data.replace(/[\r\n]+$/, '').length;
  while (i < n) {
    let field: string | null;
    const q = data[i];
    if (q === '"' || q === "'") {
      let out = '';
      i++;
      for (;;) {
        if (i >= n) throw new InvalidValueError('the CSV data has an unclosed quote', { row: rows.length });
        if (data[i] === q) {
          if (data[i + 1] === q) {
            out += q;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        out += data[i++];
      }
      field = out;
    } else {
      let end = i;
      while (end < n && data[end] !== ',' && data[end] !== '\n' && data[end] !== '\r') end++;
      const raw = data.slice(i, end);
      field = raw === '\\N' ? null : raw;
      i = end;
    }
    fields.push(field);
    if (data[i] === ',') {
      i++;
      continue;
    }
    if (data[i] === '\r') i++;
    if (i < n && data[i] !== '\n')
      throw new InvalidValueError(`the CSV data has text after a quoted field`, { row: rows.length });
    i++;
    rows.push(fields);
    fields = [];
  }
  if (fields.length > 0) rows.push(fields);
  return rows;
}

/**
 * A text column (CSV/TSV fields, null for \N) as the values its codec takes: strings for text-like types and
 * decimals, otherwise parsed from text the way CAST(text AS type) does on the server, in its time zone.
 */
function textColumn(fields: Array<string | null>, type: string, timezone: string, column: string): unknown[] {
  const base = baseType(type);
  if (TEXT_AS_IS.test(base) || DECIMAL.test(base)) return fields;
  const present: string[] = [];
  const at: number[] = [];
  fields.forEach((f, row) => {
    if (f !== null) {
      present.push(f);
      at.push(row);
    }
  });
  const out: unknown[] = fields.map(() => null);
  if (present.length === 0) return out;
  let converted: ArrayLike<unknown>;
  try {
    converted = compileExpression('x', { x: 'String' }, { timezone, resultType: base }).evaluate(
      { x: present },
      present.length,
    );
  } catch (error) {
    if (error instanceof UnsupportedExpressionError) {
      throw new UnsupportedError(
        `This server does not parse inline INSERT data sent over the native protocol, and this client cannot read ` +
          `every field of column ${column} as ${type}: ${error.message}. Nothing was inserted. Pass the rows with ` +
          `client.insert({ table, values })`,
        { cause: error },
      );
    }
    throw error;
  }
  for (let i = 0; i < at.length; i++) out[at[i]!] = converted[i];
  return out;
}
