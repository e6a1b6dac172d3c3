/**
 * URL functions, following the server's byte scanners (src/Functions/URL/): no URL parser, fixed rules for where
 * the scheme, host, path and query start.
 */
import { textOf, type Str } from '../column.js';
import { constantArg, define, expectArgs, unsupported } from '../registry.js';
import { base, T, typeName } from '../types.js';
import { get } from './helpers.js';
import { UnsupportedExpressionError } from '../../errors.js';

const FORBIDDEN_IN_HOST = new Set([' ', '\t', '<', '>', '%', '{', '}', '|', '\\', '^', '~', '[', ']', ';', '=', '&']);

/** getURLHost (newer servers): the host of an absolute or protocol-relative URL, '' when there is none. */
export function urlHost(s: string): string {
  // Userinfo ('user:pw@host') is read differently by each server version: leave it to the server.
  if (s.includes('@')) throw new UnsupportedExpressionError('domain() of a URL with userinfo differs across server versions');
  let pos = 0;
  const end = s.length;
  if (s[0] === '/' && s[1] === '/') pos = 2;
  else {
    const schemeEnd = Math.min(end, 16);
    for (pos = 1; pos < schemeEnd; pos++) {
      const c = s[pos]!;
      if (/[A-Za-z0-9]/.test(c) || c === '.' || c === '-' || c === '+') continue;
      if (FORBIDDEN_IN_HOST.has(c)) return '';
      break;
    }
    if (schemeEnd - pos > 2 && s[pos] === ':' && s[pos + 1] === '/' && s[pos + 2] === '/') pos += 3;
    else pos = 0;
  }
  let dot = -1;
  let colon = -1;
  let at = false;
  let start = pos;
  scan: for (; pos < end; pos++) {
    const c = s[pos]!;
    switch (c) {
      case '.':
        if (at || colon < 0) dot = pos;
        break;
      case ':':
        if (at) break scan;
        colon = pos;
        break;
      case '/':
      case '?':
      case '#':
        break scan;
      case '@':
        at = true;
        start = pos + 1;
        break;
      default:
        if (FORBIDDEN_IN_HOST.has(c)) return '';
    }
  }
  if (!at && colon >= 0) pos = colon;
  if (dot < 0 || start >= pos || pos - dot === 1) return '';
  return s.slice(start, pos);
}

function urlFunction(name: string, fn: (s: string) => string): void {
  define(name, {
    resolve(args) {
      expectArgs(name, args, 1);
      if (base(args[0]!.type).kind !== 'string') unsupported(`${name}(${typeName(args[0]!.type)})`);
      return {
        type: T.String,
        exec: ([x], rows) =>
          Array.from({ length: rows }, (_, i) => {
            const v = get(x!)(i) as Str;
            if (typeof v !== 'string') throw new UnsupportedExpressionError(`${name} of a URL that is not valid UTF-8`);
            return fn(v);
          }),
      };
    },
  });
}

urlFunction('domain', urlHost);
urlFunction('domainWithoutWWW', (s) => urlHost(s).replace(/^www\./, ''));
urlFunction('protocol', (s) => {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(s);
  if (!m) return '';
  return m[1]!;
});
/** The path: after "scheme://host", up to '?' or '#'. */
urlFunction('path', (s) => {
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/.exec(s) ?? /^\/\/[^/?#]*/.exec(s);
  if (!m) throw new UnsupportedExpressionError('path of a URL without a scheme');
  const rest = s.slice(m[0].length);
  const cut = rest.search(/[?#]/);
  return cut < 0 ? rest : rest.slice(0, cut);
});
urlFunction('cutQueryString', (s) => {
  const q = s.indexOf('?');
  if (q < 0) return s;
  const h = s.indexOf('#', q);
  return h < 0 ? s.slice(0, q) : s.slice(0, q) + s.slice(h);
});

define('extractURLParameter', {
  resolve(args) {
    expectArgs('extractURLParameter', args, 2);
    const param = constantArg('extractURLParameter', args, 1);
    if (typeof param !== 'string') unsupported('extractURLParameter: the name must be a constant string');
    return {
      type: T.String,
      exec: ([x], rows) =>
        Array.from({ length: rows }, (_, i) => {
          const s = textOf(get(x!)(i) as Str);
          const q = s.search(/[?#]/);
          if (q < 0) return '';
          // Parameters are searched after '?' (and after '#'), split by '&'; the first match wins; no decoding.
          const rest = s.slice(q + 1);
          for (const part of rest.split(/[&#]/)) {
            if (part.startsWith(`${param}=`)) return part.slice(param.length + 1);
            if (part === param) return '';
          }
          return '';
        }),
    };
  },
});
