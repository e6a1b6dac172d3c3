/**
 * RE2 patterns (the server's regex engine) as JS RegExps, for the subset where both engines agree: RE2 has no
 * backreferences or lookaround, `\s` is [\t\n\f\r ] (JS adds \v and Unicode spaces), `\d`/`\w`/`\b` are ASCII in
 * both, and both read the subject as UTF-8 code points (JS with the `u` flag). Anything else is refused.
 */
import { unsupported } from '../registry.js';

const cache = new Map<string, RegExp>();
/** Characters a JS unicode-mode regexp accepts after a backslash as themselves. */
const JS_SYNTAX = '^$\\.*+?()[]{}|/';

/**
 * `dotNl`: `.` matches a newline too. The server's match/extract/extractAll (Regexps::createRegexp, RE_DOT_NL) set
 * it; replaceRegexpOne/All compile plain RE2 options, where `.` stops at a newline.
 */
export function re2(pattern: string, global = false, dotNl = false): RegExp {
  const key = `${global ? 'g' : ''}${dotNl ? 's' : ''}:${pattern}`;
  let re = cache.get(key);
  if (re) return re;
  let flags = dotNl ? 'us' : 'u';
  let p = pattern;
  const inline = /^\(\?([is]+)\)/.exec(p);
  if (inline) {
    if (inline[1]!.includes('i')) flags += 'i';
    if (inline[1]!.includes('s') && !flags.includes('s')) flags += 's';
    p = p.slice(inline[0].length);
  }
  let out = '';
  let inClass = false;
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '\\') {
      const n = p[i + 1];
      if (n === undefined) unsupported(`regexp ${pattern}: trailing backslash`);
      i++;
      if (/[1-9]/.test(n!)) unsupported(`regexp ${pattern}: backreferences do not exist in RE2`);
      if (n === 's') out += inClass ? '\\t\\n\\f\\r ' : '[\\t\\n\\f\\r ]';
      else if (n === 'S') {
        if (inClass) unsupported(`regexp ${pattern}: \\S inside a class`);
        out += '[^\\t\\n\\f\\r ]';
      } else if (n === 'A' && !inClass) out += '^';
      else if (n === 'z' && !inClass) out += '$';
      else if (/[dDwWbB]/.test(n!)) out += `\\${n}`;
      else if (/[nrtfv0]/.test(n!)) out += `\\${n}`;
      else if (n === 'x') {
        const m = /^x([0-9a-fA-F]{2})/.exec(p.slice(i));
        if (!m) unsupported(`regexp ${pattern}: \\x form`);
        out += `\\x${m[1]}`;
        i += 2;
      } else if (/[A-Za-z0-9]/.test(n!)) unsupported(`regexp ${pattern}: escape \\${n}`);
      // RE2 takes any punctuation escaped (`\=`, `\"`); JS's unicode mode only its own syntax characters.
      else out += JS_SYNTAX.includes(n!) || (inClass && n === '-') ? `\\${n}` : n!;
      continue;
    }
    if (inClass) {
      if (c === '[' && p[i + 1] === ':') unsupported(`regexp ${pattern}: POSIX classes`);
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      if (p[i + 1] === '^') out += p[++i];
      if (p[i + 1] === ']') out += `\\${p[++i]}`;
      continue;
    }
    if (c === '(' && p[i + 1] === '?') {
      if (p[i + 2] === ':') {
        out += '(?:';
        i += 2;
        continue;
      }
      if (p[i + 2] === 'P' && p[i + 3] === '<') {
        out += '(?<';
        i += 3;
        continue;
      }
      unsupported(`regexp ${pattern}: group syntax (?${p[i + 2]}`);
    }
    if (c === '{' && !/^\{\d+(,\d*)?\}/.test(p.slice(i))) {
      out += '\\{';
      continue;
    }
    if (c === '}') {
      out += /\{\d+(,\d*)?$/.test(out) ? '}' : '\\}';
      continue;
    }
    out += c;
  }
  try {
    re = new RegExp(out, global ? `${flags}g` : flags);
  } catch (error) {
    return unsupported(`regexp ${pattern}: ${(error as Error).message}`);
  }
  cache.set(key, re);
  return re;
}

/**
 * A pattern in two JS forms: `unicode` (the `u` flag: code points, as RE2 reads UTF-8) and, where it is the same
 * for the subject, `plain` (no `u` flag, several times faster in V8). On a string without surrogates (no code point
 * above U+FFFF) every code point is one UTF-16 unit, so without case-insensitivity both match alike.
 */
export interface Re2Pair {
  unicode: RegExp;
  plain: RegExp | undefined;
}

const SURROGATE = /[\uD800-\uDFFF]/;

export function re2Pair(pattern: string, global = false, dotNl = false): Re2Pair {
  const unicode = re2(pattern, global, dotNl);
  let plain: RegExp | undefined;
  if (!unicode.flags.includes('i')) {
    try {
      plain = new RegExp(unicode.source, unicode.flags.replace('u', ''));
    } catch {
      plain = undefined;
    }
  }
  return { unicode, plain };
}

/** The form of `pair` to run on subject s. */
export function regexFor(pair: Re2Pair, s: string): RegExp {
  return pair.plain !== undefined && !SURROGATE.test(s) ? pair.plain : pair.unicode;
}

/** LIKE pattern → RegExp: % any run, _ one character, backslash escapes (likePatternToRegexp). */
export function likeRegExp(pattern: string, caseInsensitive: boolean): RegExp {
  let out = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) {
      out += pattern[++i]!.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
    } else if (c === '%') out += '[\\s\\S]*';
    else if (c === '_') out += '[\\s\\S]';
    else out += c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`${out}$`, caseInsensitive ? 'iu' : 'u');
}
