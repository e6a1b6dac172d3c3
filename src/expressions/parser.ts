/**
 * A parser for ClickHouse SQL expressions, with the server's operator priorities (ExpressionListParsers.cpp,
 * lowest first):
 *   `->` lambda · `?:` · OR · AND · NOT · IS [NOT] NULL · [NOT] BETWEEN · comparisons, [NOT] [I]LIKE, [NOT] IN ·
 *   `||` · `+ -` · `* / % MOD DIV` · unary `-` · postfix `.N`, `[i]`, `::T`.
 * Operators become the function calls the server makes of them (`a + b` → plus(a, b)), so the evaluator only
 * knows functions.
 */
import { UnsupportedExpressionError } from '../errors.js';
import { call, literal, type Expr } from './ast.js';
import { stringTokenValue, tokenize, type Token } from './lexer.js';

const COMPARISONS: Record<string, string> = {
  '=': 'equals',
  '==': 'equals',
  '!=': 'notEquals',
  '<>': 'notEquals',
  '<': 'less',
  '>': 'greater',
  '<=': 'lessOrEquals',
  '>=': 'greaterOrEquals',
};

const INTERVAL_UNITS: Record<string, string> = {
  NANOSECOND: 'Nanosecond',
  NS: 'Nanosecond',
  MICROSECOND: 'Microsecond',
  US: 'Microsecond',
  MILLISECOND: 'Millisecond',
  MS: 'Millisecond',
  SECOND: 'Second',
  SS: 'Second',
  S: 'Second',
  MINUTE: 'Minute',
  MI: 'Minute',
  N: 'Minute',
  HOUR: 'Hour',
  HH: 'Hour',
  H: 'Hour',
  DAY: 'Day',
  DD: 'Day',
  D: 'Day',
  WEEK: 'Week',
  WK: 'Week',
  WW: 'Week',
  MONTH: 'Month',
  MM: 'Month',
  M: 'Month',
  QUARTER: 'Quarter',
  QQ: 'Quarter',
  Q: 'Quarter',
  YEAR: 'Year',
  YYYY: 'Year',
  YY: 'Year',
};

function intervalUnit(word: string): string | undefined {
  const w = word.toUpperCase().replace(/^SQL_TSI_/, '');
  return INTERVAL_UNITS[w] ?? INTERVAL_UNITS[w.replace(/S$/, '')];
}

/** Parses one expression; a syntax error (or a construct this client does not model) is UnsupportedExpressionError. */
export function parseExpression(source: string): Expr {
  const parser = new Parser(source);
  const e = parser.expression();
  parser.expectEnd();
  return e;
}

class Parser {
  private readonly tokens: Token[];
  private i = 0;

  constructor(private readonly source: string) {
    this.tokens = tokenize(source);
  }

  private get tok(): Token {
    return this.tokens[this.i]!;
  }
  private peek(n = 1): Token {
    return this.tokens[Math.min(this.i + n, this.tokens.length - 1)]!;
  }
  private fail(what: string, at: Token = this.tok): never {
    throw new UnsupportedExpressionError(
      `Cannot parse expression "${this.source}": ${what} at position ${at.pos}` +
        (at.kind === 'end' ? ' (the end)' : ` (found '${at.text}')`),
      { expression: this.source },
    );
  }
  private isOp(text: string, t: Token = this.tok): boolean {
    return t.kind === 'op' && t.text === text;
  }
  private isWord(word: string, t: Token = this.tok): boolean {
    return t.kind === 'identifier' && t.text.toUpperCase() === word;
  }
  private eatOp(text: string): boolean {
    if (!this.isOp(text)) return false;
    this.i++;
    return true;
  }
  private eatWord(word: string): boolean {
    if (!this.isWord(word)) return false;
    this.i++;
    return true;
  }
  private expectOp(text: string): void {
    if (!this.eatOp(text)) this.fail(`expected '${text}'`);
  }
  private expectWord(word: string): void {
    if (!this.eatWord(word)) this.fail(`expected ${word}`);
  }
  expectEnd(): void {
    if (this.tok.kind !== 'end') this.fail('unexpected text after the expression');
  }

  /** An expression, possibly a lambda, possibly with an alias (`expr AS name`, which is dropped). */
  expression(): Expr {
    const lambda = this.tryLambda();
    if (lambda) return lambda;
    const e = this.ternary();
    if (this.isWord('AS') && (this.peek().kind === 'identifier' || this.peek().kind === 'quotedIdentifier'))
      this.i += 2;
    return e;
  }

  private tryLambda(): Expr | undefined {
    const t = this.tok;
    if ((t.kind === 'identifier' || t.kind === 'quotedIdentifier') && this.isOp('->', this.peek())) {
      this.i += 2;
      return { kind: 'lambda', params: [t.text], body: this.expression() };
    }
    if (this.isOp('(')) {
      const params: string[] = [];
      let j = this.i + 1;
      for (;;) {
        const p = this.tokens[j]!;
        if (p.kind !== 'identifier' && p.kind !== 'quotedIdentifier') return undefined;
        params.push(p.text);
        const sep = this.tokens[j + 1]!;
        j += 2;
        if (this.isOp(')', sep)) break;
        if (!this.isOp(',', sep)) return undefined;
      }
      if (!this.isOp('->', this.tokens[j]!)) return undefined;
      this.i = j + 1;
      return { kind: 'lambda', params, body: this.expression() };
    }
    return undefined;
  }

  private ternary(): Expr {
    const cond = this.or();
    if (!this.eatOp('?')) return cond;
    const then = this.expression();
    this.expectOp(':');
    const otherwise = this.expression();
    return call('if', cond, then, otherwise);
  }

  private or(): Expr {
    const first = this.and();
    if (!this.isWord('OR')) return first;
    // OR and AND are n-ary in the server's tree: or(a, b, c).
    const args = [first];
    while (this.eatWord('OR')) args.push(this.and());
    return call('or', ...args);
  }

  private and(): Expr {
    const first = this.not();
    if (!this.isWord('AND')) return first;
    const args = [first];
    while (this.eatWord('AND')) args.push(this.not());
    return call('and', ...args);
  }

  private not(): Expr {
    if (this.isWord('NOT') && !this.isOp('(', this.peek())) {
      this.i++;
      return call('not', this.not());
    }
    return this.isNull();
  }

  private isNull(): Expr {
    let e = this.between();
    while (this.isWord('IS')) {
      this.i++;
      const negated = this.eatWord('NOT');
      this.expectWord('NULL');
      e = call(negated ? 'isNotNull' : 'isNull', e);
    }
    return e;
  }

  private between(): Expr {
    let e = this.comparison();
    for (;;) {
      const negated = this.isWord('NOT') && this.isWord('BETWEEN', this.peek());
      if (!negated && !this.isWord('BETWEEN')) return e;
      this.i += negated ? 2 : 1;
      const low = this.comparison();
      this.expectWord('AND');
      const high = this.comparison();
      e = negated
        ? call('or', call('less', e, low), call('greater', e, high))
        : call('and', call('greaterOrEquals', e, low), call('lessOrEquals', e, high));
    }
  }

  private comparison(): Expr {
    let e = this.concat();
    for (;;) {
      const t = this.tok;
      if (t.kind === 'op' && COMPARISONS[t.text]) {
        this.i++;
        e = call(COMPARISONS[t.text]!, e, this.concat());
        continue;
      }
      let negated = false;
      let j = 0;
      if (this.isWord('NOT')) {
        negated = true;
        j = 1;
      }
      const word = this.peek(j);
      const w = word.kind === 'identifier' ? word.text.toUpperCase() : '';
      if (w === 'GLOBAL' && this.isWord('IN', this.peek(j + 1))) {
        this.i += j + 2;
        e = call(negated ? 'notIn' : 'in', e, this.concat());
      } else if (w === 'IN') {
        this.i += j + 1;
        e = call(negated ? 'notIn' : 'in', e, this.concat());
      } else if (w === 'LIKE' || w === 'ILIKE') {
        this.i += j + 1;
        const name = w === 'LIKE' ? 'like' : 'ilike';
        e = call(negated ? `not${name === 'like' ? 'Like' : 'ILike'}` : name, e, this.concat());
      } else if (w === 'REGEXP' && !negated) {
        this.i += 1;
        e = call('match', e, this.concat());
      } else return e;
    }
  }

  private concat(): Expr {
    const first = this.additive();
    if (!this.isOp('||')) return first;
    const args = [first];
    while (this.eatOp('||')) args.push(this.additive());
    return call('concat', ...args);
  }

  private additive(): Expr {
    let e = this.multiplicative();
    for (;;) {
      if (this.eatOp('+')) e = call('plus', e, this.multiplicative());
      else if (this.eatOp('-')) e = call('minus', e, this.multiplicative());
      else return e;
    }
  }

  private multiplicative(): Expr {
    let e = this.unary();
    for (;;) {
      if (this.eatOp('*')) e = call('multiply', e, this.unary());
      else if (this.eatOp('/')) e = call('divide', e, this.unary());
      else if (this.eatOp('%') || this.eatWord('MOD')) e = call('modulo', e, this.unary());
      else if (this.eatWord('DIV')) e = call('intDiv', e, this.unary());
      else return e;
    }
  }

  private unary(): Expr {
    if (this.eatOp('-')) {
      const operand = this.unary();
      // The server reads `-1` as the literal -1 (type Int8), not negate(1) (type Int16).
      if (operand.kind === 'literal' && operand.value.kind === 'integer' && operand.value.value > 0n) {
        return literal({ kind: 'integer', value: -operand.value.value });
      }
      if (operand.kind === 'literal' && operand.value.kind === 'float')
        return literal({ kind: 'float', value: -operand.value.value });
      return call('negate', operand);
    }
    if (this.eatOp('+')) return this.unary();
    return this.postfix(this.primary());
  }

  private postfix(e: Expr): Expr {
    for (;;) {
      if (this.isOp('.')) {
        const next = this.peek();
        if (next.kind === 'number' && /^\d+$/.test(next.text)) {
          this.i += 2;
          e = call('tupleElement', e, literal({ kind: 'integer', value: BigInt(next.text) }));
        } else if (next.kind === 'identifier' || next.kind === 'quotedIdentifier') {
          this.i += 2;
          // `a.b` is a column named "a.b" (Nested) or element b of tuple a: the compiler decides.
          e =
            e.kind === 'identifier'
              ? { kind: 'identifier', name: `${e.name}.${next.text}` }
              : call('tupleElement', e, literal({ kind: 'string', value: next.text }));
        } else this.fail('expected a tuple element after .');
      } else if (this.eatOp('[')) {
        const index = this.expression();
        this.expectOp(']');
        e = call('arrayElement', e, index);
      } else if (this.eatOp('::')) {
        e = call('CAST', e, literal({ kind: 'string', value: this.typeText() }));
      } else return e;
    }
  }

  /** A type name in CAST(x AS T) or x::T: read as source text up to the balancing bracket, parsed later. */
  private typeText(): string {
    const start = this.tok;
    if (start.kind !== 'identifier' && start.kind !== 'quotedIdentifier') this.fail('expected a type name');
    this.i++;
    let end = start.pos + this.source.slice(start.pos).search(/[^A-Za-z0-9_]/);
    if (end < start.pos) end = this.source.length;
    if (this.isOp('(')) {
      let depth = 0;
      for (;;) {
        const t = this.tok;
        if (t.kind === 'end') this.fail('unbalanced parentheses in a type');
        this.i++;
        if (this.isOp('(', t)) depth++;
        else if (this.isOp(')', t)) {
          depth--;
          if (depth === 0) {
            end = t.pos + 1;
            break;
          }
        }
      }
    }
    return this.source.slice(start.pos, end).trim();
  }

  private list(close: string): Expr[] {
    const items: Expr[] = [];
    if (this.eatOp(close)) return items;
    for (;;) {
      items.push(this.expression());
      if (this.eatOp(close)) return items;
      this.expectOp(',');
    }
  }

  private primary(): Expr {
    const t = this.tok;
    switch (t.kind) {
      case 'number':
        this.i++;
        return numberLiteral(t.text);
      case 'string':
        this.i++;
        return literal({ kind: 'string', value: stringTokenValue(t.text) });
      case 'quotedIdentifier':
        this.i++;
        return { kind: 'identifier', name: t.text };
      case 'end':
        return this.fail('unexpected end of the expression');
      case 'op':
        if (this.eatOp('(')) {
          const items = this.list(')');
          if (items.length === 1) return items[0]!;
          return call('tuple', ...items);
        }
        if (this.eatOp('[')) return call('array', ...this.list(']'));
        if (this.eatOp('{')) {
          const args: Expr[] = [];
          if (!this.eatOp('}')) {
            for (;;) {
              args.push(this.expression());
              this.expectOp(':');
              args.push(this.expression());
              if (this.eatOp('}')) break;
              this.expectOp(',');
            }
          }
          return call('map', ...args);
        }
        return this.fail('expected an operand');
      case 'identifier':
        return this.word(t);
    }
  }

  private word(t: Token): Expr {
    const upper = t.text.toUpperCase();
    const next = this.peek();
    const isCall = this.isOp('(', next);
    if (!isCall) {
      if (upper === 'NULL') return this.advance(literal({ kind: 'null' }));
      if (upper === 'TRUE' || upper === 'FALSE')
        return this.advance(literal({ kind: 'bool', value: upper === 'TRUE' }));
      if (upper === 'INF' || upper === 'INFINITY') return this.advance(literal({ kind: 'float', value: Infinity }));
      if (upper === 'NAN') return this.advance(literal({ kind: 'float', value: NaN }));
      if (upper === 'CASE') return this.caseExpr();
      if (upper === 'INTERVAL') return this.interval();
      if ((upper === 'DATE' || upper === 'TIMESTAMP') && next.kind === 'string') {
        this.i += 2;
        return call(
          upper === 'DATE' ? 'toDate' : 'toDateTime',
          literal({ kind: 'string', value: stringTokenValue(next.text) }),
        );
      }
      if (upper === 'NOT') {
        this.i++;
        return call('not', this.not());
      }
      this.i++;
      return { kind: 'identifier', name: t.text };
    }
    this.i += 2;
    const lower = t.text.toLowerCase();
    if (lower === 'cast' || lower === '_cast') {
      // Not expression(): it would take `x AS T` for an alias.
      const value = this.tryLambda() ?? this.ternary();
      if (this.eatWord('AS')) {
        const type = this.typeText();
        this.expectOp(')');
        return call('CAST', value, literal({ kind: 'string', value: type }));
      }
      this.expectOp(',');
      const type = this.expression();
      this.expectOp(')');
      return call('CAST', value, type);
    }
    if (lower === 'substring' || lower === 'substr' || lower === 'mid') {
      const s = this.expression();
      if (this.eatWord('FROM')) {
        const from = this.expression();
        const args = [s, from];
        if (this.eatWord('FOR')) args.push(this.expression());
        this.expectOp(')');
        return call('substring', ...args);
      }
      const rest = this.eatOp(')') ? [] : (this.expectOp(','), this.list(')'));
      return call(t.text, s, ...rest);
    }
    if (lower === 'trim' && !this.isOp(')')) {
      let mode = 'trimBoth';
      if (this.eatWord('BOTH')) mode = 'trimBoth';
      else if (this.eatWord('LEADING')) mode = 'trimLeft';
      else if (this.eatWord('TRAILING')) mode = 'trimRight';
      if (this.eatWord('FROM')) {
        const s = this.expression();
        this.expectOp(')');
        return call(mode, s);
      }
      const first = this.expression();
      if (this.eatWord('FROM')) {
        const s = this.expression();
        this.expectOp(')');
        return call(mode, s, first);
      }
      this.expectOp(')');
      return call(mode, first);
    }
    if (lower === 'position' || lower === 'locate') {
      const first = this.additive();
      if (this.eatWord('IN')) {
        const haystack = this.expression();
        this.expectOp(')');
        return call('position', haystack, first);
      }
      const rest = this.eatOp(')') ? [] : (this.expectOp(','), this.list(')'));
      return call(t.text, first, ...rest);
    }
    const args = this.list(')');
    if (this.isOp('(')) this.fail(`parametric function ${t.text} is not supported`);
    return call(t.text, ...args);
  }

  private advance(e: Expr): Expr {
    this.i++;
    return e;
  }

  private caseExpr(): Expr {
    this.i++;
    const subject = this.isWord('WHEN') ? undefined : this.expression();
    const args: Expr[] = [];
    while (this.eatWord('WHEN')) {
      const when = this.expression();
      this.expectWord('THEN');
      const then = this.expression();
      args.push(subject ? call('equals', subject, when) : when, then);
    }
    if (args.length === 0) this.fail('expected WHEN');
    args.push(this.eatWord('ELSE') ? this.expression() : literal({ kind: 'null' }));
    this.expectWord('END');
    return call('multiIf', ...args);
  }

  private interval(): Expr {
    this.i++;
    if (this.tok.kind === 'string') {
      // INTERVAL '1 day': the value and the unit inside one string.
      const m = /^\s*(-?\d+)\s+([A-Za-z_]+)\s*$/.exec(this.tok.text);
      const unit = m ? intervalUnit(m[2]!) : undefined;
      if (!m || !unit) {
        if (this.peek().kind !== 'identifier') this.fail("expected an interval like '1 day'");
      } else {
        this.i++;
        return call(`toInterval${unit}`, numberLiteral(m[1]!));
      }
    }
    const value = this.unary();
    const u = this.tok;
    const unit = u.kind === 'identifier' ? intervalUnit(u.text) : undefined;
    if (!unit) this.fail('expected an interval unit');
    this.i++;
    return call(`toInterval${unit}`, value);
  }
}

function numberLiteral(text: string): Expr {
  if (/^0[xX][0-9a-fA-F]+$/.test(text) || /^0[bB][01]+$/.test(text) || /^\d+$/.test(text)) {
    const value = BigInt(text);
    // Integers above UInt64 become Float64 literals on the server.
    if (value > 0xffffffffffffffffn) return literal({ kind: 'float', value: Number(text) });
    return literal({ kind: 'integer', value });
  }
  if (/^0[xX]/.test(text)) throw new UnsupportedExpressionError(`Hexadecimal float literal ${text} is not supported`);
  return literal({ kind: 'float', value: Number(text) });
}
