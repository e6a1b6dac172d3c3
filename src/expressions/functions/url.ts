/**
 * URL functions, following the server's byte scanners (src/Functions/URL/): no URL parser, fixed rules for where
 * the scheme, host, path and query start.
 */
import { textOf, type Str } from '../column.js';
import { constantArg, define, expectArgs, modernServer, unsupported } from '../registry.js';
import { base, T, typeName } from '../types.js';
import { get } from './helpers.js';
import { UnsupportedExpressionError } from '../../errors.js';

const FORBIDDEN_IN_HOST = new Set([' ', '\t', '<', '>', '%', '{', '}', '|', '\\', '^', '~', '[', ']', ';', '=', '&']);

/** getURLHost (newer servers): the host of an absolute or protocol-relative URL, '' when there is none. */
export function urlHost(s: string): string {
  // Userinfo ('user:pw@host') is read differently by each server version: leave it to the server.
  if (s.includes('@'))
    throw new UnsupportedExpressionError('domain() of a URL with userinfo differs across server versions');
  let pos: number;
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
        if (FORBIDDEN_IN_HOST.has(c)) {
          // After a ':' (a port, or text like 'a.b:c=d') 26.7 keeps the host before it; not every version does.
          if (colon >= 0)
            throw new UnsupportedExpressionError(
              'domain() of text with a restricted character after a colon differs across server versions',
            );
          return '';
        }
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
/**
 * path / pathFull, as the server scans: the path starts at the first '/', or, when that '/' begins a "//", at the
 * next '/' after it (so "scheme://host/p" and "//host/p" give "/p"); path stops at '?' or '#', pathFull runs to the
 * end. Text without a "//" (no scheme: "host/p", "/p") is read this way by 26.7 and otherwise by 18.16: it is
 * computed only for a server known to be 26.7 or newer, and refused for others.
 */
for (const [name, full] of [
  ['path', false],
  ['pathFull', true],
] as const) {
  define(name, {
    resolve(args, scope) {
      expectArgs(name, args, 1);
      if (base(args[0]!.type).kind !== 'string') unsupported(`${name}(${typeName(args[0]!.type)})`);
      const modern = modernServer(scope.serverVersion);
      const fn = (s: string): string => {
        let p = s.indexOf('/');
        if (p < 0) return '';
        if (s[p + 1] === '/') {
          p = s.indexOf('/', p + 2);
          if (p < 0) return '';
        } else if (!modern)
          throw new UnsupportedExpressionError(`${name} of a URL without "//" differs across server versions`);
        if (full) return s.slice(p);
        const q = s.slice(p).search(/[?#]/);
        return q < 0 ? s.slice(p) : s.slice(p, p + q);
      };
      return {
        type: T.String,
        exec: ([x], rows) => {
          const n = x!.constant ? 1 : rows;
          const out = new Array<string>(n);
          for (let i = 0; i < n; i++) {
            const v = x!.values[i] as Str;
            if (typeof v !== 'string') throw new UnsupportedExpressionError(`${name} of a URL that is not valid UTF-8`);
            out[i] = fn(v);
          }
          return { type: T.String, values: out, constant: x!.constant };
        },
      };
    },
  });
}
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
