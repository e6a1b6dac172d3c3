/**
 * Tokens of ClickHouse SQL expressions, as the server's Lexer (src/Parsers/Lexer.cpp) cuts them: numbers (decimal,
 * hex, binary, floats with exponents), single-quoted strings, back- or double-quoted identifiers, operators.
 */
import { UnsupportedExpressionError } from '../errors.js';
import { UNESCAPES } from '../columns/type-parser.js';

export type TokenKind = 'number' | 'string' | 'identifier' | 'quotedIdentifier' | 'op' | 'end';

export interface Token {
  kind: TokenKind;
  /** Operator text, identifier name (unescaped), string value (unescaped) or number text. */
  text: string;
  /** Offset in the source, for error messages. */
  pos: number;
}

// Longest first: the lexer takes the longest operator that matches.
const OPERATORS = [
  '->',
  '::',
  '||',
  '<=',
  '>=',
  '!=',
  '<>',
  '==',
  '<',
  '>',
  '=',
  '+',
  '-',
  '*',
  '/',
  '%',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  ',',
  '.',
  '?',
  ':',
];

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isWordStart = (c: string | undefined): boolean => c !== undefined && /[A-Za-z_\u0080-\uffff]/.test(c);
const isWordChar = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_\u0080-\uffff$]/.test(c);

export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  const fail = (what: string, at = pos): never => {
    throw new UnsupportedExpressionError(`Cannot parse expression "${source}": ${what} at position ${at}`);
  };
  const quoted = (quote: string): string => {
    const open = pos;
    pos++;
    let out = '';
    // Strings are byte strings in ClickHouse; \xHH escapes above 0x7f are kept as Latin-1 code units here and
    // re-read as bytes by the parser (see parseStringBytes), so the literal keeps its exact bytes.
    for (;;) {
      if (pos >= source.length) fail(`unterminated ${quote}-quoted literal`, open);
      const c = source[pos++]!;
      if (c === quote) {
        if (source[pos] === quote) {
          out += quote;
          pos++;
          continue;
        }
        return out;
      }
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = source[pos++];
      if (e === undefined) fail('unterminated escape', open);
      if (e === 'x' || e === 'X') {
        const hex = source.slice(pos, pos + 2);
        if (!/^[0-9A-Fa-f]{2}$/.test(hex)) fail('expected two hex digits after \\x');
        out += `\u0000x${hex}`; // marker decoded into a raw byte later
        pos += 2;
      } else {
        out += UNESCAPES[e!] ?? e;
      }
    }
  };

  while (pos < source.length) {
    const c = source[pos]!;
    if (/\s/.test(c)) {
      pos++;
      continue;
    }
    if (c === '-' && source[pos + 1] === '-') {
      while (pos < source.length && source[pos] !== '\n') pos++;
      continue;
    }
    if (c === '/' && source[pos + 1] === '*') {
      const close = source.indexOf('*/', pos + 2);
      if (close < 0) fail('unterminated comment');
      pos = close + 2;
      continue;
    }
    const start = pos;
    const prev = tokens[tokens.length - 1];
    // `t.1` is a tuple element access, not the float .1: after a word or a closing bracket, '.' is an operator.
    const afterOperand =
      prev !== undefined &&
      (prev.kind === 'identifier' ||
        prev.kind === 'quotedIdentifier' ||
        (prev.kind === 'op' && (prev.text === ')' || prev.text === ']')));
    const afterDot = prev?.kind === 'op' && prev.text === '.';
    if (isDigit(c) || (c === '.' && isDigit(source[pos + 1]) && !afterOperand)) {
      let m: RegExpExecArray | null;
      const rest = source.slice(pos);
      if (afterDot) m = /^\d+/.exec(rest);
      else
        m =
          /^0[xX][0-9a-fA-F]+(?:\.[0-9a-fA-F]*)?(?:[pP][-+]?\d+)?/.exec(rest) ??
          /^0[bB][01]+/.exec(rest) ??
          /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?/.exec(rest);
      pos += m![0].length;
      if (isWordChar(source[pos])) fail('malformed number');
      tokens.push({ kind: 'number', text: m![0], pos: start });
      continue;
    }
    if (c === "'") {
      tokens.push({ kind: 'string', text: quoted("'"), pos: start });
      continue;
    }
    if (c === '`' || c === '"') {
      tokens.push({ kind: 'quotedIdentifier', text: quoted(c), pos: start });
      continue;
    }
    if (isWordStart(c)) {
      while (isWordChar(source[pos])) pos++;
      tokens.push({ kind: 'identifier', text: source.slice(start, pos), pos: start });
      continue;
    }
    const op = OPERATORS.find((o) => source.startsWith(o, pos));
    if (op === undefined) fail(`unexpected character '${c}'`);
    pos += op!.length;
    tokens.push({ kind: 'op', text: op!, pos: start });
  }
  tokens.push({ kind: 'end', text: '', pos });
  return tokens;
}

/**
 * The bytes of a string token: characters as UTF-8, `\xHH` escapes as the raw byte (ClickHouse strings are byte
 * strings, so '\xFF' is one byte that is not valid UTF-8).
 */
export function stringTokenValue(text: string): string | Uint8Array {
  if (!text.includes('\u0000x')) return text;
  const parts: number[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === '\u0000' && text[i + 1] === 'x' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 2, i + 4))) {
      parts.push(parseInt(text.slice(i + 2, i + 4), 16));
      i += 4;
      continue;
    }
    const cp = text.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    for (const b of Buffer.from(ch, 'utf8')) parts.push(b);
    i += ch.length;
  }
  const bytes = Buffer.from(parts);
  // Keep a JS string when the bytes are valid UTF-8 (the common case: '\x41').
  const asText = bytes.toString('utf8');
  return Buffer.from(asText, 'utf8').equals(bytes) ? asText : bytes;
}
