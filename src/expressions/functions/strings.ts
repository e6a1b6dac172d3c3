/**
 * String functions. ClickHouse strings are bytes: length, substring, position and hex count bytes; lower/upper
 * change ASCII letters only; the UTF8 variants work on code points.
 */
import { UnsupportedExpressionError } from '../../errors.js';
import { bytesOf, byteLength, fromBytes, textOf, type Column, type Str } from '../column.js';
import { constantArg, define, expectArgs, modernServer, unsupported, type Arg } from '../registry.js';
import { arrayOf, base, nullable, T, typeName, type DataType } from '../types.js';
import { get } from './helpers.js';
import { likeRegExp, re2Pair, regexFor } from './regexp.js';
import { asciiClassRun, extractDelimited, replaceClassRuns } from './repeats.js';

const isStringType = (t: DataType): boolean => base(t).kind === 'string' || base(t).kind === 'fixedString';
function stringArg(name: string, a: Arg | undefined): void {
  if (!a || !isStringType(a.type))
    unsupported(`${name}: expected a String argument, got ${a ? typeName(a.type) : 'nothing'}`);
}

/** A String → String function applied value by value. */
/**
 * A per-block memo of a string function's results: real columns repeat values (event names, hosts, JSON with the
 * same shape), as LowCardinality columns do on the server. It gives up after 4096 rows that hit less than half the
 * time, and holds at most 8192 strings of up to 256 characters.
 */
export class StringMemo<R> {
  private readonly map = new Map<string, R>();
  private seen = 0;
  private hits = 0;
  private on = true;

  get(s: string): R | undefined {
    if (!this.on) return undefined;
    this.seen++;
    const r = this.map.get(s);
    if (r !== undefined) this.hits++;
    else if (this.seen === 4096 && this.hits < 2048) this.on = false;
    return r;
  }

  set(s: string, r: R): void {
    if (this.on && s.length <= 256 && this.map.size < 8192) this.map.set(s, r);
  }
}

/**
 * A per-block table of a string function's distinct results: a result equal to an earlier one is replaced by that
 * earlier string, so the column keeps one string per distinct value and the fresh one dies young. Why: results are
 * kept until the block is encoded, and every young string that survives is copied by each scavenge and then
 * promoted; that copying was most of the evaluator's time (about half its CPU, V8's --trace-gc) on columns whose
 * inputs are unique but whose results repeat (a field pulled out of JSON, a URL with its numbers masked). It gives
 * up after 4096 results of which more than half were new, and holds at most 8192 strings of up to 256 characters.
 */
class StringInterner {
  private readonly map = new Map<string, string>();
  private seen = 0;
  private on = true;

  intern(s: string): string {
    if (!this.on || s.length > 256) return s;
    const known = this.map.get(s);
    if (known !== undefined) return known;
    if (++this.seen === 4096 && this.map.size > 2048) {
      this.on = false;
      this.map.clear();
      return s;
    }
    if (this.map.size < 8192) this.map.set(s, s);
    return s;
  }
}

/** Applies fn to every row: strings through the memo, raw bytes directly; string results interned. */
export function mapStrings(x: Column, rows: number, fn: (s: Str) => Str): Str[] {
  const n = x.constant ? 1 : rows;
  const values = x.values;
  const out = new Array<Str>(n);
  const memo = new StringMemo<Str>();
  const results = new StringInterner();
  for (let i = 0; i < n; i++) {
    const v = values[i] as Str;
    if (typeof v !== 'string') {
      out[i] = fn(v);
      continue;
    }
    let r = memo.get(v);
    if (r === undefined) {
      r = fn(v);
      if (typeof r === 'string') r = results.intern(r);
      memo.set(v, r);
    }
    out[i] = r;
  }
  return out;
}

function mapString(name: string, fn: (s: Str) => Str, extra = 0): void {
  define(name, {
    resolve(args) {
      expectArgs(name, args, 1 + extra);
      stringArg(name, args[0]);
      return {
        type: T.String,
        exec([x], rows) {
          const out = mapStrings(x!, rows, fn);
          return x!.constant ? { type: T.String, values: out, constant: true } : out;
        },
      };
    },
  });
}

/** Whether a JS string is all ASCII (then JS case mapping is exactly the server's ASCII one). */
const isAscii = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
};

const asciiLower = (s: Str): Str => {
  if (typeof s === 'string')
    return isAscii(s) ? s.toLowerCase() : /[A-Z]/.test(s) ? s.replace(/[A-Z]+/g, (m) => m.toLowerCase()) : s;
  return Uint8Array.from(s, (b) => (b >= 65 && b <= 90 ? b + 32 : b));
};
const asciiUpper = (s: Str): Str => {
  if (typeof s === 'string')
    return isAscii(s) ? s.toUpperCase() : /[a-z]/.test(s) ? s.replace(/[a-z]+/g, (m) => m.toUpperCase()) : s;
  return Uint8Array.from(s, (b) => (b >= 97 && b <= 122 ? b - 32 : b));
};
mapString('lower', asciiLower);
mapString('lcase', asciiLower);
mapString('upper', asciiUpper);
mapString('ucase', asciiUpper);

/**
 * lowerUTF8/upperUTF8 map each code point to its case partner when that is one code point of the same UTF-8
 * length (what every server version agrees on); other changes are refused.
 */
function utf8Case(upper: boolean) {
  return (s: Str): Str => {
    if (typeof s !== 'string') throw new UnsupportedExpressionError('lowerUTF8/upperUTF8 of invalid UTF-8');
    let ascii = true;
    for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) ascii = false;
    if (ascii) return upper ? asciiUpper(s) : asciiLower(s);
    let out = '';
    for (const ch of s) {
      const m = upper ? ch.toUpperCase() : ch.toLowerCase();
      if (m === ch) out += ch;
      else if ([...m].length === 1 && Buffer.byteLength(m) === Buffer.byteLength(ch)) out += m;
      // 'ß' → 'SS': 18.16 keeps 'ß', newer servers (ICU) expand it. Do not guess.
      else
        throw new UnsupportedExpressionError(
          `${upper ? 'upperUTF8' : 'lowerUTF8'} of ${JSON.stringify(ch)} differs across server versions`,
        );
    }
    return out;
  };
}
mapString('lowerUTF8', utf8Case(false));
mapString('upperUTF8', utf8Case(true));

define('concat', {
  resolve(args, scope) {
    if (args.length < 1) unsupported('concat needs arguments');
    const kinds = args.map((a) => base(a.type).kind);
    if (!kinds.every((k) => k === 'string' || k === 'fixedString')) {
      // Newer servers concat any type through its text form; 18.16 takes strings only: keep to strings.
      unsupported(`concat(${args.map((a) => typeName(a.type)).join(', ')}) is not supported`);
    }
    void scope;
    return {
      type: T.String,
      exec(cols, rows) {
        const gs = cols.map(get);
        const out = new Array(rows);
        for (let i = 0; i < rows; i++) {
          let allText = true;
          let text = '';
          for (const g of gs) {
            const v = g(i) as Str;
            if (typeof v !== 'string') {
              allText = false;
              break;
            }
            text += v;
          }
          out[i] = allText ? text : fromBytes(Buffer.concat(gs.map((g) => bytesOf(g(i) as Str))));
        }
        return out;
      },
    };
  },
});

function sizeOf(name: string, a: Arg): (v: unknown) => number {
  const k = base(a.type).kind;
  if (k === 'string') return (v) => byteLength(v as Str);
  if (k === 'fixedString') return (v) => (v as Uint8Array).length;
  if (k === 'array' || k === 'map') return (v) => (v as unknown[]).length;
  if (k === 'uuid' && name !== 'length') return (v) => (v === '00000000-0000-0000-0000-000000000000' ? 0 : 1);
  return unsupported(`${name}(${typeName(a.type)}) is not supported`);
}

define('length', {
  resolve(args) {
    expectArgs('length', args, 1);
    const size = sizeOf('length', args[0]!);
    return { type: T.UInt64, exec: ([x], rows) => Array.from({ length: rows }, (_, i) => BigInt(size(get(x!)(i)))) };
  },
});
define('empty', {
  resolve(args) {
    expectArgs('empty', args, 1);
    const size = sizeOf('empty', args[0]!);
    return {
      type: T.UInt8,
      exec: ([x], rows) => Uint8Array.from({ length: rows }, (_, i) => (size(get(x!)(i)) === 0 ? 1 : 0)),
    };
  },
});
define('notEmpty', {
  resolve(args) {
    expectArgs('notEmpty', args, 1);
    const size = sizeOf('notEmpty', args[0]!);
    return {
      type: T.UInt8,
      exec: ([x], rows) => Uint8Array.from({ length: rows }, (_, i) => (size(get(x!)(i)) === 0 ? 0 : 1)),
    };
  },
});

// ---- regular expressions ------------------------------------------------------------------------------------

function patternArg(name: string, args: Arg[], i: number): string {
  const p = constantArg(name, args, i);
  if (typeof p !== 'string') unsupported(`${name}: the pattern must be a constant UTF-8 string`);
  return p;
}

function subject(name: string, v: unknown): string {
  if (typeof v !== 'string') throw new UnsupportedExpressionError(`${name} of a string that is not valid UTF-8`);
  return v;
}

/** The replacement text with \0..\9 group references (RE2::Rewrite). */
function rewriter(replacement: string): (m: RegExpExecArray | string[]) => string {
  const parts: Array<string | number> = [];
  let lit = '';
  for (let i = 0; i < replacement.length; i++) {
    const c = replacement[i]!;
    if (c === '\\' && i + 1 < replacement.length) {
      const n = replacement[i + 1]!;
      if (/\d/.test(n)) {
        parts.push(lit, Number(n));
        lit = '';
      } else lit += n;
      i++;
    } else lit += c;
  }
  parts.push(lit);
  return (m) => parts.map((p) => (typeof p === 'number' ? (m[p] ?? '') : p)).join('');
}

/** Whether a regexp has a `.` outside a character class (and not escaped). */
function hasDot(pattern: string): boolean {
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') i++;
    else if (inClass) {
      if (c === ']') inClass = false;
    } else if (c === '[') {
      inClass = true;
      if (pattern[i + 1] === '^') i++;
      if (pattern[i + 1] === ']') i++;
    } else if (c === '.') return true;
  }
  return false;
}

function replaceRegexp(name: string, all: boolean): void {
  define(name, {
    resolve(args) {
      expectArgs(name, args, 3);
      stringArg(name, args[0]);
      const pattern = patternArg(name, args, 1);
      const replacement = constantArg(name, args, 2);
      if (typeof replacement !== 'string') unsupported(`${name}: the replacement must be a constant string`);
      if (hasDot(pattern)) {
        // 18.16 compiles the pattern with plain RE2 options (`.` stops at a newline), 26.7 with dot_nl: they differ
        // on subjects with newlines, so the server computes it.
        unsupported(`${name}: \`.\` in the pattern matches a newline on some server versions and not on others`);
      }
      const pair = re2Pair(pattern, true);
      const rewrite = rewriter(replacement);
      const matchesEmpty = new RegExp(pair.unicode.source, pair.unicode.flags.replace('g', '')).test('');
      // Without \0..\9 references the replacement is literal: JS's own replace does it, with `$` escaped.
      const literal = /\\\d/.test(replacement)
        ? undefined
        : replacement.replace(/\\([\s\S])/g, '$1').replace(/\$/g, '$$$$');
      const fn = (v: Str): Str => {
        const s = subject(name, v);
        if (matchesEmpty && /[^\x00-\x7f]/.test(s)) {
          // After an empty match the server steps one byte, JS one code point: they differ on non-ASCII.
          throw new UnsupportedExpressionError(
            `${name} with a pattern that matches the empty string, on non-ASCII text`,
          );
        }
        const re = regexFor(pair, s);
        re.lastIndex = 0;
        if (all)
          return literal !== undefined
            ? s.replace(re, literal)
            : s.replace(re, (...m) => rewrite(m.slice(0, -2) as string[]));
        const m = re.exec(s);
        return m ? s.slice(0, m.index) + rewrite(m) + s.slice(m.index + m[0].length) : s;
      };
      // A run of one ASCII class replaced by a literal: rows whose result repeats take it without a new string.
      const classRun = all && literal !== undefined ? asciiClassRun(pattern, pair.unicode) : undefined;
      const text = replacement.replace(/\\([\s\S])/g, '$1');
      return {
        type: T.String,
        exec([x], rows) {
          if (classRun && !x!.constant) return replaceClassRuns(x!.values, rows, classRun, text, fn);
          const out = mapStrings(x!, rows, fn);
          return x!.constant ? { type: T.String, values: out, constant: true } : out;
        },
      };
    },
  });
}
replaceRegexp('replaceRegexpAll', true);
replaceRegexp('regexp_replace', true);
replaceRegexp('replaceRegexpOne', false);

function replacePlain(name: string, all: boolean): void {
  define(name, {
    resolve(args) {
      expectArgs(name, args, 3);
      stringArg(name, args[0]);
      const needle = constantArg(name, args, 1);
      const replacement = constantArg(name, args, 2);
      if (typeof needle !== 'string' || typeof replacement !== 'string')
        unsupported(`${name}: constant strings expected`);
      return {
        type: T.String,
        exec([x], rows) {
          const g = get(x!);
          return Array.from({ length: rows }, (_, i) => {
            const s = subject(name, g(i));
            if (needle === '') return s;
            return all ? s.split(needle).join(replacement) : s.replace(needle, () => replacement);
          });
        },
      };
    },
  });
}
replacePlain('replaceAll', true);
replacePlain('replace', true);
replacePlain('replaceOne', false);

define('match', {
  resolve(args) {
    expectArgs('match', args, 2);
    stringArg('match', args[0]);
    const pair = re2Pair(patternArg('match', args, 1), false, true);
    return {
      type: T.UInt8,
      exec: ([x], rows) => {
        const n = x!.constant ? 1 : rows;
        const values = x!.values;
        const out = new Uint8Array(n);
        for (let i = 0; i < n; i++) {
          const s = subject('match', values[i]);
          out[i] = regexFor(pair, s).test(s) ? 1 : 0;
        }
        return { type: T.UInt8, values: out, constant: x!.constant };
      },
    };
  },
});

/**
 * A pattern of the form `P([^c]*)c` or `P([^c]*)`: an ASCII literal P, then a capture of everything up to the
 * character c (the usual way to pull a field out of JSON or key=value text). Its extract() is two indexOf calls
 * and a slice, with no match object per row, and it is exactly the regexp's: a match can only start where P
 * occurs; at the first occurrence the greedy group runs to the first c after P (or, without the closing c, to the
 * end); and when no c follows the first P, none follows a later one, so there is no match at all. Every position
 * is the same in UTF-16 and in the server's UTF-8 bytes for this purpose because P and c are ASCII.
 */
export function delimitedField(re: RegExp): { prefix: string; stop: string; closed: boolean } | undefined {
  if (re.flags.includes('i') || re.flags.includes('m')) return undefined;
  const src = re.source;
  const SYNTAX = '^$\\.*+?()[]{}|/';
  let prefix = '';
  let i = 0;
  for (; i < src.length && src[i] !== '('; i++) {
    let c = src[i]!;
    if (c === '\\') {
      c = src[++i] ?? '';
      if (!SYNTAX.includes(c) || c === '') return undefined;
    } else if (SYNTAX.includes(c)) return undefined;
    if (c.charCodeAt(0) >= 0x80) return undefined;
    prefix += c;
  }
  const group = /^\(\[\^(\\?)([\x20-\x7e])\]\*\)/.exec(src.slice(i));
  if (!group) return undefined;
  const stop = group[2]!;
  // Inside a class only `]`, `\\`, `^` and `-` need care; take c plain or escaped where escaping is required.
  if (group[1] === '' && (stop === ']' || stop === '\\' || stop === '-' || stop === '^')) return undefined;
  if (group[1] === '\\' && !SYNTAX.includes(stop) && stop !== '-') return undefined;
  const rest = src.slice(i + group[0].length);
  if (rest === '') return { prefix, stop, closed: false };
  const escaped = rest.length === 2 && rest[0] === '\\' && SYNTAX.includes(rest[1]!) && rest[1] === stop;
  const plain = rest.length === 1 && rest === stop && !SYNTAX.includes(stop);
  return escaped || plain ? { prefix, stop, closed: true } : undefined;
}

define('extract', {
  resolve(args) {
    expectArgs('extract', args, 2);
    stringArg('extract', args[0]);
    const pair = re2Pair(patternArg('extract', args, 1), false, true);
    const field = delimitedField(pair.unicode);
    if (field) {
      const { prefix, stop, closed } = field;
      const fast = (v: Str): Str => {
        const s = subject('extract', v);
        const at = s.indexOf(prefix);
        if (at < 0) return '';
        const from = at + prefix.length;
        const end = s.indexOf(stop, from);
        if (end < 0) return closed ? '' : s.slice(from);
        return s.slice(from, end);
      };
      return {
        type: T.String,
        exec: ([x], rows) => {
          if (!x!.constant) return extractDelimited(x!.values, rows, prefix, stop, closed, fast);
          const out = mapStrings(x!, rows, fast);
          return { type: T.String, values: out, constant: true };
        },
      };
    }
    const fn = (v: Str): Str => {
      const s = subject('extract', v);
      const m = regexFor(pair, s).exec(s);
      if (!m) return '';
      return m.length > 1 ? (m[1] ?? '') : m[0];
    };
    return {
      type: T.String,
      exec: ([x], rows) => {
        const out = mapStrings(x!, rows, fn);
        return x!.constant ? { type: T.String, values: out, constant: true } : out;
      },
    };
  },
});

define('extractAll', {
  resolve(args) {
    expectArgs('extractAll', args, 2);
    stringArg('extractAll', args[0]);
    const pair = re2Pair(patternArg('extractAll', args, 1), true, true);
    return {
      type: arrayOf(T.String),
      exec: ([x], rows) =>
        Array.from({ length: rows }, (_, i) => {
          const s = subject('extractAll', get(x!)(i));
          const out: string[] = [];
          const re = regexFor(pair, s);
          re.lastIndex = 0;
          let m: RegExpExecArray | null;
          while ((m = re.exec(s))) {
            if (m[0] === '') throw new UnsupportedExpressionError('extractAll with an empty match');
            out.push(m.length > 1 ? (m[1] ?? '') : m[0]);
          }
          return out;
        }),
    };
  },
});

for (const [name, negate, ci] of [
  ['like', false, false],
  ['notLike', true, false],
  ['ilike', false, true],
  ['notILike', true, true],
] as const) {
  define(name, {
    resolve(args) {
      expectArgs(name, args, 2);
      stringArg(name, args[0]);
      const pattern = patternArg(name, args, 1);
      const re = likeRegExp(pattern, ci);
      return {
        type: T.UInt8,
        exec: ([x], rows) =>
          Uint8Array.from({ length: rows }, (_, i) => (re.test(subject(name, get(x!)(i))) !== negate ? 1 : 0)),
      };
    },
  });
}

// ---- bytes ----------------------------------------------------------------------------------------------------

define('substring', {
  resolve(args) {
    expectArgs('substring', args, 2, 3);
    stringArg('substring', args[0]);
    return {
      type: T.String,
      exec(cols, rows) {
        const [gs, go, gl] = [get(cols[0]!), get(cols[1]!), cols[2] ? get(cols[2]) : undefined];
        const out = new Array(rows);
        for (let i = 0; i < rows; i++) {
          const b = bytesOf(gs(i) as Str);
          const off = Number(go(i));
          const start = off > 0 ? off - 1 : off < 0 ? Math.max(0, b.length + off) : b.length;
          if (off < 0 && b.length + off < 0) {
            // Starting before the beginning: the server counts the length from that virtual start.
            const len = gl ? Number(gl(i)) : Infinity;
            const end = len >= 0 ? Math.max(0, b.length + off + len) : b.length + len;
            out[i] = fromBytes(b.subarray(0, Math.max(0, Math.min(end, b.length))));
            continue;
          }
          let end = b.length;
          if (gl) {
            const len = Number(gl(i));
            end = len >= 0 ? Math.min(b.length, start + len) : Math.max(start, b.length + len);
          }
          out[i] = start >= b.length ? '' : fromBytes(b.subarray(start, Math.max(start, end)));
        }
        return out;
      },
    };
  },
});
define(['substr', 'mid'], { resolve: (args, scope) => lookupSubstring().resolve(args, scope, 'substring') });
import { lookup } from '../registry.js';
const lookupSubstring = () => lookup('substring')!;

function trimmer(name: string, left: boolean, right: boolean): void {
  define(name, {
    resolve(args) {
      expectArgs(name, args, 1, 2);
      stringArg(name, args[0]);
      const chars = args.length === 2 ? constantArg(name, args, 1) : ' ';
      if (typeof chars !== 'string' || /[^\x00-\x7f]/.test(chars))
        unsupported(`${name}: trim characters must be constant ASCII`);
      const set = new Set(chars);
      return {
        type: T.String,
        exec: ([x], rows) =>
          Array.from({ length: rows }, (_, i) => {
            const v = get(x!)(i) as Str;
            const s = typeof v === 'string' ? v : Buffer.from(v).toString('latin1');
            let a = 0;
            let b = s.length;
            if (left) while (a < b && set.has(s[a]!)) a++;
            if (right) while (b > a && set.has(s[b - 1]!)) b--;
            const r = s.slice(a, b);
            return typeof v === 'string' ? r : fromBytes(Buffer.from(r, 'latin1'));
          }),
      };
    },
  });
}
trimmer('trimBoth', true, true);
trimmer('trimLeft', true, false);
trimmer('trimRight', false, true);
trimmer('ltrim', true, false);
trimmer('rtrim', false, true);

define('splitByChar', {
  resolve(args) {
    expectArgs('splitByChar', args, 2, 3);
    const sep = constantArg('splitByChar', args, 0);
    if (typeof sep !== 'string' || sep.length !== 1 || sep.charCodeAt(0) > 0x7f)
      unsupported('splitByChar: the separator must be one constant ASCII character');
    stringArg('splitByChar', args[1]);
    if (args.length === 3) unsupported('splitByChar with max_substrings is not supported');
    return {
      type: arrayOf(T.String),
      exec: (cols, rows) =>
        Array.from({ length: rows }, (_, i) => {
          const v = get(cols[1]!)(i) as Str;
          if (typeof v === 'string') return v.split(sep);
          const parts: Str[] = [];
          let start = 0;
          const code = sep.charCodeAt(0);
          for (let j = 0; j <= v.length; j++) {
            if (j === v.length || v[j] === code) {
              parts.push(fromBytes(v.subarray(start, j)));
              start = j + 1;
            }
          }
          return parts;
        }),
    };
  },
});

function bytesPredicate(name: string, test: (s: Buffer, p: Buffer) => boolean): void {
  define(name, {
    resolve(args) {
      expectArgs(name, args, 2);
      stringArg(name, args[0]);
      stringArg(name, args[1]);
      return {
        type: T.UInt8,
        exec: ([x, y], rows) =>
          Uint8Array.from({ length: rows }, (_, i) =>
            test(Buffer.from(bytesOf(get(x!)(i) as Str)), Buffer.from(bytesOf(get(y!)(i) as Str))) ? 1 : 0,
          ),
      };
    },
  });
}
bytesPredicate('startsWith', (s, p) => s.subarray(0, p.length).equals(p));
bytesPredicate('endsWith', (s, p) => p.length <= s.length && s.subarray(s.length - p.length).equals(p));

define(['position', 'locate'], {
  resolve(args, _scope, name) {
    expectArgs(name, args, 2, 3);
    stringArg(name, args[0]);
    stringArg(name, args[1]);
    return {
      type: T.UInt64,
      exec: (cols, rows) =>
        Array.from({ length: rows }, (_, i) => {
          const h = Buffer.from(bytesOf(get(cols[0]!)(i) as Str));
          const n = Buffer.from(bytesOf(get(cols[1]!)(i) as Str));
          const from = cols[2] ? Number(get(cols[2])(i)) : 1;
          if (from < 1) throw new UnsupportedExpressionError(`${name} with a start position below 1`);
          if (from > h.length + 1) return 0n;
          const k = h.indexOf(n, from - 1);
          return BigInt(k + 1);
        }),
    };
  },
});

/**
 * positionCaseInsensitive: the byte position of the needle, ASCII letters compared without case (bytes >= 0x80
 * as they are), 0 when absent, 1 for an empty needle.
 */
define('positionCaseInsensitive', {
  resolve(args, _scope, name) {
    expectArgs(name, args, 2);
    stringArg(name, args[0]);
    stringArg(name, args[1]);
    const lowerAscii = (b: Uint8Array): Buffer => {
      const out = Buffer.from(b);
      for (let i = 0; i < out.length; i++) if (out[i]! >= 0x41 && out[i]! <= 0x5a) out[i]! += 0x20;
      return out;
    };
    return {
      type: T.UInt64,
      exec: ([hay, needle], rows) => {
        const gh = get(hay!);
        const gn = get(needle!);
        const constNeedle = needle!.constant ? lowerAscii(bytesOf(needle!.values[0] as Str)) : undefined;
        const out = new BigUint64Array(rows);
        for (let i = 0; i < rows; i++) {
          const h = lowerAscii(bytesOf(gh(i) as Str));
          const n = constNeedle ?? lowerAscii(bytesOf(gn(i) as Str));
          out[i] = BigInt(h.indexOf(n) + 1);
        }
        return out;
      },
    };
  },
});

/** left(s, n) / right(s, n): the first / last n bytes; a negative n drops that many from the other end. */
for (const [name, fromLeft] of [
  ['left', true],
  ['right', false],
] as const) {
  define(name, {
    resolve(args) {
      expectArgs(name, args, 2);
      stringArg(name, args[0]);
      const nt = base(args[1]!.type);
      if (nt.kind !== 'int' || nt.bits > 64) unsupported(`${name}: the length must be an integer`);
      return {
        type: T.String,
        exec: ([x, len], rows) => {
          const gx = get(x!);
          const gn = get(len!);
          const out = new Array<Str>(rows);
          for (let i = 0; i < rows; i++) {
            const v = gx(i) as Str;
            const n = Number(gn(i));
            const size = byteLength(v);
            const keep = n >= 0 ? Math.min(n, size) : Math.max(0, size + n);
            if (keep === size) {
              out[i] = v;
              continue;
            }
            const b = bytesOf(v);
            out[i] = fromBytes(fromLeft ? b.subarray(0, keep) : b.subarray(size - keep));
          }
          return out;
        },
      };
    },
  });
}

/** lengthUTF8: the code points of valid UTF-8; of any bytes, those that are not continuation bytes (10xxxxxx). */
define('lengthUTF8', {
  resolve(args, _scope, name) {
    expectArgs(name, args, 1);
    stringArg(name, args[0]);
    return {
      type: T.UInt64,
      exec: ([x], rows) => {
        const gx = get(x!);
        const out = new BigUint64Array(rows);
        for (let i = 0; i < rows; i++) {
          const v = gx(i) as Str;
          let n = 0;
          if (typeof v === 'string') {
            // Valid UTF-8 held as text: one per code point (a surrogate pair is one).
            for (let j = 0; j < v.length; j++) {
              const c = v.charCodeAt(j);
              if (c < 0xdc00 || c > 0xdfff) n++;
            }
          } else for (let j = 0; j < v.length; j++) if ((v[j]! & 0xc0) !== 0x80) n++;
          out[i] = BigInt(n);
        }
        return out;
      },
    };
  },
});

// ---- hex and base64 ---------------------------------------------------------------------------------------------

define('hex', {
  resolve(args) {
    expectArgs('hex', args, 1);
    const t = base(args[0]!.type);
    let fn: (v: unknown) => string;
    if (t.kind === 'string' || t.kind === 'fixedString')
      fn = (v) =>
        Buffer.from(bytesOf(v as Str))
          .toString('hex')
          .toUpperCase();
    else if (t.kind === 'int' && !t.signed && t.bits <= 64) {
      // Unsigned integers: big-endian bytes without leading zero bytes (hex(0) is '00').
      fn = (v) => {
        let h = BigInt(v as number)
          .toString(16)
          .toUpperCase();
        if (h.length % 2) h = `0${h}`;
        return h;
      };
    } else return unsupported(`hex(${typeName(args[0]!.type)}) is not supported`);
    return { type: T.String, exec: ([x], rows) => Array.from({ length: rows }, (_, i) => fn(get(x!)(i))) };
  },
});

/** A hex digit's value; any other byte is -1 (26.7's unhex table). */
function hexDigit(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  return -1;
}

/** 26.7's unhex of any bytes: pairs from the end of an odd count's first byte, each (16 * high + low) mod 256. */
function unhexAnyBytes(v: Str): Str {
  const b = bytesOf(v);
  const odd = b.length % 2;
  const out = new Uint8Array((b.length + odd) / 2);
  let o = 0;
  if (odd) out[o++] = hexDigit(b[0]!) & 0xff;
  for (let i = odd; i < b.length; i += 2) out[o++] = (16 * hexDigit(b[i]!) + hexDigit(b[i + 1]!)) & 0xff;
  return fromBytes(out);
}

define('unhex', {
  resolve(args, scope) {
    expectArgs('unhex', args, 1);
    stringArg('unhex', args[0]);
    const modern = modernServer(scope.serverVersion);
    return {
      type: T.String,
      exec: ([x], rows) =>
        Array.from({ length: rows }, (_, i) => {
          const v = get(x!)(i) as Str;
          let s = textOf(v);
          if (!/^[0-9a-fA-F]*$/.test(s)) {
            // Non-hex bytes: 26.7 reads each as -1; other versions are not known to. Computed for 26.7 or newer.
            if (modern) return unhexAnyBytes(v);
            throw new UnsupportedExpressionError('unhex of a string with non-hex characters');
          }
          // An odd count: the first digit alone makes the first byte.
          if (s.length % 2) s = `0${s}`;
          return fromBytes(Buffer.from(s, 'hex'));
        }),
    };
  },
});

define('base64Encode', {
  resolve(args) {
    expectArgs('base64Encode', args, 1);
    stringArg('base64Encode', args[0]);
    return {
      type: T.String,
      exec: ([x], rows) =>
        Array.from({ length: rows }, (_, i) => Buffer.from(bytesOf(get(x!)(i) as Str)).toString('base64')),
    };
  },
});

for (const [name, mode] of [
  ['base64Decode', 'throw'],
  ['tryBase64Decode', 'empty'],
] as const) {
  define(name, {
    resolve(args) {
      expectArgs(name, args, 1);
      stringArg(name, args[0]);
      return {
        type: T.String,
        exec: ([x], rows) =>
          Array.from({ length: rows }, (_, i) => {
            const s = textOf(get(x!)(i) as Str);
            if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s)) {
              if (mode === 'empty') return '';
              throw new UnsupportedExpressionError(`${name} of invalid base64`);
            }
            return fromBytes(Buffer.from(s, 'base64'));
          }),
      };
    },
  });
}

void nullable;
export type { Column };
