/**
 * ClickHouse type names (the text in every block column header, docs/protocol.md §6) parsed into a tree, and printed
 * back the way the server prints them.
 *
 * The grammar is the one the server emits: `Name` or `Name(arg, ...)`, where an argument is
 *   - a nested type:                  `Array(Nullable(String))`, `AggregateFunction(quantiles(0.5), UInt64)`
 *   - a number:                       `FixedString(16)`, `Decimal(10, 2)`, `quantiles(0.5, 0.9)`
 *   - a quoted string:                `DateTime('Asia/Tokyo')`, `Object('json')`, auto-numbered `Enum8('a', 'b')`
 *   - an enum entry `'name' = value`: `Enum8('a\'b' = 1, 'c' = -2)`
 *   - a named element `name Type`:    `Tuple(a UInt8, \`b c\` String)`, `Nested(...)`, `JSON(a.b UInt32)`
 *   - a setting `name=value`:         `Dynamic(max_types=10)`, `JSON(max_dynamic_paths=10)`
 *   - in JSON only, `SKIP path` and `SKIP REGEXP 'pattern'`.
 * Strings use SQL single quotes with backslash escapes (`\'`, `\\`, `\n`, `\xHH`, ...) or a doubled quote (`''`).
 * Identifiers may be back-quoted or double-quoted. Whitespace between tokens is ignored.
 */
import { UnsupportedError } from '../errors.js';

export interface TypeNode {
  /** The family name, e.g. `Nullable`, `DateTime64`, or an aggregate function name inside AggregateFunction. */
  name: string;
  args: TypeArg[];
  /** Set when the name was followed by `()` with nothing inside (`Tuple()`), so printing keeps the parentheses. */
  emptyParens?: true;
}

export type TypeArg =
  | { kind: 'type'; type: TypeNode }
  /** `text` is the number as written (lossless for 64-bit parameters); `value` is its JS number. */
  | { kind: 'number'; text: string; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'enum'; name: string; value: number }
  | { kind: 'named'; name: string; type: TypeNode }
  | { kind: 'setting'; name: string; value: TypeArg }
  | { kind: 'skip'; path: string }
  | { kind: 'skipRegexp'; pattern: string };

/** Parses a type name; a malformed one throws UnsupportedError saying what was expected where. */
export function parseType(text: string): TypeNode {
  const parser = new Parser(text);
  parser.skipSpace();
  const node = parser.type();
  parser.skipSpace();
  if (parser.pos < text.length) parser.fail('unexpected text after the type');
  return node;
}

/** Prints a type tree the way ClickHouse prints type names (`Enum8('a' = 1)`, `Tuple(a UInt8, b String)`). */
export function formatType(node: TypeNode): string {
  if (node.args.length === 0) return node.emptyParens ? `${node.name}()` : node.name;
  return `${node.name}(${node.args.map(formatArg).join(', ')})`;
}

export function formatArg(arg: TypeArg): string {
  switch (arg.kind) {
    case 'type':
      return formatType(arg.type);
    case 'number':
      return arg.text;
    case 'string':
      return quoteString(arg.value);
    case 'enum':
      return `${quoteString(arg.name)} = ${arg.value}`;
    case 'named':
      return `${quoteIdentifier(arg.name)} ${formatType(arg.type)}`;
    case 'setting':
      return `${arg.name}=${formatArg(arg.value)}`;
    case 'skip':
      return `SKIP ${quoteIdentifier(arg.path)}`;
    case 'skipRegexp':
      return `SKIP REGEXP ${quoteString(arg.pattern)}`;
  }
}

/** SQL single-quoted string with the escapes ClickHouse's writeQuotedString uses. */
export function quoteString(value: string): string {
  return `'${escapeString(value)}'`;
}

/** An identifier, back-quoted unless it is a plain word (what ClickHouse's backQuoteIfNeed does). */
export function quoteIdentifier(name: string): string {
  return PLAIN_IDENTIFIER.test(name) ? name : `\`${escapeString(name, '`')}\``;
}

const PLAIN_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

const ESCAPES: Record<string, string> = {
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\0': '\\0',
  '\\': '\\\\',
};

const ESCAPED_WITH: Record<string, RegExp> = {
  "'": /[\b\f\n\r\t\0\\']/g,
  '`': /[\b\f\n\r\t\0\\`]/g,
};

/**
 * A string with ClickHouse's backslash escapes (writeAnyEscapedString): the control characters \b \f \n \r \t \0,
 * the backslash, and `quote`. It is the text of a quoted literal or name without its quotes, and the TSV form of a
 * String value (where the server escapes the single quote too).
 */
export function escapeString(value: string, quote: "'" | '`' = "'"): string {
  return value.replace(ESCAPED_WITH[quote]!, (ch) => ESCAPES[ch] ?? `\\${ch}`);
}

/** The backslash escapes of ClickHouse string literals (quoted names in types, and SQL in expressions). */
export const UNESCAPES: Readonly<Record<string, string>> = {
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  '0': '\0',
  a: '\x07',
  v: '\v',
  e: '\x1b',
};

const isIdentStart = (c: string): boolean => /[A-Za-z_]/.test(c);
const isIdentChar = (c: string): boolean => /[A-Za-z0-9_]/.test(c);

class Parser {
  pos = 0;
  constructor(private readonly text: string) {}

  fail(what: string): never {
    const found = this.pos < this.text.length ? `'${this.text[this.pos]}'` : 'the end';
    throw new UnsupportedError(`Malformed type name "${this.text}": ${what} at position ${this.pos} (found ${found})`);
  }

  private peek(): string {
    return this.text[this.pos] ?? '';
  }

  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }

  type(): TypeNode {
    if (!isIdentStart(this.peek())) this.fail('expected a type name');
    const name = this.word();
    return this.typeRest(name);
  }

  /** After a type's name: its optional parenthesized arguments. */
  private typeRest(name: string): TypeNode {
    this.skipSpace();
    if (this.peek() !== '(') return { name, args: [] };
    this.pos++;
    this.skipSpace();
    if (this.peek() === ')') {
      this.pos++;
      return { name, args: [], emptyParens: true };
    }
    const args: TypeArg[] = [];
    for (;;) {
      this.skipSpace();
      args.push(this.arg(name));
      this.skipSpace();
      const c = this.peek();
      this.pos++;
      if (c === ')') return { name, args };
      if (c !== ',') {
        this.pos--;
        this.fail(`expected ',' or ')' in the arguments of ${name}`);
      }
    }
  }

  private arg(parent: string): TypeArg {
    const c = this.peek();
    if (c === "'") {
      const value = this.string();
      this.skipSpace();
      if (this.peek() !== '=') return { kind: 'string', value };
      this.pos++;
      this.skipSpace();
      const number = this.number();
      if (!Number.isSafeInteger(number.value)) this.fail(`expected an integer value for enum entry '${value}'`);
      return { kind: 'enum', name: value, value: number.value };
    }
    if (c === '-' || c === '+' || /[0-9]/.test(c)) return this.number();
    if (c === '`' || c === '"') {
      const name = this.quoted(c);
      this.skipSpace();
      return { kind: 'named', name, type: this.type() };
    }
    if (!isIdentStart(c)) this.fail(`expected an argument of ${parent}`);
    const start = this.pos;
    const word = this.dottedWord();
    this.skipSpace();
    const next = this.peek();
    if (next === '=') {
      this.pos++;
      this.skipSpace();
      const value = this.peek() === "'" ? { kind: 'string' as const, value: this.string() } : this.settingValue();
      return { kind: 'setting', name: word, value };
    }
    if (parent === 'JSON' && word === 'SKIP') return this.skip();
    if (isIdentStart(next)) return { kind: 'named', name: word, type: this.type() };
    if (word.includes('.')) {
      this.pos = start;
      this.fail('expected a type name');
    }
    return { kind: 'type', type: this.typeRest(word) };
  }

  private settingValue(): TypeArg {
    const c = this.peek();
    if (c === '-' || c === '+' || /[0-9]/.test(c)) return this.number();
    if (isIdentStart(c)) return { kind: 'type', type: this.type() };
    return this.fail('expected a setting value');
  }

  private skip(): TypeArg {
    const c = this.peek();
    if (c === '`' || c === '"') return { kind: 'skip', path: this.quoted(c) };
    if (!isIdentStart(c)) this.fail('expected a path after SKIP');
    const word = this.dottedWord();
    this.skipSpace();
    if (word === 'REGEXP' && this.peek() === "'") return { kind: 'skipRegexp', pattern: this.string() };
    return { kind: 'skip', path: word };
  }

  private word(): string {
    const start = this.pos;
    while (this.pos < this.text.length && isIdentChar(this.text[this.pos]!)) this.pos++;
    return this.text.slice(start, this.pos);
  }

  /** A word, or a dotted path of words (JSON typed paths are written `a.b UInt32`). */
  private dottedWord(): string {
    let word = this.word();
    while (this.peek() === '.' && isIdentChar(this.text[this.pos + 1] ?? '')) {
      this.pos++;
      word += `.${this.word()}`;
    }
    return word;
  }

  private number(): Extract<TypeArg, { kind: 'number' }> {
    const match = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?/.exec(this.text.slice(this.pos));
    if (!match) return this.fail('expected a number');
    this.pos += match[0].length;
    return { kind: 'number', text: match[0], value: Number(match[0]) };
  }

  /** A single-quoted string literal. */
  private string(): string {
    return this.quoted("'");
  }

  /** A literal closed by `quote`: backslash escapes, or the quote doubled. */
  private quoted(quote: string): string {
    const open = this.pos;
    this.pos++;
    let out = '';
    for (;;) {
      if (this.pos >= this.text.length) {
        this.pos = open;
        this.fail(`unterminated ${quote}-quoted literal`);
      }
      const c = this.text[this.pos++]!;
      if (c === quote) {
        if (this.text[this.pos] === quote) {
          out += quote;
          this.pos++;
          continue;
        }
        return out;
      }
      if (c !== '\\') {
        out += c;
        continue;
      }
      if (this.pos >= this.text.length) continue; // the unterminated-literal check above reports it
      const e = this.text[this.pos++]!;
      if (e === 'x' || e === 'X') {
        const hex = this.text.slice(this.pos, this.pos + 2);
        if (!/^[0-9A-Fa-f]{2}$/.test(hex)) this.fail('expected two hex digits after \\x');
        out += String.fromCharCode(parseInt(hex, 16));
        this.pos += 2;
      } else {
        out += UNESCAPES[e] ?? e;
      }
    }
  }
}
