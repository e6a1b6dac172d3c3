/**
 * The TableColumns text the server sends before an INSERT's header (docs/protocol.md §4.4, ColumnsDescription::toString):
 *
 *   columns format version: 1
 *   <N> columns:
 *   `name` Type[\t(DEFAULT|MATERIALIZED|ALIAS|EPHEMERAL)\t<expr>][\tCOMMENT '...'][\tCODEC(...)][\tSTATISTICS(...)][\tTTL <expr>][\tSETTINGS (...)]
 *
 * Names are back-quoted with backslash escapes; types (and, on newer servers, expressions) are escaped: a
 * backslash before `'`, `\`, TAB and newline. 18.16 writes expressions unescaped. `expressionEscaping: 'auto'`
 * tells them apart by which reading parses.
 */
import { ProtocolError, UnsupportedExpressionError } from '../errors.js';
import { parseExpression } from '../expressions/parser.js';

export type DefaultKind = 'DEFAULT' | 'MATERIALIZED' | 'ALIAS' | 'EPHEMERAL';

export interface ColumnDescription {
  name: string;
  type: string;
  /** Absent for plain columns. */
  defaultKind?: DefaultKind;
  /** The DEFAULT/MATERIALIZED/ALIAS/EPHEMERAL expression as SQL ('' for an EPHEMERAL column without one). */
  expression?: string;
  comment?: string;
  /** The text inside CODEC(...). */
  codec?: string;
  /** The TTL expression. */
  ttl?: string;
  /** Modifiers this parser keeps as text only (STATISTICS(...), SETTINGS (...)). */
  other?: string[];
}

export interface ParseTableColumnsOptions {
  /** Whether expressions are escaped like types (newer servers) or raw (18.16). Default 'auto'. */
  expressionEscaping?: 'escaped' | 'raw' | 'auto';
}

const ESCAPES: Record<string, string> = {
  t: '\t',
  n: '\n',
  r: '\r',
  b: '\b',
  f: '\f',
  '0': '\0',
  a: '\x07',
  v: '\v',
  e: '\x1b',
};

/** Reverses readEscapedString: `\x` is x, except the control-character letters and \xHH. */
export function unescapeText(s: string): string {
  if (!s.includes('\\')) return s;
  return s.replace(/\\(x[0-9a-fA-F]{2}|.)/gs, (_, c: string) => {
    if (c.length === 3) return String.fromCharCode(parseInt(c.slice(1), 16));
    return ESCAPES[c] ?? c;
  });
}

function fail(text: string, what: string): never {
  throw new ProtocolError(`Malformed TableColumns description: ${what}\n${text.slice(0, 500)}`);
}

/** Splits `s` at TABs that are not escaped (an escaped type never holds a raw TAB). */
function splitTabs(s: string): string[] {
  return s.split('\t');
}

function parses(sql: string): boolean {
  try {
    parseExpression(sql);
    return true;
  } catch (error) {
    if (error instanceof UnsupportedExpressionError) return false;
    throw error;
  }
}

function readExpression(raw: string, escaping: 'escaped' | 'raw' | 'auto'): string {
  if (escaping === 'raw') return raw;
  const unescaped = unescapeText(raw);
  if (escaping === 'escaped' || unescaped === raw) return unescaped;
  // 'auto': newer servers escape quotes (\'a\'), which does not parse raw; 18.16 writes 'it\'s', whose
  // unescaped form does not parse. When both parse, the newer (escaped) form wins.
  if (parses(unescaped)) return unescaped;
  return raw;
}

export function parseTableColumns(text: string, options: ParseTableColumnsOptions = {}): ColumnDescription[] {
  const escaping = options.expressionEscaping ?? 'auto';
  const lines = text.split('\n');
  if (lines[0] !== 'columns format version: 1') fail(text, 'expected "columns format version: 1"');
  const m = /^(\d+) columns:$/.exec(lines[1] ?? '');
  if (!m) fail(text, 'expected "<N> columns:"');
  const count = Number(m[1]);
  const columns: ColumnDescription[] = [];
  for (let i = 0; i < count; i++) {
    const line = lines[2 + i];
    if (line === undefined) fail(text, `expected ${count} columns, found ${i}`);
    columns.push(parseColumnLine(line, escaping, text));
  }
  const rest = lines.slice(2 + count);
  if (rest.some((l) => l !== '')) fail(text, 'unexpected text after the columns');
  return columns;
}

function parseColumnLine(line: string, escaping: 'escaped' | 'raw' | 'auto', text: string): ColumnDescription {
  if (line[0] !== '`') fail(text, `a column line must start with a back-quoted name: ${line}`);
  let pos = 1;
  let name = '';
  for (;;) {
    const c = line[pos++];
    if (c === undefined) fail(text, `unterminated column name: ${line}`);
    if (c === '`') break;
    if (c === '\\') {
      const e = line[pos++];
      if (e === undefined) fail(text, `unterminated column name: ${line}`);
      name += ESCAPES[e] ?? e;
    } else name += c;
  }
  if (line[pos] !== ' ') fail(text, `expected a space after the name of ${name}`);
  const [typeText, ...modifiers] = splitTabs(line.slice(pos + 1));
  const column: ColumnDescription = { name, type: unescapeText(typeText!) };
  for (let k = 0; k < modifiers.length; k++) {
    const mod = modifiers[k]!;
    if (mod === 'DEFAULT' || mod === 'MATERIALIZED' || mod === 'ALIAS' || mod === 'EPHEMERAL') {
      column.defaultKind = mod;
      const expr = modifiers[k + 1];
      const isModifier = expr !== undefined && /^(COMMENT |CODEC\(|STATISTICS\(|TTL |SETTINGS )/.test(expr);
      if (expr === undefined || (isModifier && mod === 'EPHEMERAL')) {
        column.expression = '';
        continue;
      }
      column.expression = readExpression(expr, escaping);
      k++;
    } else if (mod.startsWith('COMMENT ')) {
      const lit = mod.slice(8);
      const quoted = /^'((?:[^'\\]|\\.)*)'$/s.exec(lit);
      column.comment = quoted ? unescapeText(quoted[1]!) : lit;
    } else if (mod.startsWith('CODEC(') && mod.endsWith(')')) {
      column.codec = mod.slice(6, -1);
    } else if (mod.startsWith('TTL ')) {
      column.ttl = readExpression(mod.slice(4), escaping);
    } else {
      (column.other ??= []).push(mod);
    }
  }
  return column;
}
